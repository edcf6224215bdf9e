"""The ingest stage on real files in a temp landing tree and a real DuckDB warehouse file.

Covers every file type and encoding, header spellings, value spellings, the sha256 duplicate
rule, refused files, lineage and row numbers, the per-file quarantine threshold, and the
accounting invariant rows_read = rows_accepted + rows_quarantined after every step.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import (
    AS_OF,
    RUN_ID,
    ExcelDate,
    Formula,
    assert_accounting,
    files,
    header_row,
    ingest,
    make_ric,
    make_uscc,
    quarantined,
    rows,
    stage_and_promote,
    valid_record,
    write_csv,
    write_jsonl,
    write_records,
    write_xlsx,
    write_xlsx_openpyxl,
)

from data_contracts import incoming_contract
from warehouse import ingest as ingest_module
from warehouse import validate
from warehouse.landing import detect_encoding

PEN_FIELDS = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]


def pen_rows(*numbers: int, **overrides: str) -> list[list[str]]:
    """Valid penalty rows (in PEN_FIELDS order), with the same overrides in each."""
    return [[{**valid_record("penalties", n), **overrides}.get(f) for f in PEN_FIELDS] for n in numbers]


def raw(con, dataset: str = "penalties", order: str = "_file_seq, _row_number") -> list[dict]:
    return rows(con, f"SELECT * FROM raw_{dataset} ORDER BY {order}")


def validated(con, dataset: str = "penalties") -> list[dict]:
    return rows(con, f"SELECT * FROM {dataset} ORDER BY _file_seq, _row_number")


# --------------------------------------------------------------------------------------------
# CSV encodings

# 𠮷 (U+20BB7) takes four bytes in GB18030 and 䶮 (U+4DAE) is outside GBK: a GBK-only decoder
# cannot read this name.
BEYOND_GBK_NAME = "武汉𠮷祥䶮记餐饮店"


@pytest.mark.parametrize(
    ("encoding", "recorded", "name"),
    [
        ("utf-8", "utf-8", BEYOND_GBK_NAME),
        ("utf-8-sig", "utf-8-sig", BEYOND_GBK_NAME),
        ("gb18030", "gb18030", BEYOND_GBK_NAME),
        ("gbk", "gb18030", "武汉市江岸区老字号热干面馆"),
    ],
)
def test_csv_encodings_are_detected_and_read_exactly(con, landing, encoding, recorded, name):
    assert len("𠮷".encode("gb18030")) == 4
    with pytest.raises(UnicodeEncodeError):
        BEYOND_GBK_NAME.encode("gbk")
    path = write_csv(
        landing / "penalties" / "2026-11-25" / f"{encoding}.csv",
        header_row("penalties", PEN_FIELDS),
        pen_rows(1, 2, party_name=name, violation_facts="多行\n事实，含“引号”"),
        encoding=encoding,
    )
    assert detect_encoding(path) == recorded

    summary = ingest(con, landing, "penalties")

    assert summary.files_ingested == 1 and not summary.refused
    (f,) = files(con).values()
    assert (f["encoding"], f["status"], f["rows_read"], f["rows_quarantined"]) == (recorded, "ingested", 2, 0)
    got = raw(con)
    # party_name is the first column: with a BOM it is only found if the BOM is taken off
    assert [r["party_name"] for r in got] == [name, name]
    assert [r["violation_facts"] for r in got] == ["多行\n事实，含“引号”"] * 2
    assert [r["party_uscc"] for r in got] == [make_uscc(1), make_uscc(2)]
    assert_accounting(con)


def test_undecodable_csv_is_refused_with_a_reason(con, landing):
    (landing / "penalties" / "broken.csv").write_bytes(b"\xe8\xa1\x8c\xe6\x94\xbf,x\n\x80\xff\x80\xff,1\n")
    write_csv(landing / "penalties" / "good.csv", header_row("penalties", PEN_FIELDS), pen_rows(1))

    summary = ingest(con, landing, "penalties")

    by_path = files(con)
    assert by_path["penalties/broken.csv"]["status"] == "refused"
    assert "neither valid UTF-8 nor valid GB18030" in by_path["penalties/broken.csv"]["reason"]
    assert by_path["penalties/good.csv"]["status"] == "ingested"
    assert set(summary.refused) == {"penalties/broken.csv"}
    assert [r["_path"] for r in raw(con)] == ["penalties/good.csv"]
    assert_accounting(con)


@pytest.mark.parametrize("line_ends", ["crlf", "mixed", "cr"])
def test_csv_line_ends(con, landing, line_ends):
    header = header_row("penalties", PEN_FIELDS)
    path = write_csv(landing / "penalties" / "a.csv", header, pen_rows(1, 2, 3), line_end="\r\n")
    if line_ends == "mixed":
        # files put together from a Windows and a Unix export
        data = path.read_bytes()
        cut = data.index(b"\r\n", data.index(b"\r\n") + 2)
        path.write_bytes(data[:cut] + data[cut:].replace(b"\r\n", b"\n"))
    if line_ends == "cr":  # "CSV (Macintosh)" from Excel
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))

    ingest(con, landing, "penalties")

    got = raw(con)
    assert [r["_row_number"] for r in got] == [1, 2, 3]
    assert [r["current_status"] for r in got] == ["正常"] * 3  # the last column carries no \r
    assert_accounting(con)


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_empty_lines_keep_their_place_whatever_the_line_ends(con, landing, line_end):
    """Row numbers are positions in the file, as a spreadsheet shows them, for every line end."""
    header = header_row("penalties", PEN_FIELDS)
    path = write_csv(landing / "penalties" / "a.csv", header, pen_rows(1, 2), line_end=line_end)
    end = line_end.encode()
    head, first, second = path.read_bytes().split(end)[:3]
    path.write_bytes(end.join([head, end[:0], first, end[:0], end[:0], second, b""]))

    ingest(con, landing, "penalties")

    assert [r["_row_number"] for r in raw(con)] == [2, 5]
    assert_accounting(con)


# --------------------------------------------------------------------------------------------
# XLSX


def test_xlsx_first_sheet_only_with_excel_dates_and_serials(con, landing):
    fields = ["decision_doc_no", "decision_date", "fine_amount_wan", "disclosure_until"]
    serial = (date(2026, 3, 5) - date(1899, 12, 30)).days
    assert serial == 46086
    base = valid_record("penalties", 1)
    others = [f for f in PEN_FIELDS if f not in fields]
    header = header_row("penalties", fields + others)

    def row(n, decision, fine, until):
        rec = valid_record("penalties", n)
        return [rec["decision_doc_no"], decision, fine, until] + [rec[f] for f in others]

    write_xlsx(
        landing / "penalties" / "a.xlsx",
        header,
        [
            row(1, ExcelDate(date(2026, 3, 5)), 0.25, ExcelDate(date(2099, 12, 31))),
            row(2, serial, 12, "2099/12/31"),  # a serial as a number cell
            row(3, str(serial), "0.2", str(serial + 365)),  # a serial as a text cell
            row(4, "2026/03/05", 1.5, "20270305"),
        ],
        second_sheet=[header, row(99, "2026-01-01", 1, "2027-01-01")],
    )

    ingest(con, landing, "penalties")
    got = raw(con)
    assert [r["decision_doc_no"] for r in got] == [
        valid_record("penalties", n)["decision_doc_no"] for n in (1, 2, 3, 4)
    ]
    assert got[0]["decision_date"] == "2026-03-05"  # a date cell arrives as an ISO date
    assert got[1]["decision_date"] == str(serial)
    assert got[1]["fine_amount_wan"] == "12"  # a whole number cell reads as 12, not 12.0

    summary, promoted = stage_and_promote(con, "penalties")
    assert promoted == 4, summary.by_rule
    v = validated(con)
    assert [r["decision_date"] for r in v] == [date(2026, 3, 5)] * 4
    assert [r["disclosure_until"] for r in v] == [
        date(2099, 12, 31),
        date(2099, 12, 31),
        date(2027, 3, 5),
        date(2027, 3, 5),
    ]
    assert [r["fine_amount_wan"] for r in v] == [
        Decimal("0.25"),
        Decimal("12"),
        Decimal("0.2"),
        Decimal("1.5"),
    ]
    assert base["party_name"] == v[0]["party_name"]
    assert_accounting(con)


CACHED = 987654.321  # the result a formula claims; it must never reach a table


def test_xlsx_formula_row_goes_to_quarantine_and_its_cached_value_is_never_used(con, landing):
    header = [*header_row("penalties", PEN_FIELDS), "备注"]
    fine_col = PEN_FIELDS.index("fine_amount_wan")
    sheet = [[*r, None] for r in pen_rows(*range(1, 13))]  # 2 formula rows in 12: under the threshold
    sheet[1][fine_col] = Formula("=7*111111", cached=CACHED)
    sheet[3][-1] = Formula('=CONCATENATE("甲","乙")', cached="缓存结果")  # in a free-text column too
    write_xlsx(landing / "penalties" / "f.xlsx", header, sheet)

    ingest(con, landing, "penalties")

    path = "penalties/f.xlsx"
    assert quarantined(con, path) == {2: ["penalties.file.formula_cell"], 4: ["penalties.file.formula_cell"]}
    f = files(con)[path]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == (12, 10, 2)
    assert [r["_row_number"] for r in raw(con)] == [1, 3, *range(5, 13)]
    record = json.loads(rows(con, "SELECT record FROM quarantine_rows WHERE row_number = 2")[0]["record"])
    assert record["罚款金额(万元)"] == "=7*111111"  # the formula as written, not evaluated
    assert record["_formula_cells"] == ["罚款金额(万元)"]

    stage_and_promote(con, "penalties")
    everything = json.dumps(
        [
            rows(con, "SELECT * FROM raw_penalties"),
            rows(con, "SELECT * FROM penalties"),
            rows(con, "SELECT * FROM quarantine_rows"),
        ],
        default=str,
        ensure_ascii=False,
    )
    for leaked in ("987654", "缓存结果", "777777", "甲乙"):
        assert leaked not in everything
    assert len(validated(con)) == 10
    assert_accounting(con)


def test_xlsx_formula_without_cached_value_and_array_formula(con, landing, tmp_path):
    header = header_row("penalties", PEN_FIELDS)
    fine_col = PEN_FIELDS.index("fine_amount_wan")
    rows_ = pen_rows(1, 2)
    rows_[0][fine_col] = "=1+1"
    write_xlsx_openpyxl(landing / "penalties" / "o.xlsx", header, rows_)

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(landing / "penalties" / "array.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, header)
    for r, row in enumerate(pen_rows(3, 4), start=1):
        ws.write_row(r, 0, row)
    ws.write_array_formula(1, fine_col, 1, fine_col, "{=SUM(1,2)}", None, CACHED)
    wb.close()

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/o.xlsx") == {1: ["penalties.file.formula_cell"]}
    assert quarantined(con, "penalties/array.xlsx") == {1: ["penalties.file.formula_cell"]}
    records = [json.loads(r["record"]) for r in rows(con, "SELECT record FROM quarantine_rows ORDER BY path")]
    assert sorted(r["罚款金额(万元)"] for r in records) == ["=1+1", "=SUM(1,2)"]
    assert [(r["_path"], r["_row_number"]) for r in raw(con)] == [
        ("penalties/array.xlsx", 2),
        ("penalties/o.xlsx", 2),
    ]
    assert_accounting(con)


def _set_dimension(path: Path, ref: str) -> None:
    """Rewrite the sheet's stored <dimension>, as some writers get it wrong."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data)
            dst.writestr(info, data)
    tmp.replace(path)


def test_xlsx_with_a_wrong_stored_dimension_is_read_whole(con, landing):
    path = write_xlsx(
        landing / "penalties" / "dim.xlsx", header_row("penalties", PEN_FIELDS), pen_rows(1, 2, 3, 4, 5)
    )
    _set_dimension(path, "A1:B2")

    ingest(con, landing, "penalties")

    got = raw(con)
    assert [r["_row_number"] for r in got] == [1, 2, 3, 4, 5]
    assert got[-1]["current_status"] == "正常"  # the last column too, far beyond B
    assert_accounting(con)


def test_xlsx_values_under_no_header_and_empty_rows(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    write_xlsx(
        landing / "penalties" / "x.xlsx",
        header,
        [[*pen_rows(1)[0], "孤值"], [None] * len(header), pen_rows(2)[0]],
    )

    ingest(con, landing, "penalties")

    got = raw(con)
    assert [r["_row_number"] for r in got] == [1, 3]  # the empty sheet row keeps its place
    assert json.loads(got[0]["_extra"]) == {f"column_{len(header) + 1}": "孤值"}
    assert_accounting(con)


def test_xlsx_that_is_not_a_zip_is_refused(con, landing):
    (landing / "penalties" / "fake.xlsx").write_text(
        "行政相对人名称,行政相对人类别\n甲,乙\n", encoding="utf-8"
    )
    (landing / "penalties" / "bomb.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    write_csv(landing / "penalties" / "good.csv", header_row("penalties", PEN_FIELDS), pen_rows(1))

    ingest(con, landing, "penalties")

    by_path = files(con)
    for name in ("fake.xlsx", "bomb.xlsx"):
        f = by_path[f"penalties/{name}"]
        assert f["status"] == "refused"
        assert "not a valid XLSX (zip) file" in f["reason"]
        assert f["rows_read"] == 0
    assert by_path["penalties/good.csv"]["status"] == "ingested"
    assert_accounting(con)


# --------------------------------------------------------------------------------------------
# JSONL


def test_jsonl_numbers_as_json_numbers_and_as_strings(con, landing):
    header = dict(zip(PEN_FIELDS, header_row("penalties", PEN_FIELDS, "code"), strict=True))
    as_numbers = {header[k]: v for k, v in valid_record("penalties", 1).items()}
    as_numbers.update({"CF_NR_FK": 0.2, "CF_JDRQ": 20260305, "CF_NR_WFFF": 0, "CF_GSJZQ": 46451})
    as_strings = {header[k]: v for k, v in valid_record("penalties", 2).items()}
    as_strings.update({"CF_NR_FK": "0.2", "CF_JDRQ": "20260305", "CF_NR_WFFF": "0", "CF_GSJZQ": "46451"})
    write_jsonl(landing / "penalties" / "api.jsonl", [as_numbers, as_strings])

    ingest(con, landing, "penalties")
    got = raw(con)
    assert [(r["fine_amount_wan"], r["decision_date"]) for r in got] == [("0.2", "20260305")] * 2

    _, promoted = stage_and_promote(con, "penalties")
    assert promoted == 2
    v = validated(con)
    assert [r["fine_amount_wan"] for r in v] == [Decimal("0.2")] * 2
    assert [r["confiscation_amount_wan"] for r in v] == [Decimal("0")] * 2
    assert [r["decision_date"] for r in v] == [date(2026, 3, 5)] * 2
    assert [r["disclosure_until"] for r in v] == [date(2027, 3, 5)] * 2
    assert_accounting(con)


def test_jsonl_malformed_and_non_object_lines_are_quarantined(con, landing):
    good = {h: v for h, v in zip(header_row("penalties", PEN_FIELDS), pen_rows(1)[0], strict=True)}
    good2 = {h: v for h, v in zip(header_row("penalties", PEN_FIELDS), pen_rows(2)[0], strict=True)}
    write_jsonl(
        landing / "penalties" / "feed.jsonl",
        [good, "", '{"CF_XDR_MC": "甲", ', "[1, 2]", '"只是一个字符串"', "42", good2, "   "],
    )

    ingest(con, landing, "penalties")

    path = "penalties/feed.jsonl"
    assert quarantined(con, path) == {
        3: ["penalties.file.malformed_jsonl_line"],
        4: ["penalties.file.jsonl_not_an_object"],
        5: ["penalties.file.jsonl_not_an_object"],
        6: ["penalties.file.jsonl_not_an_object"],
    }
    assert [r["_row_number"] for r in raw(con)] == [1, 7]  # line numbers; blank lines keep their place
    f = files(con)[path]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == (6, 2, 4)
    record = json.loads(rows(con, "SELECT record FROM quarantine_rows WHERE row_number = 3")[0]["record"])
    assert record == {"line": '{"CF_XDR_MC": "甲", '}
    assert_accounting(con)


def test_jsonl_with_byte_order_mark_and_crlf(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    lines = [json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False) for r in pen_rows(1, 2)]
    (landing / "penalties" / "bom.jsonl").write_bytes(
        ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    )

    ingest(con, landing, "penalties")

    assert [r["_row_number"] for r in raw(con)] == [1, 2]
    assert [r["current_status"] for r in raw(con)] == ["正常", "正常"]
    assert quarantined(con, "penalties/bom.jsonl") == {}


def test_jsonl_not_in_utf8_is_refused(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    write_jsonl(
        landing / "penalties" / "gbk.jsonl",
        [dict(zip(header, pen_rows(1)[0], strict=True))],
        encoding="gb18030",
    )

    ingest(con, landing, "penalties")

    f = files(con)["penalties/gbk.jsonl"]
    assert f["status"] == "refused"
    assert "must be UTF-8" in f["reason"]
    assert raw(con) == []


# --------------------------------------------------------------------------------------------
# headers


@pytest.mark.parametrize("style", ["chinese", "code", "snake", "messy"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_header_spellings_map_to_the_same_fields(con, landing, style, suffix):
    record = {**valid_record("penalties", 1), "party_id_type": "身份证", "remarks": "备注内容"}
    write_records(landing / "penalties" / f"h{suffix}", "penalties", [record], style=style)

    ingest(con, landing, "penalties")

    (got,) = raw(con)
    assert {k: got[k] for k in record} == record
    assert got["_extra"] is None


def test_fullwidth_parentheses_stray_spaces_and_bare_uscc_header(con, landing):
    header = [
        " 行政相对人名称 ",
        "统一社会信用代码",
        "罚款金额（万元）",
        "行政相对人代码_2（工商注册号）",
        "处罚 决定 日期",
    ]
    write_csv(
        landing / "penalties" / "a.csv",
        header,
        [["甲公司", make_uscc(7), "0.5", "420100000123456", "2026-01-02"]],
    )

    ingest(con, landing, "penalties")

    (got,) = raw(con)
    assert (
        got["party_name"],
        got["party_uscc"],
        got["fine_amount_wan"],
        got["party_reg_no"],
        got["decision_date"],
    ) == (
        "甲公司",
        make_uscc(7),
        "0.5",
        "420100000123456",
        "2026-01-02",
    )


def test_unknown_columns_are_kept_in_extra_and_ignored_after(con, landing):
    header = [*header_row("penalties", PEN_FIELDS), "ID", "CREATE_USER", "", "ID"]
    write_csv(
        landing / "penalties" / "a.csv",
        header,
        [[*r, "10086", "系统管理员", "空头列", "重复"] for r in pen_rows(1)],
    )

    ingest(con, landing, "penalties")

    (got,) = raw(con)
    extra = json.loads(got["_extra"])
    n = len(PEN_FIELDS)
    assert extra == {
        "ID": "10086",
        "CREATE_USER": "系统管理员",
        f"column_{n + 3}": "空头列",
        f"ID#{n + 4}": "重复",
    }
    stage_and_promote(con, "penalties")
    columns = {
        r["column_name"]
        for r in rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'penalties'"
        )
    }
    assert not columns & {"_extra", "ID", "CREATE_USER"}
    assert len(validated(con)) == 1


def test_a_field_given_by_two_columns_takes_the_first_value_and_keeps_the_other(con, landing):
    """罚款金额（万元） and its code CF_NR_FK both map to fine_amount_wan: the field takes the first
    value that is not a placeholder, and the other column stays in _extra, since nothing read is
    lost (the second value was dropped before, even from the raw layer)."""
    header = [*header_row("penalties", PEN_FIELDS), "CF_NR_FK"]
    write_csv(
        landing / "penalties" / "a.csv",
        header,
        [[*pen_rows(1, fine_amount_wan="0.2")[0], "5"], [*pen_rows(2, fine_amount_wan="--")[0], "7"]],
    )

    ingest(con, landing, "penalties")

    first, second = raw(con)
    assert (first["fine_amount_wan"], json.loads(first["_extra"])) == ("0.2", {"CF_NR_FK": "5"})
    assert (second["fine_amount_wan"], json.loads(second["_extra"])) == ("7", {"CF_NR_FK": "7"})


def test_a_second_identity_number_column_is_not_kept_in_clear(con, landing):
    """An identity number may leave the raw layer only as a keyed hash, and `_extra` goes into a
    quarantined row's record as it is: a second column of a hashed field (证件号码 and its code
    CF_XDR_ZJHM) is not kept in `_extra` (a review found the clear number in quarantine_rows)."""
    fields = [*PEN_FIELDS, *(["party_id_no"] if "party_id_no" not in PEN_FIELDS else [])]
    number = make_ric(7)
    record = {**valid_record("penalties", 1), "party_id_no": number, "fine_amount_wan": "not a number"}
    write_csv(
        landing / "penalties" / "a.csv",
        [*header_row("penalties", fields), "CF_XDR_ZJHM"],
        [[*(record.get(f) for f in fields), number]],
    )

    ingest(con, landing, "penalties")
    stage_and_promote(con, "penalties")

    (got,) = raw(con)
    assert got["_extra"] is None
    (quarantined,) = rows(con, "SELECT record FROM quarantine_rows")
    assert number not in quarantined["record"]


# --------------------------------------------------------------------------------------------
# values


PLACEHOLDERS = ["— —", "--", "无", "/", "", " ／ ", "——"]


def test_placeholders_become_null_in_the_validated_table(con, landing):
    optional = [
        "legal_rep",
        "party_reg_no",
        "suspended_license",
        "fine_amount_wan",
        "disclosure_until",
        "remarks",
    ]
    records = [
        {**valid_record("penalties", n), **{f: p for f in optional}}
        for n, p in enumerate(PLACEHOLDERS, start=1)
    ]
    write_records(landing / "penalties" / "p.csv", "penalties", records)

    ingest(con, landing, "penalties")
    _, promoted = stage_and_promote(con, "penalties")

    assert promoted == len(PLACEHOLDERS)
    for r in validated(con):
        assert {f: r[f] for f in optional} == dict.fromkeys(optional)
    assert_accounting(con)


def test_date_spellings_and_no_expiry(con, landing):
    spellings = {
        "2026-02-01": date(2026, 2, 1),
        "2026/02/01": date(2026, 2, 1),
        "20260201": date(2026, 2, 1),
        "46054": date(2026, 2, 1),
        "2026-2-1": date(2026, 2, 1),
        " 2026-02-01 ": date(2026, 2, 1),
        "2026年2月1日": date(2026, 2, 1),
        "2026-02-01 09:30:00": date(2026, 2, 1),
    }
    assert (date(2026, 2, 1) - date(1899, 12, 30)).days == 46054
    no_expiry = ["2099-12-31", "2099/12/31", "20991231"]
    records = []
    for n, spelling in enumerate(spellings, start=1):
        records.append(
            {
                **valid_record("permits", n),
                "decision_date": spelling,
                "valid_from": spelling,
                "valid_to": no_expiry[n % 3],
            }
        )
    write_records(landing / "permits" / "d.csv", "permits", records)

    ingest(con, landing, "permits")
    _, promoted = stage_and_promote(con, "permits")

    assert promoted == len(spellings)
    v = validated(con, "permits")
    assert [r["decision_date"] for r in v] == list(spellings.values())
    assert [r["valid_from"] for r in v] == list(spellings.values())
    assert {r["valid_to"] for r in v} == {date(2099, 12, 31)}


def test_amounts_with_decimals_and_categories_split_on_both_semicolons(con, landing):
    cases = [
        ("0.2", "罚款;警告", ["罚款", "警告"]),
        ("12.345678", "罚款；没收违法所得", ["罚款", "没收违法所得"]),
        ("1,234.5", " 警告 ； 罚款 ;", ["警告", "罚款"]),
        ("0", "警告", ["警告"]),
        ("０.５", "责令停产停业；吊销营业执照;罚款", ["责令停产停业", "吊销营业执照", "罚款"]),
    ]
    records = [
        {**valid_record("penalties", n), "fine_amount_wan": amount, "penalty_categories": cats}
        for n, (amount, cats, _) in enumerate(cases, start=1)
    ]
    write_records(landing / "penalties" / "a.csv", "penalties", records)

    ingest(con, landing, "penalties")
    _, promoted = stage_and_promote(con, "penalties")

    assert promoted == len(cases)
    v = validated(con)
    assert [r["fine_amount_wan"] for r in v] == [
        Decimal("0.2"),
        Decimal("12.345678"),
        Decimal("1234.5"),
        Decimal("0"),
        Decimal("0.5"),
    ]
    assert [r["penalty_categories"] for r in v] == [c[2] for c in cases]


# --------------------------------------------------------------------------------------------
# the duplicate-file rule


def test_same_bytes_renamed_are_recorded_once_as_duplicate(con, landing):
    original = write_csv(
        landing / "penalties" / "2026-11-01" / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1, 2)
    )
    shutil.copy(original, landing / "penalties" / "2026-11-01" / "b.csv")  # same run

    first = ingest(con, landing, "penalties")
    (landing / "penalties" / "2026-11-25").mkdir()
    shutil.copy(original, landing / "penalties" / "2026-11-25" / "renamed.csv")  # a later run
    second = ingest(con, landing, "penalties", run_id="run-2")
    third = ingest(con, landing, "penalties", run_id="run-3")

    assert first.duplicates == ["penalties/2026-11-01/b.csv"]
    assert second.duplicates == ["penalties/2026-11-25/renamed.csv"]
    assert (third.duplicates, third.files_ingested) == ([], 0)
    by_path = files(con)
    assert [p for p, f in by_path.items() if f["status"] == "duplicate"] == [
        "penalties/2026-11-01/b.csv",
        "penalties/2026-11-25/renamed.csv",
    ]
    for dup in ("penalties/2026-11-01/b.csv", "penalties/2026-11-25/renamed.csv"):
        assert "penalties/2026-11-01/a.csv" in by_path[dup]["reason"]
        assert by_path[dup]["rows_read"] == 0
    assert len(rows(con, "SELECT * FROM ingest_files")) == 3
    assert [r["_path"] for r in raw(con)] == ["penalties/2026-11-01/a.csv"] * 2
    stage_and_promote(con, "penalties")
    assert len(validated(con)) == 2
    assert_accounting(con)


def test_same_file_at_the_same_path_again_adds_nothing(con, landing):
    write_csv(landing / "penalties" / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1, 2))
    ingest(con, landing, "penalties")
    stage_and_promote(con, "penalties")

    again = ingest(con, landing, "penalties", run_id="run-2")
    summary, promoted = stage_and_promote(con, "penalties", run_id="run-2")

    assert (again.files_ingested, again.duplicates, again.refused) == (0, [], {})
    assert len(rows(con, "SELECT * FROM ingest_files")) == 1
    assert len(raw(con)) == 2 and len(validated(con)) == 2
    assert (summary.files, promoted) == (0, 0)
    assert_accounting(con)


def test_changed_bytes_at_the_same_path_are_a_new_delivery(con, landing):
    path = write_csv(landing / "penalties" / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1, 2))
    ingest(con, landing, "penalties")
    stage_and_promote(con, "penalties")

    write_csv(
        path, header_row("penalties", PEN_FIELDS), pen_rows(1, 2, 3, penalty_content="罚款0.3万元（更正）")
    )
    again = ingest(con, landing, "penalties", run_id="run-2")
    _, promoted = stage_and_promote(con, "penalties", run_id="run-2")

    assert again.files_ingested == 1
    deliveries = rows(con, "SELECT sha256, status, rows_read FROM ingest_files ORDER BY file_seq")
    assert [(d["status"], d["rows_read"]) for d in deliveries] == [("validated", 2), ("validated", 3)]
    assert deliveries[0]["sha256"] != deliveries[1]["sha256"]
    assert promoted == 3
    assert [r["penalty_content"] for r in validated(con)] == ["罚款0.2万元"] * 2 + ["罚款0.3万元（更正）"] * 3
    assert_accounting(con)


# --------------------------------------------------------------------------------------------
# refused files


def test_refused_files_have_a_reason_and_the_rest_is_ingested(con, landing, tmp_path, monkeypatch):
    ds = landing / "penalties"
    header = header_row("penalties", PEN_FIELDS)
    write_csv(ds / "good.csv", header, pen_rows(1, 2))
    (ds / "notes.txt").write_text("说明", encoding="utf-8")
    (ds / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    (ds / "noext").write_text("x", encoding="utf-8")
    outside = tmp_path / "outside"
    secret = write_csv(outside / "secret.csv", header, pen_rows(50))
    write_csv(outside / "inner" / "also.csv", header, pen_rows(51))
    (ds / "link.csv").symlink_to(secret)
    (ds / "linked_dir").symlink_to(outside / "inner", target_is_directory=True)
    (ds / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (ds / ".uploading.csv").write_text("partial", encoding="utf-8")  # hidden: not a delivery yet

    seen: list[Path] = []
    real_sha, real_read, real_prepare = (
        ingest_module.sha256_of,
        ingest_module.read_file,
        ingest_module.prepare,
    )

    def spy_sha(path):
        seen.append(Path(path))
        return real_sha(path)

    def spy_read(con_, path, *rest):
        seen.append(Path(path))
        return real_read(con_, path, *rest)

    def spy_prepare(lf, *args, **kwargs):  # the pass one file ahead, on its helper thread
        seen.append(lf.path)
        return real_prepare(lf, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "sha256_of", spy_sha)
    monkeypatch.setattr(ingest_module, "read_file", spy_read)
    monkeypatch.setattr(ingest_module, "prepare", spy_prepare)

    summary = ingest(con, landing, "penalties")

    by_path = files(con)
    expected = {
        "penalties/notes.txt": "unsupported file type '.txt'",
        "penalties/old.xls": "unsupported file type '.xls'",
        "penalties/noext": "unsupported file type '(none)'",
        "penalties/link.csv": "symbolic link",
        "penalties/linked_dir": "symbolic link to a folder",
        "penalties/dangling.csv": "symbolic link",
    }
    assert set(by_path) == {*expected, "penalties/good.csv"}
    for path, reason in expected.items():
        assert by_path[path]["status"] == "refused"
        assert reason in by_path[path]["reason"]
        assert by_path[path]["sha256"] == "-"  # never hashed: never read
    assert set(summary.refused) == set(expected)
    assert by_path["penalties/good.csv"]["status"] == "ingested"
    assert {p.name for p in seen} == {"good.csv"}
    assert all(outside not in p.resolve().parents for p in seen)
    assert [r["_path"] for r in raw(con)] == ["penalties/good.csv"] * 2

    again = ingest(con, landing, "penalties", run_id="run-2")
    assert len(files(con)) == len(expected) + 1  # refusals are recorded once
    assert again.files_ingested == 0
    stage_and_promote(con, "penalties")
    assert_accounting(con)


def test_a_symlinked_dataset_folder_is_refused(con, tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    outside = tmp_path / "elsewhere"
    write_csv(outside / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1))
    (landing / "penalties").symlink_to(outside, target_is_directory=True)

    summary = ingest(con, landing, "penalties")

    assert "symbolic link" in summary.refused["penalties"]
    assert raw(con) == []


# --------------------------------------------------------------------------------------------
# accounting, lineage and row numbers


EXTRA = {
    "penalties/1.csv": range(101, 107),
    "penalties/2.xlsx": range(111, 117),
    "penalties/3.jsonl": range(121, 127),
}


def _lineage_tree(landing: Path) -> dict[tuple[str, int], int]:
    """One file of each type with every kind of gap between records, padded with valid rows so
    that no file goes over the quarantine threshold; returns the expected row number of every
    accepted record by (path, n)."""
    header = header_row("penalties", PEN_FIELDS)
    a, b, c = pen_rows(1, 2, 3)
    b[PEN_FIELDS.index("violation_facts")] = "第一行\n第二行\r\n第三行"
    path = write_csv(
        landing / "penalties" / "1.csv",
        header,
        [a, b, ["短行", "只有两列"], c, *pen_rows(*EXTRA["penalties/1.csv"])],
    )
    lines = path.read_bytes().split(b"\n")
    # an empty line before c: the file is now a, b (three lines), short, (empty), c, extras
    cut = lines.index(next(ln for ln in lines if ln.startswith("短行".encode())))
    path.write_bytes(b"\n".join([*lines[: cut + 1], b"", *lines[cut + 1 :]]))

    d, e, f = pen_rows(4, 5, 6)
    f[PEN_FIELDS.index("fine_amount_wan")] = Formula("=1", cached=1)
    write_xlsx(
        landing / "penalties" / "2.xlsx",
        header,
        [d, [None] * len(header), f, e, *pen_rows(*EXTRA["penalties/2.xlsx"])],
    )

    g, h = pen_rows(7, 8)
    write_jsonl(
        landing / "penalties" / "3.jsonl",
        [
            dict(zip(header, g, strict=True)),
            "",
            "{not json",
            dict(zip(header, h, strict=True)),
            *[dict(zip(header, r, strict=True)) for r in pen_rows(*EXTRA["penalties/3.jsonl"])],
        ],
    )
    expected = {
        ("penalties/1.csv", 1): 1,
        ("penalties/1.csv", 2): 2,  # its quoted line breaks do not start records
        ("penalties/1.csv", 3): 5,  # after the malformed record and the empty line
        ("penalties/2.xlsx", 4): 1,
        ("penalties/2.xlsx", 5): 4,  # after an empty sheet row and a formula row
        ("penalties/3.jsonl", 7): 1,
        ("penalties/3.jsonl", 8): 4,  # after a blank line and a malformed one
    }
    for path_, numbers in EXTRA.items():
        first = 6 if path_.endswith(".csv") else 5
        expected.update({(path_, n): first + i for i, n in enumerate(numbers)})
    return expected


def test_lineage_and_row_numbers_match_record_positions(con, landing):
    expected = _lineage_tree(landing)

    ingest(con, landing, "penalties")

    by_path = files(con)
    number_of = {valid_record("penalties", n)["decision_doc_no"]: n for _, n in expected}
    got = {(r["_path"], number_of[r["decision_doc_no"]]): r for r in raw(con)}
    assert {k: r["_row_number"] for k, r in got.items()} == expected
    assert got[("penalties/1.csv", 2)]["violation_facts"] == "第一行\n第二行\r\n第三行"
    assert quarantined(con, "penalties/1.csv") == {3: ["penalties.file.malformed_csv_row"]}
    assert quarantined(con, "penalties/2.xlsx") == {3: ["penalties.file.formula_cell"]}
    assert quarantined(con, "penalties/3.jsonl") == {3: ["penalties.file.malformed_jsonl_line"]}
    for (path, _), r in got.items():
        f = by_path[path]
        assert (r["_file_seq"], r["_file_sha256"], r["_run_id"]) == (f["file_seq"], f["sha256"], RUN_ID)
    lineage = rows(con, "SELECT path, row_number, file_seq, file_sha256, run_id FROM quarantine_rows")
    for q in lineage:
        f = by_path[q["path"]]
        assert (q["file_seq"], q["file_sha256"], q["run_id"]) == (f["file_seq"], f["sha256"], RUN_ID)
    assert_accounting(con)

    stage_and_promote(con, "penalties")
    v = {(r["_path"], number_of[r["decision_doc_no"]]): r["_row_number"] for r in validated(con)}
    assert v == expected
    assert_accounting(con)


def test_malformed_csv_record_is_one_quarantine_row_whatever_its_errors(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    write_csv(
        landing / "penalties" / "a.csv",
        header,
        [*pen_rows(1, 2), ["只有一列"], [*pen_rows(3)[0], "多", "余"], *pen_rows(4)],
    )

    ingest(con, landing, "penalties")

    assert quarantined(con, "penalties/a.csv") == {
        3: ["penalties.file.malformed_csv_row"],
        4: ["penalties.file.malformed_csv_row"],
    }
    assert [r["_row_number"] for r in raw(con)] == [1, 2, 5]
    f = files(con)["penalties/a.csv"]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == (5, 3, 2)
    record = json.loads(rows(con, "SELECT record FROM quarantine_rows WHERE row_number = 3")[0]["record"])
    assert record["line"] == "只有一列" and record["errors"]
    assert_accounting(con)


def test_accounting_invariant_after_ingest_stage_and_promote(con, landing):
    _lineage_tree(landing)
    many = pen_rows(*range(10, 20))
    many[3][PEN_FIELDS.index("party_uscc")] = "91420100MA4K00000X"  # wrong check character
    write_csv(landing / "penalties" / "4.csv", header_row("penalties", PEN_FIELDS), many)
    write_records(landing / "permits" / "p.csv", "permits", [valid_record("permits", n) for n in range(1, 4)])
    (landing / "permits" / "bad.txt").write_text("x", encoding="utf-8")

    for ds in ("penalties", "permits"):
        ingest(con, landing, ds)
    assert_accounting(con)
    for ds in ("penalties", "permits"):
        validate.stage(con, ds, RUN_ID, AS_OF)
        assert_accounting(con)
        validate.promote(con, ds)
        assert_accounting(con)
    statuses = {p: f["status"] for p, f in files(con).items()}
    assert statuses["penalties/4.csv"] == "validated"
    assert files(con)["penalties/4.csv"]["rows_quarantined"] == 1
    assert statuses["permits/bad.txt"] == "refused"


# --------------------------------------------------------------------------------------------
# the per-file quarantine threshold


def test_a_file_over_the_quarantine_threshold_is_held_whole(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    threshold = incoming_contract("penalties").quarantine_threshold
    assert threshold == pytest.approx(0.2)
    bad = pen_rows(*range(1, 11))
    for i in (0, 4, 7):  # 30% of the rows fail
        bad[i][PEN_FIELDS.index("party_type")] = "企业"
    write_csv(landing / "penalties" / "bad.csv", header, bad)
    fine = pen_rows(*range(11, 21))
    fine[2][PEN_FIELDS.index("party_type")] = "企业"  # 10%: under the threshold
    write_csv(landing / "penalties" / "fine.csv", header, fine)

    ingest(con, landing, "penalties")
    summary, promoted = stage_and_promote(con, "penalties")

    held_rule = "penalties.file.quarantine_threshold_exceeded"
    by_path = files(con)
    held = by_path["penalties/bad.csv"]
    assert (held["status"], held["rows_read"], held["rows_accepted"], held["rows_quarantined"]) == (
        "held",
        10,
        0,
        10,
    )
    assert (
        "over the contract threshold" in held["reason"]
        and "penalties.party_type.allowed_values" in held["reason"]
    )
    assert set(summary.held_files) == {"penalties/bad.csv"}
    q = quarantined(con, "penalties/bad.csv")
    assert set(q) == set(range(1, 11))
    for n, failed in q.items():
        expected = ["penalties.party_type.allowed_values", held_rule] if n in (1, 5, 8) else [held_rule]
        assert failed == expected
    other = by_path["penalties/fine.csv"]
    assert (other["status"], other["rows_accepted"], other["rows_quarantined"]) == ("validated", 9, 1)
    assert quarantined(con, "penalties/fine.csv") == {3: ["penalties.party_type.allowed_values"]}
    assert promoted == 9
    assert {r["_path"] for r in validated(con)} == {"penalties/fine.csv"}
    assert_accounting(con)


def test_a_file_over_the_threshold_by_parse_errors_is_held_whole(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    # 3 malformed records in 11 (27%), and a file of nothing but malformed records; both at
    # least the contract's minimum rows, so the threshold applies.
    write_csv(
        landing / "penalties" / "a.csv",
        header,
        [*pen_rows(1, 2, 3), ["坏"], ["坏"], ["坏"], *pen_rows(4, 5, 6, 7, 8)],
    )
    write_csv(landing / "penalties" / "b.csv", header, [["坏"]] * 10)

    ingest(con, landing, "penalties")
    _, promoted = stage_and_promote(con, "penalties")

    held_rule = "penalties.file.quarantine_threshold_exceeded"
    for path, n in (("penalties/a.csv", 11), ("penalties/b.csv", 10)):
        f = files(con)[path]
        assert (f["status"], f["rows_accepted"], f["rows_quarantined"]) == ("held", 0, n)
        assert all(held_rule in rules for rules in quarantined(con, path).values())
    assert quarantined(con, "penalties/a.csv")[4] == ["penalties.file.malformed_csv_row", held_rule]
    assert promoted == 0
    assert_accounting(con)


def test_staging_again_before_promotion_changes_nothing(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    records = pen_rows(*range(1, 10))
    records[0][PEN_FIELDS.index("party_type")] = "企业"
    # 1 parse reject + 1 rule failure in 10 rows: exactly at the 20% threshold, not over it
    write_csv(landing / "penalties" / "a.csv", header, [*records[:5], ["坏"], *records[5:]])
    ingest(con, landing, "penalties")

    first = validate.stage(con, "penalties", RUN_ID, AS_OF)
    second = validate.stage(con, "penalties", "run-retry", AS_OF)
    promoted = validate.promote(con, "penalties")

    assert first.held_files == {} and second.held_files == {}
    assert promoted == 8
    f = files(con)["penalties/a.csv"]
    assert (f["status"], f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == ("validated", 10, 8, 2)
    assert_accounting(con)


def test_a_batch_held_by_the_gate_is_never_promoted(con, landing):
    write_csv(landing / "penalties" / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1, 2, 3))
    ingest(con, landing, "penalties")
    validate.stage(con, "penalties", RUN_ID, AS_OF)

    validate.hold_batch(con, "penalties", ["penalties.party_name_complete"], "gate failed")
    validate.hold_batch(con, "penalties", ["penalties.party_name_complete"], "gate failed")  # a retry
    promoted = validate.promote(con, "penalties")

    assert promoted == 0
    f = files(con)["penalties/a.csv"]
    assert (f["status"], f["rows_accepted"], f["rows_quarantined"], f["reason"]) == (
        "held",
        0,
        3,
        "gate failed",
    )
    assert quarantined(con, "penalties/a.csv") == {n: ["penalties.party_name_complete"] for n in (1, 2, 3)}
    assert_accounting(con)


def test_rows_of_each_dataset_reach_their_tables(con, landing):
    for ds in ("permits", "penalties", "complaints", "commitments", "repairs"):
        write_records(landing / ds / f"{ds}.csv", ds, [valid_record(ds, n) for n in (1, 2)])
        ingest(con, landing, ds)
        summary, promoted = stage_and_promote(con, ds)
        assert promoted == 2, (ds, summary.by_rule)
    assert_accounting(con)
    # complainant identity never leaves the raw layer in clear
    columns = {
        r["column_name"]
        for r in rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'complaints'"
        )
    }
    assert "complainant_name" not in columns and "complaint_text" not in columns
    assert "complainant_phone_hash" in columns and "complainant_phone" not in columns


def test_long_values_and_empty_lines_together(con, landing):
    """A 300 KB 违法事实 (over Python csv's default field limit) in a file with empty lines."""
    header = header_row("penalties", PEN_FIELDS)
    long_facts = "违法事实很长。" * 40_000
    records = pen_rows(*range(1, 11))
    records[1][PEN_FIELDS.index("violation_facts")] = long_facts
    path = write_csv(landing / "penalties" / "long.csv", header, records)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n\n", 1))  # an empty line after the header

    ingest(con, landing, "penalties")

    got = raw(con)
    assert [r["_row_number"] for r in got] == list(range(2, 12))
    assert got[1]["violation_facts"] == long_facts
    assert_accounting(con)


def test_jsonl_keys_of_any_spelling_and_too_many_keys(con, landing):
    header = header_row("penalties", PEN_FIELDS)
    odd = {**dict(zip(header, pen_rows(1)[0], strict=True)), "": "空键", 'a"b': "引号", "x/y~z": "斜杠"}
    write_jsonl(landing / "penalties" / "odd.jsonl", [odd])
    write_jsonl(landing / "penalties" / "wide.jsonl", [{f"k{i}": i for i in range(600)}])

    ingest(con, landing, "penalties")

    (got,) = raw(con)
    # an empty key sorts first and is named by its position
    assert json.loads(got["_extra"]) == {"column_1": "空键", 'a"b': "引号", "x/y~z": "斜杠"}
    assert got["party_name"] == valid_record("penalties", 1)["party_name"]
    wide = files(con)["penalties/wide.jsonl"]
    assert wide["status"] == "refused" and "more than 512" in wide["reason"]


@pytest.mark.parametrize("path_taken", ["general", "direct"])
def test_a_file_that_changes_while_read_is_left_for_the_next_run(con, landing, monkeypatch, path_taken):
    """Either read: the general one (`read_file`, temp tables) or the direct one (a plain CSV
    inserted as DuckDB parses it, `csv_records`)."""
    path = write_csv(landing / "penalties" / "a.csv", header_row("penalties", PEN_FIELDS), pen_rows(1, 2))

    def append() -> None:
        with path.open("a", encoding="utf-8") as fh:  # the uploader is still writing
            fh.write(",".join(pen_rows(3)[0]) + "\n")

    with monkeypatch.context() as m:
        if path_taken == "general":
            real_read = ingest_module.read_file

            def read_then_append(con_, p, *rest):
                result = real_read(con_, p, *rest)
                append()
                return result

            m.setattr(ingest_module, "direct_csv", lambda *args: None)
            m.setattr(ingest_module, "read_file", read_then_append)
        else:
            real_records = ingest_module.csv_records

            @contextmanager
            def records_then_append(*args):
                with real_records(*args) as records:
                    yield records
                append()

            m.setattr(ingest_module, "csv_records", records_then_append)
        first = ingest(con, landing, "penalties")
    assert first.skipped_changing == ["penalties/a.csv"]
    assert (files(con), raw(con)) == ({}, [])

    second = ingest(con, landing, "penalties", run_id="run-2")
    assert second.files_ingested == 1
    assert [r["_row_number"] for r in raw(con)] == [1, 2, 3]
    assert_accounting(con)


def test_a_small_file_is_never_held_whole(con, landing):
    """Under the contract's minimum rows a quarantine rate is noise: bad rows go one by one."""
    contract = incoming_contract("penalties")
    header = header_row("penalties", PEN_FIELDS)
    rows = pen_rows(*range(1, contract.quarantine_threshold_min_rows))  # one row short of the minimum
    rows[0][PEN_FIELDS.index("party_type")] = "企业"
    rows[1][PEN_FIELDS.index("party_type")] = "企业"
    write_csv(landing / "penalties" / "small.csv", header, rows)

    ingest(con, landing, "penalties")
    summary, promoted = stage_and_promote(con, "penalties")

    small = files(con)["penalties/small.csv"]
    assert summary.held_files == {}
    assert (small["status"], small["rows_accepted"], small["rows_quarantined"]) == (
        "validated",
        len(rows) - 2,
        2,
    )
    assert promoted == len(rows) - 2
    assert_accounting(con)
