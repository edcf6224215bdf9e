"""Identity and phone numbers in the ways people write them (groups, separators, full-width digits,
country codes) are masked in free text and, where a column is not masked, block the release; and the
numbers a release legitimately holds (dates, amounts, 文书号, USCCs, commitment codes, permit
numbers) are neither masked nor blocked.

The formats are those a review found getting through both masking and the gate (review 9,
publication: `unit/mask_and_gate.py`), plus their near relatives.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import release
from warehouse.db import configure, run_sql
from warehouse.privacy import disclosure_policy, expand_shapes, scan_release

try:
    import test_release_fixtures as fx
    from test_privacy import mask
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx
    from tests.test_privacy import mask

MASK = disclosure_policy().mask_replacement
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

ID_A = fx.ric("42010619850312123")
ID_B = fx.ric("42010219900701456")
ID_X = next(
    fx.ric(body) for body in (f"42010219880808{n:03d}" for n in range(100)) if fx.ric(body)[-1] == "X"
)

ID18, ID15, MOBILE, LANDLINE = (
    "privacy.id_number",
    "privacy.id_number_15",
    "privacy.mobile",
    "privacy.landline",
)

# (name, the number as written, the gate rule that must find it)
PERSONAL = [
    ("id18 6-8-4 spaces", f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}", ID18),
    ("id18 6-8-4 hyphens", f"{ID_B[:6]}-{ID_B[6:14]}-{ID_B[14:]}", ID18),
    ("id18 with X, spaced", f"{ID_X[:6]} {ID_X[6:14]} {ID_X[14:]}", ID18),
    ("id18 4-4-4-4-2", " ".join(ID_A[i : i + 4] for i in range(0, 18, 4)), ID18),
    ("id18 em dashes", f"{ID_A[:6]}—{ID_A[6:14]}—{ID_A[14:]}", ID18),
    ("id18 ideographic spaces", f"{ID_A[:6]}\u3000{ID_A[6:14]}\u3000{ID_A[14:]}", ID18),
    ("id18 full-width", ID_A.translate(FULL_WIDTH), ID18),
    ("id18 full-width with X", ID_X.translate(FULL_WIDTH), ID18),
    ("id18 full-width spaced", f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}".translate(FULL_WIDTH), ID18),
    ("id15 spaced", "420106 850312 123", ID15),
    ("id15 hyphens", "420106-850312-123", ID15),
    ("id15 date split", "420106 85-03-12 123", ID15),
    ("mobile dots", "138.1234.5678", MOBILE),
    ("mobile 4-4-3", "1381 2345 678", MOBILE),
    ("mobile full-width hyphens", "139－8765－4321", MOBILE),
    ("mobile double spaces", "137  2345  6789", MOBILE),
    ("mobile +86 spaced", "+86 138 1234 5678", MOBILE),
    ("mobile (+86)", "(+86)13812345678", MOBILE),
    ("mobile full-width", "１３８１２３４５６７８", MOBILE),
    ("mobile full-width spaced", "１３８ １２３４ ５６７８", MOBILE),
    ("mobile em dashes", "138—1234—5678", MOBILE),
    ("mobile en dashes", "138–1234–5678", MOBILE),
    ("mobile ideographic spaces", "138\u30001234\u30005678", MOBILE),
    ("mobile 3-8", "138 12345678", MOBILE),
    ("landline 3-4-4 hyphens", "027-8765-4321", LANDLINE),
    ("landline 3-4-4 spaces", "027 8765 4321", LANDLINE),
    ("landline brackets", "(027)8765-4321", LANDLINE),
    ("landline full-width brackets", "（027）8765 4321", LANDLINE),
    ("landline em dash", "027—85123456", LANDLINE),
    ("landline en dash", "027–85123456", LANDLINE),
    ("landline dots", "027.8765.4321", LANDLINE),
    ("landline +86 spaced", "+86 27 8512 3456", LANDLINE),
    ("landline +86 hyphens", "+86-27-87654321", LANDLINE),
    ("landline space", "027 85123456", LANDLINE),
    ("landline one run", "02787654321", LANDLINE),
    ("landline one run, 4-digit area", "071612345678", LANDLINE),
    ("landline 4-digit area, 3-4", "0716-123-4567", LANDLINE),
    ("landline full-width", "０２７－８７６５４３２１", LANDLINE),
    ("landline extension", "027-8765-4321转123", LANDLINE),
]
IDS = [name for name, _, _ in PERSONAL]

# Where a number stands in free text: alone, in Chinese, in brackets, next to ASCII letters.
CONTEXTS = [
    "{}",
    "当事人联系电话{}。",
    "法定代表人（{}）罚款5000元",
    "电话：{}；传真：无",
    "Tel{}",
    "ID {} end",
]

# Numbers a release legitimately holds, in free text and in code columns alike.
LEGIT = [
    "2026-11-26",
    "2026/11/26",
    "20261126",
    "2026.11.26",
    "2026年11月26日",
    "2026-11-26至2027-11-25",
    "2026-01-01—2026-12-31",
    "2026.01.01-2026.12.31",
    "2026-11-26 13:30",
    "20261126 20261231",
    "5000元",
    "1,234.56",
    "1,234,567.89元",
    "罚款人民币16100元，没收违法所得1340元",
    "没收违法所得人民币13000元，罚款人民币380900元",
    "0.340000",
    "评分100分；近365日受理投诉0件（不超过2件）",
    "武市监罚〔2026〕123号",
    "武岸市监罚〔2026〕103号",
    "武东卫健卫公许〔2022〕第000001号",
    "国办发〔2020〕49号",
    "91420102MA4K00330R",
    "91420102661344660B",
    "11420112015671652U",
    "Y1420102958179129J",
    "CN42010220260000035",
    "承诺编码 CN42010220230000172（审批替代型，2026-10-25作出）",
    "CN42010220260000035、CN42010220260000036",
    "鄂卫公证字〔2022〕第42011200001号",
    "JY14201020000001",
    "食品经营许可证 JY24201050000003",
    "GB 2760-2014",
    "GB/T 19001-2016",
    "第13条第1款",
    "420102",
]
# All-digit codes (USCCs can be; these are the sample data's). The gate passes them; in free text
# masking takes any run of 15 or more digits for an account number (disclosure.yaml,
# long_digit_run), as it always has.
ALL_DIGIT_CODES = ["914201024796465179", "114201120157508435", "914201125282595808"]


con = pytest.fixture(fx.warehouse_fixture, name="con")


@pytest.fixture(scope="module")
def memory():
    connection = duckdb.connect()
    configure(connection)
    run_sql(connection, "publish/macros")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def gate_con():
    """The fixture warehouse: the gate's lookups (complainant names, raw numbers) run too."""
    connection = fx.warehouse()
    yield connection
    connection.close()


def gate_rules(con: duckdb.DuckDBPyConnection, folder: Path, columns: dict[str, list[str]]) -> dict:
    """{(column, row): {rule, ...}} of the gate on one Parquet file holding `columns`."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), folder / "notes.parquet"
    )
    found: dict[tuple[str, int], set[str]] = {}
    for f in scan_release(folder, con):
        assert f.row is not None, f
        found.setdefault((f.column, f.row), set()).add(f.rule)
    return found


# --- every format is masked ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "number", "rule"), PERSONAL, ids=IDS)
def test_every_format_is_masked_wherever_it_stands(memory, name: str, number: str, rule: str) -> None:
    contexts = CONTEXTS
    if name == "id18 4-4-4-4-2":
        # Right after an ASCII letter an identity number is looked for in its three groups only
        # (disclosure.yaml, id_number_grouped), so that a code and the digits after it are not
        # read as one; the gate looks for them the same way there.
        contexts = [c for c in CONTEXTS if not c.startswith("Tel")]
    texts = [context.format(number) for context in contexts]
    assert mask(memory, texts) == [context.format(MASK) for context in contexts]


def test_numbers_side_by_side_are_all_masked(memory) -> None:
    numbers = [number for _, number, _ in PERSONAL]
    for joiner in ("，", "、", ",", "; ", "/"):
        (masked,) = mask(memory, [joiner.join(numbers)])
        assert masked == joiner.join([MASK] * len(numbers)), joiner


# --- where a column is not masked, the gate finds every format --------------------------------


def test_the_gate_finds_every_format_in_unmasked_columns(gate_con, tmp_path: Path) -> None:
    texts = [f"联系{number}" for _, number, _ in PERSONAL]
    found = gate_rules(
        gate_con, tmp_path, {"authority": texts, "acceptor": [t + "。" for t in texts], "permit_no": texts}
    )
    for row, (name, _, rule) in enumerate(PERSONAL):
        assert rule in found.get(("authority", row), set()), name
        assert rule in found.get(("acceptor", row), set()), name
        if rule != ID15:  # permit_no holds 15-digit registration codes (id_number_15_exempt_columns)
            assert rule in found.get(("permit_no", row), set()), name


def test_the_gate_finds_a_grouped_identity_number_right_after_another(gate_con, tmp_path: Path) -> None:
    """The extraction's boundary after a number is zero-width where it can be: a consumed separator
    left the next number without its own, so a valid one after one of the same shape with a wrong
    check character went unfound (a review's reproduction, /tmp/review10/gate_adjacent_ids.py)."""
    wrong = ID_A[:17] + ("1" if ID_A[-1] != "1" else "2")
    grouped = [f"{n[:6]} {n[6:14]} {n[14:]}" for n in (wrong, ID_B)]
    texts = [" ".join(grouped), "，".join(grouped), "ID" + " ".join(grouped)]
    found = gate_rules(gate_con, tmp_path, {"authority": texts})
    assert all(ID18 in found.get(("authority", row), set()) for row in range(len(texts))), found


def test_masked_formats_leave_the_gate_nothing(memory, gate_con, tmp_path: Path) -> None:
    texts = [context.format(number) for _, number, _ in PERSONAL for context in CONTEXTS]
    assert gate_rules(gate_con, tmp_path, {"content": mask(memory, texts)}) == {}


@pytest.mark.parametrize(
    ("table", "column", "key_column", "key", "file", "value", "rule"),
    [
        ("penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号", "penalties.parquet",
         f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}", ID18),
        ("penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号", "penalties.parquet",
         "420106 850312 123", ID15),
        ("penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号", "penalties.parquet",
         "027—85123456", LANDLINE),
        ("permits_resolved", "permit_no", "decision_doc_no", "武岸审批许〔2022〕304号", "permits.parquet",
         "02787654321", LANDLINE),
        ("permits_resolved", "permit_no", "decision_doc_no", "武岸审批许〔2022〕304号", "permits.parquet",
         f"{ID_B[:6]}-{ID_B[6:14]}-{ID_B[14:]}", ID18),
        ("commitments_resolved", "acceptor", "commitment_code", "CN2026-0002", "commitments.parquet",
         "１３８１２３４５６７８", MOBILE),
        ("commitments_resolved", "acceptor", "commitment_code", "CN2026-0002", "commitments.parquet",
         "139－8765－4321", MOBILE),
        ("commitments_resolved", "acceptor", "commitment_code", "CN2026-0002", "commitments.parquet",
         "+86 27 8512 3456", LANDLINE),
    ],
)  # fmt: skip
def test_a_format_in_an_unmasked_release_column_blocks_the_release(
    con, tmp_path: Path, table, column, key_column, key, file, value, rule
) -> None:
    con.execute(f"UPDATE {table} SET {column} = $v WHERE {key_column} = $k", {"v": value, "k": key})
    publish_dir = tmp_path / "publish"
    staging = release.build_release(con, publish_dir, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    findings = [f for f in scan_release(staging, con) if f.rule.startswith("privacy.")]
    assert (file, column, rule) in {(f.file, f.column, f.rule) for f in findings}, findings
    assert all(value not in str(f) for f in findings)
    with pytest.raises(release.ReleaseError):
        release.promote_release(staging, publish_dir)


def test_formats_in_masked_release_columns_are_masked_and_the_release_passes(con, tmp_path: Path) -> None:
    numbers = [number for _, number, _ in PERSONAL]
    content = "当事人联系方式：" + "；".join(numbers) + "。罚款人民币5000元"
    con.execute(
        "UPDATE penalties_resolved SET penalty_content = $v WHERE decision_doc_no = '武岸市监罚〔2026〕103号'",
        {"v": content},
    )
    published = fx.publish(con, tmp_path / "publish")  # fails the test on any gate finding
    (text,) = [
        r["penalty_content"]
        for r in pq.read_table(published / "penalties.parquet").to_pylist()
        if r["decision_doc_no"] == "武岸市监罚〔2026〕103号"
    ]
    assert text == "当事人联系方式：" + "；".join([MASK] * len(numbers)) + "。罚款人民币5000元"


# --- legitimate numbers are neither masked nor blocked -----------------------------------------


def test_legitimate_numbers_are_not_masked(memory) -> None:
    assert mask(memory, LEGIT) == LEGIT
    in_text = [f"依据{value}作出" for value in LEGIT]
    assert mask(memory, in_text) == in_text


def test_legitimate_numbers_do_not_block_the_release(gate_con, tmp_path: Path) -> None:
    values = LEGIT + ALL_DIGIT_CODES
    columns = {c: values for c in ("authority", "permit_no", "uscc", "commitment_code", "reason_text")}
    assert gate_rules(gate_con, tmp_path, columns) == {}


def test_the_commitment_code_in_a_black_list_reason_is_published(memory, gate_con, tmp_path: Path) -> None:
    """Masking used to take the 17 digits of a 承诺编码 for an identity or account number."""
    reason = (
        "列入失信黑名单：近365日内信用承诺被认定为全部未履行：承诺编码 CN42010220260000035（审批替代型）。"
    )
    assert mask(memory, [reason]) == [reason]
    # ... while numbers next to letters that are identity or phone numbers are still masked
    next_to_letters = [
        f"ID{ID_A}",
        f"ID{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}",
        f"No{ID_B[:6]}-{ID_B[6:10]}-{ID_B[10:12]}-{ID_B[12:14]}-{ID_B[14:]}end",
        "Tel13812345678",
        "Tel138 1234 5678",
        "CN420106850312123",
    ]
    assert mask(memory, next_to_letters) == [re.sub(r"[0-9][0-9 -]*[0-9]", MASK, t) for t in next_to_letters]
    # ... and a code with digits after it is not read as an identity number
    codes = ["CN42010220001101000 1元", "JY14201020000301 2000-01-01"]
    assert mask(memory, codes) == codes
    assert gate_rules(gate_con, tmp_path, {"authority": codes, "reason_text": codes}) == {}


# --- the same, for numbers drawn at random --------------------------------------------------------

SEPARATORS = st.sampled_from([" ", "  ", "-", ".", "－", "—", "–", "\u3000", " - ", ""])


@st.composite
def grouped(draw, digits: str, cuts: list[int]) -> str:
    """`digits` with a separator (or none) drawn at each of `cuts`, full-width or not."""
    at = sorted(set(draw(st.lists(st.sampled_from(cuts), max_size=len(cuts)))))
    sep = draw(SEPARATORS)
    parts = [digits[i:j] for i, j in zip([0, *at], [*at, len(digits)], strict=True)]
    text = sep.join(parts)
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


BIRTH = st.dates(date(1930, 1, 1), date(2020, 12, 31))
REGION = st.sampled_from(["420102", "420106", "110105", "310115", "440305", "510107", "650102"])
IDENTITY = st.builds(
    lambda region, birth, order: fx.ric(f"{region}{birth:%Y%m%d}{order:03d}"),
    REGION,
    BIRTH,
    st.integers(0, 999),
).flatmap(lambda n: grouped(n, list(range(1, 18))))
MOBILES = st.builds(
    lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
).flatmap(lambda n: grouped(n, [3, 4, 7, 8]))
LANDLINES = st.tuples(
    st.sampled_from(["010", "027", "021", "0716", "0755"]), st.integers(2_000_000, 89_999_999).map(str)
).flatmap(lambda p: grouped(p[0] + p[1], [len(p[0]), len(p[0] + p[1]) - 4]))
NUMBERS = st.one_of(
    IDENTITY.map(lambda n: (n, ID18)),
    MOBILES.map(lambda n: (n, MOBILE)),
    LANDLINES.map(lambda n: (n, LANDLINE)),
)
PROSE = st.sampled_from(["", "联系", "电话：", "（", "）", "，", "当事人", "号", "Tel ", "身份证 "])
# After the number: no ASCII letter right after it, where an identity number is looked for in its
# three groups only (test_every_format_is_masked_wherever_it_stands).
TAIL = st.sampled_from(["", "。", "）", "，", "号", " Tel", "；身份证"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.tuples(PROSE, NUMBERS), min_size=1, max_size=4), tail=TAIL)
def test_random_numbers_are_masked_and_found(memory, gate_con, tmp_path_factory, pieces, tail) -> None:
    texts = [f"{before}{number}{tail}" for before, (number, _) in pieces]
    assert mask(memory, texts) == [f"{before}{MASK}{tail}" for before, _ in pieces]
    found = gate_rules(gate_con, tmp_path_factory.mktemp("gate"), {"authority": texts})
    for row, (_, (number, rule)) in enumerate(pieces):
        assert rule in found.get(("authority", row), set()), number


DATES = st.dates(date(2000, 1, 1), date(2099, 12, 31))
DATE_TEXT = st.tuples(
    DATES, st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"])
).map(lambda d: d[0].strftime(d[1]))
# Amounts as the pipeline writes them in text: with a unit. (A bare decimal fraction followed by a
# blank and more digits, `0.010000 2000-01-01`, can read as a landline, 010 000 2000: masking and
# the gate look at the digits after a point as they look at any others.)
AMOUNT_TEXT = st.one_of(
    st.integers(1, 10**7).map(lambda n: f"{n}元"),
    st.integers(1, 10**9).map(lambda n: f"{n / 100:,.2f}元"),
    st.decimals(0, 10**4, places=6).map(lambda n: f"{n}万元"),
)
DOC_TEXT = st.builds(
    lambda org, year, n: f"{org}〔{year}〕{n}号",
    st.sampled_from(["武市监罚", "武岸卫健罚", "武东卫健卫公许", "国办发"]),
    st.integers(2000, 2099),
    st.integers(1, 99999),
)
CODE_TEXT = st.one_of(
    st.builds(lambda d, n: f"CN420102{d:%Y}{n:07d}", DATES, st.integers(0, 10**7 - 1)),
    st.builds(lambda n: f"JY1420102{n:07d}", st.integers(0, 10**7 - 1)),
    st.builds(lambda n: f"第4201120{n:04d}号", st.integers(0, 9999)),
)
LEGIT_TEXT = st.lists(st.one_of(DATE_TEXT, AMOUNT_TEXT, DOC_TEXT, CODE_TEXT), min_size=1, max_size=4).flatmap(
    lambda parts: st.sampled_from(["至", "，", " ", "、", "—", "；"]).map(lambda j: j.join(parts))
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(LEGIT_TEXT, min_size=1, max_size=6))
def test_random_dates_amounts_and_codes_are_neither_masked_nor_blocked(
    memory, gate_con, tmp_path_factory, texts
) -> None:
    assert mask(memory, texts) == texts
    assert (
        gate_rules(gate_con, tmp_path_factory.mktemp("gate"), {"authority": texts, "permit_no": texts}) == {}
    )


# --- the shapes -------------------------------------------------------------------------------


def test_shapes_expand_for_masking_and_for_the_gate() -> None:
    shapes = {"pair": "{d:1-3}{s}{dx}", "s": " ?"}
    assert expand_shapes("{pair}{d}{2}", shapes, full_width=False) == "[1-3] ?[0-9Xx][0-9]{2}"
    assert expand_shapes("{d:0}{d:89}", shapes, full_width=False) == "0[89]"
    assert expand_shapes("{d:0}{pair}", shapes, full_width=True) == "[0０][1-3１-３] ?[0-9０-９XxＸｘ]"
    with pytest.raises(ValueError, match="unknown shape"):
        expand_shapes("{nope}", shapes, full_width=False)
    with pytest.raises(ValueError, match="too deep"):
        expand_shapes("{loop}", {"loop": "a{loop}"}, full_width=False)


def test_gate_patterns_are_ascii_and_masking_patterns_read_full_width_digits() -> None:
    policy = disclosure_policy()
    for key, pattern in policy.gate.items():
        if key.endswith("_pattern"):
            assert not re.search(r"\{[A-Za-z_]", pattern), key  # every shape expanded
            assert "０" not in pattern, key  # the gate reads full-width digits as ASCII
    for _, pattern in policy.mask_patterns:
        assert "０" in pattern and not re.search(r"\{[A-Za-z_]", pattern)


def test_birth_dates_of_every_day_make_identity_numbers_the_shapes_match(memory) -> None:
    """The month and day shapes admit every calendar date: no identity number slips by its birthday."""
    day = date(2000, 1, 1)
    numbers = []
    while day.year == 2000:
        number = fx.ric(f"420102{day:%Y%m%d}123")
        numbers.append(f"{number[:6]} {number[6:14]} {number[14:]}")
        numbers.append(f"420102 {day:%y%m%d} 123")
        day += timedelta(days=1)
    assert set(mask(memory, numbers)) == {MASK}
