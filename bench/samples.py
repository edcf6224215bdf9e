"""Sample landing trees for the benchmark, generated once per (scale, seed, as-of) and kept.

A sample is written by the project's own generator (`credit-lists sample`, in a child process
so its time and memory are on record) into `<work>/samples/<key>.partial` and renamed to
`<work>/samples/<key>` when complete, so an interrupted generation is never taken for a sample.

A run never reads the cached tree in place: it gets a tree of hard links to it
(`link_tree`), so the incremental night can add a day of files to the run's tree and leave the
cache as generated. Hard links are regular files to the pipeline (it refuses symbolic links).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import sample_data
from bench.floor import DATASETS
from bench.measure import child_env, run_child

# The extra delivery of the incremental night: ~0.1% of the city, as new merchants' records.
NIGHT_SHARE = 0.001


def generator_fingerprint() -> str:
    """8 hex of the generator's code and SQL: a changed generator never reuses an old sample."""
    root = Path(sample_data.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("sql/*.sql")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def sample_key(scale: float, seed: int, as_of: date) -> str:
    return f"scale-{scale:g}--seed-{seed}--{as_of.isoformat()}--gen-{generator_fingerprint()}"


def ensure_sample(work: Path, scale: float, seed: int, as_of: date) -> tuple[Path, dict[str, Any]]:
    """The cached landing tree (generated now if absent) and what generating it cost."""
    final = work / "samples" / sample_key(scale, seed, as_of)
    info_file = final / "bench-sample.json"
    if info_file.exists():
        info = json.loads(info_file.read_text(encoding="utf-8"))
        return final / "landing", {**info, "cached": True}
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    child = run_child(
        "pipelines.cli",
        [
            "sample",
            "--out",
            str(partial / "landing"),
            "--scale",
            f"{scale:g}",
            "--seed",
            str(seed),
            "--as-of",
            as_of.isoformat(),
        ],
        partial / "generate.log",
        env=child_env(),
        with_result=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"sample generation failed ({child.failure()}); see {child.log_path}")
    files = [p for p in (partial / "landing").rglob("*") if p.is_file()]
    info = {
        "scale": scale,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "generator": generator_fingerprint(),
        "generate_s": round(child.wall_s, 2),
        "generate_peak_rss_bytes": child.peak_rss_bytes,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }
    (partial / "bench-sample.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return final / "landing", {**info, "cached": False}


def link_tree(source: Path, target: Path) -> int:
    """Mirror `source` under `target` with hard links (copies across file systems); file count."""
    n = 0
    for dirpath, _, filenames in os.walk(source):
        here = Path(dirpath)
        dest = target / here.relative_to(source)
        dest.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            _link(here / name, dest / name)
            n += 1
    return n


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def add_night(landing: Path, extra_landing: Path, day: date) -> dict[str, Any]:
    """Deliver the extra tree as one day of files: `<dataset>/<day>/night-<folder>-<name>`.

    The generator's folder (its delivery date) goes into the name, so the night's files keep
    the generator's delivery order (a correction still sorts after what it corrects).
    """
    files = rows_bytes = 0
    for dataset in DATASETS:
        base = extra_landing / dataset
        if not base.is_dir():
            continue
        dest = landing / dataset / day.isoformat()
        dest.mkdir(parents=True, exist_ok=True)
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            flat = "-".join(path.relative_to(base).parts)
            _link(path, dest / f"night-{flat}")
            files += 1
            rows_bytes += path.stat().st_size
    return {"files": files, "bytes": rows_bytes}


def night_scale(scale: float) -> float:
    return scale * NIGHT_SHARE
