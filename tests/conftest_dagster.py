"""One `dagster dev` for the UI tests, exactly as a data engineer starts it, with a finished run.

Loaded as a plugin (`pytest_plugins = ["conftest_dagster"]`) by the modules that need it, so the
session fixture below exists once per test process and both UI test modules share one server.
Under pytest-xdist each worker is its own process: run the `slow` tests in one process
(`pytest -m slow`) to start a single server. The modules also carry `xdist_group("dagster_dev")`
for `--dist loadgroup`, which pytest 9.2 with pytest-xdist 3.8 silently ignores
(pytest-dev/pytest-xdist#1386). The modules import nothing from here at run time, so pytest can
rewrite this module's asserts when it loads it as a plugin.

The server runs in a temporary DAGSTER_HOME with the local instance settings (runs queue on the
warehouse tag), on a free port of 127.0.0.1, with the landing tree, warehouse, publish and
reports folders in the temporary directory. It is started in its own session with default
signal dispositions (a test runner may have SIGINT ignored, and `dagster dev` copies that onto
SIGTERM), stopped by its own PID, and every process it started must be gone afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 25)
SCALE = 0.01
LOCATION = "credit_lists"
START_TIMEOUT_S = 180
RUN_TIMEOUT_S = 900
STOP_TIMEOUT_S = 60

RUN_ERRORS = """
query RunErrors($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { message stepKey level } } }
  }
}
"""

WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class DagsterDev:
    """A running `dagster dev` and the folders it works in."""

    home: Path
    landing: Path
    warehouse: Path
    publish: Path
    reports: Path
    log: Path
    port: int
    process: subprocess.Popen | None = None
    started: list[psutil.Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "CREDIT_LANDING_DIR": str(self.landing),
            "CREDIT_WAREHOUSE": str(self.warehouse),
            "CREDIT_PUBLISH_DIR": str(self.publish),
            "CREDIT_REPORTS_DIR": str(self.reports),
            "GX_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def start(self) -> None:
        dagster = Path(sys.executable).with_name("dagster")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)],
                cwd=ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_default_signals,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dagster dev exited with {self.process.returncode}:\n{self.log_tail()}")
            if self._location_loaded():
                return
            time.sleep(1)
        raise AssertionError(f"dagster dev did not load {LOCATION} in {START_TIMEOUT_S}s:\n{self.log_tail()}")

    def _location_loaded(self) -> bool:
        try:
            data = self.graphql(WORKSPACE)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
        for entry in data["workspaceOrError"].get("locationEntries", []):
            if entry["name"] == LOCATION and entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"] or {}
                if loaded.get("__typename") == "PythonError":
                    raise AssertionError(f"code location failed to load: {loaded['message']}")
                return loaded.get("__typename") == "RepositoryLocation"
        return False

    def launch_partition(self, job: str, partition: str) -> str:
        """What the launchpad's Materialize does for one partition of a job: a run tagged with it."""
        from dagster_graphql import DagsterGraphQLClient

        client = DagsterGraphQLClient("127.0.0.1", port_number=self.port)
        return client.submit_job_execution(
            job,
            repository_location_name=LOCATION,
            repository_name="__repository__",
            tags={"dagster/partition": partition},
        )

    def wait_for_run(self, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> str:
        from dagster_graphql import DagsterGraphQLClient

        client = DagsterGraphQLClient("127.0.0.1", port_number=self.port)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = client.get_run_status(run_id).value
            if status in {"SUCCESS", "FAILURE", "CANCELED"}:
                return status
            time.sleep(2)
        raise AssertionError(f"run {run_id} not finished after {timeout_s}s:\n{self.log_tail()}")

    def run_errors(self, run_id: str) -> list[str]:
        events = self.graphql(RUN_ERRORS, {"runId": run_id})["logsForRun"].get("events", [])
        return [
            f"{e.get('stepKey')}: {e.get('message')}"
            for e in events
            if e.get("level") in {"ERROR", "CRITICAL"}
        ]

    def descendants(self) -> list[psutil.Process]:
        """The server and every process it started that is still running."""
        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _strays(self) -> list[str]:
        """Processes of this server's session or with its DAGSTER_HOME, wherever they were reparented."""
        assert self.process is not None
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if proc.pid == os.getpid():
                continue
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:  # dead, only not yet reaped by init
                    continue
                in_session = os.getsid(proc.pid) == self.process.pid
                ours = proc.environ().get("DAGSTER_HOME") == str(self.home)
            except (psutil.Error, ProcessLookupError, PermissionError):
                continue
            if in_session or ours:
                found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:200]}")
        return found

    def stop(self) -> list[str]:
        """SIGTERM to the server's own PID; return what is still running afterwards (empty: clean)."""
        if self.process is None or self.process.poll() is not None:
            return self._strays() if self.process else []
        tree = self.descendants()
        self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT_S)
        _, alive = psutil.wait_procs(tree, timeout=STOP_TIMEOUT_S)
        leftovers = [_describe(p) for p in alive if _running(p)]
        leftovers += [s for s in self._strays() if s not in leftovers]
        if leftovers:  # clean up for the next test session, and report
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            for p in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
        return leftovers


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        return f"{proc.pid} {' '.join(proc.cmdline())[:200]}"
    except psutil.Error:
        return str(proc.pid)


@dataclass(frozen=True)
class FinishedRun:
    run_id: str
    partition: str
    status: str
    errors: list[str]


@pytest.fixture(scope="session")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDev]:
    from sample_data import generate

    base = tmp_path_factory.mktemp("dagster_dev")
    server = DagsterDev(
        home=base / "dagster_home",
        landing=base / "landing",
        warehouse=base / "warehouse.duckdb",
        publish=base / "publish",
        reports=base / "reports",
        log=base / "dagster_dev.log",
        port=free_port(),
    )
    server.home.mkdir()
    local = (ROOT / "deploy" / "local" / "dagster.yaml").read_text(encoding="utf-8")
    # the community pop-up would cover the page the browser test looks at
    (server.home / "dagster.yaml").write_text(local + "\nnux:\n  enabled: false\n", encoding="utf-8")
    generate(server.landing, scale=SCALE, seed=20261125, as_of=AS_OF)
    server.start()
    try:
        yield server
    finally:
        leftovers = server.stop()
        shutil.copy(server.log, base / "dagster_dev.stopped.log")
    assert leftovers == [], f"processes left behind by dagster dev: {leftovers}"


@pytest.fixture(scope="session")
def finished_run(dagster_dev: DagsterDev) -> FinishedRun:
    """credit_job for one evaluation date, launched through the webserver's GraphQL API."""
    partition = AS_OF.isoformat()
    run_id = dagster_dev.launch_partition("credit_job", partition)
    status = dagster_dev.wait_for_run(run_id)
    errors = [] if status == "SUCCESS" else dagster_dev.run_errors(run_id)
    return FinishedRun(run_id, partition, status, errors)
