"""The release gate reads each file once and looks closer only where a finding can be: it must find
exactly what the straightforward gate found (every cell through JSON, every rule on every cell).

The reference below is that gate's SQL as it was before (commit b2ce9c6), kept here only to compare
with: its leaves (`ref_leaves`), cells, findings, looked-up values and contract cell checks. Each
test builds Parquet files with the edges the optimised gate handles (types read without JSON, list
columns, NULL cells and elements, empty lists, leaves near the digit and name-length thresholds,
blanks, full-width digits, first and last rows) and compares rule, file, column, row and count.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts import published_contract, published_contracts
from warehouse import release
from warehouse.db import execute, run_sql, split_statements
from warehouse.privacy import (
    _leaf_kind,
    _min_digits,
    _name_exempt_columns,
    digits_needed,
    disclosure_policy,
    scan_release,
)

try:
    import test_release_fixtures as fx
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx

REF_LEAVES = r"""
CREATE OR REPLACE TEMP MACRO ref_leaves(path) AS TABLE
    WITH cells AS (
        FROM (
            SELECT file_row_number AS row_no, to_json(COLUMNS(* EXCLUDE file_row_number))
            FROM read_parquet(path, file_row_number = true)
        )
        UNPIVOT INCLUDE NULLS (cell FOR column_name IN (COLUMNS(* EXCLUDE row_no)))
    )
    SELECT
        row_no,
        column_name,
        cell IS NULL AS cell_null,
        unnest(CASE
            WHEN cell IS NULL THEN [NULL::VARCHAR]
            WHEN json_type(cell) = 'ARRAY' THEN CAST(cell AS VARCHAR[])
            ELSE [cell ->> '$']
        END) AS value
    FROM cells;
"""

REF_CELLS = r"""
CREATE OR REPLACE TEMP TABLE ref_cells AS
SELECT
    row_no,
    column_name,
    value,
    raw_tokens,
    strlen(array_to_string(raw_tokens, '')) <> length(array_to_string(raw_tokens, '')) AS fullwidth
FROM (
    SELECT row_no, column_name, value, regexp_extract_all(value, '[0-9０-９]+[XxＸｘ]?') AS raw_tokens
    FROM ref_leaves($path)
    WHERE value IS NOT NULL
      AND NOT list_contains($skip_columns, column_name)
);

CREATE OR REPLACE TEMP TABLE ref_tokens AS
SELECT
    row_no,
    column_name,
    upper(CASE WHEN fullwidth THEN translate(raw_token, '０１２３４５６７８９Ｘｘ', '0123456789XX') ELSE raw_token END)
        AS token
FROM (
    SELECT row_no, column_name, fullwidth, unnest(raw_tokens) AS raw_token
    FROM ref_cells
    WHERE len(raw_tokens) > 0
);

CREATE OR REPLACE TEMP TABLE ref_grouped AS
SELECT
    row_no,
    column_name,
    ascii_value,
    list_transform(
        regexp_extract_all(ascii_value, '[0-9][0-9 \t.()-]*[0-9Xx]'),
        lambda n: upper(regexp_replace(n, '[^0-9Xx]', '', 'g'))
    ) AS numbers
FROM (
    SELECT
        row_no,
        column_name,
        replace(
            CASE WHEN fullwidth THEN translate(value, '０１２３４５６７８９Ｘｘ－（）', '0123456789Xx-()') ELSE value END,
            '　', ' '
        ) AS ascii_value
    FROM ref_cells
    WHERE len(raw_tokens) >= 2
);
"""

REF_FINDINGS = r"""
WITH hits AS (
    SELECT row_no, column_name, 'privacy.id_number' AS rule
    FROM ref_tokens
    WHERE CASE
        WHEN length(token) = 18 AND substr(token, 7, 2) IN ('18', '19', '20')
            THEN ric_valid(token) AND TRY_CAST(substr(token, 7, 4) AS INTEGER) >= $id_number_min_birth_year
        ELSE false
    END
    UNION ALL
    SELECT row_no, column_name, 'privacy.id_number_15'
    FROM ref_tokens
    WHERE length(token) = 15
      AND regexp_full_match(token, $id_number_15_pattern)
      AND NOT list_contains($id_number_15_exempt_columns, column_name)
    UNION ALL
    SELECT row_no, column_name, 'privacy.mobile'
    FROM ref_tokens
    WHERE length(token) IN (11, 13) AND regexp_full_match(token, $mobile_token_pattern)
    UNION ALL
    SELECT row_no, column_name, 'privacy.mobile'
    FROM ref_grouped
    WHERE regexp_matches(ascii_value, $mobile_separated_pattern)
    UNION ALL
    SELECT row_no, column_name, 'privacy.landline'
    FROM ref_grouped
    WHERE regexp_matches(ascii_value, $landline_pattern)
    UNION ALL
    SELECT row_no, column_name, 'privacy.landline'
    FROM ref_cells
    WHERE len(raw_tokens) = 1
      AND (contains(value, '(') OR contains(value, '（'))
      AND regexp_matches(translate(value, '０１２３４５６７８９（）', '0123456789()'), $landline_pattern)
    UNION ALL
    SELECT c.row_no, c.column_name, 'privacy.known_identifier'
    FROM (
        SELECT row_no, column_name, token AS candidate FROM ref_tokens WHERE length(token) >= $known_min_length
        UNION ALL
        SELECT row_no, column_name, candidate
        FROM (SELECT row_no, column_name, unnest(numbers) AS candidate FROM ref_grouped)
        WHERE length(candidate) >= $known_min_length
    ) AS c
    SEMI JOIN ref_known AS k ON k.kind = 'identifier' AND k.value = c.candidate
    UNION ALL
    SELECT c.row_no, c.column_name, 'privacy.complainant_name'
    FROM (
        SELECT row_no, column_name, replace(replace(replace(trim(value), ' ', ''), '　', ''), chr(9), '') AS squeezed
        FROM ref_cells
        WHERE NOT list_contains($name_exempt_columns, column_name)
    ) AS c
    SEMI JOIN ref_known AS k ON k.kind = 'complainant_name' AND k.value = c.squeezed
),
distinct_hits AS (
    SELECT DISTINCT rule, column_name, row_no FROM hits
)
SELECT rule, column_name, row_no, count(*) OVER (PARTITION BY rule, column_name) AS total
FROM distinct_hits
QUALIFY row_number() OVER (PARTITION BY rule, column_name ORDER BY row_no) <= $max_findings
ORDER BY rule, column_name, row_no;
"""

REF_KNOWN = r"""
INSERT INTO ref_known
SELECT DISTINCT $kind, normalised
FROM (
    SELECT CASE
        WHEN $kind = 'complainant_name'
            THEN replace(replace(replace(trim(v), ' ', ''), '　', ''), chr(9), '')
        ELSE regexp_replace(
            upper(regexp_replace(translate(v, '０１２３４５６７８９Ｘｘ', '0123456789XX'), '[^0-9A-Za-z]', '', 'g')),
            '^86(1[3-9][0-9]{9})$',
            '\1'
        )
    END AS normalised
    FROM (
        FROM (SELECT CAST(COLUMNS(lambda c: list_contains($columns, c)) AS VARCHAR) FROM query_table($table))
        UNPIVOT (v FOR source_column IN (COLUMNS(*)))
    )
)
WHERE length(normalised) >= $min_length;
"""

REF_CONTRACT = r"""
WITH leaves AS MATERIALIZED (
    SELECT * FROM ref_leaves($path)
),
failures AS (
    SELECT 'required' AS rule, column_name, row_no
    FROM leaves
    WHERE cell_null AND list_contains($required_columns, column_name)
    UNION ALL
    SELECT 'valid_values', l.column_name, l.row_no
    FROM leaves AS l
    JOIN (SELECT a.column_name, a.allowed_values FROM (SELECT unnest($allowed) AS a)) AS a
        ON a.column_name = l.column_name
    WHERE l.value IS NOT NULL AND NOT list_contains(a.allowed_values, l.value)
    UNION ALL
    SELECT 'uscc', column_name, row_no
    FROM leaves
    WHERE value IS NOT NULL AND list_contains($uscc_columns, column_name) AND NOT uscc_valid(value)
)
SELECT rule, column_name, min(row_no) AS first_row, count(*) AS failures
FROM failures
GROUP BY rule, column_name
ORDER BY rule, column_name;
"""


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    rows: list[tuple] = []
    for statement in split_statements(sql):
        rows = execute(con, statement, params).fetchall()
    return rows


def _policy_params() -> dict[str, Any]:
    gate = disclosure_policy().gate
    return {
        "id_number_min_birth_year": int(gate["id_number_min_birth_year"]),
        "id_number_15_pattern": gate["id_number_15_pattern"],
        "id_number_15_exempt_columns": list(gate["id_number_15_exempt_columns"]),
        "mobile_token_pattern": gate["mobile_token_pattern"],
        "mobile_separated_pattern": gate["mobile_separated_pattern"],
        "landline_pattern": gate["landline_pattern"],
        "known_min_length": int(gate["known_identifiers"]["min_length"]),
        "max_findings": int(gate["max_findings_per_rule"]),
    }


def reference_findings(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple]:
    """What the gate before the optimisation reported for the files of `folder`, as
    (file, column, row, rule, total) in the order scan_release reports them."""
    gate = disclosure_policy().gate
    run_sql(con, "publish/macros")
    _run(con, REF_LEAVES, {})
    con.execute("CREATE OR REPLACE TEMP TABLE ref_known (kind VARCHAR, value VARCHAR)")
    names = gate["complainant_names"]
    ids = gate["known_identifiers"]
    sources = [("complainant_name", names["table"], [names["column"]], int(names["min_length"]))]
    sources += [
        ("identifier", s["table"], list(s["columns"]), int(ids["min_length"])) for s in ids["sources"]
    ]
    for kind, table, columns, min_length in sources:
        _run(con, REF_KNOWN, {"kind": kind, "table": table, "columns": columns, "min_length": min_length})
    found = []
    for path in sorted(folder.glob("*.parquet")):
        types = con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))", {"p": str(path)}
        ).fetchall()
        skip = [c for c, t in types if t in ("DATE", "BOOLEAN")]
        contract = published_contracts().get(path.stem)
        _run(con, REF_CELLS, {"path": str(path), "skip_columns": skip})
        rows = _run(
            con,
            REF_FINDINGS,
            {
                **_policy_params(),
                "name_exempt_columns": _name_exempt_columns(path.stem, contract, disclosure_policy()),
            },
        )
        found += [(path.name, column, row, rule, total) for rule, column, row, total in rows]
    return found


def new_findings(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple]:
    return [
        (f.file, f.column, f.row, f.rule, int(f.detail.split(" ")[0]))
        for f in scan_release(folder, con)
        if f.row is not None
    ]


def reference_leaves(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple]:
    _run(con, REF_LEAVES, {})
    return sorted(con.execute("SELECT * FROM ref_leaves($p)", {"p": str(path)}).fetchall(), key=repr)


def new_leaves(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple]:
    run_sql(con, "publish/macros")
    types = con.execute(
        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))", {"p": str(path)}
    ).fetchall()
    kinds = {c: _leaf_kind(t) for c, t in types}
    return sorted(
        con.execute(
            "SELECT * FROM release_leaves($p, CAST($t AS VARCHAR[]), CAST($l AS VARCHAR[]), CAST($j AS VARCHAR[]))",
            {
                "p": str(path),
                "t": [c for c, k in kinds.items() if k == "text"],
                "l": [c for c, k in kinds.items() if k == "text_list"],
                "j": [c for c, k in kinds.items() if k == "json"],
            },
        ).fetchall(),
        key=repr,
    )


@pytest.fixture
def con():
    connection = fx.warehouse()
    yield connection
    connection.close()


# --- the leaves: no JSON round trip where the text is the same, the JSON one where it is not ------

TRICKY_TEXT = [
    "",
    "null",
    "[1,2]",
    '"q"',
    'a"b',
    "back\\slash\\u0031",
    "tab\tnew\nline\r",
    "\x01ctl",
    "é中文１２３",
    "𝔘 astral",
    " padded ",
    "\u3000全角空格\u3000",
    "\u00a0nbsp\u00a0",
]


def test_leaves_equal_the_json_reference_for_every_type(con, tmp_path: Path) -> None:
    n = len(TRICKY_TEXT)
    table = pa.table(
        {
            "text": pa.array(TRICKY_TEXT, pa.string()),
            "texts": pa.array(
                [[t, None] for t in TRICKY_TEXT[:-3]] + [None, [], [None]], pa.list_(pa.string())
            ),
            "i8": pa.array([-128, 127, None] + [0] * (n - 3), pa.int8()),
            "i32": pa.array([-(2**31), 2**31 - 1, None] + [13912345] * (n - 3), pa.int32()),
            "i64": pa.array(
                [-(2**63), 2**63 - 1, None, 13912345678] + [420102199003071234] * (n - 4), pa.int64()
            ),
            "u64": pa.array([0, 2**64 - 1, None] + [15018188295] * (n - 3), pa.uint64()),
            "dec": pa.array(
                [
                    Decimal("13912345678.5"),
                    Decimal("15018188.295"),
                    None,
                    Decimal("0.000001"),
                    Decimal("-123456789012.345678"),
                    Decimal("100"),
                ]
                + [Decimal("1.10")] * (n - 6),
                pa.decimal128(18, 6),
            ),
            "dbl": pa.array(
                [1.5e20, 13912345678.0, None, 0.1, -0.0, float("inf")] + [2.5] * (n - 6), pa.float64()
            ),
            "day": pa.array(["0001-01-01", "9999-12-31", None] + ["2026-11-25"] * (n - 3), pa.string()).cast(
                pa.date32()
            ),
            "flag": pa.array([True, False, None] + [True] * (n - 3)),
            "ts": pa.array([0, None] + [1_700_000_000_000_000] * (n - 2), pa.timestamp("us")),
            "nested": pa.array(
                [[["13912345678"]], None, [[], None]] + [[["x", None]]] * (n - 3),
                pa.list_(pa.list_(pa.string())),
            ),
            "ints": pa.array([[13912345678, None], None, []] + [[1]] * (n - 3), pa.list_(pa.int64())),
            "st": pa.array(
                [{"a": "赵六", "b": 1}, None] + [{"a": None, "b": None}] * (n - 2),
                pa.struct([("a", pa.string()), ("b", pa.int32())]),
            ),
            "mp": pa.array(
                [[("k", "13912345678")], None] + [[]] * (n - 2), pa.map_(pa.string(), pa.string())
            ),
        }
    )
    path = tmp_path / "types.parquet"
    pq.write_table(table, path)
    assert new_leaves(con, path) == reference_leaves(con, path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=6))
def test_text_leaves_equal_the_json_reference(con, tmp_path_factory, texts) -> None:
    folder = tmp_path_factory.mktemp("leaves")
    pq.write_table(
        pa.table({"s": pa.array(texts, pa.string()), "l": pa.array([texts] + [None] * (len(texts) - 1))}),
        folder / "t.parquet",
    )
    assert new_leaves(con, folder / "t.parquet") == reference_leaves(con, folder / "t.parquet")


# --- the findings: the same rule, file, column, row and count as the reference gate ----------------

ID18 = fx.ric("11010519491231002")
ID18_DIGIT = fx.ric("11010519700101001")
KNOWN_BAD_ID = fx.PLANTED_ID_2[:17] + ("1" if fx.PLANTED_ID_2[17] != "1" else "2")
RAW_PHONE = fx.COMPLAINANT_PHONE
NAME = fx.COMPLAINANT

PIECES = [
    ID18,
    ID18_DIGIT,
    ID18.lower(),
    "420102900101123",
    "13812345678",
    "8613812345678",
    "+86 138-1234-5678",
    "138 1234 5678",
    "138-1234-5678",
    "１３８１２３４５６７８",
    "138－1234－5678",
    "027-87654321",
    "(027)87654321",
    "（０２７）８７６５４３２１",
    "027 87654321",
    KNOWN_BAD_ID,
    RAW_PHONE,
    RAW_PHONE[:3] + "." + RAW_PHONE[3:],
    NAME,
    f" {NAME} ",
    f"{NAME[0]}\u3000{NAME[1]}",
    f"\u00a0{NAME}\u00a0",
    f"\t{NAME}",
    "1234567890",
    "123456789",
    "12345678901",
    "没收14600元，罚款104300元",
    "2026-10-23",
    "X",
    "x",
    "ｘ",
    " ",
    "\u3000",
    "\u00a0",
    "号",
    "（",
    ")",
    "-",
    "·",
    "甲",
    "。",
]
CELL = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), CELL),
            st.one_of(st.none(), st.lists(st.one_of(st.none(), CELL), max_size=3)),
            st.one_of(
                st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([13912345678, 420102900101123])
            ),
            st.one_of(
                st.none(),
                st.sampled_from(
                    [
                        Decimal("13912345678.5"),
                        Decimal("15018188.295"),
                        Decimal("13998765.432"),
                        Decimal("1.5"),
                    ]
                ),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_findings_equal_the_reference_gate(con, tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("gate")
    text, texts, big, dec = zip(*rows, strict=True)
    pq.write_table(
        pa.table(
            {
                "note": pa.array(text, pa.string()),
                "notes": pa.array(texts, pa.list_(pa.string())),
                "big": pa.array(big, pa.int64()),
                "amount": pa.array(dec, pa.decimal128(18, 6)),
                "day": pa.array([None] * len(rows), pa.date32()),
            }
        ),
        folder / "notes.parquet",
    )
    assert new_findings(con, folder) == reference_findings(con, folder)


def test_planted_release_findings_equal_the_reference(con, tmp_path: Path) -> None:
    """A built release with personal data in scalar, list, number and code columns, at the first
    and last rows, and contract failures: the gate and the contract cell checks agree with the
    reference, on the release files and on a file the contracts do not know."""
    fx.insert(
        con,
        "raw_penalties",
        [{"decision_doc_no": "x", "party_name": "x", "party_id_no": KNOWN_BAD_ID, "legal_rep": None}],
    )
    staging = release.build_release(con, tmp_path / "publish", fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    for name, column, values in [
        ("penalties", "penalty_content", [f"电话{ID18}", "(027)87654321"]),
        ("penalties", "authority", [f" {NAME} ", KNOWN_BAD_ID]),
        ("penalties", "penalty_categories", [[None, NAME, "bogus"], []]),
        ("penalties", "fine_amount_wan", [Decimal("13912345678.5"), Decimal("13998765.432")]),
        ("permits", "permit_no", ["420102900101123", f"JY-{ID18_DIGIT}"]),
        ("permits", "content", [f"JY-{ID18_DIGIT}", "420102900101123"]),
        ("permits", "uscc", ["91420102MA4K000010", None]),
        ("black_list", "basis_documents", [[ID18, None], None]),
        ("red_list", "reasons", ["138 1234 5678", f"{NAME}\u3000"]),
    ]:
        path = staging / f"{name}.parquet"
        table = pq.read_table(path)
        i = table.schema.get_field_index(column)
        data = table.column(i).to_pylist()
        data[0], data[-1] = values
        path.chmod(0o644)
        pq.write_table(
            table.set_column(i, table.schema.field(i), pa.array(data, table.schema.field(i).type)), path
        )
    pq.write_table(pa.table({"extra": [ID18, None, NAME]}), staging / "zz_extra.parquet")
    got = new_findings(con, staging)
    assert got == reference_findings(con, staging)
    assert {rule for *_, rule, _ in got} >= {
        "privacy.id_number",
        "privacy.landline",
        "privacy.complainant_name",
        "privacy.known_identifier",
        "privacy.mobile",
        "privacy.id_number_15",
    }
    # the contract cell checks: from the gate's shared read, from a read of their own, and the reference
    scan = release.gate_scan(
        staging,
        con,
        warehouse=True,
        cell_rules={n: release.cell_rules(published_contract(n)) for n in release.RELEASE_FILES},
    )
    run_sql(con, "publish/macros")
    _run(con, REF_LEAVES, {})
    for name in release.RELEASE_FILES:
        rules = release.cell_rules(published_contract(name))
        path = staging / f"{name}.parquet"
        reference = [
            dict(zip(("rule", "column_name", "first_row", "failures"), r, strict=True))
            for r in _run(con, REF_CONTRACT, {"path": str(path), **rules})
        ]
        assert scan.cell_failures[name] == reference, name
        assert release.contract_cell_failures(con, path, rules) == reference, name
    assert any(r["rule"] == "uscc" for r in scan.cell_failures["permits"])
    assert any(r["rule"] == "valid_values" for r in scan.cell_failures["penalties"])


def test_without_names_or_raw_numbers_the_pattern_rules_still_agree(tmp_path: Path) -> None:
    pq.write_table(pa.table({"t": [ID18, "138 1234 5678", NAME, None]}), tmp_path / "t.parquet")
    found = [(f.file, f.column, f.row, f.rule) for f in scan_release(tmp_path)]
    assert ("*", "*", None, "privacy.rule_not_run") in found
    assert ("t.parquet", "t", 0, "privacy.id_number") in found and (
        "t.parquet",
        "t",
        1,
        "privacy.mobile",
    ) in found


# --- the thresholds ---------------------------------------------------------------------------


def test_digits_needed_is_the_fewest_digits_a_digit_rule_matches() -> None:
    gate = disclosure_policy().gate
    assert _min_digits(gate["mobile_separated_pattern"]) == 11
    assert _min_digits(gate["landline_pattern"]) == 10
    assert digits_needed(disclosure_policy()) == 10


@pytest.mark.parametrize(
    ("pattern", "digits"),
    [
        (r"\d{3}", 3),
        ("[0-9]{2}-[0-9]{5}", 7),
        ("(12|3)4", 2),
        ("[0-9X]{5}", 0),
        ("[^0-9]{5}", 0),
        ("1?2*3+", 1),
        (r"\pN{4}", 0),
        ("(?i)abc", 0),
        ("((?:5){2}){3}", 6),
        ("(", 0),
        ("[０-９]{4}", 0),
    ],
)
def test_min_digits_never_counts_more_than_a_match_must_hold(pattern: str, digits: int) -> None:
    assert _min_digits(pattern) == digits
