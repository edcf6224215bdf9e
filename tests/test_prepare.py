"""The Python half of each delivery's read, done one file ahead on a helper thread
(`warehouse.prepare`), changes nothing the ingest writes, and is trusted only for the very
bytes it read."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import AS_OF, RUN_ID, ingest_all, ingest_differences, valid_record, write_records
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import ingest as ingest_module
from warehouse import prepare as prepare_module
from warehouse import readers
from warehouse.db import connect
from warehouse.ingest import ensure_schema, ingest_dataset
from warehouse.landing import DeliveryMoved, LandingFile, discover

PEN_FIELDS = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]


def test_ingest_is_the_same_with_the_pass_ahead_as_without(
    small_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = small_city
    used: list[str] = []
    scanned_here: list[Path] = []
    real_read, real_scan = ingest_module.read_file, ingest_module.scan_file

    def spy_read(con, path, file_type, scan=None, sheet=None, utf8_copy=None):
        if scan is not None or sheet is not None:
            used.append(file_type)
        if utf8_copy is not None:
            assert utf8_copy.read_bytes() == path.read_bytes().decode("gb18030").encode()
            used.append("gb18030 copy")
        return real_read(con, path, file_type, scan, sheet, utf8_copy)

    def spy_scan(path):
        scanned_here.append(path)
        return real_scan(path)

    with monkeypatch.context() as m:
        m.setattr(ingest_module, "prepare", lambda *args, **kwargs: None)
        m.setattr(ingest_module, "scan_file", spy_scan)
        ingest_all(tree, tmp_path / "alone.duckdb")
    assert len(scanned_here) > 30  # every CSV, by the ingest itself
    scanned_here.clear()
    with monkeypatch.context() as m:
        m.setattr(prepare_module, "RACY_SECONDS", 0)  # the tree was written a moment ago
        m.setattr(ingest_module, "read_file", spy_read)
        m.setattr(ingest_module, "scan_file", spy_scan)
        ingest_all(tree, tmp_path / "ahead.duckdb")

    assert scanned_here == []  # every CSV scanned ahead
    assert {"jsonl", "xlsx", "gb18030 copy"} <= set(used)
    differences = ingest_differences(tmp_path / "alone.duckdb", tmp_path / "ahead.duckdb")
    assert differences == dict.fromkeys(differences, 0)
    with duckdb.connect(str(tmp_path / "ahead.duckdb"), read_only=True) as con:
        outcomes = dict(
            con.execute("SELECT path, status FROM ingest_files WHERE path LIKE '%/edge/%'").fetchall()
        )
    assert outcomes == {
        "penalties/edge/blank-lines.csv": "ingested",
        "penalties/edge/bom-again.csv": "ingested",
        "penalties/edge/bom.csv": "duplicate",
        "penalties/edge/broken.xlsx": "refused",
        "penalties/edge/crlf.csv": "ingested",
        "penalties/edge/cut.csv": "refused",
        "penalties/edge/formula.xlsx": "ingested",
        "penalties/edge/gbk.csv": "ingested",
        "penalties/edge/gbk.jsonl": "refused",
        "penalties/edge/malformed.csv": "ingested",
        "penalties/edge/mixed.jsonl": "ingested",
        "penalties/edge/nul.csv": "ingested",
        "permits/edge/few.xlsx": "ingested",
    }


def test_a_file_changed_after_its_pass_ahead_is_read_again(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_records(landing / "penalties" / "a.csv", "penalties", [valid_record("penalties", 1)])
    second = write_records(landing / "penalties" / "b.csv", "penalties", [valid_record("penalties", 2)])
    real_prepare = ingest_module.prepare
    extra = ",".join(valid_record("penalties", 3)[f] for f in PEN_FIELDS) + "\n"

    def prepare_then_append(lf: LandingFile, *args, **kwargs):
        prepared = real_prepare(lf, *args, **kwargs)
        if lf.path == second:  # the uploader appends once the pass ahead is done
            with second.open("a", encoding="utf-8") as fh:
                fh.write(extra)
        return prepared

    monkeypatch.setattr(prepare_module, "RACY_SECONDS", 0)
    monkeypatch.setattr(ingest_module, "prepare", prepare_then_append)
    with connect(tmp_path / "w.duckdb") as con:
        ensure_schema(con, INCOMING_DATASETS)
        ingest_dataset(con, landing, "penalties", RUN_ID, AS_OF)
        got = dict(con.execute("SELECT path, sha256 FROM ingest_files").fetchall())
        rows = dict(con.execute("SELECT _path, count(*) FROM raw_penalties GROUP BY _path").fetchall())
    assert got == {
        "penalties/a.csv": hashlib.sha256(first.read_bytes()).hexdigest(),
        "penalties/b.csv": hashlib.sha256(second.read_bytes()).hexdigest(),
    }
    assert rows == {"penalties/a.csv": 1, "penalties/b.csv": 2}


def test_a_pass_ahead_is_not_trusted_for_a_file_changed_just_before(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write within one tick of the file system's clock may not move its timestamps: a pass
    that began less than RACY_SECONDS after the file's last change is not trusted."""
    write_records(landing / "penalties" / "a.csv", "penalties", [valid_record("penalties", 1)])
    (lf,) = discover(landing, "penalties")
    prepared = prepare_module.prepare(lf, landing, remembered=lambda st: None, needed=lambda sha: True)
    assert prepared is not None and prepared.scan is not None
    assert prepared.sha256 == hashlib.sha256(lf.path.read_bytes()).hexdigest()
    assert not prepared.holds_for(os.stat(lf.path))
    monkeypatch.setattr(prepare_module, "RACY_SECONDS", 0)
    assert prepared.holds_for(os.stat(lf.path))
    os.utime(lf.path)  # touched: another state of the file
    assert not prepared.holds_for(os.stat(lf.path))


def test_the_utf8_copy_ahead_is_made_only_of_gb18030_and_removed_once_used(
    landing: Path, tmp_path: Path
) -> None:
    text = "名称,金额\n武汉江岸味道餐饮有限公司,1\n"
    files = {
        "a-gbk.csv": text.encode("gb18030"),
        "b-utf8.csv": text.encode(),
        "c-neither.csv": text.encode("gb18030") + b"\x81\x20",  # a GB18030 lead byte cut off
        "d-gbk.csv": text.encode("gb18030"),
    }
    for name, data in files.items():
        (landing / "permits").mkdir(parents=True, exist_ok=True)
        (landing / "permits" / name).write_bytes(data)

    def work(lf: LandingFile, scratch: Path):
        return prepare_module.prepare(lf, landing, lambda st: None, lambda sha: True, scratch=scratch)

    copies: dict[str, Path | None] = {}
    deliveries = prepare_module.ahead(discover(landing, "permits"), work)
    for lf, pending in deliveries:
        prepared = pending.result()
        assert prepared is not None
        copies[lf.path.name] = prepared.utf8_copy
        if prepared.utf8_copy is not None:
            assert prepared.utf8_copy.read_text(encoding="utf-8") == text
        # the copy of the file handed out before is gone once this one is asked for
        assert [p for n, p in copies.items() if p is not None and n != lf.path.name and p.exists()] == []
    assert {n for n, p in copies.items() if p is not None} == {"a-gbk.csv", "d-gbk.csv"}
    assert not copies["d-gbk.csv"].parent.exists()  # the scratch folder went with the generator


def test_a_known_file_is_hashed_ahead_but_not_read_further(landing: Path) -> None:
    path = write_records(landing / "permits" / "a.xlsx", "permits", [valid_record("permits", 1)])
    (lf,) = discover(landing, "permits")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    known = prepare_module.prepare(lf, landing, remembered=lambda st: None, needed=lambda s: False)
    assert known is not None and (known.sha256, known.sheet) == (sha, None)
    new = prepare_module.prepare(lf, landing, remembered=lambda st: None, needed=lambda s: True)
    assert new is not None and new.sheet == readers.read_sheet(path)
    remembered = prepare_module.prepare(lf, landing, remembered=lambda st: sha, needed=lambda s: False)
    assert remembered is not None and (remembered.sha256, remembered.sheet) == (None, None)


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.sampled_from(
            [b"a", b",", b"\n", b"\r\n", b"\x00", "罚".encode(), b"\xe7", b"\xff", b'"', b"\xef\xbb\xbf"]
        ),
        max_size=40,
    ).map(b"".join),
    chunk=st.integers(1, 8),
)
def test_the_byte_pass_with_a_digest_finds_what_it_finds_without(
    tmp_path_factory, data: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_CHUNK", chunk)
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            both = readers.scan_stream(fh, decode=True, digest=digest)
        assert both == readers._scan(path, decode=True)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_nothing_outside_the_landing_root_is_read_ahead(landing: Path, tmp_path: Path) -> None:
    """A folder swapped for a link after the landing tree was walked: the pass ahead opens the
    name as the ingest pins it and reads nothing of what it now leads to."""
    inner = landing / "penalties" / "sub"
    write_records(inner / "x.csv", "penalties", [valid_record("penalties", 1)])
    (lf,) = discover(landing, "penalties")
    write_records(tmp_path / "outside" / "x.csv", "penalties", [valid_record("penalties", 2)])
    shutil.rmtree(inner)
    inner.symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(DeliveryMoved, match="outside the landing root"):
        prepare_module.prepare(lf, landing, remembered=lambda st: None, needed=lambda sha: True)
