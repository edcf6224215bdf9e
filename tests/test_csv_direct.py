"""A plain UTF-8 CSV goes into its raw table as DuckDB parses it (`ingest._ingest_csv_direct`);
every other CSV, and one with a record the parser rejects, through the general read. Either
way the warehouse holds the same rows, accounting and quarantine."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import files, header_row, ingest, ingest_all, ingest_differences, rows, valid_record, write_csv

from data_contracts import incoming_contract
from warehouse import ingest as ingest_module
from warehouse import prepare as prepare_module

FIELDS = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]


def raw_rows(con: duckdb.DuckDBPyConnection, dataset: str) -> list[dict]:
    return rows(con, f"SELECT * FROM raw_{dataset} ORDER BY _file_seq, _row_number")


@pytest.fixture
def direct_outcomes(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What the direct path made of each file it was tried on (None: it handed the file over)."""
    outcomes: dict[str, object] = {}
    real = ingest_module._ingest_csv_direct

    def spy(con, delivery, plan):
        outcomes[delivery.lf.rel_path] = result = real(con, delivery, plan)
        return result

    monkeypatch.setattr(ingest_module, "_ingest_csv_direct", spy)
    return outcomes


def test_the_warehouse_is_the_same_with_the_direct_path_as_without(
    small_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct_outcomes: dict[str, object]
) -> None:
    with monkeypatch.context() as m:
        m.setattr(ingest_module, "direct_csv", lambda path, scan: None)
        ingest_all(small_city, tmp_path / "general.duckdb")
    assert direct_outcomes == {}
    ingest_all(small_city, tmp_path / "direct.duckdb")

    taken = [p for p, outcome in direct_outcomes.items() if outcome is not None]
    assert len(taken) > 20
    assert direct_outcomes["penalties/edge/malformed.csv"] is None  # a rejected record: handed over
    for name in ("crlf", "bom-again"):
        assert direct_outcomes[f"penalties/edge/{name}.csv"] == (5, 0)
    for name in ("gbk", "blank-lines", "nul", "cut"):  # a copy, gaps to number, NUL cells, refused
        assert f"penalties/edge/{name}.csv" not in direct_outcomes
    # A file handed over took a sequence number it did not keep: numbers may differ, not order.
    differences = ingest_differences(
        tmp_path / "general.duckdb", tmp_path / "direct.duckdb", exclude=("file_seq", "_file_seq")
    )
    assert differences == dict.fromkeys(differences, 0)
    orders = []
    for name in ("general", "direct"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
            orders.append(con.execute("SELECT path FROM ingest_files ORDER BY file_seq").fetchall())
            assert con.execute(
                "SELECT count(*) FROM raw_penalties AS r JOIN ingest_files AS f ON f.path = r._path "
                "WHERE f.file_seq <> r._file_seq"
            ).fetchone() == (0,)
    assert orders[0] == orders[1]


def test_a_rejected_record_sends_the_file_to_the_general_read(
    con: duckdb.DuckDBPyConnection, landing: Path, direct_outcomes: dict[str, object]
) -> None:
    records = [[valid_record("penalties", n)[f] for f in FIELDS] for n in (1, 2, 3)]
    records[1] = [*records[1], "one cell too many"]
    write_csv(landing / "penalties" / "a.csv", header_row("penalties", FIELDS), records)
    summary = ingest(con, landing, "penalties")
    assert direct_outcomes == {"penalties/a.csv": None}
    assert (summary.files_ingested, summary.rows_read, summary.rows_parse_rejected) == (1, 3, 1)
    f = files(con)["penalties/a.csv"]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == (3, 2, 1)
    assert [r["_row_number"] for r in raw_rows(con, "penalties")] == [1, 3]


def test_a_plain_csv_keeps_its_row_numbers_and_extra_columns(
    con: duckdb.DuckDBPyConnection, landing: Path, direct_outcomes: dict[str, object]
) -> None:
    header = [*header_row("penalties", FIELDS), "备注二"]
    records = [[*(valid_record("penalties", n)[f] for f in FIELDS), f"note {n}"] for n in range(1, 5)]
    write_csv(landing / "penalties" / "a.csv", header, records, line_end="\r\n")
    ingest(con, landing, "penalties")
    assert direct_outcomes == {"penalties/a.csv": (4, 0)}
    got = raw_rows(con, "penalties")
    assert [r["_row_number"] for r in got] == [1, 2, 3, 4]
    assert [r["decision_doc_no"] for r in got] == [
        valid_record("penalties", n)["decision_doc_no"] for n in range(1, 5)
    ]
    assert [r["_extra"] for r in got] == [f'{{"备注二":"note {n}"}}' for n in range(1, 5)]


def test_a_csv_moved_away_after_its_hashing_is_left_for_the_next_run(
    con: duckdb.DuckDBPyConnection, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With its scan done ahead, the direct path's header read is the first open by name after
    the pin: a file gone by then is left for the next run, as the general read leaves it."""
    path = write_csv(
        landing / "penalties" / "a.csv",
        header_row("penalties", FIELDS),
        [[valid_record("penalties", 1)[f] for f in FIELDS]],
    )
    real_sha256 = ingest_module._sha256

    def hash_then_move(con_, lf, *args):
        sha = real_sha256(con_, lf, *args)
        path.rename(path.with_name("a.csv.moved"))  # another system moves it meanwhile
        return sha

    monkeypatch.setattr(prepare_module, "RACY_SECONDS", 0)
    with monkeypatch.context() as m:
        m.setattr(ingest_module, "_sha256", hash_then_move)
        first = ingest(con, landing, "penalties")
    assert (first.refused, first.skipped_changing, files(con)) == ({}, ["penalties/a.csv"], {})
    path.with_name("a.csv.moved").rename(path)
    second = ingest(con, landing, "penalties", run_id="run-2")
    assert second.files_ingested == 1 and files(con)["penalties/a.csv"]["status"] == "ingested"
