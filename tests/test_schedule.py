"""The nightly schedule: 02:30 in Asia/Shanghai, for the day that has just ended there."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.partitions import as_of_partitions
from pipelines.definitions import credit_job, defs
from pipelines.schedules import NIGHTLY_CRON, nightly_credit_lists, previous_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_cron_timezone_job_and_status():
    schedule = defs.resolve_schedule_def("nightly_credit_lists")
    assert schedule.cron_schedule == NIGHTLY_CRON == "30 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == credit_job.name == "credit_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def _request(scheduled: datetime) -> dg.RunRequest:
    context = dg.build_schedule_context(scheduled_execution_time=scheduled)
    result = nightly_credit_lists(context)
    assert isinstance(result, dg.RunRequest)
    return result


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        # 02:30 in Shanghai on the 26th is 18:30 UTC on the 25th: the run evaluates the 25th
        (datetime(2026, 11, 25, 18, 30, tzinfo=UTC), "2026-11-25"),
        (datetime(2026, 11, 26, 2, 30, tzinfo=SHANGHAI), "2026-11-25"),
        # New Year and a leap day, read in the city's zone
        (datetime(2027, 1, 1, 2, 30, tzinfo=SHANGHAI), "2026-12-31"),
        (datetime(2028, 3, 1, 2, 30, tzinfo=SHANGHAI), "2028-02-29"),
    ],
)
def test_requests_the_previous_day_in_the_city(scheduled: datetime, expected: str):
    request = _request(scheduled)
    assert request.partition_key == expected
    assert request.tags["credit-lists/trigger"] == "nightly_credit_lists"
    # the key is a real partition at that moment, and not the last one (today's, end_offset=1)
    keys = as_of_partitions.get_partition_keys(current_time=scheduled)
    assert expected in keys
    assert keys[-1] != expected


def test_the_request_is_valid_for_the_job():
    """Through Dagster's own tick evaluation, as the daemon does it."""
    schedule = defs.resolve_schedule_def("nightly_credit_lists")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 11, 26, 2, 30, tzinfo=SHANGHAI),
            repository_def=defs.get_repository_def(),
        )
        data = schedule.evaluate_tick(context)
    assert [r.partition_key for r in data.run_requests] == ["2026-11-25"]


def test_a_scheduled_time_without_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        previous_day(datetime(2026, 11, 26, 2, 30))


@given(st.datetimes(min_value=datetime(2021, 1, 2), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_the_evaluated_day_ends_at_the_last_shanghai_midnight(moment: datetime):
    day = previous_day(moment)
    day_ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    assert day_ends <= moment < day_ends + timedelta(days=1)
