"""Generate a deterministic, realistic landing tree of a city's merchant credit records.

All data is made by DuckDB SQL in `sample_data/sql/` from keyed hashes of (seed, purpose,
row key), so the same (scale, seed, as_of) gives the same bytes in every file regardless of
thread count. Python only plans the run, asks for each file's rows and writes them
(`writers.py`). Defect rates are documented in `sample_data/README.md`; the summary returned
counts what was actually written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from data_contracts import incoming_contract
from sample_data import writers
from warehouse.db import execute, split_statements

SQL_DIR = Path(__file__).parent / "sql"
# Build order: repairs are drawn from the penalties just made (table pen_keep).
DATASETS: tuple[str, ...] = ("permits", "penalties", "complaints", "commitments", "repairs")
MERCHANTS_PER_SCALE = 100_000
NATURAL_PERSON_SHARE = 0.02  # 自然人 parties in penalties, per merchant
DUCKDB_MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class Rates:
    """Per-dataset defect rates (fractions of the dataset's rows; see README.md)."""

    r_bad: float = 0.005  # USCC with a wrong check character
    r_lower: float = 0.005  # USCC in lower case (valid after normalisation)
    r_fullwidth: float = 0.005  # USCC in full-width characters (valid after normalisation)
    r_spaced: float = 0.005  # USCC with spaces (valid after normalisation)
    r_dashed: float = 0.005  # USCC with dashes (valid after normalisation)
    r_regno: float = 0.002  # a 15-digit 工商注册号 where the USCC belongs
    r_missing: float = 0.001  # a required field left empty
    r_order: float = 0.0  # 有效期自 after 有效期至 (permits)
    r_blank: float = 0.0  # respondent USCC left blank (complaints)
    r_correct: float = 0.0  # share of eligible keys re-delivered later with a corrected field
    r_revoke: float = 0.0  # share of eligible keys re-delivered later as 撤销
    xlsx_share: float = 0.02
    jsonl_share: float = 0.10


RATES: dict[str, Rates] = {
    "permits": Rates(r_order=0.001, r_correct=0.005),
    "penalties": Rates(r_correct=0.01, r_revoke=0.005),
    # Complaints eligible for correction are those first sent while 处理中: all get their update.
    "complaints": Rates(r_blank=0.08, r_correct=1.0),
    "commitments": Rates(),
    "repairs": Rates(),
}


def generate(
    out: Path,
    scale: float = 0.1,
    seed: int = 20261125,
    as_of: date = date(2026, 11, 25),
) -> dict[str, Any]:
    """Write the landing tree for a city of `scale` x 100,000 merchants under `out`.

    Returns a summary: merchants, files and rows written per dataset (duplicate files
    included), distinct records per dataset, file counts per format / encoding / header style
    / date style, and the defects seeded per dataset and kind (counted as written).
    """
    out = Path(out)
    _refuse_non_empty(out)
    n = max(1, round(scale * MERCHANTS_PER_SCALE))
    summary: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "merchants": n,
        "natural_persons": max(1, round(n * NATURAL_PERSON_SHARE)),
        "files": {},
        "rows": {},
        "records": {},
        "formats": {},
        "encodings": {},
        "header_styles": {},
        "date_styles": {},
        "defects": {},
        "duplicates": [],
    }
    with _connection(seed) as con:
        _run(con, "setup")
        _run(con, "merchants", {"n": n, "as_of": as_of})
        for index, dataset in enumerate(DATASETS):
            _run(con, dataset, {"n": n, "as_of": as_of, "persons": summary["natural_persons"]})
            _run(con, "plan", _plan_params(dataset, index, as_of))
            _run(con, f"out_{dataset}", {"as_of": as_of})
            _write_dataset(con, out, dataset, seed, as_of, summary)
            _run(con, "drop_dataset")
    summary["defects_total"] = dict(sum((Counter(d) for d in summary["defects"].values()), Counter()))
    return summary


def _write_dataset(
    con: duckdb.DuckDBPyConnection, out: Path, dataset: str, seed: int, as_of: date, summary: dict[str, Any]
) -> None:
    contract = incoming_contract(dataset)
    specs = [writers.FileSpec(**row) for row in _query(con, "files")]
    paths: dict[str, Path] = {}
    rows_in: dict[str, int] = {}
    facts: Counter[str] = Counter()
    rows = 0
    for spec in specs:
        path = out / spec.relpath(dataset)
        if spec.dup_of is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(paths[spec.dup_of], path)
            rows += rows_in[spec.dup_of]
            summary["duplicates"].append([spec.relpath(dataset).as_posix(), _rel(paths[spec.dup_of], out)])
            continue
        df = writers.omit(_frame(con, spec.file_id), spec, dataset)
        facts.update(_file_facts(df, dataset))
        writers.write(df, path, spec, contract, seed, as_of)
        paths[spec.file_key] = path
        rows_in[spec.file_key] = df.height
        rows += df.height
    defects = {row["kind"]: row["n"] for row in _query(con, "defect_counts")}
    defects.update({k: v for k, v in facts.items() if v})
    defects["duplicate_files"] = sum(1 for s in specs if s.dup_of is not None)
    summary["files"][dataset] = len(specs)
    summary["rows"][dataset] = rows
    summary["records"][dataset] = con.execute("SELECT count(*) FROM rec").fetchone()[0]
    summary["formats"][dataset] = dict(Counter(s.format for s in specs))
    summary["encodings"][dataset] = dict(Counter(s.encoding for s in specs if s.format == "csv"))
    summary["header_styles"][dataset] = dict(Counter(s.header_style for s in specs))
    summary["date_styles"][dataset] = dict(
        Counter(s.date_style if s.format != "xlsx" else f"xlsx_{s.xlsx_dates}" for s in specs)
    )
    summary["defects"][dataset] = dict(sorted(defects.items()))


def _file_facts(df: pl.DataFrame, dataset: str) -> Counter[str]:
    """Defects that are easiest to count on the rows exactly as written."""
    facts: Counter[str] = Counter()
    facts["placeholder_cells"] = int(
        df.select(pl.sum_horizontal(pl.all().is_in(writers.PLACEHOLDERS).sum())).item()
    )
    if dataset == "permits":
        no_expiry = ["2099-12-31", "2099/12/31", "20991231", "73050"]
        facts["no_expiry_2099"] = int(df.select(pl.col("valid_to").is_in(no_expiry).sum()).item())
    if dataset == "penalties":
        facts["masked_names"] = int(
            df.select(pl.col("party_name").str.contains("*", literal=True).sum()).item()
        )
        facts["natural_person_rows"] = int(df.select((pl.col("party_type") == "自然人").sum()).item())
    return facts


def _frame(con: duckdb.DuckDBPyConnection, file_id: int) -> pl.DataFrame:
    (statement,) = split_statements(_sql("file_rows"))
    return con.sql(statement, params={"file_id": file_id}).pl()


def _plan_params(dataset: str, index: int, as_of: date) -> dict[str, Any]:
    rates = RATES[dataset]
    params: dict[str, Any] = {f.name: getattr(rates, f.name) for f in fields(rates)}
    contract = incoming_contract(dataset)
    params.update(
        dataset=dataset,
        as_of=as_of,
        ds_index=index,
        has_codes=any(a.startswith(("CF_", "XK_")) for f in contract.fields for a in f.aliases),
    )
    return params


def _rel(path: Path, out: Path) -> str:
    return path.relative_to(out).as_posix()


def _refuse_non_empty(out: Path) -> None:
    """Stale files from another seed or scale would silently mix into the tree: refuse."""
    for dataset in DATASETS:
        folder = out / dataset
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(
                f"{folder} is not empty; generate into a new or empty folder (sample data is never merged)"
            )


@contextmanager
def _connection(seed: int) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="credit-sample-") as spill:
        con = duckdb.connect()
        try:
            # The same knobs as the warehouse connection (warehouse/db.py); output bytes do not
            # depend on them.
            threads = os.environ.get("CREDIT_DUCKDB_THREADS")
            if threads:
                con.execute("SET threads = $t", {"t": int(threads)})
            con.execute(
                "SET memory_limit = $m",
                {"m": os.environ.get("CREDIT_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT)},
            )
            con.execute("SET temp_directory = $t", {"t": spill})
            con.execute("SET preserve_insertion_order = true")
            con.execute("SET VARIABLE seed = $s", {"s": seed})
            yield con
        finally:
            con.close()


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    for statement in split_statements(_sql(name)):
        execute(con, statement, params or {})


def _query(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    (statement,) = split_statements(_sql(name))
    cur = execute(con, statement, {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
