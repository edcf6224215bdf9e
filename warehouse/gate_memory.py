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
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow

from warehouse.db import SQL_DIR, query, run_sql, sql_text

_ROOT = Path(__file__).parent.parent


def _code_fingerprint() -> bytes:
    """The gate's Python as this process imported it (read once, at import) and the engines' versions."""
    digest = hashlib.sha256(
        f"python {platform.python_version()} duckdb {duckdb.__version__} pyarrow {pyarrow.__version__}\n".encode()
    )
    code = [_ROOT / "warehouse" / n for n in ("privacy.py", "gate_memory.py", "release.py", "db.py")]
    for path in code + sorted((_ROOT / "data_contracts").glob("*.py")):
        digest.update(f"{path.name}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


_CODE = _code_fingerprint()


def fingerprint() -> str:
    """One hash of everything that decides what the gate finds, as this process uses it: its code,
    the disclosure policy and published contracts as parsed (cached for the process), and the SQL
    texts it runs (cached as read). A change to any means a full scan. Take it once per gate, before
    the scan, and remember the gate under that value."""
    from data_contracts import published_contracts  # the contracts import nothing of ours, but keep
    from warehouse.privacy import disclosure_policy  # privacy -> gate_memory one-way at import

    digest = hashlib.sha256(_CODE)
    digest.update(repr(disclosure_policy()).encode())
    for name, contract in sorted(published_contracts().items()):
        digest.update(f"{name}\n{contract!r}\n".encode())
    for path in [SQL_DIR / "macros.sql", *sorted((SQL_DIR / "publish").glob("*.sql"))]:
        name = path.relative_to(SQL_DIR).with_suffix("").as_posix()
        digest.update(f"{name}\n{sql_text(name)}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ClearedRelease:
    """A published release the gate cleared, with the name lengths its name keys were kept for."""

    directory: Path
    name_bytes: tuple[int | None, int | None]


def cleared_release(
    con: duckdb.DuckDBPyConnection, release_dir: Path | None, rules: str
) -> ClearedRelease | None:
    """The release at `release_dir` if this warehouse remembers clearing exactly its files under
    the rules `rules` (a `fingerprint`), with every candidate hash it kept then still there; else None."""
    from warehouse.release import MANIFEST, verify_release  # release imports privacy, which imports us

    if release_dir is None or not Path(release_dir).is_dir() or verify_release(release_dir):
        return None
    _create_tables(con)
    rows = query(
        con,
        "publish/privacy_memory_lookup",
        {
            "release_id": Path(release_dir).name,
            "manifest_sha256": hashlib.sha256((Path(release_dir) / MANIFEST).read_bytes()).hexdigest(),
            "fingerprint": rules,
        },
    )
    if not rows:
        return None
    return ClearedRelease(Path(release_dir), (rows[0]["name_shortest"], rows[0]["name_longest"]))


def known_name_bytes(con: duckdb.DuckDBPyConnection) -> tuple[int | None, int | None]:
    """The shortest and longest complainant name now looked for (privacy_known), in bytes: the very
    bounds the gate's leaf selection uses (privacy_name_bytes.sql)."""
    run_sql(con, "publish/privacy_name_bytes")
    (row,) = query(con, "publish/privacy_name_bytes_value")
    return row["shortest"], row["longest"]


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
) -> list[int] | None:
    """Fill the TEMP table gate_new_rows with the rows of `path` that the cleared release does not
    hold, and return their row numbers; None when the cleared release has no such file or one of
    other columns or types (the whole file is read)."""
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
    return [r for (r,) in con.execute("SELECT row_no FROM gate_new_rows ORDER BY row_no").fetchall()]


def remember(
    con: duckdb.DuckDBPyConnection,
    release_id: str,
    manifest_sha256: str,
    *,
    rules: str,
    full_scan: bool,
    name_bytes: tuple[int | None, int | None],
) -> None:
    """Keep what a clearing gate gathered (gate_candidates) for the next night's gate, in one
    transaction of its own (the caller holds none)."""
    _create_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql(
            con,
            "publish/privacy_memory_remember",
            {
                "release_id": release_id,
                "manifest_sha256": manifest_sha256,
                "fingerprint": rules,
                "name_shortest": name_bytes[0],
                "name_longest": name_bytes[1],
                "full_scan": full_scan,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql(con, "publish/release_gate_memory")
    run_sql(con, "publish/release_gate_candidates")
