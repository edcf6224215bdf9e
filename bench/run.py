"""The benchmark: `python -m bench.run --scales 1 5 20 [--incremental] [--out bench/results]`.

Per scale: the sample landing tree (generated once, cached under `bench/work/`), a full run
of the Dagster job in-process against a fresh warehouse and publish folder (`bench.pipeline`),
the floor (`bench.floor`) and the GE-on-pandas baseline (`bench.baseline`) over the same
files, and with `--incremental` one more night (a new day of files, ~0.1% of the city, then
the next as-of) on top of that warehouse. Every measured thing is a child process of its own
(wall time, kernel peak RSS). Results: `<out>/scale-<S>--<UTC time>.json` per scale, and
`<out>/RESULTS.md` rebuilt from the newest result of every scale in `<out>`.
What each figure means is in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import machine, report
from bench.floor import landing_files
from bench.measure import GIB, REPO, ChildResult, child_env, run_child
from bench.samples import add_night, ensure_sample, link_tree, night_scale, sample_key

DEFAULT_SEED = 20261125
DEFAULT_AS_OF = date(2026, 11, 25)


@dataclass(frozen=True)
class Options:
    scales: list[float]
    out: Path
    work: Path
    seed: int
    as_of: date
    repeat: int
    incremental: bool
    baseline: bool
    profile_sql: bool
    baseline_rss_limit_gib: float


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", type=float, nargs="+", required=True, help="x 100,000 merchants, e.g. 1 5 20")
    p.add_argument("--incremental", action="store_true", help="also measure one incremental night per scale")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    p.add_argument("--work", type=Path, default=REPO / "bench" / "work", help="samples and runs (gitignored)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    p.add_argument(
        "--repeat", type=int, default=1, help="full runs and floors per scale; the median is reported"
    )
    p.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the GE-on-pandas baseline"
    )
    p.add_argument("--profile-sql", action="store_true", help="time every statement run through warehouse.db")
    p.add_argument(
        "--baseline-rss-limit-gib",
        type=float,
        default=16.0,
        help="stop the baseline if its RSS passes this (default 16)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    opts = Options(
        scales=a.scales,
        out=a.out.resolve(),
        work=a.work.resolve(),
        seed=a.seed,
        as_of=a.as_of,
        repeat=max(1, a.repeat),
        incremental=a.incremental,
        baseline=a.baseline,
        profile_sql=a.profile_sql,
        baseline_rss_limit_gib=a.baseline_rss_limit_gib,
    )
    opts.out.mkdir(parents=True, exist_ok=True)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    for scale in opts.scales:
        result = bench_scale(scale, opts)
        result["command"] = command
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = opts.out / f"scale-{scale:g}--{stamp}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        _say(f"scale {scale:g}: {report.one_line(result)} -> {path}")
        md = report.write_results_md(opts.out)  # after every scale: a long run shows progress
    _say(f"summary: {md}")
    return 0


def _say(text: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


def bench_scale(scale: float, opts: Options) -> dict[str, Any]:
    _say(f"scale {scale:g}: sample")
    landing, sample = ensure_sample(opts.work, scale, opts.seed, opts.as_of)
    code = machine.code_version()  # before the runs: what they import
    sample["landing"] = str(landing)
    warm_s = warm_cache(landing)
    run_dir = opts.work / "runs" / sample_key(scale, opts.seed, opts.as_of)
    runs: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    for i in range(opts.repeat):
        _say(f"scale {scale:g}: full run {i + 1}/{opts.repeat}")
        shutil.rmtree(run_dir, ignore_errors=True)
        link_tree(landing, run_dir / "landing")
        runs.append(pipeline_run(run_dir, opts.as_of, f"full-{i + 1}", opts.profile_sql))
        _say(f"scale {scale:g}: floor {i + 1}/{opts.repeat}")
        floors.append(floor_run(landing, run_dir / f"floor-{i + 1}.log"))
    result: dict[str, Any] = {
        "scale": scale,
        "seed": opts.seed,
        "as_of": opts.as_of.isoformat(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "code": code,
        "sample": sample,
        "cache_warm_s": warm_s,
        "full_runs": runs,
        "floors": floors,
    }
    if opts.baseline:
        _say(f"scale {scale:g}: baseline (GE on pandas)")
        result["baseline"] = baseline_run(run_dir, int(opts.baseline_rss_limit_gib * GIB))
    if opts.incremental:
        result["incremental"] = incremental_night(scale, opts, run_dir)
    result["summary"] = report.summarise(result)
    return result


def warm_cache(landing: Path) -> float:
    """Read every landing file once so the pipeline and the floor both start from page cache."""
    started = time.perf_counter()
    for path in landing_files(landing):
        with path.open("rb") as fh:
            while fh.read(16 * 1024 * 1024):
                pass
    return round(time.perf_counter() - started, 2)


def _child_record(child: ChildResult, load_before: dict[str, Any]) -> dict[str, Any]:
    return {
        "wall_s": child.wall_s,
        "cpu_s": child.cpu_s,
        "peak_rss_bytes": child.peak_rss_bytes,
        "returncode": child.returncode,
        "error": None if child.ok else child.failure(),
        "log": str(child.log_path),
        "load_before": load_before,
        "load_after": machine.load_now(),
    }


def pipeline_run(run_dir: Path, as_of: date, label: str, profile_sql: bool) -> dict[str, Any]:
    args = [
        "--landing",
        str(run_dir / "landing"),
        "--warehouse",
        str(run_dir / "warehouse.duckdb"),
        "--publish",
        str(run_dir / "publish"),
        "--reports",
        str(run_dir / "reports"),
        "--as-of",
        as_of.isoformat(),
    ]
    if profile_sql:
        args.append("--profile-sql")
    load = machine.load_now()
    child = run_child("bench.pipeline", args, run_dir / f"pipeline-{label}.log", env=child_env())
    return {
        "label": label,
        **_child_record(child, load),
        **(child.data or {}),
        "warehouse_bytes": warehouse_bytes(run_dir / "warehouse.duckdb"),
    }


def warehouse_bytes(path: Path) -> int:
    """The warehouse's size on disk after a run, write-ahead log included: what a night adds to
    it is a cost the operator pays every day, like its wall time."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + ".wal")) if p.exists())


def floor_run(landing: Path, log: Path) -> dict[str, Any]:
    load = machine.load_now()
    child = run_child("bench.floor", ["--landing", str(landing)], log, env=child_env())
    return {**_child_record(child, load), **(child.data or {})}


def baseline_run(run_dir: Path, rss_limit: int) -> dict[str, Any]:
    load = machine.load_now()
    child = run_child(
        "bench.baseline",
        ["--warehouse", str(run_dir / "warehouse.duckdb")],
        run_dir / "baseline.log",
        env=child_env(),
        rss_limit_bytes=rss_limit,
    )
    return {**_child_record(child, load), **(child.data or {})}


def incremental_night(scale: float, opts: Options, run_dir: Path) -> dict[str, Any]:
    """One more night on top of the full run's warehouse: a new day of files, the next as-of."""
    night = opts.as_of + timedelta(days=1)
    _say(f"scale {scale:g}: incremental night ({night})")
    extra, extra_info = ensure_sample(opts.work, night_scale(scale), opts.seed + 1, night)
    delivered = add_night(run_dir / "landing", extra, night)
    run = pipeline_run(run_dir, night, "night", opts.profile_sql)
    return {"as_of": night.isoformat(), "delivery": {**delivered, "sample": extra_info}, **run}


if __name__ == "__main__":
    sys.exit(main())
