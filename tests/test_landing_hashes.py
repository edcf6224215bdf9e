"""A landing file that provably did not change since it was hashed is not read again to learn
its hash; any write to it (even one that keeps its size and modification time) is noticed."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from conftest import ingest, valid_record, write_records

from warehouse import ingest as ingest_module
from warehouse.landing import sha256_of


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose bytes were read to hash them, in order."""
    seen: list[str] = []

    def counting(path: Path) -> str:
        seen.append(Path(path).name)
        return sha256_of(path)

    monkeypatch.setattr(ingest_module, "sha256_of", counting)
    return seen


def _deliver(landing: Path, name: str, first: int) -> Path:
    return write_records(
        landing / "permits" / name, "permits", [valid_record("permits", n) for n in range(first, first + 3)]
    )


def test_unchanged_files_are_not_read_again(
    con: duckdb.DuckDBPyConnection, landing: Path, hashed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "RACY_SECONDS", 0)
    _deliver(landing, "a.csv", 1)
    _deliver(landing, "b.csv", 10)
    assert ingest(con, landing, "permits").files_ingested == 2
    assert hashed == ["a.csv", "b.csv"]
    hashed.clear()
    _deliver(landing, "c.csv", 20)
    summary = ingest(con, landing, "permits")
    assert summary.files_ingested == 1
    assert hashed == ["c.csv"]  # a and b: their hashes were remembered


def test_a_rewrite_that_keeps_size_and_mtime_is_hashed_and_ingested(
    con: duckdb.DuckDBPyConnection, landing: Path, hashed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "RACY_SECONDS", 0)
    path = _deliver(landing, "a.csv", 1)
    ingest(con, landing, "permits")
    st = path.stat()
    data = path.read_bytes()
    changed = data.replace(b"420102", b"420103", 1)  # same length, other bytes
    assert changed != data and len(changed) == len(data)
    path.write_bytes(changed)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and mtime as before; ctime moved
    hashed.clear()
    summary = ingest(con, landing, "permits")
    assert hashed == ["a.csv"]
    assert summary.files_ingested == 1  # the corrected delivery is a new version of the file
    shas = con.execute("SELECT DISTINCT sha256 FROM ingest_files WHERE path = 'permits/a.csv'").fetchall()
    assert len(shas) == 2


def test_a_file_hashed_right_after_it_changed_is_hashed_again(
    con: duckdb.DuckDBPyConnection, landing: Path, hashed: list[str]
) -> None:
    # Just written: its timestamps are within RACY_SECONDS of the hashing, which a filesystem
    # with coarse timestamps could not tell apart from a second write in the same tick.
    _deliver(landing, "a.csv", 1)
    ingest(con, landing, "permits")
    hashed.clear()
    ingest(con, landing, "permits")
    assert hashed == ["a.csv"]
