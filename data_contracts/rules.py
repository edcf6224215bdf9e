"""Compile a contract into the typed projection and the row rules of the validate stage.

The output is SQL text made only from the contract (field names, rule ids, rule
expressions written in the contract) plus a dict of bound parameters for the values
(allowed-value lists, patterns, minimums): no data value is ever formatted into SQL.
The expressions use the macros of `warehouse/sql/macros.sql`.

The stage (`warehouse/sql/validate/stage.sql`) evaluates them in two levels: the typed
projection over a raw row, then the rules over the typed columns. The levels matter for
speed: a macro's argument is pasted into its body wherever it is used, so a rule written
over an expression instead of a column would normalise the value again for every use.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.contract import Contract, Field


@dataclass(frozen=True)
class CompiledRules:
    # "<expr> AS <column>, ..." over a raw row `r`: the validated columns, then the
    # helper columns the rules read (`_given_<field>`, `_ric_<field>`), never stored.
    typed_select: str
    record_select: str  # the raw row `r` as a JSON object, privacy fields replaced by their hash
    typed_columns: list[str]  # the validated table's data columns, in order
    row_cases: list[tuple[str, str]]  # (rule id, SQL boolean TRUE when the row fails), per row
    # Rules over the whole delivery (window functions): judged in a second pass over the
    # staged table, which reads only the columns they name.
    delivery_cases: list[tuple[str, str]]
    params: dict[str, object]

    @property
    def rule_cases(self) -> list[tuple[str, str]]:
        return [*self.row_cases, *self.delivery_cases]

    @property
    def failed_rules_sql(self) -> str:
        return _failed_list(self.row_cases)

    @property
    def delivery_failed_sql(self) -> str:
        return _failed_list(self.delivery_cases)


def _failed_list(cases: list[tuple[str, str]]) -> str:
    """SQL for the list of the ids of the rules a row fails (empty when it fails none)."""
    if not cases:
        return "CAST([] AS VARCHAR[])"
    whens = ", ".join(f"CASE WHEN {cond} THEN '{rule}' END" for rule, cond in cases)
    return f"list_filter([{whens}], lambda r: r IS NOT NULL)"


DEFAULT_SEPARATOR = "[;；]"


def _typed_expr(f: Field) -> str:
    col = f"r.{f.name}"
    if f.privacy == "hash":
        return f"keyed_hash({col})"
    if f.check == "uscc":
        return f"norm_uscc({col})"
    if f.logical_type == "date":
        return f"parse_date({col})"
    if f.logical_type == "number":
        return f"CAST(parse_decimal({col}) AS {f.physical_type})"
    if f.logical_type == "array":
        return (
            f"list_filter(list_transform(regexp_split_to_array(norm_text({col}), $separator_{f.name}), "
            f"lambda v: trim(v)), lambda v: v <> '')"
        )
    return f"norm_text({col})"


def _typed_name(f: Field) -> str:
    return f"{f.name}_hash" if f.privacy == "hash" else f.name


def _given(f: Field) -> tuple[str, str | None]:
    """SQL that is the field's value as delivered, normalised (NULL when none was given).

    For a text field that is its typed column, and for a hashed one the hash is NULL exactly
    when the normalised value is; other types need the normalised text as a helper column.
    Returns (expression, helper column definition or None).
    """
    if f.privacy == "hash" or (
        f.privacy != "drop" and f.check is None and f.logical_type not in ("date", "number", "array")
    ):
        return _typed_name(f), None
    return f"_given_{f.name}", f"norm_text(r.{f.name}) AS _given_{f.name}"


def compile_rules(contract: Contract) -> CompiledRules:
    ds = contract.dataset
    params: dict[str, object] = {}
    typed: list[str] = []
    helpers: list[str] = []
    cases: list[tuple[str, str]] = []
    for f in contract.fields:
        if f.privacy != "drop":
            typed.append(f"{_typed_expr(f)} AS {_typed_name(f)}")
        if f.logical_type == "array":
            params[f"separator_{f.name}"] = f.separator or DEFAULT_SEPARATOR
    columns = [t.rsplit(" AS ", 1)[1] for t in typed]
    for f in contract.fields:
        given, helper = _given(f)
        value = _typed_name(f)
        rid = f"{ds}.{f.name}"
        if f.required:
            # Missing means no value was given; a value given but unreadable fails its type
            # rule (date, number, uscc) instead, so the source is told what is really wrong.
            missing = f"{given} IS NULL"
            if f.logical_type == "array":
                missing = f"({value} IS NULL OR len({value}) = 0)"
            cases.append((f"{rid}.required", missing))
        if f.logical_type == "date":
            cases.append((f"{rid}.date", f"{given} IS NOT NULL AND {value} IS NULL"))
        if f.logical_type == "number":
            cases.append((f"{rid}.number", f"{given} IS NOT NULL AND {value} IS NULL"))
            if f.minimum is not None:
                key = f"min_{f.name}"
                params[key] = f.minimum
                cases.append((f"{rid}.minimum", f"{value} < ${key}"))
        if f.check == "uscc":
            # A value that normalises to nothing (dashes only, say) is not a code either.
            cases.append((f"{rid}.uscc", f"{given} IS NOT NULL AND NOT coalesce(uscc_valid({value}), false)"))
        if f.check == "ric":
            ident = f"_ric_{f.name}"
            helpers.append(f"upper(to_halfwidth(norm_text(r.{f.name}))) AS {ident}")
            # Only a value of the right shape reaches ric_valid (DuckDB evaluates every operand
            # of an AND over a whole vector, so the shape test inside it saves nothing); a value
            # of another shape fails the rule.
            shaped = f"CASE WHEN regexp_full_match({ident}, '[1-9][0-9]{{16}}[0-9X]') THEN {ident} END"
            cases.append((f"{rid}.ric", f"length({ident}) = 18 AND NOT coalesce(ric_valid({shaped}), false)"))
        if f.allowed_values is not None:
            key = f"allowed_{f.name}"
            params[key] = list(f.allowed_values)
            if f.logical_type == "array":
                cond = f"len(list_filter({value}, lambda v: NOT list_contains(${key}, v))) > 0"
            else:
                cond = f"{value} IS NOT NULL AND NOT list_contains(${key}, {value})"
            cases.append((f"{rid}.allowed_values", cond))
        if f.pattern:
            key = f"pattern_{f.name}"
            params[key] = f.pattern.removeprefix("^").removesuffix("$")
            cases.append(
                (f"{rid}.pattern", f"{value} IS NOT NULL AND NOT regexp_full_match({value}, ${key})")
            )
        if helper:
            helpers.append(helper)  # dropped by DuckDB's optimizer when no rule reads it
    delivery: list[tuple[str, str]] = []
    for rule in contract.explicit_row_rules:
        (delivery if rule.scope == "delivery" else cases).append((rule.id, f"({rule.sql})"))
    record_fields = []
    for f in contract.fields:
        if f.privacy:
            record_fields.append(f"'{f.name}': keyed_hash(r.{f.name})")
        else:
            record_fields.append(f"'{f.name}': r.{f.name}")
    record_fields.append("'_extra': r._extra")
    record = "to_json({" + ", ".join(record_fields) + "})"
    return CompiledRules(", ".join(typed + helpers), record, columns, cases, delivery, params)
