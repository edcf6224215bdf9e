"""The single code location: every asset, check, job, schedule and sensor of credit-lists.

One job runs the whole graph in-process: the warehouse is a single DuckDB file with one
writer, so steps run one after another in one process (no per-step process spawn, no lock
contention between steps); concurrent runs queue on the warehouse lock.
"""

from __future__ import annotations

import dagster as dg

from assets.credit import credit_tables
from assets.ingest import raw_assets
from assets.partitions import as_of_partitions
from assets.publish import release_candidate, release_gate, release_published
from assets.resources import LocationsResource, WarehouseResource
from assets.validate import gate_checks, validate_assets

ALL_ASSETS = [*raw_assets, *validate_assets, credit_tables, release_candidate, release_published]
ALL_CHECKS = [*gate_checks, release_gate]

credit_job = dg.define_asset_job(
    "credit_job",
    selection=dg.AssetSelection.all(),
    partitions_def=as_of_partitions,
    executor_def=dg.in_process_executor,
    tags={"credit-lists/warehouse": "duckdb"},
    description="全流程：落地文件 → 校验 → 信用等级与红黑名单 → 发布。The whole graph for one evaluation date.",
)


def resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(), "locations": LocationsResource()}


defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[credit_job],
    resources=resources(),
    executor=dg.in_process_executor,
)
