"""Evaluation dates as daily partitions: a partition key is the `as_of` date T."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

TIMEZONE = "Asia/Shanghai"

as_of_partitions = dg.DailyPartitionsDefinition(start_date="2020-01-01", timezone=TIMEZONE, end_offset=1)


def as_of(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    """The run's evaluation date (asset checks read it from the run's partition tag)."""
    if isinstance(context, dg.AssetExecutionContext):
        return date.fromisoformat(context.partition_key)
    return date.fromisoformat(context.run.tags["dagster/partition"])


def today_in_city() -> date:
    """The run date as the bureau counts days (a decision dated after it is impossible)."""
    return datetime.now(ZoneInfo(TIMEZONE)).date()
