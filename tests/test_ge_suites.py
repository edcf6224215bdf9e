"""The contract -> Great Expectations mapping, and the batch gate it builds, on real DuckDB tables.

Batches are built from `contract.typed_columns()` in a warehouse file opened with
`warehouse.db.connect` (so the gate runs through the locked connection, as in production),
clean first, then broken one rule at a time: each broken batch must fail with exactly that
rule id, and only rules of severity error may fail the batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from data_contracts import INCOMING_DATASETS, BatchRule, Contract, incoming_contract
from data_contracts.ge_suites import (
    ExpectationSpec,
    UnsupportedRule,
    build_suite,
    expectation_specs,
    suite_name,
)
from warehouse.db import connect
from warehouse.ge_duckdb import validate_batch

Row = dict[str, Any]


# --- building batches -------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path_factory.mktemp("wh") / "warehouse.duckdb", timeout_s=10) as c:
        yield c


_TABLES = iter(range(1_000_000))


def _field_of(contract: Contract, column: str):
    for f in contract.fields:
        if column in (f.name, f"{f.name}_hash"):
            return f
    return None


def _value(contract: Contract, column: str, sql_type: str, i: int) -> Any:
    f = _field_of(contract, column)
    allowed = f.allowed_values if f else None
    if sql_type.endswith("[]"):
        return [allowed[i % len(allowed)]] if allowed else [f"{column}-{i}"]
    if sql_type == "DATE":
        return dt.date(2026, 1, 1) + dt.timedelta(days=i)
    if sql_type.startswith("DECIMAL"):
        return Decimal("1.5")
    if sql_type == "BIGINT":
        return i
    if allowed:
        return allowed[i % len(allowed)]
    return f"{column}-{i}"


def clean_rows(contract: Contract, n: int = 3) -> list[Row]:
    """Rows that satisfy every rule: required filled, valid values, keys distinct."""
    return [{c: _value(contract, c, t, i) for c, t in contract.typed_columns()} for i in range(n)]


def make_batch(con: duckdb.DuckDBPyConnection, contract: Contract, rows: list[Row]) -> str:
    name = f"{contract.dataset}_batch_{next(_TABLES)}"
    columns = contract.typed_columns()
    con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
    if rows:
        placeholders = ", ".join(f"${c}" for c, _ in columns)
        con.executemany(f"INSERT INTO {name} VALUES ({placeholders})", rows)
    return name


def break_rule(spec: ExpectationSpec, rows: list[Row], at: int = 0) -> list[Row]:
    """The clean rows changed (at row `at`) just enough to violate `spec` and nothing else."""
    rows = [dict(r) for r in rows]
    kind, cols = spec.expectation_type, spec.columns
    if kind == "ExpectTableRowCountToBeBetween":
        assert spec.kwargs.get("min_value", 0) >= 0 and "max_value" not in spec.kwargs
        return []
    if kind == "ExpectColumnValuesToNotBeNull":
        # a tolerated share of nulls is broken by nulls everywhere; zero tolerance by one null
        for r in rows if "mostly" in spec.kwargs else rows[at : at + 1]:
            r[cols[0]] = None
        return rows
    if kind == "ExpectColumnValuesToBeInSet":
        rows[at][cols[0]] = "不在清单内"
        return rows
    if kind in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        for c in cols:
            rows[at][c] = rows[at + 1][c]
        return rows
    raise AssertionError(f"no way to break {kind}")


def specs_by_rule(contract: Contract) -> dict[str, ExpectationSpec]:
    return {s.rule_id: s for s in expectation_specs(contract)}


# --- the mapping ------------------------------------------------------------------------


def test_every_incoming_contract_maps_to_a_suite_with_unique_rule_ids() -> None:
    for dataset in INCOMING_DATASETS:
        contract = incoming_contract(dataset)
        specs = expectation_specs(contract)
        ids = [s.rule_id for s in specs]
        assert len(ids) == len(set(ids)), dataset
        assert all(i.startswith(f"{dataset}.") for i in ids)
        # every explicit batch rule of the contract is in the suite, with its own severity
        explicit = {r.id: r.severity for r in contract.batch_rules}
        assert {s.rule_id: s.severity for s in specs if s.rule_id in explicit} == explicit
        columns = {c for c, _ in contract.typed_columns()}
        assert all(set(s.columns) <= columns for s in specs), dataset


def test_each_rule_kind_becomes_the_right_expectation() -> None:
    penalties = specs_by_rule(incoming_contract("penalties"))
    assert penalties["penalties.batch_not_empty"].expectation_type == "ExpectTableRowCountToBeBetween"
    assert penalties["penalties.batch_not_empty"].kwargs == {"min_value": 0, "strict_min": True}
    assert penalties["penalties.party_name_complete"].expectation_type == "ExpectColumnValuesToNotBeNull"
    assert penalties["penalties.party_name_complete"].kwargs == {"column": "party_name"}
    compound = penalties["penalties.key_unique_in_batch"]
    assert compound.expectation_type == "ExpectCompoundColumnsToBeUnique"
    assert compound.kwargs == {
        "column_list": ["decision_doc_no", "authority_uscc"],
        "ignore_row_if": "any_value_is_missing",
    }
    assert compound.severity == "warning"
    assert penalties["penalties.party_type.allowed_values"].kwargs == {
        "column": "party_type",
        "value_set": ["法人及非法人组织", "自然人", "个体工商户"],
    }
    assert penalties["penalties.decision_date.required"].kwargs == {"column": "decision_date"}

    commitments = specs_by_rule(incoming_contract("commitments"))
    single = commitments["commitments.key_unique_in_batch"]
    assert (single.expectation_type, single.kwargs) == (
        "ExpectColumnValuesToBeUnique",
        {"column": "commitment_code"},
    )

    complaints = specs_by_rule(incoming_contract("complaints"))
    share = complaints["complaints.respondent_uscc_mostly_present"]
    assert share.expectation_type == "ExpectColumnValuesToNotBeNull"
    # "< 50 percent null" is "more than half present": the next float above 0.5
    assert share.kwargs["mostly"] == math.nextafter(0.5, 1.0)
    assert share.severity == "warning"
    # a primary key with no duplicateValues rule is still checked, as a warning
    assert complaints["complaints.complaint_no.unique"].severity == "warning"


def test_explicit_rules_replace_derived_ones_only_when_as_strict() -> None:
    penalties = specs_by_rule(incoming_contract("penalties"))
    # party_name_complete (error, zero nulls) covers party_name's `required`
    assert "penalties.party_name.required" not in penalties
    # the warning on duplicate keys covers the primary key's derived uniqueness
    assert not any(r.endswith(".unique") for r in penalties)

    complaints = incoming_contract("complaints")
    lenient = BatchRule(
        id="complaints.names_mostly_present",
        metric="nullValues",
        properties=("respondent_name",),
        operator="mustBeLessThan",
        threshold=10.0,
        unit="percent",
        severity="warning",
    )
    specs = specs_by_rule(dataclasses.replace(complaints, batch_rules=(lenient,)))
    # a tolerant warning does not excuse a required field from being complete
    assert specs["complaints.respondent_name.required"].severity == "error"
    assert "mostly" in specs["complaints.names_mostly_present"].kwargs


def test_privacy_fields_are_checked_on_their_hash_or_not_at_all() -> None:
    penalties = incoming_contract("penalties")
    hashed = dataclasses.replace(penalties.field("party_id_no"), required=True)
    dropped = dataclasses.replace(penalties.field("remarks"), required=True, privacy="drop")
    fields = tuple(
        hashed if f.name == "party_id_no" else dropped if f.name == "remarks" else f for f in penalties.fields
    )
    specs = specs_by_rule(dataclasses.replace(penalties, fields=fields))
    assert specs["penalties.party_id_no.required"].columns == ("party_id_no_hash",)
    assert "penalties.remarks.required" not in specs

    rule = BatchRule(
        id="penalties.remarks_present",
        metric="nullValues",
        properties=("remarks",),
        operator="mustBe",
        threshold=0,
    )
    with pytest.raises(UnsupportedRule, match="dropped"):
        expectation_specs(dataclasses.replace(penalties, fields=fields, batch_rules=(rule,)))


def test_array_fields_are_left_to_the_row_rules() -> None:
    specs = specs_by_rule(incoming_contract("penalties"))
    assert "penalties.penalty_categories.allowed_values" not in specs
    assert specs["penalties.penalty_categories.required"].columns == ("penalty_categories",)


def _rule(
    metric: str, operator: str, threshold: float, unit: str = "rows", props: tuple[str, ...] = ("party_name",)
) -> BatchRule:
    return BatchRule(
        id="penalties.r", metric=metric, properties=props, operator=operator, threshold=threshold, unit=unit
    )


def _one_spec(rule: BatchRule) -> ExpectationSpec:
    contract = dataclasses.replace(incoming_contract("penalties"), batch_rules=(rule,))
    return expectation_specs(contract)[0]


@pytest.mark.parametrize(
    ("operator", "threshold", "kwargs"),
    [
        ("mustBe", 10, {"min_value": 10, "max_value": 10}),
        ("mustBeGreaterThan", 0, {"min_value": 0, "strict_min": True}),
        ("mustBeGreaterOrEqualTo", 1, {"min_value": 1}),
        ("mustBeLessThan", 500, {"max_value": 500, "strict_max": True}),
        ("mustBeLessOrEqualTo", 500, {"max_value": 500}),
    ],
)
def test_row_count_operators(operator: str, threshold: float, kwargs: dict[str, Any]) -> None:
    spec = _one_spec(_rule("rowCount", operator, threshold, props=()))
    assert spec.expectation_type == "ExpectTableRowCountToBeBetween"
    assert spec.kwargs == kwargs


@pytest.mark.parametrize(
    ("operator", "threshold", "unit", "mostly"),
    [
        ("mustBe", 0, "rows", None),
        ("mustBeLessThan", 1, "rows", None),
        ("mustBeLessOrEqualTo", 0, "rows", None),
        ("mustBe", 0, "percent", None),
        ("mustBeLessOrEqualTo", 30, "percent", 0.7),
        ("mustBeLessThan", 30, "percent", math.nextafter(0.7, 1.0)),
        ("mustBeLessOrEqualTo", 100, "percent", 0.0),
    ],
)
def test_null_share_operators(operator: str, threshold: float, unit: str, mostly: float | None) -> None:
    spec = _one_spec(_rule("nullValues", operator, threshold, unit))
    assert spec.kwargs.get("mostly") == mostly


@pytest.mark.parametrize(
    "rule",
    [
        _rule("nullValues", "mustBeLessThan", 5, "rows"),  # needs the batch size
        _rule("nullValues", "mustBeGreaterThan", 5, "percent"),
        _rule("nullValues", "mustBeLessThan", 0, "percent"),  # can never pass
        _rule("nullValues", "mustBeLessThan", 120, "percent"),
        _rule("nullValues", "mustBe", 0, "rows", props=("party_name", "party_type")),
        _rule("rowCount", "mustNotBe", 0, props=()),
        _rule("rowCount", "mustBeGreaterThan", 0, "percent", props=()),
        _rule("rowCount", "mustBeGreaterThan", 0.5, props=()),
        _rule("freshness", "mustBe", 0),
        _rule("duplicateValues", "mustBe", 0, props=()),
        _rule("duplicateValues", "mustBe", 0, props=("no_such_field",)),
        dataclasses.replace(_rule("nullValues", "mustBe", 0), severity="fatal"),
    ],
)
def test_rules_without_a_faithful_expectation_are_refused(rule: BatchRule) -> None:
    with pytest.raises(UnsupportedRule, match=r"^penalties\.r: "):
        _one_spec(rule)


def test_invalid_values_rule_reads_its_valid_values_from_the_contract() -> None:
    penalties = incoming_contract("penalties")
    raw = {
        "schema": [
            {
                "quality": [
                    {"id": "status_known", "metric": "invalidValues", "arguments": {"validValues": ["正常"]}}
                ]
            }
        ]
    }
    with_values = BatchRule(
        id="penalties.status_known",
        metric="invalidValues",
        properties=("current_status",),
        operator="mustBe",
        threshold=0,
    )
    spec = expectation_specs(dataclasses.replace(penalties, batch_rules=(with_values,), raw=raw))[0]
    assert (spec.expectation_type, spec.kwargs) == (
        "ExpectColumnValuesToBeInSet",
        {"column": "current_status", "value_set": ["正常"]},
    )
    # without validValues in the rule, the field's own valid values apply
    spec = expectation_specs(dataclasses.replace(penalties, batch_rules=(with_values,), raw={}))[0]
    assert spec.kwargs["value_set"] == ["正常", "撤销"]
    # the explicit rule replaces the derived allowed_values check of that field
    assert "penalties.current_status.allowed_values" not in specs_by_rule(
        dataclasses.replace(penalties, batch_rules=(with_values,), raw=raw)
    )


def test_ge_suite_carries_rule_ids_and_severities() -> None:
    contract = incoming_contract("complaints")
    suite = build_suite(contract)
    assert suite.name == suite_name(contract) == "credit-lists-incoming-complaints_v1-0-1"
    specs = expectation_specs(contract)
    assert [type(e).__name__ for e in suite.expectations] == [s.expectation_type for s in specs]
    for expectation, spec in zip(suite.expectations, specs, strict=True):
        assert expectation.meta["rule_id"] == spec.rule_id
        assert expectation.meta["severity"] == spec.severity
        assert expectation.meta["contract_id"] == contract.id
        assert expectation.severity.value == {"error": "critical", "warning": "warning"}[spec.severity]
        assert expectation.description.startswith(f"{spec.rule_id} [{spec.severity}]")


# --- the gate on real batches -----------------------------------------------------------


@pytest.mark.parametrize("dataset", INCOMING_DATASETS)
def test_a_clean_batch_passes(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    contract = incoming_contract(dataset)
    v = validate_batch(con, make_batch(con, contract, clean_rows(contract)), contract, None, "clean")
    assert v.success, v.summary()
    assert v.failed_rule_ids == [] and v.blocking_rule_ids == []
    assert v.row_count == 3
    assert len(v.results) == len(expectation_specs(contract))
    assert all(r["success"] and r["exception"] is None for r in v.results)


def _cases() -> list[tuple[str, str]]:
    """Every explicit batch rule of every contract, and one derived rule of each kind.

    (Every derived error rule is also broken, all at once, in the test after this one.)
    """
    cases = [(ds, r.id) for ds in INCOMING_DATASETS for r in incoming_contract(ds).batch_rules]
    cases += [
        ("penalties", "penalties.decision_date.required"),
        ("penalties", "penalties.party_type.allowed_values"),
        ("complaints", "complaints.complaint_no.unique"),
    ]
    return cases


@pytest.mark.parametrize(("dataset", "rule_id"), _cases())
def test_a_batch_breaking_one_rule_fails_with_that_rule_id(
    con: duckdb.DuckDBPyConnection, dataset: str, rule_id: str
) -> None:
    contract = incoming_contract(dataset)
    spec = specs_by_rule(contract)[rule_id]
    rows = break_rule(spec, clean_rows(contract))
    v = validate_batch(con, make_batch(con, contract, rows), contract, None, "broken")
    assert v.failed_rule_ids == [rule_id], v.summary()
    (result,) = [r for r in v.results if r["rule_id"] == rule_id]
    assert result["severity"] == spec.severity and not result["success"]
    if spec.severity == "error":
        assert not v.success and v.blocking_rule_ids == [rule_id]
    else:  # warnings are reported, never blocking
        assert v.success and v.blocking_rule_ids == []


@pytest.mark.parametrize("dataset", INCOMING_DATASETS)
def test_a_batch_breaking_every_error_rule_names_them_all(
    con: duckdb.DuckDBPyConnection, dataset: str
) -> None:
    contract = incoming_contract(dataset)
    errors = [s for s in expectation_specs(contract) if s.severity == "error"]
    rows = clean_rows(contract, len(errors) + 1)
    for at, spec in enumerate(errors):  # each rule on a row of its own, so none masks another
        if spec.expectation_type != "ExpectTableRowCountToBeBetween":
            rows = break_rule(spec, rows, at)
    v = validate_batch(con, make_batch(con, contract, rows), contract, None, "all broken")
    row_count_rules = {s.rule_id for s in errors if s.expectation_type == "ExpectTableRowCountToBeBetween"}
    assert set(v.blocking_rule_ids) == {s.rule_id for s in errors} - row_count_rules
    assert not v.success


def test_an_empty_batch_fails_its_row_count_rule_clearly(con: duckdb.DuckDBPyConnection) -> None:
    contract = incoming_contract("penalties")
    v = validate_batch(con, make_batch(con, contract, []), contract, None, "empty")
    assert not v.success
    assert v.failed_rule_ids == ["penalties.batch_not_empty"]
    assert v.row_count == 0
    (result,) = [r for r in v.results if r["rule_id"] == "penalties.batch_not_empty"]
    assert result["observed_value"] == 0 and result["exception"] is None
    assert "failed penalties.batch_not_empty" in v.summary()


@pytest.mark.parametrize(("nulls", "passes"), [(1, True), (2, False), (3, False)])
def test_percent_thresholds_are_exact_at_the_boundary(
    con: duckdb.DuckDBPyConnection, nulls: int, passes: bool
) -> None:
    """respondent_uscc must be null in fewer than 50 % of rows: 2 of 4 is not fewer."""
    contract = incoming_contract("complaints")
    rows = clean_rows(contract, 4)
    for r in rows[:nulls]:
        r["respondent_uscc"] = None
    v = validate_batch(con, make_batch(con, contract, rows), contract, None, "boundary")
    rule = "complaints.respondent_uscc_mostly_present"
    assert (rule not in v.failed_rule_ids) is passes
    assert v.success  # a warning either way
    (result,) = [r for r in v.results if r["rule_id"] == rule]
    assert result["unexpected_count"] == nulls
    assert result["unexpected_percent"] == pytest.approx(25.0 * nulls)


def test_data_docs_are_written_per_validation_and_name_the_suite_and_rules(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    contract = incoming_contract("penalties")
    docs = tmp_path / "docs"
    rows = break_rule(
        specs_by_rule(contract)["penalties.procedure_type.allowed_values"], clean_rows(contract)
    )
    first = validate_batch(con, make_batch(con, contract, rows), contract, docs, "2026-11-25 nightly")
    assert first.docs_path is not None and first.docs_path.is_file()
    assert first.docs_path.is_relative_to(docs) and first.docs_path.suffix == ".html"
    html = first.docs_path.read_text(encoding="utf-8")
    assert suite_name(contract) in html
    assert "penalties.procedure_type.allowed_values [error]" in html
    assert "不在清单内" in html  # the offending value is shown to the person who fixes it
    assert (docs / "expectations" / f"{suite_name(contract)}.html").is_file()

    other = incoming_contract("repairs")
    second = validate_batch(con, make_batch(con, other, clean_rows(other)), other, docs, "2026-11-25 nightly")
    assert second.docs_path is not None and second.docs_path.is_file()
    assert first.docs_path.is_file(), "a later validation must not delete earlier pages"
    assert suite_name(other) in second.docs_path.read_text(encoding="utf-8")
