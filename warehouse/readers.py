"""Read one landing file into the temp table `_incoming(_row_number, c0 .. cN)` plus `_rejects`.

Every reader yields the same shape, every value as text, so that one mapping step (in
`warehouse/ingest.py`) turns any file into raw rows. Header cells come back as a list in
column order; they are data, so they reach SQL only as bound parameters.

Two more temp tables come with every read: `_structured(_row_number, col, record)` names the
cells that held a list, an object or true/false (JSONL) for the ingest to judge against the
contract's fields, and rows holding a NUL character are already moved to `_rejects`.

A file name is data too: DuckDB expands `*`, `?` and `[...]` in the paths it reads, so a
delivery named `*.csv` would read every CSV beside it. DuckDB is given a name it reads
literally (`_literal`), never the delivery's own name when that name could be a pattern.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
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
CSV_MAX_LINE_BYTES = 10_000_000
_CHUNK = 16 * 1024 * 1024


class FileRefused(ValueError):
    """The file cannot be read as a delivery at all; the message says why and what to do."""


# Failures of the machine, not of the file: a full or failing disk, too little memory. A file
# refused for one of these would stay refused (its bytes are known), so they are raised instead:
# the step fails, says why, and the next run reads the file again.
_TRANSIENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.ENOMEM, errno.EMFILE, errno.ENFILE}
)


def transient(exc: BaseException) -> bool:
    """Whether a failure while reading says nothing about the file (see _TRANSIENT_ERRNOS)."""
    if isinstance(exc, MemoryError | duckdb.OutOfMemoryException):
        return True
    if isinstance(exc, OSError):
        return exc.errno in _TRANSIENT_ERRNOS
    # DuckDB reports its own I/O failures as text only: the system's messages for the errnos above
    return isinstance(exc, duckdb.IOException) and any(
        os.strerror(code) in str(exc) for code in _TRANSIENT_ERRNOS
    )


@dataclass(frozen=True)
class ReadResult:
    headers: list[str]
    encoding: str | None


def read_file(con: duckdb.DuckDBPyConnection, path: Path, file_type: str) -> ReadResult:
    """Fill `_incoming`, `_rejects` and `_structured` from one file. Call it outside a
    transaction: the CSV reader retries after a DuckDB error, which would abort an open one."""
    con.execute("CREATE OR REPLACE TEMP TABLE _structured (_row_number BIGINT, col BIGINT, record JSON)")
    if file_type == "csv":
        result = _read_csv(con, path)
    elif file_type == "jsonl":
        result = _read_jsonl(con, path)
    elif file_type == "xlsx":
        result = _read_xlsx(con, path)
    else:
        raise FileRefused(f"unsupported file type {file_type!r}")
    run_sql(con, "ingest/reject_nul_rows", {"keys": record_keys(result.headers)})
    return result


def record_keys(headers: list[str]) -> list[str]:
    """Keys a raw record goes by: its header, its position when it has none, numbered when repeated."""
    keys: list[str] = []
    for i, cell in enumerate(headers):
        key = cell or f"column_{i + 1}"
        keys.append(f"{key}#{i + 1}" if key in keys else key)
    return keys


@contextmanager
def _literal(path: Path) -> Iterator[str]:
    """A name DuckDB reads as exactly this file: not a glob pattern, and valid UTF-8.

    Most names are used as they are. One with a pattern character, or with bytes that are not
    UTF-8 (a GBK name), is read through the process's own descriptor of the file (Linux), or
    else through a copy under a temporary folder.
    """
    text = str(path)
    try:
        text.encode("utf-8")
        plain = not any(ch in text for ch in "*?[]{}")
    except UnicodeEncodeError:
        plain = False
    if plain:
        yield text
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    try:
        if os.path.isdir("/proc/self/fd"):
            yield f"/proc/self/fd/{fd}"
            return
        with tempfile.TemporaryDirectory(prefix="credit-lists-") as tmp, os.fdopen(os.dup(fd), "rb") as src:
            copy = Path(tmp) / "delivery"
            with copy.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            yield str(copy)
    finally:
        os.close(fd)


def _columns(n: int) -> dict[str, str]:
    return {f"c{i}": "VARCHAR" for i in range(n)}


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> ReadResult:
    try:
        encoding = detect_encoding(path)
    except UnicodeError as exc:
        raise FileRefused(f"CSV {exc}; re-export it as UTF-8 or GB18030") from None
    csv.field_size_limit(max(csv.field_size_limit(), CSV_MAX_LINE_BYTES))
    with tempfile.TemporaryDirectory(prefix="credit-lists-") as tmp:
        source = path
        if encoding == "gb18030":
            source = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, encoding, source)
        header = _csv_header(source)
        if any("\r" in cell or "\n" in cell for cell in header):
            source = _single_line_header(source, header, Path(tmp) / "header.csv")
        try:
            _duckdb_read_csv(con, source, len(header))
        except duckdb.Error as exc:
            if transient(exc):
                raise
            # Files put together from Windows and Unix exports mix CRLF and LF line ends, which
            # DuckDB's fixed dialect cannot take: retry once on a copy with LF line ends only.
            if not _has_crlf(source):
                raise FileRefused(f"CSV could not be parsed ({str(exc).splitlines()[0]})") from None
            normalised = Path(tmp) / "lf.csv"
            _crlf_to_lf(source, normalised)
            source = normalised
            try:
                _duckdb_read_csv(con, source, len(header))
            except duckdb.Error as exc2:
                if transient(exc2):
                    raise
                raise FileRefused(f"CSV could not be parsed ({str(exc2).splitlines()[0]})") from None
        _number_csv_rows(con, _blank_record_positions(source))
    return ReadResult(header, encoding)


def _number_csv_rows(con: duckdb.DuckDBPyConnection, blank_rows: list[int]) -> None:
    """`_csv_records` -> `_incoming`, record k numbered by its position in the file.

    With no gap (no rejected record, no empty line) record k is row k: the table is renamed
    instead of copied through an ASOF join and a sort (0.3 s per 27,000-row file, 12 s over the
    CSV files of a 500,000-merchant city).
    """
    if blank_rows or con.execute("SELECT count(*) FROM _rejects").fetchone()[0]:
        run_sql(con, "ingest/number_csv_rows", {"blank_rows": blank_rows})
        return
    con.execute("DROP TABLE IF EXISTS temp._incoming")
    con.execute("ALTER TABLE temp._csv_records RENAME COLUMN _k TO _row_number")
    con.execute("ALTER TABLE temp._csv_records RENAME TO _incoming")


def _csv_header(source: Path) -> list[str]:
    try:
        with source.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except csv.Error as exc:
        raise FileRefused(f"CSV header row could not be parsed ({exc})") from None
    if not header or not any(cell.strip() for cell in header):
        raise FileRefused("CSV has no header row; the first line must name the columns")
    if any("\x00" in cell for cell in header):
        raise FileRefused(
            "CSV header holds NUL characters: the file looks like UTF-16 or binary; "
            "re-export it as UTF-8 or GB18030"
        )
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"CSV has {len(header)} columns, more than {MAX_COLUMNS}; not a 双公示 delivery")
    return header


def _single_line_header(source: Path, header: list[str], target: Path) -> Path:
    """A copy of the file whose header record is on one line; the records after it are unchanged.

    Spreadsheets wrap long header cells (罚款金额 / （万元）on two lines), and a quoted line break
    in the header makes DuckDB's `skip` lose track of the records: with a CR in it, every record
    after it disappeared without a reject. The header has been read already (its line breaks
    fold away like any white space), so only where the data starts matters: after the line
    that closes the header's last quote.
    """
    with source.open("rb") as src:
        quotes = 0
        while line := src.readline():
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                break
        else:
            raise FileRefused("CSV header row never closes its quotes; the first line must name the columns")
        with target.open("wb") as dst:
            cells = [" ".join(cell.split()) for cell in header]
            dst.write(_csv_line(cells).encode("utf-8"))
            shutil.copyfileobj(src, dst)
    return target


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _duckdb_read_csv(con: duckdb.DuckDBPyConnection, source: Path, width: int) -> None:
    con.execute("DROP TABLE IF EXISTS _csv_rejects")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    with _literal(source) as literal:
        run_sql(
            con,
            "ingest/read_csv",
            {"path": literal, "columns": _columns(width), "max_line_size": CSV_MAX_LINE_BYTES},
        )


def _scan_bytes(path: Path, needles: tuple[bytes, ...]) -> bool:
    """Whether any needle occurs in the file, read in chunks (needles shorter than 4 bytes)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            window = tail + chunk
            if any(n in window for n in needles):
                return True
            tail = chunk[-3:]
    return False


def _has_crlf(path: Path) -> bool:
    return _scan_bytes(path, (b"\r\n",))


def _crlf_to_lf(path: Path, target: Path) -> None:
    with path.open("rb") as src, target.open("wb") as dst:
        pending_cr = False
        while chunk := src.read(_CHUNK):
            if pending_cr:
                chunk = b"\r" + chunk
            pending_cr = chunk.endswith(b"\r")
            if pending_cr:
                chunk = chunk[:-1]
            dst.write(chunk.replace(b"\r\n", b"\n"))
        if pending_cr:
            dst.write(b"\r")


def _blank_record_positions(source: Path) -> list[int]:
    """Positions (1 = first line after the header) of the empty lines between records.

    DuckDB skips empty lines without reporting them, but they hold a place in the file, as
    they do in a spreadsheet: row numbers must count them so that the row number of every
    later record (accepted or quarantined) is its position in the file. Only a file that has
    two line ends in a row can hold one, so most files are never parsed here.
    """
    if not _scan_bytes(source, (b"\n\n", b"\n\r\n")):
        return []
    blanks: list[int] = []
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)
            for position, record in enumerate(reader, start=1):
                if not record:
                    blanks.append(position)
        except csv.Error:
            pass  # DuckDB reports the malformed record itself; the positions before it stand
    return blanks


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> ReadResult:
    """One object per line; row n is line n of the file (blank lines keep their place)."""
    try:
        encoding = detect_encoding(path)
    except UnicodeError as exc:
        raise FileRefused(f"JSONL {exc}; JSON must be UTF-8") from None
    if encoding == "gb18030":
        raise FileRefused("JSONL is not UTF-8 (it reads as GB18030/GBK); JSON must be UTF-8, re-export it")
    with _literal(path) as literal:
        run_sql(con, "ingest/read_jsonl", {"path": literal})
    keys = sorted(
        row[0] for row in con.execute("SELECT DISTINCT unnest(json_keys(line)) FROM _lines").fetchall()
    )
    if len(keys) > MAX_COLUMNS:
        raise FileRefused(
            f"JSONL objects have {len(keys)} distinct keys, more than {MAX_COLUMNS}; not a 双公示 delivery"
        )
    # JSON Pointer (RFC 6901) addresses any key, the empty one and those with quotes included.
    pointers = ["/" + key.replace("~", "~0").replace("/", "~1") for key in keys]
    if pointers:
        # One call with the list of pointers parses each line once; a call per key parsed it
        # once per key (9x the CPU time over the sample's JSONL files, same values).
        selects = "".join(f", _v[{i + 1}] AS c{i}" for i in range(len(keys)))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _incoming AS SELECT _row_number{selects} "
            "FROM (SELECT _row_number, json_extract_string(line, $pointers) AS _v FROM _lines)",
            {"pointers": pointers},
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _incoming AS SELECT _row_number FROM _lines")
    run_sql(con, "ingest/jsonl_structured", {"keys": keys})
    return ReadResult(keys, encoding)


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
    """First sheet only. A formula cell is not data: its row is set aside, never evaluated.

    Row numbers are sheet rows less the header row, empty rows included, so that row n is
    what a spreadsheet shows as row n + 1.
    """
    import openpyxl

    _check_zip(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        if transient(exc):
            raise
        raise FileRefused(f"XLSX could not be opened: {type(exc).__name__}: {exc}") from None
    try:
        if not wb.worksheets:
            raise FileRefused("XLSX has no worksheet")
        ws = wb.worksheets[0]
        # The <dimension> a writer stores may be wrong; read-only mode would silently stop at
        # it (rows and columns beyond it lost), so read what the sheet really holds.
        ws.reset_dimensions()
        rows = ws.iter_rows()
        header_cells = next(rows, None)
        header = [_cell_text(c.value) or "" for c in header_cells or ()]
        while header and not header[-1]:
            header.pop()
        if not any(header):
            raise FileRefused("XLSX first sheet has no header row; the first row must name the columns")
        if len(header) > MAX_COLUMNS:
            raise FileRefused(
                f"XLSX has {len(header)} columns, more than {MAX_COLUMNS}; not a 双公示 delivery"
            )
        columns: list[list[str | None]] = [[] for _ in header]
        numbers: list[int] = []
        rejects: list[tuple[int, str, str]] = []
        for n, cells in enumerate(rows, start=1):
            used = [c for c in cells if c.value is not None]
            if not used:
                continue
            width = max(c.column for c in used)
            if width > MAX_COLUMNS:
                raise FileRefused(
                    f"XLSX row {n + 1} has a value in column {width}, beyond {MAX_COLUMNS}; "
                    "not a 双公示 delivery"
                )
            # A value under no header is kept too, as an extra column named by its position.
            while len(header) < width:
                header.append("")
                columns.append([None] * len(numbers))
            values = [None] * len(header)
            formulas = []
            for c in used:
                values[c.column - 1] = c
                if c.data_type == "f":
                    formulas.append(_header_name(header, c.column - 1))
            if formulas:
                record: dict[str, object] = {
                    _header_name(header, i): _formula_text(c.value)
                    if c.data_type == "f"
                    else _cell_text(c.value)
                    for i, c in enumerate(values)
                    if c is not None
                }
                record["_formula_cells"] = formulas
                rejects.append((n, "file.formula_cell", _json(record)))
                continue
            numbers.append(n)
            for i, c in enumerate(values):
                columns[i].append(None if c is None else _cell_text(c.value))
    except FileRefused:
        raise
    except Exception as exc:  # a broken sheet part shows only while it is parsed, in many types
        if transient(exc):
            raise
        raise FileRefused(f"XLSX first sheet could not be read: {type(exc).__name__}: {exc}") from None
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
            "CREATE OR REPLACE TEMP TABLE _rejects AS "
            "SELECT _row_number, rule, CAST(record AS JSON) AS record FROM _arrow_rejects"
        )
    finally:
        con.unregister("_arrow_incoming")
        con.unregister("_arrow_rejects")
    return ReadResult(header, None)


def _header_name(header: list[str], i: int) -> str:
    """The name a column goes by in raw records: its header, or its position when it has none."""
    return header[i] or f"column_{i + 1}"


def _formula_text(value: object) -> str:
    """The formula as written (never its cached result): `=A1+1`, or an array formula's text."""
    text = getattr(value, "text", value)
    return str(text)


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


__all__ = ["FileRefused", "ReadResult", "read_file", "transient"]
