"""Several evaluation dates against one warehouse, one after another and at the same time.

A hand-made landing tree: two restaurants with permits since 2023, and a penalty that revokes
the second one's licence on 2026-11-20. Evaluated on 2026-11-15 nobody is on the black list;
on 2026-11-25 the second restaurant is, on the strength of that decision. Every run goes
through the Dagster job the schedule, the sensor and the UI run (in-process, as the CLI does).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import make_uscc, valid_record, write_records

from assets.report import CJK_FAMILIES, cjk_font_family, report_path, tier_mix_png
from assets.resources import LocationsResource, WarehouseResource
from data_contracts import INCOMING_DATASETS, incoming_contract
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, credit_job, defs
from pipelines.run import run_partition
from warehouse import release
from warehouse.db import WarehouseBusy

BEFORE = date(2026, 11, 15)
AFTER = date(2026, 11, 25)
OLDER = date(2026, 11, 10)
KEPT = make_uscc(1)
REVOKED = make_uscc(2)
REVOCATION_DOC = "武市监罚〔2026〕2号"


@dataclass(frozen=True)
class Place:
    landing: Path
    warehouse: Path
    publish: Path
    reports: Path

    def env(self) -> dict[str, str]:
        return {
            "CREDIT_LANDING_DIR": str(self.landing),
            "CREDIT_WAREHOUSE": str(self.warehouse),
            "CREDIT_PUBLISH_DIR": str(self.publish),
            "CREDIT_REPORTS_DIR": str(self.reports),
        }


def build_landing(landing: Path) -> None:
    for ds in INCOMING_DATASETS:
        (landing / ds).mkdir(parents=True, exist_ok=True)
    permits = []
    for n in (1, 2):
        p = valid_record("permits", n)
        p.update(decision_date="2023-06-01", valid_from="2023-06-01", valid_to="2099-12-31")
        permits.append(p)
    write_records(landing / "permits" / "2026-11-01" / "batch-01.csv", "permits", permits)
    revocation = valid_record("penalties", 2)
    revocation.update(
        penalty_categories="吊销许可证件",
        penalty_content="吊销食品经营许可证",
        fine_amount_wan="0",
        decision_date="2026-11-20",
        disclosure_until="2029-11-20",
        penalty_validity="严重",
    )
    assert revocation["decision_doc_no"] == REVOCATION_DOC and revocation["party_uscc"] == REVOKED
    write_records(landing / "penalties" / "2026-11-21" / "batch-01.csv", "penalties", [revocation])


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    where = Place(
        tmp_path / "landing", tmp_path / "warehouse.duckdb", tmp_path / "publish", tmp_path / "reports"
    )
    build_landing(where.landing)
    for name, value in where.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "False")
    return where


def run(as_of: date):
    outcome = run_partition(as_of, dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.reason
    return outcome


@contextmanager
def warehouse(place: Place) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(place.warehouse), read_only=True)
    try:
        yield con
    finally:
        con.close()


def black_listed(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT uscc, basis_documents FROM black_list WHERE as_of = $t", {"t": as_of}
    ).fetchall()
    return {uscc: list(docs) for uscc, docs in rows}


def release_of(place: Place, as_of: date) -> Path:
    (rid,) = [r for r in release.release_ids(place.publish) if r.startswith(as_of.isoformat())]
    return place.publish / "releases" / rid


def published_black_list(place: Place, as_of: date) -> set[str]:
    return set(pq.read_table(release_of(place, as_of) / "black_list.parquet").column("uscc").to_pylist())


def assert_lists_as_the_data_says(place: Place) -> None:
    with warehouse(place) as con:
        assert black_listed(con, BEFORE) == {}
        assert black_listed(con, AFTER) == {REVOKED: [REVOCATION_DOC]}
        tiers = dict(
            con.execute(
                "SELECT as_of || ' ' || uscc, tier FROM merchant_credit WHERE as_of IN ($a, $b)",
                {"a": BEFORE, "b": AFTER},
            ).fetchall()
        )
        entered = con.execute(
            "SELECT uscc FROM list_history WHERE as_of = $t AND list = 'black' AND event = 'entered'",
            {"t": AFTER},
        ).fetchall()
    assert tiers == {
        f"{BEFORE} {KEPT}": "A",
        f"{BEFORE} {REVOKED}": "A",
        f"{AFTER} {KEPT}": "A",
        f"{AFTER} {REVOKED}": "D",
    }
    assert entered == [(REVOKED,)]
    assert published_black_list(place, BEFORE) == set()
    assert published_black_list(place, AFTER) == {REVOKED}
    assert release.verify_release(release_of(place, BEFORE)) == []
    assert release.verify_release(release_of(place, AFTER)) == []


def assert_no_duplicate_rows(place: Place) -> None:
    with warehouse(place) as con:
        per_path = con.execute(
            "SELECT path, count(*) FROM ingest_files WHERE status <> 'duplicate' GROUP BY path HAVING count(*) > 1"
        ).fetchall()
        per_sha = con.execute(
            "SELECT sha256, count(*) FROM ingest_files WHERE status <> 'duplicate' GROUP BY sha256 HAVING count(*) > 1"
        ).fetchall()
        counts = {
            ds: con.execute(f"SELECT count(*) FROM {ds}").fetchone()[0] for ds in ("permits", "penalties")
        }
        per_merchant = con.execute(
            "SELECT as_of, uscc, count(*) FROM merchant_credit GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        evaluations = con.execute(
            "SELECT as_of, count(*) FROM credit_evaluations GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert per_path == [] and per_sha == []
    assert counts == {"permits": 2, "penalties": 1}
    assert per_merchant == []
    assert evaluations == [(BEFORE, 1), (AFTER, 1)]


def test_two_dates_give_the_lists_the_data_says(place: Place):
    run(BEFORE)
    run(AFTER)
    assert_lists_as_the_data_says(place)
    assert_no_duplicate_rows(place)
    latest = release.read_latest(place.publish)
    assert latest["as_of"] == AFTER.isoformat()
    # the first release gate read every row; the second, run by the release_gate check, read only
    # the rows the first release did not hold (warehouse/gate_memory.py), and both were remembered
    with warehouse(place) as con:
        gates = con.execute(
            "SELECT release_id, full_scan FROM release_gate_memory ORDER BY remembered_at"
        ).fetchall()
    assert gates == [(release_of(place, BEFORE).name, True), (release_of(place, AFTER).name, False)]

    # backfilling an older date publishes its release but does not move readers back in time
    run(OLDER)
    assert release.read_latest(place.publish) == latest
    assert release_of(place, OLDER).is_dir()

    # each release has its internal report, outside the publish folder, and it says what changed
    for as_of in (BEFORE, AFTER, OLDER):
        page = report_path(place.reports, release_of(place, as_of).name)
        assert page.is_file(), page
        assert not page.resolve().is_relative_to(place.publish.resolve())
    text = report_path(place.reports, release_of(place, AFTER).name).read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in text
    assert "BL_REVOCATION" in text and REVOKED in text and "420102" in text
    assert "latest.json 未指向本版本" not in text
    first = report_path(place.reports, release_of(place, BEFORE).name).read_text(encoding="utf-8")
    assert "<td>permits</td>" in first and "<td>penalties</td>" in first  # quarantine per dataset
    older = report_path(place.reports, release_of(place, OLDER).name).read_text(encoding="utf-8")
    assert "latest.json 未指向本版本" in older


def test_concurrent_partition_runs_queue_on_the_warehouse(place: Place):
    """Two partitions run at the same time in one process (two threads, as a run worker would
    with a threaded backfill): both succeed, and nothing is read, scored or listed twice.

    Separate processes (a sensor run next to a CLI run) are tested in test_concurrency.py.
    """
    outcomes: dict[date, object] = {}

    def partition(as_of: date) -> None:
        try:
            outcomes[as_of] = run_partition(as_of, dg.DagsterInstance.ephemeral())
        except Exception as exc:  # reported below, with the other thread's outcome
            outcomes[as_of] = exc

    threads = [threading.Thread(target=partition, args=(as_of,)) for as_of in (AFTER, BEFORE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for as_of in (AFTER, BEFORE):
        outcome = outcomes.get(as_of)
        assert getattr(outcome, "success", False), f"{as_of}: {getattr(outcome, 'reason', outcome)}"
    assert_no_duplicate_rows(place)
    with warehouse(place) as con:
        assert black_listed(con, BEFORE) == {}
        assert black_listed(con, AFTER) == {REVOKED: [REVOCATION_DOC]}
    assert published_black_list(place, BEFORE) == set()
    assert published_black_list(place, AFTER) == {REVOKED}
    assert release.read_latest(place.publish)["as_of"] == AFTER.isoformat()


def test_a_run_that_fails_before_publishing_leaves_the_previous_release_live(place: Place):
    run(BEFORE)
    latest_bytes = (place.publish / "latest.json").read_bytes()
    releases_before = release.release_ids(place.publish)

    # a file large enough for the quarantine threshold to judge it, and every row of it bad
    rows = incoming_contract("permits").quarantine_threshold_min_rows + 5
    broken = [{**valid_record("permits", 100 + n), "party_uscc": "not-a-code"} for n in range(rows)]
    write_records(place.landing / "permits" / "2026-11-24" / "broken.csv", "permits", broken)

    result = defs.resolve_job_def("credit_job").execute_in_process(
        partition_key=AFTER.isoformat(), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["permits_batch_gate"]
    assert "permits/2026-11-24/broken.csv" in (failed[0].description or "")
    published = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert not published & {"release_candidate", "release_published", "release_report"}
    # a data failure is not retried: it would fail the same way
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]

    assert (place.publish / "latest.json").read_bytes() == latest_bytes
    assert release.release_ids(place.publish) == releases_before
    assert json.loads(latest_bytes)["as_of"] == BEFORE.isoformat()


class FlakyWarehouse(WarehouseResource):
    """The warehouse as a stuck process leaves it: busy on the first attempt, free after."""

    attempts: ClassVar[list[int]] = []

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        FlakyWarehouse.attempts.append(1)
        if len(FlakyWarehouse.attempts) == 1:
            raise WarehouseBusy(f"warehouse {self.file} is still in use by pid 1 (simulated)")
        with super().connect() as con:
            yield con


def test_a_transient_warehouse_error_is_retried(place: Place):
    FlakyWarehouse.attempts.clear()
    flaky = dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[credit_job],
        resources={"warehouse": FlakyWarehouse(), "locations": LocationsResource()},
    )
    result = flaky.resolve_job_def("credit_job").execute_in_process(
        partition_key=AFTER.isoformat(),
        asset_selection=[dg.AssetKey("raw_permits")],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert result.success
    assert [e.step_key for e in retried] == ["raw_permits"]
    assert len(FlakyWarehouse.attempts) == 2


def test_a_report_without_a_release_fails_once_with_what_to_do(place: Place):
    result = defs.resolve_job_def("credit_job").execute_in_process(
        partition_key=OLDER.isoformat(),
        asset_selection=[dg.AssetKey("release_report")],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert f"no published release of {OLDER}" in message and "materialize release_published" in message


def test_the_chart_draws_chinese_with_a_cjk_font():
    """A missing glyph would be an empty box in the chart; matplotlib warns about each one."""
    assert cjk_font_family() in CJK_FAMILIES
    rows = [
        {"dimension": "district", "key": "420102", "a": 3, "b": 2, "c": 1, "d": 1},
        {"dimension": "sector", "key": "H62", "a": 3, "b": 2, "c": 1, "d": 1},
    ]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        png = tier_mix_png(rows, AFTER)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
