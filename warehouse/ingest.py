"""The ingest stage: every new landing file of a dataset into `raw_<dataset>`, with accounting.

Each file is loaded in its own transaction together with its `ingest_files` row, so a crash
leaves either the whole file or nothing, and the next run picks it up again. A file that
cannot be read is recorded as refused with the reason, and the other files go on; a failure
of the machine instead (a full disk, too little memory) fails the step and records nothing, so
the file is read again once the machine is fixed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from data_contracts import Contract, incoming_contract
from data_contracts.contract import LINEAGE_COLUMNS, header_map, normalise_header
from warehouse.db import query, run_sql
from warehouse.landing import (
    RACY_SECONDS,
    DeliveryMoved,
    LandingFile,
    discover,
    identity,
    pin,
    settled,
    sha256_of,
    unchanged,
)
from warehouse.prepare import Prepared, ahead, prepare
from warehouse.readers import (
    DirectCsv,
    FileRefused,
    csv_records,
    direct_csv,
    read_file,
    scan_file,
    transient,
)

log = logging.getLogger(__name__)
UNREAD = "-"  # sha256 placeholder for files refused without reading them (links, wrong type)
CHANGING = "changing"  # outcome of a file that changed while it was read: left for the next run


@dataclass
class IngestSummary:
    dataset: str
    files_ingested: int = 0
    rows_read: int = 0
    rows_parse_rejected: int = 0
    duplicates: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    skipped_changing: list[str] = field(default_factory=list)


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    """Raw tables keep every mapped field as text, the unmapped columns as JSON, and lineage."""
    return [(f.name, "VARCHAR") for f in contract.fields] + [("_extra", "JSON")] + list(LINEAGE_COLUMNS)


def ensure_schema(con: duckdb.DuckDBPyConnection, datasets: tuple[str, ...]) -> None:
    run_sql(con, "ingest/schema")
    for ds in datasets:
        cols = ", ".join(f"{name} {typ}" for name, typ in raw_columns(incoming_contract(ds)))
        con.execute(f"CREATE TABLE IF NOT EXISTS raw_{ds} ({cols})")


def ingest_dataset(
    con: duckdb.DuckDBPyConnection, landing_root: Path, dataset: str, run_id: str, as_of: date
) -> IngestSummary:
    contract = incoming_contract(dataset)
    summary = IngestSummary(dataset)
    known = query(con, "ingest/known_files", {"dataset": dataset})
    known_pairs = {(k["path"], k["sha256"]) for k in known}
    first_path_of = {}
    for k in known:
        if k["status"] not in ("refused", "duplicate"):
            first_path_of.setdefault(k["sha256"], k["path"])

    hashes = {h["path"]: h for h in query(con, "ingest/landing_hashes", {"dataset": dataset})}

    def work(lf: LandingFile, scratch: Path) -> Prepared | None:
        if lf.refused:
            return None
        return prepare(
            lf,
            landing_root,
            remembered=lambda st: _remembered(hashes.get(lf.rel_path), st),
            needed=lambda sha: (lf.rel_path, sha) not in known_pairs and sha not in first_path_of,
            scratch=scratch,
        )

    for lf, pending in ahead(discover(landing_root, dataset), work):
        if lf.refused:
            if (lf.rel_path, UNREAD) not in known_pairs:
                _record(con, lf, UNREAD, run_id, as_of, status="refused", reason=lf.refused)
                known_pairs.add((lf.rel_path, UNREAD))
            summary.refused[lf.rel_path] = lf.refused
            continue
        try:
            with pin(lf, landing_root) as before:
                prepared = pending.result()
                if prepared is not None and not prepared.holds_for(before):
                    prepared = None
                sha = _sha256(con, lf, before, hashes.get(lf.rel_path), prepared)
                if (lf.rel_path, sha) in known_pairs:
                    continue
                if sha in first_path_of:
                    reason = (
                        f"same bytes as {first_path_of[sha]} (sha256 {sha[:12]}…), already ingested; "
                        "not read again"
                    )
                    _record(con, lf, sha, run_id, as_of, status="duplicate", reason=reason)
                    known_pairs.add((lf.rel_path, sha))
                    summary.duplicates.append(lf.rel_path)
                    continue
                outcome = _ingest_file(con, _Delivery(contract, lf, sha, before, run_id, as_of), prepared)
        except DeliveryMoved as exc:
            log.warning("%s: %s; it will be looked at again next run", dataset, exc)
            summary.skipped_changing.append(lf.rel_path)
            continue
        except OSError as exc:  # not readable by this user: refused (retried each run), the run goes on
            if transient(exc):
                raise
            reason = _could_not(exc)
            if (lf.rel_path, UNREAD) not in known_pairs:
                _record(con, lf, UNREAD, run_id, as_of, status="refused", reason=reason)
                known_pairs.add((lf.rel_path, UNREAD))
            summary.refused[lf.rel_path] = reason
            continue
        if outcome == CHANGING:
            summary.skipped_changing.append(lf.rel_path)
            continue
        known_pairs.add((lf.rel_path, sha))
        if isinstance(outcome, str):
            summary.refused[lf.rel_path] = outcome
            continue
        first_path_of[sha] = lf.rel_path
        read, rejected = outcome
        summary.files_ingested += 1
        summary.rows_read += read
        summary.rows_parse_rejected += rejected
    return summary


def _sha256(con, lf: LandingFile, st: os.stat_result, known: dict | None, prepared: Prepared | None) -> str:
    """The file's sha256: remembered when the file is provably the one hashed, else read
    (ahead, by `prepare`, or here), and then remembered."""
    sha = _remembered(known, st)
    if sha is not None:
        return sha
    if prepared is not None and prepared.sha256 is not None:
        hashed_at_ns, sha = prepared.started_ns, prepared.sha256
    else:
        hashed_at_ns, sha = time.time_ns(), sha256_of(lf.path)
    run_sql(
        con,
        "ingest/remember_hash",
        {
            "path": lf.rel_path,
            "device": st.st_dev,
            "inode": st.st_ino,
            "size_bytes": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns,
            "hashed_at_ns": hashed_at_ns,
            "sha256": sha,
        },
    )
    return sha


def _remembered(known: dict | None, st: os.stat_result) -> str | None:
    """The remembered sha256 when the file is provably the one hashed: same `identity`, and not
    changed for RACY_SECONDS when its hashing started (a write within a coarse timestamp's tick)."""
    if known is not None and (
        (known["device"], known["inode"], known["size_bytes"], known["mtime_ns"], known["ctime_ns"])
        == identity(st)
        and settled(st, known["hashed_at_ns"], RACY_SECONDS)
    ):
        return known["sha256"]
    return None


@dataclass(frozen=True)
class _Delivery:
    """One landing file on its way in: what each step of its ingest records it by."""

    contract: Contract
    lf: LandingFile
    sha: str
    before: os.stat_result  # its status when pinned (`landing.pin`)
    run_id: str
    as_of: date


def _ingest_file(con, d: _Delivery, prepared: Prepared | None):
    """(rows read, rows rejected by the parser), CHANGING, or the reason the file was refused.

    A file that is not the one pinned any more when its read ends (it grew, was truncated or
    was replaced meanwhile) is neither ingested nor refused: what was read may be half of it.
    """
    lf, contract = d.lf, d.contract
    scan = prepared.scan if prepared is not None else None
    if lf.file_type == "csv":
        try:
            scan = scan or scan_file(lf.path)
        except OSError as exc:
            if transient(exc):
                raise
            return _refuse_unless_changed(con, d, _could_not(exc))
        plan = direct_csv(lf.path, scan)
        if plan is not None:
            outcome = _ingest_csv_direct(con, d, plan)
            if outcome is not None:
                return outcome
    try:
        # Reading fills temp tables only, so it stays outside the transaction: a DuckDB error
        # would abort an open transaction, and a reader may retry after one (see readers.py).
        result = read_file(
            con,
            lf.path,
            lf.file_type or "",
            scan,
            prepared.sheet if prepared else None,
            prepared.utf8_copy if prepared else None,
        )
        run_sql(
            con, "ingest/reject_structured_cells", {"field_columns": _field_columns(contract, result.headers)}
        )
    except FileRefused as exc:
        return _refuse_unless_changed(con, d, str(exc))
    except (duckdb.Error, OSError, ValueError) as exc:
        if transient(exc):
            raise
        return _refuse_unless_changed(con, d, _could_not(exc))
    con.execute("BEGIN TRANSACTION")
    try:
        file_seq = con.execute("SELECT nextval('ingest_file_seq')").fetchone()[0]
        _insert_raw(con, contract, result.headers, file_seq, d.sha, lf.rel_path, d.run_id)
        accepted = con.execute("SELECT count(*) FROM _incoming").fetchone()[0]
        rejected = con.execute("SELECT count(*) FROM _rejects").fetchone()[0]
        params = {
            "dataset": contract.dataset,
            "path": lf.rel_path,
            "file_seq": file_seq,
            "sha256": d.sha,
            "run_id": d.run_id,
        }
        run_sql(con, "ingest/parse_rejects_to_quarantine", params)
        return _keep(con, d, file_seq, result.encoding, accepted, rejected)
    except (duckdb.Error, OSError, ValueError) as exc:
        con.execute("ROLLBACK")
        if transient(exc):
            raise
        return _refuse_unless_changed(con, d, _could_not(exc))


def _ingest_csv_direct(con, d: _Delivery, plan: DirectCsv):
    """A plain UTF-8 CSV inserted into the raw table as DuckDB parses it, in one statement:
    the general read wrote every record to a temp table first and copied it (a quarter of the
    time of a city's ingest). None when the file needs the general read after all (a record
    the parser rejects, a parse error): the transaction is rolled back and nothing is kept."""
    con.execute("BEGIN TRANSACTION")
    try:
        file_seq = con.execute("SELECT nextval('ingest_file_seq')").fetchone()[0]
        with csv_records(con, d.lf.path, len(plan.header)) as (records, params):
            accepted = _insert_raw(
                con, d.contract, plan.header, file_seq, d.sha, d.lf.rel_path, d.run_id, records, params
            )
        if con.execute("SELECT count(*) FROM _csv_rejects").fetchone()[0]:
            con.execute("ROLLBACK")
            return None
        return _keep(con, d, file_seq, plan.encoding, accepted, 0)
    except (duckdb.Error, OSError) as exc:
        con.execute("ROLLBACK")
        if transient(exc):
            raise
        return None


def _keep(con, d: _Delivery, file_seq: int, encoding: str | None, accepted: int, rejected: int):
    """End the file's transaction once its rows are in: committed with its `ingest_files` row
    if the file is still the one pinned, else rolled back (CHANGING)."""
    if _changed(d):
        con.execute("ROLLBACK")
        return CHANGING
    run_sql(
        con,
        "ingest/record_file",
        {
            "dataset": d.contract.dataset,
            "path": d.lf.rel_path,
            "file_seq": file_seq,
            "sha256": d.sha,
            "run_id": d.run_id,
            "file_type": d.lf.file_type,
            "encoding": encoding,
            "size_bytes": d.before.st_size,
            "rows_read": accepted + rejected,
            "rows_accepted": accepted,
            "rows_quarantined": rejected,
            "status": "ingested",
            "reason": None,
            "as_of": d.as_of,
        },
    )
    con.execute("COMMIT")
    return accepted + rejected, rejected


def _refuse_unless_changed(con, d: _Delivery, reason: str) -> str:
    """A file still being written reads as broken (a zip without its directory, a cut line):
    that is no reason to refuse it, so it is left for the next run instead."""
    if _changed(d):
        return CHANGING
    log.warning("%s: refused %s: %s", d.contract.dataset, d.lf.rel_path, reason)
    _record(con, d.lf, d.sha, d.run_id, d.as_of, status="refused", reason=reason)
    return reason


def _changed(d: _Delivery) -> bool:
    """Whether the file is no longer the one pinned (said in the log: it is read again next run)."""
    if unchanged(d.lf.path, d.before):
        return False
    log.warning(
        "%s: %s changed while it was read; it will be read again next run", d.contract.dataset, d.lf.rel_path
    )
    return True


def _could_not(exc: Exception) -> str:
    text = str(exc).strip()
    return f"could not be read ({type(exc).__name__}: {text.splitlines()[0] if text else ''})"


def _columns_by_field(contract: Contract, headers: list[str]) -> tuple[dict[str, list[int]], list[int]]:
    """The header positions of each contract field, and the positions no field claims."""
    mapping = header_map(contract)
    by_field: dict[str, list[int]] = {}
    extras: list[int] = []
    for i, cell in enumerate(headers):
        key = normalise_header(cell or "")
        target = mapping.get(key) or mapping.get(key.lower())
        if target:
            by_field.setdefault(target, []).append(i)
        else:
            extras.append(i)
    return by_field, extras


def _field_columns(contract: Contract, headers: list[str]) -> list[int]:
    return sorted(i for positions in _columns_by_field(contract, headers)[0].values() for i in positions)


def _insert_raw(
    con,
    contract: Contract,
    headers: list[str],
    file_seq: int,
    sha: str,
    path: str,
    run_id: str,
    source: str = "_incoming",
    source_params: Mapping[str, object] | None = None,
) -> int:
    """Map the columns of `source` (`_row_number, c0 .. cN`) onto the raw table; the rows inserted.

    A field given by several columns (its Chinese name and its code, say) takes the first value
    that is not a placeholder; the other columns are kept in `_extra` too, so that no value read
    is lost when they disagree. Not those of a field the contract hashes or drops (an identity
    number): `_extra` goes into a quarantined row's record as it is, and such a value may leave
    the raw layer only as a keyed hash."""
    by_field, extras = _columns_by_field(contract, headers)
    private = {f.name for f in contract.fields if f.privacy is not None}
    extras = sorted(
        [*extras, *(i for name, positions in by_field.items() if name not in private for i in positions[1:])]
    )
    selects = []
    for f in contract.fields:
        idx = by_field.get(f.name, [])
        if not idx:
            selects.append("NULL")
        elif len(idx) == 1:
            selects.append(f"c{idx[0]}")
        else:
            selects.append("COALESCE(" + ", ".join(f"norm_text(c{i})" for i in idx) + ")")
    params: dict[str, object] = {"file_seq": file_seq, "sha256": sha, "path": path, "run_id": run_id}
    if source_params:
        if params.keys() & source_params.keys():
            raise RuntimeError(
                f"a parameter of the raw insert's source clashes: {params.keys() & source_params.keys()}"
            )
        params.update(source_params)
    if extras:
        pairs = []
        names: set[str] = set()
        for n, i in enumerate(extras):
            # Keys must be unique or JSON readers keep only one of the values: number repeats.
            name = headers[i] or f"column_{i + 1}"
            if name in names:
                name = f"{name}#{i + 1}"
            names.add(name)
            params[f"h{n}"] = name
            pairs.append(f"$h{n}, c{i}")
        extra_sql = "json_object(" + ", ".join(pairs) + ")"
    else:
        extra_sql = "NULL"
    columns = [f.name for f in contract.fields] + [c for c, _ in LINEAGE_COLUMNS]
    return con.execute(
        f"INSERT INTO raw_{contract.dataset} ({', '.join(columns)}, _extra) "
        f"SELECT {', '.join(selects)}, $file_seq, $sha256, $path, _row_number, $run_id, {extra_sql} "
        f"FROM {source} AS _records",
        params,
    ).fetchone()[0]


def _record(con, lf: LandingFile, sha: str, run_id: str, as_of: date, *, status: str, reason: str) -> None:
    file_seq = con.execute("SELECT nextval('ingest_file_seq')").fetchone()[0]
    run_sql(
        con,
        "ingest/record_file",
        {
            "file_seq": file_seq,
            "path": lf.rel_path,
            "sha256": sha,
            "dataset": lf.dataset,
            "file_type": lf.file_type,
            "encoding": None,
            "size_bytes": lf.path.lstat().st_size if lf.path.exists() or lf.path.is_symlink() else None,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "status": status,
            "reason": reason,
            "run_id": run_id,
            "as_of": as_of,
        },
    )
