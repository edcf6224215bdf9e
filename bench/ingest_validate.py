"""Time the ingest and validate stages alone on a landing tree, against a plain DuckDB pass.

    python -m bench.ingest_validate LANDING WAREHOUSE

Ingests every dataset into a fresh warehouse, then reads every column of the raw tables once
(the plain pass that issue 3 compares against), then stages, gates (Great Expectations on
DuckDB) and promotes every dataset. Prints seconds per step and the validate/plain ratio.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import db, validate
from warehouse.ge_duckdb import validate_batch
from warehouse.ingest import ensure_schema, ingest_dataset

AS_OF = date(2026, 11, 25)


def main(landing: Path, warehouse: Path) -> None:
    with db.connect(warehouse) as con:
        ensure_schema(con, INCOMING_DATASETS)
        t0 = time.time()
        for ds in INCOMING_DATASETS:
            t = time.time()
            s = ingest_dataset(con, landing, ds, "bench", AS_OF)
            print(
                f"ingest {ds}: {s.files_ingested} files, {s.rows_read} rows, {time.time() - t:.1f} s",
                flush=True,
            )
        print(f"ingest total {time.time() - t0:.1f} s", flush=True)

        t0 = time.time()
        for ds in INCOMING_DATASETS:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $t",
                    {"t": f"raw_{ds}"},
                ).fetchall()
            ]
            con.execute(
                f"SELECT {', '.join(f'sum(length(CAST({n} AS VARCHAR)))' for n in names)} FROM raw_{ds}"
            )
            con.fetchall()
        plain = time.time() - t0
        print(f"plain pass over every column of the raw tables {plain:.1f} s", flush=True)

        t0 = time.time()
        for ds in INCOMING_DATASETS:
            t1 = time.time()
            s = validate.stage(con, ds, "bench", AS_OF)
            t2 = time.time()
            con.execute(f"CREATE OR REPLACE VIEW batch_{ds} AS {validate.batch_relation(ds)}")
            gate = validate_batch(con, f"batch_{ds}", incoming_contract(ds), warehouse.parent / "docs", ds)
            t3 = time.time()
            n = validate.promote(con, ds)
            print(
                f"validate {ds}: {s.rows_staged} staged, {s.rows_failed} quarantined, {n} promoted; "
                f"stage {t2 - t1:.1f} s, gate {t3 - t2:.1f} s (passed {gate.success}), "
                f"promote {time.time() - t3:.1f} s",
                flush=True,
            )
        total = time.time() - t0
        print(f"validate total {total:.1f} s = {total / plain:.2f} x the plain pass")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
