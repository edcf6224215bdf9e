"""credit-policy.md sections 3 and 5: tier boundaries, black-list triggers and their dates, the
red list's conditions (each failing alone), and the list history across evaluations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from credit_fixtures import (
    Case,
    Deliveries,
    M,
    base_permit,
    check,
    commitment,
    complaint,
    evaluate,
    evaluate_on,
    ids,
    make_uscc,
    new_warehouse,
    penalty,
    permit,
    repair,
)

T = date(2026, 6, 30)
B = base_permit()
OTHER = make_uscc(2)


def ago(days: int) -> date:
    return T - timedelta(days=days)


def accepted(n: int) -> tuple:
    return tuple(complaint(ago(30)) for _ in range(n))


def partial(judged: date) -> tuple:
    return commitment(judged - timedelta(days=30), status="部分履行", judged_on=judged)


TIERS = [
    Case(
        "95 and nothing active: A",
        T,
        (permit(date(2025, 1, 1), valid_to=ago(1)),),
        95,
        "A",
        ("PERMIT_LAPSED",),
    ),
    Case("95 with an active penalty: B", T, (B, penalty(ago(10), fine="0.5")), 95, "B", ("PEN_MINOR",)),
    Case(
        "95 with an unresolved complaint: B",
        T,
        (B, complaint(ago(10), status="调解不成功")),
        95,
        "B",
        ("CMP_UNRESOLVED",),
    ),
    Case("94: B", T, (B, *accepted(5)), 94, "B", ("CMP_VOLUME",)),
    Case(
        "80: B",
        T,
        (B, penalty(ago(10), fine=3), penalty(ago(10), fine="0.5")),
        80,
        "B",
        ("PEN_GENERAL", "PEN_MINOR"),
    ),
    Case("79: C", T, (B, penalty(ago(10), fine=3), *accepted(5)), 79, "C", ("PEN_GENERAL", "CMP_VOLUME")),
    Case("60: C", T, (B, penalty(ago(10), fine=10)), 60, "C", ("PEN_SERIOUS",)),
    Case(
        "59: D",
        T,
        (B, penalty(ago(10), fine=3), *accepted(5), partial(ago(20)), partial(ago(40))),
        59,
        "D",
        ("PEN_GENERAL", "CMP_VOLUME", "COMMIT_PARTIAL"),
    ),
    Case(
        "black-listed with score 100: D",
        T,
        (
            B,
            penalty(date(2025, 8, 1), fine="0.5", doc="M1"),
            penalty(date(2025, 10, 1), fine="0.5", doc="M2"),
            penalty(date(2026, 1, 1), fine="0.5", doc="M3"),
        ),
        100,
        "D",
        ("BL_REPEAT_VIOLATION",),
        black={
            "listed_since": date(2026, 1, 1),
            "expected_until": date(2026, 8, 1),
            "basis_documents": ["M1", "M2", "M3"],
        },
    ),
    Case(
        "the score is floored at 0",
        T,
        (
            B,
            penalty(date(2026, 1, 1), fine=10, doc="S1"),
            penalty(date(2026, 2, 1), fine=10, doc="S2"),
            penalty(date(2026, 3, 1), fine=10, doc="S3"),
        ),
        0,
        "D",
        ("PEN_SERIOUS", "BL_REPEAT_SERIOUS", "BL_REPEAT_VIOLATION"),
        black={
            "listed_since": date(2026, 3, 1),
            # second-latest disclosure end (2029-02-01) beats third-latest decision + 365 days
            "expected_until": date(2029, 2, 1),
            "basis_documents": ["S1", "S2", "S3"],
            "reason_codes": ["BL_REPEAT_SERIOUS", "BL_REPEAT_VIOLATION"],
        },
    ),
]

REVOCATION_CATEGORIES = (
    "吊销许可证件",
    "吊销营业执照",
    "责令关闭",
    "责令停产停业",
    "限制开展生产经营活动",
    "限制从业",
)

BLACK = [
    *(
        Case(
            f"BL_REVOCATION: {cat}",
            T,
            (B, penalty(date(2026, 1, 10), categories=(cat,), doc="D1")),
            60,
            "D",
            ("PEN_SERIOUS", "BL_REVOCATION"),
            black={
                "listed_since": date(2026, 1, 10),
                "expected_until": date(2029, 1, 10),
                "basis_documents": ["D1"],
                "reason_codes": ["BL_REVOCATION"],
            },
        )
        for cat in REVOCATION_CATEGORIES
    ),
    Case(
        "BL_REVOCATION ends with its disclosure (and, decided exactly 3 years ago, no longer blocks red)",
        date(2029, 1, 10),
        (B, penalty(date(2026, 1, 10), categories=("吊销营业执照",))),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case(
        "BL_REVOCATION: 公示截止期 beyond 3 years is capped at listed_since + 3 years",
        T,
        (B, penalty(date(2026, 1, 10), categories=("责令关闭",), doc="D1", until=date(2031, 1, 10))),
        60,
        "D",
        ("PEN_SERIOUS", "BL_REVOCATION"),
        black={
            "listed_since": date(2026, 1, 10),
            "expected_until": date(2029, 1, 10),
            "basis_documents": ["D1"],
        },
    ),
    Case(
        "BL_REVOCATION: the day before the cap, still listed",
        date(2029, 1, 9),
        (B, penalty(date(2026, 1, 10), categories=("责令关闭",), doc="D1", until=date(2031, 1, 10))),
        60,
        "D",
        ("PEN_SERIOUS", "BL_REVOCATION"),
        black={"listed_since": date(2026, 1, 10), "expected_until": date(2029, 1, 10)},
    ),
    Case(
        "BL_REVOCATION: on the cap day, delisted though the penalty is still active",
        date(2029, 1, 10),
        (B, penalty(date(2026, 1, 10), categories=("责令关闭",), doc="D1", until=date(2031, 1, 10))),
        60,
        "C",
        ("PEN_SERIOUS",),
    ),
    Case(
        "BL_REVOCATION and BL_REPEAT_SERIOUS: the latest stop wins",
        T,
        (
            B,
            penalty(date(2025, 6, 1), categories=("吊销许可证件",), doc="D1"),
            penalty(date(2026, 2, 1), categories=("限制从业",), doc="D2", until=date(2027, 2, 1)),
        ),
        20,
        "D",
        ("PEN_SERIOUS", "BL_REVOCATION", "BL_REPEAT_SERIOUS"),
        black={
            "listed_since": date(2026, 2, 1),
            "expected_until": date(2028, 6, 1),
            "basis_documents": ["D1", "D2"],
            "reason_codes": ["BL_REVOCATION", "BL_REPEAT_SERIOUS"],
        },
    ),
    Case(
        "BL_REPEAT_SERIOUS: stops at the second-latest disclosure end",
        T,
        (B, penalty(date(2025, 3, 1), fine=12, doc="S1"), penalty(date(2026, 2, 1), fine=10, doc="S2")),
        20,
        "D",
        ("PEN_SERIOUS", "BL_REPEAT_SERIOUS"),
        black={
            "listed_since": date(2026, 2, 1),
            "expected_until": date(2028, 3, 1),
            "basis_documents": ["S1", "S2"],
            "reason_codes": ["BL_REPEAT_SERIOUS"],
        },
    ),
    Case(
        "one active and one ended serious penalty: not listed",
        T,
        (B, penalty(date(2022, 3, 1), fine=12), penalty(date(2026, 2, 1), fine=10)),
        60,
        "C",
        ("PEN_SERIOUS",),
    ),
    Case(
        "BL_REPEAT_VIOLATION: the 3rd penalty 364 days ago",
        T,
        (
            B,
            penalty(ago(364), fine="0.5", doc="V1"),
            penalty(ago(100), fine="0.5", doc="V2"),
            penalty(ago(10), fine="0.5", doc="V3"),
        ),
        95,
        "D",
        ("PEN_MINOR", "BL_REPEAT_VIOLATION"),
        black={
            "listed_since": ago(10),
            "expected_until": T + timedelta(days=1),
            "basis_documents": ["V1", "V2", "V3"],
            "reason_codes": ["BL_REPEAT_VIOLATION"],
        },
    ),
    Case(
        "the 3rd penalty 365 days ago: just outside",
        T,
        (B, penalty(ago(365), fine="0.5"), penalty(ago(100), fine="0.5"), penalty(ago(10), fine="0.5")),
        95,
        "B",
        ("PEN_MINOR",),
    ),
    Case(
        "BL_REPEAT_VIOLATION with 4: stops at the 3rd-latest decision + 365 days",
        T,
        (
            B,
            penalty(ago(300), fine="0.5", doc="V1"),
            penalty(ago(200), fine="0.5", doc="V2"),
            penalty(ago(100), fine="0.5", doc="V3"),
            penalty(ago(10), fine="0.5", doc="V4"),
        ),
        95,
        "D",
        ("PEN_MINOR", "BL_REPEAT_VIOLATION"),
        black={"listed_since": ago(10), "expected_until": ago(200) + timedelta(days=365)},
    ),
    Case(
        "a repaired penalty is not one of the 3",
        T,
        (
            B,
            penalty(ago(300), fine="0.5", doc="V1"),
            repair("V1", ago(250)),
            penalty(ago(100), fine="0.5"),
            penalty(ago(10), fine="0.5"),
        ),
        95,
        "B",
        ("PEN_MINOR",),
    ),
    Case(
        "a repair dated after T leaves it one of the 3",
        T,
        (
            B,
            penalty(ago(300), fine="0.5", doc="V1"),
            repair("V1", T + timedelta(days=1)),
            penalty(ago(100), fine="0.5", doc="V2"),
            penalty(ago(10), fine="0.5", doc="V3"),
        ),
        95,
        "D",
        ("PEN_MINOR", "BL_REPEAT_VIOLATION"),
        black={"basis_documents": ["V1", "V2", "V3"]},
    ),
    Case(
        "withdrawn, 简易程序 and warning-only penalties are not counted",
        T,
        (
            B,
            penalty(ago(300), fine="0.5", status="撤销"),
            penalty(ago(200), fine="0.05", procedure="简易程序"),
            penalty(ago(150), categories=("警告",)),
            penalty(ago(100), fine="0.5"),
            penalty(ago(10), fine="0.5"),
        ),
        95,
        "B",
        ("PEN_MINOR",),
    ),
    Case(
        "BL_REVOCATION and BL_FALSE_COMMITMENT: basis of both, the latest date",
        T,
        (
            B,
            penalty(date(2026, 1, 10), categories=("吊销许可证件",), doc="D1"),
            commitment(
                date(2026, 1, 1),
                status="全部未履行",
                judged_on=date(2026, 3, 1),
                kind="容缺受理型",
                code="CN-1",
            ),
        ),
        40,
        "D",
        ("PEN_SERIOUS", "COMMIT_BREACH", "BL_REVOCATION", "BL_FALSE_COMMITMENT"),
        black={
            "listed_since": date(2026, 3, 1),
            "expected_until": date(2029, 1, 10),
            "basis_documents": ["D1", "CN-1"],
            "reason_codes": ["BL_REVOCATION", "BL_FALSE_COMMITMENT"],
        },
    ),
    Case(
        "the cap counts from the latest basis date",
        T,
        (
            B,
            penalty(date(2026, 1, 10), categories=("吊销许可证件",), doc="D1", until=date(2031, 1, 10)),
            commitment(
                date(2026, 1, 1),
                status="全部未履行",
                judged_on=date(2026, 3, 1),
                kind="证明事项型",
                code="CN-1",
            ),
        ),
        40,
        "D",
        ("PEN_SERIOUS", "COMMIT_BREACH", "BL_REVOCATION", "BL_FALSE_COMMITMENT"),
        black={"listed_since": date(2026, 3, 1), "expected_until": date(2029, 3, 1)},
    ),
]

RP = permit(date(2024, 6, 30), doc="XK-RED")  # exactly 2 years before T
RED = [
    Case("all conditions hold", T, (RP,), 100, "A", ("RL_LISTED",), red=True),
    Case(
        "first permit 2 years and 1 day ago",
        T,
        (permit(date(2024, 6, 29)),),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case("first permit 1 day short of 2 years", T, (permit(date(2024, 7, 1)),), 100, "A"),
    Case(
        "an old permit, none valid at T", T, (permit(date(2020, 1, 1), valid_to=date(2025, 6, 1)),), 100, "A"
    ),
    Case(
        "an old lapsed permit and a new valid one",
        T,
        (permit(date(2020, 1, 1), valid_to=date(2025, 6, 1)), permit(date(2026, 1, 1))),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case("only permit 无效", T, (permit(date(2020, 1, 1), status="无效"),), 100, "A"),
    Case("a penalty decided 3 years ago less a day", T, (RP, penalty(date(2023, 7, 1), fine=3)), 100, "A"),
    Case(
        "a penalty decided exactly 3 years ago",
        T,
        (RP, penalty(date(2023, 6, 30), fine=3)),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case(
        "a penalty decided 3 years and 1 day ago",
        T,
        (RP, penalty(date(2023, 6, 29), fine=3)),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case(
        "a repaired penalty within 3 years still blocks",
        T,
        (RP, penalty(date(2025, 1, 1), fine="0.5", doc="D1"), repair("D1", date(2025, 1, 5))),
        100,
        "A",
    ),
    Case(
        "a withdrawn penalty does not block",
        T,
        (RP, penalty(date(2025, 1, 1), fine=3, status="撤销")),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case("3 accepted complaints", T, (RP, *accepted(3)), 98, "A", ("CMP_VOLUME",)),
    Case("2 accepted complaints", T, (RP, *accepted(2)), 100, "A", ("RL_LISTED",), red=True),
    Case(
        "2 accepted and 1 不予受理",
        T,
        (RP, *accepted(2), complaint(ago(5), status="不予受理")),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case(
        "a 3rd accepted complaint 365 days ago is outside",
        T,
        (RP, *accepted(2), complaint(ago(365))),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case("部分履行 judged 2.5 years ago", T, (RP, partial(date(2024, 1, 1))), 100, "A"),
    Case("部分履行 judged 3 years ago less a day", T, (RP, partial(date(2023, 7, 1))), 100, "A"),
    Case(
        "部分履行 judged exactly 3 years ago",
        T,
        (RP, partial(date(2023, 6, 30))),
        100,
        "A",
        ("RL_LISTED",),
        red=True,
    ),
    Case(
        "全部未履行 judged 2 years ago",
        T,
        (RP, commitment(date(2024, 6, 1), status="全部未履行", judged_on=date(2024, 6, 30))),
        100,
        "A",
    ),
    Case(
        "only the tier fails: an old minor penalty still disclosed",
        T,
        (RP, penalty(date(2023, 1, 1), fine="0.5", until=date(2027, 1, 1))),
        95,
        "B",
        ("PEN_MINOR",),
    ),
]


@pytest.mark.parametrize("case", TIERS, ids=ids(TIERS))
def test_tier_boundaries(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", BLACK, ids=ids(BLACK))
def test_black_list_triggers(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", RED, ids=ids(RED))
def test_red_list_conditions(case: Case) -> None:
    check(case)


def test_the_red_rows_flags_say_which_condition_failed() -> None:
    m = evaluate([permit(date(2024, 7, 1))], T).merchant()
    flags = {k: v for k, v in m.items() if k.startswith("red_") and isinstance(v, bool)}
    assert flags == {
        "red_tier_a": True,
        "red_permit_age": False,
        "red_permit_valid": True,
        "red_no_recent_penalty": True,
        "red_complaints": True,
        "red_commitments": True,
    }


def test_black_list_row_states_documents_basis_and_removal() -> None:
    records = [
        B,
        penalty(date(2026, 1, 10), categories=("吊销许可证件", "罚款"), fine=2, doc="岸市监罚〔2026〕7号"),
        commitment(
            date(2026, 1, 1), status="全部未履行", judged_on=date(2026, 3, 1), kind="审批替代型", code="CN-77"
        ),
    ]
    row = evaluate(records, T).black()
    assert row is not None
    assert (row["name"], row["district_code"], row["policy_version"]) == (
        "武汉江岸味道餐饮有限公司",
        "420102",
        "wuhan-commerce-2026.1",
    )
    assert "岸市监罚〔2026〕7号" in row["reason_text"] and "CN-77" in row["reason_text"]
    assert "吊销许可证件" in row["reason_text"] and "审批替代型" in row["reason_text"]
    assert "国家市场监督管理总局令第45号" in row["legal_basis"]
    assert "国办发〔2019〕35号" in row["legal_basis"]
    assert "wuhan-commerce-2026.1" in row["legal_basis"]
    for words in ("信用修复", "撤销", "届满", "2029-01-10"):
        assert words in row["removal_conditions"]


def test_red_list_row() -> None:
    row = evaluate([RP, *accepted(1)], T).red()
    assert row is not None
    assert (row["tier"], row["score"], row["listed_since"], row["valid_until"], row["district_code"]) == (
        "A",
        100,
        T,
        date(2027, 6, 30),
        "420102",
    )
    assert "2024-06-30" in row["reasons"] and "受理投诉1件" in row["reasons"]


def test_red_listed_since_carries_over_and_resets_after_an_interruption() -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver([RP])
    t1, t2, t3, t4 = date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31), date(2027, 8, 10)
    assert evaluate_on(con, t1).red()["listed_since"] == t1
    e2 = evaluate_on(con, t2)
    assert (e2.red()["listed_since"], e2.red()["valid_until"]) == (t1, date(2027, 7, 31))
    assert e2.history() == []
    feed.deliver([complaint(date(2026, 8, 10)) for _ in range(3)])
    e3 = evaluate_on(con, t3)
    assert e3.red() is None
    (left,) = e3.history()
    assert (left["previous_as_of"], left["list"], left["event"], left["reason_codes"]) == (
        t2,
        "red",
        "left",
        ["RL_LISTED"],
    )
    assert "受理投诉3件" in left["reason_text"]
    # 2027-08-10: the complaints of 2026-08-10 are 365 days old, out of the window
    e4 = evaluate_on(con, t4)
    assert e4.red()["listed_since"] == t4
    (entered,) = e4.history()
    assert (entered["previous_as_of"], entered["event"], entered["list"]) == (t3, "entered", "red")
    first = evaluate_on(con, t1).history()
    assert [(h["previous_as_of"], h["event"]) for h in first] == [(None, "entered")]


@pytest.mark.parametrize(
    ("later", "at", "because"),
    [
        ([], date(2027, 3, 1), "认定日期2026-03-01已超出近365日的统计期"),
        (
            [commitment(date(2026, 1, 1), status="全部履行", judged_on=date(2026, 3, 1), code="CN-1")],
            T,
            "履行状态已更正为全部履行",
        ),
    ],
)
def test_black_list_exit_says_why_for_a_commitment(later, at, because) -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver(
        [
            B,
            commitment(
                date(2026, 1, 1),
                status="全部未履行",
                judged_on=date(2026, 3, 1),
                kind="审批替代型",
                code="CN-1",
            ),
        ]
    )
    first = evaluate_on(con, date(2026, 4, 1))
    assert [(h["list"], h["event"], h["reason_codes"]) for h in first.history()] == [
        ("black", "entered", ["BL_FALSE_COMMITMENT"])
    ]
    assert "CN-1" in first.history()[0]["reason_text"]
    feed.deliver(later)
    (left,) = [h for h in evaluate_on(con, at).history() if h["list"] == "black"]
    assert (left["event"], left["previous_as_of"], left["reason_codes"]) == (
        "left",
        date(2026, 4, 1),
        ["BL_FALSE_COMMITMENT"],
    )
    assert "CN-1：" + because in left["reason_text"]


@pytest.mark.parametrize(
    ("later", "because"),
    [
        (
            [penalty(date(2026, 1, 10), categories=("吊销许可证件",), doc="D1", status="撤销")],
            "D1：处罚决定已撤销",
        ),
        ([], "D1：公示期已于2026-07-10届满"),
    ],
)
def test_black_list_exit_says_why_for_a_penalty(later, because) -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver(
        [B, penalty(date(2026, 1, 10), categories=("吊销许可证件",), doc="D1", until=date(2026, 7, 10))]
    )
    assert evaluate_on(con, T).black()["basis_documents"] == ["D1"]
    feed.deliver(later)
    ev = evaluate_on(con, date(2026, 7, 15))
    assert ev.black() is None
    (left,) = ev.history()
    assert (left["list"], left["event"], left["reason_codes"]) == ("black", "left", ["BL_REVOCATION"])
    assert because in left["reason_text"]


def test_black_list_exit_after_repair_and_after_the_cap() -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver(
        [
            B,
            penalty(ago(300), fine="0.5", doc="V1"),
            penalty(ago(100), fine="0.5", doc="V2"),
            penalty(ago(10), fine="0.5", doc="V3"),
            penalty(
                date(2026, 1, 10), categories=("责令关闭",), doc="D9", until=date(2031, 1, 10), uscc=OTHER
            ),
        ]
    )
    assert {r["uscc"] for r in evaluate_on(con, T).rows("black_list")} == {M, OTHER}
    feed.deliver([repair("V2", ago(20))])  # inside its window, which ends on 2026-06-22
    ev = evaluate_on(con, date(2029, 1, 10))
    left = {h["uscc"]: h for h in ev.rows("list_history", "list = 'black'")}
    assert left[M]["event"] == "left" and "V2：已于2026-06-10完成信用修复" in left[M]["reason_text"]
    assert left[OTHER]["event"] == "left" and "最长列入期限" in left[OTHER]["reason_text"]
    assert "D9：仍在公示期内" in left[OTHER]["reason_text"]
    capped = ev.merchant(OTHER)
    assert (capped["black_list_capped"], capped["on_black_list"], capped["tier"]) == (True, False, "C")
