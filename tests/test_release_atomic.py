"""Atomic publication: readers always see a complete release, whatever point a publication dies at.

One test kills a real publication process with SIGKILL after every step (and inside the two
writes that take time: a Parquet file and latest.json); another makes each step raise in-process.
After each, a reader that follows latest.json must find the old or the new release, complete and
matching its manifest, and nothing half-written under releases/; the next publication must clean
up what was left and succeed. Retention and immutability are here too.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from warehouse import release
from warehouse.db import configure

try:
    import test_release_fixtures as fx
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx

# A publication as the Dagster assets run it, with one step made to die on SIGKILL.
CHILD = r"""
import os, signal, sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from warehouse import release
from warehouse.db import configure

db, publish_dir, run_id, policy, as_of, stop = sys.argv[1:7]
publish_dir = Path(publish_dir)


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def die_after(name):
    original = getattr(release, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        die()
        return result

    setattr(release, name, wrapper)


if stop.startswith("after:"):
    die_after(stop.split(":", 1)[1])
elif stop == "inside:second_parquet_file":
    close, calls = pq.ParquetWriter.close, []

    def dying_close(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            die()  # the second file has its row groups on disk but no footer
        return close(self, *args, **kwargs)

    pq.ParquetWriter.close = dying_close
elif stop == "inside:latest_swap":
    replace = os.replace

    def dying_replace(src, dst, *args, **kwargs):
        if str(dst).endswith("latest.json"):
            die()  # the new latest.json is written and fsynced under a temporary name
        return replace(src, dst, *args, **kwargs)

    os.replace = dying_replace

con = duckdb.connect(db)
configure(con)
staging = release.build_release(con, publish_dir, date.fromisoformat(as_of), run_id, policy)
problems = release.check_release(staging, con)
assert not problems, problems
con.close()
release.promote_release(staging, publish_dir)
"""

STOPS = [
    "after:prepare_staging",
    "inside:second_parquet_file",
    "after:write_data_files",
    "after:write_datapackage",
    "after:write_manifest",
    "after:sync_tree",
    "after:check_release",
    "after:move_into_releases",
    "inside:latest_swap",
    "after:swap_latest",
]


def reader_view(publish_dir: Path) -> dict:
    """What a downstream reader gets: latest.json, and the complete release it names."""
    latest = release.read_latest(publish_dir)
    assert latest is not None
    release_dir = publish_dir / latest["release"]
    assert release.verify_release(release_dir) == []
    manifest_bytes = (release_dir / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == latest["manifest_sha256"]
    manifest = json.loads(manifest_bytes)
    for name, entry in manifest["files"].items():
        assert pq.read_table(release_dir / name).num_rows == entry["rows"]
    # nothing half-written is visible under releases/
    for entry in (publish_dir / "releases").iterdir():
        assert release.RELEASE_ID.match(entry.name), entry
        assert release.verify_release(entry) == [], entry
    return latest


def age_leftovers(publish_dir: Path) -> None:
    """Make complete, never-promoted candidates older than the staleness limit."""
    old = time.time() - 3 * 86400
    for manifest in (publish_dir / ".staging").glob("*/manifest.json"):
        os.utime(manifest, (old, old))


def assert_clean(publish_dir: Path) -> None:
    assert [p.name for p in (publish_dir / ".staging").iterdir()] == []
    assert list((publish_dir / ".trash").iterdir()) == []
    assert list(publish_dir.glob(".latest.json.*")) == []


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    fx.warehouse(path).close()
    return path


def publish_from_file(db_file: Path, publish_dir: Path, run_id: str) -> Path:
    con = duckdb.connect(str(db_file))
    try:
        configure(con)
        return fx.publish(con, publish_dir, run_id=run_id)
    finally:
        con.close()


def test_sigkill_at_every_step_leaves_readers_a_complete_release(db_file: Path, tmp_path: Path) -> None:
    publish_dir = tmp_path / "publish"
    old = publish_from_file(db_file, publish_dir, "00000000-old")
    for n, stop in enumerate(STOPS, start=1):
        before = reader_view(publish_dir)
        run_id = f"{n:08x}-killed"
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(db_file),
                str(publish_dir),
                run_id,
                fx.POLICY,
                fx.AS_OF.isoformat(),
                stop,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == -signal.SIGKILL, (stop, child.returncode, child.stderr[-2000:])
        after = reader_view(publish_dir)
        if stop == "after:swap_latest":
            assert after["run_id"] == run_id
        else:
            assert after == before, stop
        if stop in ("after:move_into_releases", "inside:latest_swap"):
            # the new release is complete under releases/, only latest.json still names the old one
            run_ids = [
                json.loads((publish_dir / "releases" / r / "manifest.json").read_text(encoding="utf-8"))[
                    "run_id"
                ]
                for r in release.release_ids(publish_dir)
            ]
            assert run_id in run_ids
        # the next publication cleans up what the dead one left and goes through
        age_leftovers(publish_dir)
        recovered = publish_from_file(db_file, publish_dir, f"{n:08x}-recovery")
        assert reader_view(publish_dir)["release"] == f"releases/{recovered.name}"
        assert_clean(publish_dir)
    assert (publish_dir / "releases" / old.name).is_dir()


@pytest.mark.parametrize(
    "step",
    [
        "prepare_staging",
        "write_data_file",
        "write_datapackage",
        "write_manifest",
        "sync_tree",
        "move_into_releases",
        "swap_latest",
        "_atomic_write",
    ],
)
def test_a_step_that_raises_changes_nothing_readers_see(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = fx.warehouse()
    publish_dir = tmp_path / "publish"
    fx.publish(con, publish_dir, run_id="00000000-old")
    before = reader_view(publish_dir)
    original = getattr(release, step)
    calls: list[int] = []

    def failing(*args, **kwargs):
        calls.append(1)
        if step == "write_data_file" and len(calls) < 3:
            return original(*args, **kwargs)  # fail on the third file, two written
        if step == "_atomic_write" and not str(args[0]).endswith("latest.json"):
            return original(*args, **kwargs)  # let the check's receipt through, fail the swap
        raise OSError(f"disk trouble in {step}")

    monkeypatch.setattr(release, step, failing)
    with pytest.raises(OSError, match="disk trouble"):
        fx.publish(con, publish_dir, run_id="11111111-new")
    monkeypatch.undo()
    assert reader_view(publish_dir) == before
    age_leftovers(publish_dir)
    recovered = fx.publish(con, publish_dir, run_id="22222222-next")
    assert reader_view(publish_dir)["release"] == f"releases/{recovered.name}"
    assert_clean(publish_dir)


def test_stale_staging_rules(tmp_path: Path) -> None:
    con = fx.warehouse()
    publish_dir = tmp_path / "publish"
    complete = release.build_release(con, publish_dir, fx.AS_OF, "aaaaaaaa-1", fx.POLICY)
    incomplete = publish_dir / ".staging" / "2026-11-25--20261126T000000Z--bbbbbbbb"
    incomplete.mkdir()
    (incomplete / "red_list.parquet").write_bytes(b"PAR1 half a file")
    building = publish_dir / ".staging" / "2026-11-25--20261126T000001Z--cccccccc"
    building.mkdir()
    with release._candidate_lock(publish_dir, building.name):  # another process's build in progress
        removed = release.clean_staging(publish_dir)
        assert removed == [f".staging/{incomplete.name}"]
        assert complete.is_dir() and building.is_dir()
        age_leftovers(publish_dir)
        assert release.clean_staging(publish_dir) == [f".staging/{complete.name}"]
        assert building.is_dir()
    assert release.clean_staging(publish_dir) == [f".staging/{building.name}"]


def test_an_existing_release_is_never_modified(tmp_path: Path) -> None:
    con = fx.warehouse()
    publish_dir = tmp_path / "publish"
    first = fx.publish(con, publish_dir, run_id="aaaaaaaa-1")
    snapshot = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in first.iterdir()}
    assert all(p.stat().st_mode & 0o222 == 0 for p in first.iterdir())
    assert first.stat().st_mode & 0o222 == 0

    # a candidate that carries the id of an existing release is refused at promotion ...
    staging = release.build_release(con, publish_dir, fx.AS_OF, "bbbbbbbb-2", fx.POLICY)
    assert release.check_release(staging, con) == []
    clash = publish_dir / ".staging" / first.name
    os.rename(staging, clash)
    os.rename(staging.parent / f"{staging.name}.checked", staging.parent / f"{first.name}.checked")
    manifest = json.loads((clash / "manifest.json").read_text(encoding="utf-8"))
    manifest["release"] = first.name
    (clash / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert release.check_release(clash, con) == []
    with pytest.raises(release.ReleaseExists):
        release.promote_release(clash, publish_dir)
    # ... and at build time
    with pytest.raises(release.ReleaseExists):
        release.prepare_staging(publish_dir, first.name)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in first.iterdir()} == snapshot
    assert release.read_latest(publish_dir)["release"] == f"releases/{first.name}"


def test_retention_keeps_the_newest_and_never_the_latest(tmp_path: Path) -> None:
    con = fx.warehouse()
    publish_dir = tmp_path / "publish"
    ids = [fx.publish(con, publish_dir, run_id=f"{i:08x}-run").name for i in range(4)]
    time.sleep(1)  # a distinct creation second, so the next id sorts last
    # a newer release that was renamed into place but never became latest (its run died)
    staging = release.build_release(con, publish_dir, fx.AS_OF, "eeeeeeee-dead", fx.POLICY)
    newest = release.move_into_releases(staging, publish_dir).name
    latest = release.read_latest(publish_dir)["release"].split("/")[1]
    assert latest == ids[-1] and sorted([*ids, newest]) == release.release_ids(publish_dir)

    with pytest.raises(ValueError):
        release.prune_releases(publish_dir, 0)
    removed = release.prune_releases(publish_dir, 1)
    assert sorted(removed) == sorted(ids[:-1])
    assert release.release_ids(publish_dir) == sorted([latest, newest])
    assert release.prune_releases(publish_dir, 1) == []
    assert list((publish_dir / ".trash").iterdir()) == []
    reader_view(publish_dir)


def test_a_backfill_does_not_move_latest_back_in_time(tmp_path: Path) -> None:
    con = fx.warehouse()
    fx.load(con, fx.d(-7))
    publish_dir = tmp_path / "publish"
    current = fx.publish(con, publish_dir, run_id="aaaaaaaa-now")
    backfill = fx.publish(con, publish_dir, fx.d(-7), run_id="bbbbbbbb-old")
    assert backfill.is_dir() and release.verify_release(backfill) == []
    assert release.read_latest(publish_dir)["release"] == f"releases/{current.name}"
    assert release.release_ids(publish_dir) == sorted([backfill.name, current.name])
