"""The benchmark harness (bench/) runs end to end at a tiny scale and writes its results.

Not a timing test: nothing here compares a time with a limit. It checks that every measured
thing ran in its own process and was recorded (the Dagster run with its four stages, the
floor, the GE-on-pandas baseline, the incremental night) and that RESULTS.md shows them, so
the harness cannot rot unnoticed between benchmark runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from bench import run
from bench.floor import landing_files
from bench.samples import add_night, link_tree
from data_contracts import INCOMING_DATASETS

SCALE = 0.002  # 200 merchants: fixed costs (imports, Dagster, GE) dominate, as they should here


def test_the_harness_measures_every_stage_and_writes_json_and_markdown(tmp_path: Path) -> None:
    out, work = tmp_path / "results", tmp_path / "work"
    assert run.main(["--scales", str(SCALE), "--incremental", "--out", str(out), "--work", str(work)]) == 0

    (result_file,) = out.glob(f"scale-{SCALE:g}--*.json")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    (full,) = result["full_runs"]
    assert full["error"] is None and full["returncode"] == 0
    assert full["peak_rss_bytes"] > 50 * 2**20  # the kernel's figure for a process that imported Dagster
    for stage in ("ingest", "validate"):  # these run whatever later steps do
        assert full["stages"][stage]["seconds"] > 0
        assert full["stages"][stage]["rows"] > 0
    if full["success"]:
        assert set(full["stages"]) >= {"ingest", "validate", "tiers", "publish"}
    steps = {s["step"]: s for s in full["steps"]}
    assert {f"raw_{ds}" for ds in INCOMING_DATASETS} <= set(steps)
    assert all(s["group"] in ("ingest", "validate", "credit", "publish") for s in steps.values())

    (floor,) = result["floors"]
    assert floor["error"] is None
    assert floor["files"] == len(landing_files(Path(result["sample"]["landing"])))
    assert floor["rows"] >= full["stages"]["ingest"]["rows"]  # duplicate files are parsed by the floor only

    baseline = result["baseline"]
    assert baseline["error"] is None
    assert set(baseline["datasets"]) == set(INCOMING_DATASETS)
    assert all(d["expectations"] > 0 and d["rows"] > 0 for d in baseline["datasets"].values())

    night = result["incremental"]
    assert night["as_of"] == "2026-11-26" and night["delivery"]["files"] > 0
    assert night["error"] is None and night["stages"]["ingest"]["rows"] > 0
    # the warehouse file as the run left it: the night adds its files and one more evaluation
    assert 0 < full["warehouse_bytes"] < night["warehouse_bytes"]

    summary = result["summary"]
    assert summary["total_s"] == full["wall_s"] and summary["floor_s"] == floor["wall_s"]
    assert summary["total_over_floor"] == full["wall_s"] / floor["wall_s"]

    md = (out / "RESULTS.md").read_text(encoding="utf-8")
    assert f"| {SCALE:g} | {round(SCALE * 100_000):,} |" in md
    assert "## Incremental night" in md and "## Baseline (GE on pandas) by dataset" in md
    assert f"| {full['warehouse_bytes'] / 2**30:.2f} | {night['warehouse_bytes'] / 2**30:.2f} |" in md
    assert result["machine"]["cpu"] in md


def test_a_night_is_delivered_as_one_dated_folder_of_links_that_keeps_delivery_order(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    for rel in (
        "permits/2026-01-02/batch-001.csv",
        "permits/2026-03-04/correction-01.csv",
        "repairs/2025-12-31/a.jsonl",
    ):
        (extra / rel).parent.mkdir(parents=True, exist_ok=True)
        (extra / rel).write_text(rel, encoding="utf-8")
    landing = tmp_path / "landing"
    assert link_tree(extra, landing / "copy") == 3  # a mirror of hard links

    delivered = add_night(landing, extra, date(2026, 11, 26))
    assert delivered["files"] == 3
    night = sorted(p.relative_to(landing).as_posix() for p in landing.glob("*/2026-11-26/*"))
    assert night == [
        "permits/2026-11-26/night-2026-01-02-batch-001.csv",
        "permits/2026-11-26/night-2026-03-04-correction-01.csv",
        "repairs/2026-11-26/night-2025-12-31-a.jsonl",
    ]
    linked = landing / "permits/2026-11-26/night-2026-01-02-batch-001.csv"
    assert (
        not linked.is_symlink()
        and linked.stat().st_ino == (extra / "permits/2026-01-02/batch-001.csv").stat().st_ino
    )


def test_ingest_validate_prints_validation_and_the_floor_under_it(small_city: Path, tmp_path: Path) -> None:
    """Issue 3's and issue 7's yardstick (`python -m bench.ingest_validate`) runs on a small city
    and prints every part it measures, the floor being the sum of the three it names."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.ingest_validate", str(small_city), str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    seconds = {
        label: float(re.search(rf"{re.escape(label)}[^:]*: ([0-9.]+) s", proc.stdout).group(1))
        for label in (
            "the Great Expectations gates alone",
            "the contracts' typed projection alone",
            "the USCC check character alone",
            "plain copy of the validated tables",
            "a floor under validate",
        )
    }
    parts = (
        "the Great Expectations gates alone",
        "the contracts' typed projection alone",
        "plain copy of the validated tables",
    )
    assert abs(seconds["a floor under validate"] - sum(seconds[p] for p in parts)) < 0.2, proc.stdout
    for ds in INCOMING_DATASETS:
        assert re.search(
            rf"validate {ds}: [1-9][0-9]* staged, [0-9]+ quarantined, [1-9][0-9]* promoted", proc.stdout
        )
