"""Prove, from what the warehouse and the publish folder hold, that nothing was lost or doubled.

The ingest, validate and publish stages each keep their own books; a crash, a concurrent run
or a bug in one of them shows as books that no longer agree. After every run this module
checks them against each other, from the data itself rather than from any stage's summary:

* every file: rows_read = rows_accepted + rows_quarantined, a known status, a reason where a
  file was not taken, each sha256 taken once per dataset;
* quarantine holds exactly rows_quarantined rows of each file, one per row number;
* every row read is in its raw table or rejected by the parser, once: (sha256, row number)
  is unique in each raw table, and no raw row belongs to a file that was not taken;
* validated tables hold rows of validated files only, rows_accepted of each, none of them
  also quarantined;
* latest.json names a release under releases/ whose files match its manifest (bytes, sha256,
  Parquet row counts) and whose manifest is the one latest.json hashes.

Each check is one SQL query (`sql/reconcile/*.sql`) or one function here, and every problem
names its check, dataset and file, so a failure says what is broken and where to look.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from data_contracts import INCOMING_DATASETS
from warehouse.db import execute, query, split_statements, sql_text, table_exists
from warehouse.release import DATAPACKAGE, LATEST, MANIFEST, RELEASE_ID, read_latest, verify_release

WAREHOUSE_CHECKS: tuple[str, ...] = ("reconcile/files", "reconcile/quarantine")
DATASET_CHECKS: tuple[tuple[str, str], ...] = (
    ("reconcile/raw_rows", "raw_{dataset}"),
    ("reconcile/validated_rows", "{dataset}"),
)
# What readers of the publish folder may see besides hidden bookkeeping (.staging, .trash, .lock).
PUBLIC_ENTRIES = frozenset({LATEST, "releases"})


@dataclass(frozen=True)
class Problem:
    check: str
    dataset: str | None
    path: str | None
    detail: str

    def __str__(self) -> str:
        where = " ".join(p for p in (self.dataset, self.path) if p)
        return f"{self.check}: {where + ': ' if where else ''}{self.detail}"


class ReconciliationFailed(RuntimeError):
    """The books do not agree; the message names every problem found (the first 20 in full)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"reconciliation found {len(problems)} problem(s): {shown}{more}")


def _rows(con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, Any]) -> list[Problem]:
    cur = execute(con, statement, params)
    return [Problem(*row) for row in cur.fetchall()]


def warehouse_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Every disagreement between ingest_files, quarantine, the raw and the validated tables.

    A warehouse with no ingest_files table has recorded nothing, so there is nothing to disagree.
    """
    if not table_exists(con, "ingest_files"):
        return []
    problems: list[Problem] = []
    for name in WAREHOUSE_CHECKS:
        problems += [Problem(*r.values()) for r in query(con, name)]
    for dataset in INCOMING_DATASETS:
        for name, table_pattern in DATASET_CHECKS:
            table = table_pattern.format(dataset=dataset)
            if not table_exists(con, table):
                continue
            # identifiers from the fixed dataset list only; every value is bound
            text = sql_text(name).replace("{raw}", table).replace("{validated}", table)
            (statement,) = split_statements(text)
            problems += _rows(con, statement, {"dataset": dataset})
    return problems


def _file_problems(release_dir: Path, manifest: dict[str, Any]) -> list[Problem]:
    """Parquet row counts against the manifest (verify_release has checked bytes and hashes)."""
    problems = []
    for name, entry in sorted(manifest.get("files", {}).items()):
        path = release_dir / name
        if not path.is_file():
            continue  # reported by verify_release
        try:
            rows = pq.read_metadata(path).num_rows
        except Exception as exc:  # a damaged footer shows as any of several pyarrow errors
            problems.append(
                Problem("release_file", None, f"{release_dir.name}/{name}", f"not readable: {exc}")
            )
            continue
        if rows != entry.get("rows"):
            problems.append(
                Problem(
                    "release_rows",
                    None,
                    f"{release_dir.name}/{name}",
                    f"{rows} rows in the file, {MANIFEST} says {entry.get('rows')}",
                )
            )
    return problems


def release_dir_problems(release_dir: Path) -> list[Problem]:
    """A release folder: complete, every file as its manifest says, the manifest naming it."""
    name = release_dir.name
    problems = [Problem("release_files", None, name, p) for p in verify_release(release_dir)]
    try:
        manifest = json.loads((release_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return problems  # verify_release has said what is wrong with the manifest
    if manifest.get("release") != name:
        problems.append(
            Problem("release_manifest", None, name, f"{MANIFEST} names release {manifest.get('release')!r}")
        )
    if (manifest.get("datapackage") or {}).get("path") != DATAPACKAGE:
        problems.append(Problem("release_manifest", None, name, f"{MANIFEST} does not list {DATAPACKAGE}"))
    return problems + _file_problems(release_dir, manifest)


def release_problems(publish_dir: Path, release_id: str | None = None) -> list[Problem]:
    """latest.json and the release it names (and `release_id`, this run's release, if given).

    No latest.json is no problem before the first publication, unless a release is asked for.
    """
    publish_dir = Path(publish_dir)
    problems: list[Problem] = []
    try:
        latest = read_latest(publish_dir)
    except ValueError as exc:
        return [Problem("latest", None, LATEST, f"not valid JSON ({exc})")]
    if latest is None:
        if release_id is not None:
            problems.append(
                Problem("latest", None, LATEST, f"missing, yet release {release_id} was published")
            )
    else:
        problems += _latest_problems(publish_dir, latest)
    if release_id is not None:
        own = publish_dir / "releases" / release_id
        if not own.is_dir():
            problems.append(
                Problem("release_missing", None, release_id, "this run's release is not under releases/")
            )
        elif latest is None or latest.get("release_id") != release_id:
            problems += release_dir_problems(own)
    return problems


def _latest_problems(publish_dir: Path, latest: dict[str, Any]) -> list[Problem]:
    named = str(latest.get("release", ""))
    parts = named.split("/")
    if len(parts) != 2 or parts[0] != "releases" or not RELEASE_ID.match(parts[1]):
        return [Problem("latest", None, LATEST, f"names {named!r}, not releases/<release id>")]
    release_dir = publish_dir / "releases" / parts[1]
    if not release_dir.is_dir():
        return [Problem("latest", None, LATEST, f"names {named}, which does not exist")]
    problems = release_dir_problems(release_dir)
    if latest.get("release_id", parts[1]) != parts[1]:
        problems.append(
            Problem("latest", None, LATEST, f"release_id {latest.get('release_id')} but release {named}")
        )
    try:
        manifest_bytes = (release_dir / MANIFEST).read_bytes()
    except OSError:
        return problems
    if hashlib.sha256(manifest_bytes).hexdigest() != latest.get("manifest_sha256"):
        problems.append(Problem("latest", None, LATEST, f"manifest_sha256 does not match {named}/{MANIFEST}"))
    try:
        as_of = json.loads(manifest_bytes).get("as_of")
    except ValueError:
        return problems
    if as_of != latest.get("as_of"):
        problems.append(
            Problem("latest", None, LATEST, f"as_of {latest.get('as_of')} but {named} is of {as_of}")
        )
    return problems


def visibility_problems(publish_dir: Path) -> list[Problem]:
    """Readers of the publish folder see latest.json and releases/ only: any other visible entry,
    and any hidden bookkeeping folder that others may list, is a problem."""
    publish_dir = Path(publish_dir)
    if not publish_dir.is_dir():
        return []
    problems = []
    for entry in sorted(publish_dir.iterdir()):
        if entry.name in PUBLIC_ENTRIES:
            continue
        if not entry.name.startswith("."):
            problems.append(Problem("publish_visible", None, entry.name, "is not part of a release"))
        elif entry.is_dir() and stat.S_IMODE(os.lstat(entry).st_mode) & 0o077:
            problems.append(
                Problem("publish_visible", None, entry.name, "bookkeeping folder readable by others")
            )
    releases = publish_dir / "releases"
    if releases.is_dir():
        for entry in sorted(releases.iterdir()):
            if not (entry.is_dir() and RELEASE_ID.match(entry.name)):
                problems.append(
                    Problem("publish_visible", None, f"releases/{entry.name}", "is not a release")
                )
    return problems


def reconcile(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, release_id: str | None = None
) -> list[Problem]:
    """Every problem of the warehouse's books and of the publication; empty when all agree."""
    return (
        warehouse_problems(con) + release_problems(publish_dir, release_id) + visibility_problems(publish_dir)
    )


def assert_reconciled(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, release_id: str | None = None
) -> None:
    problems = reconcile(con, publish_dir, release_id)
    if problems:
        raise ReconciliationFailed(problems)


def release_of_run(publish_dir: Path, run_id: str) -> str | None:
    """The id of the release a run published (its manifest names the run), newest first."""
    releases = Path(publish_dir) / "releases"
    if not releases.is_dir():
        return None
    for entry in sorted(releases.iterdir(), reverse=True):
        if not RELEASE_ID.match(entry.name):
            continue
        try:
            if json.loads((entry / MANIFEST).read_text(encoding="utf-8")).get("run_id") == run_id:
                return entry.name
        except (OSError, ValueError):
            continue  # an incomplete release is reported by the check that reads it
    return None


def books(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Files and rows by dataset and status: what the reconciliation covered."""
    if not table_exists(con, "ingest_files"):
        return []
    return query(con, "reconcile/books")
