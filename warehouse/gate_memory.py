"""Let a night's release gate read again only what it has not already cleared.

A published release passed the gate, which blocks on any finding: no row of it holds anything a
content rule of the gate finds (identity and phone numbers by their shape, the contracts' cell
rules), and none of its lookup candidates (digit tokens, numbers written in groups, name keys)
equalled a complainant's name or a raw identity or phone number known then. The next night's
candidate shares almost all of its rows with it. A row whose gate-read cells equal those of a row
of the cleared release gets the same content findings: none. Only the lookups can differ, because
the raw layer grows. So the gate scans the new rows in full, and looks up everything it knows now
among the hashes of every candidate the remembered releases held; a single hit (a real one, or
a hash collision) sends the whole candidate through the full scan.

The shortcut is taken only when all of this holds, else the full scan runs (and is remembered):
the previous release is intact (every file's sha256 as its manifest says) and is the very
manifest the gate cleared; the rules are the same (`fingerprint`: the disclosure policy, the
published contracts, the gate's SQL and Python, DuckDB's version); the complainant names known
now are no shorter and no longer than the ones the name keys were kept for; and no value known
now is among the remembered candidates. Contract checks of a whole file (columns, metadata,
primary key, row rules) always read the whole candidate (`release.check_file`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from warehouse.db import SQL_DIR, query, run_sql, split_statements, sql_text

_RULE_FILES: tuple[Path, ...] = (
    Path(__file__).with_name("privacy.py"),
    Path(__file__),
    Path(__file__).parent / "policy" / "disclosure.yaml",
    SQL_DIR / "macros.sql",
)
_RULE_DIRS: tuple[tuple[Path, str], ...] = (
    (SQL_DIR / "publish", "*.sql"),
    (Path(__file__).parent.parent / "data_contracts" / "published", "*"),
)


def fingerprint() -> str:
    """One hash of everything that decides what the gate finds: a change to any means a full scan."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__}\n".encode())
    files = list(_RULE_FILES) + [p for d, pattern in _RULE_DIRS for p in sorted(d.rglob(pattern))]
    for path in files:
        if path.is_file():
            digest.update(f"{path.name}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class ClearedRelease:
    """A published release the gate cleared, with the name lengths its name keys were kept for."""

    directory: Path
    name_bytes: tuple[int | None, int | None]


def cleared_release(con: duckdb.DuckDBPyConnection, release_dir: Path | None) -> ClearedRelease | None:
    """The release at `release_dir` if this warehouse remembers clearing exactly its files, else None."""
    from warehouse.release import MANIFEST, verify_release  # release imports privacy, which imports us

    if release_dir is None or not Path(release_dir).is_dir() or verify_release(release_dir):
        return None
    run_sql(con, "publish/privacy_memory")
    rows = query(
        con,
        "publish/privacy_memory_lookup",
        {
            "release_id": Path(release_dir).name,
            "manifest_sha256": hashlib.sha256((Path(release_dir) / MANIFEST).read_bytes()).hexdigest(),
            "fingerprint": fingerprint(),
        },
    )
    if not rows:
        return None
    return ClearedRelease(Path(release_dir), (rows[0]["name_shortest"], rows[0]["name_longest"]))


def known_name_bytes(con: duckdb.DuckDBPyConnection) -> tuple[int | None, int | None]:
    """The shortest and longest complainant name now looked for (privacy_known), in bytes."""
    (row,) = con.execute(
        "SELECT min(strlen(value)), max(strlen(value)) FROM privacy_known WHERE kind = 'complainant_name'"
    ).fetchall()
    return row[0], row[1]


def still_clear(con: duckdb.DuckDBPyConnection, cleared: ClearedRelease) -> bool:
    """Whether what the gate looks up now (privacy_known, loaded) can be in no row of `cleared`."""
    shortest, longest = known_name_bytes(con)
    if shortest is not None:
        kept_shortest, kept_longest = cleared.name_bytes
        if kept_shortest is None or shortest < kept_shortest or longest > kept_longest:
            return False
    (row,) = query(con, "publish/privacy_memory_hits")
    return row["hits"] == 0


def gate_read_columns(
    columns: Iterable[Mapping[str, Any]], scan: set[str], rules: Mapping[str, Any] | None
) -> tuple[list[str], list[str]]:
    """The columns whose values the gate reads, and those it reads only for being NULL."""
    rules = rules or {}
    names = [c["column_name"] for c in columns]
    valued = scan | {a["column_name"] for a in rules.get("allowed", ())} | set(rules.get("uscc_columns", ()))
    required = set(rules.get("required_columns", ()))
    return [n for n in names if n in valued], [n for n in names if n in required - valued]


def new_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    cleared: ClearedRelease,
    value_columns: list[str],
    null_columns: list[str],
    into: Path,
) -> tuple[Path, list[int]] | None:
    """Write the rows of `path` that the cleared release does not hold to `into`/<same name>.

    Returns that file and the candidate's row number of each of its rows, in order; None when the
    cleared release has no such file or one of other columns or types (the whole file is scanned).
    """
    previous = cleared.directory / path.name
    if not previous.is_file():
        return None
    if query(con, "publish/contract_columns", {"path": str(previous)}) != query(
        con, "publish/contract_columns", {"path": str(path)}
    ):
        return None
    run_sql(
        con,
        "publish/privacy_new_rows",
        {
            "path": str(path),
            "previous": str(previous),
            "value_columns": value_columns,
            "null_columns": null_columns,
        },
    )
    try:
        (statement,) = split_statements(sql_text("publish/privacy_new_rows_read"))
        table = con.sql(statement, params={"path": str(path)}).to_arrow_table()
        rows = [r for (r,) in con.execute("SELECT row_no FROM gate_new_rows ORDER BY row_no").fetchall()]
    finally:
        con.execute("DROP TABLE IF EXISTS gate_new_rows")
    subset = into / path.name
    pq.write_table(table, subset)
    return subset, rows


def remember(
    con: duckdb.DuckDBPyConnection,
    release_id: str,
    manifest_sha256: str,
    *,
    full_scan: bool,
    name_bytes: tuple[int | None, int | None],
) -> None:
    """Keep what a clearing gate gathered (gate_candidates) for the next night's gate."""
    run_sql(con, "publish/privacy_memory")
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql(
            con,
            "publish/privacy_memory_remember",
            {
                "release_id": release_id,
                "manifest_sha256": manifest_sha256,
                "fingerprint": fingerprint(),
                "name_shortest": name_bytes[0],
                "name_longest": name_bytes[1],
                "full_scan": full_scan,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
