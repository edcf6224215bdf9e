"""What the figures were measured on: CPU, cores, memory, load, and the versions that matter."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

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
