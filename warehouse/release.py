"""Build, check and publish immutable releases that downstream sites read.

Layout (interfaces.md section 4)::

    PUBLISH/latest.json               which release readers should take, replaced atomically, last
    PUBLISH/releases/<id>/            one release, never modified after it appears
    PUBLISH/.staging/<id>/            a release candidate being built or waiting for its check
    PUBLISH/.trash/                   releases being deleted by retention

A reader that follows latest.json always finds a complete release, whatever point a publication
died at: a candidate is built and fsynced under .staging (same file system), appears under
releases/ with one rename, and latest.json is swapped last with write-temp + fsync + os.replace.
Each step is its own function so tests can stop a publication between any two of them.

The gate cannot be skipped by accident: `check_release` leaves a receipt naming the manifest's
sha256 only when it finds no problem, and `promote_release` refuses a candidate without one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from data_contracts import Contract, published_contract
from warehouse import gate_memory
from warehouse.db import configure, execute, query, run_sql, split_statements, sql_text, table_exists
from warehouse.privacy import contract_cell_failures, disclosure_policy, gate_scan, masking_params

# The published files, in the order they are written and listed.
RELEASE_FILES: tuple[str, ...] = ("red_list", "black_list", "penalties", "permits", "commitments", "changes")
# The credit stage's tables the release is made from.
INPUT_TABLES: tuple[str, ...] = (
    "penalties_resolved",
    "permits_resolved",
    "commitments_resolved",
    "merchant_credit",
    "black_list",
    "red_list",
    "list_history",
)
MANIFEST = "manifest.json"
DATAPACKAGE = "datapackage.json"
LATEST = "latest.json"
MANIFEST_FORMAT = "credit-lists-release/1"
BATCH_ROWS = 100_000  # rows per Arrow batch from DuckDB and per Parquet row group
RELEASE_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})--(\d{8}T\d{6}Z)--([0-9a-f]{8})$")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
}
_TABLE_SCHEMA_TYPES: dict[str, str] = {
    "string": "string",
    "date": "date",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "array": "list",
}


class ReleaseError(RuntimeError):
    """A release cannot be built or promoted; the message names the file, table or step."""


class ReleaseExists(ReleaseError):
    """A release id is already taken: an existing release is never modified."""


# ---------------------------------------------------------------------------------------------
# identifiers, paths and small file-system helpers


def release_id(as_of: date, created: datetime, run_id: str) -> str:
    """`<as_of>--<created UTC>--<8 hex of the run>`: ids sort by as_of, then by creation time."""
    compact = run_id.replace("-", "").lower()
    suffix = (
        compact[:8]
        if re.fullmatch(r"[0-9a-f]{8,}", compact)
        else hashlib.sha256(run_id.encode()).hexdigest()[:8]
    )
    return f"{as_of.isoformat()}--{created.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}--{suffix}"


def release_ids(publish_dir: Path) -> list[str]:
    """The ids of the releases under PUBLISH/releases, oldest first."""
    releases = Path(publish_dir) / "releases"
    if not releases.is_dir():
        return []
    return sorted(p.name for p in releases.iterdir() if p.is_dir() and RELEASE_ID.match(p.name))


def read_latest(publish_dir: Path) -> dict[str, Any] | None:
    """The content of latest.json, or None before the first publication."""
    try:
        return json.loads((Path(publish_dir) / LATEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def previous_release(publish_dir: Path, as_of: date) -> Path | None:
    """The newest release of the latest as_of before `as_of`: what `changes` is measured against."""
    earlier = [
        i for i in release_ids(publish_dir) if date.fromisoformat(RELEASE_ID.match(i).group(1)) < as_of
    ]
    return Path(publish_dir) / "releases" / earlier[-1] if earlier else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old bytes or the new ones, never a mix: temp file, fsync, rename, fsync dir."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    _write_file(tmp, data)
    os.replace(tmp, path)
    _fsync(path.parent)


def _make_private_dir(path: Path) -> None:
    """Candidates may hold what the gate has not yet cleared: only the owner may read them."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _rmtree(path: Path) -> None:
    """Delete a tree whose files and folders may be read-only (published releases are)."""

    def _writable_retry(func, failed: str, _exc_info) -> None:
        os.chmod(os.path.dirname(failed), 0o700)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(failed, 0o700)
        func(failed)

    if path.is_dir():
        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=_writable_retry)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def _publish_lock(publish_dir: Path) -> Iterator[None]:
    """One publication-directory change at a time (cleanup, promotion, retention), across processes."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(publish_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _try_lock(path: Path) -> int | None:
    """An exclusive lock on `path` if nobody holds one, as an open descriptor; else None."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def _candidate_lock(publish_dir: Path, rid: str) -> Iterator[None]:
    """Held while a candidate is being built, so cleanup by another publication leaves it alone."""
    staging_root = publish_dir / ".staging"
    _make_private_dir(staging_root)
    with _publish_lock(publish_dir):  # so that no cleanup unlinks the lock file between open and flock
        fd = _try_lock(staging_root / f"{rid}.lock")
    if fd is None:
        raise ReleaseError(f"release candidate {rid} is being built by another process")
    try:
        yield
    finally:
        os.close(fd)


def _receipt(staging: Path) -> Path:
    return staging.parent / f"{staging.name}.checked"


# ---------------------------------------------------------------------------------------------
# build


def build_release(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, as_of: date, run_id: str, policy_version: str
) -> Path:
    """Write the release candidate for `as_of` under PUBLISH/.staging and return its folder.

    Nothing under releases/ or latest.json changes: `check_release` and `promote_release` follow.
    """
    publish_dir = Path(publish_dir)
    check_inputs(con, as_of, policy_version)
    created = datetime.now(UTC).replace(microsecond=0)
    rid = release_id(as_of, created, run_id)
    with _candidate_lock(publish_dir, rid):
        staging = prepare_staging(publish_dir, rid)
        files = write_data_files(con, staging, as_of, policy_version, previous_release(publish_dir, as_of))
        datapackage = write_datapackage(staging, rid, as_of, created, files)
        write_manifest(staging, rid, as_of, policy_version, run_id, created, files, datapackage)
        sync_tree(staging)
    return staging


def check_inputs(con: duckdb.DuckDBPyConnection, as_of: date, policy_version: str) -> None:
    """Refuse to build from a date the credit stage has not evaluated, or under another policy.

    An empty release would take every merchant off the public lists at once.
    """
    missing = [t for t in INPUT_TABLES if not table_exists(con, t)]
    if missing:
        raise ReleaseError(
            f"cannot build a release: warehouse tables {', '.join(missing)} are missing; "
            "run the credit stage first"
        )
    (row,) = query(con, "publish/inputs", {"as_of": as_of})
    if not row["merchant_rows"]:
        raise ReleaseError(f"cannot build the release of {as_of}: merchant_credit has no rows for that as_of")
    if row["policy_versions"] != [policy_version]:
        raise ReleaseError(
            f"cannot build the release of {as_of} under policy {policy_version}: merchant_credit was "
            f"evaluated under {row['policy_versions']}"
        )


def clean_staging(publish_dir: Path, stale_after: timedelta | None = None) -> list[str]:
    """Remove what earlier publications left behind; return the names removed.

    An incomplete candidate (no manifest: its build died) goes at once, a complete one that was
    never promoted once it is `stale_after` old; a candidate whose build still runs is locked and
    kept. Interrupted retention (.trash) and latest.json temp files go too.
    """
    publish_dir = Path(publish_dir)
    if stale_after is None:
        stale_after = timedelta(hours=disclosure_policy().stale_staging_hours)
    removed: list[str] = []
    staging_root = publish_dir / ".staging"
    with _publish_lock(publish_dir):
        if staging_root.is_dir():
            for entry in sorted(staging_root.iterdir()):
                if not entry.is_dir():
                    continue
                fd = _try_lock(staging_root / f"{entry.name}.lock")
                if fd is None:
                    continue
                try:
                    manifest = entry / MANIFEST
                    age = time.time() - manifest.stat().st_mtime if manifest.exists() else None
                    if age is None or age >= stale_after.total_seconds():
                        _rmtree(entry)
                        _receipt(entry).unlink(missing_ok=True)
                        (staging_root / f"{entry.name}.lock").unlink(missing_ok=True)
                        removed.append(f".staging/{entry.name}")
                finally:
                    os.close(fd)
            # receipts and locks left by candidates that are gone (promoted, or removed above)
            markers = [*staging_root.glob("*.checked"), *staging_root.glob("*.lock")]
            for rid in sorted({p.name.rsplit(".", 1)[0] for p in markers}):
                lock = staging_root / f"{rid}.lock"
                if (staging_root / rid).exists():
                    continue
                fd = _try_lock(lock)
                if fd is None:
                    continue  # a build that has not made its folder yet
                try:
                    _receipt(staging_root / rid).unlink(missing_ok=True)
                    lock.unlink(missing_ok=True)
                finally:
                    os.close(fd)
            _fsync(staging_root)
        trash = publish_dir / ".trash"
        if trash.is_dir():
            for entry in sorted(trash.iterdir()):
                _rmtree(entry)
                removed.append(f".trash/{entry.name}")
        for tmp in sorted(publish_dir.glob(f".{LATEST}.*.tmp")):
            tmp.unlink(missing_ok=True)
            removed.append(tmp.name)
    return removed


def prepare_staging(publish_dir: Path, rid: str) -> Path:
    """Clean up leftovers, refuse an id that exists, and create the empty candidate folder."""
    publish_dir = Path(publish_dir)
    (publish_dir / "releases").mkdir(parents=True, exist_ok=True)
    _make_private_dir(publish_dir / ".staging")
    _make_private_dir(publish_dir / ".trash")
    if (publish_dir / "releases" / rid).exists():
        raise ReleaseExists(
            f"release {rid} already exists under {publish_dir / 'releases'}; it is never modified"
        )
    clean_staging(publish_dir)
    staging = publish_dir / ".staging" / rid
    try:
        staging.mkdir()
    except FileExistsError:
        raise ReleaseExists(f"a release candidate {rid} already exists under {staging.parent}") from None
    return staging


def arrow_type(physical_type: str) -> pa.DataType:
    """The Arrow (and so Parquet) type of a contract's physicalType."""
    t = physical_type.replace(" ", "").upper()
    if t.endswith("[]"):
        return pa.list_(arrow_type(t[:-2]))
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t)
    if decimal:
        return pa.decimal128(int(decimal.group(1)), int(decimal.group(2)))
    try:
        return _ARROW_TYPES[t]
    except KeyError:
        raise ValueError(f"no Arrow type for the contract's physicalType {physical_type!r}") from None


def arrow_schema(contract: Contract, metadata: Mapping[str, str] | None = None) -> pa.Schema:
    """The exact schema a published file is written with: the contract's columns, order and types.

    Every column is nullable in Parquet; `required` is enforced by check_release, which names the
    column and row instead of failing inside the writer.
    """
    schema = pa.schema([pa.field(f.name, arrow_type(f.physical_type)) for f in contract.fields])
    return schema.with_metadata(dict(metadata)) if metadata else schema


def _bound(statement: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Only the parameters the statement uses: DuckDB rejects unused named parameters."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", statement)}


def write_data_file(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    name: str,
    params: Mapping[str, Any],
    metadata: Mapping[str, str],
) -> dict[str, Any]:
    """Run `sql/publish/<name>.sql` and stream its rows into `<name>.parquet` with the contract's types."""
    contract = published_contract(name)
    (statement,) = split_statements(sql_text(f"publish/{name}"))
    kv = {
        "contract_id": contract.id,
        "contract_version": contract.version,
        "dataset": name,
        **metadata,
    }
    schema = arrow_schema(contract, kv)
    path = staging / f"{name}.parquet"
    rows = 0
    # closed on every path: a reader left open keeps the warehouse attached in this process
    with contextlib.closing(
        con.sql(statement, params=_bound(statement, params)).to_arrow_reader(BATCH_ROWS)
    ) as reader:
        if reader.schema.names != schema.names:
            raise ReleaseError(
                f"sql/publish/{name}.sql returns columns {reader.schema.names} but contract {contract.id} "
                f"{contract.version} publishes {schema.names}"
            )
        with pq.ParquetWriter(
            path, schema, compression="zstd", write_statistics=True, use_dictionary=True, store_schema=True
        ) as writer:
            for batch in reader:
                try:
                    typed = batch.cast(schema, safe=True)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise ReleaseError(
                        f"{name}.parquet: rows of sql/publish/{name}.sql do not fit {contract.id}: {exc}"
                    ) from exc
                writer.write_batch(typed, row_group_size=BATCH_ROWS)
                rows += batch.num_rows
    _fsync(path)
    return {
        "dataset": name,
        "rows": rows,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "contract_id": contract.id,
        "contract_version": contract.version,
    }


def write_data_files(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    as_of: date,
    policy_version: str,
    previous: Path | None,
) -> dict[str, dict[str, Any]]:
    """Write every published Parquet file; return the manifest entries keyed by file name."""
    run_sql(con, "publish/macros")
    run_sql(con, "publish/previous_listings_reset")
    previous_as_of = None
    if previous is not None:
        previous_as_of = date.fromisoformat(RELEASE_ID.match(previous.name).group(1))
        run_sql(
            con,
            "publish/previous_listings",
            {
                "black_list": str(previous / "black_list.parquet"),
                "red_list": str(previous / "red_list.parquet"),
            },
        )
    params = {"as_of": as_of, "previous_release_as_of": previous_as_of, **masking_params()}
    metadata = {"as_of": as_of.isoformat(), "policy_version": policy_version}
    return {
        f"{name}.parquet": write_data_file(con, staging, name, params, metadata) for name in RELEASE_FILES
    }


def _table_schema(contract: Contract) -> dict[str, Any]:
    fields = []
    for f in contract.fields:
        field: dict[str, Any] = {
            "name": f.name,
            "type": _TABLE_SCHEMA_TYPES.get(f.logical_type, "any"),
            "title": f.business_name,
        }
        if f.logical_type == "array":
            field["itemType"] = "string"
        if f.description:
            field["description"] = f.description
        constraints: dict[str, Any] = {}
        if f.required:
            constraints["required"] = True
        if f.allowed_values and f.logical_type != "array":
            constraints["enum"] = list(f.allowed_values)
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    key = sorted(
        (f for f in contract.fields if f.primary_key), key=lambda f: contract.field_names.index(f.name)
    )
    schema: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "fields": fields,
    }
    if key:
        positions = {
            p["name"]: p.get("primaryKeyPosition", 0)
            for p in contract.raw["schema"][0]["properties"]
            if p.get("primaryKey")
        }
        schema["primaryKey"] = [f.name for f in sorted(key, key=lambda f: positions[f.name])]
    return schema


def write_datapackage(
    staging: Path, rid: str, as_of: date, created: datetime, files: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A Frictionless Data Package (v2) descriptor, for open-data catalogs; returns its manifest entry."""
    resources = []
    for file_name, entry in files.items():
        contract = published_contract(entry["dataset"])
        resources.append(
            {
                "name": entry["dataset"],
                "path": file_name,
                "type": "table",
                "title": contract.business_name,
                "description": (contract.raw.get("description") or {}).get("purpose", ""),
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "bytes": entry["bytes"],
                "hash": f"sha256:{entry['sha256']}",
                "schema": _table_schema(contract),
                "sources": [{"title": f"{contract.id} {contract.version}"}],
            }
        )
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": f"credit-lists-{as_of.isoformat()}",
        "id": rid,
        "title": f"商务信用信息公示 {as_of.isoformat()}",
        "description": "评价日的行政处罚、行政许可、信用承诺公示信息与诚信红名单、失信黑名单及其变动。",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keywords": ["商务信用", "双公示", "行政处罚", "行政许可", "信用承诺", "诚信红名单", "失信黑名单"],
        "resources": resources,
    }
    path = staging / DATAPACKAGE
    _write_file(path, _json_bytes(descriptor))
    return {"path": DATAPACKAGE, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def write_manifest(
    staging: Path,
    rid: str,
    as_of: date,
    policy_version: str,
    run_id: str,
    created: datetime,
    files: Mapping[str, Mapping[str, Any]],
    datapackage: Mapping[str, Any],
) -> Path:
    """manifest.json last: its presence marks a complete candidate, and it hashes every other file."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "release": rid,
        "as_of": as_of.isoformat(),
        "policy_version": policy_version,
        "run_id": run_id,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": {name: dict(entry) for name, entry in files.items()},
        "datapackage": dict(datapackage),
    }
    path = staging / MANIFEST
    _write_file(path, _json_bytes(manifest))
    return path


def sync_tree(staging: Path) -> None:
    """fsync every file and the folder itself before the candidate can be renamed into place."""
    for path in sorted(staging.iterdir()):
        _fsync(path)
    _fsync(staging)
    _fsync(staging.parent)


# ---------------------------------------------------------------------------------------------
# check


def verify_release(release_dir: Path) -> list[str]:
    """What is wrong with a release folder's files against its manifest (empty: complete and intact)."""
    release_dir = Path(release_dir)
    try:
        manifest = json.loads((release_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{release_dir.name}: no {MANIFEST}: the release is incomplete"]
    except json.JSONDecodeError as exc:
        return [f"{release_dir.name}: {MANIFEST} is not valid JSON ({exc})"]
    problems: list[str] = []
    entries = dict(manifest.get("files", {}))
    expected = {f"{name}.parquet" for name in RELEASE_FILES}
    if set(entries) != expected:
        problems.append(f"{MANIFEST} lists {sorted(entries)}, expected {sorted(expected)}")
    entries[DATAPACKAGE] = manifest.get("datapackage") or {}
    for name, entry in sorted(entries.items()):
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{name}: listed in {MANIFEST} but missing")
        elif path.stat().st_size != entry.get("bytes"):
            problems.append(f"{name}: {path.stat().st_size} bytes, {MANIFEST} says {entry.get('bytes')}")
        elif _sha256(path) != entry.get("sha256"):
            problems.append(f"{name}: sha256 differs from {MANIFEST}")
    unexpected = sorted(p.name for p in release_dir.iterdir() if p.name not in entries and p.name != MANIFEST)
    if unexpected:
        problems.append(f"files not in {MANIFEST}: {unexpected}")
    return problems


def _norm_type(t: str) -> str:
    return t.replace(" ", "").upper()


def cell_rules(contract: Contract) -> dict[str, Any]:
    """The cell-level rules of a published contract, as the parameters of contract_cells."""
    return {
        "required_columns": [f.name for f in contract.fields if f.required],
        "allowed": [
            {"column_name": f.name, "allowed_values": list(f.allowed_values)}
            for f in contract.fields
            if f.allowed_values
        ],
        "uscc_columns": [f.name for f in contract.fields if f.check == "uscc"],
    }


def check_file(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    name: str,
    manifest: Mapping[str, Any],
    cell_failures: list[Mapping[str, Any]] | None = None,
) -> list[str]:
    """Conformance of one written file with its published contract (empty list: conforms).

    `cell_failures` are the rows of contract_cells from the gate's shared read of the file
    (`gate_scan`); without them the file is read for the cell rules here."""
    contract = published_contract(name)
    file_name = f"{name}.parquet"
    path = staging / file_name
    if not path.is_file():
        return [f"{file_name}: missing"]
    p = {"path": str(path)}
    prefix = contract.dataset
    actual = [
        (r["column_name"], _norm_type(r["column_type"])) for r in query(con, "publish/contract_columns", p)
    ]
    declared = [(f.name, _norm_type(f.physical_type)) for f in contract.fields]
    if actual != declared:
        return [
            f"{file_name}: {prefix}.columns - file has {actual}, contract {contract.id} {contract.version} "
            f"declares {declared}"
        ]
    problems: list[str] = []
    (meta,) = query(con, "publish/contract_file", p)
    kv = meta["kv"] or {}
    entry = manifest["files"].get(file_name, {})
    if meta["rows"] != entry.get("rows"):
        problems.append(f"{file_name}: {meta['rows']} rows, {MANIFEST} says {entry.get('rows')}")
    for key, want in (
        ("contract_id", contract.id),
        ("contract_version", contract.version),
        ("policy_version", manifest["policy_version"]),
        ("as_of", manifest["as_of"]),
    ):
        if kv.get(key) != want:
            problems.append(f"{file_name}: key-value metadata {key} is {kv.get(key)!r}, expected {want!r}")
    cells = (
        cell_failures
        if cell_failures is not None
        else contract_cell_failures(con, path, cell_rules(contract))
    )
    problems.extend(
        f"{file_name} column {r['column_name']} row {r['first_row']}: "
        f"{prefix}.{r['column_name']}.{r['rule']} fails on {r['failures']} value(s)"
        for r in cells
    )
    key = [f.name for f in contract.fields if f.primary_key]
    if key:
        (dup,) = query(con, "publish/contract_primary_key", {**p, "primary_key": key})
        if dup["duplicates"]:
            problems.append(f"{file_name}: {prefix}.primary_key {key} repeats on {dup['duplicates']} row(s)")
    template = sql_text("publish/contract_row_rule")
    params = {
        **p,
        "as_of": date.fromisoformat(manifest["as_of"]),
        "policy_version": manifest["policy_version"],
    }
    for rule in contract.explicit_row_rules:
        (statement,) = split_statements(template.replace("RULE_PREDICATE", rule.sql))
        failures, first_row = execute(con, statement, params).fetchone()
        if failures:
            problems.append(
                f"{file_name} row {first_row}: {rule.id} ({rule.name}) fails on {failures} row(s)"
            )
    return problems


def check_release(
    staging: Path, con: duckdb.DuckDBPyConnection | None = None, previous: Path | None = None
) -> list[str]:
    """Every blocking problem of a release candidate; an empty list clears it for promotion.

    Checks the manifest's hashes, each file against its published contract (columns, order,
    types, required, valid values, USCC check, primary key, row rules, metadata) and runs the
    privacy gate on every cell. Pass the open warehouse connection so that complainant names
    and raw identity numbers are looked for too; without it the gate reports that it could not.

    `previous` (the latest published release) lets the cell-level rules skip the rows that a
    release this warehouse's gate cleared already holds, where that is exact (warehouse/gate_memory.py);
    a candidate that clears is remembered for the next gate.
    """
    staging = Path(staging)
    problems = verify_release(staging)
    try:
        manifest_bytes = (staging / MANIFEST).read_bytes()
    except FileNotFoundError:
        return problems
    manifest = json.loads(manifest_bytes)
    check_con = con if con is not None else duckdb.connect()
    try:
        if con is None:
            configure(check_con)
        run_sql(check_con, "publish/macros")
        rules = gate_memory.fingerprint()  # before the scan: the rules it runs under
        cleared = gate_memory.cleared_release(con, previous, rules) if con is not None else None
        # one read of each file serves the contracts' cell rules and the privacy scan
        scan = gate_scan(
            staging,
            check_con,
            warehouse=con is not None,
            cell_rules={name: cell_rules(published_contract(name)) for name in RELEASE_FILES},
            cleared=cleared,
        )
        for name in RELEASE_FILES:
            problems.extend(check_file(check_con, staging, name, manifest, scan.cell_failures.get(name)))
    finally:
        if con is None:
            check_con.close()
    problems.extend(str(f) for f in scan.findings)
    if not problems:
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        if con is not None:
            gate_memory.remember(
                con,
                staging.name,
                manifest_sha256,
                rules=rules,
                full_scan=scan.full_scan,
                name_bytes=scan.name_bytes,
            )
        _atomic_write(_receipt(staging), manifest_sha256.encode() + b"\n")
    return problems


def latest_release(publish_dir: Path) -> Path | None:
    """The folder latest.json names, or None before the first publication."""
    latest = read_latest(publish_dir)
    return Path(publish_dir) / latest["release"] if latest else None


# ---------------------------------------------------------------------------------------------
# promote and retention


def move_into_releases(staging: Path, publish_dir: Path) -> Path:
    """The one rename that makes a complete release appear; an existing id is refused."""
    target = Path(publish_dir) / "releases" / staging.name
    if target.exists():
        raise ReleaseExists(
            f"release {staging.name} already exists under {target.parent}; it is never modified"
        )
    for path in staging.iterdir():
        os.chmod(path, 0o444)
    os.chmod(staging, 0o755)
    os.rename(staging, target)
    _fsync(target.parent)
    _fsync(staging.parent)
    os.chmod(target, 0o555)
    return target


def swap_latest(
    publish_dir: Path, release_dir: Path, manifest: Mapping[str, Any], manifest_sha256: str
) -> bool:
    """Point latest.json at the release, unless latest already shows a later as_of.

    A backfill of an older date is published under releases/ but does not move readers back in
    time: an older release still shows penalties repaired or expired since.
    """
    current = read_latest(publish_dir)
    if current is not None and current["as_of"] > manifest["as_of"]:
        return False
    latest = {
        "release": f"releases/{release_dir.name}",
        "release_id": release_dir.name,
        "as_of": manifest["as_of"],
        "policy_version": manifest["policy_version"],
        "run_id": manifest["run_id"],
        "published_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifest_sha256": manifest_sha256,
    }
    _atomic_write(Path(publish_dir) / LATEST, _json_bytes(latest))
    return True


def promote_release(staging: Path, publish_dir: Path) -> Path:
    """Rename a checked candidate into releases/, then swap latest.json; return the release folder."""
    staging = Path(staging)
    publish_dir = Path(publish_dir)
    if staging.resolve().parent != (publish_dir / ".staging").resolve():
        raise ReleaseError(f"{staging} is not a release candidate under {publish_dir / '.staging'}")
    with _publish_lock(publish_dir):
        try:
            manifest_bytes = (staging / MANIFEST).read_bytes()
        except FileNotFoundError:
            raise ReleaseError(f"{staging} has no {MANIFEST}: the candidate is incomplete") from None
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        manifest = json.loads(manifest_bytes)
        if manifest.get("release") != staging.name:
            raise ReleaseError(f"{staging}: {MANIFEST} names release {manifest.get('release')!r}")
        receipt = _receipt(staging)
        if not receipt.is_file() or receipt.read_text(encoding="utf-8").strip() != manifest_sha256:
            raise ReleaseError(
                f"release candidate {staging.name} has not passed check_release; it is not published"
            )
        problems = verify_release(staging)
        if problems:
            raise ReleaseError(f"release candidate {staging.name} changed after its check: {problems[0]}")
        final = move_into_releases(staging, publish_dir)
        swap_latest(publish_dir, final, manifest, manifest_sha256)
        receipt.unlink(missing_ok=True)
        (staging.parent / f"{staging.name}.lock").unlink(missing_ok=True)
    return final


def prune_releases(publish_dir: Path, keep: int | None = None) -> list[str]:
    """Delete old releases; return their ids. Never the one latest.json names, never the newest `keep`.

    A release leaves releases/ with one rename into .trash before it is deleted, so a reader never
    sees a half-deleted release; an interrupted deletion is finished by the next publication.
    """
    publish_dir = Path(publish_dir)
    keep = disclosure_policy().keep_releases if keep is None else keep
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    removed: list[str] = []
    with _publish_lock(publish_dir):
        ids = release_ids(publish_dir)
        latest = read_latest(publish_dir)
        protected = set(ids[-keep:])
        if latest is not None:
            protected.add(Path(latest["release"]).name)
        trash = publish_dir / ".trash"
        _make_private_dir(trash)
        for rid in ids:
            if rid in protected:
                continue
            source = publish_dir / "releases" / rid
            target = trash / f"{rid}.{uuid.uuid4().hex[:8]}"
            os.chmod(source, 0o755)
            os.rename(source, target)
            _fsync(source.parent)
            _rmtree(target)
            removed.append(rid)
    return removed
