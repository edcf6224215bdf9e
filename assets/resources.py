"""Where the pipeline reads, keeps and publishes, as Dagster resources.

Every location has an environment variable and a default under `./data`, so `dagster dev`
and the CLI work with no configuration (the embedded default) and production points them
elsewhere without code changes. Unset fields are resolved when a run uses them, so the
environment of the run (not of the process that imported the code) decides.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from warehouse import db

DEFAULT_DATA_DIR = Path("data")


def _resolve(value: str | None, env: str, default_name: str) -> Path:
    return Path(value or os.environ.get(env) or DEFAULT_DATA_DIR / default_name)


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. Each `connect()` holds the cross-process warehouse lock."""

    path: str | None = None
    lock_timeout_s: float = db.DEFAULT_LOCK_TIMEOUT_S
    _run: ExitStack = PrivateAttr(default_factory=ExitStack)

    @property
    def file(self) -> Path:
        return _resolve(self.path, "CREDIT_WAREHOUSE", "warehouse.duckdb")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A run's steps belong together: another run must not slip between its staging, gate
        and promotion, so the run holds the warehouse from its first step to its last."""
        self._run.enter_context(db.exclusive_run(self.file, self.lock_timeout_s))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._run.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with db.connect(self.file, timeout_s=self.lock_timeout_s) as con:
            yield con


class LocationsResource(dg.ConfigurableResource):
    """The landing tree that departments deliver into, and the folder public sites read."""

    landing_dir: str | None = None
    publish_dir: str | None = None
    reports_dir: str | None = None
    keep_releases: int = 30

    @property
    def landing(self) -> Path:
        return _resolve(self.landing_dir, "CREDIT_LANDING_DIR", "landing")

    @property
    def publish(self) -> Path:
        return _resolve(self.publish_dir, "CREDIT_PUBLISH_DIR", "publish")

    @property
    def reports(self) -> Path:
        """Internal outputs (GE Data Docs, release reports): next to the warehouse, never published."""
        return _resolve(self.reports_dir, "CREDIT_REPORTS_DIR", "reports")
