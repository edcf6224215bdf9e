"""Reconciliation (publish group): after every run, the books of every stage checked against each other.

The asset reads what the warehouse and the publish folder hold and proves the project's
invariants (see `warehouse/reconcile.py`): per-file counts add up, quarantine holds exactly
the rows counted as quarantined, no raw row is ingested twice, validated tables hold rows of
validated files only, and latest.json names a complete release whose manifest hashes match.
Any disagreement fails the run loudly, naming the check, the dataset and the file; it is not
retried, since reading the same books again gives the same answer.
"""

import dagster as dg

from assets.partitions import as_of, as_of_partitions
from assets.resources import LocationsResource, WarehouseResource
from data_contracts import INCOMING_DATASETS
from warehouse.reconcile import ReconciliationFailed, books, reconcile, release_of_run


@dg.asset(
    group_name="publish",
    deps=[*INCOMING_DATASETS, "release_published"],
    partitions_def=as_of_partitions,
    kinds={"duckdb", "parquet"},
    owners=["team:data-engineering"],
    description=(
        "对账：每次运行后核对各环节账目——每个文件读取行数 = 接收行数 + 隔离行数、隔离区逐行对应、原始层无重复行、"
        "已校验表只含已校验文件的行、latest.json 指向完整且哈希一致的发布版本；不一致即失败并指明检查项、数据集与文件。\n\n"
        "Reconciliation after every run: rows_read = rows_accepted + rows_quarantined per file, quarantine "
        "rows per file equal rows_quarantined, no raw row twice, validated tables only from validated files, "
        "latest.json naming a complete release whose manifest hashes match. Fails the run naming what is broken."
    ),
)
def reconciliation(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
) -> dg.MaterializeResult:
    release_id = release_of_run(locations.publish, context.run_id)
    with warehouse.connect() as con:
        problems = reconcile(con, locations.publish, release_id)
        covered = books(con)
    if problems:
        failure = ReconciliationFailed(problems)
        for problem in problems[:100]:
            context.log.error(str(problem))
        raise dg.Failure(
            description=str(failure),
            metadata={"problems": dg.MetadataValue.json([str(p) for p in problems[:100]])},
            allow_retries=False,
        )
    return dg.MaterializeResult(
        metadata={
            "as_of": str(as_of(context)),
            "release_id": release_id or "",
            "files": sum(b["files"] for b in covered),
            "rows_read": sum(b["rows_read"] for b in covered),
            "books": dg.MetadataValue.md(
                "| dataset | status | files | rows read | accepted | quarantined |\n|---|---|---|---|---|---|\n"
                + "\n".join(
                    f"| {b['dataset']} | {b['status']} | {b['files']} | {b['rows_read']} | "
                    f"{b['rows_accepted']} | {b['rows_quarantined']} |"
                    for b in covered
                )
            ),
        }
    )
