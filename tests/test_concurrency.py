"""Concurrency: runs that start together on one warehouse queue, and count every row once.

The warehouse is a single DuckDB file with one writer. A sensor run and a manual run, or the
partitions of a backfill, start as separate processes at the same moment; whatever the
interleaving, each must complete (exit 0, no lock error), no raw row may be ingested twice, no
file validated twice, and every release that appears must be complete, with latest.json on the
newest evaluation date.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from test_faults import (
    AS_OF,
    assert_books,
    assert_everything_once,
    finish,
    latest_of,
    start_cli,
    tiny_landing,
)

from warehouse import release
from warehouse.db import WarehouseBusy, connect, exclusive_run
from warehouse.reconcile import release_dir_problems


def _trees(tmp_path: Path) -> tuple[Path, Path, Path]:
    return tmp_path / "landing", tmp_path / "wh" / "w.duckdb", tmp_path / "publish"


def test_runs_started_at_once_for_one_date_and_for_a_backfill_all_complete_and_count_every_row_once(
    tmp_path: Path,
) -> None:
    """Three processes at the same moment: a sensor run and a manual run for T, and the run of a
    backfill for T-1 (each further backfill partition is one more such process)."""
    landing, warehouse, publish = _trees(tmp_path)
    delivered = tiny_landing(landing, batch="2026-11-01")
    dates = [AS_OF, AS_OF, AS_OF - timedelta(days=1)]

    runs = [start_cli(tmp_path, landing, warehouse, publish, as_of=d) for d in dates]
    outcomes = [finish(p) for p in runs]

    for code, log in outcomes:
        assert code == 0, log
        assert "Could not set lock" not in log and "WarehouseBusy" not in log, log
    assert_everything_once(warehouse, delivered, {"penalties": 1})
    with connect(warehouse) as con:
        runs_per_file = con.execute(
            "SELECT max(n) FROM (SELECT count(DISTINCT run_id) AS n FROM ingest_files GROUP BY dataset, sha256)"
        ).fetchone()[0]
        evaluated = dict(con.execute("SELECT as_of, count(*) FROM merchant_credit GROUP BY as_of").fetchall())
        repeated = con.execute(
            "SELECT count(*) FROM (SELECT as_of, uscc FROM merchant_credit GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
    assert runs_per_file == 1  # each file was taken by one run, never by two
    assert set(evaluated) == set(dates) and len(set(evaluated.values())) == 1
    assert repeated == 0
    ids = release.release_ids(publish)
    assert sorted(release.RELEASE_ID.match(r).group(1) for r in ids) == sorted(d.isoformat() for d in dates)
    for rid in ids:  # one release per run, each whole
        assert release_dir_problems(publish / "releases" / rid) == []
    assert latest_of(publish)["as_of"] == AS_OF.isoformat()  # a backfill never moves it back in time
    assert_books(warehouse, publish)


HOLD_RUN = r"""
import sys, time
from warehouse.db import exclusive_run

with exclusive_run(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_the_run_lock_queues_a_second_run_and_names_the_first(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN, str(warehouse), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with (
            pytest.raises(WarehouseBusy, match=rf"held for a whole run.*pid {holder.pid}"),
            exclusive_run(warehouse, timeout_s=0.5),
        ):
            pass
        with connect(warehouse, timeout_s=5) as con:  # single connections are not blocked by a run
            assert con.execute("SELECT 1").fetchone() == (1,)
    finally:
        holder.kill()
        holder.wait()
    with exclusive_run(warehouse, timeout_s=30):  # the holder died: its lock went with it
        pass
