"""The GE-on-DuckDB runner: its workaround, its engines, and how it treats the caller's connection.

The SQL engine runs through duckdb_engine with an autocommit connection (warehouse/ge_duckdb.py
explains why); the pandas engine is the reference it must agree with, count for count.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

from data_contracts import Contract, incoming_contract
from warehouse.db import connect
from warehouse.ge_duckdb import VERIFIED_VERSIONS, validate_batch

PENALTIES = incoming_contract("penalties")
COMPLAINTS = incoming_contract("complaints")


def _create(
    con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]], temp: bool = False
) -> None:
    kind = "TEMP TABLE" if temp else "TABLE"
    con.execute(f"CREATE {kind} {name} ({', '.join(f'{c} {t}' for c, t in columns)})")


# Defects at known rates: bad and missing categories, missing required text, duplicated keys
# (some with a NULL in the key), and respondent codes missing in exactly half the complaints.
_PENALTY_ROWS = """
INSERT INTO {table} BY NAME
SELECT
    '商户' || (i % 700) AS party_name,
    CASE WHEN i % 97 = 0 THEN '公司' WHEN i % 89 = 0 THEN NULL
         ELSE ['法人及非法人组织', '自然人', '个体工商户'][i % 3 + 1] END AS party_type,
    CASE WHEN i % 301 = 0 THEN NULL
         ELSE '文书' || CASE WHEN i % 50 = 1 THEN i - 1 ELSE i END END AS decision_doc_no,
    CASE WHEN i % 41 = 0 THEN NULL ELSE '事实' END AS violation_facts,
    '违法类型' AS violation_type, '依据' AS legal_basis, ['罚款'] AS penalty_categories,
    '内容' AS penalty_content, DATE '2026-01-01' + (i % 300)::INTEGER AS decision_date,
    '一年' AS penalty_validity, '机关' AS authority, '114201000000000001' AS authority_uscc,
    '来源' AS data_source, '114201000000000001' AS data_source_uscc,
    CASE WHEN i % 53 = 0 THEN '特别程序' WHEN i % 2 = 0 THEN '普通程序' ELSE NULL END AS procedure_type,
    '正常' AS current_status
FROM range($n) r(i)
"""

_COMPLAINT_ROWS = """
INSERT INTO {table} BY NAME
SELECT
    'TS' || (i - i % 500 * (i % 500 = 7)::INTEGER) AS complaint_no,
    DATE '2026-03-01' AS registered_on,
    '被投诉人' || i AS respondent_name,
    CASE WHEN i % 2 = 0 THEN NULL ELSE '91420100MA4KXXXX' || i END AS respondent_uscc,
    ['全国12315平台', '12345热线', '来信来访', '其他', '短信'][i % 5 + 1] AS channel,
    '商品质量' AS category,
    CASE WHEN i % 61 = 0 THEN NULL ELSE '处理中' END AS handling_status
FROM range($n) r(i)
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ge_duckdb") / "warehouse.duckdb"


@pytest.fixture(scope="module")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse as production opens it: a file, the cross-process lock held throughout."""
    with connect(warehouse, timeout_s=10) as c:
        _create(c, "penalties_batch", PENALTIES.typed_columns())
        c.execute(_PENALTY_ROWS.format(table="penalties_batch"), {"n": 20_000})
        _create(c, "complaints_batch", COMPLAINTS.typed_columns())
        c.execute(_COMPLAINT_ROWS.format(table="complaints_batch"), {"n": 4_000})
        yield c


def _comparable(results: list[dict]) -> list[tuple]:
    return [
        (r["rule_id"], r["success"], r["observed_value"], r["unexpected_count"], r["element_count"])
        for r in results
    ]


def test_the_workaround_is_pinned_to_the_versions_it_was_verified_with() -> None:
    installed = {
        "great_expectations": version("great_expectations"),
        "duckdb_engine": version("duckdb_engine"),
        "sqlalchemy": version("sqlalchemy"),
    }
    assert installed == VERIFIED_VERSIONS, (
        "GE, duckdb_engine or SQLAlchemy changed: re-run this module, check whether GE issues "
        "10738 / 11579 are fixed, then update VERIFIED_VERSIONS in warehouse/ge_duckdb.py"
    )


@pytest.mark.parametrize(
    ("table", "contract"), [("penalties_batch", PENALTIES), ("complaints_batch", COMPLAINTS)]
)
def test_sql_and_pandas_engines_give_identical_counts(
    con: duckdb.DuckDBPyConnection, table: str, contract: Contract
) -> None:
    on_sql = validate_batch(con, table, contract, None, "sql", engine="sql")
    on_pandas = validate_batch(con, table, contract, None, "pandas", engine="pandas")
    assert all(r["exception"] is None for r in on_sql.results + on_pandas.results)
    assert _comparable(on_sql.results) == _comparable(on_pandas.results)
    assert on_sql.failed_rule_ids == on_pandas.failed_rule_ids
    assert on_sql.success == on_pandas.success is False


def test_sql_engine_counts_match_plain_sql(con: duckdb.DuckDBPyConnection) -> None:
    """The counts GE reports are the ones a direct query gives, rule by rule."""
    v = validate_batch(con, "penalties_batch", PENALTIES, None, "counts")
    by_rule = {r["rule_id"]: r for r in v.results}
    expected = con.execute(
        """
        SELECT
            count(*) FILTER (party_type NOT IN ('法人及非法人组织', '自然人', '个体工商户')),
            count(*) FILTER (party_type IS NULL),
            count(*) FILTER (violation_facts IS NULL),
            count(*) FILTER (procedure_type NOT IN ('简易程序', '普通程序')),
            count(*) FILTER (decision_doc_no IS NULL)
        FROM penalties_batch
        """
    ).fetchall()[0]
    (dupes,) = con.execute(
        """
        SELECT coalesce(sum(n), 0)::BIGINT FROM (
            SELECT count(*) AS n FROM penalties_batch
            WHERE decision_doc_no IS NOT NULL AND authority_uscc IS NOT NULL
            GROUP BY decision_doc_no, authority_uscc HAVING count(*) > 1)
        """
    ).fetchall()[0]
    assert [
        by_rule["penalties.party_type.allowed_values"]["unexpected_count"],
        by_rule["penalties.party_type.required"]["unexpected_count"],
        by_rule["penalties.violation_facts.required"]["unexpected_count"],
        by_rule["penalties.procedure_type.allowed_values"]["unexpected_count"],
        by_rule["penalties.decision_doc_no.required"]["unexpected_count"],
    ] == list(expected)
    assert by_rule["penalties.key_unique_in_batch"]["unexpected_count"] == dupes > 0
    assert v.row_count == 20_000
    assert set(v.blocking_rule_ids) == {
        "penalties.party_type.allowed_values",
        "penalties.party_type.required",
        "penalties.violation_facts.required",
        "penalties.procedure_type.allowed_values",
        "penalties.decision_doc_no.required",
    }
    assert "penalties.key_unique_in_batch" in v.failed_rule_ids


def test_half_missing_codes_breach_a_less_than_half_rule(con: duckdb.DuckDBPyConnection) -> None:
    v = validate_batch(con, "complaints_batch", COMPLAINTS, None, "share")
    (share,) = [r for r in v.results if r["rule_id"] == "complaints.respondent_uscc_mostly_present"]
    assert share["unexpected_percent"] == 50.0 and not share["success"]
    assert share["severity"] == "warning"
    assert "complaints.respondent_uscc_mostly_present" not in v.blocking_rule_ids


def test_a_view_is_validated_like_a_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE VIEW penalties_clean AS SELECT * FROM penalties_batch "
        "WHERE party_type IN ('法人及非法人组织', '自然人', '个体工商户') AND violation_facts IS NOT NULL "
        "AND decision_doc_no IS NOT NULL AND (procedure_type IS NULL OR procedure_type = '普通程序' "
        "OR procedure_type = '简易程序')"
    )
    v = validate_batch(con, "penalties_clean", PENALTIES, None, "view")
    assert v.success, v.summary()
    assert v.failed_rule_ids == ["penalties.key_unique_in_batch"]  # a warning


def test_the_callers_connection_and_pending_result_are_left_alone(con: duckdb.DuckDBPyConnection) -> None:
    pending = con.execute("SELECT i FROM range(3) t(i) ORDER BY i")
    assert pending.fetchone() == (0,)
    for engine in ("sql", "pandas"):
        validate_batch(con, "complaints_batch", COMPLAINTS, None, "pending", engine=engine)
    assert con.fetchone() == (1,)
    assert con.fetchall() == [(2,)]


def test_objects_the_gate_cannot_see_are_refused_clearly(con: duckdb.DuckDBPyConnection) -> None:
    _create(con, "temp_batch", PENALTIES.typed_columns(), temp=True)
    with pytest.raises(ValueError, match="not in the warehouse as a committed table or view"):
        validate_batch(con, "temp_batch", PENALTIES, None, "temp")
    con.execute("BEGIN")
    try:
        _create(con, "uncommitted_batch", PENALTIES.typed_columns())
        with pytest.raises(ValueError, match="committed"):
            validate_batch(con, "uncommitted_batch", PENALTIES, None, "open transaction")
    finally:
        con.execute("ROLLBACK")
    with pytest.raises(ValueError, match="committed"):
        validate_batch(con, "no_such_batch", PENALTIES, None, "missing", engine="pandas")


@pytest.mark.parametrize("name", ["penalties_batch; DROP TABLE penalties_batch", "main.penalties_batch", ""])
def test_table_names_must_be_plain_identifiers(con: duckdb.DuckDBPyConnection, name: str) -> None:
    with pytest.raises(ValueError, match="plain table or view name"):
        validate_batch(con, name, PENALTIES, None, "bad name")


def test_unknown_engine_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="unknown GE engine"):
        validate_batch(con, "penalties_batch", PENALTIES, None, "x", engine="spark")  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["sql", "pandas"])
def test_a_missing_column_fails_the_rules_that_need_it(con: duckdb.DuckDBPyConnection, engine: str) -> None:
    columns = [(c, t) for c, t in PENALTIES.typed_columns() if c != "party_type"]
    name = f"no_party_type_{engine}"
    _create(con, name, columns)
    con.execute(f"INSERT INTO {name} BY NAME SELECT * EXCLUDE (party_type) FROM penalties_batch LIMIT 10")
    if engine == "pandas":
        with pytest.raises(duckdb.BinderException, match="party_type"):
            validate_batch(con, name, PENALTIES, None, "schema drift", engine=engine)
        return
    v = validate_batch(con, name, PENALTIES, None, "schema drift", engine=engine)
    assert not v.success
    broken = {r["rule_id"]: r for r in v.results if r["exception"]}
    assert {"penalties.party_type.required", "penalties.party_type.allowed_values"} <= set(broken)
    assert all(not r["success"] for r in broken.values())
    assert "penalties.party_type.required" in v.blocking_rule_ids


def test_progress_bars_stay_off(con: duckdb.DuckDBPyConnection, capfd: pytest.CaptureFixture[str]) -> None:
    validate_batch(con, "complaints_batch", COMPLAINTS, None, "quiet")
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert "%|" not in err


def test_no_docs_folder_means_no_docs(con: duckdb.DuckDBPyConnection) -> None:
    v = validate_batch(con, "complaints_batch", COMPLAINTS, None, "no docs")
    assert v.docs_path is None
    assert v.seconds > 0 and v.engine == "sql" and v.suite_name == "credit-lists-incoming-complaints_v1-0-1"


def test_the_batch_label_cannot_escape_the_docs_folder(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    v = validate_batch(con, "complaints_batch", COMPLAINTS, docs, "../../etc/passwd 2026/11/25")
    assert v.docs_path is not None and v.docs_path.is_file()
    assert v.docs_path.resolve().is_relative_to(docs.resolve())


def test_bad_values_cannot_script_the_data_docs_page(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Example values come from delivered files: the page shows them as text, never as markup."""
    _create(con, "hostile_batch", COMPLAINTS.typed_columns())
    con.execute(
        "INSERT INTO hostile_batch (complaint_no, registered_on, respondent_name, handling_status) VALUES "
        "('1', DATE '2026-01-01', '甲', '<script>alert(1)</script>'), "
        "('2', DATE '2026-01-01', '乙', '<img src=x onerror=alert(2)>')"
    )
    v = validate_batch(con, "hostile_batch", COMPLAINTS, tmp_path / "docs", "hostile")
    page = v.docs_path.read_text(encoding="utf-8") if v.docs_path else ""
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    (status,) = [r for r in v.results if r["rule_id"] == "complaints.handling_status.allowed_values"]
    shown = {c["value"] for c in status["partial_unexpected_counts"]}
    assert shown == {"<script>alert(1)</script>", "<img src=x onerror=alert(2)>"}  # metadata keeps them
