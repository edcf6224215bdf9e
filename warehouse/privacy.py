"""Keep personal data out of every published file.

Two layers, both driven by `warehouse/policy/disclosure.yaml`. The release SQL masks identity-,
account- and phone-number-like substrings in free text before any file is written
(`masking_params`), and the gate (`scan_release`) then reads every cell of every Parquet file of a
release with DuckDB and reports anything that still looks like personal data. The gate runs on the
files as written, not on the SQL that made them, so a mistake anywhere upstream is caught.

Complainants' names and the identity and phone numbers delivered in the raw layer are looked up
by equality; they live only in the warehouse, so that part of the scan needs the warehouse
connection and is reported as not run (a blocking finding) without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from data_contracts import Contract, published_contracts
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
    mask_patterns: tuple[tuple[str, str], ...]
    gate: dict[str, Any]
    keep_releases: int
    stale_staging_hours: float


@cache
def disclosure_policy(path: Path = DISCLOSURE_POLICY_PATH) -> DisclosurePolicy:
    """Parse the disclosure policy; a missing key stops publication with the file and key named."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        masking = raw["masking"]
        gate = raw["gate"]
        required = (
            "max_findings_per_rule",
            "id_number_min_birth_year",
            "id_number_15_pattern",
            "id_number_15_exempt_columns",
            "mobile_token_pattern",
            "mobile_separated_pattern",
            "landline_pattern",
            "forbidden_columns",
            "forbidden_column_patterns",
            "complainant_names",
            "known_identifiers",
        )
        missing = [f"gate.{key}" for key in required if key not in gate]
        if missing:
            raise KeyError(", ".join(missing))
        replacement = str(masking["replacement"])
        if any(ch.isdigit() for ch in replacement):
            raise ValueError("masking.replacement must hold no digit, or masked text could trip the gate")
        policy = DisclosurePolicy(
            version=str(raw["version"]),
            mask_replacement=replacement,
            mask_patterns=tuple((str(p["id"]), str(p["pattern"])) for p in masking["patterns"]),
            gate=gate,
            keep_releases=int(raw["retention"]["keep_releases"]),
            stale_staging_hours=float(raw["retention"]["stale_staging_hours"]),
        )
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"disclosure policy {path} is malformed: {exc!r}; fix the YAML and rerun") from exc
    if policy.keep_releases < 1:
        raise ValueError(f"disclosure policy {path}: retention.keep_releases must be at least 1")
    return policy


def masking_params(policy: DisclosurePolicy | None = None) -> dict[str, str]:
    """The bound parameters of `mask_pii` (sql/publish/macros.sql) for every release model.

    The patterns' alternation is wrapped in digit boundaries so that a number inside a longer run
    of digits is left alone, and the replacement keeps the boundary characters.
    """
    policy = policy or disclosure_policy()
    alternation = "|".join(pattern for _, pattern in policy.mask_patterns)
    return {
        "pii_pattern": f"(^|[^0-9])(?:{alternation})([^0-9]|$)",
        "pii_replacement": "\\1" + policy.mask_replacement + "\\2",
    }


def scan_release(release_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[Finding]:
    """Every finding of the privacy gate in the Parquet files of `release_dir` (empty: none).

    Pass the warehouse connection: the complainant names and raw identity and phone numbers
    are read from it inside DuckDB and never cross into Python. Without it the pattern rules run
    on a private in-memory connection and the missing lookups are reported as findings.
    """
    policy = disclosure_policy()
    scan_con = con if con is not None else _memory_connection()
    try:
        run_sql(scan_con, "publish/macros")
        run_sql(scan_con, "publish/privacy_known_reset")
        findings = _load_known_values(scan_con, policy) if con is not None else [_not_run_without_warehouse()]
        contracts = published_contracts()
        for path in sorted(Path(release_dir).glob("*.parquet")):
            findings.extend(_scan_file(scan_con, path, contracts.get(path.stem), policy))
        run_sql(scan_con, "publish/privacy_known_reset")  # drop the looked-up values at once
        return findings
    finally:
        if con is None:
            scan_con.close()


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


def _scan_file(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract | None, policy: DisclosurePolicy
) -> list[Finding]:
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
    skip = [
        r["column_name"]
        for r in query(con, "publish/contract_columns", {"path": str(path)})
        if r["column_type"] in ("DATE", "BOOLEAN")
    ]
    run_sql(con, "publish/privacy_cells", {"path": str(path), "skip_columns": skip})
    rows = query(
        con,
        "publish/privacy_findings",
        {
            "id_number_min_birth_year": int(gate["id_number_min_birth_year"]),
            "id_number_15_pattern": gate["id_number_15_pattern"],
            "id_number_15_exempt_columns": list(gate["id_number_15_exempt_columns"]),
            "mobile_token_pattern": gate["mobile_token_pattern"],
            "mobile_separated_pattern": gate["mobile_separated_pattern"],
            "landline_pattern": gate["landline_pattern"],
            "name_exempt_columns": _name_exempt_columns(path.stem, contract, policy),
            "known_min_length": int(gate["known_identifiers"]["min_length"]),
            "max_findings": int(gate["max_findings_per_rule"]),
        },
    )
    run_sql(con, "publish/privacy_cells_drop")
    findings.extend(
        Finding(
            file=path.name,
            column=r["column_name"],
            row=int(r["row_no"]),
            rule=r["rule"],
            detail=f"{r['total']} row(s) of this column in all",
        )
        for r in rows
    )
    return findings
