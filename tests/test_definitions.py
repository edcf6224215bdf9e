"""The code location loads as the UI and the daemon load it, and every asset explains itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.definitions import ALL_CHECKS, WAREHOUSE_TAG, defs

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {"ingest", "validate", "credit", "publish"}
HAN = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"`[^`]*`")
WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def english(text: str) -> bool:
    """At least five English words outside `code` spans (identifiers alone are not English)."""
    return len(WORD.findall(CODE.sub(" ", text))) >= 5


def test_dagster_definitions_validate(tmp_path: Path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr


def _asset_specs() -> list[dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return [graph.get(key) for key in graph.get_all_asset_keys()]


def test_every_asset_is_bilingual_owned_grouped_and_kinded():
    nodes = _asset_specs()
    assert len(nodes) >= 27
    problems = []
    for node in nodes:
        name = node.key.to_user_string()
        description = node.description or ""
        if not HAN.search(description):
            problems.append(f"{name}: no Chinese in its description")
        if not english(description):
            problems.append(f"{name}: no English sentence in its description")
        if not node.owners:
            problems.append(f"{name}: no owners")
        if node.group_name not in GROUPS:
            problems.append(f"{name}: group {node.group_name!r} is not one of {sorted(GROUPS)}")
        if not node.kinds:
            problems.append(f"{name}: no kinds")
        if node.partitions_def is None:
            problems.append(f"{name}: not partitioned by evaluation date")
    assert problems == []


def test_every_group_has_assets_and_the_report_is_published_last():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == GROUPS
    report = dg.AssetKey("release_report")
    assert graph.get(report).group_name == "publish"
    assert graph.get(report).parent_keys == {dg.AssetKey("release_published")}


def test_every_check_is_bilingual_and_blocking():
    assert ALL_CHECKS
    for checks in ALL_CHECKS:
        for spec in checks.check_specs:
            assert spec.blocking, spec.name
            assert HAN.search(spec.description or ""), spec.name
            assert english(spec.description or ""), spec.name


def test_job_retries_transient_errors_and_queues_on_the_warehouse():
    job = defs.resolve_job_def("credit_job")
    policy = job.op_retry_policy
    assert policy is not None and policy.max_retries == 2 and (policy.delay or 0) > 0
    assert job.tags[WAREHOUSE_TAG] == "duckdb"
    assert job.executor_def.name == "in_process"
    report = defs.resolve_assets_def("release_report")
    assert report.op.retry_policy == policy


def _instance_yaml(profile: str) -> dict:
    return yaml.safe_load((ROOT / "deploy" / profile / "dagster.yaml").read_text(encoding="utf-8"))


def test_production_profile_is_valid_dagster_config(monkeypatch: pytest.MonkeyPatch):
    """Every section of deploy/production/dagster.yaml against Dagster's own config schemas.

    The environment variables are placeholders: nothing connects to PostgreSQL here.
    """
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes import class_from_code_pointer
    from dagster_postgres import DagsterPostgresStorage

    for name, value in {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "placeholder",
        "DAGSTER_COMPUTE_LOGS_DIR": "/var/lib/credit-lists/dagster-logs",
    }.items():
        monkeypatch.setenv(name, value)
    config, _ = dagster_instance_config(str(ROOT / "deploy" / "production"))
    for section in ("run_coordinator", "run_launcher", "compute_logs"):
        klass = class_from_code_pointer(config[section]["module"], config[section]["class"])
        result = process_config(klass.config_type(), config[section].get("config") or {})
        assert result.success, (section, result.errors)
    storage = process_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    assert storage.success, storage.errors
    assert storage.value["postgres_db"]["port"] == 5432
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_monitoring"]["cancel_timeout_seconds"] > 0


def test_production_queues_like_local():
    """The same one-run-at-a-time limit on the warehouse in both profiles."""
    local = _instance_yaml("local")["run_coordinator"]["config"]["tag_concurrency_limits"]
    production = _instance_yaml("production")["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert local == production == [{"key": WAREHOUSE_TAG, "limit": 1}]
