"""Write one landing file in the shape its delivery channel would have.

The rows arrive as strings already formatted by SQL (dates in the file's date style, amounts
without trailing zeros); this module only decides the header spelling, the extra system
columns, the encoding and the container (CSV, JSON lines, XLSX). It loops over rows only for
XLSX, which the generator keeps to a few percent of the rows because xlsxwriter is pure Python.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from data_contracts import Contract

PLACEHOLDERS: tuple[str, ...] = ("— —", "--", "无", "/")
EXCEL_EPOCH = date(1899, 12, 30)
GB18030_CHUNK_ROWS = 20_000
# System columns some exports carry: a row id first, the uploader and upload time last.
EXTRA_COLUMNS: tuple[str, str, str] = ("ID", "CREATOR", "CREATE_TIME")

# Optional columns that some senders leave out of their exports altogether.
OMITTABLE: dict[str, tuple[str, ...]] = {
    "permits": ("industry_code",),
    "penalties": ("party_org_code", "party_tax_no", "party_institution_no", "party_social_org_no"),
    "complaints": ("recovered_yuan",),
    "commitments": ("remarks",),
    "repairs": (),
}

_CODE_ALIAS = re.compile(r"^(CF|XK)_|^BZ$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FileSpec:
    """One row of the plan's `files` table: where a file goes and how it looks."""

    file_id: int
    file_key: str
    channel: str
    version: int
    folder: date
    name: str
    format: str  # csv, jsonl, xlsx
    encoding: str | None  # utf8, bom, gb18030 (CSV only)
    header_style: str  # chinese, chinese_messy, codes, snake
    date_style: str  # iso, slash, compact, mixed (XLSX: iso, see xlsx_dates)
    xlsx_dates: str | None  # date_cell, serial, text
    numbers: str  # number or string (JSON lines)
    extra_cols: bool
    omit_optional: bool
    second_sheet: bool
    dup_of: str | None

    def relpath(self, dataset: str) -> Path:
        return Path(dataset) / self.folder.isoformat() / self.name


def header_names(contract: Contract, style: str, rng: random.Random) -> dict[str, str]:
    """Field name -> header cell for a file of the given style.

    `codes` uses the standard's field codes where the contract lists one (CF_*, XK_*, BZ) and
    the Chinese name otherwise, as API feeds that add project extensions do.
    """
    names: dict[str, str] = {}
    for f in contract.fields:
        if style == "snake":
            names[f.name] = f.name
        elif style == "codes":
            names[f.name] = next((a for a in f.aliases if _CODE_ALIAS.match(a)), f.business_name)
        else:
            header = f.business_name
            if "统一社会信用代码" in f.aliases and rng.random() < 0.3:
                header = "统一社会信用代码"  # the bare header many files use
            if style == "chinese_messy":
                header = header.replace("(", "（").replace(")", "）")
                roll = rng.random()
                if roll < 0.2:
                    header = " " + header
                elif roll < 0.4:
                    header = header + " "
                elif roll < 0.45:
                    header = header + "\u3000"
            names[f.name] = header
    return names


def omit(df: pl.DataFrame, spec: FileSpec, dataset: str) -> pl.DataFrame:
    """The field columns this file carries: some senders leave optional columns out."""
    if spec.omit_optional:
        return df.drop([c for c in OMITTABLE[dataset] if c in df.columns])
    return df


def shape(
    df: pl.DataFrame, spec: FileSpec, contract: Contract, seed: int
) -> tuple[pl.DataFrame, list[str | None]]:
    """Columns as the file will carry them (extra system columns, header spellings), and the
    contract field behind each column (None for the extra ones). `df` is already `omit`ted."""
    if spec.format == "jsonl" and spec.numbers == "number":
        numeric = [f.name for f in contract.fields if f.logical_type == "number" and f.name in df.columns]
        df = df.with_columns([pl.col(c).cast(pl.Float64) for c in numeric])
    fields: list[str | None] = list(df.columns)
    rng = random.Random(f"{seed}:{contract.dataset}:{spec.file_key}")
    names = header_names(contract, spec.header_style, rng)
    df = df.rename({c: names[c] for c in df.columns})
    if spec.extra_cols:
        row_id, creator, created = EXTRA_COLUMNS
        df = df.select(
            (pl.int_range(1, df.height + 1, eager=False) + spec.file_id * 10_000_000)
            .cast(pl.Utf8)
            .alias(row_id),
            pl.all(),
            pl.lit(rng.choice(["sjgx01", "admin", "xyzx_import"])).alias(creator),
            pl.lit(f"{spec.folder.isoformat()} 02:{rng.randrange(60):02d}:00").alias(created),
        )
        fields = [None, *fields, None, None]
    return df, fields


def write(df: pl.DataFrame, path: Path, spec: FileSpec, contract: Contract, seed: int, as_of: date) -> None:
    """Write the rows of one file (field-named string columns, already `omit`ted) at `path`."""
    shaped, fields = shape(df, spec, contract, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.format == "csv":
        _write_csv(shaped, path, spec.encoding or "utf8")
    elif spec.format == "jsonl":
        shaped.write_ndjson(path)
    else:
        types = [contract.field(f).logical_type if f else "string" for f in fields]
        _write_xlsx(
            shaped,
            path,
            types,
            mode=spec.xlsx_dates or "text",
            sheet=contract.business_name,
            second_sheet=spec.second_sheet,
            created=datetime(as_of.year, as_of.month, as_of.day),
        )


def _write_csv(df: pl.DataFrame, path: Path, encoding: str) -> None:
    if encoding == "utf8":
        df.write_csv(path)
    elif encoding == "bom":
        df.write_csv(path, include_bom=True)
    else:
        # Windows exports: GB18030 with CRLF. Polars writes UTF-8 text; transcode chunk by chunk.
        with path.open("wb") as fh:
            for start in range(0, max(df.height, 1), GB18030_CHUNK_ROWS):
                text = df.slice(start, GB18030_CHUNK_ROWS).write_csv(
                    include_header=start == 0, line_terminator="\r\n"
                )
                fh.write(text.encode("gb18030"))


def _write_xlsx(
    df: pl.DataFrame,
    path: Path,
    types: list[str],
    mode: str,
    sheet: str,
    second_sheet: bool,
    created: datetime,
) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # Fixed document properties keep the bytes reproducible (the zip entries use this date).
    wb.set_properties({"created": created, "author": "数据共享交换平台", "title": sheet})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(sheet)
    ws.write_row(0, 0, df.columns)
    for r, row in enumerate(df.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            kind = types[c]
            if kind == "date" and mode != "text" and _ISO_DATE.match(value):
                day = date.fromisoformat(value)
                if mode == "date_cell":
                    ws.write_datetime(r, c, datetime(day.year, day.month, day.day), date_format)
                else:
                    ws.write_number(r, c, (day - EXCEL_EPOCH).days)
            elif kind == "number" and _is_number(value):
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, value)
    if second_sheet:
        notes = wb.add_worksheet("填报说明")
        notes.write_string(0, 0, "本表由数据共享交换平台导出，第一张工作表为数据。")
        notes.write_string(1, 0, "日期列可能为日期单元格或序列号；金额单位见表头。")
    wb.close()


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
