"""Load ODCS v3.1 contract files into typed objects.

The contract is the single place where a field's Chinese name, its aliases, its type and its
rules live; everything else (header mapping, SQL row rules, GE suites, published schemas)
is derived from these objects, so a rule id is written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTRACTS_DIR = Path(__file__).parent

# Every raw and validated row carries where it came from: the file (by ingestion order and
# hash), its path under the landing root, its record number in that file, and the ingest run.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file_seq", "BIGINT"),
    ("_file_sha256", "VARCHAR"),
    ("_path", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_run_id", "VARCHAR"),
)


@dataclass(frozen=True)
class Field:
    """One property of a contract's single schema object."""

    name: str
    business_name: str
    logical_type: str
    physical_type: str
    required: bool = False
    primary_key: bool = False
    aliases: tuple[str, ...] = ()
    check: str | None = None  # "uscc" or "ric"
    privacy: str | None = None  # "hash" or "drop": never leaves the raw layer in clear
    allowed_values: tuple[str, ...] | None = None
    minimum: float | None = None
    pattern: str | None = None
    separator: str | None = None  # regex that splits an array field
    description: str = ""


@dataclass(frozen=True)
class RowRule:
    """A row-level rule: `sql` is a DuckDB boolean expression that is TRUE when a row fails.

    Scope "row" (engine `duckdb-row`) reads one row; scope "delivery" (engine
    `duckdb-delivery`) may compare a row with the rest of its file through a window function,
    and is judged in a pass of its own that reads only the columns it names.
    """

    id: str
    name: str
    sql: str
    severity: str = "error"
    scope: str = "row"


@dataclass(frozen=True)
class BatchRule:
    """A batch-level expectation (ODCS library metric), run through Great Expectations."""

    id: str
    metric: str  # rowCount, nullValues, duplicateValues, invalidValues
    properties: tuple[str, ...]
    operator: str  # mustBe, mustBeGreaterThan, mustBeLessThan, ...
    threshold: float
    unit: str = "rows"
    severity: str = "error"
    name: str = ""


@dataclass(frozen=True)
class Contract:
    id: str
    version: str
    dataset: str
    business_name: str
    fields: tuple[Field, ...]
    explicit_row_rules: tuple[RowRule, ...] = ()
    batch_rules: tuple[BatchRule, ...] = ()
    quarantine_threshold: float = 1.0
    # A rate over a handful of rows says little about a file: smaller files are never held
    # whole (their bad rows are still quarantined one by one).
    quarantine_threshold_min_rows: int = 10
    business_key: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"contract {self.id} has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def rule_id(self, local_id: str) -> str:
        """Rule ids are global: `<dataset>.<local id>`."""
        return f"{self.dataset}.{local_id}"

    def typed_columns(self) -> list[tuple[str, str]]:
        """(column, DuckDB type) of the validated table, lineage columns last.

        Fields marked `privacy: drop` never get past the raw layer; `privacy: hash` ones
        survive only as a keyed hash in `<name>_hash`.
        """
        cols: list[tuple[str, str]] = []
        for f in self.fields:
            if f.privacy == "drop":
                continue
            if f.privacy == "hash":
                cols.append((f"{f.name}_hash", "VARCHAR"))
            elif f.logical_type == "date":
                cols.append((f.name, "DATE"))
            else:
                cols.append((f.name, f.physical_type))
        return cols + list(LINEAGE_COLUMNS)


_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
)


def _custom(props: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {p["property"]: p["value"] for p in props or []}


def _parse_field(raw: dict[str, Any]) -> Field:
    custom = _custom(raw.get("customProperties"))
    allowed: tuple[str, ...] | None = None
    for q in raw.get("quality") or []:
        if q.get("metric") == "invalidValues":
            allowed = tuple(str(v) for v in q["arguments"]["validValues"])
    options = raw.get("logicalTypeOptions") or {}
    return Field(
        name=raw["name"],
        business_name=raw.get("businessName", raw["name"]),
        logical_type=raw.get("logicalType", "string"),
        physical_type=raw.get("physicalType", "VARCHAR"),
        required=bool(raw.get("required", False)),
        primary_key=bool(raw.get("primaryKey", False)),
        aliases=tuple(str(a) for a in custom.get("aliases", [])),
        check=custom.get("check"),
        privacy=custom.get("privacy"),
        allowed_values=allowed,
        minimum=options.get("minimum"),
        pattern=options.get("pattern"),
        separator=custom.get("separator"),
        description=raw.get("description", ""),
    )


def _parse_batch_rule(dataset: str, raw: dict[str, Any]) -> BatchRule:
    operator = next(op for op in _OPERATORS if op in raw)
    args = raw.get("arguments") or {}
    return BatchRule(
        id=f"{dataset}.{raw['id']}",
        metric=raw["metric"],
        properties=tuple(args.get("properties", [])),
        operator=operator,
        threshold=float(raw[operator]),
        unit=raw.get("unit", "rows"),
        severity=raw.get("severity", "error"),
        name=raw.get("name", raw["id"]),
    )


_ROW_RULE_ENGINES = {"duckdb-row": "row", "duckdb-delivery": "delivery"}


def load_contract(path: Path) -> Contract:
    """Parse one contract file; raise ValueError naming the file on anything malformed."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        custom = _custom(raw.get("customProperties"))
        (obj,) = raw["schema"]
        fields = tuple(_parse_field(p) for p in obj["properties"])
        row_rules: list[RowRule] = []
        batch_rules: list[BatchRule] = []
        for q in obj.get("quality") or []:
            if q.get("type") == "custom" and q.get("engine") in _ROW_RULE_ENGINES:
                row_rules.append(
                    RowRule(
                        id=f"{custom['dataset']}.{q['id']}",
                        name=q.get("name", q["id"]),
                        sql=q["implementation"],
                        severity=q.get("severity", "error"),
                        scope=_ROW_RULE_ENGINES[q["engine"]],
                    )
                )
            elif "metric" in q:
                batch_rules.append(_parse_batch_rule(custom["dataset"], q))
        return Contract(
            id=raw["id"],
            version=str(raw["version"]),
            dataset=custom.get("dataset", obj["name"]),
            business_name=obj.get("businessName", obj["name"]),
            fields=fields,
            explicit_row_rules=tuple(row_rules),
            batch_rules=tuple(batch_rules),
            quarantine_threshold=float(custom.get("quarantineThreshold", 1.0)),
            quarantine_threshold_min_rows=int(custom.get("quarantineThresholdMinRows", 10)),
            business_key=tuple(custom.get("businessKey", [])),
            raw=raw,
        )
    except (KeyError, TypeError, ValueError, StopIteration, yaml.YAMLError) as exc:
        raise ValueError(f"data contract {path} is malformed: {exc!r}; fix the YAML and rerun") from exc


@cache
def incoming_contract(dataset: str) -> Contract:
    return load_contract(CONTRACTS_DIR / "incoming" / f"{dataset}.yaml")


def incoming_contracts() -> dict[str, Contract]:
    return {p.stem: incoming_contract(p.stem) for p in sorted((CONTRACTS_DIR / "incoming").glob("*.yaml"))}


@cache
def published_contract(name: str) -> Contract:
    return load_contract(CONTRACTS_DIR / "published" / f"{name}.yaml")


def published_contracts() -> dict[str, Contract]:
    return {p.stem: published_contract(p.stem) for p in sorted((CONTRACTS_DIR / "published").glob("*.yaml"))}


_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": "", " ": "", "\t": "", "\ufeff": ""})


def normalise_header(cell: str) -> str:
    """Header cells arrive with stray spaces, BOMs and full-width parentheses: fold them away."""
    return re.sub(r"\s+", "", str(cell).translate(_FULLWIDTH)).strip()


def header_map(contract: Contract) -> dict[str, str]:
    """Every accepted spelling of a header (normalised) -> the field's snake_case name."""
    mapping: dict[str, str] = {}
    for f in contract.fields:
        for spelling in (f.name, f.business_name, *f.aliases):
            mapping.setdefault(normalise_header(spelling), f.name)
            mapping.setdefault(normalise_header(spelling).lower(), f.name)
    return mapping
