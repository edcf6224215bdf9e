"""Credit group: scores, tiers, reason codes and the red/black lists as of the partition date."""

import dagster as dg

from assets.partitions import as_of, as_of_partitions
from assets.report import (
    MissingCJKFont,
    changes_markdown,
    chart_markdown,
    list_changes,
    tier_mix,
    tier_mix_markdown,
    tier_mix_png,
)
from assets.resources import WarehouseResource
from data_contracts import INCOMING_DATASETS
from warehouse.credit import compute_credit
from warehouse.policy import load_policy

CREDIT_TABLES = {
    "merchants": "商户维表：规范化统一社会信用代码、名称、行政区划、行业、主体类型。Merchant dimension keyed by normalised USCC.",
    "penalties_resolved": "处罚解析：最新送达为准、撤销、严重程度、公示期与信用修复。Penalties after corrections, revocations, severity, disclosure windows and repairs.",
    "permits_resolved": "许可解析：最新送达为准，T 日是否有效。Permits after corrections, with validity at T.",
    "commitments_resolved": "信用承诺解析：最新送达为准，认定日期。Commitments after corrections, with the effective judgement date.",
    "complaints_linked": "投诉关联：最长投诉统计期内的投诉按信用代码或唯一名称关联商户，受理与未解决状态。Complaints within the policy's longest complaint window, linked to merchants, accepted/unresolved flags.",
    "merchant_credit": "商户信用：分数、等级（A/B/C/D）、原因代码、政策版本。Score, tier, reason codes and policy version per merchant.",
    "black_list": "失信黑名单：触发条件、列入日期、预计移出日期、依据文书。Black list with triggers, dates and basis documents.",
    "red_list": "诚信红名单：列入日期、有效期至、理由。Red list with listing dates and reasons.",
    "list_history": "名单变动：两次评估之间的列入与移出及原因。Entries and exits of both lists between evaluations.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            group_name="credit",
            deps=list(INCOMING_DATASETS),
            description=desc,
            kinds={"duckdb", "sql"},
            owners=["team:credit-supervision"],
            partitions_def=as_of_partitions,
        )
        for name, desc in CREDIT_TABLES.items()
    ],
    partitions_def=as_of_partitions,
    can_subset=False,
    name="credit_tables",
)
def credit_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """All credit tables for T in one transaction of SQL models, so they always agree."""
    policy = load_policy()
    with warehouse.connect() as con:
        summary = compute_credit(con, as_of(context), policy)
        _say_what_the_backfill_changed(context, summary)
        tiers = con.execute(
            "SELECT tier, count(*) FROM merchant_credit WHERE as_of = $t GROUP BY tier ORDER BY tier",
            {"t": as_of(context)},
        ).fetchall()
        counts = {
            name: con.execute(
                f"SELECT count(*) FROM {name} WHERE as_of = $t", {"t": as_of(context)}
            ).fetchone()[0]
            for name in CREDIT_TABLES
        }
        mix = tier_mix(con, as_of(context))
        changes = list_changes(con, as_of(context))
    try:
        chart = chart_markdown(tier_mix_png(mix, as_of(context)), f"tier mix {as_of(context)}")
    except MissingCJKFont as exc:  # a missing font must not stop the credit stage; the report says so
        context.log.warning(str(exc))
        chart = str(exc)
    for name in CREDIT_TABLES:
        metadata: dict[str, dg.RawMetadataValue] = {
            "rows": counts[name],
            "as_of": str(as_of(context)),
            "policy_version": policy.version,
        }
        if name == "merchant_credit":
            metadata["tiers"] = dg.MetadataValue.json({t: n for t, n in tiers})
            metadata["summary"] = dg.MetadataValue.json({k: _json_safe(v) for k, v in summary.items()})
            metadata["tier_by_district"] = dg.MetadataValue.md(tier_mix_markdown(mix, "district"))
            metadata["tier_by_sector"] = dg.MetadataValue.md(tier_mix_markdown(mix, "sector", limit=30))
            metadata["tier_mix_chart"] = dg.MetadataValue.md(chart)
        if name == "list_history":
            metadata["entries_exits"] = dg.MetadataValue.json(changes.counts)
            metadata["changes"] = dg.MetadataValue.md(changes_markdown(changes))
        yield dg.MaterializeResult(asset_key=name, metadata=metadata)


def _say_what_the_backfill_changed(context: dg.AssetExecutionContext, summary: dict) -> None:
    """A backfill before later evaluated dates re-derives their list chain (warehouse/credit.py);
    the releases already published for them stay as they are (releases are immutable)."""
    dates = ", ".join(str(d) for d in summary["later_rechained"])
    if dates:
        context.log.info(
            f"credit for {as_of(context)}: the red lists' listed_since and the list history of the later "
            f"evaluations {dates} were derived again after this one; releases already published for "
            "those dates are unchanged: materialize their publish group again to publish the corrected lists"
        )
    stale = ", ".join(str(d) for d in summary["later_not_rechained"])
    if stale:
        context.log.warning(
            f"credit for {as_of(context)}: the later evaluations {stale} were made under another policy "
            "version, so their red lists' listed_since and list history still follow the evaluation "
            "before this one: run the credit group for those dates again"
        )


def _json_safe(value: object) -> object:
    """Dates and decimals of the summary row as text, lists of them as lists: metadata must be
    plain JSON."""
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
