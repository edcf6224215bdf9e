"""A small warehouse holding the credit stage's output tables, for the publication tests.

The tables have exactly the columns the credit stage makes (publication reads nothing else), with
rows chosen so that each publication rule has a row that must appear and one that must not.
Imported by the other test_release*.py and test_privacy*.py modules; the one test here checks
the fixture's own check-digit helpers against the shared reference vectors.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from warehouse import release
from warehouse.db import configure

AS_OF = date(2026, 11, 25)
POLICY = "wuhan-commerce-2026.1"
# The project's own copy if it has one, else the spec's: beside the clone in CI, /work here.
REFERENCE = Path(__file__).parent / "reference"  # vendored from shared/reference

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uscc(body17: str) -> str:
    """A 统一社会信用代码 with its GB 32100 check character."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return body17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def ric(body17: str) -> str:
    """A resident identity number with its GB 11643 check character."""
    total = sum(int(c) * w for c, w in zip(body17, _RIC_WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def d(days: int) -> date:
    """A date relative to AS_OF."""
    return AS_OF + timedelta(days=days)


# Merchants: C1 general (B), C2 black-listed (D), C3 red-listed (A), C4 a 个体工商户.
C1 = uscc("91420102MA4K00001")
C2 = uscc("91420103MA4K00002")
C3 = uscc("91420104MA4K00003")
C4 = uscc("92420105MA4K00004")
C5 = uscc("91420106MA4K00005")
AUTHORITY = uscc("11420100MB1234567")
ACCEPTOR = uscc("11420100MB7654321")

# Personal data planted in the raw layer and in free text of the credit stage's rows.
PLANTED_ID = ric("42010219900307123")
PLANTED_ID_2 = ric("42010519851111002")
PLANTED_MOBILE = "13812345678"
PLANTED_LANDLINE = "027-87654321"
COMPLAINANT = "赵六"
COMPLAINANT_PHONE = "13998765432"
NATURAL_PERSON = "王五"

TABLES: dict[str, list[tuple[str, str]]] = {
    "penalties_resolved": [
        ("as_of", "DATE"),
        ("decision_doc_no", "VARCHAR"),
        ("authority_uscc", "VARCHAR"),
        ("party_name", "VARCHAR"),
        ("party_type", "VARCHAR"),
        ("uscc", "VARCHAR"),
        ("violation_type", "VARCHAR"),
        ("penalty_categories", "VARCHAR[]"),
        ("penalty_content", "VARCHAR"),
        ("fine_amount_wan", "DECIMAL(18,6)"),
        ("confiscation_amount_wan", "DECIMAL(18,6)"),
        ("decision_date", "DATE"),
        ("authority", "VARCHAR"),
        ("withdrawn", "BOOLEAN"),
        ("publishable", "BOOLEAN"),
        ("severity", "VARCHAR"),
        ("nonrepairable", "BOOLEAN"),
        ("base_disclosure_until", "DATE"),
        ("repair_no", "VARCHAR"),
        ("repair_date", "DATE"),
        ("repair_applied", "BOOLEAN"),
        ("repair_blocked", "BOOLEAN"),
        ("disclosure_until", "DATE"),
        ("active", "BOOLEAN"),
    ],
    "permits_resolved": [
        ("as_of", "DATE"),
        ("decision_doc_no", "VARCHAR"),
        ("authority_uscc", "VARCHAR"),
        ("party_name", "VARCHAR"),
        ("party_type", "VARCHAR"),
        ("uscc", "VARCHAR"),
        ("decision_doc_name", "VARCHAR"),
        ("permit_category", "VARCHAR"),
        ("certificate_name", "VARCHAR"),
        ("permit_no", "VARCHAR"),
        ("content", "VARCHAR"),
        ("decision_date", "DATE"),
        ("valid_from", "DATE"),
        ("valid_to", "DATE"),
        ("authority", "VARCHAR"),
        ("status", "VARCHAR"),
        ("industry_code", "VARCHAR"),
        ("valid_at_as_of", "BOOLEAN"),
    ],
    "commitments_resolved": [
        ("as_of", "DATE"),
        ("commitment_code", "VARCHAR"),
        ("committer_name", "VARCHAR"),
        ("committer_type", "VARCHAR"),
        ("committer_uscc", "VARCHAR"),
        ("commitment_type", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("content", "VARCHAR"),
        ("made_on", "DATE"),
        ("fulfilment_status", "VARCHAR"),
        ("judged_on", "DATE"),
        ("effective_judgement_date", "DATE"),
        ("acceptor", "VARCHAR"),
        ("acceptor_code", "VARCHAR"),
        ("disclosure_type", "VARCHAR"),
    ],
    "merchant_credit": [
        ("as_of", "DATE"),
        ("uscc", "VARCHAR"),
        ("name", "VARCHAR"),
        ("district_code", "VARCHAR"),
        ("sector", "VARCHAR"),
        ("entity_type", "VARCHAR"),
        ("tier", "VARCHAR"),
        ("score", "INTEGER"),
        ("reason_codes", "VARCHAR[]"),
        ("policy_version", "VARCHAR"),
        ("on_black_list", "BOOLEAN"),
        ("on_red_list", "BOOLEAN"),
    ],
    "black_list": [
        ("as_of", "DATE"),
        ("uscc", "VARCHAR"),
        ("name", "VARCHAR"),
        ("district_code", "VARCHAR"),
        ("listed_since", "DATE"),
        ("expected_until", "DATE"),
        ("reason_codes", "VARCHAR[]"),
        ("basis_documents", "VARCHAR[]"),
        ("reason_text", "VARCHAR"),
        ("legal_basis", "VARCHAR"),
        ("removal_conditions", "VARCHAR"),
        ("policy_version", "VARCHAR"),
    ],
    "red_list": [
        ("as_of", "DATE"),
        ("uscc", "VARCHAR"),
        ("name", "VARCHAR"),
        ("district_code", "VARCHAR"),
        ("tier", "VARCHAR"),
        ("score", "INTEGER"),
        ("listed_since", "DATE"),
        ("valid_until", "DATE"),
        ("reasons", "VARCHAR"),
        ("policy_version", "VARCHAR"),
    ],
    "list_history": [
        ("as_of", "DATE"),
        ("previous_as_of", "DATE"),
        ("list", "VARCHAR"),
        ("uscc", "VARCHAR"),
        ("name", "VARCHAR"),
        ("event", "VARCHAR"),
        ("reason_codes", "VARCHAR[]"),
        ("reason_text", "VARCHAR"),
    ],
    "raw_complaints": [
        ("complaint_no", "VARCHAR"),
        ("respondent_name", "VARCHAR"),
        ("respondent_uscc", "VARCHAR"),
        ("complainant_name", "VARCHAR"),
        ("complainant_phone", "VARCHAR"),
        ("complaint_text", "VARCHAR"),
    ],
    "raw_penalties": [
        ("decision_doc_no", "VARCHAR"),
        ("party_name", "VARCHAR"),
        ("party_id_no", "VARCHAR"),
        ("legal_rep", "VARCHAR"),
        ("legal_rep_id_no", "VARCHAR"),
    ],
    "raw_permits": [
        ("decision_doc_no", "VARCHAR"),
        ("party_name", "VARCHAR"),
        ("party_id_no", "VARCHAR"),
        ("legal_rep", "VARCHAR"),
        ("legal_rep_id_no", "VARCHAR"),
    ],
}


def penalty(doc: str, **kw: Any) -> dict[str, Any]:
    row = {
        "as_of": AS_OF,
        "decision_doc_no": doc,
        "authority_uscc": AUTHORITY,
        "party_name": "武汉市江岸区甲商贸有限公司",
        "party_type": "法人及非法人组织",
        "uscc": C1,
        "violation_type": "销售不符合食品安全标准的食品",
        "penalty_categories": ["罚款"],
        "penalty_content": "罚款人民币0.5万元",
        "fine_amount_wan": "0.5",
        "confiscation_amount_wan": None,
        "decision_date": d(-10),
        "authority": "武汉市江岸区市场监督管理局",
        "withdrawn": False,
        "publishable": True,
        "severity": "minor",
        "nonrepairable": False,
        "base_disclosure_until": d(80),
        "repair_no": None,
        "repair_date": None,
        "repair_applied": False,
        "repair_blocked": False,
        "disclosure_until": d(80),
        "active": True,
    }
    row.update(kw)
    return row


def permit(doc: str, **kw: Any) -> dict[str, Any]:
    row = {
        "as_of": AS_OF,
        "decision_doc_no": doc,
        "authority_uscc": AUTHORITY,
        "party_name": "武汉市江岸区甲商贸有限公司",
        "party_type": "法人及非法人组织",
        "uscc": C1,
        "decision_doc_name": "食品经营许可决定书",
        "permit_category": "普通",
        "certificate_name": "食品经营许可证",
        "permit_no": "JY14201020000001",
        "content": "预包装食品销售",
        "decision_date": d(-800),
        "valid_from": d(-800),
        "valid_to": date(2099, 12, 31),
        "authority": "武汉市江岸区行政审批局",
        "status": "有效",
        "industry_code": "F52",
        "valid_at_as_of": True,
    }
    row.update(kw)
    return row


def commitment(code: str, **kw: Any) -> dict[str, Any]:
    row = {
        "as_of": AS_OF,
        "commitment_code": code,
        "committer_name": "武汉市江岸区甲商贸有限公司",
        "committer_type": "法人及非法人组织",
        "committer_uscc": C1,
        "commitment_type": "审批替代型",
        "reason": "申请食品经营许可",
        "content": "本单位承诺所提交材料真实有效",
        "made_on": d(-200),
        "fulfilment_status": "全部履行",
        "judged_on": d(-100),
        "effective_judgement_date": d(-100),
        "acceptor": "武汉市江岸区行政审批局",
        "acceptor_code": ACCEPTOR,
        "disclosure_type": "可向社会公开",
    }
    row.update(kw)
    return row


def rows(as_of: date = AS_OF) -> dict[str, list[dict[str, Any]]]:
    """The fixture's rows; publication rules are keyed by the document numbers named below."""
    shift = as_of - AS_OF

    def at(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (v + shift if isinstance(v, date) and v.year < 2099 else v) for k, v in row.items()}

    penalties = [
        # published: active minor penalty, free text carrying an identity number, phones, a landline
        penalty(
            "武岸市监罚〔2026〕101号",
            penalty_content=f"当事人身份证{PLANTED_ID}，联系电话{PLANTED_MOBILE}、{PLANTED_LANDLINE}；罚款0.5万元",
            violation_type=f"经营者（手机{PLANTED_MOBILE}）未履行进货查验义务",
        ),
        # published: a 自然人, by name only, even though the credit stage carried a code
        penalty(
            "武岸市监罚〔2026〕102号",
            party_name=NATURAL_PERSON,
            party_type="自然人",
            uscc=C5,
            fine_amount_wan="0.2",
        ),
        # published: a 个体工商户 with its shop name and code
        penalty(
            "武岸市监罚〔2026〕103号", party_name="武汉市江岸区丁记小吃店", party_type="个体工商户", uscc=C4
        ),
        # published: the serious penalty behind C2's black listing
        penalty(
            "武岸市监罚〔2026〕104号",
            party_name="武汉市江汉区乙餐饮管理有限公司",
            uscc=C2,
            penalty_categories=["罚款", "吊销许可证件"],
            fine_amount_wan="12.5",
            confiscation_amount_wan="1.25",
            severity="serious",
            nonrepairable=True,
            decision_date=d(-100),
            base_disclosure_until=d(995),
            disclosure_until=d(995),
        ),
        # absent: repaired (the repair dated before as_of ended the window)
        penalty(
            "武岸市监罚〔2026〕201号",
            decision_date=d(-200),
            base_disclosure_until=d(165),
            repair_no="XF-2026-0001",
            repair_date=d(-5),
            repair_applied=True,
            disclosure_until=d(-5),
            active=False,
        ),
        # absent: disclosure window over
        penalty("武岸市监罚〔2025〕202号", decision_date=d(-400), disclosure_until=d(-35), active=False),
        # absent: revoked (withdrawn) and so not publishable
        penalty("武岸市监罚〔2026〕203号", withdrawn=True, publishable=False, active=False),
        # absent: 简易程序, not publishable
        penalty("武岸市监罚〔2026〕204号", publishable=False, active=False),
        # absent: the credit stage says active, but the window ends on as_of itself
        penalty("武岸市监罚〔2026〕205号", decision_date=d(-90), disclosure_until=d(0), active=True),
        # absent: decided after as_of
        penalty("武岸市监罚〔2026〕206号", decision_date=d(1), disclosure_until=d(90), active=False),
        # absent: a row of another evaluation date
        penalty("武岸市监罚〔2026〕207号", as_of=d(-1)),
    ]
    permits = [
        permit("武岸审批许〔2024〕301号"),
        # published as 无效: expired before as_of, though delivered as 有效
        permit(
            "武岸审批许〔2023〕302号",
            party_name="武汉市江汉区乙餐饮管理有限公司",
            uscc=C2,
            valid_to=d(-30),
            valid_at_as_of=False,
            permit_no="JY14201030000002",
        ),
        # published as 无效: revoked by the authority
        permit(
            "武岸审批许〔2025〕303号",
            party_name="武汉市江岸区丁记小吃店",
            party_type="个体工商户",
            uscc=C4,
            status="无效",
            valid_at_as_of=False,
            permit_no="JY24201050000003",
        ),
        permit("武岸审批许〔2022〕304号", party_name="武汉市江岸区丙超市有限公司", uscc=C3),
        # absent: decided after as_of
        permit("武岸审批许〔2026〕305号", decision_date=d(3), valid_from=d(3), valid_at_as_of=False),
        # absent: a 自然人's permit
        permit(
            "武岸审批许〔2026〕306号",
            party_name=NATURAL_PERSON,
            party_type="自然人",
            uscc=None,
            permit_no=PLANTED_ID_2,
        ),
    ]
    commitments = [
        commitment("CN2026-0001", content=f"本单位承诺材料真实，联系人电话{PLANTED_MOBILE}"),
        commitment("CN2026-0002", committer_name="武汉市江岸区丙超市有限公司", committer_uscc=C3),
        # absent: not for the public
        commitment("CN2026-0003", disclosure_type="特定范围内公开"),
        commitment("CN2026-0004", disclosure_type="不可公开"),
        # absent: a 自然人's commitment
        commitment("CN2026-0005", committer_name=NATURAL_PERSON, committer_type="自然人", committer_uscc=C5),
        # absent: made after as_of
        commitment("CN2026-0006", made_on=d(2), judged_on=None, effective_judgement_date=None),
    ]
    merchants = [
        ("武汉市江岸区甲商贸有限公司", C1, "B", 85, ["PEN_MINOR"], False, False),
        ("武汉市江汉区乙餐饮管理有限公司", C2, "D", 45, ["PEN_SERIOUS", "BL_REVOCATION"], True, False),
        ("武汉市江岸区丙超市有限公司", C3, "A", 100, ["RL_LISTED"], False, True),
        ("武汉市江岸区丁记小吃店", C4, "B", 95, ["PEN_MINOR"], False, False),
    ]
    merchant_credit = [
        {
            "as_of": AS_OF,
            "uscc": code,
            "name": name,
            "district_code": code[2:8],
            "sector": "F52",
            "entity_type": "个体工商户" if code == C4 else "法人及非法人组织",
            "tier": tier,
            "score": score,
            "reason_codes": codes,
            "policy_version": POLICY,
            "on_black_list": black,
            "on_red_list": red,
        }
        for name, code, tier, score, codes, black, red in merchants
    ]
    black = [
        {
            "as_of": AS_OF,
            "uscc": C2,
            "name": "武汉市江汉区乙餐饮管理有限公司",
            "district_code": C2[2:8],
            "listed_since": d(-100),
            "expected_until": d(995),
            "reason_codes": ["BL_REVOCATION"],
            "basis_documents": ["武岸市监罚〔2026〕104号"],
            "reason_text": (
                f"列入失信黑名单：武岸市监罚〔2026〕104号 吊销许可证件（举报电话{PLANTED_LANDLINE}）。"
            ),
            "legal_basis": "《市场监督管理行政处罚信息公示规定》",
            "removal_conditions": "公示期届满或处罚决定被撤销的，自动移出。对列入有异议的，可申请复核。",
            "policy_version": POLICY,
        }
    ]
    red = [
        {
            "as_of": AS_OF,
            "uscc": C3,
            "name": "武汉市江岸区丙超市有限公司",
            "district_code": C3[2:8],
            "tier": "A",
            "score": 100,
            "listed_since": d(-30),
            "valid_until": d(365),
            "reasons": "信用等级A，首次取得许可满2年且有有效许可，近3年无行政处罚。",
            "policy_version": POLICY,
        }
    ]
    history = [
        {
            "as_of": AS_OF,
            "previous_as_of": d(-7),
            "list": "black",
            "uscc": C2,
            "name": "武汉市江汉区乙餐饮管理有限公司",
            "event": "entered",
            "reason_codes": ["BL_REVOCATION"],
            "reason_text": "列入失信黑名单：武岸市监罚〔2026〕104号。",
        },
        {
            "as_of": d(-7),
            "previous_as_of": d(-14),
            "list": "red",
            "uscc": C3,
            "name": "武汉市江岸区丙超市有限公司",
            "event": "entered",
            "reason_codes": ["RL_LISTED"],
            "reason_text": "列入诚信红名单。",
        },
        {
            "as_of": d(-30),
            "previous_as_of": d(-37),
            "list": "black",
            "uscc": C1,
            "name": "武汉市江岸区甲商贸有限公司",
            "event": "left",
            "reason_codes": ["BL_REPEAT_VIOLATION"],
            "reason_text": "移出失信黑名单：列入依据已届满。",
        },
    ]
    data = {
        "penalties_resolved": penalties,
        "permits_resolved": permits,
        "commitments_resolved": commitments,
        "merchant_credit": merchant_credit,
        "black_list": black,
        "red_list": red,
        "list_history": history,
        "raw_complaints": [
            {
                "complaint_no": "TS-0001",
                "respondent_name": "武汉市江岸区甲商贸有限公司",
                "respondent_uscc": C1,
                "complainant_name": COMPLAINANT,
                "complainant_phone": COMPLAINANT_PHONE,
                "complaint_text": (
                    f"本人{COMPLAINANT}，身份证{PLANTED_ID_2}，电话{COMPLAINANT_PHONE}，购买的食品过期。"
                ),
            },
            {
                "complaint_no": "TS-0002",
                "respondent_name": "武汉市江岸区丙超市有限公司",
                "respondent_uscc": C3,
                "complainant_name": "李",  # one character: too short to look for
                "complainant_phone": None,
                "complaint_text": "价格欺诈",
            },
        ],
        "raw_penalties": [
            {
                "decision_doc_no": "武岸市监罚〔2026〕102号",
                "party_name": NATURAL_PERSON,
                "party_id_no": PLANTED_ID_2,
                "legal_rep": None,
                "legal_rep_id_no": None,
            },
            {
                "decision_doc_no": "武岸市监罚〔2026〕101号",
                "party_name": "武汉市江岸区甲商贸有限公司",
                "party_id_no": None,
                "legal_rep": "张三",
                "legal_rep_id_no": PLANTED_ID,
            },
        ],
        "raw_permits": [
            {
                "decision_doc_no": "武岸审批许〔2026〕306号",
                "party_name": NATURAL_PERSON,
                "party_id_no": PLANTED_ID_2,
                "legal_rep": None,
                "legal_rep_id_no": None,
            }
        ],
    }
    if shift:
        data = {t: [at(r) for r in rs] for t, rs in data.items()}
    return data


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in TABLES.items():
        con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")


def insert(con: duckdb.DuckDBPyConnection, table: str, records: list[dict[str, Any]]) -> None:
    """Insert rows by name (test code: the identifiers are this module's constants, values are bound)."""
    columns = [c for c, _ in TABLES[table]]
    for record in records:
        unknown = set(record) - set(columns)
        assert not unknown, f"{table} has no column {unknown}"
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
        [[r.get(c) for c in columns] for r in records],
    )


def load(con: duckdb.DuckDBPyConnection, as_of: date = AS_OF) -> None:
    for table, records in rows(as_of).items():
        insert(con, table, records)


def warehouse(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A configured DuckDB (in memory, or the file `path`) holding the fixture."""
    con = duckdb.connect(str(path) if path else ":memory:")
    configure(con)
    create_tables(con)
    load(con)
    return con


def warehouse_fixture() -> Iterator[duckdb.DuckDBPyConnection]:
    """The in-memory fixture warehouse, closed after the test: `con = pytest.fixture(...)`."""
    connection = warehouse()
    yield connection
    connection.close()


def deliver_identity_number(con: duckdb.DuckDBPyConnection, number: str) -> None:
    """A raw penalty delivering `number` as its party's identity number."""
    insert(
        con,
        "raw_penalties",
        [{"decision_doc_no": "x", "party_name": "x", "party_id_no": number, "legal_rep": None}],
    )


def complain(con: duckdb.DuckDBPyConnection, complaint_no: str, complainant: str) -> None:
    """A raw complaint by `complainant`."""
    insert(
        con,
        "raw_complaints",
        [{"complaint_no": complaint_no, "complainant_name": complainant, "complaint_text": "x"}],
    )


def publish(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, as_of: date = AS_OF, run_id: str = "0f0e0d0c-run"
) -> Path:
    """Build, check and promote one release; fail the test on any blocking problem."""
    staging = release.build_release(con, publish_dir, as_of, run_id, POLICY)
    problems = release.check_release(staging, con)
    assert problems == [], problems
    return release.promote_release(staging, publish_dir)


def test_check_digit_helpers_agree_with_reference_vectors() -> None:
    with (REFERENCE / "uscc_test_vectors.csv").open(encoding="utf-8") as fh:
        vectors = [r for r in csv.DictReader(fh) if r["expected"] == "valid" and len(r["code"]) == 18]
    assert vectors
    for r in vectors:
        assert uscc(r["code"][:17]) == r["code"]
    with (REFERENCE / "ric_test_vectors.csv").open(encoding="utf-8") as fh:
        ids = [r for r in csv.DictReader(fh) if r["expected"] == "valid"]
    assert ids
    for r in ids:
        assert ric(r["id_number"][:17]) == r["id_number"]
