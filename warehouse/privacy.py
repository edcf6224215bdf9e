"""Keep personal data out of every published file.

Two layers, both driven by `warehouse/policy/disclosure.yaml`. The release SQL masks identity-,
account- and phone-number-like substrings in free text before any file is written
(`masking_params`), and the gate (`scan_release`) then reads every cell of every Parquet file of a
release with DuckDB and reports anything that still looks like personal data. The gate runs on the
files as written, not on the SQL that made them, so a mistake anywhere upstream is caught. With a
release it cleared before, it reads only the rows that release does not hold, where that finds
exactly what reading every row finds (warehouse/gate_memory.py says when).

Complainants' names and the identity and phone numbers delivered in the raw layer are looked up
by equality; they live only in the warehouse, so that part of the scan needs the warehouse
connection and is reported as not run (a blocking finding) without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from re import _constants as re_constants  # the parser's node types
from re import _parser as re_parser  # to count the digits a policy pattern needs
from typing import Any

import duckdb
import yaml

from data_contracts import Contract, published_contracts
from warehouse import gate_memory
from warehouse.db import configure, query, run_sql, table_exists

DISCLOSURE_POLICY_PATH = Path(__file__).parent / "policy" / "disclosure.yaml"

RULES: dict[str, str] = {
    "privacy.id_number": "an 18-digit resident identity number that passes the GB 11643 check",
    "privacy.id_number_15": "a 15-digit identity number of the old kind",
    "privacy.mobile": "a mainland mobile phone number",
    "privacy.landline": "a landline phone number",
    "privacy.known_identifier": "an identity or phone number delivered in the raw layer",
    "privacy.complainant_name": "a complainant's name from raw_complaints",
    "privacy.forbidden_column": "a column name the disclosure policy forbids",
    "privacy.rule_not_run": "a privacy rule could not run",
}


@dataclass(frozen=True)
class Finding:
    """One place in a release where personal data may be. It never carries the value itself."""

    file: str
    column: str
    row: int | None  # 0-based row of the file; None for a finding about the column or the scan
    rule: str
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.file} column {self.column}" + ("" if self.row is None else f" row {self.row}")
        text = RULES.get(self.rule, self.rule)
        return f"{where}: {self.rule} ({text}{'; ' + self.detail if self.detail else ''})"


@dataclass(frozen=True)
class DisclosurePolicy:
    version: str
    mask_replacement: str
    mask_patterns: tuple[tuple[str, str], ...]  # (id, pattern), shapes expanded
    gate: dict[str, Any]  # every `*_pattern` with its shapes expanded
    keep_releases: int
    stale_staging_hours: float
    # (id, pattern) used next to an ASCII letter: a pattern's `next_to_letter` form, else the pattern
    mask_next_to_letter: tuple[tuple[str, str], ...] = ()


# A placeholder of a shape (disclosure.yaml, `shapes`): {name}, {d}, {dx}, {d:1-8}, {d:0}, {d:12}.
# Repetitions such as {4} or {1,6} start with a digit and are no placeholder.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([0-9]-[0-9]|[0-9]+))?\}")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _digit_class(spec: str | None, full_width: bool) -> str:
    """{d} and {d:...} as a character class: ASCII digits, and their full-width forms for masking."""
    if spec is None:
        return "[0-9０-９]" if full_width else "[0-9]"
    if "-" in spec:
        low, high = spec.split("-")
        if low > high:
            raise ValueError(f"empty digit range {{d:{spec}}}")
        ascii_part = f"{low}-{high}"
        wide_part = ascii_part.translate(_FULL_WIDTH)
    else:
        ascii_part = "".join(dict.fromkeys(spec))
        wide_part = ascii_part.translate(_FULL_WIDTH)
    if not full_width:
        return ascii_part if len(ascii_part) == 1 else f"[{ascii_part}]"
    return f"[{ascii_part}{wide_part}]"


def expand_shapes(template: str, shapes: Mapping[str, str], *, full_width: bool, _depth: int = 0) -> str:
    """A policy pattern with its shapes and digit placeholders replaced (see disclosure.yaml).

    `full_width` makes every digit placeholder match full-width digits (and Ｘ, ｘ) too: masking
    runs on the text as published, the gate on the text with full-width digits made ASCII."""
    if _depth > 20:
        raise ValueError(f"shapes nest too deep (a shape refers to itself?) in {template!r}")

    def replace(match: re.Match[str]) -> str:
        name, spec = match.group(1), match.group(2)
        if name == "d":
            return _digit_class(spec, full_width)
        if spec is not None:
            raise ValueError(f"only {{d:...}} takes digits, not {match.group(0)}")
        if name == "dx":
            return "[0-9０-９XxＸｘ]" if full_width else "[0-9Xx]"
        if name not in shapes:
            raise ValueError(f"unknown shape {match.group(0)} in {template!r}")
        return expand_shapes(str(shapes[name]), shapes, full_width=full_width, _depth=_depth + 1)

    return _PLACEHOLDER.sub(replace, template)


@cache
def disclosure_policy(path: Path = DISCLOSURE_POLICY_PATH) -> DisclosurePolicy:
    """Parse the disclosure policy; a missing key stops publication with the file and key named."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        masking = raw["masking"]
        gate = dict(raw["gate"])
        shapes = dict(raw.get("shapes") or {})
        if {"d", "dx"} & shapes.keys():
            raise ValueError("shapes.d and shapes.dx are reserved for digits")
        required = (
            "max_findings_per_rule",
            "id_number_min_birth_year",
            "id_number_15_pattern",
            "id_number_15_exempt_columns",
            "id_number_separated_pattern",
            "id_number_separated_next_to_letter_pattern",
            "mobile_token_pattern",
            "mobile_separated_pattern",
            "landline_pattern",
            "landline_token_pattern",
            "forbidden_columns",
            "forbidden_column_patterns",
            "complainant_names",
            "known_identifiers",
        )
        missing = [f"gate.{key}" for key in required if key not in gate]
        if missing:
            raise KeyError(", ".join(missing))
        for key in [k for k in gate if k.endswith("_pattern")]:
            gate[key] = expand_shapes(str(gate[key]), shapes, full_width=False)
        replacement = str(masking["replacement"])
        if any(ch.isdigit() for ch in replacement):
            raise ValueError("masking.replacement must hold no digit, or masked text could trip the gate")
        patterns = [
            (str(p["id"]), expand_shapes(str(p["pattern"]), shapes, full_width=True))
            for p in masking["patterns"]
        ]
        next_to_letter = [
            (str(p["id"]), expand_shapes(str(p["next_to_letter"]), shapes, full_width=True))
            if p.get("next_to_letter") is not None
            else pattern
            for p, pattern in zip(masking["patterns"], patterns, strict=True)
        ]
        policy = DisclosurePolicy(
            version=str(raw["version"]),
            mask_replacement=replacement,
            mask_patterns=tuple(patterns),
            gate=gate,
            keep_releases=int(raw["retention"]["keep_releases"]),
            stale_staging_hours=float(raw["retention"]["stale_staging_hours"]),
            mask_next_to_letter=tuple(next_to_letter),
        )
    except (KeyError, TypeError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise ValueError(f"disclosure policy {path} is malformed: {exc!r}; fix the YAML and rerun") from exc
    if policy.keep_releases < 1:
        raise ValueError(f"disclosure policy {path}: retention.keep_releases must be at least 1")
    return policy


# What may stand right before and after a masked number: the start or end, or any character but a
# digit (ASCII or full-width) or an ASCII letter. A number next to an ASCII letter (part of a code
# such as CN42010220260000035) is matched by the patterns' `next_to_letter` forms (disclosure.yaml)
# with digit boundaries alone.
_MASK_APART = "[^0-9０-９A-Za-z]"
_MASK_DIGIT_BOUNDARY = "[^0-9０-９]"


def masking_params(policy: DisclosurePolicy | None = None) -> dict[str, str]:
    """The bound parameters of `mask_pii` (sql/publish/macros.sql) for every release model.

    The patterns' alternation is wrapped in boundaries so that a number inside a longer run of
    digits (ASCII or full-width) is left alone, and the replacement keeps the boundary characters.
    Two branches: the patterns with neither a digit nor an ASCII letter on either side (groups 1
    and 2), else their `next_to_letter` forms with no digit on either side (groups 3 and 4); the
    groups of the branch that did not match are empty in the replacement.

    After a number that ends in an ASCII digit or X, the boundary is RE2's zero-width `\\b` (no
    ASCII letter, digit or _ follows) where it holds, so the character after the number is not
    consumed: it stays the left boundary of a number right after it (`138 1234 5678，4201 0619
    8503 1212 33`). Were it consumed, the search would go on inside that number and could mask
    a part of it (`4201 [masked] 33`, 0619 8503 1212 read as a landline), which no second pass
    undoes. A full-width digit after an ASCII one passes `\\b`: such a mixed run is masked in
    part, never left unmasked.
    """
    policy = policy or disclosure_policy()
    alternation = "|".join(pattern for _, pattern in policy.mask_patterns)
    next_to_letter = "|".join(pattern for _, pattern in (policy.mask_next_to_letter or policy.mask_patterns))
    return {
        "pii_pattern": (
            f"(^|{_MASK_APART})(?:{alternation})(?:\\b|({_MASK_APART}|$))"
            f"|(^|{_MASK_DIGIT_BOUNDARY})(?:{next_to_letter})(?:\\b|({_MASK_DIGIT_BOUNDARY}|$))"
        ),
        "pii_replacement": "\\1\\3" + policy.mask_replacement + "\\2\\4",
    }


@dataclass(frozen=True)
class GateScan:
    """What one read of a release's files found: the privacy findings, and for each dataset given
    cell rules the rows of contract_cells.sql (rule, column_name, first_row, failures). `full_scan`
    says whether every row was read (else only those a cleared release did not hold), and
    `name_bytes` the complainant-name lengths name keys were kept for (gate_memory)."""

    findings: list[Finding]
    cell_failures: dict[str, list[dict[str, Any]]]
    full_scan: bool = True
    name_bytes: tuple[int | None, int | None] = (None, None)


def scan_release(release_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[Finding]:
    """Every finding of the privacy gate in the Parquet files of `release_dir` (empty: none).

    Pass the warehouse connection: the complainant names and raw identity and phone numbers
    are read from it inside DuckDB and never cross into Python. Without it the pattern rules run
    on a private in-memory connection and the missing lookups are reported as findings.
    """
    scan_con = con if con is not None else _memory_connection()
    try:
        return gate_scan(release_dir, scan_con, warehouse=con is not None).findings
    finally:
        if con is None:
            scan_con.close()


def gate_scan(
    release_dir: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    warehouse: bool,
    cell_rules: Mapping[str, Mapping[str, Any]] | None = None,
    cleared: gate_memory.ClearedRelease | None = None,
) -> GateScan:
    """Read every Parquet file of `release_dir` once for the privacy scan and, for the datasets in
    `cell_rules` (the parameters `required_columns`, `allowed` and `uscc_columns` of
    contract_cells), for the cell-level contract rules too. `warehouse` says whether `con` holds the
    raw layer to take complainant names and raw identity and phone numbers from.

    With `cleared` (a release this gate cleared before, gate_memory.cleared_release), only the rows
    it does not hold are read, unless something looked up now could be in the rows it does hold."""
    policy = disclosure_policy()
    cell_rules = cell_rules or {}
    run_sql(con, "publish/macros")
    run_sql(con, "publish/privacy_known_reset")
    run_sql(con, "publish/privacy_candidates_reset")
    try:
        findings = _load_known_values(con, policy) if warehouse else [_not_run_without_warehouse()]
        if cleared is not None and (findings or not gate_memory.still_clear(con, cleared)):
            cleared = None
        failures: dict[str, list[dict[str, Any]]] = {}
        contracts = published_contracts()
        for path in sorted(Path(release_dir).glob("*.parquet")):
            rules = cell_rules.get(path.stem)
            file_findings, file_failures = _scan_file(
                con, path, contracts.get(path.stem), policy, rules, cleared
            )
            findings.extend(file_findings)
            if rules is not None:
                failures[path.stem] = file_failures
        return GateScan(findings, failures, cleared is None, gate_memory.known_name_bytes(con))
    finally:
        run_sql(con, "publish/privacy_known_reset")  # drop the looked-up values at once


def contract_cell_failures(
    con: duckdb.DuckDBPyConnection, path: Path, rules: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The rows of contract_cells.sql for one file, without the privacy scan."""
    run_sql(con, "publish/macros")
    columns = query(con, "publish/contract_columns", {"path": str(path)})
    try:
        _read_cells(con, path, columns, rules, scan=set(), name_scan=set(), policy=disclosure_policy())
        return query(con, "publish/contract_cells")
    finally:
        run_sql(con, "publish/privacy_cells_drop")


def _memory_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    configure(con)
    return con


def _not_run_without_warehouse() -> Finding:
    return Finding(
        file="*",
        column="*",
        row=None,
        rule="privacy.rule_not_run",
        detail="complainant names and raw identity/phone numbers need the warehouse connection: "
        "call check_release(staging, con) with the open warehouse",
    )


def _load_known_values(con: duckdb.DuckDBPyConnection, policy: DisclosurePolicy) -> list[Finding]:
    """Fill the TEMP table privacy_known from the raw layer; a source that lacks a column is a finding.

    A raw table that does not exist holds nothing to look for (no complaint was ever delivered).
    """
    names = policy.gate["complainant_names"]
    ids = policy.gate["known_identifiers"]
    sources = [("complainant_name", names["table"], [names["column"]], int(names["min_length"]))]
    sources += [
        ("identifier", s["table"], list(s["columns"]), int(ids["min_length"])) for s in ids["sources"]
    ]
    findings: list[Finding] = []
    for kind, table, columns, min_length in sources:
        if not table_exists(con, table):
            continue
        present = {r["column_name"] for r in query(con, "publish/privacy_source_columns", {"table": table})}
        missing = [c for c in columns if c not in present]
        if missing:
            findings.append(
                Finding(
                    file="*",
                    column=",".join(missing),
                    row=None,
                    rule="privacy.rule_not_run",
                    detail=f"raw table {table} has no column {', '.join(missing)} to take {kind} values from",
                )
            )
            continue
        run_sql(
            con,
            "publish/privacy_known",
            {"kind": kind, "table": table, "columns": columns, "min_length": min_length},
        )
    return findings


def _name_exempt_columns(name: str, contract: Contract | None, policy: DisclosurePolicy) -> list[str]:
    """Columns not compared with complainant names: the record's own party, closed vocabularies,
    and anything that is not text."""
    exempt = list(policy.gate["complainant_names"]["subject_name_columns"].get(name, []))
    if contract is not None:
        for f in contract.fields:
            if f.allowed_values or f.logical_type not in ("string", "array"):
                exempt.append(f.name)
    return exempt


# Types whose text (CAST AS VARCHAR) is the text their JSON value gives back, so release_leaves
# reads them without the JSON round trip; every other type is still read through JSON.
_TEXT_TYPES = frozenset(
    ("VARCHAR", "DATE", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT")
) | {"UINTEGER", "UBIGINT"}
# Columns the privacy scan skips: their text (2026-11-25, true) holds no identity or phone number
# and no name.
_UNSCANNED_TYPES = frozenset(("DATE", "BOOLEAN"))
# The shortest token a digit rule of privacy_findings.sql looks at (landlines: 10 to 12 digits,
# mobile numbers 11 and 13, identity numbers 15 and 18) has this many digits at least (a trailing X
# is no digit).
_TOKEN_RULE_DIGITS = 10


def _min_digits(pattern: str) -> int:
    """The fewest ASCII digits any match of a regular expression holds: 0 when unsure.

    Parsed with Python's own parser, which reads the RE2 syntax of the policy the same way; what
    it cannot parse counts 0 (no leaf is then skipped), and a class counts only if every character
    it can match is a digit, so the number never exceeds what RE2 can match.
    """
    try:
        return _tree_digits(re_parser.parse(pattern))
    except (re.error, RecursionError, ValueError, TypeError):
        return 0


def _tree_digits(items: Any) -> int:
    total = 0
    for op, av in items:
        if op is re_constants.LITERAL:
            total += 48 <= av <= 57
        elif op is re_constants.IN:
            total += all(_digit_class_item(o, a) for o, a in av) and bool(av)
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT):
            total += av[0] * _tree_digits(av[2])
        elif op is re_constants.SUBPATTERN:
            total += _tree_digits(av[-1])
        elif op is re_constants.ATOMIC_GROUP:
            total += _tree_digits(av)
        elif op is re_constants.BRANCH:
            total += min(_tree_digits(branch) for branch in av[1])
    return total


def _digit_class_item(op: Any, av: Any) -> bool:
    if op is re_constants.LITERAL:
        return 48 <= av <= 57
    if op is re_constants.RANGE:
        return av[0] >= 48 and av[1] <= 57
    return op is re_constants.CATEGORY and av is re_constants.CATEGORY_DIGIT


def digits_needed(policy: DisclosurePolicy) -> int:
    """The fewest digits a leaf must hold for some digit rule of the gate to match it."""
    gate = policy.gate
    return max(
        1,
        min(
            _TOKEN_RULE_DIGITS,
            int(gate["known_identifiers"]["min_length"]) - 1,  # a trailing X is no digit
            _min_digits(gate["mobile_separated_pattern"]),
            _min_digits(gate["landline_pattern"]),
            _min_digits(gate["landline_token_pattern"]),
            _min_digits(gate["id_number_separated_pattern"]),
            _min_digits(gate["id_number_separated_next_to_letter_pattern"]),
        ),
    )


def _leaf_kind(column_type: str) -> str:
    if column_type in _TEXT_TYPES:
        return "text"
    return "text_list" if column_type == "VARCHAR[]" else "json"


def _read_cells(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: list[dict[str, Any]],
    rules: Mapping[str, Any] | None,
    scan: set[str],
    name_scan: set[str],
    policy: DisclosurePolicy,
    new_rows_only: bool = False,
) -> None:
    """Build gate_cells for one file: one read shared by the contract rules and the privacy scan."""
    rules = rules or {}
    required = set(rules.get("required_columns", ()))
    allowed = {a["column_name"]: list(a["allowed_values"]) for a in rules.get("allowed", ())}
    uscc = set(rules.get("uscc_columns", ()))
    read = [c for c in columns if c["column_name"] in required | allowed.keys() | uscc | scan]
    kinds = {c["column_name"]: _leaf_kind(c["column_type"]) for c in read}
    run_sql(con, "publish/privacy_name_bytes")
    run_sql(
        con,
        "publish/privacy_gate_cells",
        {
            "path": str(path),
            "text_columns": [name for name, kind in kinds.items() if kind == "text"],
            "text_list_columns": [name for name, kind in kinds.items() if kind == "text_list"],
            "json_columns": [name for name, kind in kinds.items() if kind == "json"],
            "columns": [
                {
                    "column_name": name,
                    "required": name in required,
                    "allowed_values": allowed.get(name),
                    "uscc": name in uscc,
                }
                for name in kinds
                if name in required | allowed.keys() | uscc
            ],
            "scan_columns": sorted(scan),
            "name_columns": sorted(name_scan),
            "digits_needed": digits_needed(policy),
            "new_rows_only": new_rows_only,
        },
    )


def _scan_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract | None,
    policy: DisclosurePolicy,
    cell_rules: Mapping[str, Any] | None = None,
    cleared: gate_memory.ClearedRelease | None = None,
) -> tuple[list[Finding], list[dict[str, Any]]]:
    gate = policy.gate
    findings = [
        Finding(file=path.name, column=r["column_name"], row=None, rule="privacy.forbidden_column")
        for r in query(
            con,
            "publish/privacy_columns",
            {
                "path": str(path),
                "forbidden_columns": [c.lower() for c in gate["forbidden_columns"]],
                "forbidden_column_patterns": list(gate["forbidden_column_patterns"]),
            },
        )
    ]
    columns = query(con, "publish/contract_columns", {"path": str(path)})
    scan = {c["column_name"] for c in columns if c["column_type"] not in _UNSCANNED_TYPES}
    name_scan = scan - set(_name_exempt_columns(path.stem, contract, policy))
    new_rows_only = (
        cleared is not None
        and gate_memory.new_rows(
            con, path, cleared, *gate_memory.gate_read_columns(columns, scan, cell_rules)
        )
        is not None
    )
    try:
        _read_cells(con, path, columns, cell_rules, scan, name_scan, policy, new_rows_only)
        failures = query(con, "publish/contract_cells") if cell_rules is not None else []
        params = {
            "id_number_min_birth_year": int(gate["id_number_min_birth_year"]),
            "id_number_15_pattern": gate["id_number_15_pattern"],
            "id_number_15_exempt_columns": list(gate["id_number_15_exempt_columns"]),
            "mobile_token_pattern": gate["mobile_token_pattern"],
            "mobile_separated_pattern": gate["mobile_separated_pattern"],
            "landline_pattern": gate["landline_pattern"],
            "landline_token_pattern": gate["landline_token_pattern"],
            "id_number_separated_pattern": gate["id_number_separated_pattern"],
            "id_number_separated_next_to_letter_pattern": gate["id_number_separated_next_to_letter_pattern"],
            "known_min_length": int(gate["known_identifiers"]["min_length"]),
            "max_findings": int(gate["max_findings_per_rule"]),
        }
        run_sql(con, "publish/privacy_cells", params)
        hits = query(con, "publish/privacy_findings", params)
        run_sql(con, "publish/privacy_candidates", params)
    finally:
        run_sql(con, "publish/privacy_cells_drop")
    findings.extend(
        Finding(
            file=path.name,
            column=r["column_name"],
            row=int(r["row_no"]),
            rule=r["rule"],
            detail=f"{r['total']} row(s) of this column in all",
        )
        for r in hits
    )
    return findings, failures
