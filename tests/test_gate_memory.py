"""A night's gate reads only the rows the last cleared release did not hold, and finds exactly what
the full gate finds: in the new rows, in old rows that a value looked up since makes personal
data, and whenever anything the shortcut rests on has changed (warehouse/gate_memory.py)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import gate_memory, release
from warehouse.db import configure, run_sql

try:
    import test_release_fixtures as fx
    from test_privacy import CASES, KNOWN_BAD_ID
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx
    from tests.test_privacy import CASES, KNOWN_BAD_ID

PERMIT = "武岸审批许〔2022〕304号"


con = pytest.fixture(fx.warehouse_fixture, name="con")


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, list[int]]]:
    """Every file the gate read only in part, with the candidate rows it read."""
    seen: list[tuple[str, list[int]]] = []
    real = gate_memory.new_rows

    def spy(con, path, *args: Any, **kwargs: Any):
        result = real(con, path, *args, **kwargs)
        if result is not None:
            seen.append((path.name, result))
        return result

    monkeypatch.setattr(gate_memory, "new_rows", spy)
    return seen


def next_candidate(con: duckdb.DuckDBPyConnection, publish_dir: Path, run: str) -> Path:
    return release.build_release(con, publish_dir, fx.AS_OF, f"{run}-run", fx.POLICY)


def gate(con: duckdb.DuckDBPyConnection, staging: Path, publish_dir: Path) -> list[str]:
    """The gate as the release_gate asset runs it: with the latest release as the cleared one."""
    return release.check_release(staging, con, release.latest_release(publish_dir))


def full_gate(con: duckdb.DuckDBPyConnection, staging: Path) -> list[str]:
    return release.check_release(staging, con)


def remembered(con: duckdb.DuckDBPyConnection) -> list[tuple[str, bool]]:
    return con.execute(
        "SELECT release_id, full_scan FROM release_gate_memory ORDER BY remembered_at"
    ).fetchall()


def rows_of(staging: Path, name: str) -> int:
    return pq.read_metadata(staging / name).num_rows


def test_a_clean_night_reads_only_the_changed_rows_and_is_remembered(con, tmp_path: Path, reads) -> None:
    publish_dir = tmp_path / "publish"
    first = fx.publish(con, publish_dir)
    assert remembered(con) == [(first.name, True)]
    con.execute(
        "UPDATE permits_resolved SET content = '经营范围变更' WHERE decision_doc_no = $k", {"k": PERMIT}
    )
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    assert gate(con, staging, publish_dir) == []
    read = dict(reads)
    assert set(read) == {f"{name}.parquet" for name in release.RELEASE_FILES}
    permits = pq.read_table(staging / "permits.parquet").to_pylist()
    assert [permits[r]["decision_doc_no"] for r in read["permits.parquet"]] == [PERMIT]
    assert read["penalties.parquet"] == [] and read["commitments.parquet"] == []
    assert remembered(con) == [(first.name, True), (staging.name, False)]
    assert full_gate(con, staging) == []  # the reference: the full gate agrees
    assert remembered(con) == [(staging.name, True)]  # a full scan starts the memory again


@pytest.mark.parametrize(
    ("table", "column", "key_column", "key", "value", "file", "published", "rule"), CASES
)
def test_personal_data_in_a_new_row_is_found_as_the_full_gate_finds_it(
    con, tmp_path: Path, reads, table, column, key_column, key, value, file, published, rule
) -> None:
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir)
    if rule == "privacy.known_identifier":
        fx.deliver_identity_number(con, KNOWN_BAD_ID)
    con.execute(f"UPDATE {table} SET {column} = $v WHERE {key_column} = $k", {"v": value, "k": key})
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = gate(con, staging, publish_dir)
    assert any(f"{file} column {published} row " in p and rule in p for p in problems), problems
    read = dict(reads)
    assert read[file]  # the shortcut was taken: the file's new rows were read ...
    assert sum(map(len, read.values())) < sum(rows_of(staging, f) for f in read)  # ... not every row
    assert problems == full_gate(con, staging)  # ... and it found what the full gate finds


def test_a_new_invalid_code_is_a_contract_failure_at_its_row(con, tmp_path: Path, reads) -> None:
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir)
    con.execute(
        "UPDATE permits_resolved SET authority_uscc = '11420100MB123456X0' WHERE decision_doc_no = $k",
        {"k": PERMIT},
    )
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = gate(con, staging, publish_dir)
    assert any("permits.parquet column authority_uscc row" in p and ".uscc fails" in p for p in problems)
    assert dict(reads)["permits.parquet"] and problems == full_gate(con, staging)


def test_an_old_row_holding_a_number_delivered_since_is_found(con, tmp_path: Path, reads) -> None:
    """Published while nobody had delivered it; the raw layer then brings it as an ID number."""
    publish_dir = tmp_path / "publish"
    con.execute(
        "UPDATE permits_resolved SET permit_no = $v WHERE decision_doc_no = $k",
        {"v": f"JY-{KNOWN_BAD_ID}", "k": PERMIT},
    )
    fx.publish(con, publish_dir)
    fx.deliver_identity_number(con, KNOWN_BAD_ID)
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = gate(con, staging, publish_dir)
    assert any(
        "permits.parquet column permit_no row" in p and "privacy.known_identifier" in p for p in problems
    )
    assert reads == []  # the value was among the remembered candidates: everything was read
    assert problems == full_gate(con, staging)


def test_an_old_row_naming_a_complainant_who_complained_since_is_found(con, tmp_path: Path, reads) -> None:
    publish_dir = tmp_path / "publish"
    con.execute("UPDATE commitments_resolved SET acceptor = '钱七' WHERE commitment_code = 'CN2026-0002'")
    fx.publish(con, publish_dir)
    assert len("钱七".encode()) == len(fx.COMPLAINANT.encode())  # within the lengths already looked for
    fx.complain(con, "TS-8", "钱七")
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = gate(con, staging, publish_dir)
    assert any(
        "commitments.parquet column acceptor" in p and "privacy.complainant_name" in p for p in problems
    )
    assert reads == []
    assert problems == full_gate(con, staging)


def test_a_longer_complainant_name_than_any_before_means_a_full_scan(con, tmp_path: Path, reads) -> None:
    publish_dir = tmp_path / "publish"
    con.execute("UPDATE commitments_resolved SET acceptor = '欧阳娜娜' WHERE commitment_code = 'CN2026-0002'")
    fx.publish(con, publish_dir)
    fx.complain(con, "TS-8", "欧阳娜娜")
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = gate(con, staging, publish_dir)
    assert any(
        "commitments.parquet column acceptor" in p and "privacy.complainant_name" in p for p in problems
    )
    assert reads == [] and problems == full_gate(con, staging)


def test_a_name_of_new_length_in_no_row_still_means_a_full_scan(con, tmp_path: Path, reads) -> None:
    """Name keys were kept only for the lengths looked for then: the shortcut cannot vouch for others."""
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir)
    fx.complain(con, "TS-8", "欧阳娜娜")
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    assert gate(con, staging, publish_dir) == []
    assert reads == [] and remembered(con) == [(staging.name, True)]


@pytest.mark.parametrize(
    "change", ["tampered file", "other rules", "other warehouse", "no memory", "hashes lost"]
)
def test_anything_the_shortcut_rests_on_changed_means_a_full_scan(
    con, tmp_path: Path, reads, monkeypatch, change: str
) -> None:
    publish_dir = tmp_path / "publish"
    first = fx.publish(con, publish_dir)
    if change == "tampered file":
        target = first / "penalties.parquet"
        target.chmod(0o644)
        shutil.copyfile(first / "commitments.parquet", target)
    elif change == "other rules":
        monkeypatch.setattr(gate_memory, "fingerprint", lambda: "a policy or SQL that changed")
    elif change == "other warehouse":
        con.execute("UPDATE release_gate_memory SET manifest_sha256 = 'another manifest'")
    elif change == "no memory":
        con.execute("DROP TABLE release_gate_memory")
    else:  # an operator pruned the hashes: the old rows could no longer be vouched for
        con.execute("DELETE FROM release_gate_candidates WHERE value_hash % 2 = 0")
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    assert gate(con, staging, publish_dir) == []
    assert reads == []
    assert remembered(con)[-1] == (staging.name, True)


def test_the_fingerprint_follows_the_rules_the_process_uses(monkeypatch) -> None:
    """The policy and contracts as parsed (cached for the process), not the files as they are now."""
    import data_contracts
    from warehouse import privacy

    base = gate_memory.fingerprint()
    assert gate_memory.fingerprint() == base
    policy = privacy.disclosure_policy()
    fewer_exempt = dataclasses.replace(policy, gate={**policy.gate, "id_number_15_exempt_columns": []})
    with monkeypatch.context() as m:
        m.setattr(privacy, "disclosure_policy", lambda: fewer_exempt)
        assert gate_memory.fingerprint() != base
    contracts = data_contracts.published_contracts()
    permits = contracts["permits"]
    loosened = dataclasses.replace(
        permits, fields=tuple(dataclasses.replace(f, required=False) for f in permits.fields)
    )
    with monkeypatch.context() as m:
        m.setattr(data_contracts, "published_contracts", lambda: {**contracts, "permits": loosened})
        assert gate_memory.fingerprint() != base
    assert gate_memory.fingerprint() == base


def test_without_the_warehouse_nothing_is_skipped_or_remembered(con, tmp_path: Path, reads) -> None:
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir)
    staging = next_candidate(con, publish_dir, "0e0e0e0e")
    problems = release.check_release(staging, None, release.latest_release(publish_dir))
    assert any("privacy.rule_not_run" in p for p in problems) and reads == []


# --- the row keys ---------------------------------------------------------------------------

CELLS = {
    "code": st.one_of(st.none(), st.sampled_from(["", "A", "a", "13800138000", "１３８"])),
    "amount": st.one_of(st.none(), st.sampled_from(["1.50", "2.00", "13912345678.5"])),
    "day": st.one_of(st.none(), st.sampled_from([date(2026, 1, 1), date(2026, 1, 2)])),
    "tags": st.one_of(st.none(), st.lists(st.one_of(st.none(), st.sampled_from(["x", "y"])), max_size=2)),
}
ROW = st.fixed_dictionaries(CELLS)
SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("day", pa.date32()),
        ("tags", pa.list_(pa.string())),
    ]
)


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    from decimal import Decimal

    cast = [{**r, "amount": None if r["amount"] is None else Decimal(r["amount"])} for r in rows]
    pq.write_table(pa.Table.from_pylist(cast, schema=SCHEMA), path)


def _key(row: dict[str, Any], values: list[str], nulls: list[str]) -> tuple:
    return tuple([repr(row[c]) for c in values] + [row[c] is None for c in nulls])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    previous=st.lists(ROW, max_size=6),
    candidate=st.lists(ROW, max_size=6),
    values=st.sets(st.sampled_from(sorted(CELLS))),
    nulls=st.sets(st.sampled_from(sorted(CELLS))),
)
def test_new_rows_are_those_whose_read_cells_no_previous_row_has(
    tmp_path: Path, previous, candidate, values, nulls
) -> None:
    """NULL cells, NULL and empty lists, NULL elements and equal texts of other types all compare
    as the gate reads them; a column read only for NULL compares only that."""
    nulls = nulls - values
    order = sorted(CELLS)
    values_l, nulls_l = [c for c in order if c in values], [c for c in order if c in nulls]
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "previous").mkdir()
    _write(folder / "previous" / "f.parquet", previous)
    _write(folder / "f.parquet", candidate)
    con = duckdb.connect()
    configure(con)
    run_sql(con, "publish/macros")
    cleared = gate_memory.ClearedRelease(folder / "previous", (None, None))
    rows = gate_memory.new_rows(con, folder / "f.parquet", cleared, values_l, nulls_l)
    old = {_key(r, values_l, nulls_l) for r in previous}
    assert rows == [i for i, r in enumerate(candidate) if _key(r, values_l, nulls_l) not in old]
    # and the gate reads exactly those rows of the file
    leaves = con.execute(
        "SELECT DISTINCT row_no FROM release_leaves($p, [], [], ['code', 'amount', 'day', 'tags'], "
        "new_rows_only := true) ORDER BY row_no",
        {"p": str(folder / "f.parquet")},
    ).fetchall()
    assert [r for (r,) in leaves] == rows
