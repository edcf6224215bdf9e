"""Run one measured thing in a process of its own and read what the kernel says it cost.

Each measured thing (a pipeline run, the floor, the baseline) is a fresh Python process, so
its peak RSS is its own and not the harness's: the parent reaps it with `os.wait4` and reads
`ru_maxrss`, the kernel's high-water mark of the child's resident set. Inside the child an
`RssSampler` thread records the RSS every 50 ms, so that a peak can also be pinned to a stage.
A watchdog in the parent kills a child whose RSS passes a limit (the GE-on-pandas baseline can
take more memory than a shared machine has): the result then says so instead of hanging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
GIB = 1024**3


@dataclass
class ChildResult:
    """What one child process cost and answered."""

    wall_s: float
    peak_rss_bytes: int  # ru_maxrss of the child (and any child it waited for)
    cpu_s: float  # user + system CPU time of the child, all its threads: less sensitive to load than wall
    returncode: int
    data: dict[str, Any] | None  # the JSON the child wrote with --result, if it got that far
    log_path: Path
    killed: str | None = None  # why the watchdog stopped it

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.data is not None and self.killed is None

    def failure(self) -> str:
        """One line on why the child gave no answer (the last line of its log, say)."""
        if self.killed:
            return self.killed
        if self.data is None:
            tail = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
            return f"exit {self.returncode}: {tail[-1] if tail else 'no output'}"
        return f"exit {self.returncode}"


def run_child(
    module: str,
    args: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    rss_limit_bytes: int | None = None,
    with_result: bool = True,
) -> ChildResult:
    """Run `python -m module args [--result FILE]`, wait for it and measure it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", module, *args]
        if with_result:
            cmd += ["--result", str(result_file)]
        with log_path.open("w", encoding="utf-8") as log:
            started = time.perf_counter()
            proc = subprocess.Popen(
                cmd, cwd=REPO, env=dict(env) if env is not None else None, stdout=log, stderr=log
            )
            watchdog = _Watchdog(proc.pid, rss_limit_bytes) if rss_limit_bytes else None
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            if watchdog:
                watchdog.stop()
        data = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else None
    return ChildResult(
        wall_s=wall,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # KiB on Linux
        cpu_s=usage.ru_utime + usage.ru_stime,
        returncode=proc.returncode,
        data=data,
        log_path=log_path,
        killed=watchdog.killed if watchdog else None,
    )


class _Watchdog:
    def __init__(self, pid: int, limit: int) -> None:
        self.pid, self.limit, self.killed = pid, limit, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            proc = psutil.Process(self.pid)
            while not self._stop.wait(0.2):
                rss = proc.memory_info().rss
                if rss > self.limit:
                    self.killed = f"stopped by the harness at {rss / GIB:.1f} GiB RSS (limit {self.limit / GIB:.1f} GiB)"
                    proc.kill()
                    return
        except psutil.Error:  # the child has exited
            return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class RssSampler:
    """This process's RSS and CPU time every `interval` seconds, stamped with `time.time()` (as
    Dagster events are), so that a stage's peak memory and CPU seconds can be read off."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.cpu: list[tuple[float, float]] = []
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        now = time.time()
        times = self._process.cpu_times()
        self.samples.append((now, self._process.memory_info().rss))
        self.cpu.append((now, times.user + times.system))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def peak(self, windows: Sequence[tuple[float, float]] | None = None) -> int:
        """The highest sample, or the highest inside any of the (start, end) windows."""
        if windows is None:
            return max((rss for _, rss in self.samples), default=0)
        return max(
            (rss for t, rss in self.samples if any(a <= t <= b for a, b in windows)),
            default=0,
        )

    def cpu_seconds(self, windows: Sequence[tuple[float, float]]) -> float:
        """CPU seconds of the process over the windows (to within one interval per window)."""
        total = 0.0
        for a, b in windows:
            before = [c for t, c in self.cpu if t <= a]
            after = [c for t, c in self.cpu if t >= b]
            start = before[-1] if before else self.cpu[0][1]
            end = after[0] if after else self.cpu[-1][1]
            total += end - start
        return total


def write_result(path: str | Path, data: Mapping[str, Any]) -> None:
    """How a child hands its answer to the parent."""
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured child: no Dagster home (runs stay ephemeral, as the CLI's
    without DAGSTER_HOME), no GE analytics, no locations inherited from the caller."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DAGSTER_HOME", "CREDIT_LANDING_DIR", "CREDIT_WAREHOUSE", "CREDIT_PUBLISH_DIR")
        and k != "CREDIT_REPORTS_DIR"
    }
    env["GX_ANALYTICS_ENABLED"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env
