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
from conftest import (
    AS_OF,
    RUN_ID,
    Formula,
    header_row,
    valid_record,
    write_csv,
    write_jsonl,
    write_records,
    write_xlsx,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import ingest as ingest_module
from warehouse import prepare as prepare_module
from warehouse import readers
from warehouse.db import connect
from warehouse.ingest import ensure_schema, ingest_dataset
from warehouse.landing import LandingFile, discover

PEN_FIELDS = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city from the generator (every format, encoding and seeded defect), plus the
    byte-level cases the generator does not make: CRLF with empty lines, NUL bytes, a BOM, a
    file cut inside a character, GBK JSON, a formula cell, a broken workbook, a copy."""
    from sample_data.generate import generate

    root = tmp_path_factory.mktemp("prepare") / "landing"
    generate(root, scale=0.003, seed=20261125)
    edge = root / "penalties" / "edge"
    header = header_row("penalties", PEN_FIELDS)
    records = [[valid_record("penalties", n)[f] for f in PEN_FIELDS] for n in range(1, 6)]
    write_csv(edge / "crlf.csv", header, records, line_end="\r\n")
    text = (edge / "crlf.csv").read_bytes()
    (edge / "blank-lines.csv").write_bytes(text.replace(b"\r\n", b"\r\n\r\n", 2))
    body = text.index(b"\r\n") + 2
    (edge / "nul.csv").write_bytes(text[:body] + text[body:].replace(b"\r\n", b"\x00\r\n", 2))
    write_csv(edge / "bom.csv", header, records, encoding="utf-8-sig")
    write_csv(edge / "gbk.csv", header, records, encoding="gbk")
    (edge / "cut.csv").write_bytes(text + "罚".encode()[:2])
    write_jsonl(edge / "gbk.jsonl", [dict(zip(header, r, strict=True)) for r in records], encoding="gbk")
    write_jsonl(edge / "mixed.jsonl", [dict(zip(header, r, strict=True)) for r in records] + ["", "[1]", "{"])
    write_xlsx(edge / "formula.xlsx", header, [*records[:2], [*records[2][:-1], Formula("=1+1", "x")]])
    (edge / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    shutil.copy(edge / "bom.csv", edge / "bom-again.csv")
    write_records(
        root / "permits" / "edge" / "few.xlsx", "permits", [valid_record("permits", n) for n in (1, 2)]
    )
    return root


def _ingest_all(landing: Path, warehouse: Path) -> None:
    with connect(warehouse) as con:
        ensure_schema(con, INCOMING_DATASETS)
        for ds in INCOMING_DATASETS:
            ingest_dataset(con, landing, ds, RUN_ID, AS_OF)


def _differences(a: Path, b: Path) -> dict[str, int]:
    """Rows in one warehouse's ingest output and not the other's, by table (both ways)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = {f"raw_{ds}": "*" for ds in INCOMING_DATASETS}
    tables["ingest_files"] = "* EXCLUDE (ingested_at)"
    tables["quarantine_rows"] = "* EXCLUDE (quarantined_at)"
    tables["landing_hashes"] = "* EXCLUDE (hashed_at_ns)"
    found = {}
    for table, cols in tables.items():
        n = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM a.{table} EXCEPT ALL SELECT {cols} FROM b.{table}))"
            f" + (SELECT count(*) FROM (SELECT {cols} FROM b.{table} EXCEPT ALL SELECT {cols} FROM a.{table}))"
        ).fetchone()[0]
        found[table] = n
    return found


def test_ingest_is_the_same_with_the_pass_ahead_as_without(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[str] = []
    real_read = ingest_module.read_file

    def spy_read(con, path, file_type, prepared=None):
        if prepared is not None:
            used.append(file_type)
        return real_read(con, path, file_type, prepared)

    with monkeypatch.context() as m:
        m.setattr(ingest_module, "prepare", lambda lf, **kwargs: None)
        _ingest_all(tree, tmp_path / "alone.duckdb")
    with monkeypatch.context() as m:
        m.setattr(prepare_module, "RACY_SECONDS", 0)  # the tree was written a moment ago
        m.setattr(ingest_module, "read_file", spy_read)
        _ingest_all(tree, tmp_path / "ahead.duckdb")

    assert {"csv", "jsonl", "xlsx"} <= set(used)
    assert len(used) > 50
    differences = _differences(tmp_path / "alone.duckdb", tmp_path / "ahead.duckdb")
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

    def prepare_then_append(lf: LandingFile, **kwargs):
        prepared = real_prepare(lf, **kwargs)
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
    prepared = prepare_module.prepare(lf, remembered=lambda st: None, needed=lambda sha: True)
    assert prepared is not None and prepared.scan is not None
    assert prepared.sha256 == hashlib.sha256(lf.path.read_bytes()).hexdigest()
    assert not prepared.holds_for(os.stat(lf.path))
    monkeypatch.setattr(prepare_module, "RACY_SECONDS", 0)
    assert prepared.holds_for(os.stat(lf.path))
    os.utime(lf.path)  # touched: another state of the file
    assert not prepared.holds_for(os.stat(lf.path))


def test_a_known_file_is_hashed_ahead_but_not_read_further(landing: Path) -> None:
    path = write_records(landing / "permits" / "a.xlsx", "permits", [valid_record("permits", 1)])
    (lf,) = discover(landing, "permits")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    known = prepare_module.prepare(lf, remembered=lambda st: None, needed=lambda s: False)
    assert known is not None and (known.sha256, known.sheet) == (sha, None)
    new = prepare_module.prepare(lf, remembered=lambda st: None, needed=lambda s: True)
    assert new is not None and new.sheet == readers.read_sheet(path)
    remembered = prepare_module.prepare(lf, remembered=lambda st: sha, needed=lambda s: False)
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
