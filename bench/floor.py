"""Child process: the floor, one plain pass that parses every landing file once and nothing else.

What it does, file by file, in path order, on one in-memory DuckDB connection (default
settings, all cores):

* CSV: `CREATE OR REPLACE TEMP TABLE floor_rows AS SELECT * FROM read_csv(path,
  all_varchar = true, header = true, delim = ',', quote = '"', escape = '"')`, i.e. every cell
  of every record parsed into an in-memory table (replaced by the next file). The dialect is
  given, as the pipeline gives it: DuckDB's dialect sniffer alone costs ~0.25 s per file.
  DuckDB's reader knows no GB18030: a file whose first 64 KiB are not UTF-8 is decoded by
  Python (`codecs`, 16 MiB chunks) into a UTF-8 temp file and read the same way.
* JSONL: `CREATE OR REPLACE TEMP TABLE floor_rows AS SELECT json FROM
  read_ndjson_objects(path, ignore_errors = true)`: every line parsed by DuckDB's JSON reader.
* XLSX: `polars.read_excel(path, engine="calamine", infer_schema_length=0)` (first sheet, every
  cell as text, by the Rust reader fastexcel/calamine).

Not done, unlike the pipeline: no hashing, no encoding detection beyond the refusal above,
no header mapping, no row numbers, nothing written to disk, no typing, rules or output.
`python -m bench.floor --landing DIR --result FILE`.
"""

from __future__ import annotations

import argparse
import codecs
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from bench.measure import write_result

DATASETS = ("permits", "penalties", "complaints", "commitments", "repairs")
_CHUNK = 16 * 1024 * 1024


def landing_files(landing: Path) -> list[Path]:
    """Every delivery file of the five dataset folders, hidden files left out, in path order."""
    files = []
    for dataset in DATASETS:
        base = landing / dataset
        if base.is_dir():
            files += [
                p
                for p in base.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(landing).parts)
            ]
    return sorted(files)


def _csv(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE floor_rows AS SELECT * FROM read_csv($p, all_varchar = true, "
        "header = true, delim = ',', quote = '\"', escape = '\"')",
        {"p": str(path)},
    )
    return con.execute("SELECT count(*) FROM floor_rows").fetchone()[0]


def _is_utf8(path: Path, probe: int = 64 * 1024) -> bool:
    with path.open("rb") as fh:
        head = fh.read(probe)
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _transcoded(path: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder("gb18030")(errors="strict")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def parse_file(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, int]:
    """(kind, rows) after parsing one file; kind is csv, csv_gb18030, jsonl or xlsx."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if _is_utf8(path):
            return "csv", _csv(con, path)
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
            utf8 = Path(tmp) / "utf8.csv"
            _transcoded(path, utf8)
            return "csv_gb18030", _csv(con, utf8)
    if suffix == ".jsonl":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE floor_rows AS "
            "SELECT json FROM read_ndjson_objects($p, ignore_errors = true)",
            {"p": str(path)},
        )
        return "jsonl", con.execute("SELECT count(*) FROM floor_rows").fetchone()[0]
    if suffix == ".xlsx":
        import polars as pl

        return "xlsx", pl.read_excel(path, engine="calamine", infer_schema_length=0).height
    return "other", 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.floor")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--result", type=Path, required=True)
    args = p.parse_args(argv)
    started = time.perf_counter()
    files = landing_files(args.landing)
    con = duckdb.connect()
    by_kind: dict[str, dict[str, float]] = defaultdict(
        lambda: {"files": 0, "rows": 0, "bytes": 0, "seconds": 0.0}
    )
    for path in files:
        t = time.perf_counter()
        kind, rows = parse_file(con, path)
        k = by_kind[kind]
        k["files"] += 1
        k["rows"] += rows
        k["bytes"] += path.stat().st_size
        k["seconds"] += time.perf_counter() - t
    con.close()
    write_result(
        args.result,
        {
            "seconds": time.perf_counter() - started,
            "files": len(files),
            "rows": int(sum(k["rows"] for k in by_kind.values())),
            "bytes": int(sum(k["bytes"] for k in by_kind.values())),
            "by_kind": dict(by_kind),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
