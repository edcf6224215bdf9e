"""Ingest group: every new landing file into its dataset's raw table, with full accounting."""

import dagster as dg

from assets.partitions import as_of, as_of_partitions
from assets.resources import LocationsResource, WarehouseResource
from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse.ingest import ensure_schema, ingest_dataset

DESCRIPTIONS = {
    "permits": "行政许可",
    "penalties": "行政处罚",
    "complaints": "消费投诉",
    "commitments": "信用承诺",
    "repairs": "信用修复决定",
}


def _raw_asset(dataset: str) -> dg.AssetsDefinition:
    contract = incoming_contract(dataset)

    @dg.asset(
        name=f"raw_{dataset}",
        group_name="ingest",
        partitions_def=as_of_partitions,
        kinds={"duckdb", "csv", "xlsx"},
        owners=["team:data-engineering"],
        tags={"dataset": dataset},
        description=(
            f"{DESCRIPTIONS[dataset]}原始数据：落地目录 `{dataset}/` 下每个新文件（按 sha256 去重）逐行入库，"
            f"保留文件、行号和运行批次。\n\nRaw {dataset}: every new file under the landing folder "
            f"`{dataset}/` (CSV UTF-8/GB18030, XLSX, JSONL; deduplicated by sha256), row by row as text, "
            f"with file, row number and run lineage. Unreadable files are refused with a reason; "
            f"the others go on. Contract `{contract.id}` v{contract.version}."
        ),
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            ensure_schema(con, INCOMING_DATASETS)
            summary = ingest_dataset(con, locations.landing, dataset, context.run_id, as_of(context))
            totals = con.execute(
                "SELECT count(*), coalesce(sum(rows_read), 0) FROM ingest_files WHERE dataset = $d AND status <> 'refused'",
                {"d": dataset},
            ).fetchone()
        for path, reason in summary.refused.items():
            context.log.warning(f"{dataset}: file {path} refused: {reason}")
        for path in summary.skipped_changing:
            context.log.warning(f"{dataset}: file {path} changed while being read; it will be read next run")
        refused_md = "\n".join(f"| `{p}` | {r} |" for p, r in summary.refused.items())
        return dg.MaterializeResult(
            metadata={
                "files_ingested": summary.files_ingested,
                "rows_read": summary.rows_read,
                "rows_parse_rejected": summary.rows_parse_rejected,
                "duplicate_files": len(summary.duplicates),
                "refused_files": len(summary.refused),
                "files_known_total": totals[0],
                "rows_read_total": totals[1],
                "refused": dg.MetadataValue.md(
                    "| file | reason |\n|---|---|\n" + refused_md if refused_md else "no file refused"
                ),
                "landing_dir": dg.MetadataValue.path(str(locations.landing / dataset)),
            }
        )

    return _asset


raw_assets = [_raw_asset(ds) for ds in INCOMING_DATASETS]
