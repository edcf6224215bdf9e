"""The nightly refresh: at 02:30 in the city, evaluate the day that has just ended.

The partitions end one day ahead (`end_offset=1`), so "the last partition" at 02:30 is today's,
not yesterday's: a schedule built from the partitioned job would evaluate a day that has only
begun. The key is therefore computed from the scheduled time itself, in the city's time zone,
whatever zone the daemon's machine runs in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from assets.partitions import TIMEZONE

NIGHTLY_CRON = "30 2 * * *"
NIGHTLY_JOB = "credit_job"
TRIGGER_TAG = "credit-lists/trigger"


def previous_day(scheduled: datetime) -> date:
    """The evaluation date a run scheduled at `scheduled` covers: the day before, in the city."""
    if scheduled.tzinfo is None:
        raise ValueError(f"scheduled time {scheduled} has no time zone; the evaluation date would be a guess")
    return scheduled.astimezone(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)


@dg.schedule(
    name="nightly_credit_lists",
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE,
    job_name=NIGHTLY_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "每晚 02:30（北京时间）对前一日进行评估：入库、校验、信用等级与红黑名单、发布。\n\n"
        "Nightly at 02:30 Asia/Shanghai: runs `credit_job` for the previous day's partition "
        "(the evaluation date T that has just ended). Runs only while `dagster-daemon` is up."
    ),
)
def nightly_credit_lists(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    key = previous_day(context.scheduled_execution_time).isoformat()
    return dg.RunRequest(partition_key=key, tags={TRIGGER_TAG: "nightly_credit_lists"})
