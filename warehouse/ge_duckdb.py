"""Run a contract's Great Expectations suite on a batch that is a table in the DuckDB warehouse.

The warehouse file is held open (and locked) by this process, so GE must reach it through the
connection we already have: a SQLAlchemy engine whose `creator` hands GE a cursor of that
connection. A cursor is a second connection to the same in-process database, so it sees every
committed table and view (not TEMP objects, not an open transaction of the caller).

Engine choice, measured on a 5,000,000-row penalties batch with its 19-expectation suite, on
this project's 2-core machine (counts identical between the engines): GE's SQL datasource on
DuckDB validated in 2.4-2.8 s at 1.7 GiB peak RSS; GE on pandas, converting only the 16 columns
the suite reads, took 48-59 s (about half of it the conversion) at 15.5 GiB. So `sql` is the
default, and `pandas` stays as the reference the workaround is tested against.

The workaround (GE issues 10738 and 11579), which this module owns and its tests pin: GE reads
a query's rows after leaving `with engine.connect()`, and leaving it makes SQLAlchemy roll the
DBAPI connection back; DuckDB's rollback discards the pending result, so every metric failed
with `IndexError: list index out of range`. GE only reads, so the connection we hand it runs in
DuckDB's autocommit mode: `begin`, `commit` and `rollback` are no-ops, and results survive.
Nothing in GE or duckdb_engine is patched. Regex expectations (unsupported for the duckdb
dialect in GE) are not used: patterns are row rules, checked in SQL before the batch exists.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import duckdb

from data_contracts.contract import Contract
from data_contracts.ge_suites import (
    ExpectationSpec,
    build_suite,
    expectation_specs,
    import_great_expectations,
)
from warehouse import db
from warehouse.db import table_exists

Engine = Literal["sql", "pandas"]
DEFAULT_ENGINE: Engine = "sql"

# The versions the autocommit workaround was verified with; tests/test_ge_duckdb.py fails
# when the installed ones differ, so an upgrade re-runs the workaround's tests first.
VERIFIED_VERSIONS = {"great_expectations": "1.24.1", "duckdb_engine": "0.17.0", "sqlalchemy": "2.1.9"}

DOCS_SITE = "warehouse_batches"
# SUMMARY: counts plus up to 10 example values per failed expectation, shown in Data Docs.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class BatchValidation:
    """The outcome of one batch gate, ready to become Dagster asset-check metadata."""

    success: bool  # False when an expectation of severity `error` failed (or could not run)
    failed_rule_ids: list[str]  # every failed rule, errors and warnings, in suite order
    results: list[dict[str, Any]]  # one JSON-safe dict per expectation
    docs_path: Path | None  # the Data Docs page of this validation
    seconds: float  # the validation and its Data Docs, not the one-off GE import
    suite_name: str = ""
    engine: str = DEFAULT_ENGINE
    row_count: int | None = None
    blocking_rule_ids: list[str] = field(default_factory=list)  # failed rules of severity error

    def summary(self) -> str:
        """One line naming the rules, for logs and the CLI's failure reason."""
        if self.success and not self.failed_rule_ids:
            return f"{self.suite_name}: all {len(self.results)} expectations passed"
        warned = [r for r in self.failed_rule_ids if r not in self.blocking_rule_ids]
        parts = []
        if self.blocking_rule_ids:
            parts.append("failed " + ", ".join(self.blocking_rule_ids))
        if warned:
            parts.append("warned " + ", ".join(warned))
        return f"{self.suite_name}: " + "; ".join(parts)


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    contract: Contract,
    docs_dir: Path | None,
    batch_label: str,
    *,
    engine: Engine = DEFAULT_ENGINE,
) -> BatchValidation:
    """Validate `table` (a committed table or view) against the contract's GE suite.

    Builds Data Docs for this validation under `docs_dir` (skipped when None) and returns the
    page's path. An empty batch is validated like any other: its rowCount rule fails.
    """
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"batch table {table!r} must be a plain table or view name")
    gx = import_great_expectations()
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    specs = expectation_specs(contract)
    context = _ephemeral_context(gx, docs_dir)
    suite = context.suites.add(build_suite(contract, specs))
    run_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", batch_label) or "batch"

    with _batch(context, con, table, specs, engine) as (batch_definition, batch_parameters):
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{contract.dataset}-batch", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{contract.dataset}-gate",
                validation_definitions=[definition],
                result_format=RESULT_FORMAT,
            )
        )
        outcome = checkpoint.run(batch_parameters=batch_parameters, run_id=RunIdentifier(run_name=run_name))

    ((identifier, suite_result),) = outcome.run_results.items()
    results = [_result_row(r.to_json_dict()) for r in suite_result.results]
    failed = [r["rule_id"] for r in results if not r["success"]]
    blocking = [r["rule_id"] for r in results if not r["success"] and r["severity"] == "error"]
    row_count = next(
        (
            r["observed_value"]
            for r in results
            if r["expectation_type"] == "expect_table_row_count_to_be_between"
        ),
        None,
    )
    docs_path = _build_docs(context, identifier, suite_result, suite.name) if docs_dir else None
    return BatchValidation(
        success=not blocking,
        failed_rule_ids=failed,
        results=results,
        docs_path=docs_path,
        seconds=time.perf_counter() - started,
        suite_name=suite.name,
        engine=engine,
        row_count=row_count if isinstance(row_count, int) else None,
        blocking_rule_ids=blocking,
    )


def _ephemeral_context(gx: Any, docs_dir: Path | None) -> Any:
    """A fresh in-memory context per validation (3 ms): no project folder, no state between runs."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    if docs_dir:
        Path(docs_dir).mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _build_docs(context: Any, identifier: Any, suite_result: Any, suite_name: str) -> Path:
    """Render this validation's page (and the suite's), leaving every other page in place.

    GE's index builder deletes pages whose results are not in the context's stores; an
    ephemeral context holds only this run, so building the index would erase the pages of
    earlier batches in the same folder. The index is therefore not built.

    GE writes the example bad values into the page unescaped, and they come from files other
    departments deliver: `<script>` in a category column would run in the browser of whoever
    opens the page. The stored result is escaped first (the returned results keep the values).
    """
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    for r in suite_result.results:
        for key in _VALUE_KEYS & set(r.result or {}):
            r.result[key] = _escaped(r.result[key])
    context.validation_results_store.set(identifier, suite_result)

    context.build_data_docs(
        site_names=[DOCS_SITE],
        resource_identifiers=[identifier, ExpectationSuiteIdentifier(name=suite_name)],
        build_index=False,
    )
    (site,) = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
    return Path(unquote(urlparse(site["site_url"]).path))


@contextmanager
def _batch(
    context: Any,
    con: duckdb.DuckDBPyConnection,
    table: str,
    specs: list[ExpectationSpec],
    engine: Engine,
) -> Iterator[tuple[Any, dict[str, Any] | None]]:
    """The GE batch definition (and batch parameters) for the table, on the chosen engine.

    Both engines read through cursors of `con`, never `con` itself: the caller's connection
    may hold an unfinished result, and DuckDB 2.0 refuses other work on it until it is done.
    """
    if engine not in ("sql", "pandas"):
        raise ValueError(f"unknown GE engine {engine!r}: use 'sql' or 'pandas'")
    _require_visible(con, table)
    if engine == "pandas":
        columns = list(dict.fromkeys(c for s in specs for c in s.columns))
        cursor = db.cursor(con)
        try:
            relation = cursor.table(table)
            if columns:
                relation = relation.select(*[duckdb.ColumnExpression(c) for c in columns])
            frame = relation.df()
        finally:
            cursor.close()
        asset = context.data_sources.add_pandas(name="warehouse").add_dataframe_asset(name=table)
        yield asset.add_batch_definition_whole_dataframe("batch"), {"dataframe": frame}
        return

    import sqlalchemy as sa
    from duckdb_engine import ConnectionWrapper

    class AutocommitConnection(ConnectionWrapper):
        """A cursor of the warehouse connection, never in a transaction (see the module doc)."""

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

    opened: list[duckdb.DuckDBPyConnection] = []

    def creator() -> AutocommitConnection:
        cursor = db.cursor(con)
        opened.append(cursor)
        return AutocommitConnection(cursor)

    try:
        datasource = context.data_sources.add_sql(
            name="warehouse",
            connection_string="duckdb:///:memory:",  # never opened: `creator` supplies the connection
            kwargs={"creator": creator, "poolclass": sa.pool.StaticPool},
        )
        asset = datasource.add_table_asset(name=table, table_name=table)
        yield asset.add_batch_definition_whole_table("batch"), None
    finally:
        for cursor in opened:
            cursor.close()


def _require_visible(con: duckdb.DuckDBPyConnection, table: str) -> None:
    probe = db.cursor(con)
    try:
        visible = table_exists(probe, table)
    finally:
        probe.close()
    if not visible:
        raise ValueError(
            f"batch table {table!r} is not in the warehouse as a committed table or view "
            "(TEMP objects and tables inside an open transaction are not visible to the gate)"
        )


# The parts of a GE result that hold values taken from the batch.
_VALUE_KEYS = {"partial_unexpected_list", "partial_unexpected_counts", "unexpected_list", "details"}


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def _result_row(r: dict[str, Any]) -> dict[str, Any]:
    config = r["expectation_config"]
    meta = config.get("meta") or {}
    result = r.get("result") or {}
    kwargs = config.get("kwargs") or {}
    exception = _exception_message(r.get("exception_info") or {})
    return {
        "rule_id": meta.get("rule_id"),
        "rule_name": meta.get("rule_name"),
        "severity": meta.get("severity"),
        "expectation_type": config["type"],
        "columns": [kwargs["column"]] if "column" in kwargs else list(kwargs.get("column_list", [])),
        "success": bool(r["success"]) and exception is None,
        "observed_value": result.get("observed_value"),
        "element_count": result.get("element_count"),
        "unexpected_count": result.get("unexpected_count"),
        "unexpected_percent": result.get("unexpected_percent"),
        "partial_unexpected_counts": result.get("partial_unexpected_counts"),
        "exception": exception,
    }


def _exception_message(info: dict[str, Any]) -> str | None:
    """GE reports a failed metric either flat or keyed by metric id; an error is a failure."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception") or entry.get("exception_message"):
            return str(entry.get("exception_message") or "an exception was raised")[:500]
    return None
