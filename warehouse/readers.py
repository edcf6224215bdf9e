"""Read one landing file into the temp table `_incoming(_row_number, c0 .. cN)` plus `_rejects`.

Every reader yields the same shape, every value as text, so that one mapping step (in
`warehouse/ingest.py`) turns any file into raw rows. Header cells come back as a list in
column order; they are data, so they reach SQL only as bound parameters.
"""

from __future__ import annotations

import csv
import datetime as dt

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.db import run_sql
from warehouse.landing import detect_encoding, transcode_to_utf8

# An XLSX is a zip archive: refuse archives that would inflate beyond these before parsing.
XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
XLSX_MAX_RATIO = 200
MAX_COLUMNS = 512


class FileRefused(ValueError):
    """The file cannot be read as a delivery at all; the message says why and what to do."""


@dataclass(frozen=True)
class ReadResult:
    headers: list[str]
    encoding: str | None


def read_file(con: duckdb.DuckDBPyConnection, path: Path, file_type: str) -> ReadResult:
    if file_type == "csv":
        return _read_csv(con, path)
    if file_type == "jsonl":
        return _read_jsonl(con, path)
    if file_type == "xlsx":
        return _read_xlsx(con, path)
    raise FileRefused(f"unsupported file type {file_type!r}")


def _columns(n: int) -> dict[str, str]:
    return {f"c{i}": "VARCHAR" for i in range(n)}


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> ReadResult:
    try:
        encoding = detect_encoding(path)
    except UnicodeError as exc:
        raise FileRefused(f"CSV {exc}; re-export it as UTF-8 or GB18030") from None
    with tempfile.TemporaryDirectory(prefix="credit-lists-") as tmp:
        source = path
        if encoding == "gb18030":
            source = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, encoding, source)
        with source.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
        if not header or not any(cell.strip() for cell in header):
            raise FileRefused("CSV has no header row; the first line must name the columns")
        if len(header) > MAX_COLUMNS:
            raise FileRefused(
                f"CSV has {len(header)} columns, more than {MAX_COLUMNS}; not a 双公示 delivery"
            )
        con.execute("DROP TABLE IF EXISTS _csv_rejects")
        con.execute("DROP TABLE IF EXISTS _csv_scans")
        try:
            run_sql(con, "ingest/read_csv", {"path": str(source), "columns": _columns(len(header))})
        except duckdb.Error as exc:
            raise FileRefused(f"CSV could not be parsed ({str(exc).splitlines()[0]})") from None
    return ReadResult(header, encoding)


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> ReadResult:
    try:
        detect_encoding(path)
    except UnicodeError as exc:
        raise FileRefused(f"JSONL {exc}; JSON must be UTF-8") from None
    run_sql(con, "ingest/read_jsonl", {"path": str(path)})
    keys = [row[0] for row in con.execute("SELECT DISTINCT unnest(json_keys(line)) FROM _lines").fetchall()]
    keys = sorted(keys)[:MAX_COLUMNS]
    paths = {
        f"p{i}": '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for i, key in enumerate(keys)
    }
    selects = ", ".join(f"json_extract_string(line, $p{i}) AS c{i}" for i in range(len(keys)))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _incoming AS SELECT _row_number{', ' if selects else ''}{selects} FROM _lines",
        paths,
    )
    return ReadResult(keys, "utf-8")


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(f"not a valid XLSX (zip) file: {exc}") from None
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED_BYTES:
        raise FileRefused(
            f"XLSX would inflate to {total} bytes (limit {XLSX_MAX_UNCOMPRESSED_BYTES}); split it"
        )
    for info in infos:
        if (
            info.compress_size
            and info.file_size / info.compress_size > XLSX_MAX_RATIO
            and info.file_size > 10**7
        ):
            raise FileRefused(
                f"XLSX member {info.filename} has a compression ratio typical of a zip bomb; refused"
            )


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> ReadResult:
    """First sheet only. A formula cell is not data: its row is set aside, never evaluated."""
    import openpyxl

    _check_zip(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise FileRefused(f"XLSX could not be opened: {type(exc).__name__}: {exc}") from None
    try:
        if not wb.worksheets:
            raise FileRefused("XLSX has no worksheet")
        ws = wb.worksheets[0]
        rows = ws.iter_rows()
        header_cells = next(rows, None)
        header = [_cell_text(c.value) or "" for c in header_cells or ()]
        while header and not header[-1]:
            header.pop()
        if not any(header):
            raise FileRefused("XLSX first sheet has no header row; the first row must name the columns")
        header = header[:MAX_COLUMNS]
        width = len(header)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        numbers: list[int] = []
        rejects: list[tuple[int, str, str]] = []
        for n, cells in enumerate(rows, start=1):
            cells = cells[:width]
            if all(c.value is None for c in cells):
                continue
            if any(c.data_type == "f" for c in cells):
                record = {
                    h or f"column_{i}": _cell_text(c.value) for i, (h, c) in enumerate(zip(header, cells))
                }
                formulas = [h for h, c in zip(header, cells, strict=False) if c.data_type == "f"]
                record["_formula_cells"] = formulas
                rejects.append((n, "file.formula_cell", _json(record)))
                continue
            numbers.append(n)
            for i in range(width):
                columns[i].append(_cell_text(cells[i].value) if i < len(cells) else None)
    finally:
        wb.close()
    table = pa.table(
        {
            "_row_number": pa.array(numbers, pa.int64()),
            **{f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)},
        }
    )
    reject_table = pa.table(
        {
            "_row_number": pa.array([r[0] for r in rejects], pa.int64()),
            "rule": pa.array([r[1] for r in rejects], pa.string()),
            "record": pa.array([r[2] for r in rejects], pa.string()),
        }
    )
    con.register("_arrow_incoming", table)
    con.register("_arrow_rejects", reject_table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _incoming AS SELECT * FROM _arrow_incoming")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rejects AS SELECT _row_number, rule, CAST(record AS JSON) AS record FROM _arrow_rejects"
        )
    finally:
        con.unregister("_arrow_incoming")
        con.unregister("_arrow_rejects")
    return ReadResult(header, None)


def _json(record: dict) -> str:
    import json

    return json.dumps(record, ensure_ascii=False, default=str)


__all__ = ["FileRefused", "ReadResult", "read_file"]
