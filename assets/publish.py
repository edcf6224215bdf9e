"""Publish group: an immutable, versioned release that public sites read, or nothing at all."""

import json
from pathlib import Path

import dagster as dg

from assets.credit import CREDIT_TABLES
from assets.partitions import as_of, as_of_partitions
from assets.report import report_path
from assets.resources import LocationsResource, WarehouseResource
from warehouse import release
from warehouse.policy import load_policy


def _staging_for_run(publish_dir: Path, run_id: str) -> Path:
    for manifest in sorted((publish_dir / ".staging").glob("*/manifest.json")):
        if json.loads(manifest.read_text(encoding="utf-8")).get("run_id") == run_id:
            return manifest.parent
    raise FileNotFoundError(f"no release candidate of run {run_id} under {publish_dir / '.staging'}")


@dg.asset(
    group_name="publish",
    deps=list(CREDIT_TABLES),
    partitions_def=as_of_partitions,
    kinds={"parquet", "duckdb"},
    owners=["team:open-data"],
    description=(
        "发布候选：在临时目录中生成本期 Parquet 文件、manifest.json 与 datapackage.json，尚未对外可见。\n\n"
        "Release candidate: the release's Parquet files, manifest and Frictionless datapackage, built in a "
        "staging folder that no reader sees, with only what is disclosable on the as-of date."
    ),
)
def release_candidate(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
) -> dg.MaterializeResult:
    policy = load_policy()
    with warehouse.connect() as con:
        staging = release.build_release(
            con, locations.publish, as_of(context), context.run_id, policy.version
        )
    manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
    return dg.MaterializeResult(
        metadata={
            "staging": dg.MetadataValue.path(str(staging)),
            "files": dg.MetadataValue.json(
                {name: {"rows": f["rows"], "bytes": f["bytes"]} for name, f in manifest["files"].items()}
            ),
        }
    )


@dg.asset_check(
    asset=release_candidate,
    name="release_gate",
    blocking=True,
    description=(
        "发布闸门：输出契约（列、类型、必填、禁止列）与隐私扫描（身份证号、电话、投诉人信息）。\n\n"
        "Blocking gate before publication: every file conforms to its published contract, and a scan of "
        "every column finds no identity number, phone number or complainant data."
    ),
)
def release_gate(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, locations: LocationsResource
) -> dg.AssetCheckResult:
    staging = _staging_for_run(locations.publish, context.run.run_id)
    with warehouse.connect() as con:  # the gate looks for complainants and raw ID numbers too
        problems = release.check_release(staging, con, release.latest_release(locations.publish))
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "release candidate conforms to its contracts and carries no personal data"
            if not problems
            else f"publication blocked: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        ),
        metadata={"problems": dg.MetadataValue.json([str(p) for p in problems[:100]])},
    )


@dg.asset(
    group_name="publish",
    deps=[release_candidate],
    partitions_def=as_of_partitions,
    kinds={"parquet"},
    owners=["team:open-data"],
    description=(
        "正式发布：候选目录一次重命名进入 releases/，最后原子替换 latest.json；已发布版本永不修改。\n\n"
        "The published release: the candidate appears under `releases/<id>/` with one rename, then "
        "`latest.json` is replaced atomically. A release is never modified; old ones are pruned by retention."
    ),
)
def release_published(
    context: dg.AssetExecutionContext, locations: LocationsResource
) -> dg.MaterializeResult:
    staging = _staging_for_run(locations.publish, context.run_id)
    final = release.promote_release(staging, locations.publish)
    pruned = release.prune_releases(locations.publish, locations.keep_releases)
    latest = release.read_latest(locations.publish) or {}
    return dg.MaterializeResult(
        metadata={
            "release": dg.MetadataValue.path(str(final)),
            "latest": dg.MetadataValue.json(latest),
            "pruned": dg.MetadataValue.json(pruned),
            # written by the next step, release_report (internal, outside the publish folder)
            "release_report": dg.MetadataValue.path(
                str(report_path(locations.reports, final.name).resolve())
            ),
        }
    )
