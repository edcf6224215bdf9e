"""`dagster dev` as a data engineer uses it: start, materialize a partition through the webserver,
find the release published, stop the server by its PID with nothing left running.

The stop and the check that no process is left behind happen when the session's server
fixture is torn down (conftest_dagster.py), after every test that uses the server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from warehouse import release

if TYPE_CHECKING:
    from conftest_dagster import DagsterDev, FinishedRun

pytest_plugins = ["conftest_dagster"]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dagster_dev")]

CHECKS = """
query Checks($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 5) {
    runId status evaluation { success description }
  }
}
"""

RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status tags { key value } } }
}
"""


def test_a_partition_materialized_through_the_ui_publishes_a_release(
    dagster_dev: DagsterDev, finished_run: FinishedRun
):
    assert finished_run.status == "SUCCESS", "\n".join(finished_run.errors) or dagster_dev.log_tail()

    latest = json.loads((dagster_dev.publish / "latest.json").read_text(encoding="utf-8"))
    assert latest["as_of"] == finished_run.partition
    assert latest["run_id"] == finished_run.run_id
    release_dir = dagster_dev.publish / latest["release"]
    assert release_dir.is_dir()
    assert release.verify_release(release_dir) == []
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == finished_run.partition and manifest["run_id"] == finished_run.run_id
    assert set(manifest["files"]) == {f"{name}.parquet" for name in release.RELEASE_FILES}
    assert manifest["files"]["permits.parquet"]["rows"] > 0

    report = dagster_dev.reports / "releases" / f"{latest['release_id']}.html"
    assert report.is_file()
    page = report.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page
    # the sample carries seeded defects: the report lists the rules that quarantined rows
    assert "本期无隔离行" not in page and "permits.party_uscc" in page
    assert not (dagster_dev.publish / "releases" / latest["release_id"] / report.name).exists()


def test_the_run_went_through_the_queue_with_its_partition_and_warehouse_tag(
    dagster_dev: DagsterDev, finished_run: FinishedRun
):
    run = dagster_dev.graphql(RUN, {"runId": finished_run.run_id})["runOrError"]
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/partition"] == finished_run.partition
    assert tags["credit-lists/warehouse"] == "duckdb"


@pytest.mark.parametrize(
    ("asset", "check"),
    [
        ("staged_permits", "permits_batch_gate"),
        ("staged_penalties", "penalties_batch_gate"),
        ("release_candidate", "release_gate"),
    ],
)
def test_blocking_checks_passed_in_that_run(
    dagster_dev: DagsterDev, finished_run: FinishedRun, asset: str, check: str
):
    executions = dagster_dev.graphql(CHECKS, {"key": {"path": [asset]}, "check": check})[
        "assetCheckExecutions"
    ]
    ours = [e for e in executions if e["runId"] == finished_run.run_id]
    # The checks are not partitioned, so Dagster also records the planned per-partition execution,
    # which it resolves as SKIPPED with no evaluation; the evaluation itself is the one that counts.
    evaluated = [e for e in ours if e["evaluation"] is not None]
    assert len(evaluated) == 1, executions
    assert evaluated[0]["status"] == "SUCCEEDED"
    assert evaluated[0]["evaluation"]["success"] is True
    assert not [e for e in ours if e["status"] in {"FAILED", "EXECUTION_FAILED"}]
