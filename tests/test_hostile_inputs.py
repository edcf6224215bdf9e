"""Hostile inputs: files made to break the reader, fool it, or make it read what it must not.

The landing tree is written by other departments' systems and is not trusted. Whatever a file
holds or is named, the outcome must be a clear refusal of the file or a quarantined row with
the rule that caught it, never a crash of the ingest, never a formula evaluated or its cached
result taken, never SQL run from data, and never a byte read from outside the landing root
(checked with a `sys.addaudithook` hook on `open`, which sees every file Python opens).
Hand-made files cover each attack; hypothesis fuzzes cell text, raw bytes, JSON values and
file names. Every case ends with the books balanced (`warehouse.reconcile`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import (
    AS_OF,
    Formula,
    assert_accounting,
    files,
    header_row,
    ingest,
    point_in_process_run,
    quarantined,
    rows,
    stage_and_promote,
    valid_record,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warehouse.ingest as ingest_module
import warehouse.landing as landing_module
from data_contracts import INCOMING_DATASETS
from warehouse import release
from warehouse.db import configure
from warehouse.ingest import ensure_schema, ingest_dataset
from warehouse.reconcile import warehouse_problems

FIELDS = list(valid_record("penalties", 1))
HEADER = header_row("penalties", FIELDS)
SQL_VALUE = "'; DROP TABLE ingest_files; --"
DDE = "=cmd|' /C calc'!A0"
CACHED = "CACHED-RESULT-NEVER-USED"


def pen_rows(*ns: int) -> list[list[str]]:
    return [[valid_record("penalties", n)[f] for f in FIELDS] for n in ns]


def csv_text(table: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    return buf.getvalue()


def doc_no(n: int) -> str:
    return valid_record("penalties", n)["decision_doc_no"]


def raw_rows(con: duckdb.DuckDBPyConnection, dataset: str = "penalties") -> list[dict]:
    return rows(con, f"SELECT * FROM raw_{dataset} ORDER BY _path, _row_number")


def balanced(con: duckdb.DuckDBPyConnection, datasets: tuple[str, ...] = INCOMING_DATASETS) -> None:
    """Stage and promote what was ingested, then every book must agree."""
    for ds in datasets:
        stage_and_promote(con, ds)
    assert_accounting(con)
    assert warehouse_problems(con) == []


# ---------------------------------------------------------------------------------------------
# the audit hook: which files does Python open?

_RECORDERS: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _RECORDERS and args and isinstance(args[0], str | bytes | os.PathLike):
        path = os.fsdecode(args[0])
        if os.path.isabs(path):
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            if flags & getattr(os, "O_NOFOLLOW", 0):  # a link as the last part is not followed
                path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            else:
                path = os.path.realpath(path)
        for recorder in _RECORDERS:
            recorder.append(path)


sys.addaudithook(_audit)  # hooks cannot be removed: it records only while a test asks it to


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Real paths of every file opened while the test runs."""
    recorder: list[str] = []
    _RECORDERS.append(recorder)
    try:
        yield recorder
    finally:
        _RECORDERS.remove(recorder)


PROJECT = Path(ingest_module.__file__).resolve().parents[1]  # the project's own SQL and contracts
SYSTEM_PREFIXES = tuple(
    os.path.realpath(p) + os.sep
    for p in {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        PROJECT,
        "/proc/self",
        "/dev",
        "/etc",
        "/usr",
        "/sys",
    }
)


def outside_reads(paths: list[str], *allowed: Path) -> list[str]:
    """Opened paths that are neither under an allowed root, nor Python's or the system's own
    files, nor a temp folder of the readers (`credit-lists-*`)."""
    roots = tuple(os.path.realpath(a) + os.sep for a in allowed)
    temp = os.path.join(os.path.realpath(tempfile.gettempdir()), "credit-lists-")
    return sorted(
        {
            p
            for p in paths
            if os.path.isabs(p) and not p.startswith(roots + SYSTEM_PREFIXES) and not p.startswith(temp)
        }
    )


# ---------------------------------------------------------------------------------------------
# CSV


def test_unterminated_quote_quarantines_the_rest_of_the_file_as_one_record_and_loses_nothing(con, landing):
    text = csv_text([HEADER, *pen_rows(1)]) + '"这一格没有结束,abc\n' + csv_text(pen_rows(2, 3))
    (landing / "penalties" / "q.csv").write_text(text, encoding="utf-8")

    ingest(con, landing, "penalties")

    f = files(con)["penalties/q.csv"]
    assert (f["status"], f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == ("ingested", 2, 1, 1)
    assert quarantined(con, "penalties/q.csv") == {2: ["penalties.file.malformed_csv_row"]}
    (record,) = [r["record"] for r in rows(con, "SELECT record FROM quarantine_rows")]
    assert doc_no(2) in record and doc_no(3) in record  # the swallowed rows' text is kept
    assert [r["decision_doc_no"] for r in raw_rows(con)] == [doc_no(1)]
    balanced(con)


def test_a_bare_quote_inside_a_field_is_text(con, landing):
    table = pen_rows(1, 2)
    table[1][FIELDS.index("party_name")] = 'ab"c有限公司'
    text = csv_text([HEADER, table[0]]) + ",".join(table[1]) + "\n"
    (landing / "penalties" / "q.csv").write_text(text, encoding="utf-8")

    ingest(con, landing, "penalties")

    assert [r["party_name"] for r in raw_rows(con)][1] == 'ab"c有限公司'
    balanced(con)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "mixed.csv",
            csv_text([HEADER, *pen_rows(1)]).encode("utf-8") + csv_text(pen_rows(2)).encode("gbk"),
            "neither valid UTF-8 nor valid GB18030",
        ),
        (
            "utf16.csv",
            csv_text([HEADER, *pen_rows(1)]).encode("utf-16"),
            "neither valid UTF-8 nor valid GB18030",
        ),
        ("utf16le.csv", csv_text([["decision_doc_no"], ["X1"]]).encode("utf-16-le"), "NUL characters"),
        (
            "latin1.csv",
            "decision_doc_no\ncafé ½\n".encode("latin-1") + b"\xff\xfe\xfd",
            "neither valid UTF-8",
        ),
        ("bom-not-utf8.csv", b"\xef\xbb\xbf" + csv_text([HEADER]).encode("gbk"), "byte-order mark"),
        ("cut-in-a-character.csv", csv_text([HEADER, *pen_rows(1)]).encode("utf-8")[:-2], "cut short"),
        ("binary.csv", bytes(range(256)) * 8, ""),
        ("empty.csv", b"", "no header row"),
    ],
)
def test_wrong_and_mixed_encodings_are_refused_with_a_reason(con, landing, name, data, reason):
    (landing / "penalties" / name).write_bytes(data)
    write_csv(landing / "penalties" / "good.csv", HEADER, pen_rows(9))

    summary = ingest(con, landing, "penalties")

    f = files(con)[f"penalties/{name}"]
    assert f["status"] == "refused" and reason in f["reason"], f
    assert summary.files_ingested == 1  # the run goes on with the other files
    balanced(con)


def test_byte_order_marks_are_not_part_of_the_header(con, landing):
    (landing / "penalties" / "bom.csv").write_bytes(csv_text([HEADER, *pen_rows(1)]).encode("utf-8-sig"))

    ingest(con, landing, "penalties")

    assert raw_rows(con)[0]["party_name"] == valid_record("penalties", 1)["party_name"]
    balanced(con)


def test_a_nul_character_sends_its_row_to_quarantine(con, landing):
    table = pen_rows(1, 2, 3)
    table[1][FIELDS.index("violation_facts")] = "虚假\x00宣传"
    write_csv(landing / "penalties" / "nul.csv", HEADER, table)

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/nul.csv") == {2: ["penalties.file.nul_character"]}
    assert [r["decision_doc_no"] for r in raw_rows(con)] == [doc_no(1), doc_no(3)]
    assert not any("\x00" in json.dumps(r, default=str) for r in raw_rows(con))
    balanced(con)


def test_ten_thousand_character_cells_and_a_line_over_the_limit(con, landing):
    table = pen_rows(1, 2, 3)
    table[0][FIELDS.index("violation_facts")] = "长" * 10_000
    table[1][FIELDS.index("violation_facts")] = "x" * 11_000_000  # over the 10 MB line limit
    write_csv(landing / "penalties" / "long.csv", HEADER, table)

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/long.csv") == {2: ["penalties.file.malformed_csv_row"]}
    got = raw_rows(con)
    assert [r["decision_doc_no"] for r in got] == [doc_no(1), doc_no(3)]
    assert got[0]["violation_facts"] == "长" * 10_000
    balanced(con)


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_headers_with_quotes_sql_line_breaks_and_ten_thousand_characters_are_plain_names(
    con, landing, line_end
):
    odd = ['a"b', "'); DROP TABLE ingest_files; --", "多行\n表头", "h" * 10_000, "$file_seq", "c0"]
    # a line break inside a known header is folded away like any other white space, whatever
    # the file's own line ends are
    header = [*HEADER[:-1], HEADER[-1][:1] + "\r\n" + HEADER[-1][1:], *odd]
    write_csv(
        landing / "penalties" / "h.csv",
        header,
        [[*r, *(f"v{i}" for i in range(len(odd)))] for r in pen_rows(1, 2)],
        line_end=line_end,
        quoting=csv.QUOTE_ALL,
    )

    ingest(con, landing, "penalties")

    got = raw_rows(con)
    assert [r["_row_number"] for r in got] == [1, 2]
    assert got[0][FIELDS[-1]] == valid_record("penalties", 1)[FIELDS[-1]]
    assert json.loads(got[0]["_extra"]) == {h: f"v{i}" for i, h in enumerate(odd)}
    assert got[0]["_file_seq"] == files(con)["penalties/h.csv"]["file_seq"]
    balanced(con)


def test_sql_in_values_comes_through_as_plain_data(con, landing):
    table = pen_rows(1, 2)
    table[0][FIELDS.index("party_name")] = SQL_VALUE
    table[1][FIELDS.index("penalty_content")] = "Robert'); DROP TABLE raw_penalties;--"
    table[1][FIELDS.index("violation_facts")] = "$sha256 $path {table} %s ?"
    write_csv(landing / "penalties" / "sql.csv", HEADER, table)

    ingest(con, landing, "penalties")
    balanced(con)

    got = rows(con, "SELECT party_name, penalty_content, violation_facts FROM penalties ORDER BY _row_number")
    assert got[0]["party_name"] == SQL_VALUE
    assert got[1]["penalty_content"] == "Robert'); DROP TABLE raw_penalties;--"
    assert got[1]["violation_facts"] == "$sha256 $path {table} %s ?"
    assert rows(con, "SELECT count(*) AS n FROM ingest_files")[0]["n"] == 1


# ---------------------------------------------------------------------------------------------
# XLSX


def test_formula_cells_are_never_evaluated_nor_their_cached_result_taken(con, landing):
    table: list[list] = pen_rows(1, 2, 3)
    table[1][FIELDS.index("violation_facts")] = Formula(DDE, cached=CACHED)
    table[2][FIELDS.index("violation_facts")] = DDE  # the same text in a text cell is data
    header = [*HEADER, Formula('=HYPERLINK("http://example.invalid","点我")', cached=CACHED)]
    write_xlsx(landing / "penalties" / "f.xlsx", header, [[*r, "1"] for r in table])

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/f.xlsx") == {2: ["penalties.file.formula_cell"]}
    (record,) = [json.loads(r["record"]) for r in rows(con, "SELECT record FROM quarantine_rows")]
    assert record[HEADER[FIELDS.index("violation_facts")]] == DDE
    got = raw_rows(con)
    assert [r["decision_doc_no"] for r in got] == [doc_no(1), doc_no(3)]
    assert got[1]["violation_facts"] == DDE
    assert json.loads(got[0]["_extra"]) == {'=HYPERLINK("http://example.invalid","点我")': "1"}
    dump = json.dumps(rows(con, "SELECT * FROM raw_penalties"), default=str) + json.dumps(
        rows(con, "SELECT * FROM quarantine_rows"), default=str
    )
    assert CACHED not in dump
    balanced(con)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _forge_sizes(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in the zip's local header and central directory."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            name_len = struct.unpack_from(
                "<H", data, at + offset + 4 if signature == b"PK\x03\x04" else at + 28
            )[0]
            if data[at + name_at : at + name_at + name_len] == name:
                struct.pack_into("<I", data, at + offset, size)
            at += 4
    path.write_bytes(bytes(data))


@pytest.fixture
def opened_members(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Zip members anybody opened (to show that a refused archive was never inflated)."""
    seen: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        seen.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return seen


def test_a_zip_bomb_is_refused_before_anything_is_inflated(con, landing, opened_members):
    _zip(
        landing / "penalties" / "bomb.xlsx",
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<" + b" " * 60_000_000 + b">"},
    )

    opened_members.clear()  # writing the archive opened its members; reading it must not
    ingest(con, landing, "penalties")

    f = files(con)["penalties/bomb.xlsx"]
    assert f["status"] == "refused" and "zip bomb" in f["reason"]
    assert opened_members == []
    balanced(con)


def test_an_archive_declaring_more_than_the_limit_is_refused_unread(con, landing, opened_members):
    path = _zip(landing / "penalties" / "huge.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet/>"})
    _forge_sizes(path, "xl/worksheets/sheet1.xml", 3 * 1024**3)
    opened_members.clear()

    ingest(con, landing, "penalties")

    f = files(con)["penalties/huge.xlsx"]
    assert f["status"] == "refused" and "would inflate" in f["reason"]
    assert opened_members == []
    balanced(con)


def test_an_archive_that_lies_about_its_size_stops_at_the_declared_size(con, landing):
    path = write_xlsx(landing / "penalties" / "liar.xlsx", HEADER, pen_rows(*range(1, 200)))
    _forge_sizes(path, "xl/worksheets/sheet1.xml", 2_000)  # far less than it inflates to

    ingest(con, landing, "penalties")

    f = files(con)["penalties/liar.xlsx"]
    assert f["status"] == "refused" and "XLSX" in f["reason"], f
    balanced(con)


def test_an_xml_entity_bomb_in_a_sheet_is_refused(con, landing):
    path = write_xlsx(landing / "penalties" / "lol.xlsx", HEADER, pen_rows(1))
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    entities = (
        '<!DOCTYPE lolz [<!ENTITY lol0 "lollollollollollollollol">'
        + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
        + "]>"
    )
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("?>", "?>" + entities, 1).replace(
        "<sheetData>", '<sheetData><row r="9"><c r="A9" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1
    )
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    _zip(path, members)

    ingest(con, landing, "penalties")

    f = files(con)["penalties/lol.xlsx"]
    assert f["status"] == "refused" and "XLSX" in f["reason"], f
    balanced(con)


# ---------------------------------------------------------------------------------------------
# JSONL


def test_json_values_of_the_wrong_type(con, landing):
    base = dict(zip(HEADER, pen_rows(1)[0], strict=True))
    name = HEADER[FIELDS.index("party_name")]
    fine = HEADER[FIELDS.index("fine_amount_wan")]
    lines = [
        base,
        {**base, name: ["武汉", "公司"]},  # 2: a list where text belongs
        {**base, name: {"名称": "公司"}},  # 3: an object
        {**base, name: True},  # 4: true/false
        {**base, fine: 0.2},  # 5: a number where an amount belongs: fine
        {**base, name: None},  # 6: null is an empty cell
        {**base, "附加": {"嵌套": [1, 2]}, "标志": False},  # 7: structures outside the contract are kept
        '{"a": "\\ud800"}',  # 8: a lone surrogate: not valid JSON text
        json.dumps({**base, name: "x\u0000y"}),  # 9: a NUL character
        "[" * 50_000 + "]" * 50_000,  # 10: nested deep, and not an object
        '{"k": 1e999, "k2": 123456789012345678901234567890}',  # 11: numbers beyond any float
        "",  # 12: a blank line keeps its place
        "{not json",  # 13
    ]
    write_jsonl(landing / "penalties" / "types.jsonl", lines)

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/types.jsonl") == {
        2: ["penalties.file.structured_value"],
        3: ["penalties.file.structured_value"],
        4: ["penalties.file.structured_value"],
        8: ["penalties.file.malformed_jsonl_line"],
        9: ["penalties.file.nul_character"],
        10: ["penalties.file.jsonl_not_an_object"],
        13: ["penalties.file.malformed_jsonl_line"],
    }
    got = {r["_row_number"]: r for r in raw_rows(con)}
    assert sorted(got) == [1, 5, 6, 7, 11]
    assert got[5]["fine_amount_wan"] == "0.2"
    assert got[6]["party_name"] is None
    assert json.loads(got[7]["_extra"])["附加"] == '{"嵌套":[1,2]}'
    assert json.loads(got[11]["_extra"])["k2"] == "123456789012345678901234567890"
    balanced(con)


# ---------------------------------------------------------------------------------------------
# names and links


def test_file_names_with_line_breaks_foreign_bytes_controls_and_glob_patterns(con, landing):
    folder = landing / "penalties"
    write_csv(folder / "a\nb.csv", HEADER, pen_rows(1))
    gbk = os.fsencode(folder) + b"/\xc5\xfa\xb4\xce.csv"  # 批次 in GBK: not UTF-8
    with open(gbk, "wb") as fh:
        fh.write(csv_text([HEADER, *pen_rows(2)]).encode())
    write_csv(folder / "invoice\u202ecsv.exe.csv", HEADER, pen_rows(3))  # a right-to-left override
    write_csv(folder / "*.csv", HEADER, pen_rows(4))  # DuckDB would read every CSV beside it
    write_csv(folder / "[ab].csv", HEADER, pen_rows(5))
    write_csv(folder / "a.csv", HEADER, pen_rows(6))
    write_csv(folder / "..csv", HEADER, pen_rows(7))  # hidden: not a delivery yet
    write_jsonl(folder / "?.jsonl", [dict(zip(HEADER, pen_rows(8)[0], strict=True))])
    write_jsonl(folder / "b.jsonl", [dict(zip(HEADER, pen_rows(9)[0], strict=True))])

    summary = ingest(con, landing, "penalties")

    assert summary.refused == {}
    got = files(con)
    assert set(got) == {
        "penalties/a\\x0ab.csv",
        "penalties/\\xc5\\xfa\\xb4\\xce.csv",
        "penalties/invoice\\u202ecsv.exe.csv",
        "penalties/*.csv",
        "penalties/[ab].csv",
        "penalties/a.csv",
        "penalties/?.jsonl",
        "penalties/b.jsonl",
    }
    assert all(p.isprintable() for p in got)
    by_file = {r["_path"]: r["decision_doc_no"] for r in raw_rows(con)}
    assert by_file == {
        "penalties/a\\x0ab.csv": doc_no(1),
        "penalties/\\xc5\\xfa\\xb4\\xce.csv": doc_no(2),
        "penalties/invoice\\u202ecsv.exe.csv": doc_no(3),
        "penalties/*.csv": doc_no(4),  # its own row only, not its neighbours'
        "penalties/[ab].csv": doc_no(5),
        "penalties/a.csv": doc_no(6),
        "penalties/?.jsonl": doc_no(8),
        "penalties/b.jsonl": doc_no(9),
    }
    assert len(raw_rows(con)) == 8
    balanced(con)


def test_links_out_of_the_tree_fifos_and_traversal_are_refused_and_never_opened(tmp_path, opened):
    landing = tmp_path / "landing"
    outside = tmp_path / "outside"
    secret = write_csv(outside / "secret.csv", HEADER, pen_rows(66))
    write_csv(outside / "inner" / "also.csv", HEADER, pen_rows(67))
    folder = landing / "penalties"
    write_csv(folder / "good.csv", HEADER, pen_rows(1))
    (folder / "abs-link.csv").symlink_to(secret)
    (folder / "rel-link.csv").symlink_to(Path("..") / ".." / "outside" / "secret.csv")
    (folder / "dir-link").symlink_to(outside / "inner", target_is_directory=True)
    (folder / "deep").mkdir()
    (folder / "deep" / "up.csv").symlink_to(Path("..") / ".." / ".." / "outside" / "secret.csv")
    (folder / "inside-link.csv").symlink_to(folder / "good.csv")  # links are never followed at all
    (folder / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    os.mkfifo(folder / "pipe.csv")  # opening it would block the run for ever
    for ds in INCOMING_DATASETS:
        (landing / ds).mkdir(parents=True, exist_ok=True)
    (landing / "repairs").rmdir()
    (landing / "repairs").symlink_to(outside, target_is_directory=True)
    warehouse = tmp_path / "wh"
    opened.clear()  # from here on, only what the ingest opens

    with configure_con(warehouse / "w.duckdb") as con2:
        for ds in INCOMING_DATASETS:
            ingest_dataset(con2, landing, ds, "run-1", AS_OF)
        by_path = files(con2)
        refused = {p: r["reason"] for p, r in by_path.items() if r["status"] == "refused"}
        assert set(refused) == {
            "penalties/abs-link.csv",
            "penalties/rel-link.csv",
            "penalties/dir-link",
            "penalties/deep/up.csv",
            "penalties/inside-link.csv",
            "penalties/dangling.csv",
            "penalties/pipe.csv",
            "repairs",
        }
        assert "not a regular file" in refused["penalties/pipe.csv"]
        assert all("link" in r for p, r in refused.items() if p != "penalties/pipe.csv")
        assert [r["decision_doc_no"] for r in raw_rows(con2)] == [doc_no(1)]
        balanced(con2)

    assert outside_reads(opened, landing, warehouse) == []
    assert not [p for p in opened if p.startswith(str(outside))]


class configure_con:
    """A warehouse file opened the pipeline's way, with the ingest schema (a context manager)."""

    def __init__(self, path: Path):
        from warehouse.db import connect

        self._cm = connect(path)

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        con = self._cm.__enter__()
        ensure_schema(con, INCOMING_DATASETS)
        return con

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_a_file_swapped_for_a_link_after_the_walk_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    landing = tmp_path / "landing"
    secret = write_csv(tmp_path / "outside" / "secret.csv", HEADER, pen_rows(66))
    victim = write_csv(landing / "penalties" / "a.csv", HEADER, pen_rows(1))
    write_csv(landing / "penalties" / "b.csv", HEADER, pen_rows(2))
    real_discover = ingest_module.discover

    def discover_then_swap(root, dataset):
        found = real_discover(root, dataset)
        victim.unlink()
        victim.symlink_to(secret)  # between the walk and the read
        return found

    monkeypatch.setattr(ingest_module, "discover", discover_then_swap)
    opened.clear()
    with configure_con(tmp_path / "wh" / "w.duckdb") as con:
        first = ingest_dataset(con, landing, "penalties", "run-1", AS_OF)
        assert first.skipped_changing == ["penalties/a.csv"]
        assert [r["decision_doc_no"] for r in raw_rows(con)] == [doc_no(2)]
        monkeypatch.setattr(ingest_module, "discover", real_discover)
        second = ingest_dataset(con, landing, "penalties", "run-2", AS_OF)
        assert "symbolic link" in second.refused["penalties/a.csv"]
        balanced(con)
    assert str(secret) not in opened
    assert outside_reads(opened, landing, tmp_path / "wh") == []


def test_pin_refuses_a_name_that_became_a_link_or_left_the_tree(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_csv(landing / "penalties" / "a.csv", HEADER, pen_rows(1))
    (lf,) = landing_module.discover(landing, "penalties")
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(landing_module.DeliveryMoved), landing_module.pin(lf, landing):
        pass
    path.unlink()
    with pytest.raises(landing_module.DeliveryMoved, match="removed"), landing_module.pin(lf, landing):
        pass


# ---------------------------------------------------------------------------------------------
# properties


def _fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    configure(con)
    ensure_schema(con, INCOMING_DATASETS)
    return con


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    cells=st.lists(st.tuples(st.sampled_from(FIELDS), TEXT), min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_cell_text_is_kept_exactly_or_its_row_quarantined(cells, encoding, line_end):
    table = pen_rows(1, 2)
    for field, text in cells:
        table[1][FIELDS.index(field)] = text
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        buf = io.StringIO()
        # every field quoted: a bare CR in an unquoted field would be a line end to any reader
        csv.writer(buf, lineterminator=line_end, quoting=csv.QUOTE_ALL).writerows([HEADER, *table])
        (landing / "penalties").mkdir(parents=True)
        try:
            (landing / "penalties" / "p.csv").write_bytes(buf.getvalue().encode(encoding))
        except UnicodeEncodeError:
            return  # not every character has a GB18030 code: such a file cannot exist
        con = _fresh()
        try:
            summary = ingest_dataset(con, landing, "penalties", "prop", AS_OF)
            assert summary.refused == {}, summary.refused
            got = {r["_row_number"]: r for r in raw_rows(con)}
            bad = quarantined(con, "penalties/p.csv")
            # a later cell of the same field replaces an earlier one: judge what was written
            if any("\x00" in (cell or "") for cell in table[1]):
                assert bad == {2: ["penalties.file.nul_character"]}
            else:
                assert bad == {}
                for field in {f for f, _ in cells}:
                    value = table[1][FIELDS.index(field)]
                    assert got[2][field] == (value if value != "" else None), field
            assert got[1]["decision_doc_no"] == doc_no(1)
            balanced(con, ("penalties",))
        finally:
            con.close()


@PROPERTY
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=3), min_size=3, max_size=3),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_row_numbers_are_positions_in_the_file_around_empty_lines(gaps, line_end, encoding):
    """gaps[i] empty lines before record i: its row number counts them, as a spreadsheet would."""
    lines = [csv_text([row]).removesuffix("\n") for row in [HEADER, *pen_rows(1, 2, 3)]]
    body = lines[0] + line_end
    expected, position = [], 0
    for gap, line in zip(gaps, lines[1:], strict=True):
        body += line_end * gap + line + line_end
        position += gap + 1
        expected.append(position)
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        (landing / "penalties").mkdir(parents=True)
        (landing / "penalties" / "p.csv").write_bytes(body.encode(encoding))
        con = _fresh()
        try:
            ingest_dataset(con, landing, "penalties", "prop", AS_OF)
            got = {r["decision_doc_no"]: r["_row_number"] for r in raw_rows(con)}
            assert [got[doc_no(n)] for n in (1, 2, 3)] == expected
            balanced(con, ("penalties",))
        finally:
            con.close()


@PROPERTY
@given(tail=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".jsonl", ".xlsx"]))
def test_arbitrary_bytes_are_refused_or_quarantined_never_a_crash(tail, suffix):
    head = csv_text([HEADER, *pen_rows(1)]).encode() if suffix == ".csv" else b""
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        (landing / "penalties").mkdir(parents=True)
        (landing / "penalties" / f"x{suffix}").write_bytes(head + tail)
        con = _fresh()
        try:
            summary = ingest_dataset(con, landing, "penalties", "prop", AS_OF)
            (f,) = files(con).values()
            assert f["status"] in ("ingested", "refused")
            if f["status"] == "refused":
                assert f["reason"] and summary.refused
            balanced(con, ("penalties",))
        finally:
            con.close()


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@PROPERTY
@given(
    lines=st.lists(
        st.one_of(
            st.dictionaries(st.sampled_from(HEADER[:6]) | TEXT, JSON_VALUES, max_size=6),
            TEXT.filter(lambda t: "\n" not in t and "\r" not in t),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_json_line_is_a_raw_row_or_a_quarantined_one(lines):
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        write_jsonl(landing / "penalties" / "x.jsonl", lines)
        con = _fresh()
        try:
            summary = ingest_dataset(con, landing, "penalties", "prop", AS_OF)
            if summary.refused:  # e.g. more distinct keys than a delivery may have
                (reason,) = summary.refused.values()
                assert reason
            else:
                bad = quarantined(con, "penalties/x.jsonl")
                mapped = set(HEADER[:6])
                for n, line in enumerate(lines, start=1):
                    if isinstance(line, dict) and any(
                        k in mapped and isinstance(v, list | dict | bool) for k, v in line.items()
                    ):
                        assert n in bad, (n, line, bad)  # as a structure, or for a NUL it holds
                        assert n not in {r["_row_number"] for r in raw_rows(con)}
            balanced(con, ("penalties",))
        finally:
            con.close()


UNPRINTABLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


@PROPERTY
@given(
    stem=st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b),
    suffix=st.sampled_from([b"", b".csv"]),
)
def test_any_file_name_is_recorded_printably(stem, suffix):
    name = stem + suffix
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        (landing / "penalties").mkdir(parents=True)
        if name in (b".", b".."):
            return
        path = os.fsencode(landing / "penalties") + b"/" + name
        try:
            with open(path, "wb") as fh:
                fh.write(csv_text([HEADER, *pen_rows(1)]).encode())
        except OSError:
            return  # longer than the file system allows
        con = _fresh()
        try:
            ingest_dataset(con, landing, "penalties", "prop", AS_OF)
            recorded = list(files(con))
            if name.startswith(b"."):
                assert recorded == []
            else:
                (rel,) = recorded
                assert rel.startswith("penalties/")
                assert not [c for c in rel if unicodedata.category(c) in UNPRINTABLE], rel
            balanced(con, ("penalties",))
        finally:
            con.close()


# ---------------------------------------------------------------------------------------------
# the whole run


def test_a_run_over_a_hostile_tree_publishes_and_reads_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    """Every attack above in one landing tree, through Dagster: refusals and quarantined rows,
    never a failed run, and the data that is plain text published as plain text."""
    import pyarrow.parquet as pq
    from test_faults import assert_books, tiny_landing

    from pipelines.run import run_partition

    landing, outside = tmp_path / "landing", tmp_path / "outside"
    tiny_landing(landing, bad_penalty=False)
    secret = write_csv(outside / "secret.csv", HEADER, pen_rows(66))
    folder = landing / "penalties" / "2026-11-22"
    table = pen_rows(301, 302, 303)
    table[0][FIELDS.index("party_name")] = SQL_VALUE
    table[1][FIELDS.index("violation_facts")] = "虚假\x00宣传"
    write_csv(folder / "*.csv", HEADER, table)
    xlsx_rows: list[list] = pen_rows(311, 312)
    xlsx_rows[1][FIELDS.index("penalty_content")] = Formula(DDE, cached=CACHED)
    write_xlsx(folder / "dde.xlsx", HEADER, xlsx_rows)
    name = HEADER[FIELDS.index("party_name")]
    write_jsonl(
        folder / "types.jsonl",
        [dict(zip(HEADER, r, strict=True)) for r in pen_rows(321)] + [{name: ["a"]}, "{not json"],
    )
    with open(os.fsencode(folder) + b"/\xc5\xfa\xb4\xce.csv", "wb") as fh:
        fh.write(csv_text([HEADER, *pen_rows(331)]).encode())
    (folder / "utf16.csv").write_bytes(csv_text([HEADER, *pen_rows(341)]).encode("utf-16"))
    _zip(folder / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b" " * 20_000_000})
    (folder / "link.csv").symlink_to(secret)
    (folder / "up").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.csv")
    data = tmp_path / "data"
    point_in_process_run(monkeypatch, landing, data / "w.duckdb", data / "publish", data / "reports")
    opened.clear()

    outcome = run_partition(AS_OF)

    assert outcome.success, outcome.reason
    assert not [p for p in opened if p.startswith(str(outside))]
    latest = release.read_latest(data / "publish")
    assert_books(data / "w.duckdb", data / "publish", latest["release_id"])
    with configure_con(data / "w.duckdb") as con:
        by_path = {p.rsplit("/", 1)[-1]: r for p, r in files(con).items() if "2026-11-22" in p}
    assert {n for n, r in by_path.items() if r["status"] == "refused"} == {
        "utf16.csv",
        "bomb.xlsx",
        "link.csv",
        "up",
        "pipe.csv",
    }
    assert {n: r["rows_quarantined"] for n, r in by_path.items() if r["status"] == "validated"} == {
        "*.csv": 1,  # the NUL row
        "dde.xlsx": 1,  # the formula row
        "types.jsonl": 2,  # the list, the broken line
        "\\xc5\\xfa\\xb4\\xce.csv": 0,
    }
    penalties = pq.read_table(data / "publish" / latest["release"] / "penalties.parquet").to_pylist()
    assert SQL_VALUE in {r["party_name"] for r in penalties}
    assert {valid_record("penalties", n)["decision_doc_no"] for n in (301, 303, 311, 321, 331)} <= {
        r["decision_doc_no"] for r in penalties
    }
    assert CACHED not in json.dumps(penalties, default=str) and DDE not in json.dumps(penalties, default=str)
