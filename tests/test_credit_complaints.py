"""credit-policy.md section 2: complaints in the last 365 days, acceptance, resolution, linking."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from credit_fixtures import (
    NAME,
    Case,
    M,
    base_permit,
    check,
    complaint,
    evaluate,
    ids,
    make_uscc,
    permit,
    write_policy,
)

from warehouse.policy import load_policy

T = date(2026, 6, 30)
B = base_permit()
RECENT = date(2026, 6, 1)


def ago(days: int) -> date:
    return T - timedelta(days=days)


def many(n: int, status: str = "调解成功", day: date = RECENT) -> tuple:
    return tuple(complaint(day, status=status) for _ in range(n))


CASES = [
    Case("处理中 59 days: not yet unresolved", T, (B, complaint(ago(59), status="处理中")), 100, "A"),
    Case("处理中 60 days: not yet unresolved", T, (B, complaint(ago(60), status="处理中")), 100, "A"),
    Case(
        "处理中 61 days: unresolved",
        T,
        (B, complaint(ago(61), status="处理中")),
        95,
        "B",
        ("CMP_UNRESOLVED",),
    ),
    Case(
        "调解不成功: unresolved", T, (B, complaint(ago(1), status="调解不成功")), 95, "B", ("CMP_UNRESOLVED",)
    ),
    Case("终止调解: unresolved", T, (B, complaint(ago(1), status="终止调解")), 95, "B", ("CMP_UNRESOLVED",)),
    Case("不予受理 is not accepted", T, (B, *many(5, "不予受理")), 100, "A"),
    Case("the first 2 accepted are free", T, (B, *many(2)), 100, "A"),
    Case("3 accepted: 2 points", T, (B, *many(3)), 98, "A", ("CMP_VOLUME",)),
    Case("3 accepted and 2 not accepted", T, (B, *many(3), *many(2, "不予受理")), 98, "A", ("CMP_VOLUME",)),
    Case("12 accepted: 20 points", T, (B, *many(12)), 80, "B", ("CMP_VOLUME",)),
    Case("13 accepted: capped at 20 points", T, (B, *many(13)), 80, "B", ("CMP_VOLUME",)),
    Case(
        "4 unresolved: 20 points plus volume",
        T,
        (B, *many(4, "调解不成功")),
        76,
        "C",
        ("CMP_VOLUME", "CMP_UNRESOLVED"),
    ),
    Case(
        "5 unresolved: capped at 20 points",
        T,
        (B, *many(5, "调解不成功")),
        74,
        "C",
        ("CMP_VOLUME", "CMP_UNRESOLVED"),
    ),
    Case("window: 364 days ago counts", T, (B, *many(2), complaint(ago(364))), 98, "A", ("CMP_VOLUME",)),
    Case("window: 365 days ago does not", T, (B, *many(2), complaint(ago(365))), 100, "A"),
    Case("window: 366 days ago does not", T, (B, *many(2), complaint(ago(366))), 100, "A"),
    Case(
        "window: unresolved 364 days ago counts",
        T,
        (B, complaint(ago(364), status="调解不成功")),
        95,
        "B",
        ("CMP_UNRESOLVED",),
    ),
    Case(
        "window: unresolved 365 days ago does not", T, (B, complaint(ago(365), status="调解不成功")), 100, "A"
    ),
    Case("registered after T: ignored", T, (B, *many(2), complaint(date(2026, 7, 1))), 100, "A"),
    Case(
        "latest delivery of a complaint wins",
        T,
        (
            B,
            complaint(ago(100), status="处理中", no="TS-1"),
            complaint(ago(100), status="调解成功", no="TS-1"),
        ),
        100,
        "A",
    ),
    Case(
        "blank USCC, unique normalised name: linked",
        T,
        (
            B,
            complaint(RECENT, uscc=None, name=" 武汉江岸味道　餐饮有限公司 "),
            complaint(RECENT, uscc=None, name="武汉江岸味道餐饮有限公司"),
            complaint(RECENT, uscc=None, name="武汉江岸味道餐饮有限公司"),
        ),
        98,
        "A",
        ("CMP_VOLUME",),
    ),
    Case(
        "blank USCC, name shared by two merchants: not linked",
        T,
        (
            B,
            permit(date(2025, 3, 1), uscc=make_uscc(2)),
            *(complaint(RECENT, uscc=None) for _ in range(3)),
        ),
        100,
        "A",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_complaint_scoring(case: Case) -> None:
    check(case)


def test_linking_by_code_by_name_and_unlinked() -> None:
    other = make_uscc(2)
    records = [
        permit(date(2025, 1, 1), name="汉口小吃（江汉路店）"),
        permit(date(2025, 2, 1), uscc=other, name="同名超市"),
        permit(date(2025, 2, 1), uscc=make_uscc(3), name="同名超市"),
        complaint(RECENT, no="C-CODE"),
        complaint(RECENT, uscc=None, name="汉口小吃(江汉路店)", no="C-NAME"),
        complaint(RECENT, uscc=None, name="同名超市", no="C-AMBIG"),
        complaint(RECENT, uscc=None, name="无此商户", no="C-NONE"),
    ]
    ev = evaluate(records, T)
    rows = {r["complaint_no"]: r for r in ev.rows("complaints_linked")}
    got = {k: (r["uscc"], r["link_method"], r["name_matches"]) for k, r in rows.items()}
    assert got == {
        "C-CODE": (M, "uscc", None),
        "C-NAME": (M, "name", 1),
        "C-AMBIG": (None, None, 2),
        "C-NONE": (None, None, 0),
    }
    assert all(r["accepted"] and not r["unresolved"] and r["in_window"] for r in rows.values())
    assert ev.summary["unlinked_complaints"] == 2
    assert not {"complainant_phone_hash", "complainant_name", "complaint_text"} & set(rows["C-CODE"])


def test_a_former_name_links_too() -> None:
    """Names for linking are all the names a merchant appears under, not only its current one."""
    records = [
        permit(date(2025, 1, 1), name="旧名称餐馆"),
        permit(date(2025, 6, 1), name=NAME),
        *(complaint(RECENT, uscc=None, name="旧名称餐馆") for _ in range(3)),
    ]
    ev = evaluate(records, T)
    m = ev.rows("merchants")[0]
    assert (m["name"], m["names"]) == (NAME, sorted(["旧名称餐馆", NAME]))
    assert ev.merchant()["score"] == 98


def test_complaint_respondent_alone_makes_a_merchant() -> None:
    shop = make_uscc(42, prefix="92", district="420106")
    ev = evaluate([complaint(RECENT, uscc=shop, name="老王烧烤店")], T)
    (m,) = ev.rows("merchants")
    assert (m["uscc"], m["name"], m["entity_type"], m["district_code"], m["outlets"], m["sector"]) == (
        shop,
        "老王烧烤店",
        "个体工商户",
        "420106",
        0,
        None,
    )
    assert ev.merchant(shop)["tier"] == "A"


def test_only_complaints_that_can_count_are_linked(tmp_path: Path) -> None:
    """complaints_linked holds the complaints of the policy's longest complaint window (the
    score's or the red list's), and each count keeps its own window within it."""
    records = [
        B,
        complaint(ago(364), status="调解不成功", no="C-364"),
        complaint(ago(365), status="调解不成功", no="C-365"),
        complaint(ago(500), status="调解不成功", no="C-500"),
        complaint(ago(800), status="调解不成功", no="C-800"),
    ]
    default = evaluate(records, T)
    assert [r["complaint_no"] for r in default.rows("complaints_linked")] == ["C-364"]
    m = default.merchant()
    assert (m["unresolved_complaints"], m["red_unresolved_complaints"]) == (1, 1)

    def longer_red_window(raw: dict) -> None:
        raw["red_list"]["complaint_window_days"] = 730

    wider = evaluate(records, T, load_policy(write_policy(tmp_path, longer_red_window)))
    rows = {r["complaint_no"]: r["in_window"] for r in wider.rows("complaints_linked")}
    assert rows == {"C-364": True, "C-365": False, "C-500": False}
    m = wider.merchant()
    assert (m["unresolved_complaints"], m["red_unresolved_complaints"], m["score"]) == (1, 3, 95)
