"""Validate group: contract row rules and quarantine, a blocking batch gate, then promotion.

`staged_<dataset>` judges every pending row; the blocking check `<dataset>_batch_gate`
runs the contract's Great Expectations suite on the batch and fails when a file went over
its quarantine threshold or an ERROR expectation failed (the batch is then held and
quarantined with the rule ids, so nothing of it is ever scored or published); only then
does `<dataset>` take the batch's passing rows.
"""

import dagster as dg

from assets.ingest import DESCRIPTIONS
from assets.partitions import as_of, as_of_partitions, today_in_city
from assets.resources import LocationsResource, WarehouseResource
from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import validate
from warehouse.ge_duckdb import validate_batch


def _md_table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "nothing quarantined"
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "\n".join("| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows)


def _staged_asset(dataset: str) -> dg.AssetsDefinition:
    contract = incoming_contract(dataset)

    @dg.asset(
        name=f"staged_{dataset}",
        group_name="validate",
        deps=[f"raw_{dataset}"],
        partitions_def=as_of_partitions,
        kinds={"duckdb"},
        owners=["team:data-engineering"],
        tags={"dataset": dataset},
        description=(
            f"{DESCRIPTIONS[dataset]}校验：按数据契约逐行检查（统一社会信用代码校验位、必填、代码表、日期顺序等），"
            f"不合格行连同失败规则编号进入隔离区。\n\nStaged {dataset}: every pending raw row typed and judged "
            f"by the row rules of contract `{contract.id}` v{contract.version}; failing rows go to "
            f"`quarantine_rows` with every failed rule id, and a file whose quarantine rate exceeds "
            f"{contract.quarantine_threshold:.0%} is held whole."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            summary = validate.stage(con, dataset, context.run_id, max(today_in_city(), as_of(context)))
        for path, reason in summary.held_files.items():
            context.log.error(f"{dataset}: file {path} held: {reason}")
        rate = summary.rows_failed / summary.rows_staged if summary.rows_staged else 0.0
        return dg.MaterializeResult(
            metadata={
                "files_in_batch": summary.files,
                "rows_staged": summary.rows_staged,
                "rows_passing": summary.rows_passing,
                "rows_quarantined": summary.rows_failed,
                "quarantine_rate": dg.MetadataValue.float(round(rate, 4)),
                "held_files": dg.MetadataValue.json(summary.held_files),
                "quarantine_by_file_and_rule": dg.MetadataValue.md(
                    _md_table(summary.by_rule, ["path", "rule", "rows", "example_row"])
                ),
            }
        )

    return _asset


def _gate_check(dataset: str) -> dg.AssetChecksDefinition:
    contract = incoming_contract(dataset)

    @dg.asset_check(
        asset=f"staged_{dataset}",
        name=f"{dataset}_batch_gate",
        blocking=True,
        description=(
            f"批次闸门：数据契约 `{contract.id}` 的 Great Expectations 批次期望（ERROR 级）与隔离率阈值；"
            f"不通过则该批次整体隔离，下游不更新、不发布。\n\nBlocking gate: the batch-level expectations of "
            f"`{contract.id}` (run through Great Expectations on the DuckDB batch) and the per-file "
            f"quarantine threshold. On failure the batch is held and quarantined with the failed rule "
            f"ids, and nothing downstream materializes in this run."
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
    ) -> dg.AssetCheckResult:
        run_as_of = as_of(context)
        with warehouse.connect() as con:
            files = [
                r[0]
                for r in con.execute(
                    "SELECT f.path FROM batch_files AS b JOIN ingest_files AS f USING (file_seq) "
                    "WHERE b.dataset = $d ORDER BY f.path",
                    {"d": dataset},
                ).fetchall()
            ]
            held = dict(
                con.execute(
                    "SELECT f.path, f.reason FROM batch_files AS b JOIN ingest_files AS f USING (file_seq) "
                    "WHERE b.dataset = $d AND f.status = 'held' ORDER BY f.path",
                    {"d": dataset},
                ).fetchall()
            )
            con.execute(f"CREATE OR REPLACE VIEW batch_{dataset} AS {validate.batch_relation(dataset)}")
            rows = con.execute(f"SELECT count(*) FROM batch_{dataset}").fetchone()[0]
            result = None
            if files and rows:
                result = validate_batch(
                    con,
                    f"batch_{dataset}",
                    contract,
                    locations.reports / "data_docs",
                    f"{dataset}-{run_as_of}",
                )
            ge_failed = list(result.blocking_rule_ids) if result and not result.success else []
            passed = not held and not ge_failed
            message = _message(dataset, files, held, ge_failed)
            if ge_failed:
                validate.hold_batch(con, dataset, ge_failed, message)
            validate.record_batch_validation(
                con,
                dataset,
                context.run.run_id,
                run_as_of,
                passed,
                rows,
                files,
                list(held),
                ge_failed,
                result.results if result else [],
                str(result.docs_path) if result and result.docs_path else None,
            )
        metadata: dict[str, dg.RawMetadataValue] = {
            "files_in_batch": len(files),
            "rows_in_batch": rows,
            "held_files": dg.MetadataValue.json(held),
            "failed_expectations": dg.MetadataValue.json(ge_failed),
        }
        if result:
            metadata["expectations"] = dg.MetadataValue.md(
                _md_table(
                    result.results, ["rule_id", "expectation_type", "success", "severity", "observed_value"]
                )
            )
            metadata["ge_seconds"] = round(result.seconds, 2)
            if result.docs_path:
                metadata["data_docs"] = dg.MetadataValue.url(result.docs_path.resolve().as_uri())
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=message,
            metadata=metadata,
        )

    return _check


def _message(dataset: str, files: list[str], held: dict[str, str], ge_failed: list[str]) -> str:
    if not files:
        return f"{dataset}: no new files in this run"
    parts = [f"{dataset}: file {path}: {reason}" for path, reason in held.items()]
    if ge_failed:
        parts.append(
            f"{dataset}: batch of {len(files)} file(s) ({', '.join(files[:3])}{'…' if len(files) > 3 else ''}) "
            f"failed rule(s) {', '.join(ge_failed)}; the batch is held in quarantine. Fix the source files and deliver them again"
        )
    return "; ".join(parts) if parts else f"{dataset}: {len(files)} file(s) passed the contract gate"


def _validated_asset(dataset: str) -> dg.AssetsDefinition:
    contract = incoming_contract(dataset)

    @dg.asset(
        name=dataset,
        group_name="validate",
        deps=[f"staged_{dataset}"],
        partitions_def=as_of_partitions,
        kinds={"duckdb"},
        owners=["team:data-engineering"],
        tags={"dataset": dataset},
        description=(
            f"{DESCRIPTIONS[dataset]}（已校验）：通过契约与批次闸门的记录，类型化，证件号码仅存密钥哈希。\n\n"
            f"Validated {dataset}: the rows that passed contract `{contract.id}` v{contract.version} and the "
            f"batch gate, typed (dates, decimals, lists); identity and phone numbers only as keyed hashes."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            promoted = validate.promote(con, dataset)
            total = con.execute(f"SELECT count(*) FROM {dataset}").fetchone()[0]
        return dg.MaterializeResult(metadata={"rows_promoted": promoted, "rows_total": total})

    return _asset


validate_assets = [a for ds in INCOMING_DATASETS for a in (_staged_asset(ds), _validated_asset(ds))]
gate_checks = [_gate_check(ds) for ds in INCOMING_DATASETS]
