"""The list changes of the report and the credit metadata: every change counted, a bounded
number listed (a full refresh enters a whole city at once)."""

from __future__ import annotations

from datetime import date

import duckdb

from assets.report import CHANGES_SHOWN, changes_markdown, list_changes
from warehouse.db import configure

T = date(2026, 11, 25)


def test_all_changes_are_counted_and_the_first_of_each_kind_listed() -> None:
    con = duckdb.connect()
    configure(con)
    con.execute(
        "CREATE TABLE list_history (as_of DATE, previous_as_of DATE, list VARCHAR, uscc VARCHAR, "
        "name VARCHAR, event VARCHAR, reason_codes VARCHAR[], reason_text VARCHAR)"
    )
    red = CHANGES_SHOWN + 7
    con.execute(
        "INSERT INTO list_history SELECT $t, DATE '2026-11-24', 'red', printf('U%06d', i), 'n', 'entered', ['R1'], 'r' "
        "FROM range($n) AS r(i)",
        {"t": T, "n": red},
    )
    con.execute(
        "INSERT INTO list_history VALUES ($t, DATE '2026-11-24', 'black', 'B2', 'b', 'left', ['X'], 'x'), "
        "($t, DATE '2026-11-24', 'black', 'B1', 'b', 'left', ['X'], 'x'), "
        "(DATE '2026-11-24', NULL, 'black', 'B9', 'b', 'entered', ['X'], 'x')",
        {"t": T},
    )
    changes = list_changes(con, T)
    assert changes.counts == {"black entered": 0, "black left": 2, "red entered": red, "red left": 0}
    assert [c["uscc"] for c in changes.rows[:2]] == ["B1", "B2"]  # black first, by USCC
    assert len(changes.of("red", "entered")) == CHANGES_SHOWN
    assert changes.of("red", "entered")[-1]["uscc"] == f"U{CHANGES_SHOWN - 1:06d}"
    assert changes.previous_as_of == date(2026, 11, 24)
    md = changes_markdown(changes, limit=5)
    assert md.count("\n| ") == 5 and md.endswith(f"… and {red + 2 - 5} more")
    assert changes_markdown(list_changes(con, date(2026, 1, 1))) == "no entries or exits"
