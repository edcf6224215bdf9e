"""credit-policy.md section 1 and 4: publishability, severity, disclosure windows and repairs.

One scenario per clause and per boundary (the day before, of and after each window end).
M holds an open-ended permit from 2025-01-01 in every scenario, so only the penalty counts.
"""

from __future__ import annotations

from datetime import date

import pytest
from credit_fixtures import (
    AUTHORITY_2,
    Case,
    M,
    base_permit,
    check,
    evaluate,
    ids,
    make_uscc,
    penalty,
    repair,
)

T = date(2026, 6, 30)
RECENT = date(2026, 5, 1)
B = base_permit()

SEVERITY = [
    Case("minor: fine just under 1 万元", T, (B, penalty(RECENT, fine="0.999999")), 95, "B", ("PEN_MINOR",)),
    Case("general: fine exactly 1 万元", T, (B, penalty(RECENT, fine=1)), 85, "B", ("PEN_GENERAL",)),
    Case(
        "general: fine just under 10 万元",
        T,
        (B, penalty(RECENT, fine="9.999999")),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case("serious: fine exactly 10 万元", T, (B, penalty(RECENT, fine=10)), 60, "C", ("PEN_SERIOUS",)),
    Case(
        "serious: confiscation exactly 10 万元",
        T,
        (B, penalty(RECENT, categories=("没收违法所得",), confiscation=10)),
        60,
        "C",
        ("PEN_SERIOUS",),
    ),
    Case(
        "general: confiscation just under 10 万元",
        T,
        (B, penalty(RECENT, categories=("没收违法所得", "罚款"), fine="0.1", confiscation="9.999999")),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "general: a small fine with any confiscation is not minor",
        T,
        (B, penalty(RECENT, fine="0.2", confiscation="0.01")),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case("minor: 通报批评 alone", T, (B, penalty(RECENT, categories=("通报批评",))), 95, "B", ("PEN_MINOR",)),
    Case(
        "minor: 警告 with a small fine is publishable",
        T,
        (B, penalty(RECENT, categories=("警告", "罚款"), fine="0.2")),
        95,
        "B",
        ("PEN_MINOR",),
    ),
    Case(
        "general: a category outside the minor set",
        T,
        (B, penalty(RECENT, categories=("没收非法财物",))),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "serious: 降低资质等级 is serious but not a black-list revocation",
        T,
        (B, penalty(RECENT, categories=("降低资质等级",))),
        60,
        "C",
        ("PEN_SERIOUS",),
    ),
    Case(
        "serious: 吊销营业执照 lists BL_REVOCATION",
        T,
        (B, penalty(RECENT, categories=("吊销营业执照", "罚款"), fine=2, doc="D-REV")),
        60,
        "D",
        ("PEN_SERIOUS", "BL_REVOCATION"),
        black={"basis_documents": ["D-REV"], "listed_since": RECENT, "expected_until": date(2029, 5, 1)},
    ),
    Case(
        "no 程序类型 given: publishable",
        T,
        (B, penalty(RECENT, fine=5, procedure=None)),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
]

NOT_PUBLISHABLE = [
    Case("warning only", T, (B, penalty(RECENT, categories=("警告",))), 100, "A"),
    Case("简易程序", T, (B, penalty(RECENT, fine="0.02", procedure="简易程序")), 100, "A"),
    Case("当前状态 撤销", T, (B, penalty(RECENT, fine=20, status="撤销")), 100, "A"),
    Case(
        "a later 撤销 delivery of the same key withdraws it",
        T,
        (B, penalty(RECENT, fine=20, doc="D1"), penalty(RECENT, fine=20, doc="D1", status="撤销")),
        100,
        "A",
    ),
    Case(
        "a withdrawn serious revocation lists nothing",
        T,
        (B, penalty(RECENT, categories=("吊销营业执照",), doc="D1", status="撤销")),
        100,
        "A",
    ),
    Case("decided after T: ignored", T, (B, penalty(date(2026, 7, 1), fine=20)), 100, "A"),
]

DELIVERIES = [
    Case(
        "latest delivery wins: serious corrected to general",
        T,
        (B, penalty(RECENT, fine=20, doc="D1"), penalty(RECENT, fine=2, doc="D1")),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "latest delivery wins: general corrected to serious",
        T,
        (B, penalty(RECENT, fine=2, doc="D1"), penalty(RECENT, fine=20, doc="D1")),
        60,
        "C",
        ("PEN_SERIOUS",),
    ),
    Case(
        "a 正常 re-delivery after 撤销 reinstates the penalty",
        T,
        (B, penalty(RECENT, fine=2, doc="D1", status="撤销"), penalty(RECENT, fine=2, doc="D1")),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "a correction moving the decision after T hides it at T",
        T,
        (B, penalty(RECENT, fine=2, doc="D1"), penalty(date(2026, 7, 2), fine=2, doc="D1")),
        100,
        "A",
    ),
    Case(
        "the same 文书号 from another authority is another penalty",
        T,
        (B, penalty(RECENT, fine=2, doc="D1"), penalty(RECENT, fine=2, doc="D1", authority_uscc=AUTHORITY_2)),
        70,
        "C",
        ("PEN_GENERAL",),
    ),
]


def _window(kind: str, decided: date, days: list[tuple[date, int, str, tuple[str, ...]]], **kw) -> list[Case]:
    return [
        Case(
            f"{kind}: at {d}",
            d,
            (B, penalty(decided, doc="D1", **kw)),
            score,
            tier,
            codes,
            red="RL_LISTED" in codes,
        )
        for d, score, tier, codes in days
    ]


WINDOWS = [
    # Minor: + 3 months, clamped: 2025-11-30 + 3 months = 2026-02-28.
    *_window(
        "minor 3 months (month-end clamp)",
        date(2025, 11, 30),
        [
            (date(2026, 2, 27), 95, "B", ("PEN_MINOR",)),
            (date(2026, 2, 28), 100, "A", ()),
            (date(2026, 3, 1), 100, "A", ()),
        ],
        fine="0.5",
    ),
    *_window(
        "general 1 year",
        date(2025, 6, 15),
        [
            (date(2026, 6, 14), 85, "B", ("PEN_GENERAL",)),
            (date(2026, 6, 15), 100, "A", ()),
            (date(2026, 6, 16), 100, "A", ()),
        ],
        fine=3,
    ),
    *_window(
        "serious 3 years",
        date(2023, 6, 15),
        [
            (date(2026, 6, 14), 60, "C", ("PEN_SERIOUS",)),
            (date(2026, 6, 15), 100, "A", ()),
            (date(2026, 6, 16), 100, "A", ()),
        ],
        fine=10,
    ),
    *_window(
        "serious 3 years from 29 February",
        date(2024, 2, 29),
        [
            (date(2027, 2, 27), 60, "C", ("PEN_SERIOUS",)),
            (date(2027, 2, 28), 100, "A", ()),
            # and from 2027-03-01 it is older than 3 years: M, permitted for 2 years, is red-listed
            (date(2027, 3, 1), 100, "A", ("RL_LISTED",)),
        ],
        fine=10,
    ),
    *_window(
        "公示截止期 is the day it comes down",
        date(2026, 1, 10),
        [
            (date(2026, 7, 9), 85, "B", ("PEN_GENERAL",)),
            (date(2026, 7, 10), 100, "A", ()),
            (date(2026, 7, 11), 100, "A", ()),
        ],
        fine=3,
        until=date(2026, 7, 10),
    ),
    *_window(
        "公示截止期 longer than the default governs",
        date(2025, 1, 1),
        [
            (date(2026, 12, 30), 95, "B", ("PEN_MINOR",)),
            (date(2026, 12, 31), 100, "A", ()),
        ],
        fine="0.5",
        until=date(2026, 12, 31),
    ),
    *_window(
        "公示截止期 before the decision date is ignored",
        date(2026, 5, 1),
        [(date(2027, 4, 30), 85, "B", ("PEN_GENERAL",)), (date(2027, 5, 1), 100, "A", ())],
        fine=3,
        until=date(2026, 4, 1),
    ),
    *_window(
        "公示截止期 on the decision date: never active",
        date(2026, 5, 1),
        [(date(2026, 5, 1), 100, "A", ())],
        fine=3,
        until=date(2026, 5, 1),
    ),
    *_window(
        "active from its decision date",
        date(2026, 5, 1),
        [(date(2026, 4, 30), 100, "A", ()), (date(2026, 5, 1), 85, "B", ("PEN_GENERAL",))],
        fine=3,
    ),
]


def _repaired(kind: str, decided: date, repaired: date, days, **kw) -> list[Case]:
    return [
        Case(
            f"{kind}: at {d}",
            d,
            (B, penalty(decided, doc="D1", **kw), repair("D1", repaired)),
            score,
            tier,
            codes,
        )
        for d, score, tier, codes in days
    ]


REPAIRS = [
    # General, minimum 3 months: a repair on 2026-02-01 ends disclosure on 2026-04-10.
    *_repaired(
        "general repaired before its minimum",
        date(2026, 1, 10),
        date(2026, 2, 1),
        [
            (date(2026, 4, 9), 85, "B", ("PEN_GENERAL",)),
            (date(2026, 4, 10), 100, "A", ()),
            (date(2026, 4, 11), 100, "A", ()),
        ],
        fine=3,
    ),
    *_repaired(
        "general repaired after its minimum",
        date(2026, 1, 10),
        date(2026, 5, 20),
        [
            (date(2026, 5, 19), 85, "B", ("PEN_GENERAL",)),
            (date(2026, 5, 20), 100, "A", ()),
            (date(2026, 5, 21), 100, "A", ()),
        ],
        fine=3,
    ),
    *_repaired(
        "minor repaired (minimum 0)",
        date(2026, 6, 1),
        date(2026, 6, 10),
        [(date(2026, 6, 9), 95, "B", ("PEN_MINOR",)), (date(2026, 6, 10), 100, "A", ())],
        fine="0.5",
    ),
    *_repaired(
        "serious by amount repaired (minimum 1 year)",
        date(2025, 1, 1),
        date(2025, 3, 1),
        [
            (date(2025, 12, 31), 60, "C", ("PEN_SERIOUS",)),
            (date(2026, 1, 1), 100, "A", ()),
        ],
        fine=15,
    ),
    Case(
        "a repair dated after T does not apply",
        T,
        (B, penalty(date(2026, 1, 10), fine=3, doc="D1"), repair("D1", date(2026, 7, 15))),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "a repair of another party's 文书号 does not apply",
        T,
        (B, penalty(date(2026, 1, 10), fine=3, doc="D1"), repair("D1", date(2026, 5, 1), uscc=make_uscc(77))),
        85,
        "B",
        ("PEN_GENERAL",),
    ),
    Case(
        "a repair of a non-repairable penalty is flagged, not applied",
        T,
        (
            B,
            penalty(date(2026, 1, 10), categories=("吊销许可证件",), doc="D1"),
            repair("D1", date(2026, 3, 1)),
        ),
        60,
        "D",
        ("PEN_SERIOUS", "BL_REVOCATION"),
        black={
            "basis_documents": ["D1"],
            "listed_since": date(2026, 1, 10),
            "expected_until": date(2029, 1, 10),
        },
    ),
]


@pytest.mark.parametrize("case", SEVERITY, ids=ids(SEVERITY))
def test_severity(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", NOT_PUBLISHABLE, ids=ids(NOT_PUBLISHABLE))
def test_not_publishable_is_not_scored(case: Case) -> None:
    ev = check(case)
    assert all(not p["publishable"] and p["severity"] is None for p in ev.rows("penalties_resolved"))


@pytest.mark.parametrize("case", DELIVERIES, ids=ids(DELIVERIES))
def test_latest_delivery_of_a_key_wins(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", WINDOWS, ids=ids(WINDOWS))
def test_disclosure_window(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", REPAIRS, ids=ids(REPAIRS))
def test_repair(case: Case) -> None:
    check(case)


def test_a_repair_that_does_not_shorten_the_window_is_kept_but_leaves_the_penalty_unrepaired() -> None:
    """Section 1: a repair applies when it is dated on or before T *and shortens the window*. Three
    minor penalties in 365 days, each repaired only after its 3-month window had ended (so the
    repair ends nothing), are three unrepaired penalties: BL_REPEAT_VIOLATION (section 5). Before
    the fix any repair on file counted as applied and the merchant stayed off the black list."""
    records = [B]
    for n, decided in enumerate((date(2025, 12, 12), date(2026, 1, 31), date(2026, 3, 2))):
        records += [
            penalty(decided, fine="0.5", doc=f"D-{n}"),
            repair(f"D-{n}", date(2026, 6, 10), no=f"XF-{n}"),
        ]
    ev = evaluate(records, T)
    late = ev.penalty("D-2")
    assert (late["base_disclosure_until"], late["repair_no"], late["repair_applied"]) == (
        date(2026, 6, 2),
        "XF-2",
        False,
    )
    assert late["disclosure_until"] == date(2026, 6, 2) and not late["active"]
    m = ev.merchant()
    assert (m["tier"], m["on_black_list"], m["black_list_triggers"]) == ("D", True, ["BL_REPEAT_VIOLATION"])


def test_a_repair_whose_minimum_reaches_the_sources_end_does_not_apply() -> None:
    """The source's 公示截止期 (decision + 2 months) ends disclosure before the general penalty's
    3-month repair minimum: a repair dated inside the window cannot end it sooner, so it does not
    apply, the penalty stays active to the source's date, and three such count as unrepaired."""
    records = [B]
    for n, decided in enumerate((date(2026, 5, 20), date(2026, 5, 25), date(2026, 6, 1))):
        records += [
            penalty(decided, fine=3, until=date(decided.year, decided.month + 2, decided.day), doc=f"G-{n}"),
            repair(f"G-{n}", decided.replace(day=decided.day + 10 if decided.day < 20 else 28), no=f"XG-{n}"),
        ]
    ev = evaluate(records, T)
    for n, until in enumerate((date(2026, 7, 20), date(2026, 7, 25), date(2026, 8, 1))):
        p = ev.penalty(f"G-{n}")
        assert (p["repair_applied"], p["disclosure_until"], p["active"]) == (False, until, True), p
    assert ev.merchant()["black_list_triggers"] == ["BL_REPEAT_VIOLATION"]


def test_a_repair_that_shortens_the_window_by_a_day_applies() -> None:
    """The boundary: a general penalty with no source date (window to decision + 1 year) repaired
    on the day before that end ends it a day sooner, so the repair applies."""
    records = [
        B,
        penalty(date(2025, 7, 1), fine=3, doc="D-EDGE"),
        repair("D-EDGE", date(2026, 6, 29), no="XF-E"),
    ]
    p = evaluate(records, T).penalty("D-EDGE")
    assert (p["base_disclosure_until"], p["repair_applied"], p["disclosure_until"], p["active"]) == (
        date(2026, 7, 1),
        True,
        date(2026, 6, 29),
        False,
    )


def test_resolved_penalty_explains_its_window() -> None:
    records = [
        B,
        penalty(date(2026, 1, 10), fine=3, doc="D-GEN"),
        repair("D-GEN", date(2026, 2, 1), no="XF-1"),
        penalty(date(2026, 1, 10), categories=("责令停产停业",), doc="D-NR"),
        repair("D-NR", date(2026, 3, 1), no="XF-2"),
        penalty(date(2026, 1, 10), fine=3, doc="D-LATE"),
        repair("D-LATE", date(2026, 7, 15), no="XF-3"),
        penalty(date(2026, 1, 10), fine=3, doc="D-WD", status="撤销"),
    ]
    ev = evaluate(records, date(2026, 3, 31))
    gen = ev.penalty("D-GEN")
    assert (gen["severity"], gen["base_disclosure_until"], gen["repair_no"], gen["repair_date"]) == (
        "general",
        date(2027, 1, 10),
        "XF-1",
        date(2026, 2, 1),
    )
    assert (gen["repair_applied"], gen["repair_blocked"], gen["disclosure_until"], gen["active"]) == (
        True,
        False,
        date(2026, 4, 10),
        True,
    )
    nr = ev.penalty("D-NR")
    assert (
        nr["severity"],
        nr["nonrepairable"],
        nr["repair_no"],
        nr["repair_applied"],
        nr["repair_blocked"],
    ) == (
        "serious",
        True,
        "XF-2",
        False,
        True,
    )
    assert nr["disclosure_until"] == nr["base_disclosure_until"] == date(2029, 1, 10)
    late = ev.penalty("D-LATE")
    assert (late["repair_no"], late["repair_applied"], late["disclosure_until"]) == (
        None,
        False,
        date(2027, 1, 10),
    )
    wd = ev.penalty("D-WD")
    assert (wd["withdrawn"], wd["publishable"], wd["severity"], wd["active"], wd["disclosure_until"]) == (
        True,
        False,
        None,
        False,
        None,
    )


def test_earliest_of_several_repairs_governs() -> None:
    records = [
        B,
        penalty(date(2026, 1, 10), fine=3, doc="D1"),
        repair("D1", date(2026, 6, 1), no="XF-B"),
        repair("D1", date(2026, 5, 1), no="XF-A"),
    ]
    p = evaluate(records, T).penalty("D1")
    assert (p["repair_no"], p["disclosure_until"], p["active"]) == ("XF-A", date(2026, 5, 1), False)


def test_natural_person_penalty_is_resolved_but_never_a_merchant() -> None:
    person = penalty(RECENT, fine=3, doc="D-P", uscc=None, name="张三", party_type="自然人")
    ev = evaluate([B, person], T)
    p = ev.penalty("D-P")
    assert (p["uscc"], p["party_name"], p["publishable"], p["active"]) == (None, "张三", True, True)
    assert [m["uscc"] for m in ev.rows("merchant_credit")] == [M]
    assert ev.merchant(M)["score"] == 100


def test_a_withdrawn_penalty_creates_and_names_no_merchant() -> None:
    stranger = make_uscc(55)
    ev = evaluate([B, penalty(RECENT, fine=3, uscc=stranger, name="不存在的店", status="撤销")], T)
    assert [m["uscc"] for m in ev.rows("merchants")] == [M]
