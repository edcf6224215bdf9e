"""Property: any mix of accepted header spellings, in any column order and in any file type,
puts every value into the same raw field; unknown columns land in `_extra`.

Spellings per field: the standard's Chinese name, the same with stray spaces and full-width
parentheses, the field code (CF_*, XK_*) where the standard has one, the contract's snake_case
name in lower or upper case, and for the party's code the bare header 统一社会信用代码.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
from conftest import AS_OF, header_for, write_csv, write_jsonl, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts import INCOMING_DATASETS, incoming_contract
from data_contracts.contract import header_map, normalise_header
from warehouse.db import configure
from warehouse.ingest import ensure_schema, ingest_dataset


def spellings(dataset: str, field: str) -> list[str]:
    f = incoming_contract(dataset).field(field)
    found = [
        header_for(dataset, field, "chinese"),
        header_for(dataset, field, "messy"),
        f.name,
        f.name.upper(),
        f" {f.name} ",
        *f.aliases,
        *(a.lower() for a in f.aliases if a.isascii()),
    ]
    return list(dict.fromkeys(found))


def test_every_spelling_is_one_field_only():
    """No spelling of one field is also a spelling of another (within a contract)."""
    for ds in INCOMING_DATASETS:
        mapping = header_map(incoming_contract(ds))
        for f in incoming_contract(ds).fields:
            for s in spellings(ds, f.name):
                key = normalise_header(s)
                assert (mapping.get(key) or mapping.get(key.lower())) == f.name, (ds, s)
    assert "统一社会信用代码" in spellings("penalties", "party_uscc")
    assert "罚款金额（万元）" in "".join(spellings("penalties", "fine_amount_wan")).replace(" ", "")
    assert "CF_NR_FK" in spellings("penalties", "fine_amount_wan")
    assert "XK_YXQZI" in spellings("permits", "valid_to")


UNKNOWN = ["ID", "CREATE_TIME", "数据状态", "备用字段1"]


@st.composite
def deliveries(draw):
    dataset = draw(st.sampled_from(INCOMING_DATASETS))
    fields = [f.name for f in incoming_contract(dataset).fields]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True))
    headers = {f: draw(st.sampled_from(spellings(dataset, f))) for f in chosen}
    unknown = draw(st.lists(st.sampled_from(UNKNOWN), max_size=2, unique=True))
    columns = draw(st.permutations([*chosen, *(f"?{u}" for u in unknown)]))
    file_type = draw(st.sampled_from(["csv", "xlsx", "jsonl"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])) if file_type == "csv" else "utf-8"
    return dataset, headers, columns, file_type, encoding


def _value(column: str) -> str:
    """A value that says which column it came from, with some Chinese in it."""
    return f"值·{column.lstrip('?')}"


@settings(max_examples=50, deadline=None)
@given(delivery=deliveries())
def test_any_mix_of_header_spellings_and_column_order_maps_to_the_same_fields(delivery):
    dataset, headers, columns, file_type, encoding = delivery
    cells = [headers[c] if not c.startswith("?") else c[1:] for c in columns]
    values = [_value(c) for c in columns]
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        path = landing / dataset / f"delivery.{file_type}"
        if file_type == "csv":
            write_csv(path, cells, [values], encoding=encoding)
        elif file_type == "xlsx":
            write_xlsx(path, cells, [values])
        else:
            write_jsonl(path, [dict(zip(cells, values, strict=True))])
        con = duckdb.connect()
        try:
            configure(con)
            ensure_schema(con, INCOMING_DATASETS)
            summary = ingest_dataset(con, landing, dataset, "prop", AS_OF)
            assert summary.files_ingested == 1, summary.refused
            cur = con.execute(f"SELECT * FROM raw_{dataset}")
            names = [d[0] for d in cur.description]
            (row,) = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()
    for f in (f.name for f in incoming_contract(dataset).fields):
        assert row[f] == (_value(f) if f in headers else None), (f, headers.get(f))
    unknown = {c[1:]: _value(c) for c in columns if c.startswith("?")}
    assert (json.loads(row["_extra"]) if row["_extra"] else {}) == unknown
    assert row["_row_number"] == 1
