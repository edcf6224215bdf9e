"""Run the credit job for one partition in-process and explain the outcome in one line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs


@dataclass
class RunOutcome:
    success: bool
    reason: str
    summary: str
    run_id: str
    published: bool = False  # a release went out even though a later step (reconciliation) failed


def _instance() -> dg.DagsterInstance:
    """The persistent instance when DAGSTER_HOME is set (runs then show in the UI), else ephemeral."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_partition(as_of: date, instance: dg.DagsterInstance | None = None) -> RunOutcome:
    job = defs.resolve_job_def("credit_job")
    with instance or _instance() as inst:
        result = job.execute_in_process(partition_key=as_of.isoformat(), instance=inst, raise_on_error=False)
    if not result.success:
        published = _materialized(result, "release_published")
        return RunOutcome(False, _failure_reason(result), "", result.run_id, published)
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed_checks:
        return RunOutcome(
            False, "; ".join(e.description or str(e.check_name) for e in failed_checks), "", result.run_id
        )
    if not _materialized(result, "release_published"):
        return RunOutcome(
            False, "the release was not published (a blocking check failed upstream)", "", result.run_id
        )
    return RunOutcome(True, "", _summary(result, as_of), result.run_id)


def _materialized(result: dg.ExecuteInProcessResult, key: str) -> bool:
    return any(e.asset_key == dg.AssetKey(key) for e in result.get_asset_materialization_events())


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:
        return "; ".join(e.description or str(e.check_name) for e in failed)
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            cause = error.cause or error
            while cause.cause is not None:
                cause = cause.cause
            lines = [line for line in cause.message.strip().splitlines() if line.strip()]
            return f"step {event.step_key} failed: {lines[0] if lines else cause.cls_name}"
    return "the run failed; open it in the Dagster UI for details"


def _summary(result: dg.ExecuteInProcessResult, as_of: date) -> str:
    publish = Path(os.environ.get("CREDIT_PUBLISH_DIR", "data/publish"))
    latest = json.loads((publish / "latest.json").read_text(encoding="utf-8"))
    release_dir = publish / latest["release"]
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    lines = [
        f"credit-lists: run {result.run_id} for as-of {as_of} succeeded",
        f"  release:   {release_dir.resolve()}",
        f"  policy:    {manifest.get('policy_version')}",
    ]
    for name, f in sorted(manifest["files"].items()):
        lines.append(f"  {name:<24} {f['rows']:>9,} rows  {f['bytes']:>11,} bytes")
    lines.append(
        f"  warehouse: {Path(os.environ.get('CREDIT_WAREHOUSE', 'data/warehouse.duckdb')).resolve()}"
    )
    return "\n".join(lines)
