"""The single code location: every asset, check, job, schedule and sensor of credit-lists.

One job runs the whole graph in-process: the warehouse is a single DuckDB file with one
writer, so steps run one after another in one process (no per-step process spawn, no lock
contention between steps). Runs of the job carry the `credit-lists/warehouse` tag that the
instance's run queue limits to one at a time (deploy/*/dagster.yaml); runs started outside
the queue (the CLI) wait on the warehouse lock instead.

The nightly schedule is on by default (it fires only while `dagster-daemon` runs); the landing
sensor is off by default, because its first tick would start a run for every file already in
the landing tree: turn it on deliberately (see README, "Operating it in Dagster").
"""

from __future__ import annotations

import dagster as dg

from assets.credit import credit_tables
from assets.ingest import raw_assets
from assets.partitions import TIMEZONE, as_of_partitions
from assets.publish import release_candidate, release_gate, release_published
from assets.reconcile import reconciliation
from assets.report import TRANSIENT_RETRY, release_report
from assets.resources import LocationsResource, WarehouseResource
from assets.validate import gate_checks, validate_assets
from pipelines.schedules import nightly_credit_lists
from pipelines.sensors import landing_sensor

ALL_ASSETS = [
    *raw_assets,
    *validate_assets,
    credit_tables,
    release_candidate,
    release_published,
    release_report,
    reconciliation,
]
ALL_CHECKS = [*gate_checks, release_gate]
WAREHOUSE_TAG = "credit-lists/warehouse"

credit_job = dg.define_asset_job(
    "credit_job",
    selection=dg.AssetSelection.all(),
    partitions_def=as_of_partitions,
    executor_def=dg.in_process_executor,
    tags={WAREHOUSE_TAG: "duckdb"},
    # Every step touches the warehouse or the file system: transient trouble gets two more
    # attempts. Data problems are blocking checks, which fail without raising, so they are
    # never retried; steps that can tell a deterministic error raise Failure(allow_retries=False).
    op_retry_policy=TRANSIENT_RETRY,
    description="全流程：落地文件 → 校验 → 信用等级与红黑名单 → 发布 → 发布报告。The whole graph for one evaluation date.",
)


def resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(), "locations": LocationsResource()}


defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[credit_job],
    schedules=[nightly_credit_lists],
    sensors=[landing_sensor],
    resources=resources(),
    executor=dg.in_process_executor,
    metadata={
        "project": "credit-lists",
        "timezone": TIMEZONE,
        "partitions": "daily evaluation date T (Asia/Shanghai), end_offset=1",
        "operating": "README.md, section 'Operating it in Dagster'",
    },
)
