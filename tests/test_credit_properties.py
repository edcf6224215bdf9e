"""Properties over random record sets: a penalty never helps, a withdrawn one changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from credit_fixtures import (
    AUTHORITY,
    AUTHORITY_2,
    NAME,
    Deliveries,
    M,
    Record,
    commitment,
    complaint,
    evaluate_on,
    make_uscc,
    new_warehouse,
    penalty,
    permit,
    repair,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T = date(2026, 6, 30)
X = make_uscc(2)  # a second merchant, which M's new penalty must leave alone
TIER_RANK = {"A": 3, "B": 2, "C": 1, "D": 0}
CATEGORIES = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "降低资质等级",
    "吊销许可证件", "吊销营业执照", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "其他",
)  # fmt: skip
AMOUNTS = (None, "0.2", "0.999999", "1", "5", "9.999999", "10", "25")

past = st.integers(0, 4 * 365).map(lambda n: T - timedelta(days=n))
around = st.integers(-4 * 365, 4 * 365).map(lambda n: T + timedelta(days=n))


@st.composite
def a_penalty(draw, doc: str, uscc: str = M, status: st.SearchStrategy | None = None) -> Record:
    return penalty(
        draw(past),
        categories=draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True)),
        fine=draw(st.sampled_from(AMOUNTS)),
        confiscation=draw(st.sampled_from(AMOUNTS)),
        until=draw(st.one_of(st.none(), around)),
        procedure=draw(st.sampled_from(("普通程序", "普通程序", "简易程序", None))),
        status=draw(
            status if status is not None else st.sampled_from(("正常", "正常", "正常", "撤销", None))
        ),
        doc=doc,
        uscc=uscc,
    )


@st.composite
def a_permit(draw, uscc: str) -> Record:
    decided = draw(past)
    return permit(
        decided,
        uscc=uscc,
        name=NAME if uscc == M else "另一家店",
        valid_to=draw(
            st.one_of(st.none(), st.integers(0, 6 * 365).map(lambda n: decided + timedelta(days=n)))
        ),
        status=draw(st.sampled_from(("有效", "有效", "无效"))),
    )


@st.composite
def a_complaint(draw) -> Record:
    return complaint(
        draw(past),
        status=draw(st.sampled_from(("处理中", "调解成功", "调解不成功", "终止调解", "不予受理"))),
        uscc=draw(st.sampled_from((M, X, None))),
        name=draw(st.sampled_from((NAME, "另一家店"))),
    )


@st.composite
def a_commitment(draw, uscc: str) -> Record:
    made = draw(past)
    judged = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n: made + timedelta(days=n))))
    return commitment(
        made,
        status=draw(st.sampled_from(("全部履行", "部分履行", "全部未履行"))),
        judged_on=judged,
        kind=draw(st.sampled_from(("审批替代型", "容缺受理型", "证明事项型", "信用修复型", "行业自律型"))),
        uscc=uscc,
        name=NAME if uscc == M else "另一家店",
    )


@st.composite
def histories(draw) -> list[Record]:
    n_pen = draw(st.integers(0, 5))
    records: list[Record] = []
    records += [draw(a_permit(u)) for u in draw(st.lists(st.sampled_from((M, X)), max_size=3))]
    records += [draw(a_penalty(f"P{i}", uscc=draw(st.sampled_from((M, M, X))))) for i in range(n_pen)]
    records += draw(st.lists(a_complaint(), max_size=6))
    records += [draw(a_commitment(u)) for u in draw(st.lists(st.sampled_from((M, X)), max_size=3))]
    if n_pen:
        for _ in range(draw(st.integers(0, 2))):
            records.append(
                repair(f"P{draw(st.integers(0, n_pen - 1))}", draw(past), uscc=draw(st.sampled_from((M, X))))
            )
    # M always exists, so the comparison below is about the same merchant before and after
    records.append(complaint(T - timedelta(days=400), uscc=M))
    return records


def snapshot(records: list[Record]) -> dict[str, list[tuple]]:
    con = new_warehouse()
    Deliveries(con).deliver(records)
    evaluate_on(con, T)
    out = {
        t: con.execute(f"SELECT * EXCLUDE (as_of) FROM {t} ORDER BY ALL").fetchall()
        for t in ("merchant_credit", "black_list", "red_list")
    }
    out["M"] = con.execute(
        "SELECT tier, score, on_red_list FROM merchant_credit WHERE uscc = $m", {"m": M}
    ).fetchall()
    out["others"] = con.execute(
        "SELECT * FROM merchant_credit WHERE uscc <> $m ORDER BY ALL", {"m": M}
    ).fetchall()
    con.close()
    return out


PROPERTY_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(base=histories(), extra=a_penalty("EXTRA", status=st.just("正常")))
def test_adding_a_penalty_never_improves_the_tier(base: list[Record], extra: Record) -> None:
    before, after = snapshot(base), snapshot([*base, extra])
    ((tier0, score0, red0),) = before["M"]
    ((tier1, score1, red1),) = after["M"]
    assert TIER_RANK[tier1] <= TIER_RANK[tier0]
    assert score1 <= score0
    assert red1 <= red0
    assert after["others"] == before["others"]


@PROPERTY_SETTINGS
@given(base=histories(), extra=a_penalty("EXTRA", status=st.just("撤销")), redelivered=st.booleans())
def test_a_withdrawn_penalty_changes_nothing(base: list[Record], extra: Record, redelivered: bool) -> None:
    """Adding a 撤销 penalty, or a penalty followed by its 撤销 re-delivery, is the same as nothing."""
    dataset, values = extra
    added = [(dataset, {**values, "current_status": "正常"}), extra] if redelivered else [extra]
    before, after = snapshot(base), snapshot([*base, *added])
    for table in ("merchant_credit", "black_list", "red_list"):
        assert after[table] == before[table], table


# Each dataset's resolved table, the columns of its key there, and a builder of a record of that
# key whose `marker` column tells the deliveries apart.
LATEST = {
    "permits": ("permits_resolved", ("decision_doc_no", "authority_uscc"), "content"),
    "penalties": ("penalties_resolved", ("decision_doc_no", "authority_uscc"), "penalty_content"),
    "commitments": ("commitments_resolved", ("commitment_code",), "content"),
    "complaints": ("complaints_linked", ("complaint_no",), "handling_status"),
}
COMPLAINT_STATUSES = ("调解成功", "调解不成功", "处理中", "不予受理", "终止调解")


def _keyed(dataset: str, key: int, delivery: int) -> Record:
    day = T - timedelta(days=30)
    authority = (AUTHORITY, AUTHORITY_2)[key % 2]
    if dataset == "permits":
        _, values = permit(day, doc=f"K{key // 2}", authority_uscc=authority)
        return dataset, {**values, "content": f"delivery {delivery}"}
    if dataset == "penalties":
        _, values = penalty(day, fine=1, doc=f"K{key // 2}", authority_uscc=authority)
        return dataset, {**values, "penalty_content": f"delivery {delivery}"}
    if dataset == "commitments":
        _, values = commitment(day, code=f"K{key}")
        return dataset, {**values, "content": f"delivery {delivery}"}
    return complaint(day, no=f"K{key}", status=COMPLAINT_STATUSES[delivery % len(COMPLAINT_STATUSES)])


@PROPERTY_SETTINGS
@given(
    dataset=st.sampled_from(sorted(LATEST)),
    keys=st.lists(st.integers(0, 5), min_size=1, max_size=12),
    same_file=st.booleans(),
)
def test_the_latest_delivery_of_each_key_wins(dataset: str, keys: list[int], same_file: bool) -> None:
    """Keys delivered once, twice or more, in one file or in many: the resolved table holds each
    key once, as its last delivery (the later file, and within a file the later row)."""
    table, key_columns, marker = LATEST[dataset]
    records = [_keyed(dataset, key, n) for n, key in enumerate(keys)]
    expected = {}
    for _, values in records:
        expected[tuple(values[c] for c in key_columns)] = values[marker]
    con = new_warehouse()
    Deliveries(con).deliver([permit(T - timedelta(days=400))])
    Deliveries(con).deliver(records, same_file=same_file)
    evaluate_on(con, T)
    got = con.execute(
        f"SELECT {', '.join(key_columns)}, {marker} FROM {table} WHERE as_of = $t AND {key_columns[0]} LIKE 'K%'",
        {"t": T},
    ).fetchall()
    con.close()
    assert sorted(got) == sorted((*k, v) for k, v in expected.items())
