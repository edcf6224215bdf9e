"""The stage judges a USCC column whose codes repeat through the list of its distinct failing
codes (warehouse/validate.py): every row gets the rule ids the check computed per row gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    AS_OF,
    AUTHORITY_USCC,
    LETTERED_USCC,
    bad_check_uscc,
    ingest,
    make_uscc,
    to_fullwidth,
    valid_record,
    write_records,
)

from data_contracts import incoming_contract
from warehouse import validate
from warehouse.db import connect
from warehouse.ingest import ensure_schema

# Spellings of 许可机关 codes: valid, its bad check character, spellings that normalise to a valid
# code, blank or dashes only (normalise to nothing), a 15-digit registration number, letters.
SPELLINGS = [
    AUTHORITY_USCC,
    bad_check_uscc(AUTHORITY_USCC),
    AUTHORITY_USCC.lower(),
    to_fullwidth(AUTHORITY_USCC),
    f"{AUTHORITY_USCC[:8]}-{AUTHORITY_USCC[8:]}",
    to_fullwidth(bad_check_uscc(AUTHORITY_USCC)),
    "-—-",
    "",
    "420102000123456",
    LETTERED_USCC.lower(),
    bad_check_uscc(LETTERED_USCC),
    bad_check_uscc(make_uscc(5, prefix="12")),
]


@pytest.fixture
def landed(tmp_path: Path) -> Path:
    """One permits delivery whose 许可机关 and 数据来源 codes repeat, with every spelling."""
    records = []
    for n in range(200):
        r = valid_record("permits", n)
        r["authority_uscc"] = SPELLINGS[n % len(SPELLINGS)]
        r["data_source_uscc"] = SPELLINGS[(n * 7) % len(SPELLINGS)]
        records.append(r)
    write_records(tmp_path / "landing" / "permits" / "d.csv", "permits", records)
    return tmp_path


def _staged(tmp_path: Path, name: str, repeats: int, listed: int) -> tuple[list[tuple], dict]:
    """The staged rows' codes and failed rules, and the lists the stage used, under the settings."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(validate, "USCC_REPEATS_FOR_LIST", repeats)
        m.setattr(validate, "USCC_INVALID_LISTED", listed)
        with connect(tmp_path / f"{name}.duckdb") as con:
            ensure_schema(con, ("permits",))
            ingest(con, tmp_path / "landing", "permits")
            validate.stage(con, "permits", "run", AS_OF)
            staged = con.execute(
                "SELECT _row_number, authority_uscc, data_source_uscc, list_sort(failed_rules) "
                "FROM staged_permits ORDER BY _row_number"
            ).fetchall()
            lists = validate._uscc_invalid_lists(con, "permits")  # the batch is still staged
    return staged, lists


def test_the_list_of_failing_codes_gives_the_per_row_verdicts(landed: Path) -> None:
    per_row, none_listed = _staged(landed, "per-row", repeats=10**9, listed=64)
    by_list, lists = _staged(landed, "by-list", repeats=1, listed=64)
    too_many, fallback = _staged(landed, "too-many", repeats=1, listed=1)
    assert none_listed == {}
    # with every column listed, the party codes (one per record) have no failing code; more
    # failing codes than may be listed: checked per row
    assert lists.pop("party_uscc") == [] and fallback == {"party_uscc": []}
    assert set(lists) == {"authority_uscc", "data_source_uscc"}
    failing = {
        bad_check_uscc(AUTHORITY_USCC),
        "420102000123456",
        bad_check_uscc(LETTERED_USCC),
        bad_check_uscc(make_uscc(5, prefix="12")),
    }
    assert all(sorted(codes) == sorted(failing) for codes in lists.values())  # normalised, once each
    assert by_list == per_row == too_many
    rules = {rule for *_, failed in per_row for rule in failed}
    assert {"permits.authority_uscc.uscc", "permits.data_source_uscc.uscc"} <= rules
    # a code that normalises to nothing (dashes only) fails the rule; a blank one is `required`'s
    for _, authority, _, failed in per_row:
        if authority is None:
            assert {"permits.authority_uscc.uscc", "permits.authority_uscc.required"} & set(failed)


def test_only_a_column_whose_codes_repeat_is_checked_through_a_list(landed: Path) -> None:
    _, lists = _staged(landed, "default", repeats=validate.USCC_REPEATS_FOR_LIST, listed=64)
    assert set(lists) == {"authority_uscc", "data_source_uscc"}  # 200 rows, 12 spellings
    assert {f.name for f in incoming_contract("permits").fields if f.check == "uscc"} - set(lists) == {
        "party_uscc"  # one code per record
    }
