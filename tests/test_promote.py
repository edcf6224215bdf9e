"""Promotion: into an empty table the staged table is renamed, into a loaded one rows are
inserted. Both must give the contract's table, the same rows, and nothing of a held file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import assert_accounting, bad_check_uscc, ingest, stage_and_promote, valid_record, write_records

from data_contracts import INCOMING_DATASETS, incoming_contract


def _schema(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


@pytest.mark.parametrize("dataset", INCOMING_DATASETS)
def test_renamed_and_inserted_promotions_give_the_same_table(
    con: duckdb.DuckDBPyConnection, landing: Path, dataset: str
) -> None:
    records = [valid_record(dataset, n) for n in range(1, 13)]
    write_records(landing / dataset / "a.csv", dataset, records)
    ingest(con, landing, dataset)
    _, first = stage_and_promote(con, dataset)  # empty table: promoted by rename
    assert first == 12
    # The contract's columns and types, exactly as the table an INSERT would have filled.
    con.execute(
        f"CREATE TABLE expected ({', '.join(f'{n} {t}' for n, t in incoming_contract(dataset).typed_columns())})"
    )
    assert _schema(con, dataset) == _schema(con, "expected")
    assert not con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $t", {"t": f"staged_{dataset}"}
    ).fetchone()[0]

    # The same records again under another name (another file, so not a duplicate delivery):
    # now the table has rows and the batch is inserted.
    write_records(landing / dataset / "b.csv", dataset, records, encoding="gb18030")
    ingest(con, landing, dataset)
    _, second = stage_and_promote(con, dataset)
    assert second == 12
    by_file = con.execute(f"SELECT _path, count(*) FROM {dataset} GROUP BY ALL ORDER BY 1").fetchall()
    assert [n for _, n in by_file] == [12, 12]

    # Both promotions hold the same typed values for the same records.
    first_rows = con.execute(
        f"SELECT * EXCLUDE (_file_seq, _file_sha256, _path, _run_id) FROM {dataset} WHERE _path LIKE '%a.csv' ORDER BY _row_number"
    ).fetchall()
    second_rows = con.execute(
        f"SELECT * EXCLUDE (_file_seq, _file_sha256, _path, _run_id) FROM {dataset} WHERE _path LIKE '%b.csv' ORDER BY _row_number"
    ).fetchall()
    assert first_rows == second_rows
    assert_accounting(con)


def test_a_renamed_promotion_leaves_out_failing_rows_and_held_files(
    con: duckdb.DuckDBPyConnection, landing: Path
) -> None:
    good = [valid_record("permits", n) for n in range(1, 21)]
    good[3]["party_uscc"] = bad_check_uscc(good[3]["party_uscc"])  # one failing row
    held = [valid_record("permits", n) for n in range(21, 41)]
    for r in held[:10]:  # half the file fails: over the 20 % threshold, held whole
        r["party_uscc"] = bad_check_uscc(r["party_uscc"])
    write_records(landing / "permits" / "good.csv", "permits", good)
    write_records(landing / "permits" / "held.csv", "permits", held)
    ingest(con, landing, "permits")
    summary, promoted = stage_and_promote(con, "permits")
    assert promoted == 19
    assert list(summary.held_files) and all("held.csv" in p for p in summary.held_files)
    assert con.execute("SELECT count(*), count(DISTINCT _path) FROM permits").fetchone() == (19, 1)
    assert (
        con.execute("SELECT count(*) FROM quarantine_rows WHERE dataset = 'permits'").fetchone()[0] == 1 + 20
    )
    assert_accounting(con)
