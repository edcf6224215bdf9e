"""The validate stage: judge pending raw rows by their contract, quarantine, gate, promote.

Three steps, each owned by one Dagster node so the gate can block promotion:
`stage` (typed rows + row rules + per-file quarantine threshold), the batch gate (Great
Expectations on the batch, see `gate`), and `promote` (passing rows into the validated
table). Re-running any step after a crash repeats it without duplicating rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import duckdb

from data_contracts import INCOMING_DATASETS, incoming_contract
from data_contracts.rules import compile_rules
from warehouse.db import execute, query, run_sql, split_statements, sql_text


@dataclass
class StageSummary:
    dataset: str
    files: int = 0
    rows_staged: int = 0
    rows_passing: int = 0
    rows_failed: int = 0
    held_files: dict[str, str] = field(default_factory=dict)
    by_rule: list[dict] = field(default_factory=list)


def _table(dataset: str) -> str:
    if dataset not in INCOMING_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}")
    return dataset


def ensure_validated_table(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    cols = ", ".join(f"{n} {t}" for n, t in incoming_contract(dataset).typed_columns())
    con.execute(f"CREATE TABLE IF NOT EXISTS {_table(dataset)} ({cols})")
    run_sql(con, "validate/batch_validations")


def _template(name: str, **parts: str) -> list[str]:
    text = sql_text(name)
    for key, value in parts.items():
        text = text.replace("{" + key + "}", value)
    return split_statements(text)


def stage(con: duckdb.DuckDBPyConnection, dataset: str, run_id: str, run_date: date) -> StageSummary:
    contract = incoming_contract(dataset)
    compiled = compile_rules(contract)
    ensure_validated_table(con, dataset)
    table = _table(dataset)
    params = {
        **compiled.params,
        "dataset": dataset,
        "run_id": run_id,
        "run_date": run_date,
        "threshold": contract.quarantine_threshold,
        "threshold_min_rows": contract.quarantine_threshold_min_rows,
        "threshold_rule": f"{dataset}.file.quarantine_threshold_exceeded",
    }
    con.execute("BEGIN TRANSACTION")
    try:
        run_sql(con, "validate/batch_files", params)
        for statement in _template(
            "validate/stage",
            table=table,
            typed_select=compiled.typed_select,
            columns=", ".join(f"CAST(typed.{n} AS {t}) AS {n}" for n, t in contract.typed_columns()),
            failed_rules=compiled.failed_rules_sql,
            delivery_failed=compiled.delivery_failed_sql,
        ):
            execute(con, statement, params)
        for statement in _template("validate/quarantine_rules", table=table, record=compiled.record_select):
            execute(con, statement, params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    summary = StageSummary(dataset)
    row = con.execute(
        "SELECT count(*), coalesce(sum(staged), 0), coalesce(sum(passing) FILTER (WHERE NOT held), 0),"
        " coalesce(sum(staged - passing), 0) FROM _file_verdicts"
    ).fetchone()
    summary.rows_staged, summary.rows_passing, summary.rows_failed = row[1:]
    summary.files = row[0]
    for path, reason in con.execute(
        "SELECT path, reason FROM ingest_files WHERE dataset = $d AND status = 'held' "
        "AND file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $d)",
        {"d": dataset},
    ).fetchall():
        summary.held_files[path] = reason
    summary.by_rule = query(con, "validate/quarantine_summary", {"dataset": dataset})
    return summary


def batch_relation(dataset: str) -> str:
    """The SQL (a view definition) of the batch that the gate judges: passing staged rows."""
    cols = ", ".join(n for n, _ in incoming_contract(dataset).typed_columns())
    return f"SELECT {cols} FROM staged_{_table(dataset)} WHERE {_in_batch(dataset)}"


def _in_batch(dataset: str) -> str:
    """The condition a staged row meets when it belongs to the batch: it failed no rule and
    its file is still in the batch and not held. Once the gate has held the batch (and
    emptied `batch_files`), nothing of it can be promoted, even by a later run that promotes
    alone. The dataset name is checked against the known datasets before it is written into SQL.
    """
    table = _table(dataset)
    return (
        f"len(failed_rules) = 0 AND _file_seq IN ("
        f"SELECT b.file_seq FROM batch_files AS b JOIN ingest_files AS f ON f.file_seq = b.file_seq "
        f"WHERE b.dataset = '{table}' AND f.status = 'ingested')"
    )


def hold_batch(con: duckdb.DuckDBPyConnection, dataset: str, failed_rules: list[str], reason: str) -> None:
    compiled = compile_rules(incoming_contract(dataset))
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in _template(
            "validate/hold_batch",
            table=_table(dataset),
            batch=batch_relation(dataset),
            record=compiled.record_select,
        ):
            execute(con, statement, {"dataset": dataset, "failed_rules": failed_rules, "reason": reason})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def record_batch_validation(
    con,
    dataset: str,
    run_id: str,
    as_of: date,
    success: bool,
    rows: int,
    files: list[str],
    held: list[str],
    failed_rules: list[str],
    results: list[dict],
    docs_path: str | None,
) -> None:
    con.execute(
        "INSERT INTO batch_validations "
        "VALUES ($d, $r, $a, now()::TIMESTAMP, $s, $n, $f, $h, $fr, $res, $doc)",
        {
            "d": dataset,
            "r": run_id,
            "a": as_of,
            "s": success,
            "n": rows,
            "f": files,
            "h": held,
            "fr": failed_rules,
            "res": json.dumps(results, ensure_ascii=False, default=str),
            "doc": docs_path,
        },
    )


def promote(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    """Move the batch's passing rows into the validated table; return how many.

    Into an empty table (a first load, a full refresh) the staged table itself becomes the
    validated table, less its failing rows: its columns are the validated table's, cast to
    the contract's types in stage.sql, so this is the same result without writing every row
    a second time.
    """
    table = _table(dataset)
    con.execute("BEGIN TRANSACTION")
    try:
        empty = con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM {table} LIMIT 1)").fetchone()[0]
        if empty:
            for statement in _template("validate/promote_whole", table=table, in_batch=_in_batch(dataset)):
                execute(con, statement, {})
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        else:
            con.execute(
                f"DELETE FROM {table} WHERE _file_seq IN (SELECT file_seq FROM batch_files WHERE dataset = $d)",
                {"d": dataset},
            )
            n = con.execute(f"INSERT INTO {table} BY NAME {batch_relation(dataset)}").fetchone()[0]
            con.execute(f"DROP TABLE IF EXISTS staged_{table}")
        run_sql(con, "validate/mark_validated", {"dataset": dataset})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return n
