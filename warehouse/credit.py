"""Credit tiers and red/black lists for one evaluation date, from the validated tables.

All logic is in `warehouse/sql/credit/*.sql`; this module only runs those files in order with
the policy's parameters, inside one transaction, so a failure leaves the previous results of
that date untouched and a rerun replaces them (every output table is keyed by `as_of`).

Three models read the evaluation before theirs (`CHAIN_MODELS`): the red list's `listed_since`
and the list history compare T with the previous evaluated date. A backfill of T between two
evaluated dates, or before them, makes T the previous evaluation of the next one, so the same
transaction derives those three again for every later date, from that date's own stored tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from warehouse.db import query, run_sql
from warehouse.policy import Policy

# Order matters: each model reads only the ones before it. `complaints_known` and
# `black_list_triggers` are temporary staging tables of the connection.
MODELS: tuple[str, ...] = (
    "credit/credit_evaluations",
    "credit/permits_resolved",
    "credit/penalties_resolved",
    "credit/commitments_resolved",
    "credit/complaints_known",
    "credit/merchants",
    "credit/complaints_linked",
    "credit/black_list_triggers",
    "credit/merchant_credit",
    "credit/black_list",
    "credit/red_list",
    "credit/list_history",
)

OUTPUT_TABLES: tuple[str, ...] = (
    "credit_evaluations",
    "permits_resolved",
    "penalties_resolved",
    "commitments_resolved",
    "merchants",
    "complaints_linked",
    "merchant_credit",
    "black_list",
    "red_list",
    "list_history",
)

_STAGING_TABLES = ("credit_complaints_known", "credit_black_triggers")

# The models that read the previous evaluation, in order; the rest read only T's own records.
CHAIN_MODELS: tuple[str, ...] = ("credit/credit_evaluations", "credit/red_list", "credit/list_history")


def compute_credit(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy) -> dict[str, Any]:
    """Evaluate every merchant as of `as_of` and return the run's summary figures."""
    params = {**policy.sql_params(), "as_of": as_of}
    con.execute("BEGIN TRANSACTION")
    try:
        for model in MODELS:
            run_sql(con, model, params)
        for table in _STAGING_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        rechained, not_rechained = _rechain_later_evaluations(con, as_of, policy)
        (summary,) = query(con, "credit/summary", params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {**summary, "later_rechained": rechained, "later_not_rechained": not_rechained}


def _rechain_later_evaluations(
    con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy
) -> tuple[list[date], list[date]]:
    """Derive the chain models again for every evaluated date after `as_of`, in order.

    Only dates evaluated under this policy version: the chain's reasons and validity periods
    come from the policy, and an older policy's numbers are not at hand. Those dates are
    returned apart, for the caller to say that a rerun of them is needed."""
    rechained, not_rechained = [], []
    for later in query(con, "credit/later_evaluations", {"as_of": as_of}):
        if later["policy_version"] != policy.version:
            not_rechained.append(later["as_of"])
            continue
        for model in CHAIN_MODELS:
            run_sql(con, model, {**policy.sql_params(), "as_of": later["as_of"]})
        rechained.append(later["as_of"])
    return rechained, not_rechained
