"""The plain-sheet reader of XLSX (`readers._plain_sheet_rows`) gives what openpyxl gives.

Every case is read twice, by openpyxl cell by cell (`_collect_openpyxl`) and by the plain
reader (`_collect_plain`), and the header, the columns, the row numbers and the rejects must
be the same; `_read_xlsx` itself must give the same `_incoming` / `_rejects` either way. A sheet
the plain reader does not take (a formula, a boolean, an error cell, rich text...) must be
handed to openpyxl: `_plain_sheet_rows` returns None for it.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import readers
from warehouse.readers import FileRefused


def _both(path: Path):
    """(openpyxl's result, the plain reader's result or None when it hands the sheet over)."""

    def run(plain: bool):
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()
            if plain:
                rows = readers._plain_sheet_rows(wb, ws)
                if rows is None:
                    return None
                return readers._collect_plain(rows)
            return readers._collect_openpyxl(ws)
        except FileRefused as exc:
            return ("refused", str(exc))
        finally:
            wb.close()

    return run(False), run(True)


def _assert_same(path: Path, *, plain: bool = True):
    slow, fast = _both(path)
    if not plain:
        assert fast is None, "the plain reader must hand this sheet to openpyxl"
        return slow
    assert fast is not None, "the plain reader should take this sheet"
    assert fast == slow
    return slow


def _tables(path: Path, monkeypatch: pytest.MonkeyPatch, plain: bool):
    con = duckdb.connect()
    if not plain:
        monkeypatch.setattr(readers, "_plain_sheet_rows", lambda wb, ws: None)
    try:
        result = readers.read_file(con, path, "xlsx")
    finally:
        monkeypatch.undo()
    incoming = con.execute("SELECT * FROM _incoming ORDER BY _row_number").fetchall()
    names = [d[0] for d in con.description]
    rejects = con.execute("SELECT _row_number, rule, record FROM _rejects ORDER BY 1").fetchall()
    return result, names, incoming, rejects


def _assert_read_file_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _tables(path, monkeypatch, True) == _tables(path, monkeypatch, False)


# ---------------------------------------------------------------------------------------------
# hand-made sheets


def _openpyxl_book(path: Path, rows: dict[tuple[int, int], object], number_formats=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for (r, c), v in rows.items():
        cell = ws.cell(row=r, column=c, value=v)
        if number_formats and (r, c) in number_formats:
            cell.number_format = number_formats[(r, c)]
    wb.save(path)
    return path


def _xlsxwriter_book(path: Path, write, **options) -> Path:
    wb = xlsxwriter.Workbook(str(path), options)
    ws = wb.add_worksheet("data")
    write(wb, ws)
    wb.add_worksheet("other").write_string(0, 0, "not read")
    wb.close()
    return path


ALL_KINDS = {
    (1, 1): "id",
    (1, 2): "名称",
    (1, 3): " 日期 ",
    (1, 4): "amount",
    (1, 5): None,
    (1, 6): "tail",
    (2, 1): 5,
    (2, 2): "中文 text",
    (2, 3): dt.datetime(2024, 1, 2),
    (2, 4): 5.0,
    (3, 1): 12345678901234567890,
    (3, 2): "  leading and trailing  ",
    (3, 3): dt.datetime(2024, 1, 2, 3, 4, 5),
    (3, 4): 0.1,
    (5, 1): 2**53 + 1,
    (5, 2): "a & b < c > d \"q\" 'a'",
    (5, 3): dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    (5, 4): 1e-05,
    (6, 3): dt.date(2024, 5, 6),
    (6, 4): -0.0,
    (7, 3): dt.time(12, 30),
    (7, 4): 1 / 3,
    (8, 3): dt.time(0, 0, 1, 500000),
    (8, 4): 1e20,
    (9, 3): dt.timedelta(days=1, hours=2),
    (9, 4): -42,
    (10, 8): "beyond the header",
    (11, 2): "line\nbreak",
    (12, 2): "",
    (13, 1): "0755",
    (13, 2): "5.0",
    (13, 3): "110101199003077777",
    (14, 2): "emoji 😀 and \u3000 ideographic space",
}


def test_every_kind_of_value_from_openpyxl(tmp_path, monkeypatch):
    path = _openpyxl_book(tmp_path / "kinds.xlsx", ALL_KINDS)
    slow = _assert_same(path)
    assert slow[2] == [1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13]  # empty rows skipped but counted
    _assert_read_file_same(path, monkeypatch)


def test_every_kind_of_value_from_xlsxwriter(tmp_path, monkeypatch):
    def write(wb, ws):
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        time = wb.add_format({"num_format": "hh:mm:ss"})
        duration = wb.add_format({"num_format": "[h]:mm:ss"})
        money = wb.add_format({"num_format": "#,##0.00"})
        ws.write_row(0, 0, ["id", "name", "date", "amount", "", "", ""])
        ws.write_number(1, 0, 7)
        ws.write_string(1, 1, "  spaced  ")
        ws.write_datetime(1, 2, dt.datetime(2023, 3, 4), date)
        ws.write_number(1, 3, 1234.5, money)
        ws.write_number(2, 0, 12345678901234567890)
        ws.write_datetime(2, 2, dt.datetime(2023, 3, 4, 5, 6, 7), stamp)
        ws.write_number(2, 3, 0.000012345)
        ws.write_datetime(4, 2, dt.datetime(1899, 12, 31, 6, 0), time)
        ws.write_number(4, 3, 1.5, duration)
        ws.write_string(4, 6, "under no header")
        ws.write_string(5, 1, "")  # xlsxwriter writes a blank cell
        ws.write_blank(6, 1, None, money)
        ws.write_number(7, 0, 3.14159265358979)
        ws.write_string(8, 1, "全角　空格 and 中文")
        ws.write_number(9, 3, 1e300)
        ws.write_number(10, 3, 45000, date)

    path = _xlsxwriter_book(tmp_path / "xw.xlsx", write)
    _assert_same(path)
    _assert_read_file_same(path, monkeypatch)
    path = _xlsxwriter_book(tmp_path / "xw-inline.xlsx", write, constant_memory=True)
    _assert_same(path)
    _assert_read_file_same(path, monkeypatch)


def test_leading_empty_rows_and_columns(tmp_path, monkeypatch):
    # no header in row 1: refused the same way
    path = _openpyxl_book(tmp_path / "rows.xlsx", {(3, 2): "id", (4, 2): "x"})
    assert _assert_same(path)[0] == "refused"
    # an empty first column, empty rows between
    path = _openpyxl_book(
        tmp_path / "cols.xlsx", {(1, 3): "id", (1, 4): "name", (5, 3): "a", (9, 4): "b", (9, 1): 1}
    )
    slow = _assert_same(path)
    assert slow[0] == ["", "", "id", "name"] and slow[2] == [4, 8]
    _assert_read_file_same(path, monkeypatch)


def test_too_many_columns_is_refused_the_same(tmp_path):
    path = _openpyxl_book(tmp_path / "wide.xlsx", {(1, 1): "id", (3, readers.MAX_COLUMNS + 1): "x"})
    assert _assert_same(path)[0] == "refused"
    path = _openpyxl_book(tmp_path / "wide-header.xlsx", {(1, readers.MAX_COLUMNS + 1): "h"})
    assert _assert_same(path)[0] == "refused"


def test_wrong_stored_dimension(tmp_path, monkeypatch):
    path = _openpyxl_book(tmp_path / "dim.xlsx", {(1, 1): "id", (1, 2): "v", (2, 1): 1, (30, 5): "far"})
    _rewrite_sheet(path, lambda xml: xml.replace(b'<dimension ref="A1:E30" />', b'<dimension ref="A1:B2" />'))
    slow = _assert_same(path)
    assert slow[2] == [1, 29]
    _assert_read_file_same(path, monkeypatch)


def test_a_formula_goes_to_openpyxl_and_its_row_to_quarantine(tmp_path, monkeypatch):
    path = _openpyxl_book(
        tmp_path / "formula.xlsx", {(1, 1): "id", (1, 2): "v", (2, 1): 1, (3, 1): 2, (3, 2): "=A3*2"}
    )
    slow = _assert_same(path, plain=False)
    assert [r[1] for r in slow[3]] == ["file.formula_cell"]
    _, _, incoming, rejects = _tables(path, monkeypatch, True)
    assert [r[0] for r in incoming] == [1] and [r[:2] for r in rejects] == [(2, "file.formula_cell")]
    # a prefixed formula element, as some writers name the main namespace
    path = _openpyxl_book(tmp_path / "x-f.xlsx", {(1, 1): "id", (2, 1): 1})
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(
            b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        ).replace(b'<c r="A2" t="n"><v>1</v></c>', b'<c r="A2"><x:f>1+1</x:f><v>2</v></c>'),
    )
    assert _assert_same(path, plain=False)[3][0][1] == "file.formula_cell"


@pytest.mark.parametrize(
    "cells",
    [
        b'<c r="A2" t="b"><v>1</v></c>',  # boolean
        b'<c r="A2" t="e"><v>#N/A</v></c>',  # error
        b'<c r="A2" t="str"><v>text</v></c>',  # a formula's string result without the formula
        b'<c r="A2" t="d"><v>2024-01-02T03:04:05</v></c>',  # ISO date cell
        b'<c r="A2" t="inlineStr"><is><r><t>rich</t></r><r><t> text</t></r></is></c>',
        b'<c r="A2" t="inlineStr"><is><t>phonetic</t><rPh sb="0" eb="1"><t>x</t></rPh></is></c>',
        b'<c r="A2" t="inlineStr"><is><t>cr\r\nlf</t></is></c>',
        b'<c r="A2" t="inlineStr"><is><t><![CDATA[cdata]]></t></is></c>',
        b'<c r="A2" cm="1"><v>1</v></c>',  # another attribute
        b'<c r="B2"><v>1</v></c><c r="A2"><v>2</v></c>',  # columns out of order
        b'<c r="A3"><v>1</v></c>',  # a cell naming another row
        b"<c><v>1</v></c>",  # no reference
        b'<c r="A2"><v>1</v></c><foo><v>5</v></foo>',  # an element openpyxl takes for a cell
    ],
)
def test_cells_the_plain_reader_hands_to_openpyxl(tmp_path, monkeypatch, cells):
    path = _openpyxl_book(tmp_path / "odd.xlsx", {(1, 1): "id", (1, 2): "v", (2, 1): 0})
    _rewrite_sheet(path, lambda xml: _replace_row(xml, 2, cells))
    _assert_same(path, plain=False)
    _assert_read_file_same(path, monkeypatch)


def test_rows_out_of_order_and_cells_outside_rows_go_to_openpyxl(tmp_path):
    path = _openpyxl_book(tmp_path / "rows.xlsx", {(1, 1): "id", (2, 1): 1, (3, 1): 2})
    _rewrite_sheet(
        path,
        lambda xml: xml.replace(b'<row r="3">', b'<row r="2">').replace(b'r="A3"', b'r="A2"'),
    )
    _assert_same(path, plain=False)
    path = _openpyxl_book(tmp_path / "outside.xlsx", {(1, 1): "id", (2, 1): 1})
    _rewrite_sheet(
        path, lambda xml: xml.replace(b"</row></sheetData>", b'</row><c r="B2"><v>1</v></c></sheetData>')
    )
    _assert_same(path, plain=False)


def test_entities_and_character_references_in_inline_strings(tmp_path, monkeypatch):
    path = _openpyxl_book(tmp_path / "ent.xlsx", {(1, 1): "id", (2, 1): "x"})
    _rewrite_sheet(
        path,
        lambda xml: _replace_row(
            xml,
            2,
            b'<c r="A2" t="inlineStr"><is><t xml:space="preserve"> &amp;&lt;&gt;&quot;&apos;&#20013;&#x6587;&#13;&#10; </t></is></c>'
            b'<c r="B2" t="inlineStr"><is><t></t></is></c><c r="C2" t="inlineStr"></c><c r="D2" s="0"/>'
            b'<c r="E2"><v></v></c><c r="F2" t="n"><v> 12 </v></c>',
        ),
    )
    _assert_same(path)
    _assert_read_file_same(path, monkeypatch)


def test_a_broken_sheet_is_refused_with_openpyxl_message(tmp_path, monkeypatch):
    path = _openpyxl_book(tmp_path / "broken.xlsx", {(1, 1): "id", (2, 1): "x"})
    _rewrite_sheet(path, lambda xml: xml.replace(b"</sheetData>", b"</sheetData><mergeCells><mergeCell/>"))
    with pytest.raises(FileRefused) as fast:
        _tables(path, monkeypatch, True)
    with pytest.raises(FileRefused) as slow:
        _tables(path, monkeypatch, False)
    assert str(fast.value) == str(slow.value)


# ---------------------------------------------------------------------------------------------
# random values


_values = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        max_size=12,
    ),
    st.sampled_from(["", " ", "0", "007", "5.0", "1e5", "-0", "true", "#N/A", "&amp;", "a\nb"]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1900, 3, 1)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.dictionaries(st.tuples(st.integers(1, 8), st.integers(1, 6)), _values, min_size=1, max_size=30),
    writer=st.sampled_from(["openpyxl", "xlsxwriter", "xlsxwriter-inline"]),
)
def test_random_cells_read_the_same(tmp_path_factory, cells, writer):
    path = tmp_path_factory.mktemp("random") / "r.xlsx"
    if writer == "openpyxl":
        try:
            _openpyxl_book(path, {k: v for k, v in cells.items()})
        except (openpyxl.utils.exceptions.IllegalCharacterError, ValueError):
            return
    else:

        def write(wb, ws):
            date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
            for (r, c), v in cells.items():
                if isinstance(v, dt.date):
                    ws.write_datetime(r - 1, c - 1, v, date)
                elif isinstance(v, int | float) and abs(v) < 1e300:
                    ws.write_number(r - 1, c - 1, v)
                elif isinstance(v, str):
                    ws.write_string(r - 1, c - 1, v)

        _xlsxwriter_book(path, write, constant_memory=writer.endswith("inline"))
    slow, fast = _both(path)
    if fast is not None:
        assert fast == slow


# ---------------------------------------------------------------------------------------------
# the real samples


@pytest.fixture(scope="module")
def sample_xlsx(tmp_path_factory) -> list[Path]:
    """Every XLSX the sample generator writes for a small city (its date cells, numbers, text)."""
    from sample_data.generate import generate

    root = tmp_path_factory.mktemp("sample") / "landing"
    generate(root, scale=0.02, seed=20261125)
    return sorted(root.rglob("*.xlsx"))


def test_sample_files_read_the_same(sample_xlsx):
    assert sample_xlsx
    for path in sample_xlsx:
        slow, fast = _both(path)
        assert fast is not None and fast == slow, path


# ---------------------------------------------------------------------------------------------
# helpers


def _rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                new = change(data)
                assert new != data, "the rewrite changed nothing"
                data = new
            zf.writestr(info, data)


def _replace_row(xml: bytes, row: int, cells: bytes) -> bytes:
    start = xml.index(b'<row r="%d"' % row)
    start = xml.index(b">", start) + 1
    end = xml.index(b"</row>", start)
    return xml[:start] + cells + xml[end:]
