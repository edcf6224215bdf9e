"""The Dagster UI in a real browser: the asset graph shows the four groups, the gate of the
finished run shows as passed, and the tier-mix chart renders in the asset's metadata.

Debian's chromium (`apt-get install -y chromium fonts-noto-cjk`) driven by the `playwright`
package; never `playwright install`. Screenshots go to tests/artifacts/ (ignored by git) for a
person to look at when something fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest_dagster import DagsterDev, FinishedRun

pytest_plugins = ["conftest_dagster"]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dagster_dev")]

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def page(dagster_dev: DagsterDev, finished_run: FinishedRun) -> Iterator:
    chromium = shutil.which("chromium")
    assert chromium, "Debian chromium is not installed: apt-get install -y chromium fonts-noto-cjk"
    from playwright.sync_api import sync_playwright

    assert finished_run.status == "SUCCESS", "\n".join(finished_run.errors)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            yield tab
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_asset_graph_shows_the_four_groups(page, dagster_dev: DagsterDev):
    page.goto(f"{dagster_dev.url}/asset-groups")
    page.get_by_text("Global asset lineage").first.wait_for()
    for group in ("ingest", "validate", "credit", "publish"):
        page.get_by_text(group, exact=True).first.wait_for()
    page.wait_for_load_state("networkidle")
    shot(page, "asset_graph")


def test_publish_group_shows_its_assets_and_the_passed_release_gate(page, dagster_dev: DagsterDev):
    page.goto(f"{dagster_dev.url}/locations/credit_lists/asset-groups/publish")
    for asset in ("release_candidate", "release_published", "release_report"):
        page.get_by_text(asset, exact=True).first.wait_for()
    page.get_by_text("1 / 1 Passed").first.wait_for()  # release_gate on the candidate
    page.wait_for_load_state("networkidle")
    shot(page, "publish_group")


def test_the_batch_gate_of_the_run_shows_as_passed(page, dagster_dev: DagsterDev):
    page.goto(f"{dagster_dev.url}/assets/staged_permits?view=checks")
    page.get_by_text("permits_batch_gate", exact=True).first.wait_for()
    page.get_by_text("Succeeded", exact=True).first.wait_for()  # the check's latest execution
    page.get_by_text("Passed", exact=True).first.wait_for()  # its evaluation result
    shot(page, "permits_batch_gate")


def test_the_tier_mix_chart_renders_in_the_asset_metadata(page, dagster_dev: DagsterDev):
    page.goto(f"{dagster_dev.url}/assets/merchant_credit")
    row = page.locator("tr", has_text="tier_mix_chart").first
    row.scroll_into_view_if_needed()
    row.get_by_text("[Show Markdown]").click()
    chart = page.locator("img[src^='data:image/png;base64,']").first
    chart.wait_for()
    width, height = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 500 and height > 200
    shot(page, "tier_mix_chart")
