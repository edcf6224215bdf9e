"""Open the DuckDB warehouse safely and run the project's `.sql` files with bound parameters.

DuckDB allows one writer process per file; a second process fails at once with
`Could not set lock on file`. Every opener therefore takes an exclusive advisory lock on a
sibling `<file>.lock` first and *waits* for it (with a deadline and a message naming who
holds it), so two Dagster runs, a run and the CLI, or a backfill's partitions queue on the
warehouse instead of failing or spinning inside DuckDB's own retry loop.

A process that opened the file with DuckDB directly (an analyst's `duckdb` shell, a notebook)
holds DuckDB's own lock without ours: `connect` waits for that one too, under the same
deadline, and then names the holder DuckDB reports instead of failing at the first attempt.

The per-connection lock lets two runs interleave their steps, and a run's steps belong
together (a batch staged by one run must be gated and promoted by that run). `exclusive_run`
holds a second lock, `<file>.run.lock`, for a whole run: the Dagster resource takes it when a
run starts, so a manual run and a sensor run, or a backfill's partitions, queue one behind
the other. The deadline of both waits is `CREDIT_WAREHOUSE_LOCK_TIMEOUT_S` seconds (default 1800).
"""

from __future__ import annotations

import fcntl
import gc
import os
import re
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).parent / "sql"


def _lock_timeout_default() -> float:
    text = os.environ.get("CREDIT_WAREHOUSE_LOCK_TIMEOUT_S", "1800")
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"CREDIT_WAREHOUSE_LOCK_TIMEOUT_S must be a number of seconds, not {text!r}"
        ) from None


DEFAULT_LOCK_TIMEOUT_S = _lock_timeout_default()
_DUCKDB_LOCK_CONFLICT = "Could not set lock on file"
DEV_HASH_KEY = "credit-lists-development-key"  # not a secret: set CREDIT_HASH_KEY in production


class WarehouseBusy(RuntimeError):
    """Raised when the warehouse lock is not free before the deadline."""


@cache
def sql_text(name: str) -> str:
    """The text of `warehouse/sql/<name>.sql` (name may contain a sub-folder)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL model {path}")
    return path.read_text(encoding="utf-8")


_PARAM = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Execute every statement of a `.sql` file, binding `$name` parameters it uses.

    Statements are separated by lines that hold only `;`-terminated SQL; each statement gets
    only the parameters it mentions, since DuckDB rejects unused named parameters.
    """
    for statement in split_statements(sql_text(name)):
        execute(con, statement, params or {})


def query(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None):
    """Run a single-statement `.sql` file and return the DuckDB relation's rows as dicts."""
    (statement,) = split_statements(sql_text(name))
    cur = execute(con, statement, params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def execute(con: duckdb.DuckDBPyConnection, statement: str, params: Mapping[str, Any]):
    used = {m for m in _PARAM.findall(_strip_comments(statement))}
    missing = used - params.keys()
    if missing:
        raise KeyError(f"SQL parameters not supplied: {sorted(missing)}")
    return con.execute(statement, {k: params[k] for k in used}) if used else con.execute(statement)


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def split_statements(sql: str) -> list[str]:
    """Split on `;` at the end of a line (outside string literals the project never does that)."""
    parts = re.split(r";[ \t]*(?:--[^\n]*)?\n", sql + "\n")
    return [p.strip() for p in parts if _strip_comments(p).strip()]


@contextmanager
def _file_lock(lock_path: Path, timeout_s: float, what: str) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                    raise WarehouseBusy(
                        f"{what} is still in use by {holder} after "
                        f"{timeout_s:.0f}s; wait for that run to finish or stop it, then retry"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def exclusive_run(path: Path | str, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the warehouse for a whole run (all its steps), waiting for another run to end first."""
    path = Path(path)
    with _file_lock(
        path.with_name(path.name + ".run.lock"), timeout_s, f"warehouse {path} (held for a whole run)"
    ):
        yield


WAREHOUSE_ALIAS = "warehouse"  # the attached file's catalog name, the default of every statement


class CheckpointFailed(RuntimeError):
    """Raised when what a block committed could not be written into the warehouse file."""


class TransactionLeftOpen(RuntimeError):
    """Raised when a block ends normally inside a transaction: a bug in the block's code, which
    would otherwise lose its commits too (DuckDB refuses to checkpoint an open transaction)."""


def _open_duckdb(path: Path, deadline: float) -> duckdb.DuckDBPyConnection:
    """Open the file without write-ahead logging, waiting while another process that bypassed our
    lock has it open.

    Without the WAL a commit is kept by the next checkpoint rather than at once. `connect` takes
    one as its block ends, and every step of a run opens its own connection, so a step's writes
    are in the file when the step ends. DuckDB also checkpoints on its own inside a block, though
    later than with the log (section "Eighth session" of bench/results/PROFILE.md). A process
    killed inside a step loses what that step committed since its last checkpoint, and the file
    is left as of that checkpoint, transaction by transaction consistent (an ingested file and its
    `ingest_files` row together or not at all); the rerun that a killed step needs anyway does that
    work again. What the log cost: a city file's rows written to it at COMMIT and to the database
    again at the checkpoint, ~6 s of the scale-20 ingest. A log left by an older version is still
    replayed on opening. Spills go next to the file, as they did (`<file>.tmp`), not into the
    working directory that an in-memory database would use.
    """
    delay = 0.05
    collected = False
    while True:
        con = duckdb.connect()
        try:
            con.execute(
                f"ATTACH $path AS {WAREHOUSE_ALIAS} (RECOVERY_MODE no_wal_writes)", {"path": str(path)}
            )
            con.execute(f"USE {WAREHOUSE_ALIAS}")
            con.execute("SET temp_directory = $d", {"d": str(path) + ".tmp"})
            return con
        except duckdb.ResourceInUseException as exc:
            con.close()
            if "Unique file handle conflict" not in str(exc):
                raise
            if not collected:  # an earlier connection's result nobody refers to any more
                gc.collect()
                collected = True
                continue
            raise WarehouseBusy(
                f"warehouse {path} is still open in this process (a notebook's connection, or the "
                "result of an earlier step that failed and is still referred to): close it, or "
                "run the step again in a new process"
            ) from None
        except duckdb.IOException as exc:
            con.close()
            if _DUCKDB_LOCK_CONFLICT not in str(exc):
                raise
            if time.monotonic() >= deadline:
                detail = str(exc).split("Conflicting lock is held in", 1)[-1].split(". See also")[0].strip()
                raise WarehouseBusy(
                    f"warehouse {path} is open in another process that does not take the warehouse "
                    f"lock ({detail}); close that program (a duckdb shell or a notebook?) and retry"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except BaseException:
            con.close()
            raise


def _end_block(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Roll back a transaction the block left open, so that what it committed before can still be
    checkpointed, then checkpoint; a transaction left open is a bug, and it fails the step."""
    try:
        con.execute("ROLLBACK")
        left_open = True
    except duckdb.TransactionException:  # "no transaction is active": the usual case
        left_open = False
    _checkpoint(con, path)
    if left_open:
        raise TransactionLeftOpen(
            f"warehouse {path}: the step ended inside a transaction it had not committed; its "
            "uncommitted changes were rolled back, and what it committed before is kept. This is a "
            "bug in the step's code: report it with the step's name and log"
        )


def _checkpoint(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Write the block's commits into the file; a failure (a full disk) fails the caller's step
    instead of losing them on close, where DuckDB would say nothing (there is no log to replay)."""
    try:
        con.execute(f"CHECKPOINT {WAREHOUSE_ALIAS}")
    except duckdb.Error as exc:
        raise CheckpointFailed(
            f"warehouse {path}: what this step committed could not be written into the file ({exc}); "
            "none of it is kept, the file is as it was at its last checkpoint. Free space on the "
            "warehouse's disk and run the step again"
        ) from exc


CHECKPOINT_THRESHOLD = "256MiB"


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """Settings and macros every connection needs (tests call it on in-memory databases)."""
    threads = os.environ.get("CREDIT_DUCKDB_THREADS")
    memory = os.environ.get("CREDIT_DUCKDB_MEMORY_LIMIT")
    if threads:
        con.execute("SET threads = $t", {"t": int(threads)})
    if memory:
        con.execute("SET memory_limit = $m", {"m": memory})
    con.execute("SET preserve_insertion_order = true")
    # DuckDB's Python client draws a progress bar on standard output for a query that runs over
    # two seconds: `credit-lists run` prints its summary there, and a bar in it depends on load.
    con.execute("SET enable_progress_bar = false")
    # DuckDB checkpoints at a commit once the changes since the last checkpoint pass this (16 MiB
    # by default). Without the write-ahead log it still does, but counts fewer of them: rows that
    # a bulk append already wrote to the file do not count, and in a test of small commits the
    # first checkpoint came after 112 commits instead of 36 (/tmp/review/t14.py). Ingestion
    # commits each file on its own and a city-scale file holds 20-50 MB, so at 16 MiB every
    # commit checkpointed, rewriting the table's last row group each time: COMMIT was 21 of the
    # 57 CPU seconds of the permits at scale 20 with the log, and without it the permits' ingest
    # took 37.0 s at 16 MiB against 27.4 s at 256 MiB (/tmp/prof4/thr.py). `connect` checkpoints
    # at the end of its block.
    con.execute("SET checkpoint_threshold = $c", {"c": CHECKPOINT_THRESHOLD})
    # The keyed hash of identity and phone numbers; production sets its own secret key.
    con.execute("SET VARIABLE credit_hash_key = $k", {"k": os.environ.get("CREDIT_HASH_KEY", DEV_HASH_KEY)})
    run_sql(con, "macros")


@contextmanager
def connect(
    path: Path | str, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing, holding the cross-process lock for the whole block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with _file_lock(path.with_name(path.name + ".lock"), timeout_s, f"warehouse {path}"):
        con = _open_duckdb(path, deadline)
        try:
            configure(con)
            yield con
            _end_block(con, path)
        finally:
            con.close()


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of `con` whose unqualified names are the warehouse's, as `con`'s are.

    A DuckDB cursor is a new connection to the same database, and it starts in the in-memory
    catalog rather than the attached warehouse (`USE` is per connection)."""
    cur = con.cursor()
    attached = cur.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = $n", {"n": WAREHOUSE_ALIAS}
    ).fetchone()[0]
    if attached:
        cur.execute(f"USE {WAREHOUSE_ALIAS}")
    return cur


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}
        ).fetchone()[0]
    )
