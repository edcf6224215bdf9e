"""Reruns: the same inputs and date give identical tables; an earlier date evaluated after later
deliveries gives the earlier lists; a failed run leaves the date's previous results intact."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from credit_fixtures import (
    Deliveries,
    M,
    Record,
    commitment,
    complaint,
    default_policy,
    evaluate_on,
    make_uscc,
    new_warehouse,
    penalty,
    permit,
    repair,
)

from warehouse.credit import OUTPUT_TABLES, compute_credit
from warehouse.db import connect

T0 = date(2026, 3, 31)
T1 = date(2026, 6, 30)
LISTS = ("merchant_credit", "black_list", "red_list", "list_history")


def batch_one() -> list[Record]:
    """Merchants that are A, red, black (each trigger) and C at T0."""
    red, black, grey = make_uscc(11), make_uscc(12), make_uscc(13)
    return [
        permit(date(2023, 1, 1), doc="XK-M"),
        permit(date(2023, 1, 1), uscc=red, name="红名单商店", doc="XK-R"),
        permit(date(2025, 1, 1), uscc=black, name="黑名单商店", doc="XK-B"),
        permit(date(2025, 1, 1), uscc=grey, name="一般商店", doc="XK-G"),
        penalty(date(2026, 1, 10), categories=("吊销许可证件",), uscc=black, doc="D-REV"),
        penalty(date(2025, 6, 1), fine=12, uscc=black, doc="D-S1"),
        penalty(date(2025, 9, 1), fine="0.5", uscc=grey, doc="D-V1"),
        penalty(date(2025, 12, 1), fine="0.5", uscc=grey, doc="D-V2"),
        penalty(date(2026, 3, 1), fine=3, uscc=grey, doc="D-V3"),
        commitment(
            date(2025, 6, 1), status="全部履行", judged_on=date(2025, 12, 1), kind="审批替代型", code="CN-1"
        ),
        commitment(
            date(2026, 1, 1), status="全部未履行", judged_on=date(2026, 2, 1), kind="证明事项型", uscc=grey
        ),
        complaint(date(2026, 3, 1), uscc=grey, name="一般商店"),
        complaint(date(2026, 3, 2), uscc=None, name="一般商店", status="处理中"),
        complaint(date(2026, 3, 3), uscc=red, name="红名单商店"),
    ]


def batch_two() -> list[Record]:
    """Records dated after T0 only: new penalties and complaints, a repair of an old penalty,
    a commitment judgement made after T0, a brand-new merchant."""
    red, grey = make_uscc(11), make_uscc(13)
    return [
        penalty(date(2026, 5, 1), fine=3, uscc=red, doc="D-R1"),
        penalty(date(2026, 5, 2), fine=10),
        repair("D-V3", date(2026, 4, 15), uscc=grey),
        commitment(
            date(2025, 6, 1), status="全部未履行", judged_on=date(2026, 5, 1), kind="审批替代型", code="CN-1"
        ),
        *(complaint(date(2026, 4, 1) + timedelta(days=i), name="一般商店", uscc=grey) for i in range(4)),
        permit(date(2026, 6, 1), uscc=make_uscc(14), name="新开商店"),
    ]


def dump(con: duckdb.DuckDBPyConnection, as_of: date, tables=LISTS) -> dict[str, list[tuple]]:
    return {
        t: con.execute(f"SELECT * FROM {t} WHERE as_of = $d ORDER BY ALL", {"d": as_of}).fetchall()
        for t in tables
    }


def test_rerun_of_the_same_date_is_identical(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        Deliveries(con).deliver(batch_one())
        first_summary = compute_credit(con, T0, default_policy())
        first = dump(con, T0, OUTPUT_TABLES)
    with connect(path) as con:
        again_summary = compute_credit(con, T0, default_policy())
        again = dump(con, T0, OUTPUT_TABLES)
        assert con.execute("SELECT count(*) FROM credit_evaluations").fetchone()[0] == 1
    assert again == first
    assert again_summary == first_summary
    assert first["black_list"] and first["red_list"] and first["list_history"]
    assert first_summary["merchants"] == 4
    assert (first_summary["black_list"], first_summary["red_list"], first_summary["black_entered"]) == (
        2,
        2,
        2,
    )


def test_earlier_date_evaluated_after_later_deliveries_gives_the_earlier_lists() -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver(batch_one())
    evaluate_on(con, T0)
    before = dump(con, T0)
    feed.deliver(batch_two())
    evaluate_on(con, T1)
    at_t1 = dump(con, T1)
    assert at_t1["merchant_credit"] != before["merchant_credit"]  # the later records do count at T1
    evaluate_on(con, T0)
    assert dump(con, T0) == before
    assert dump(con, T1) == at_t1


CHAIN = (date(2026, 3, 1), date(2026, 4, 15), date(2026, 6, 1))


def chain_records() -> list[Record]:
    """batch_one, plus a merchant red-listed at the first and last dates but not between: its
    only permit lapses on 2026-03-31 and a new one starts on 2026-05-01."""
    interrupted = make_uscc(21)
    return [
        *batch_one(),
        permit(date(2023, 1, 1), valid_to=date(2026, 3, 31), uscc=interrupted, name="中断商店", doc="XK-I1"),
        permit(date(2026, 5, 1), uscc=interrupted, name="中断商店", doc="XK-I2"),
    ]


def evaluated_in(records: list[Record], order: tuple[date, ...]) -> dict[date, dict[str, list[tuple]]]:
    con = new_warehouse()
    Deliveries(con).deliver(records)
    for as_of in order:
        evaluate_on(con, as_of)
    return {as_of: dump(con, as_of, (*LISTS, "credit_evaluations")) for as_of in CHAIN}


@pytest.mark.parametrize("order", [(0, 2, 1), (2, 1, 0), (1, 2, 0)], ids=["between", "descending", "before"])
def test_a_backfill_leaves_every_date_as_evaluating_the_dates_in_order(order: tuple[int, ...]) -> None:
    """The red list's listed_since, the list history and previous_as_of follow the evaluation
    before theirs: a date evaluated between or before evaluated dates re-derives them for the
    later ones. Before, the interrupted merchant stayed red 'since 2026-03-01' at 2026-06-01."""
    records = chain_records()  # once: the fixtures number documents they are not given
    in_order = evaluated_in(records, CHAIN)
    red = {r[1]: r for r in in_order[CHAIN[2]]["red_list"]}
    assert red[make_uscc(21)][6] == CHAIN[2]  # listed_since: the listing was interrupted at CHAIN[1]
    assert evaluated_in(records, tuple(CHAIN[i] for i in order)) == in_order


def test_a_later_date_of_another_policy_version_is_reported_not_rederived() -> None:
    """Its chain's reasons and validity come from its own policy's numbers, which are not at hand."""
    con = new_warehouse()
    Deliveries(con).deliver(chain_records())
    evaluate_on(con, CHAIN[0])
    evaluate_on(con, CHAIN[2])
    con.execute("UPDATE credit_evaluations SET policy_version = 'older' WHERE as_of = $d", {"d": CHAIN[2]})
    before = dump(con, CHAIN[2], ("red_list", "list_history"))
    summary = compute_credit(con, CHAIN[1], default_policy())
    assert (summary["later_rechained"], summary["later_not_rechained"]) == ([], [CHAIN[2]])
    assert dump(con, CHAIN[2], ("red_list", "list_history")) == before


def test_later_delivery_changes_t1_as_expected() -> None:
    con = new_warehouse()
    feed = Deliveries(con)
    feed.deliver(batch_one())
    e0 = evaluate_on(con, T0)
    assert {r["uscc"] for r in e0.rows("red_list")} == {M, make_uscc(11)}
    feed.deliver(batch_two())
    e1 = evaluate_on(con, T1)
    assert e1.merchant(M)["reason_codes"] == ["PEN_SERIOUS", "COMMIT_BREACH", "BL_FALSE_COMMITMENT"]
    assert e1.rows("red_list") == []
    left = {(h["uscc"], h["list"], h["event"]) for h in e1.rows("list_history")}
    assert left >= {(M, "red", "left"), (make_uscc(11), "red", "left"), (M, "black", "entered")}


def test_a_failed_run_keeps_the_previous_results_of_that_date() -> None:
    con = new_warehouse()
    Deliveries(con).deliver(batch_one())
    evaluate_on(con, T0)
    before = dump(con, T0, OUTPUT_TABLES)
    con.execute("ALTER TABLE complaints RENAME TO complaints_gone")
    with pytest.raises(duckdb.CatalogException):
        compute_credit(con, T0, default_policy())
    assert dump(con, T0, OUTPUT_TABLES) == before
    con.execute("ALTER TABLE complaints_gone RENAME TO complaints")
    evaluate_on(con, T0)
    assert dump(con, T0, OUTPUT_TABLES) == before
