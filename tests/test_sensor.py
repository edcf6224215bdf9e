"""The landing sensor: one run per batch of new files, never two runs for the same files."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import today_in_city
from assets.resources import LocationsResource
from pipelines.definitions import defs
from pipelines.sensors import (
    MIN_INTERVAL_SECONDS,
    SETTLE_SECONDS,
    batch_run_key,
    landing_sensor,
    read_cursor,
    scan_landing,
)

HOUR_AGO = time.time() - 3600


def deliver(landing: Path, rel: str, content: str = "a,b\n1,2\n", settled: bool = True) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    if settled:
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def tick(landing: Path, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorExecutionData:
    """One evaluation as the daemon makes it, with the cursor the previous one left."""
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"locations": LocationsResource(landing_dir=str(landing))},
    )
    return landing_sensor.evaluate_tick(context)


def yesterday_keys() -> set[str]:
    """Yesterday in the city, read before and after a tick (a test may straddle midnight)."""
    return {(today_in_city() - timedelta(days=1)).isoformat()}


def test_registered_stopped_with_a_minimum_interval():
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "credit_job"
    assert sensor.minimum_interval_seconds == MIN_INTERVAL_SECONDS == 60
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_new_file_one_run_then_none_then_another(landing: Path, instance: dg.DagsterInstance):
    deliver(landing, "penalties/2026-11-25/batch-01.csv")
    expected = yesterday_keys()

    first = tick(landing, instance, None)
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.run_key and request.run_key.startswith("landing-")
    assert request.partition_key in expected | yesterday_keys()
    assert request.tags["credit-lists/trigger"] == "landing_sensor"
    assert request.tags["credit-lists/new-files"] == "1"
    assert set(read_cursor(first.cursor)) == {"penalties/2026-11-25/batch-01.csv"}

    again = tick(landing, instance, first.cursor)
    assert again.run_requests == []
    assert "no new or changed files" in again.skip_message
    assert read_cursor(again.cursor or first.cursor) == read_cursor(first.cursor)

    deliver(landing, "permits/2026-11-26/batch-01.xlsx", "not really xlsx")
    second = tick(landing, instance, first.cursor)
    assert len(second.run_requests) == 1
    assert second.run_requests[0].run_key != request.run_key
    assert second.run_requests[0].tags["credit-lists/new-files"] == "1"
    assert set(read_cursor(second.cursor)) == {
        "penalties/2026-11-25/batch-01.csv",
        "permits/2026-11-26/batch-01.xlsx",
    }


def test_same_files_give_the_same_run_key_even_without_a_cursor(landing: Path, instance: dg.DagsterInstance):
    """A lost cursor cannot start a second run: Dagster skips a run key it has launched."""
    deliver(landing, "complaints/a.csv")
    deliver(landing, "complaints/sub/b.jsonl", '{"x": 1}\n')
    one = tick(landing, instance, None).run_requests
    two = tick(landing, instance, None).run_requests
    assert len(one) == len(two) == 1
    assert one[0].run_key == two[0].run_key
    assert one[0].tags["credit-lists/new-files"] == "2"


def test_a_changed_file_is_a_new_batch(landing: Path, instance: dg.DagsterInstance):
    path = deliver(landing, "commitments/c.csv")
    first = tick(landing, instance, None)
    deliver(landing, "commitments/c.csv", "a,b\n1,2\n3,4\n")
    assert path.stat().st_size != read_cursor(first.cursor)["commitments/c.csv"][0]
    second = tick(landing, instance, first.cursor)
    assert len(second.run_requests) == 1
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_a_file_still_being_written_waits(landing: Path, instance: dg.DagsterInstance):
    deliver(landing, "repairs/r.csv", settled=False)
    waiting = tick(landing, instance, None)
    assert waiting.run_requests == []
    assert "1 file(s) still being written" in waiting.skip_message
    assert "repairs/r.csv" not in read_cursor(waiting.cursor)

    old = time.time() - SETTLE_SECONDS - 5
    os.utime(landing / "repairs/r.csv", (old, old))
    ready = tick(landing, instance, waiting.cursor)
    assert len(ready.run_requests) == 1
    assert "repairs/r.csv" in read_cursor(ready.cursor)


def test_walks_only_dataset_folders_skips_hidden_and_does_not_follow_links(landing: Path, tmp_path: Path):
    deliver(landing, "permits/2026/a.csv")
    deliver(landing, "permits/.upload-in-progress.csv")
    deliver(landing, "permits/.tmp/b.csv")
    deliver(landing, "elsewhere/c.csv")
    outside = tmp_path / "outside"
    outside.mkdir()
    deliver(outside, "secret.csv")
    (landing / "permits" / "link").symlink_to(outside, target_is_directory=True)
    (landing / "penalties").mkdir()
    (landing / "penalties" / "file-link.csv").symlink_to(outside / "secret.csv")

    found = scan_landing(landing)
    # links are listed (the run refuses them with a reason), never followed
    assert set(found) == {"permits/2026/a.csv", "permits/link", "penalties/file-link.csv"}
    assert found["permits/2026/a.csv"][0] == len("a,b\n1,2\n")


def test_missing_landing_folder_is_a_skip_with_a_reason(tmp_path: Path, instance: dg.DagsterInstance):
    result = tick(tmp_path / "nowhere", instance, None)
    assert result.run_requests == []
    assert "does not exist" in result.skip_message


def test_an_unreadable_cursor_means_everything_is_new(landing: Path, instance: dg.DagsterInstance):
    deliver(landing, "permits/a.csv")
    result = tick(landing, instance, "not json")
    assert len(result.run_requests) == 1
    assert read_cursor("not json") == {}
    assert read_cursor(json.dumps({"format": 999, "files": {}})) == {}


def test_run_key_depends_on_every_file_state():
    a = {"permits/a.csv": (10, 1)}
    assert batch_run_key(a) == batch_run_key(dict(a))
    assert batch_run_key(a) != batch_run_key({"permits/a.csv": (11, 1)})
    assert batch_run_key(a) != batch_run_key({"permits/a.csv": (10, 2)})
    assert batch_run_key(a) != batch_run_key({**a, "permits/b.csv": (10, 1)})
