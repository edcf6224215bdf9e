"""`ric_valid` (warehouse/sql/macros.sql, GB 11643) against the reference vectors and stdnum.cn.ric.

The two check different things on purpose. stdnum looks the 6-digit region up in its table of
counties (valid in the birth year); the macro checks only the 2-digit province, because the
pipeline must not reject a real ID whose county was renamed after stdnum's table was built.
So stdnum is the oracle wherever it knows the region, and where it does not, the oracle is
stdnum's own check digit and birth-date checks plus the province list of its table (with 83,
the code of Taiwan residents' residence permits, which the table lacks).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import stdnum
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from warehouse.db import configure

# The reference vectors (python-stdnum's tests and cited public examples), vendored from shared/.
VECTORS = Path(__file__).parent / "reference" / "ric_test_vectors.csv"
Pick = Callable[[int, int], int]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    configure(c)
    yield c
    c.close()


def verdicts(con: duckdb.DuckDBPyConnection, ids: list[str | None]) -> list[bool]:
    """ric_valid on every id, in one vectorised query."""
    batch = pa.table({"n": list(range(len(ids))), "id": ids})  # noqa: F841 (scanned by name)
    return [ok for (ok,) in con.execute("SELECT ric_valid(id) FROM batch ORDER BY n").fetchall()]


@cache
def stdnum_regions() -> tuple[tuple[str, ...], frozenset[str]]:
    """(6-digit regions, 2-digit provinces) of stdnum's cn/loc table."""
    regions, provinces, province = [], set(), ""
    for line in (Path(stdnum.__file__).parent / "cn" / "loc.dat").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code = line.split()[0]
        if not line.startswith(" "):
            province = code
            provinces.add(code)
        elif len(code) == 4 and code.isdigit():
            regions.append(province + code)
    return tuple(regions), frozenset(provinces)


def stdnum_valid(id_: str) -> bool:
    """stdnum.cn.ric.is_valid, which raises KeyError for a county missing from a known province."""
    try:
        return ric.is_valid(id_)
    except KeyError:
        return False


def expected(id_: str) -> bool:
    if stdnum_valid(id_):
        return True
    structurally_valid = (
        len(id_) == 18
        and id_[:17].isdigit()
        and id_[17] in "0123456789X"
        and ric.calc_check_digit(id_) == id_[17]
    )
    if not structurally_valid:
        return False
    try:
        ric.get_birth_date(id_)
    except ValidationError:
        return False
    # a well-formed ID that stdnum refuses only for a region missing from its table
    return id_[:2] in stdnum_regions()[1] | {"83"}


# --- reference vectors ------------------------------------------------------------------


def test_reference_vectors(con: duckdb.DuckDBPyConnection) -> None:
    with VECTORS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 6
    got = verdicts(con, [r["id_number"] for r in rows])
    assert got == [r["expected"] == "valid" for r in rows], list(zip(rows, got, strict=True))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (None, False),
        ("", False),
        ("36042619910101007", False),  # 17 digits
        ("3604261991010100710", False),  # 19 digits
        ("44011320141005001x", False),  # lower-case check character: the caller upper-cases
        ("440113201410050X1X", False),  # X only as the check character
        ("360426190002290076", False),  # 1900 was not a leap year
        ("360426200002290077", True),  # 2000 was
        ("830000199001010012", True),  # 台湾居民居住证: province 83, unknown to stdnum's table
        ("T60426199101010078", False),  # a letter where a digit must be
        ("ABCDEFGHIJKLMNOPQR", False),
    ],
)
def test_edge_cases(con: duckdb.DuckDBPyConnection, value: str | None, valid: bool) -> None:
    if value and len(value) == 18 and value[:17].isdigit():
        fixed = value[:17] + ric.calc_check_digit(value)
        assert valid is False or fixed == value, "a valid case must carry its right check digit"
    assert verdicts(con, [value]) == [valid]
    if value and value == value.upper():  # stdnum upper-cases first; the macro expects it done
        assert expected(value) is valid


# --- generated IDs ----------------------------------------------------------------------


def make_id(pick: Pick) -> str:
    """A resident ID: known or unknown region, real or impossible birth date, right or wrong check."""
    regions, _ = stdnum_regions()
    roll = pick(0, 99)
    if roll < 70:
        region = _pick_from(regions, pick)
    elif roll < 85:  # a real province, a county stdnum may not know
        region = _pick_from(sorted(stdnum_regions()[1] | {"83"}), pick) + str(pick(0, 9999)).zfill(4)
    else:
        region = str(pick(0, 999_999)).zfill(6)
    year = pick(1900, 2030)
    month, day = (pick(1, 12), pick(1, 28)) if pick(0, 99) < 70 else (pick(0, 13), pick(0, 32))
    body = f"{region}{year:04d}{month:02d}{day:02d}{pick(0, 999):03d}"
    check = ric.calc_check_digit(body + "0")
    damage = pick(0, 99)
    if damage < 25:
        check = "0123456789X"[(("0123456789X".index(check)) + pick(1, 10)) % 11]
    elif damage < 30:  # a digit of the body mistyped
        at = pick(0, 16)
        body = body[:at] + str((int(body[at]) + pick(1, 9)) % 10) + body[at + 1 :]
    elif damage < 33:
        return (body + check)[: pick(15, 17)]
    elif damage < 36:
        at = pick(0, 16)
        return body[:at] + "X" + body[at + 1 :] + check
    return body + check


def _pick_from(options: Sequence[str], pick: Pick) -> str:
    return options[pick(0, len(options) - 1)]


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    return make_id(lambda lo, hi: draw(st.integers(lo, hi)))


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(resident_ids(), min_size=1, max_size=100))
def test_generated_ids_agree_with_stdnum(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    got = verdicts(con, ids)
    wrong = [
        (i, ok, expected(i), stdnum_valid(i)) for i, ok in zip(ids, got, strict=True) if ok != expected(i)
    ]
    assert not wrong, f"(id, ric_valid, oracle, stdnum) {wrong[:5]}"


def test_generated_ids_cover_every_branch() -> None:
    """The generator must produce valid IDs, each kind of invalid one, and unknown regions."""
    rng = random.Random(7)
    ids = [make_id(rng.randint) for _ in range(5_000)]
    verdict = [expected(i) for i in ids]
    assert 1_500 < sum(verdict) < 4_000
    assert sum(stdnum_valid(i) for i in ids) > 600
    assert any(ok and not stdnum_valid(i) for i, ok in zip(ids, verdict, strict=True))  # region stdnum lacks
    assert any(len(i) != 18 for i in ids) and any("X" in i[:17] for i in ids)
