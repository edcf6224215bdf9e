"""Fault injection: the pipeline killed, starved of disk, fed files that move, or locked out.

Each fault is injected into a real run of the asset graph (`credit-lists run`, or a driver
that runs the same CLI with one function made to die on SIGKILL), on a tiny hand-made landing
tree. After each fault the warehouse and the publish folder must still agree with themselves
(`warehouse.reconcile`: rows_read = rows_accepted + rows_quarantined for every file, quarantine
rows per file as counted, no (sha256, row number) twice in a raw table, no file taken twice,
validated rows only from validated files, latest.json naming a complete release whose manifest
hashes match), and a plain rerun must complete with every delivered row accounted for once.

The helpers here (tiny landing tree, CLI runs, the books check) serve the concurrency and
operator-surface suites too.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import (
    bad_check_uscc,
    point_in_process_run,
    valid_record,
    write_csv,
    write_jsonl,
    write_records,
    write_xlsx,
)

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import db, release
from warehouse.db import WarehouseBusy, connect
from warehouse.ingest import ensure_schema, ingest_dataset
from warehouse.reconcile import reconcile, release_dir_problems

AS_OF = date(2026, 11, 25)
CLI = Path(sys.executable).with_name("credit-lists")
ROWS_PER_FILE = 5

# The same CLI, with one named point made to die on SIGKILL (argv: stop, then the CLI's own).
DRIVER = r"""
import os, signal, sys

stop, argv = sys.argv[1], sys.argv[2:]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def die_after(module, name, when=lambda *a, **k: True, nth=1):
    original = getattr(module, name)
    calls = []

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if when(*args, **kwargs):
            calls.append(1)
            if len(calls) == nth:
                die()
        return result

    setattr(module, name, wrapper)


import warehouse.credit, warehouse.ingest, warehouse.release, warehouse.validate

if stop == "ingest:second_file_before_commit":
    # the raw rows of the second file are inserted, its transaction not yet committed
    die_after(warehouse.ingest, "_insert_raw", nth=2)
elif stop == "ingest:second_file_after_commit":
    # two files committed, neither checkpointed yet (there is no write-ahead log to keep them)
    die_after(warehouse.ingest, "_keep", nth=2)
elif stop == "stage:before_commit":
    die_after(warehouse.validate, "run_sql", lambda con, name, *a: name == "validate/quarantine_rules")
elif stop == "promote:before_commit":
    die_after(warehouse.validate, "run_sql", lambda con, name, *a: name == "validate/mark_validated")
elif stop == "credit:before_commit":
    die_after(warehouse.credit, "run_sql", lambda con, name, *a: name == "credit/merchant_credit")
elif stop == "publish:second_parquet_file":
    import pyarrow.parquet as pq

    close, closed = pq.ParquetWriter.close, []

    def dying_close(self, *args, **kwargs):
        closed.append(1)
        if len(closed) == 2:
            die()  # the second file has row groups on disk and no footer
        return close(self, *args, **kwargs)

    pq.ParquetWriter.close = dying_close
elif stop == "publish:after_move_into_releases":
    die_after(warehouse.release, "move_into_releases")
elif stop == "publish:inside_latest_swap":
    replace = os.replace

    def dying_replace(src, dst, *args, **kwargs):
        if str(dst).endswith("latest.json"):
            die()  # the new latest.json is written and fsynced under its temporary name
        return replace(src, dst, *args, **kwargs)

    os.replace = dying_replace
elif stop == "publish:disk_full":
    # without a tmpfs: every write of a release candidate's files fails as on a full disk
    import errno

    import pyarrow.parquet as pq

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    pq.ParquetWriter.write_batch = no_space
    pq.ParquetWriter.write_table = no_space
    warehouse.release._write_file = no_space
else:
    raise SystemExit(f"unknown stop {stop}")

from pipelines.cli import main

sys.exit(main(argv))
"""


# ---------------------------------------------------------------------------------------------
# helpers shared with test_concurrency.py and test_operator_surface.py


def tiny_landing(
    root: Path, batch: str = "2026-11-20", first: int = 1, bad_penalty: bool = True
) -> dict[str, int]:
    """Two small CSV deliveries per dataset (and one penalty row failing its USCC check);
    returns the rows delivered per dataset."""
    delivered: dict[str, int] = {}
    for ds in INCOMING_DATASETS:
        for k in range(2):
            start = first + k * ROWS_PER_FILE
            records = [valid_record(ds, n) for n in range(start, start + ROWS_PER_FILE)]
            write_records(root / ds / batch / f"part-{k + 1}.csv", ds, records)
        delivered[ds] = 2 * ROWS_PER_FILE
    if bad_penalty:
        bad = valid_record("penalties", first + 900)
        bad["party_uscc"] = bad_check_uscc(bad["party_uscc"])
        write_records(root / "penalties" / batch / "with-bad-row.csv", "penalties", [bad])
        delivered["penalties"] += 1
    return delivered


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(
        GX_ANALYTICS_ENABLED="False",
        CREDIT_REPORTS_DIR=str(tmp / "reports"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run_args(landing: Path, warehouse: Path, publish: Path, as_of: date = AS_OF) -> list[str]:
    return [
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--publish",
        str(publish),
        "--as-of",
        as_of.isoformat(),
    ]


def start_cli(
    tmp: Path,
    landing: Path,
    warehouse: Path,
    publish: Path,
    as_of: date = AS_OF,
    stop: str | None = None,
    **env,
) -> subprocess.Popen:
    """`credit-lists run` in a process of its own (through the driver when a stop is named)."""
    args = run_args(landing, warehouse, publish, as_of)
    command = [str(CLI), *args] if stop is None else [sys.executable, "-c", DRIVER, stop, *args]
    return subprocess.Popen(
        command,
        env=cli_env(tmp, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp,
    )


def finish(proc: subprocess.Popen, timeout: float = 420) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err[-4000:]


def run_cli(
    tmp: Path,
    landing: Path,
    warehouse: Path,
    publish: Path,
    as_of: date = AS_OF,
    stop: str | None = None,
    **env,
):
    return finish(start_cli(tmp, landing, warehouse, publish, as_of, stop, **env))


def assert_books(warehouse: Path, publish: Path, release_id: str | None = None) -> None:
    """The reconciliation of the warehouse and the publish folder finds nothing wrong."""
    with connect(warehouse, timeout_s=120) as con:
        problems = reconcile(con, publish, release_id)
    assert problems == [], "\n".join(str(p) for p in problems)


def counts(warehouse: Path) -> dict[str, dict[str, int]]:
    """Per dataset: rows in the raw table (`raw`), in the validated table (`validated`), and
    files by status (`files:<status>`)."""
    out: dict[str, dict[str, int]] = {}
    with connect(warehouse, timeout_s=120) as con:
        for ds in INCOMING_DATASETS:
            row: dict[str, int] = {}
            for label, table in (("raw", f"raw_{ds}"), ("validated", ds)):
                row[label] = (
                    con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    if db.table_exists(con, table)
                    else 0
                )
            if db.table_exists(con, "ingest_files"):
                for status, n in con.execute(
                    "SELECT status, count(*) FROM ingest_files WHERE dataset = $d GROUP BY status", {"d": ds}
                ).fetchall():
                    row[f"files:{status}"] = n
            out[ds] = row
    return out


def latest_of(publish: Path) -> dict | None:
    return release.read_latest(publish)


def assert_everything_once(warehouse: Path, delivered: dict[str, int], bad_rows: dict[str, int]) -> None:
    """Every delivered row is in its raw table exactly once and, unless bad, validated once."""
    got = counts(warehouse)
    for ds, n in delivered.items():
        assert got[ds]["raw"] == n, (ds, got[ds])
        assert got[ds]["validated"] == n - bad_rows.get(ds, 0), (ds, got[ds])
        # every file went through: none still pending, held or refused
        assert set(got[ds]) == {"raw", "validated", "files:validated"}, (ds, got[ds])


# ---------------------------------------------------------------------------------------------
# SIGKILL in the warehouse stages and during publication, one after another on one warehouse

# Inside the transactions that write the warehouse: raw rows, the validated table, the credit tables.
# (stage:before_commit and publish:second_parquet_file are in DRIVER too; every publication step
# is killed at the release module's level in test_release_atomic.py.)
WAREHOUSE_STOPS = [
    "ingest:second_file_before_commit",
    "ingest:second_file_after_commit",
    "promote:before_commit",
    "credit:before_commit",
]
# The two points where a complete release exists and latest.json still names the previous one.
PUBLISH_STOPS = ["publish:after_move_into_releases", "publish:inside_latest_swap"]


def test_sigkill_in_each_stage_then_reruns_account_for_every_row_once(tmp_path: Path) -> None:
    landing, warehouse, publish = tmp_path / "landing", tmp_path / "wh" / "w.duckdb", tmp_path / "publish"
    delivered = tiny_landing(landing)
    for stop in WAREHOUSE_STOPS:
        code, log = run_cli(tmp_path, landing, warehouse, publish, stop=stop)
        assert code == -signal.SIGKILL, (stop, code, log)
        # the warehouse opens (DuckDB drops the dead process's open transaction) and agrees
        assert_books(warehouse, publish)
        assert latest_of(publish) is None, stop  # nothing was published by a dead run
        got = counts(warehouse)
        for ds in INCOMING_DATASETS:
            assert got[ds]["raw"] <= delivered[ds], (stop, ds, got[ds])
    code, log = run_cli(tmp_path, landing, warehouse, publish)
    assert code == 0, log
    first = latest_of(publish)
    assert first is not None and first["as_of"] == AS_OF.isoformat()
    assert_books(warehouse, publish, first["release_id"])
    assert_everything_once(warehouse, delivered, {"penalties": 1})

    for stop in PUBLISH_STOPS:
        code, log = run_cli(tmp_path, landing, warehouse, publish, stop=stop)
        assert code == -signal.SIGKILL, (stop, code, log)
        assert latest_of(publish) == first, stop  # readers still get the first release, whole
        assert_books(warehouse, publish)
        for rid in release.release_ids(publish):  # nothing half-made ever sits under releases/
            assert release_dir_problems(publish / "releases" / rid) == [], (stop, rid)
    assert len(release.release_ids(publish)) == 1 + len(PUBLISH_STOPS)  # renamed whole, not announced

    code, log = run_cli(tmp_path, landing, warehouse, publish)
    assert code == 0, log
    latest = latest_of(publish)
    assert latest["release"] != first["release"]
    assert_books(warehouse, publish, latest["release_id"])
    assert_everything_once(warehouse, delivered, {"penalties": 1})
    with connect(warehouse) as con:
        assert (
            con.execute("SELECT count(*) FROM merchant_credit WHERE as_of = $t", {"t": AS_OF}).fetchone()[0]
            > 0
        )


# ---------------------------------------------------------------------------------------------
# a full disk under the publish folder


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A publish folder on a 1 MiB tmpfs (root), else on a disk whose every publication write
    fails with ENOSPC through a driver; `fill()` fills it, `free()` frees it."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount_point)],
            capture_output=True,
        ).returncode
        == 0
    )
    filler = mount_point / "filler.bin"
    state = {"publish": mount_point / "publish", "mounted": mounted, "stop": None}

    def fill() -> None:
        if not mounted:
            state["stop"] = "publish:disk_full"
            return
        st = os.statvfs(mount_point)
        with filler.open("wb") as fh:
            try:
                fh.write(b"\0" * max(st.f_bavail * st.f_frsize - 12 * 1024, 0))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def free() -> None:
        state["stop"] = None
        filler.unlink(missing_ok=True)

    state["fill"], state["free"] = fill, free
    try:
        yield state
    finally:
        if mounted and subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_full_disk_under_the_publish_folder_fails_the_run_and_publishes_nothing(
    tmp_path: Path, full_disk: dict
) -> None:
    landing, warehouse, publish = tmp_path / "landing", tmp_path / "wh" / "w.duckdb", full_disk["publish"]
    delivered = tiny_landing(landing)
    full_disk["fill"]()

    code, log = run_cli(tmp_path, landing, warehouse, publish, stop=full_disk["stop"])

    assert code == 1, log
    assert "No space left on device" in log, log
    assert latest_of(publish) is None
    assert release.release_ids(publish) == []
    assert_books(warehouse, publish)  # the warehouse stages committed; the books agree
    full_disk["free"]()
    code, log = run_cli(tmp_path, landing, warehouse, publish)
    assert code == 0, log
    latest = latest_of(publish)
    assert_books(warehouse, publish, latest["release_id"])
    assert_everything_once(warehouse, delivered, {"penalties": 1})
    assert release.release_ids(publish) == [latest["release_id"]]  # the failed candidates are gone
    assert [p.name for p in (publish / ".staging").iterdir()] == []


def test_a_full_temp_disk_while_reading_fails_the_step_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GB18030 file is transcoded into a temp file: with no space there, the file is not
    refused for ever (its bytes would then be known); the ingest fails and reads it next run."""
    import warehouse.readers as readers

    landing = tmp_path / "landing"
    rec = valid_record("penalties", 1)
    write_records(landing / "penalties" / "a-gbk.csv", "penalties", [rec], encoding="gb18030")
    write_records(landing / "penalties" / "b.csv", "penalties", [valid_record("penalties", 2)])
    with connect(tmp_path / "w.duckdb") as con:
        ensure_schema(con, INCOMING_DATASETS)
        with monkeypatch.context() as m:
            m.setattr(readers, "transcode_to_utf8", _enospc)
            with pytest.raises(OSError, match="No space left"):
                ingest_dataset(con, landing, "penalties", "run-1", AS_OF)
        assert con.execute("SELECT count(*) FROM ingest_files").fetchone()[0] == 0
        summary = ingest_dataset(con, landing, "penalties", "run-2", AS_OF)
        assert summary.files_ingested == 2
        assert sorted(
            r[0] for r in con.execute("SELECT decision_doc_no FROM raw_penalties").fetchall()
        ) == sorted([rec["decision_doc_no"], valid_record("penalties", 2)["decision_doc_no"]])


# ---------------------------------------------------------------------------------------------
# landing files that are cut short, still growing, or replaced while a run reads them


def test_truncated_growing_and_replaced_landing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warehouse.ingest as ingest_module
    from pipelines.run import run_partition

    landing, warehouse, publish = tmp_path / "landing", tmp_path / "wh" / "w.duckdb", tmp_path / "publish"
    tiny_landing(landing, bad_penalty=False)
    point_in_process_run(monkeypatch, landing, warehouse, publish, tmp_path / "reports")
    pen = landing / "penalties" / "2026-11-21"
    fields = list(valid_record("penalties", 1))
    header = [incoming_contract("penalties").field(f).business_name for f in fields]

    def rows(*ns: int) -> list[list[str]]:
        return [[valid_record("penalties", n)[f] for f in fields] for n in ns]

    # cut short by the uploader's crash: a CSV and a JSONL missing their last half line, an XLSX
    # missing its end (its zip directory)
    cut_csv = write_csv(pen / "cut.csv", header, rows(101, 102, 103))
    cut_csv.write_bytes(cut_csv.read_bytes()[:-40])
    cut_jsonl = write_jsonl(pen / "cut.jsonl", [dict(zip(header, r, strict=True)) for r in rows(111, 112)])
    cut_jsonl.write_bytes(cut_jsonl.read_bytes()[:-3])  # before the closing `"}` of its last line
    cut_in_char = write_csv(pen / "cut-in-a-character.csv", header, rows(161, 162))
    cut_in_char.write_bytes(cut_in_char.read_bytes()[:-2])  # the last byte of 正常 and the line end
    cut_xlsx = write_xlsx(pen / "cut.xlsx", header, rows(121, 122))
    cut_xlsx.write_bytes(cut_xlsx.read_bytes()[: cut_xlsx.stat().st_size // 2])
    # changed while the run reads them
    write_csv(pen / "growing.csv", header, rows(131, 132))
    write_csv(pen / "replaced.csv", header, rows(141, 142))
    write_csv(pen / "shrinking.csv", header, rows(151, 152, 153))
    real_read, real_records = ingest_module.read_file, ingest_module.csv_records

    def read_while_others_write(con, path, *rest):
        result = real_read(con, path, *rest)
        others_write(path)
        return result

    @contextmanager
    def records_while_others_write(con, path, *rest):  # the direct path of a plain CSV
        with real_records(con, path, *rest) as records:
            yield records
        others_write(path)

    def others_write(path: Path) -> None:
        if path.name == "growing.csv":
            with path.open("a", encoding="utf-8") as fh:  # the upload goes on
                fh.write(",".join(rows(133)[0]) + "\n")
        elif path.name == "replaced.csv":  # a new version renamed over the old one
            new = write_csv(path.with_name(".replaced.tmp"), header, rows(143, 144, 145))
            os.replace(new, path)
        elif path.name == "shrinking.csv":  # rewritten in place, shorter: its first record only
            with path.open("r+b") as fh:
                fh.truncate(len(b"".join(path.read_bytes().splitlines(keepends=True)[:2])))

    with monkeypatch.context() as m:
        m.setattr(ingest_module, "read_file", read_while_others_write)
        m.setattr(ingest_module, "csv_records", records_while_others_write)
        outcome = run_partition(AS_OF)
    assert outcome.success, outcome.reason
    assert_books(warehouse, publish)
    with connect(warehouse) as con:
        first = {
            p: (s, r)
            for p, s, r in con.execute(
                "SELECT path, status, reason FROM ingest_files WHERE dataset = 'penalties' AND path LIKE '%11-21%'"
            ).fetchall()
        }
    # files that changed under the reader are neither ingested nor refused: they wait
    assert not {"growing.csv", "replaced.csv", "shrinking.csv"} & {Path(p).name for p in first}
    assert first["penalties/2026-11-21/cut.xlsx"][0] == "refused"
    assert "zip" in first["penalties/2026-11-21/cut.xlsx"][1].lower()
    assert (
        first["penalties/2026-11-21/cut.csv"][0] == first["penalties/2026-11-21/cut.jsonl"][0] == "validated"
    )
    assert first["penalties/2026-11-21/cut-in-a-character.csv"][0] == "refused"
    assert "cut short" in first["penalties/2026-11-21/cut-in-a-character.csv"][1]

    # the complete versions arrive; the next run takes every file in its final state, once
    write_xlsx(cut_xlsx, header, rows(121, 122))
    assert run_partition(AS_OF).success
    assert_books(warehouse, publish, latest_of(publish)["release_id"])
    with connect(warehouse) as con:
        docs = sorted(
            r[0]
            for r in con.execute(
                "SELECT decision_doc_no FROM raw_penalties WHERE _path LIKE '%11-21%' AND decision_doc_no IS NOT NULL"
            ).fetchall()
        )
        quarantined = con.execute(
            "SELECT path, list_sort(list(row_number)) FROM quarantine_rows WHERE path LIKE '%11-21%' GROUP BY path"
        ).fetchall()
    expected = [
        valid_record("penalties", n)["decision_doc_no"]
        for n in (101, 102, 111, 121, 122, 131, 132, 133, 143, 144, 145, 151)
    ]
    assert docs == sorted(expected)
    # the cut last records are quarantined (nothing read is lost), never taken as data
    assert dict(quarantined) == {"penalties/2026-11-21/cut.csv": [3], "penalties/2026-11-21/cut.jsonl": [2]}


# ---------------------------------------------------------------------------------------------
# the warehouse held by another process


HOLD_DUCKDB = r"""
import sys, time
from pathlib import Path
import duckdb

warehouse, waiter_marker, linger = sys.argv[1], sys.argv[2], float(sys.argv[3])
con = duckdb.connect(warehouse)  # DuckDB's own lock only, as a duckdb shell or a notebook holds it
print("holding", flush=True)
deadline = time.monotonic() + 300
# hold until the waiter has taken the warehouse lock and is waiting on DuckDB's, then a little more
while waiter_marker and time.monotonic() < deadline:
    lock = Path(warehouse + ".lock")
    if lock.exists() and lock.read_text().startswith("pid ") and lock.read_text() != "":
        break
    time.sleep(0.05)
time.sleep(linger)
con.close()
"""


def _hold_duckdb(warehouse: Path, wait_for_waiter: bool, linger: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(warehouse), "1" if wait_for_waiter else "", str(linger)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_run_waits_while_another_program_has_the_warehouse_open(tmp_path: Path) -> None:
    landing, warehouse, publish = tmp_path / "landing", tmp_path / "wh" / "w.duckdb", tmp_path / "publish"
    delivered = tiny_landing(landing)
    warehouse.parent.mkdir(parents=True)
    (warehouse.parent / "w.duckdb.lock").unlink(missing_ok=True)
    holder = _hold_duckdb(warehouse, wait_for_waiter=True, linger=2.0)
    try:
        code, log = run_cli(tmp_path, landing, warehouse, publish)
    finally:
        holder.wait(timeout=300)
    assert holder.returncode == 0
    assert code == 0, log
    latest = latest_of(publish)
    assert_books(warehouse, publish, latest["release_id"])
    assert_everything_once(warehouse, delivered, {"penalties": 1})


def test_connect_gives_up_with_a_clear_message_when_the_warehouse_stays_held(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = _hold_duckdb(warehouse, wait_for_waiter=False, linger=60)
    try:
        with pytest.raises(WarehouseBusy) as raised, connect(warehouse, timeout_s=1.0):
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert str(warehouse) in message and "another process" in message
    assert f"PID {holder.pid}" in message  # DuckDB names the holder
    with connect(warehouse, timeout_s=30) as con:  # released: usable again, intact
        assert con.execute("SELECT 42").fetchone() == (42,)


HOLD_OUR_LOCK = r"""
import sys, time
from warehouse.db import connect

with connect(sys.argv[1]) as con:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_opener_waits_for_the_warehouse_lock_and_names_its_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OUR_LOCK, str(warehouse), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with (
            pytest.raises(WarehouseBusy, match=rf"still in use by pid {holder.pid}"),
            connect(warehouse, timeout_s=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with connect(warehouse, timeout_s=30) as con:  # the holder is gone: the lock is free again
        assert con.execute("SELECT 1").fetchone() == (1,)


# ---------------------------------------------------------------------------------------------
# the warehouse is written without a write-ahead log (warehouse.db._open_duckdb)

LEAVE_A_WAL = r"""
import os, sys
import duckdb

con = duckdb.connect(sys.argv[1])  # DuckDB's defaults, as an older version of the project wrote
con.execute("CREATE TABLE t AS SELECT 1 AS i")
con.execute("CHECKPOINT")
con.execute("INSERT INTO t VALUES (2)")  # committed: in the write-ahead log only
os._exit(0)  # no close, so no checkpoint
"""


def test_a_write_ahead_log_left_behind_is_replayed_when_the_warehouse_opens(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    subprocess.run([sys.executable, "-c", LEAVE_A_WAL, str(warehouse)], check=True)
    assert warehouse.with_name("w.duckdb.wal").exists()
    with connect(warehouse) as con:
        assert con.execute("SELECT list(i ORDER BY i) FROM t").fetchone() == ([1, 2],)
        con.execute("INSERT INTO t VALUES (3)")
    assert not warehouse.with_name("w.duckdb.wal").exists()  # the replayed log is checkpointed away
    with duckdb.connect(str(warehouse)) as plain:
        assert plain.execute("SELECT list(i ORDER BY i) FROM t").fetchone() == ([1, 2, 3],)


def test_a_commit_writes_no_write_ahead_log(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS i")
        con.execute("INSERT INTO t VALUES (2)")
        assert not warehouse.with_name("w.duckdb.wal").exists()  # kept by the block's checkpoint
    with duckdb.connect(str(warehouse)) as plain:
        assert plain.execute("SELECT list(i ORDER BY i) FROM t").fetchone() == ([1, 2],)


CHECKPOINT_ON_A_FULL_DISK = r"""
import os, resource, signal, sys
from warehouse.db import connect

path = sys.argv[1]
with connect(path) as con:
    con.execute("CREATE TABLE kept AS SELECT 1 AS i")
# the file may grow by 256 KiB more: the next checkpoint cannot write what follows
limit = os.path.getsize(path) + 256 * 1024
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    with connect(path) as con:
        con.execute(
            "CREATE TABLE lost AS SELECT md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS s FROM range(60000)"
        )
        print("committed", flush=True)
except Exception as exc:
    print("raised", type(exc).__name__, exc)
else:
    print("no error")
"""


def test_a_checkpoint_that_cannot_be_written_fails_the_block_that_committed(tmp_path: Path) -> None:
    """Without a log a commit is kept by the next checkpoint: `connect` takes one as its block
    ends, so a step whose writes cannot reach the disk fails instead of losing them on close."""
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-c", CHECKPOINT_ON_A_FULL_DISK, str(warehouse)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "committed", proc.stdout
    outcome = proc.stdout.splitlines()[1]
    assert outcome.startswith(f"raised CheckpointFailed warehouse {warehouse}: what this step committed"), (
        outcome
    )
    assert "File too large" in outcome and "run the step again" in outcome, outcome
    # the file is as of its last checkpoint: the earlier block's table, not the failed one's
    with connect(warehouse) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {"kept"}
        con.execute("CREATE TABLE lost AS SELECT 1 AS s")  # with room again, the step's rerun works


def test_a_block_that_ends_inside_a_transaction_keeps_its_commits_and_fails(tmp_path: Path) -> None:
    """DuckDB refuses to checkpoint an open transaction, and without a log the commits before it
    would then be lost on close: the open transaction is rolled back, the commits checkpointed,
    and the step fails naming the bug instead of blaming the disk."""
    warehouse = tmp_path / "w.duckdb"
    left_open = pytest.raises(db.TransactionLeftOpen, match="ended inside a transaction it had not committed")
    with left_open, connect(warehouse) as con:
        con.execute("CREATE TABLE committed AS SELECT 1 AS i")
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE uncommitted AS SELECT 2 AS i")
    with connect(warehouse) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"committed"}


SPILL_FROM_A_READ_ONLY_DIRECTORY = r"""
import os, sys
from warehouse.db import connect

os.chdir("/proc")  # a working directory nobody can write into
with connect(sys.argv[1]) as con:
    con.execute("SET threads = 1")
    con.execute("SET memory_limit = '64MB'")
    con.execute("CREATE TABLE sorted AS SELECT md5(range::VARCHAR) AS s FROM range(2000000) ORDER BY s")
    print(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
"""


def test_a_query_larger_than_memory_spills_next_to_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.run(
        [sys.executable, "-c", SPILL_FROM_A_READ_ONLY_DIRECTORY, str(warehouse)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"{warehouse}.tmp"
    with connect(warehouse) as con:
        assert con.execute("SELECT count(*) FROM sorted").fetchone() == (2_000_000,)


def test_a_slow_query_draws_no_progress_bar_on_standard_output(tmp_path: Path) -> None:
    """DuckDB's client draws a bar for a query that runs over two seconds, so whether one
    appeared in `credit-lists run`'s summary (and in the spill test's output) depended on load."""
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_a_warehouse_this_process_still_holds_is_named_not_waited_for(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    notebook = duckdb.connect(str(warehouse))  # e.g. an analyst's connection in the same process
    try:
        with (
            pytest.raises(WarehouseBusy, match="still open in this process"),
            connect(warehouse, timeout_s=30),
        ):
            pass
    finally:
        notebook.close()
    with connect(warehouse, timeout_s=30) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)


# ---------------------------------------------------------------------------------------------
# the reconciliation names what is broken

CORRUPTIONS = {
    "a file's counts no longer add up": (
        "UPDATE ingest_files SET rows_accepted = rows_accepted - 1 WHERE path = 'permits/2026-11-20/part-1.csv'",
        {"file_accounting", "validated_count"},
        "permits/2026-11-20/part-1.csv",
    ),
    "a quarantined row went missing": (
        "DELETE FROM quarantine_rows WHERE path = 'penalties/2026-11-20/with-bad-row.csv'",
        {"quarantine_count"},
        "penalties/2026-11-20/with-bad-row.csv",
    ),
    "a raw row was ingested twice": (
        "INSERT INTO raw_repairs SELECT * FROM raw_repairs WHERE _path = 'repairs/2026-11-20/part-2.csv' LIMIT 1",
        {"raw_row_twice", "raw_rows_lost"},
        "repairs/2026-11-20/part-2.csv",
    ),
    "a file's raw rows again under another file_seq": (
        "INSERT INTO raw_repairs SELECT * REPLACE (_file_seq + 1000 AS _file_seq) FROM raw_repairs "
        "WHERE _path = 'repairs/2026-11-20/part-2.csv'",
        {"raw_row_twice", "raw_row_of_no_file"},
        "repairs/2026-11-20/part-2.csv",
    ),
    "raw rows without their sha256": (
        "UPDATE raw_repairs SET _file_sha256 = NULL WHERE _path = 'repairs/2026-11-20/part-2.csv'; "
        "INSERT INTO raw_repairs SELECT * FROM raw_repairs WHERE _path = 'repairs/2026-11-20/part-2.csv'",
        {"raw_row_twice", "raw_row_of_no_file"},
        "repairs/2026-11-20/part-2.csv",
    ),
    "a validated row of a file that was not validated": (
        "UPDATE ingest_files SET status = 'held', reason = 'held' WHERE path = 'complaints/2026-11-20/part-1.csv'",
        {"validated_from_unvalidated_file"},
        "complaints/2026-11-20/part-1.csv",
    ),
    "the same bytes taken twice": (
        "INSERT INTO ingest_files SELECT * REPLACE (file_seq + 1000 AS file_seq, 'commitments/copy.csv' AS path) "
        "FROM ingest_files WHERE path = 'commitments/2026-11-20/part-1.csv'",
        {"file_taken_twice"},
        "commitments/copy.csv",
    ),
    "a row both validated and quarantined": (
        "INSERT INTO quarantine_rows SELECT 'permits', _path, _row_number, ['permits.x'], NULL, _file_seq, "
        "_file_sha256, _run_id, 'rules', now()::TIMESTAMP FROM permits WHERE _path = 'permits/2026-11-20/part-2.csv' "
        "LIMIT 1",
        {"validated_row_also_quarantined", "quarantine_count"},
        "permits/2026-11-20/part-2.csv",
    ),
}


@pytest.fixture
def validated_warehouse(tmp_path: Path) -> Path:
    """A tiny landing tree ingested, staged and promoted (no gate, no credit): fast books."""
    from conftest import stage_and_promote

    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    tiny_landing(landing)
    with connect(warehouse) as con:
        ensure_schema(con, INCOMING_DATASETS)
        for ds in INCOMING_DATASETS:
            ingest_dataset(con, landing, ds, "run-1", AS_OF)
            stage_and_promote(con, ds)
        assert reconcile(con, tmp_path / "publish") == []
    return warehouse


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_reconciliation_names_the_check_and_the_file(
    validated_warehouse: Path, tmp_path: Path, corruption: str
) -> None:
    sql, checks, path = CORRUPTIONS[corruption]
    with connect(validated_warehouse) as con:
        con.execute(sql)
        problems = reconcile(con, tmp_path / "publish")
    assert {p.check for p in problems} >= checks, problems
    assert all(p.path and path in p.path for p in problems if p.check in checks), problems


def test_reconciliation_of_the_publish_folder(tmp_path: Path) -> None:
    import test_release_fixtures as fx

    publish = tmp_path / "publish"
    con = fx.warehouse(tmp_path / "w.duckdb")
    try:
        first = fx.publish(con, publish, run_id="00000000-first")
        second = fx.publish(con, publish, run_id="00000001-second")
    finally:
        con.close()
    latest_path = publish / "latest.json"
    good = latest_path.read_text(encoding="utf-8")

    def problems_after(change) -> set[str]:
        latest_path.write_text(good, encoding="utf-8")
        change()
        with connect(tmp_path / "empty.duckdb") as c:
            return {p.check for p in reconcile(c, publish, first.name)}

    assert problems_after(lambda: None) == set()
    latest = json.loads(good)
    for bad in (
        {**latest, "manifest_sha256": "0" * 64},
        {**latest, "release": "releases/../../etc"},
        {**latest, "as_of": "2020-01-01"},
    ):
        assert "latest" in problems_after(
            lambda bad=bad: latest_path.write_text(json.dumps(bad), encoding="utf-8")
        )
    # a published file changed after the fact: the release latest.json names is no longer whole
    victim = second / "penalties.parquet"
    original = victim.read_bytes()
    os.chmod(second, 0o755)
    os.chmod(victim, 0o644)
    victim.write_bytes(original[:-8] + b"PAR1PAR1")
    assert "release_files" in problems_after(lambda: None)
    victim.write_bytes(original)
    (publish / "stray.csv").write_text("x", encoding="utf-8")  # something readers should not see
    assert problems_after(lambda: None) == {"publish_visible"}


def test_the_reconciliation_asset_fails_loudly_naming_what_is_broken(
    validated_warehouse: Path, tmp_path: Path
) -> None:
    import dagster as dg

    from assets.reconcile import reconciliation
    from assets.resources import LocationsResource, WarehouseResource

    resources = {
        "warehouse": WarehouseResource(path=str(validated_warehouse)),
        "locations": LocationsResource(
            landing_dir=str(tmp_path / "landing"), publish_dir=str(tmp_path / "publish")
        ),
    }
    ok = dg.materialize([reconciliation], partition_key=AS_OF.isoformat(), resources=resources)
    assert ok.success
    (event,) = ok.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["files"].value == 11 and metadata["rows_read"].value == 51

    with connect(validated_warehouse) as con:
        con.execute(CORRUPTIONS["a raw row was ingested twice"][0])
    failed = dg.materialize(
        [reconciliation], partition_key=AS_OF.isoformat(), resources=resources, raise_on_error=False
    )
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "raw_row_twice" in message and "repairs/2026-11-20/part-2.csv" in message, message
    assert failure.step_failure_data.user_failure_data.metadata["problems"].value
