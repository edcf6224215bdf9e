"""Time the ingest and validate stages alone on a landing tree, against plain DuckDB passes.

    python -m bench.ingest_validate LANDING WAREHOUSE         # ingest into a new warehouse, then validate
    python -m bench.ingest_validate --raw-from FILE WAREHOUSE  # validate raw tables copied from FILE

Issue 3's yardstick: validating (row rules, quarantine and the Great Expectations gates) must
take at most 3x one plain pass that reads every column of the raw tables. This prints that
pass, and two more references on the same tables: one plain copy of them (CREATE TABLE AS
SELECT *: what writing a table of that size costs here) and the gates alone (Great
Expectations on the promoted tables), then stages, gates and promotes every dataset.

Afterwards, three parts of validation measured alone, each nothing but itself: the contracts'
typed projection of every raw row, the USCC check character of every cell a contract checks,
and one copy of the validated tables. The typed projection, that copy and the gates are each
something validation must do, so their sum is a floor under it (issue 7 compares validate with
the GE-on-pandas baseline of `bench.baseline`).

`--raw-from` copies the raw tables and `ingest_files` of an existing warehouse (a bench run's,
say) into WAREHOUSE, as they were before validation, so that validation can be measured again
without ingesting the landing files again.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import duckdb

from data_contracts import INCOMING_DATASETS, incoming_contract
from data_contracts.rules import compile_rules
from warehouse import db, validate
from warehouse.ge_duckdb import validate_batch
from warehouse.ingest import ensure_schema, ingest_dataset

AS_OF = date(2026, 11, 25)


def _copy_raw(source: Path, target: Path) -> None:
    """The raw layer of `source` in a new warehouse `target`, every file back to 'ingested'."""
    with db.connect(target) as con:
        ensure_schema(con, INCOMING_DATASETS)
        con.execute("ATTACH $p AS source (READ_ONLY)", {"p": str(source)})
        for ds in INCOMING_DATASETS:
            con.execute(f"INSERT INTO raw_{ds} BY NAME SELECT * FROM source.raw_{ds}")
        con.execute("INSERT INTO ingest_files BY NAME SELECT * FROM source.ingest_files")
        con.execute(
            "INSERT INTO quarantine_rows BY NAME SELECT * FROM source.quarantine_rows WHERE stage = 'parse'"
        )
        con.execute(
            "UPDATE ingest_files SET status = 'ingested', validated_at = NULL, reason = NULL, "
            "rows_accepted = rows_read - (SELECT count(*) FROM quarantine_rows AS q "
            "WHERE q.file_seq = ingest_files.file_seq), "
            "rows_quarantined = (SELECT count(*) FROM quarantine_rows AS q WHERE q.file_seq = ingest_files.file_seq) "
            "WHERE status IN ('validated', 'held')"
        )
        con.execute("DETACH source")


def _ingest(landing: Path, con: duckdb.DuckDBPyConnection) -> None:
    ensure_schema(con, INCOMING_DATASETS)
    t0 = time.time()
    for ds in INCOMING_DATASETS:
        t = time.time()
        s = ingest_dataset(con, landing, ds, "bench", AS_OF)
        print(
            f"ingest {ds}: {s.files_ingested} files, {s.rows_read} rows, {time.time() - t:.1f} s", flush=True
        )
    print(f"ingest total {time.time() - t0:.1f} s", flush=True)


def _timed(con: duckdb.DuckDBPyConnection, statements: list[str]) -> float:
    started = time.time()
    for statement in statements:
        con.execute(statement).fetchall()
    return time.time() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("landing", type=Path, nargs="?", help="landing tree to ingest first")
    p.add_argument("warehouse", type=Path, help="a new warehouse file")
    p.add_argument(
        "--raw-from", type=Path, help="take the raw layer from this warehouse instead of ingesting"
    )
    args = p.parse_args()
    if args.raw_from:
        _copy_raw(args.raw_from, args.warehouse)
    with db.connect(args.warehouse) as con:
        if not args.raw_from:
            _ingest(args.landing, con)
        con.execute("CHECKPOINT")
        columns = {
            ds: [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $t",
                    {"t": f"raw_{ds}"},
                ).fetchall()
            ]
            for ds in INCOMING_DATASETS
        }
        rows = sum(con.execute(f"SELECT count(*) FROM raw_{ds}").fetchone()[0] for ds in INCOMING_DATASETS)
        plain = _timed(
            con,
            [
                f"SELECT {', '.join(f'sum(length(CAST({n} AS VARCHAR)))' for n in names)} FROM raw_{ds}"
                for ds, names in columns.items()
            ],
        )
        print(f"plain pass over every column of the raw tables ({rows} rows): {plain:.2f} s", flush=True)
        copy = _timed(
            con, [f"CREATE TEMP TABLE copy_{ds} AS SELECT * FROM raw_{ds}" for ds in INCOMING_DATASETS]
        )
        for ds in INCOMING_DATASETS:
            con.execute(f"DROP TABLE copy_{ds}")
        print(f"plain copy of the raw tables (CREATE TABLE AS SELECT *): {copy:.2f} s", flush=True)

        t0 = time.time()
        for ds in INCOMING_DATASETS:
            t1 = time.time()
            s = validate.stage(con, ds, "bench", AS_OF)
            t2 = time.time()
            con.execute(f"CREATE OR REPLACE VIEW batch_{ds} AS {validate.batch_relation(ds)}")
            gate = validate_batch(
                con, f"batch_{ds}", incoming_contract(ds), args.warehouse.parent / "docs", ds
            )
            t3 = time.time()
            n = validate.promote(con, ds)
            print(
                f"validate {ds}: {s.rows_staged} staged, {s.rows_failed} quarantined, {n} promoted; "
                f"stage {t2 - t1:.1f} s, gate {t3 - t2:.1f} s (passed {gate.success}), "
                f"promote {time.time() - t3:.1f} s",
                flush=True,
            )
        total = time.time() - t0
        t4 = time.time()
        for ds in INCOMING_DATASETS:
            validate_batch(con, ds, incoming_contract(ds), None, ds)
        gates = time.time() - t4
        print(f"the Great Expectations gates alone, again on the promoted tables: {gates:.1f} s")
        typed = _typed_projections(con)
        print(f"the contracts' typed projection alone, every raw row, nothing written: {typed:.2f} s")
        uscc = _timed(con, _uscc_checks(con))
        print(f"the USCC check character alone, every cell a contract checks, nothing written: {uscc:.2f} s")
        validated = _timed(
            con, [f"CREATE TEMP TABLE copy_{ds} AS SELECT * FROM {ds}" for ds in INCOMING_DATASETS]
        )
        print(f"plain copy of the validated tables (CREATE TABLE AS SELECT *): {validated:.2f} s")
        print(
            f"validate total {total:.1f} s = {total / plain:.1f} x the plain pass "
            f"(the plain copy is {copy / plain:.1f} x, the gates alone {gates / plain:.1f} x)"
        )
        # Issue 7 asks validate to be 5x faster than the GE-on-pandas baseline (bench.baseline, whose
        # load runs the same typed projection): these three parts of it alone bound it from below.
        print(
            "typed projection + one copy of the validated tables + the gates, a floor under validate: "
            f"{typed + validated + gates:.1f} s"
        )


def _typed_projections(con: duckdb.DuckDBPyConnection) -> float:
    """The contracts' typed projection of every raw row (each typed column counted), with no rule
    judged and nothing written."""
    started = time.time()
    for ds in INCOMING_DATASETS:
        rules = compile_rules(incoming_contract(ds))
        counts = ", ".join(f"count({c})" for c in rules.typed_columns)
        sql = f"SELECT {counts} FROM (SELECT {rules.typed_select} FROM raw_{ds} AS r)"
        db.execute(con, sql, rules.params).fetchall()
    return time.time() - started


def _uscc_checks(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One count per dataset of the raw cells a contract checks by GB 32100, as the stage checks them
    (normalised, then the check character), with nothing else computed and nothing written."""
    statements = []
    for ds in INCOMING_DATASETS:
        cols = [f.name for f in incoming_contract(ds).fields if f.check == "uscc"]
        if cols:
            counts = ", ".join(f"count(*) FILTER (WHERE uscc_valid(norm_uscc({c})))" for c in cols)
            statements.append(f"SELECT {counts} FROM raw_{ds}")
    return statements


if __name__ == "__main__":
    main()
