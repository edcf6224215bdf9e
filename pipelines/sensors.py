"""Start a run when departments deliver new files, instead of waiting for the night.

The landing tree is walked by path, size and modification time only (no file is opened: the
ingest hashes what it reads, and a sensor tick must stay cheap on a tree of years of
deliveries). The cursor remembers what has been seen; a new or changed file starts one run for
the whole batch found in a tick. The run key is derived from the batch itself, so the same
files can never start two runs, even if a cursor update were lost.

A file modified in the last `SETTLE_SECONDS` is left for a later tick: a copy still in
progress would otherwise be ingested half-written (its complete version would then be a second
delivery). Hidden files and folders are skipped as the ingest skips them; symbolic links are
counted without being followed, so the run can refuse them with a reason an operator sees.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import dagster as dg

from assets.partitions import today_in_city
from assets.resources import LocationsResource
from pipelines.schedules import NIGHTLY_JOB, TRIGGER_TAG
from warehouse.landing import DATASET_FOLDERS, display_path

SETTLE_SECONDS = 30
MIN_INTERVAL_SECONDS = 60
CURSOR_FORMAT = 1
NEW_FILES_TAG = "credit-lists/new-files"
LOGGED_FILES = 20

FileState = tuple[int, int]  # size in bytes, mtime in ns


def scan_landing(root: Path) -> dict[str, FileState]:
    """Every delivery under the dataset folders of `root`, by path relative to it (forward slashes)."""
    found: dict[str, FileState] = {}
    for dataset in DATASET_FOLDERS:
        base = root / dataset
        if base.is_symlink():
            found[dataset] = _lstat(base)
            continue
        pending = [base] if base.is_dir() else []
        while pending:
            folder = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:  # removed while we walked
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                found[display_path(Path(entry.path).relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return found


def _lstat(path: Path) -> FileState:
    st = path.lstat()
    return (st.st_size, st.st_mtime_ns)


def read_cursor(cursor: str | None) -> dict[str, FileState]:
    """The files seen so far; an absent or unreadable cursor means none (the ingest dedups anyway)."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        if data.get("format") != CURSOR_FORMAT:
            return {}
        return {path: (int(size), int(mtime)) for path, (size, mtime) in data["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def write_cursor(files: Mapping[str, FileState]) -> str:
    return json.dumps(
        {"format": CURSOR_FORMAT, "files": {p: list(files[p]) for p in sorted(files)}},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def batch_run_key(batch: Mapping[str, FileState]) -> str:
    """The same set of (path, size, mtime) always gives the same key, and so at most one run."""
    text = "\n".join(f"{p}\t{s}\t{m}" for p, (s, m) in sorted(batch.items()))
    return "landing-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def plan(
    seen: Mapping[str, FileState], current: Mapping[str, FileState], now_ns: int, settle_seconds: float
) -> tuple[dict[str, FileState], dict[str, FileState], list[str]]:
    """(the batch to run for, the next cursor, files still settling).

    A file still being written keeps its previous state in the cursor (or none), so it is
    found again once it has settled; a file that has gone is forgotten.
    """
    settle_ns = int(settle_seconds * 1e9)
    settled = {p: s for p, s in current.items() if now_ns - s[1] >= settle_ns}
    settling = sorted(p for p in current if p not in settled and seen.get(p) != current[p])
    batch = {p: s for p, s in settled.items() if seen.get(p) != s}
    cursor = {p: seen[p] for p in current if p in seen}
    cursor.update(settled)
    return batch, cursor, settling


@dg.sensor(
    name="landing_sensor",
    job_name=NIGHTLY_JOB,
    minimum_interval_seconds=MIN_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "落地目录监测：发现新文件或变更的文件后，为这一批文件启动一次前一日的评估运行（同一批文件只启动一次）。"
        "默认关闭，在界面 Automation 页或用 `dagster sensor start landing_sensor` 开启。\n\n"
        "Watches the landing tree (path, size and mtime; nothing is read) and starts one `credit_job` "
        "run for yesterday's partition per batch of new or changed files, keyed by the batch so the "
        f"same files never start two runs. Files younger than {SETTLE_SECONDS} s wait for the next tick. "
        "Stopped by default: turn it on in the UI (Automation) or with `dagster sensor start landing_sensor`."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext, locations: LocationsResource):
    root = locations.landing
    if not root.is_dir():
        return dg.SkipReason(f"landing folder {root} does not exist (set CREDIT_LANDING_DIR)")
    seen = read_cursor(context.cursor)
    batch, cursor, settling = plan(seen, scan_landing(root), time.time_ns(), SETTLE_SECONDS)
    next_cursor = write_cursor(cursor)
    if next_cursor != (context.cursor or write_cursor({})):
        context.update_cursor(next_cursor)
    if not batch:
        waiting = f"; {len(settling)} file(s) still being written" if settling else ""
        return dg.SkipReason(f"no new or changed files under {root}{waiting}")
    paths = sorted(batch)
    context.log.info(
        f"{len(paths)} new or changed file(s) under {root}: {', '.join(paths[:LOGGED_FILES])}"
        + (f" and {len(paths) - LOGGED_FILES} more" if len(paths) > LOGGED_FILES else "")
    )
    partition = (today_in_city() - timedelta(days=1)).isoformat()
    return dg.RunRequest(
        run_key=batch_run_key(batch),
        partition_key=partition,
        tags={TRIGGER_TAG: "landing_sensor", NEW_FILES_TAG: str(len(paths))},
    )
