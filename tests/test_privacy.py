"""The privacy gate and masking: no identity number, phone number or complainant data is published."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import release
from warehouse.db import configure, run_sql
from warehouse.privacy import Finding, disclosure_policy, masking_params, scan_release

try:
    import test_release_fixtures as fx
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx

# An identity number that is valid (GB 11643) but delivered nowhere in the raw layer.
UNKNOWN_ID = fx.ric("11010519491231002")
# A raw-layer identity number delivered with a wrong check character: no pattern rule knows it.
KNOWN_BAD_ID = fx.PLANTED_ID_2[:17] + ("1" if fx.PLANTED_ID_2[17] != "1" else "2")


con = pytest.fixture(fx.warehouse_fixture, name="con")


def published_text(publish_dir: Path) -> str:
    """Everything a reader can get from the publication folder, decoded: every value of every
    Parquet file read back (pages decompressed), and the raw bytes of every file."""
    parts: list[str] = []
    for path in sorted(publish_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            parts.append(json.dumps(table.to_pylist(), ensure_ascii=False, default=str))
            parts.append(str(table.schema))
    return "\n".join(parts)


def test_planted_personal_data_appears_in_no_published_byte(con, tmp_path: Path) -> None:
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir)
    text = published_text(publish_dir)
    # the planted values are really in the warehouse the release was made from ...
    planted = [
        fx.PLANTED_ID,
        fx.PLANTED_ID_2,
        fx.PLANTED_MOBILE,
        fx.PLANTED_LANDLINE,
        fx.COMPLAINANT,
        fx.COMPLAINANT_PHONE,
        "购买的食品过期",
    ]
    sources = " UNION ALL ".join(
        f"SELECT to_json(t) AS j FROM {table} AS t"
        for table in (
            "penalties_resolved",
            "commitments_resolved",
            "black_list",
            "raw_complaints",
            "raw_penalties",
        )
    )
    for value in planted:
        assert con.execute(
            f"SELECT count(*) FROM ({sources}) WHERE contains(j, $v)", {"v": value}
        ).fetchone()[0]
    # ... and in no published byte, in no spelling
    for value in [*planted, fx.PLANTED_LANDLINE.replace("-", ""), fx.PLANTED_LANDLINE.split("-")[1]]:
        assert value not in text, value
    assert "[已屏蔽]" in text  # masked, not dropped: the rest of the text is still published
    assert fx.NATURAL_PERSON in text  # a 自然人's penalty is published with the name (section 6)


def test_a_valid_identity_number_in_a_code_column_blocks_the_release(con, tmp_path: Path) -> None:
    con.execute(
        "UPDATE permits_resolved SET permit_no = $id WHERE decision_doc_no = '武岸审批许〔2022〕304号'",
        {"id": UNKNOWN_ID},
    )
    publish_dir = tmp_path / "publish"
    staging = release.build_release(con, publish_dir, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    problems = release.check_release(staging, con)
    assert any(p.startswith("permits.parquet column permit_no row 0: privacy.id_number") for p in problems), (
        problems
    )
    findings = scan_release(staging, con)
    assert (
        Finding("permits.parquet", "permit_no", 0, "privacy.id_number", "1 row(s) of this column in all")
        in findings
    )
    with pytest.raises(release.ReleaseError):
        release.promote_release(staging, publish_dir)
    assert release.read_latest(publish_dir) is None and release.release_ids(publish_dir) == []


CASES = [
    # (table, column set, key column, key, value, published file, published column, rule)
    (
        "penalties_resolved", "decision_doc_no", "decision_doc_no", "武岸市监罚〔2026〕103号",
        f"罚{fx.PLANTED_MOBILE}号", "penalties.parquet", "decision_doc_no", "privacy.mobile",
    ),
    (
        "permits_resolved", "permit_no", "decision_doc_no", "武岸审批许〔2022〕304号",
        "138 1234 5678", "permits.parquet", "permit_no", "privacy.mobile",
    ),
    (
        "permits_resolved", "permit_no", "decision_doc_no", "武岸审批许〔2022〕304号",
        "(027)87654321", "permits.parquet", "permit_no", "privacy.landline",
    ),
    (
        "penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号",
        "027-87654322", "penalties.parquet", "authority", "privacy.landline",
    ),
    (
        "commitments_resolved", "acceptor", "commitment_code", "CN2026-0002",
        fx.COMPLAINANT, "commitments.parquet", "acceptor", "privacy.complainant_name",
    ),
    (
        "penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号",
        " 赵 六 ", "penalties.parquet", "authority", "privacy.complainant_name",
    ),
    (
        "penalties_resolved", "authority", "decision_doc_no", "武岸市监罚〔2026〕103号",
        "420102900101123", "penalties.parquet", "authority", "privacy.id_number_15",
    ),
    # a raw identity number with a wrong check character: found by equality with the raw layer
    (
        "permits_resolved", "permit_no", "decision_doc_no", "武岸审批许〔2022〕304号",
        f"JY-{KNOWN_BAD_ID}", "permits.parquet", "permit_no", "privacy.known_identifier",
    ),
    (
        "black_list", "basis_documents", "uscc", fx.C2,
        [UNKNOWN_ID], "black_list.parquet", "basis_documents", "privacy.id_number",
    ),
    # numbers are scanned as text too
    (
        "penalties_resolved", "fine_amount_wan", "decision_doc_no", "武岸市监罚〔2026〕103号",
        "13912345678.5", "penalties.parquet", "fine_amount_wan", "privacy.mobile",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "column", "key_column", "key", "value", "file", "published", "rule"), CASES
)
def test_gate_rules_name_file_column_row_and_rule(
    con, tmp_path: Path, table, column, key_column, key, value, file, published, rule
) -> None:
    if rule == "privacy.known_identifier":
        fx.deliver_identity_number(con, KNOWN_BAD_ID)
    con.execute(f"UPDATE {table} SET {column} = $v WHERE {key_column} = $k", {"v": value, "k": key})
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    findings = [f for f in scan_release(staging, con) if f.rule.startswith("privacy.")]
    assert {(f.file, f.column, f.rule) for f in findings} == {(file, published, rule)}
    (finding,) = findings
    assert finding.row is not None
    rows = pq.read_table(staging / file).to_pylist()
    key_published = {"uscc": "uscc"}.get(key_column, key_column)
    if rule != "privacy.mobile" or published != "decision_doc_no":
        assert rows[finding.row][key_published] == key
    assert str(finding).startswith(f"{file} column {published} row {finding.row}: {rule}")
    assert str(value).strip() not in str(finding)  # a finding never repeats the value


def test_the_record_s_own_party_and_short_names_are_not_complainant_findings(con, tmp_path: Path) -> None:
    """A 自然人 penalised under a name that a complainant also bears is published (section 6)."""
    fx.complain(con, "TS-9", fx.NATURAL_PERSON)
    con.execute("UPDATE commitments_resolved SET acceptor = '李' WHERE commitment_code = 'CN2026-0002'")
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert release.check_release(staging, con) == []


def test_exempt_code_columns_keep_registration_style_15_digit_codes(con, tmp_path: Path) -> None:
    con.execute(
        "UPDATE permits_resolved SET permit_no = $v WHERE decision_doc_no = $k",
        {"v": "420102900101123", "k": "武岸审批许〔2022〕304号"},
    )
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert release.check_release(staging, con) == []


def test_forbidden_columns_are_findings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "uscc": ["x"],
            "complainant_name": ["y"],
            "party_id_no_hash": ["z"],
            "投诉人电话": ["w"],
            "Legal_Rep_ID_No": ["v"],
            "notes": [["a"]],
        }
    )
    pq.write_table(table, tmp_path / "extra.parquet")
    con = fx.warehouse()
    findings = scan_release(tmp_path, con)
    assert {(f.column, f.rule) for f in findings} == {
        ("complainant_name", "privacy.forbidden_column"),
        ("party_id_no_hash", "privacy.forbidden_column"),
        ("投诉人电话", "privacy.forbidden_column"),
        ("Legal_Rep_ID_No", "privacy.forbidden_column"),
    }


def test_without_the_warehouse_the_gate_blocks_and_says_why(con, tmp_path: Path) -> None:
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    findings = scan_release(staging)
    assert [f.rule for f in findings] == ["privacy.rule_not_run"]
    problems = release.check_release(staging)
    assert len(problems) == 1 and "warehouse connection" in problems[0]


def test_a_raw_source_without_its_column_blocks_the_release(con, tmp_path: Path) -> None:
    con.execute("ALTER TABLE raw_complaints DROP COLUMN complainant_name")
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    (finding,) = scan_release(staging, con)
    assert finding.rule == "privacy.rule_not_run" and "raw_complaints" in finding.detail


def test_findings_are_capped_per_rule_and_column_with_the_total(tmp_path: Path) -> None:
    mobiles = [f"1391234{n:04d}" for n in range(50)]
    pq.write_table(pa.table({"note": mobiles}), tmp_path / "x.parquet")
    findings = scan_release(tmp_path, fx.warehouse())
    cap = disclosure_policy().gate["max_findings_per_rule"]
    assert len(findings) == cap
    assert [f.row for f in findings] == list(range(cap))
    assert all(f.detail == "50 row(s) of this column in all" for f in findings)


# --- masking, and that the gate and the masks agree -----------------------------------------


def mask(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[str]:
    run_sql(con, "publish/macros")
    p = masking_params()
    return [
        r[0]
        for r in con.execute(
            "SELECT mask_pii(t, $p, $r) FROM unnest($texts) WITH ORDINALITY AS u(t, i) ORDER BY i",
            {"texts": texts, "p": p["pii_pattern"], "r": p["pii_replacement"]},
        ).fetchall()
    ]


@pytest.fixture(scope="module")
def memory():
    connection = duckdb.connect()
    configure(connection)
    yield connection
    connection.close()


def test_masking_examples(memory) -> None:
    m = disclosure_policy().mask_replacement
    got = mask(
        memory,
        [
            f"电话{fx.PLANTED_MOBILE},13912345678,13712345678结束",
            "身份证42010219900307123X号",
            "座机(027)87654321、027 87654322 或 +86 138-1234-5678",
            "银行卡6222021234567890123",
            "罚款人民币20000元，文书号武岸市监罚〔2026〕101号，编号JY14201020000001",
            "金额138123456789",
            None,
        ],
    )
    assert got == [
        f"电话{m},{m},{m}结束",
        f"身份证{m}号",
        f"座机{m}、{m} 或 {m}",
        f"银行卡{m}",
        "罚款人民币20000元，文书号武岸市监罚〔2026〕101号，编号JY14201020000001",
        "金额138123456789",  # twelve digits: not a phone number
        None,
    ]


TEXT = st.text(alphabet=st.sampled_from(list("罚款元号，。（）() -/:abcXx0123456789")), max_size=30)
PERSONAL = st.one_of(
    st.builds(lambda n: fx.ric(f"{n:017d}"[-17:].replace("0", "4", 1)), st.integers(10**16, 10**17 - 1)),
    st.builds(lambda n: f"1{n % 7 + 3}{n:09d}"[:11], st.integers(0, 10**9 - 1)),
    st.builds(lambda n: f"027-{n:08d}", st.integers(10**7, 10**8 - 1)),
    st.builds(lambda n: f"1{n % 7 + 3}{n % 10}-{n:04d}-{n % 10000:04d}"[:13], st.integers(1000, 9999)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.tuples(TEXT, PERSONAL), min_size=1, max_size=6), tail=TEXT)
def test_masked_text_never_trips_the_gate(memory, tmp_path_factory, pieces, tail) -> None:
    """Whatever surrounds them, the numbers masking is for leave no finding once masked."""
    texts = ["".join(a + b for a, b in pieces) + tail]  # digits may run into the numbers here
    texts.append(" ".join(f"{a} {b}" for a, b in pieces))  # here every number stands apart
    texts += [a for a, _ in pieces]  # the surroundings alone
    masked = mask(memory, texts)
    folder = tmp_path_factory.mktemp("masked")
    pq.write_table(pa.table({"text": masked}), folder / "notes.parquet")
    assert scan_release(folder, memory) == [], masked
    for number in (b for _, b in pieces):  # a number that stands apart is gone ...
        assert number not in masked[1]
    for original, text in zip((a for a, _ in pieces), masked[2:], strict=True):
        if not any(c.isdigit() for c in original):  # ... and text without digits is left as it was
            assert text == original


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.one_of(TEXT, PERSONAL), max_size=6))
def test_masking_searches_first_and_masks_as_two_plain_passes(memory, pieces) -> None:
    """mask_pii only skips its two replacements where a search finds nothing to replace: the
    result is the two passes' result for every text, NULL included."""
    text = "".join(pieces)
    p = masking_params()
    two_passes = memory.execute(
        "SELECT regexp_replace(regexp_replace($t, $p, $r, 'g'), $p, $r, 'g')",
        {"t": text, "p": p["pii_pattern"], "r": p["pii_replacement"]},
    ).fetchone()[0]
    assert mask(memory, [text, None]) == [two_passes, None]


def test_amounts_in_text_are_not_joined_into_a_known_phone_number(con, tmp_path: Path) -> None:
    """Seen at city scale: `13000元 … 380900元` must not read as the complainant phone 13000380900,
    while a phone written with separators (`130 0038 0901`) is still found."""
    fx.insert(
        con,
        "raw_complaints",
        [
            {"complaint_no": "TS-9", "respondent_name": "x", "respondent_uscc": None, "complainant_name": "x",
             "complainant_phone": phone, "complaint_text": None}
            for phone in ("13000380900", "13000380901")
        ],
    )  # fmt: skip
    doc = "武岸市监罚〔2026〕103号"
    content = "没收违法所得人民币13000元，罚款人民币380900元，吊销营业执照"
    con.execute(
        "UPDATE penalties_resolved SET penalty_content = $v WHERE decision_doc_no = $k",
        {"v": content, "k": doc},
    )
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert [f for f in scan_release(staging, con) if f.rule.startswith("privacy.")] == []

    con.execute(
        "UPDATE penalties_resolved SET authority = $v WHERE decision_doc_no = $k",
        {"v": "联系 130 0038 0901", "k": doc},
    )
    staging = release.build_release(con, tmp_path / "again", fx.AS_OF, "0f0e0d0d-run", fx.POLICY)
    rules = {(f.column, f.rule) for f in scan_release(staging, con) if f.rule.startswith("privacy.")}
    assert ("authority", "privacy.known_identifier") in rules or ("authority", "privacy.mobile") in rules
