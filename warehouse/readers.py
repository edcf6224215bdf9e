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
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from warehouse.db import run_sql, sql_text
from warehouse.landing import (
    NEITHER_UTF8_NOR_GB18030,
    DamagedUtf8,
    Utf8Check,
    detect_encoding,
    transcode_to_utf8,
    utf8_verdict,
)

# An XLSX is a zip archive: refuse archives that would inflate beyond these before parsing.
XLSX_MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
XLSX_MAX_RATIO = 200
MAX_COLUMNS = 512
CSV_MAX_LINE_BYTES = 10_000_000
_CHUNK = 16 * 1024 * 1024


class FileRefused(ValueError):
    """The file cannot be read as a delivery at all; the message says why and what to do."""


REEXPORT_CSV = "re-export it as UTF-8 or GB18030"


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
    # False when the bytes DuckDB read hold no NUL byte, so no cell can hold a NUL character
    # (CSV has no escapes): the scan of every cell for one (`reject_nul_rows`) is skipped.
    may_hold_nul: bool = True


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_type: str,
    scan: _Scan | None = None,
    sheet: Sheet | None = None,
    utf8_copy: Path | None = None,
) -> ReadResult:
    """Fill `_incoming`, `_rejects` and `_structured` from one file. Call it outside a
    transaction: the CSV reader retries after a DuckDB error, which would abort an open one.

    `scan` (CSV, JSONL), `sheet` (XLSX) and `utf8_copy` (the complete UTF-8 transcoding of a
    GB18030 CSV): what a pass over these very bytes found or made already (`scan_file`,
    `warehouse.prepare`); what is not given is worked out here, the same way."""
    con.execute("CREATE OR REPLACE TEMP TABLE _structured (_row_number BIGINT, col BIGINT, record JSON)")
    if file_type == "csv":
        result = _read_csv(con, path, scan, utf8_copy)
    elif file_type == "jsonl":
        result = _read_jsonl(con, path, scan)
    elif file_type == "xlsx":
        result = _read_xlsx(con, path, sheet)
    else:
        raise FileRefused(f"unsupported file type {file_type!r}")
    if result.may_hold_nul:
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


# Two line ends in a row, the only way a CSV holds an empty line: LF, CRLF, and CR alone (Excel's
# "CSV (Macintosh)"). DuckDB skips such a line without a trace; `_blank_record_positions` finds it.
BLANK_LINE_ENDS = (b"\n\n", b"\n\r\n", b"\r\r")
_BLANK_LINE_ENDS_WITHOUT_CR = tuple(n for n in BLANK_LINE_ENDS if b"\r" not in n)


@dataclass(frozen=True)
class _Scan:
    """What one pass over a file's bytes tells (`_scan`)."""

    head: bytes  # the first 3 bytes
    utf8: str | None  # as landing._decodes(path): ok, cut or invalid; None: not decoded
    nul: bool  # holds a NUL byte
    blank: bool  # holds a BLANK_LINE_ENDS pair: may hold an empty line (`_blank_record_positions`)
    crlf: bool  # holds "\r\n"


def scan_file(path: Path) -> _Scan:
    """`scan_stream` of a delivery, decoding it."""
    return _scan(path, decode=True)


def _scan(path: Path, decode: bool) -> _Scan:
    with path.open("rb") as fh:
        return scan_stream(fh, decode)


def scan_stream(fh: BinaryIO, decode: bool, digest: hashlib._Hash | None = None) -> _Scan:
    """One pass over the file for every byte-level fact the CSV reader needs (it took four).

    With `decode`, the file is also checked as strict UTF-8 (`Utf8Check`, with the verdicts of
    `landing._decodes`); once a chunk does not decode the file is not UTF-8 (the reader
    then reads a GB18030 copy instead) and the other facts are no longer looked for, being
    unknown (None-like: the reader scans the copy). The needles are shorter than 4 bytes, so
    one found across two chunks lies within the last 3 bytes of one and the first 3 of the
    next. With `digest`, every byte also goes into it (the file's sha256 in the same pass).
    """
    check = Utf8Check() if decode else None
    head = b""
    nul = blank = crlf = False
    tail = b""
    first = True
    invalid = False
    while chunk := fh.read(_CHUNK):
        if digest is not None:
            digest.update(chunk)
        if invalid:
            continue
        if first:
            head = chunk[:3]
            first = False
        if check is not None and not check.feed(chunk):
            invalid = True
            if digest is None:
                break
            continue
        seam = tail + chunk[:3]
        nul = nul or b"\x00" in chunk
        # A chunk without CR (one memchr, 25 times faster than a search for a pair) cannot hold
        # a needle with one: only the others are searched in it. The seam is searched in full.
        has_cr = b"\r" in chunk
        if not blank:
            needles = BLANK_LINE_ENDS if has_cr else _BLANK_LINE_ENDS_WITHOUT_CR
            blank = any(n in seam for n in BLANK_LINE_ENDS) or any(n in chunk for n in needles)
        if not crlf:
            crlf = b"\r\n" in seam or (has_cr and b"\r\n" in chunk)
        tail = (tail + chunk[-3:])[-3:]
    if invalid:
        return _Scan(head, "invalid", True, True, True)
    return _Scan(head, check.verdict() if check is not None else None, nul, blank, crlf)


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, scan: _Scan | None, utf8_copy: Path | None = None
) -> ReadResult:
    if scan is None or scan.utf8 is None:
        scan = scan_file(path)  # facts of `source`; None below once it is a copy
    try:
        encoding = utf8_verdict(scan.head, scan.utf8)
    except UnicodeError as exc:
        raise FileRefused(f"CSV {exc}; {REEXPORT_CSV}") from None
    csv.field_size_limit(max(csv.field_size_limit(), CSV_MAX_LINE_BYTES))
    with tempfile.TemporaryDirectory(prefix="credit-lists-") as tmp:
        source = path
        if encoding is None:
            # Not UTF-8: GB18030 or refused. One strict pass decodes and writes the UTF-8 copy
            # (deciding first and transcoding after decoded the file twice), unless the pass
            # ahead has written it already (by the same rule). The same pass tells UTF-8 with a
            # few damaged places, which GB18030 may accept as other characters: refused too.
            source = utf8_copy or Path(tmp) / "utf8.csv"
            scan = None
            if utf8_copy is None:
                try:
                    transcode_to_utf8(path, "gb18030", source)
                except DamagedUtf8 as exc:
                    raise FileRefused(f"CSV {exc}; ask the source to {REEXPORT_CSV}") from None
                except UnicodeError:
                    raise FileRefused(f"CSV {NEITHER_UTF8_NOR_GB18030}; {REEXPORT_CSV}") from None
            encoding = "gb18030"
        header = _csv_header(source)
        if any("\r" in cell or "\n" in cell for cell in header):
            source = _single_line_header(source, header, Path(tmp) / "header.csv")
            scan = None
        try:
            _duckdb_read_csv(con, source, len(header))
        except duckdb.Error as exc:
            if transient(exc):
                raise
            # Files put together from Windows and Unix exports mix CRLF and LF line ends, which
            # DuckDB's fixed dialect cannot take: retry once on a copy with LF line ends only.
            if not (scan.crlf if scan is not None else _has_crlf(source)):
                raise FileRefused(f"CSV could not be parsed ({str(exc).splitlines()[0]})") from None
            normalised = Path(tmp) / "lf.csv"
            _crlf_to_lf(source, normalised)
            source = normalised
            scan = None
            try:
                _duckdb_read_csv(con, source, len(header))
            except duckdb.Error as exc2:
                if transient(exc2):
                    raise
                raise FileRefused(f"CSV could not be parsed ({str(exc2).splitlines()[0]})") from None
        if scan is None:
            scan = _scan(source, decode=False)
        _number_csv_rows(con, _blank_record_positions(source, scan.blank))
    return ReadResult(header, encoding, may_hold_nul=scan.nul)


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
            f"CSV header holds NUL characters: the file looks like UTF-16 or binary; {REEXPORT_CSV}"
        )
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"CSV has {len(header)} columns, more than {MAX_COLUMNS}; not a 双公示 delivery")
    return header


def _single_line_header(source: Path, header: list[str], target: Path) -> Path:
    """A copy of the file whose header record is on one line; the records after it are unchanged.

    Spreadsheets wrap long header cells (罚款金额 / （万元）on two lines), and a quoted line break
    in the header makes DuckDB's `skip` lose track of the records: with a CR in it, every record
    after it disappeared without a reject. The header has been read already (its line breaks
    fold away like any white space), so only where the data starts matters: after the line end
    (CR, LF or CRLF) that follows the header outside its quotes. The header line written ends the
    same way, so the copy's line ends stay as uniform as the file's.
    """
    with source.open("rb") as src:
        found = _header_end(src)
        if found is None:
            raise FileRefused("CSV header row never closes its quotes; the first line must name the columns")
        data_start, line_end = found
        src.seek(data_start)
        with target.open("wb") as dst:
            cells = [" ".join(cell.split()) for cell in header]
            dst.write(_csv_line(cells, line_end).encode("utf-8"))
            shutil.copyfileobj(src, dst)
    return target


_HEADER_STOPS = re.compile(rb'["\r\n]')


def _header_end(src: BinaryIO) -> tuple[int, str] | None:
    """Where the records start (the byte after the header's line end) and that line end, or None
    when the header's quotes never close. A quote toggles quoting ("" toggles it twice)."""
    quoted = False
    offset = 0  # of `chunk` in the file
    chunk = src.read(_CHUNK)
    pos = 0
    while chunk:
        match = _HEADER_STOPS.search(chunk, pos)
        if match is None:
            offset += len(chunk)
            chunk, pos = src.read(_CHUNK), 0
            continue
        pos = match.end()
        if match.group() == b'"':
            quoted = not quoted
        elif not quoted:
            if match.group() == b"\n":
                return offset + pos, "\n"
            if pos == len(chunk):  # a CR at the end of the chunk: is an LF next?
                offset += len(chunk)
                chunk, pos = src.read(_CHUNK), 0
                if chunk[:1] == b"\n":
                    return offset + 1, "\r\n"
                return offset, "\r"
            if chunk[pos : pos + 1] == b"\n":
                return offset + pos + 1, "\r\n"
            return offset + pos, "\r"
    return None


def _csv_line(cells: list[str], line_end: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=line_end).writerow(cells)
    return buf.getvalue()


@dataclass(frozen=True)
class DirectCsv:
    """A CSV the ingest can insert into its raw table as DuckDB parses it (`direct_csv`)."""

    header: list[str]
    encoding: str


def direct_csv(path: Path, scan: _Scan | None) -> DirectCsv | None:
    """The header and encoding of a CSV that needs none of `_read_csv`'s preparations: UTF-8
    (no GB18030 copy), a header on one line, no empty line to number around and no NUL byte
    to look for. None for any other file, and for one whose header would be refused: the
    ingest then reads it through `read_file`, which says why."""
    if scan is None or scan.utf8 is None or scan.nul or scan.blank:
        return None
    try:
        encoding = utf8_verdict(scan.head, scan.utf8)
        header = _csv_header(path) if encoding is not None else None
    except (UnicodeError, FileRefused, OSError):  # gone, say: the general read meets it and says so
        return None
    if encoding is None or header is None or any("\r" in cell or "\n" in cell for cell in header):
        return None
    return DirectCsv(header, encoding)


@contextmanager
def csv_records(
    con: duckdb.DuckDBPyConnection, path: Path, width: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The relation (SQL and its parameters) of a `DirectCsv` delivery's records, valid inside
    the block. `_csv_rejects` is emptied first: a read fills it with the records it rejects."""
    con.execute("DROP TABLE IF EXISTS _csv_rejects")
    con.execute("DROP TABLE IF EXISTS _csv_scans")
    with _literal(path) as literal:
        yield (
            f"({sql_text('ingest/csv_records')})",
            {"source": literal, "columns": _columns(width), "max_line_size": CSV_MAX_LINE_BYTES},
        )


def _duckdb_read_csv(con: duckdb.DuckDBPyConnection, source: Path, width: int) -> None:
    """`_csv_records` and `_rejects` from one UTF-8 CSV."""
    with csv_records(con, source, width) as (records, params):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv_records AS SELECT * FROM {records}", params)
    run_sql(con, "ingest/csv_rejects")


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


def _blank_record_positions(source: Path, may_hold_blank: bool | None = None) -> list[int]:
    """Positions (1 = first line after the header) of the empty lines between records.

    DuckDB skips empty lines without reporting them, but they hold a place in the file, as
    they do in a spreadsheet: row numbers must count them so that the row number of every
    later record (accepted or quarantined) is its position in the file. Only a file that has
    two line ends in a row (BLANK_LINE_ENDS) can hold one, so most files are never parsed here
    (`may_hold_blank`: whether it has two, when a pass of its own has told already).
    """
    if may_hold_blank is None:
        may_hold_blank = _scan_bytes(source, BLANK_LINE_ENDS)
    if not may_hold_blank:
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


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path, scan: _Scan | None) -> ReadResult:
    """One object per line; row n is line n of the file (blank lines keep their place)."""
    try:
        encoding = None if scan is None or scan.utf8 is None else utf8_verdict(scan.head, scan.utf8)
        encoding = encoding or detect_encoding(path)
    except DamagedUtf8 as exc:
        raise FileRefused(
            f"JSONL {exc}; JSON must be UTF-8: ask the source to re-export it as UTF-8"
        ) from None
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


def _check_zip(source: Path | BinaryIO) -> None:
    try:
        with zipfile.ZipFile(source) as zf:
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


@dataclass(frozen=True)
class Sheet:
    """The first sheet of an XLSX, read into Python: header, columns, row numbers, rejects."""

    header: list[str]
    columns: list[list[str | None]]
    numbers: list[int]
    rejects: list[tuple[int, str, str]]


def read_sheet(source: Path | BinaryIO) -> Sheet:
    """First sheet only. A formula cell is not data: its row is set aside, never evaluated.

    Row numbers are sheet rows less the header row, empty rows included, so that row n is
    what a spreadsheet shows as row n + 1.

    openpyxl opens the workbook (package, workbook part, styles, shared strings). The cells of
    a sheet without a formula are then read by `_plain_sheet_rows`, which gives the values
    openpyxl gives (same conversions), ~10x faster; any other sheet is read cell by cell by
    openpyxl. It touches no database, so the ingest may run it ahead on a helper thread, on
    the descriptor it holds (`source` a binary file at its start) rather than by name.
    """
    import openpyxl

    _check_zip(source)
    if not isinstance(source, Path):
        source.seek(0)
    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=False)
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
        plain = _plain_sheet_rows(wb, ws)
        if plain is not None:
            return Sheet(*_collect_plain(plain))
        return Sheet(*_collect_openpyxl(ws))
    except FileRefused:
        raise
    except Exception as exc:  # a broken sheet part shows only while it is parsed, in many types
        if transient(exc):
            raise
        raise FileRefused(f"XLSX first sheet could not be read: {type(exc).__name__}: {exc}") from None
    finally:
        wb.close()


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: Sheet | None) -> ReadResult:
    sheet = sheet or read_sheet(path)
    header, columns, numbers, rejects = sheet.header, sheet.columns, sheet.numbers, sheet.rejects
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


def _check_header(header: list[str]) -> None:
    """Drop the header's trailing empty cells (in place); refuse a sheet without a usable header."""
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise FileRefused("XLSX first sheet has no header row; the first row must name the columns")
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"XLSX has {len(header)} columns, more than {MAX_COLUMNS}; not a 双公示 delivery")


def _check_width(n: int, width: int) -> None:
    """Refuse a sheet whose data row `n` (sheet row n + 1) has a value beyond MAX_COLUMNS."""
    if width > MAX_COLUMNS:
        raise FileRefused(
            f"XLSX row {n + 1} has a value in column {width}, beyond {MAX_COLUMNS}; not a 双公示 delivery"
        )


def _collect_openpyxl(ws) -> tuple[list[str], list[list[str | None]], list[int], list[tuple[int, str, str]]]:
    """Header, columns, row numbers and rejects of the sheet, read cell by cell by openpyxl."""
    rows = ws.iter_rows()
    header_cells = next(rows, None)
    header = [_cell_text(c.value) or "" for c in header_cells or ()]
    _check_header(header)
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    rejects: list[tuple[int, str, str]] = []
    for n, cells in enumerate(rows, start=1):
        used = [c for c in cells if c.value is not None]
        if not used:
            continue
        width = max(c.column for c in used)
        _check_width(n, width)
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
                _header_name(header, i): _formula_text(c.value) if c.data_type == "f" else _cell_text(c.value)
                for i, c in enumerate(values)
                if c is not None
            }
            record["_formula_cells"] = formulas
            rejects.append((n, "file.formula_cell", _json(record)))
            continue
        numbers.append(n)
        for i, c in enumerate(values):
            columns[i].append(None if c is None else _cell_text(c.value))
    return header, columns, numbers, rejects


def _collect_plain(
    rows: list[tuple[int, list[tuple[int, object]]]],
) -> tuple[list[str], list[list[str | None]], list[int], list[tuple[int, str, str]]]:
    """What `_collect_openpyxl` gives for the same sheet, from `_plain_sheet_rows` (no formulas)."""
    first = rows[0][1] if rows and rows[0][0] == 1 else []
    header = [""] * (first[-1][0] if first else 0)
    for col, value in first:
        header[col - 1] = _cell_text(value) or ""
    _check_header(header)
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    for sheet_row, cells in rows:
        if sheet_row == 1 or not cells:
            continue
        n = sheet_row - 1
        width = cells[-1][0]  # columns ascend within a row (checked)
        _check_width(n, width)
        while len(header) < width:
            header.append("")
            columns.append([None] * len(numbers))
        values: list[str | None] = [None] * len(header)
        for col, value in cells:
            values[col - 1] = _cell_text(value)
        numbers.append(n)
        for column, text in zip(columns, values, strict=True):
            column.append(text)
    return header, columns, numbers, []


# The shapes of a sheet part that `_plain_sheet_rows` reads: what Excel, WPS, openpyxl and
# xlsxwriter write. Anything else (a formula, a boolean or error cell, rich or phonetic text,
# other attributes, prefixed names, a DTD, a CDATA section, a CR) is read by openpyxl.
_SHEET_MAIN_XMLNS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_XML_DECLARATION = re.compile(
    rb'<\?xml version="1\.0"(?: encoding="(?i:utf-8)")?(?: standalone="(?:yes|no)")?\?>'
)
# The cells part (inside <sheetData>) must be made of these tokens and white space only.
_SHEET_TOKEN = re.compile(
    r'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"'  # 1, 2: a cell's column and row
    r'(?: s="([0-9]{1,9})")?(?: t="(n|s|inlineStr)")?(?: s="([0-9]{1,9})")?'  # 3, 4, 5
    r"(?: ?/>|>(?:<v>([^<&]*)</v>)?"  # 6: the value, as stored
    r'(?:<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'  # 7: an inline string
    r'|<row r="([1-9][0-9]{0,6})"(?:\s[^>]*?)?(/?)>'  # 8: a row's number, 9: "/" when empty
    r"|(</row>)"  # 10
)
_XML_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
PLAIN_SHEET_MAX_BYTES = 512 * 1024**2


def _xml_entity(m: re.Match) -> str:
    name = m[1]
    if name[0] != "#":
        return _ENTITIES[name]
    return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))


def _plain_sheet_rows(wb, ws) -> list[tuple[int, list[tuple[int, object]]]] | None:
    """The cells holding a value, per sheet row, as openpyxl's read-only mode gives them, or
    None when the sheet is not plain or in any doubt: then openpyxl reads it.

    Plain: the cells part is made of `_SHEET_TOKEN`s only (numbers, shared and inline strings
    as Excel, WPS, openpyxl and xlsxwriter write them), so it holds no formula, no boolean or
    error cell, no rich text; rows and columns ascend; no DTD, comment or CR anywhere.
    Values are converted by openpyxl's own code (numbers, dates by the workbook's date styles
    and epoch, shared strings as openpyxl read them), so the text of a cell is the same. The
    part is checked as openpyxl would check it: well-formed (expat, as under ElementTree),
    and everything but the cells parsed by openpyxl's own sheet parser.
    """
    import xml.parsers.expat

    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel
    from openpyxl.worksheet._reader import WorkSheetParser, _cast_number

    try:
        part = ws._worksheet_path
        archive = wb._archive
        if archive.getinfo(part).file_size > PLAIN_SHEET_MAX_BYTES:
            return None
        data = archive.read(part)
        declaration = _XML_DECLARATION.match(data)
        body = data[declaration.end() :] if declaration else data
        if (
            not body.lstrip().startswith(b"<worksheet ")
            or data.count(b'xmlns="') != 1
            or _SHEET_MAIN_XMLNS not in data
            or b"<!" in data
        ):
            return None
        expat = xml.parsers.expat.ParserCreate(None, "}")  # as ElementTree's parser
        expat.Parse(data, True)
        start = data.find(b"<sheetData>")
        if start < 0 or data.find(b"<sheetData", start + 1) >= 0:
            return None
        end = data.find(b"</sheetData>", start)
        if end < 0:
            return None
        cells_xml = data[start + len(b"<sheetData>") : end]
        if b"\r" in cells_xml:
            return None  # the XML parser turns CR LF into LF in text; leave that to it
        # Everything but the cells goes through openpyxl's parser: what would fail there fails
        # the file the same way (by falling back to openpyxl).
        rest = data[:start] + b"<sheetData/>" + data[end + len(b"</sheetData>") :]
        parser = WorkSheetParser(
            io.BytesIO(rest),
            ws._shared_strings,
            data_only=False,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        if any(True for _ in parser.parse()):
            return None
        return _plain_cells(
            cells_xml.decode("utf-8"),
            ws._shared_strings,
            wb.epoch,
            wb._date_formats,
            wb._timedelta_formats,
            column_index_from_string,
            from_excel,
            _cast_number,
        )
    except Exception as exc:  # in any doubt, openpyxl reads the sheet
        if transient(exc):
            raise
        return None


def _plain_cells(
    text, shared, epoch, date_formats, timedelta_formats, column_index, from_excel, cast_number
) -> list[tuple[int, list[tuple[int, object]]]] | None:
    """The loop of `_plain_sheet_rows` over the tokens of the cells part (see there)."""
    column_of: dict[str, int] = {}
    rows: list[tuple[int, list[tuple[int, object]]]] = []
    cells: list[tuple[int, object]] | None = None
    row_key = ""
    last_row = last_col = 0
    done = 0
    for m in _SHEET_TOKEN.finditer(text):
        if m.start() != done and not text[done : m.start()].isspace():
            return None  # not one of the tokens, so openpyxl reads the sheet
        done = m.end()
        letters, cell_row, s1, kind, s2, stored, inline, row_number, empty, _ = m.groups()
        if letters is not None:
            if cell_row != row_key or cells is None:
                return None  # a cell outside a row, or naming another row
            col = column_of.get(letters)
            if col is None:
                col = column_of[letters] = column_index(letters)
            if col <= last_col:
                return None  # columns out of order or repeated
            last_col = col
            if kind == "inlineStr":
                if stored is not None:
                    return None
                if inline is None:
                    continue
                value: object = _XML_ENTITY.sub(_xml_entity, inline) if "&" in inline else inline
            elif inline is not None:
                return None
            elif not stored:
                continue  # no value: openpyxl's None
            elif kind == "s":
                value = shared[int(stored)]
            else:
                value = cast_number(stored)
                style = s1 or s2
                style_id = int(style) if style else 0
                if style_id in date_formats:
                    value = from_excel(value, epoch, timedelta=style_id in timedelta_formats)
            cells.append((col, value))
        elif row_number is not None:
            if cells is not None:
                return None  # a row inside a row
            number = int(row_number)
            if number <= last_row:
                return None  # rows out of order or repeated
            last_row = number
            if not empty:
                row_key = row_number
                cells = []
                last_col = 0
                rows.append((number, cells))
        else:  # </row>
            if cells is None:
                return None
            cells = None
            row_key = ""
    if cells is not None or (done < len(text) and not text[done:].isspace()):
        return None
    return rows


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
