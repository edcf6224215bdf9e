"""Shared fixtures of the ingest and validate tests.

A landing tree in a temp folder, a real warehouse file opened the way the pipeline opens it,
writers for every delivery format (CSV in UTF-8, UTF-8 with BOM and GB18030; XLSX through
xlsxwriter, and openpyxl where a formula must carry no cached result; JSONL), identifiers that
pass their check characters, one valid record per dataset, and the accounting invariant that
every test of the ingest and validate stages ends with.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse import validate
from warehouse.db import connect
from warehouse.ingest import IngestSummary, ensure_schema, ingest_dataset

AS_OF = date(2026, 11, 25)
RUN_ID = "run-test-1"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# ---------------------------------------------------------------------------------------------
# identifiers


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def make_uscc(n: int, prefix: str = "91", district: str = "420102") -> str:
    """A GB 32100-valid code: category, division, a 9-digit body from `n`, check character."""
    body = f"{prefix}{district}{n:09d}"
    return body + uscc_check_char(body)


def bad_check_uscc(code: str) -> str:
    """The same code with a wrong check character."""
    wrong = USCC_CHARS[(USCC_CHARS.index(code[-1]) + 1) % len(USCC_CHARS)]
    return code[:-1] + wrong


def make_ric(n: int, region: str = "420106", born: str = "19900101") -> str:
    """A GB 11643-valid resident identity number."""
    body = f"{region}{born}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, RIC_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def bad_check_ric(code: str) -> str:
    digits = "10X98765432"
    return code[:-1] + digits[(digits.index(code[-1]) + 1) % len(digits)]


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


AUTHORITY_USCC = make_uscc(900, prefix="11", district="420100")
SOURCE_USCC = make_uscc(901, prefix="11", district="420100")


# ---------------------------------------------------------------------------------------------
# one valid record per dataset, by snake_case field name


def valid_record(dataset: str, n: int = 1) -> dict[str, str]:
    """A record of `dataset` that passes every row rule; `n` makes its business key unique."""
    merchant = make_uscc(n)
    if dataset == "penalties":
        return {
            "party_name": f"武汉测试商贸有限公司{n}",
            "party_type": "法人及非法人组织",
            "party_uscc": merchant,
            "legal_rep": "张三",
            "legal_rep_id_type": "身份证",
            "legal_rep_id_no": make_ric(n),
            "decision_doc_no": f"武市监罚〔2026〕{n}号",
            "violation_type": "虚假宣传",
            "violation_facts": "在店招上作引人误解的宣传",
            "legal_basis": "《中华人民共和国反不正当竞争法》第二十条",
            "penalty_categories": "罚款;警告",
            "penalty_content": "罚款0.2万元",
            "fine_amount_wan": "0.2",
            "confiscation_amount_wan": "0",
            "decision_date": "2026-03-05",
            "penalty_validity": "一般",
            "disclosure_until": "2027-03-05",
            "authority": "武汉市市场监督管理局",
            "authority_uscc": AUTHORITY_USCC,
            "data_source": "武汉市市场监督管理局",
            "data_source_uscc": SOURCE_USCC,
            "procedure_type": "普通程序",
            "current_status": "正常",
        }
    if dataset == "permits":
        return {
            "party_name": f"武汉测试餐饮有限公司{n}",
            "party_type": "法人及非法人组织",
            "party_uscc": merchant,
            "legal_rep": "李四",
            "legal_rep_id_no": make_ric(n, born="19850615"),
            "decision_doc_name": "食品经营许可决定书",
            "decision_doc_no": f"武食许〔2026〕{n}号",
            "permit_category": "普通",
            "certificate_name": "食品经营许可证",
            "permit_no": f"JY1420102{n:06d}",
            "content": "预包装食品销售",
            "decision_date": "2026-02-01",
            "valid_from": "2026-02-01",
            "valid_to": "2031-01-31",
            "authority": "武汉市江岸区市场监督管理局",
            "authority_uscc": AUTHORITY_USCC,
            "status": "有效",
            "data_source": "武汉市江岸区市场监督管理局",
            "data_source_uscc": SOURCE_USCC,
            "industry_code": "H62",
        }
    if dataset == "complaints":
        return {
            "complaint_no": f"TS2026{n:08d}",
            "registered_on": "2026-06-01",
            "respondent_name": f"武汉测试超市有限公司{n}",
            "respondent_uscc": merchant,
            "channel": "全国12315平台",
            "category": "商品质量",
            "handling_status": "调解成功",
            "closed_on": "2026-06-10",
            "amount_yuan": "128.50",
            "recovered_yuan": "128.50",
            "complainant_name": "王五",
            "complainant_phone": "13800000000",
            "complaint_text": "购买的商品有质量问题",
        }
    if dataset == "commitments":
        return {
            "commitment_code": f"CN2026{n:08d}",
            "committer_name": f"武汉测试便利店有限公司{n}",
            "committer_type": "法人及非法人组织",
            "committer_uscc": merchant,
            "commitment_type": "审批替代型",
            "reason": "食品经营许可告知承诺",
            "content": "承诺符合许可条件",
            "breach_liability": "撤销许可并记入信用记录",
            "made_on": "2026-04-01",
            "validity": "一年",
            "fulfilment_status": "全部履行",
            "judged_on": "2026-10-01",
            "acceptor": "武汉市江岸区行政审批局",
            "acceptor_code": AUTHORITY_USCC,
            "disclosure_type": "可向社会公开",
        }
    if dataset == "repairs":
        return {
            "repair_no": f"XF2026{n:08d}",
            "party_name": f"武汉测试商贸有限公司{n}",
            "party_uscc": merchant,
            "penalty_doc_no": f"武市监罚〔2025〕{n}号",
            "repair_date": "2026-09-01",
            "repair_authority": "武汉市市场监督管理局",
        }
    raise KeyError(dataset)


# ---------------------------------------------------------------------------------------------
# headers


def header_for(dataset: str, field: str, style: str) -> str:
    """The header cell of a field in one of the accepted spellings.

    chinese: the standard's name; code: the first field-code alias (CF_*, XK_*), falling back
    to the Chinese name where the standard has no code; snake: the contract's name;
    messy: the Chinese name with stray spaces and full-width parentheses.
    """
    f = incoming_contract(dataset).field(field)
    if style == "chinese":
        return f.business_name
    if style == "code":
        codes = [a for a in f.aliases if a.isascii()]
        return codes[0] if codes else f.business_name
    if style == "snake":
        return f.name
    if style == "messy":
        name = f.business_name.replace("(", "（").replace(")", "）")
        return f"  {name[:1]} {name[1:]}\u3000"
    raise KeyError(style)


def header_row(dataset: str, fields: Sequence[str], style: str = "chinese") -> list[str]:
    return [header_for(dataset, f, style) for f in fields]


# ---------------------------------------------------------------------------------------------
# file writers


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    encoding: str = "utf-8",
    line_end: str = "\n",
    quoting: int = csv.QUOTE_MINIMAL,
) -> Path:
    """A CSV delivery; `encoding` utf-8, utf-8-sig (with BOM), gb18030 or gbk. With CR line ends,
    minimal quoting leaves a cell holding LF alone unquoted (Python's csv quotes only the line
    end's own characters), which no reader takes as one cell: pass csv.QUOTE_ALL then."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=line_end, quoting=quoting)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@dataclass(frozen=True)
class ExcelDate:
    """A real Excel date cell (a serial number with a date format)."""

    value: date


@dataclass(frozen=True)
class Formula:
    """A formula cell; `cached` is the result the file claims, which must never be used."""

    text: str
    cached: Any = None


def write_xlsx(
    path: Path,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    second_sheet: Sequence[Sequence[Any]] | None = None,
) -> Path:
    """An XLSX delivery written by xlsxwriter; cells may be ExcelDate or Formula values."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("数据")
    sheet_rows = [list(header), *[list(r) for r in rows]]
    for r, row in enumerate(sheet_rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, ExcelDate):
                ws.write_datetime(r, c, datetime.combine(value.value, datetime.min.time()), date_format)
            elif isinstance(value, Formula):
                ws.write_formula(r, c, value.text, None, value.cached)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    if second_sheet is not None:
        other = wb.add_worksheet("其他")
        for r, row in enumerate(second_sheet):
            for c, value in enumerate(row):
                other.write(r, c, value)
    wb.close()
    return path


def write_xlsx_openpyxl(path: Path, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Path:
    """An XLSX written by openpyxl: a string starting with `=` becomes a formula with no cached value."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def write_jsonl(path: Path, lines: Iterable[Mapping[str, Any] | str], encoding: str = "utf-8") -> Path:
    """A JSONL delivery; a dict becomes one JSON object line, a str is written as the line itself."""
    text = "".join((ln if isinstance(ln, str) else json.dumps(ln, ensure_ascii=False)) + "\n" for ln in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_records(
    path: Path,
    dataset: str,
    records: Sequence[Mapping[str, Any]],
    style: str = "chinese",
    encoding: str = "utf-8",
) -> Path:
    """Records keyed by field name, written as CSV, XLSX or JSONL (by the suffix of `path`)."""
    fields = [f.name for f in incoming_contract(dataset).fields if any(f.name in r for r in records)]
    header = header_row(dataset, fields, style)
    rows = [[r.get(f) for f in fields] for r in records]
    if path.suffix == ".csv":
        return write_csv(path, header, rows, encoding=encoding)
    if path.suffix == ".xlsx":
        return write_xlsx(path, header, rows)
    if path.suffix == ".jsonl":
        return write_jsonl(path, [{h: v for h, v in zip(header, row, strict=True)} for row in rows])
    raise ValueError(path)


# ---------------------------------------------------------------------------------------------
# fixtures and stage runners


def point_in_process_run(
    monkeypatch: pytest.MonkeyPatch, landing: Path, warehouse: Path, publish: Path, reports: Path
) -> None:
    """The environment `pipelines.run.run_partition` reads its folders from, on an ephemeral
    Dagster instance (no DAGSTER_HOME) and with Great Expectations' analytics off."""
    for key, value in {
        "CREDIT_LANDING_DIR": landing,
        "CREDIT_WAREHOUSE": warehouse,
        "CREDIT_PUBLISH_DIR": publish,
        "CREDIT_REPORTS_DIR": reports,
        "GX_ANALYTICS_ENABLED": "False",
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for ds in INCOMING_DATASETS:
        (root / ds).mkdir(parents=True)
    return root


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse file opened as the pipeline opens it, with the ingest schema in place."""
    with connect(tmp_path / "w.duckdb") as connection:
        ensure_schema(connection, INCOMING_DATASETS)
        yield connection


def ingest(
    con: duckdb.DuckDBPyConnection, landing: Path, dataset: str, run_id: str = RUN_ID
) -> IngestSummary:
    return ingest_dataset(con, landing, dataset, run_id, AS_OF)


def stage_and_promote(
    con: duckdb.DuckDBPyConnection, dataset: str, run_date: date = AS_OF, run_id: str = RUN_ID
) -> tuple[validate.StageSummary, int]:
    summary = validate.stage(con, dataset, run_id, run_date)
    return summary, validate.promote(con, dataset)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> list[dict]:
    cur = con.execute(sql, dict(params)) if params else con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def files(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> dict[str, dict]:
    """ingest_files by path (the latest row for a path)."""
    found = rows(
        con,
        "SELECT * FROM ingest_files WHERE $d IS NULL OR dataset = $d ORDER BY file_seq",
        {"d": dataset},
    )
    return {r["path"]: r for r in found}


def quarantined(con: duckdb.DuckDBPyConnection, path: str) -> dict[int, list[str]]:
    """failed_rules by row number for one file."""
    return {
        r["row_number"]: list(r["failed_rules"])
        for r in rows(
            con, "SELECT row_number, failed_rules FROM quarantine_rows WHERE path = $p", {"p": path}
        )
    }


def assert_accounting(con: duckdb.DuckDBPyConnection) -> None:
    """rows_read = rows_accepted + rows_quarantined for every file, and quarantine holds exactly
    rows_quarantined rows of it, one per row number."""
    bad = rows(
        con,
        """
        SELECT f.path, f.status, f.rows_read, f.rows_accepted, f.rows_quarantined,
               count(q.file_seq) AS in_quarantine, count(DISTINCT q.row_number) AS distinct_rows
        FROM ingest_files AS f LEFT JOIN quarantine_rows AS q USING (file_seq)
        GROUP BY ALL
        HAVING f.rows_read <> f.rows_accepted + f.rows_quarantined
            OR count(q.file_seq) <> f.rows_quarantined
            OR count(DISTINCT q.row_number) <> count(q.file_seq)
        """,
    )
    assert bad == [], bad
    for ds in INCOMING_DATASETS:
        if not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $t", {"t": ds}
        ).fetchone()[0]:
            continue
        mismatch = rows(
            con,
            f"""
            SELECT f.path, f.rows_accepted, count(v._file_seq) AS validated
            FROM ingest_files AS f LEFT JOIN {ds} AS v ON v._file_seq = f.file_seq
            WHERE f.dataset = $d AND f.status = 'validated'
            GROUP BY ALL HAVING f.rows_accepted <> count(v._file_seq)
            """,
            {"d": ds},
        )
        assert mismatch == [], mismatch


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city from the generator (every format, encoding and seeded defect), plus the
    byte-level cases the generator does not make: CRLF with empty lines, NUL bytes, a BOM, a
    file cut inside a character, a malformed record, GBK JSON, a formula cell, a broken workbook,
    a copy. Read-only: tests ingest it into warehouses of their own."""
    from sample_data.generate import generate

    root = tmp_path_factory.mktemp("small-city") / "landing"
    generate(root, scale=0.003, seed=20261125)
    edge = root / "penalties" / "edge"
    fields = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]
    header = header_row("penalties", fields)
    records = [[valid_record("penalties", n)[f] for f in fields] for n in range(1, 6)]
    write_csv(edge / "crlf.csv", header, records, line_end="\r\n")
    text = (edge / "crlf.csv").read_bytes()
    (edge / "blank-lines.csv").write_bytes(text.replace(b"\r\n", b"\r\n\r\n", 2))
    body = text.index(b"\r\n") + 2
    (edge / "nul.csv").write_bytes(text[:body] + text[body:].replace(b"\r\n", b"\x00\r\n", 2))
    write_csv(edge / "bom.csv", header, records, encoding="utf-8-sig")
    write_csv(edge / "malformed.csv", header, [records[0], [*records[1], "one cell too many"], records[2]])
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


def ingest_all(landing: Path, warehouse: Path) -> None:
    """Every dataset of `landing` into a new warehouse file, as the raw_<dataset> assets do."""
    with connect(warehouse) as con:
        ensure_schema(con, INCOMING_DATASETS)
        for ds in INCOMING_DATASETS:
            ingest_dataset(con, landing, ds, RUN_ID, AS_OF)


def ingest_differences(a: Path, b: Path, exclude: Sequence[str] = ()) -> dict[str, int]:
    """Rows in one warehouse's ingest output and not in the other's, by table (both ways);
    times, and the `exclude`d columns wherever a table has them, aside."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = {f"raw_{ds}": [] for ds in INCOMING_DATASETS}
    tables.update(
        ingest_files=["ingested_at"], quarantine_rows=["quarantined_at"], landing_hashes=["hashed_at_ns"]
    )
    found = {}
    for table, aside in tables.items():
        present = {r[0] for r in con.execute(f"DESCRIBE a.{table}").fetchall()}
        aside = [c for c in (*aside, *exclude) if c in present]
        cols = f"* EXCLUDE ({', '.join(aside)})" if aside else "*"
        found[table] = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM a.{table} EXCEPT ALL SELECT {cols} FROM b.{table}))"
            f" + (SELECT count(*) FROM (SELECT {cols} FROM b.{table} EXCEPT ALL SELECT {cols} FROM a.{table}))"
        ).fetchone()[0]
    con.close()
    return found
