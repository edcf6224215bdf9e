"""Derive the Great Expectations suite that gates a validated batch from its data contract.

A contract's batch rules (ODCS library metrics) and the batch-level reading of its field
properties become GE 1.x expectations. Each expectation carries its contract rule id and
severity in `meta`, so a GE result (and its Data Docs page) maps back to the rule that a
person can look up in the contract. The mapping is kept as plain `ExpectationSpec` data so it
can be read and tested without importing GE (4 s); `build_suite` turns it into GE objects.

What the gate checks on the accepted batch, beyond the contract's explicit batch rules:
* every `required` field is complete (`<dataset>.<field>.required`, severity error);
* every field with `invalidValues` holds only its valid values (`<dataset>.<field>.allowed_values`,
  error); array fields are left to the row rules, GE cannot test list elements against a set;
* the primary key is unique (`<dataset>.<key>.unique`, warning) when no duplicateValues rule
  already covers it: a later delivery may legitimately correct a record in the same batch.
The row rules quarantine such rows before the batch is built, so a failure of a derived rule
means a leak in validation, which must block. Where an explicit batch rule covers the same
check on the same column, the explicit rule (and its id and severity) wins.

This module must not import duckdb or dagster; great_expectations is imported lazily.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from data_contracts.contract import BatchRule, Contract, Field

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

REQUIRED_CHECK = "required"
ALLOWED_VALUES_CHECK = "allowed_values"
UNIQUE_CHECK = "unique"

# Contract severities are error (blocks the batch) and warning (reported only); GE 1.x has
# its own severity field, which Data Docs shows, so keep the two in step.
_GE_SEVERITY = {"error": "critical", "warning": "warning"}

_ZERO_TOLERANCE = {("mustBe", 0.0), ("mustBeLessOrEqualTo", 0.0), ("mustBeLessThan", 1.0)}


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as plain data: the GE class name, its arguments and the rule it enforces."""

    rule_id: str
    severity: str
    expectation_type: str  # a class name in great_expectations.expectations
    kwargs: dict[str, Any] = field(default_factory=dict)
    rule_name: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """The batch columns the expectation reads (none for table-level ones)."""
        if "column" in self.kwargs:
            return (self.kwargs["column"],)
        return tuple(self.kwargs.get("column_list", ()))

    @property
    def description(self) -> str:
        """What Data Docs shows for the expectation: the rule id first, then the check in words."""
        return f"{self.rule_id} [{self.severity}]: {_in_words(self)}"

    def meta(self, contract: Contract) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "rule_name": self.rule_name,
            "contract_id": contract.id,
            "contract_version": contract.version,
        }


class UnsupportedRule(ValueError):
    """A contract rule that has no faithful GE expectation; the contract author must change it."""


def suite_name(contract: Contract) -> str:
    """Suite names carry the contract version, so Data Docs of old runs stay attributable."""
    return f"{contract.id}_v{contract.version.replace('.', '-')}"


def batch_column(f: Field) -> str | None:
    """The column that holds field `f` in the validated table (as `Contract.typed_columns`)."""
    if f.privacy == "drop":
        return None
    if f.privacy == "hash":
        return f"{f.name}_hash"
    return f.name


def expectation_specs(contract: Contract) -> list[ExpectationSpec]:
    """Every expectation of the contract's batch gate, explicit batch rules first."""
    specs = [_from_batch_rule(contract, rule) for rule in contract.batch_rules]
    explicit = list(specs)

    for f in contract.fields:
        column = batch_column(f)
        if column is None:
            continue
        if f.required and not _covered(explicit, "ExpectColumnValuesToNotBeNull", (column,), "error"):
            specs.append(
                ExpectationSpec(
                    rule_id=contract.rule_id(f"{f.name}.{REQUIRED_CHECK}"),
                    severity="error",
                    expectation_type="ExpectColumnValuesToNotBeNull",
                    kwargs={"column": column},
                    rule_name=f"{f.business_name} is required",
                )
            )
        if (
            f.allowed_values
            and f.logical_type != "array"
            and f.privacy is None
            and not _covered(explicit, "ExpectColumnValuesToBeInSet", (column,), "error")
        ):
            specs.append(
                ExpectationSpec(
                    rule_id=contract.rule_id(f"{f.name}.{ALLOWED_VALUES_CHECK}"),
                    severity="error",
                    expectation_type="ExpectColumnValuesToBeInSet",
                    kwargs={"column": column, "value_set": list(f.allowed_values)},
                    rule_name=f"{f.business_name} is one of its valid values",
                )
            )

    key_fields = [f for f in contract.fields if f.primary_key]
    key_columns = tuple(c for c in (batch_column(f) for f in key_fields) if c)
    if key_columns and len(key_columns) == len(key_fields):
        unique_type = _unique_type(key_columns)
        if not _covered(explicit, unique_type, key_columns, "warning"):
            local = key_fields[0].name if len(key_fields) == 1 else "primary_key"
            specs.append(
                ExpectationSpec(
                    rule_id=contract.rule_id(f"{local}.{UNIQUE_CHECK}"),
                    severity="warning",
                    expectation_type=unique_type,
                    kwargs=_columns_kwargs(key_columns),
                    rule_name="primary key unique within the batch",
                )
            )
    return specs


def import_great_expectations() -> ModuleType:
    """GE, imported on first use (4 s) with its usage analytics switched off: nothing leaves the machine."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations

    return great_expectations


def build_suite(contract: Contract, specs: Iterable[ExpectationSpec] | None = None) -> ExpectationSuite:
    """The GE `ExpectationSuite` for the contract (not yet added to any context)."""
    gx = import_great_expectations()

    expectations = []
    for spec in expectation_specs(contract) if specs is None else specs:
        cls = getattr(gx.expectations, spec.expectation_type)
        expectations.append(
            cls(
                **spec.kwargs,
                meta=spec.meta(contract),
                severity=_GE_SEVERITY[spec.severity],
                description=spec.description,
                notes=f"Contract rule `{spec.rule_id}` ({spec.severity}): {spec.rule_name}",
            )
        )
    return gx.ExpectationSuite(
        name=suite_name(contract),
        expectations=expectations,
        meta={"contract_id": contract.id, "contract_version": contract.version},
    )


def _in_words(spec: ExpectationSpec) -> str:
    k = spec.kwargs
    cols = ", ".join(spec.columns)
    share = f"at least {k['mostly'] * 100:.4g}% of rows: " if "mostly" in k else ""
    if spec.expectation_type == "ExpectTableRowCountToBeBetween":
        bounds = []
        if "min_value" in k:
            bounds.append(f"{'>' if k.get('strict_min') else '>='} {k['min_value']}")
        if "max_value" in k:
            bounds.append(f"{'<' if k.get('strict_max') else '<='} {k['max_value']}")
        return "row count " + " and ".join(bounds)
    if spec.expectation_type == "ExpectColumnValuesToNotBeNull":
        return f"{share}{cols} is not null"
    if spec.expectation_type in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        return f"{share}({cols}) is unique within the batch"
    if spec.expectation_type == "ExpectColumnValuesToBeInSet":
        return f"{share}{cols} is one of " + " / ".join(k["value_set"])
    return f"{spec.expectation_type} on {cols or 'the table'}"


def _covered(explicit: list[ExpectationSpec], kind: str, columns: tuple[str, ...], severity: str) -> bool:
    """An explicit rule replaces a derived one only when it is at least as strict."""
    return any(
        s.expectation_type == kind
        and s.columns == columns
        and "mostly" not in s.kwargs
        and (s.severity == "error" or severity == "warning")
        for s in explicit
    )


def _unique_type(columns: tuple[str, ...]) -> str:
    return "ExpectColumnValuesToBeUnique" if len(columns) == 1 else "ExpectCompoundColumnsToBeUnique"


def _from_batch_rule(contract: Contract, rule: BatchRule) -> ExpectationSpec:
    if rule.severity not in _GE_SEVERITY:
        raise UnsupportedRule(f"{rule.id}: severity {rule.severity!r} is neither error nor warning")
    base = {"rule_id": rule.id, "severity": rule.severity, "rule_name": rule.name}

    if rule.metric == "rowCount":
        if rule.unit != "rows" or rule.properties:
            raise UnsupportedRule(f"{rule.id}: rowCount counts the rows of the whole batch")
        return ExpectationSpec(
            expectation_type="ExpectTableRowCountToBeBetween", kwargs=_row_count_bounds(rule), **base
        )

    columns = tuple(_column(contract, rule, p) for p in rule.properties)
    if not columns:
        raise UnsupportedRule(f"{rule.id}: {rule.metric} needs arguments.properties")

    if rule.metric == "nullValues":
        if len(columns) != 1:
            raise UnsupportedRule(f"{rule.id}: nullValues is checked one property at a time")
        return ExpectationSpec(
            expectation_type="ExpectColumnValuesToNotBeNull",
            kwargs={"column": columns[0], **_mostly(rule)},
            **base,
        )
    if rule.metric == "duplicateValues":
        return ExpectationSpec(
            expectation_type=_unique_type(columns),
            kwargs={**_columns_kwargs(columns), **_mostly(rule)},
            **base,
        )
    if rule.metric == "invalidValues":
        if len(columns) != 1:
            raise UnsupportedRule(f"{rule.id}: invalidValues is checked one property at a time")
        return ExpectationSpec(
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": columns[0], "value_set": _valid_values(contract, rule), **_mostly(rule)},
            **base,
        )
    raise UnsupportedRule(f"{rule.id}: metric {rule.metric!r} has no Great Expectations mapping")


def _column(contract: Contract, rule: BatchRule, prop: str) -> str:
    try:
        column = batch_column(contract.field(prop))
    except KeyError:
        raise UnsupportedRule(f"{rule.id}: property {prop!r} is not a field of {contract.id}") from None
    if column is None:
        raise UnsupportedRule(f"{rule.id}: property {prop!r} is dropped before the batch is validated")
    return column


def _columns_kwargs(columns: tuple[str, ...]) -> dict[str, Any]:
    """One column, or a compound key whose rows with a missing part are left out.

    A key with a NULL part is no key (its `required` rule reports it); left in, GE's pandas
    engine counts such rows as duplicates of each other and its SQL engine does not.
    """
    if len(columns) == 1:
        return {"column": columns[0]}
    return {"column_list": list(columns), "ignore_row_if": "any_value_is_missing"}


def _row_count_bounds(rule: BatchRule) -> dict[str, Any]:
    t = rule.threshold
    if t != int(t):
        raise UnsupportedRule(f"{rule.id}: a row count threshold must be a whole number")
    t = int(t)
    bounds: dict[str, dict[str, Any]] = {
        "mustBe": {"min_value": t, "max_value": t},
        "mustBeGreaterThan": {"min_value": t, "strict_min": True},
        "mustBeGreaterOrEqualTo": {"min_value": t},
        "mustBeLessThan": {"max_value": t, "strict_max": True},
        "mustBeLessOrEqualTo": {"max_value": t},
    }
    if rule.operator not in bounds:
        raise UnsupportedRule(f"{rule.id}: rowCount does not support {rule.operator}")
    return bounds[rule.operator]


def _mostly(rule: BatchRule) -> dict[str, Any]:
    """GE's `mostly` is the fraction of considered rows that must pass, compared with `>=`.

    A count of bad rows maps to `mostly` only when it is zero (the batch size is unknown
    here); a percentage maps exactly: `< t%` bad means a good fraction strictly above
    `(100 - t) / 100`, which is the next float up. `(100 - t) / 100` rather than `1 - t / 100`
    so that the bound is the same correctly rounded float as GE's ratio at the boundary.
    """
    op, t = rule.operator, rule.threshold
    if rule.unit == "rows":
        if (op, t) in _ZERO_TOLERANCE:
            return {}
        raise UnsupportedRule(
            f"{rule.id}: {rule.metric} {op} {t:g} rows is only supported as zero; state it in percent"
        )
    if rule.unit != "percent":
        raise UnsupportedRule(f"{rule.id}: unit {rule.unit!r} is neither rows nor percent")
    if not 0.0 <= t <= 100.0:
        raise UnsupportedRule(f"{rule.id}: a percentage must lie between 0 and 100")
    good = (100.0 - t) / 100.0
    if (op == "mustBe" and t == 0.0) or (op == "mustBeLessOrEqualTo" and t == 0.0):
        return {}
    if op == "mustBeLessOrEqualTo":
        return {"mostly": good}
    if op == "mustBeLessThan":
        if t == 0.0:
            raise UnsupportedRule(f"{rule.id}: less than 0 percent can never pass")
        return {"mostly": math.nextafter(good, math.inf)}
    raise UnsupportedRule(
        f"{rule.id}: {rule.metric} in percent supports mustBe 0, mustBeLessThan and mustBeLessOrEqualTo"
    )


def _valid_values(contract: Contract, rule: BatchRule) -> list[str]:
    """`BatchRule` keeps only the properties of its arguments; read validValues from the YAML."""
    local_id = rule.id.split(".", 1)[1]
    for obj in contract.raw.get("schema", []):
        for q in obj.get("quality") or []:
            if q.get("id") == local_id:
                values = (q.get("arguments") or {}).get("validValues")
                if values:
                    return [str(v) for v in values]
    (prop,) = rule.properties
    allowed = contract.field(prop).allowed_values
    if not allowed:
        raise UnsupportedRule(f"{rule.id}: invalidValues needs arguments.validValues")
    return list(allowed)
