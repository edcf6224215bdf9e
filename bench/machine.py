"""What the figures were measured on: CPU, cores, memory, load, and the versions that matter."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
CODE_DIRS = ("pipelines", "assets", "warehouse", "data_contracts", "sample_data")
PACKAGES = ("duckdb", "dagster", "great_expectations", "polars", "pandas", "pyarrow", "openpyxl")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "ram_bytes": psutil.virtual_memory().total,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "duckdb_threads": os.environ.get("CREDIT_DUCKDB_THREADS"),
        "duckdb_memory_limit": os.environ.get("CREDIT_DUCKDB_MEMORY_LIMIT"),
    }


def load_now() -> dict[str, Any]:
    """The machine's load when a figure was taken: other work on it makes figures slower."""
    one, five, _ = os.getloadavg()
    return {
        "loadavg_1m": round(one, 2),
        "loadavg_5m": round(five, 2),
        "available_ram_bytes": psutil.virtual_memory().available,
    }


def code_version() -> dict[str, Any]:
    """Which code was measured: the commit, and a hash of the pipeline's source files as they
    were (other sessions edit the working tree while benchmarks run)."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in (".py", ".sql", ".yaml") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {"commit": commit, "source_sha256": digest.hexdigest()[:12]}
