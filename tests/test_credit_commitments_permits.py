"""credit-policy.md sections 0, 3 and 4: commitments judged in the last 12 months, lapsed permits,
permit validity, and what a merchant is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from credit_fixtures import (
    NAME,
    Case,
    M,
    base_permit,
    check,
    commitment,
    complaint,
    evaluate,
    ids,
    make_uscc,
    penalty,
    permit,
)

T = date(2026, 6, 30)
B = base_permit()


def ago(days: int) -> date:
    return T - timedelta(days=days)


def breach(judged: date | None, made_on: date = date(2025, 1, 1), **kw) -> tuple:
    return commitment(made_on, status="全部未履行", judged_on=judged, **kw)


COMMITMENTS = [
    Case("全部未履行 judged 364 days ago", T, (B, breach(ago(364))), 80, "B", ("COMMIT_BREACH",)),
    Case("全部未履行 judged 365 days ago", T, (B, breach(ago(365))), 100, "A"),
    Case("全部未履行 judged 366 days ago", T, (B, breach(ago(366))), 100, "A"),
    Case("全部未履行 judged today", T, (B, breach(T)), 80, "B", ("COMMIT_BREACH",)),
    Case(
        "no 认定日期: 作出日期 364 days ago",
        T,
        (B, breach(None, made_on=ago(364))),
        80,
        "B",
        ("COMMIT_BREACH",),
    ),
    Case("no 认定日期: 作出日期 365 days ago", T, (B, breach(None, made_on=ago(365))), 100, "A"),
    Case(
        "认定日期 governs over an old 作出日期",
        T,
        (B, breach(ago(10), made_on=ago(900))),
        80,
        "B",
        ("COMMIT_BREACH",),
    ),
    Case(
        "a judgement dated after T does not count",
        T,
        (B, breach(date(2026, 7, 1), made_on=ago(30))),
        100,
        "A",
    ),
    Case("a commitment made after T is ignored", T, (B, breach(None, made_on=date(2026, 7, 1))), 100, "A"),
    Case("two breaches: 20 each", T, (B, breach(ago(10)), breach(ago(20))), 60, "C", ("COMMIT_BREACH",)),
    Case(
        "部分履行 judged 364 days ago",
        T,
        (B, commitment(ago(400), status="部分履行", judged_on=ago(364))),
        90,
        "B",
        ("COMMIT_PARTIAL",),
    ),
    Case(
        "部分履行 judged 365 days ago",
        T,
        (B, commitment(ago(400), status="部分履行", judged_on=ago(365))),
        100,
        "A",
    ),
    Case(
        "全部履行 costs nothing", T, (B, commitment(ago(400), status="全部履行", judged_on=ago(10))), 100, "A"
    ),
    Case(
        "latest delivery of a commitment wins",
        T,
        (
            B,
            breach(ago(10), code="CN-1"),
            commitment(ago(400), status="全部履行", judged_on=ago(10), code="CN-1"),
        ),
        100,
        "A",
    ),
    *(
        Case(
            f"BL_FALSE_COMMITMENT: {kind}",
            T,
            (B, breach(ago(100), kind=kind, code="CN-F")),
            80,
            "D",
            ("COMMIT_BREACH", "BL_FALSE_COMMITMENT"),
            black={
                "listed_since": ago(100),
                "expected_until": ago(100) + timedelta(days=365),
                "basis_documents": ["CN-F"],
                "reason_codes": ["BL_FALSE_COMMITMENT"],
            },
        )
        for kind in ("审批替代型", "容缺受理型", "证明事项型")
    ),
    *(
        Case(
            f"no black list for a {kind} breach",
            T,
            (B, breach(ago(100), kind=kind)),
            80,
            "B",
            ("COMMIT_BREACH",),
        )
        for kind in ("信用修复型", "行业自律型", "主动型", "其他")
    ),
    Case(
        "BL_FALSE_COMMITMENT judged 364 days ago: last day listed",
        T,
        (B, breach(ago(364), kind="审批替代型", code="CN-F")),
        80,
        "D",
        ("COMMIT_BREACH", "BL_FALSE_COMMITMENT"),
        black={
            "listed_since": ago(364),
            "expected_until": T + timedelta(days=1),
            "basis_documents": ["CN-F"],
        },
    ),
    Case(
        "BL_FALSE_COMMITMENT judged 365 days ago: gone", T, (B, breach(ago(365), kind="审批替代型")), 100, "A"
    ),
    Case(
        "部分履行 of a listed type: no black list",
        T,
        (B, commitment(ago(400), status="部分履行", judged_on=ago(10), kind="审批替代型")),
        90,
        "B",
        ("COMMIT_PARTIAL",),
    ),
]


def only_permit(**kw) -> tuple:
    # decided less than 2 years before T, so the red list stays out of these scenarios
    return (permit(date(2025, 1, 1), **kw),)


PERMITS = [
    Case("lapsed yesterday, none valid", T, only_permit(valid_to=ago(1)), 95, "A", ("PERMIT_LAPSED",)),
    Case("ends today: still valid", T, only_permit(valid_to=T), 100, "A"),
    Case("lapsed 364 days ago", T, only_permit(valid_to=ago(364)), 95, "A", ("PERMIT_LAPSED",)),
    Case("lapsed 365 days ago: no deduction", T, only_permit(valid_to=ago(365)), 100, "A"),
    Case("lapsed 366 days ago: no deduction", T, only_permit(valid_to=ago(366)), 100, "A"),
    Case(
        "lapsed but another permit valid at T",
        T,
        (permit(date(2025, 1, 1), valid_to=ago(10)), permit(date(2025, 2, 1))),
        100,
        "A",
    ),
    Case(
        "lapsed, the other permit 无效",
        T,
        (permit(date(2025, 1, 1), valid_to=ago(10)), permit(date(2025, 2, 1), status="无效")),
        95,
        "A",
        ("PERMIT_LAPSED",),
    ),
    Case(
        "lapsed, the other permit starts after T",
        T,
        (permit(date(2025, 1, 1), valid_to=ago(10)), permit(date(2026, 6, 1), valid_from=date(2026, 7, 1))),
        95,
        "A",
        ("PERMIT_LAPSED",),
    ),
    Case("2099-12-31 never ends", T, only_permit(valid_to=date(2099, 12, 31)), 100, "A"),
    Case(
        "three deductions add up: lapsed permit, partial commitment, minor penalty",
        T,
        (
            *only_permit(valid_to=ago(1)),
            commitment(ago(400), status="部分履行", judged_on=ago(10)),
            penalty(ago(10), fine="0.5"),
        ),
        80,
        "B",
        ("PEN_MINOR", "COMMIT_PARTIAL", "PERMIT_LAPSED"),
    ),
]


@pytest.mark.parametrize("case", COMMITMENTS, ids=ids(COMMITMENTS))
def test_commitments(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", PERMITS, ids=ids(PERMITS))
def test_permits(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    ("kw", "valid"),
    [
        ({"valid_to": T}, True),
        ({"valid_to": ago(1)}, False),
        ({"valid_from": T}, True),
        ({"valid_from": T + timedelta(days=1)}, False),
        ({}, True),  # no 有效期自: starts on the decision date, which is <= T
        ({"status": "无效"}, False),
        ({"status": None}, True),
        ({"valid_to": date(2099, 12, 31)}, True),
    ],
)
def test_permit_valid_at_t(kw: dict, valid: bool) -> None:
    ev = evaluate([permit(date(2024, 1, 1), doc="XK-1", **kw)], T)
    (p,) = ev.rows("permits_resolved")
    assert p["valid_at_as_of"] is valid
    assert ev.rows("merchants")[0]["outlets"] == int(valid)


def test_permit_decided_today_without_dates_is_valid() -> None:
    (p,) = evaluate([permit(T)], T).rows("permits_resolved")
    assert p["valid_at_as_of"] is True


def test_judgement_after_t_is_resolved_but_not_known() -> None:
    ev = evaluate([B, breach(date(2026, 7, 1), made_on=ago(30), code="CN-1")], T)
    (c,) = ev.rows("commitments_resolved")
    assert (c["effective_judgement_date"], c["judgement_known"]) == (date(2026, 7, 1), False)


def test_natural_person_committer_is_not_a_merchant() -> None:
    person = breach(ago(10), uscc=make_uscc(9), name="李四", committer_type="自然人", kind="审批替代型")
    ev = evaluate([B, person], T)
    assert [m["uscc"] for m in ev.rows("merchant_credit")] == [M]
    assert ev.rows("black_list") == []


def test_merchant_attributes() -> None:
    shop = make_uscc(7, prefix="92", district="420111")
    records = [
        permit(date(2023, 3, 1), name="旧店名", industry="F52", doc="XK-A"),
        permit(date(2024, 5, 1), name=NAME, industry="H62", doc="XK-B", valid_to=ago(5)),
        permit(date(2024, 8, 1), name=NAME, industry=None, doc="XK-C"),
        penalty(ago(20), fine="0.5", name="处罚上的名称"),
        complaint(ago(5), name="投诉里的名称"),
        # a 个体工商户 known from a penalty and a complaint only: the latest record names it
        penalty(ago(50), fine="0.5", uscc=shop, name="张记面馆", party_type="个体工商户"),
        complaint(ago(3), uscc=shop, name="张记面馆（新）"),
        # records after T create nobody
        permit(date(2026, 7, 1), uscc=make_uscc(8)),
    ]
    ev = evaluate(records, T)
    got = {m["uscc"]: m for m in ev.rows("merchants")}
    assert set(got) == {M, shop}
    m = got[M]
    assert (
        m["name"],
        m["district_code"],
        m["entity_type"],
        m["sector"],
        m["outlets"],
        m["first_permit_date"],
    ) == (
        NAME,
        "420102",
        "法人及非法人组织",
        None,  # the latest permit carries no 行业代码
        2,
        date(2023, 3, 1),
    )
    assert m["names"] == sorted(["旧店名", NAME, "处罚上的名称", "投诉里的名称"])
    s = got[shop]
    assert (s["name"], s["entity_type"], s["district_code"], s["outlets"], s["first_permit_date"]) == (
        "张记面馆（新）",
        "个体工商户",
        "420111",
        0,
        None,
    )
    credit = ev.merchant(shop)
    assert (credit["name"], credit["district_code"], credit["entity_type"]) == (
        "张记面馆（新）",
        "420111",
        "个体工商户",
    )
