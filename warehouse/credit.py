"""Credit tiers and red/black lists for one evaluation date, from the validated tables.

All logic is in `warehouse/sql/credit/*.sql`; this module only runs those files in order with
the policy's parameters, inside one transaction, so a failure leaves the previous results of
that date untouched and a rerun replaces them (every output table is keyed by `as_of`).
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


def compute_credit(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy) -> dict[str, Any]:
    """Evaluate every merchant as of `as_of` and return the run's summary figures."""
    params = {**policy.sql_params(), "as_of": as_of}
    con.execute("BEGIN TRANSACTION")
    try:
        for model in MODELS:
            run_sql(con, model, params)
        for table in _STAGING_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        (summary,) = query(con, "credit/summary", params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary
