"""The credit policy: a versioned YAML file whose every value reaches SQL as a bound parameter.

A bureau edits thresholds in YAML, not code, so the loader is strict: a missing, unknown,
negative or wrongly typed key stops the run with the file and the dotted key named, before
any table is touched. A silently defaulted threshold would mis-tier real businesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml

POLICY_DIR = Path(__file__).parent / "policy"
DEFAULT_POLICY_PATH = POLICY_DIR / "wuhan-commerce-2026.1.yaml"

Kind = Literal["count", "amount", "text", "texts"]

# Every key the policy must hold and what it must be. `count`: a non-negative integer (points,
# days, months, years, thresholds); `amount`: a non-negative number of 万元; `text`: a non-empty
# string; `texts`: a non-empty list of non-empty strings (a category or status set).
SCHEMA: dict[str, Kind] = {
    "penalties.withdrawn_statuses": "texts",
    "penalties.unpublished_procedures": "texts",
    "penalties.warning_only_categories": "texts",
    "penalties.serious_categories": "texts",
    "penalties.serious_fine_min_wan": "amount",
    "penalties.serious_confiscation_min_wan": "amount",
    "penalties.minor_categories": "texts",
    "penalties.minor_fine_below_wan": "amount",
    "penalties.disclosure_months.minor": "count",
    "penalties.disclosure_months.general": "count",
    "penalties.disclosure_months.serious": "count",
    "penalties.repair_minimum_months.minor": "count",
    "penalties.repair_minimum_months.general": "count",
    "penalties.repair_minimum_months.serious": "count",
    "complaints.window_days": "count",
    "complaints.not_accepted_statuses": "texts",
    "complaints.unresolved_statuses": "texts",
    "complaints.pending_statuses": "texts",
    "complaints.pending_max_days": "count",
    "score.start": "count",
    "score.floor": "count",
    "score.penalty_points.serious": "count",
    "score.penalty_points.general": "count",
    "score.penalty_points.minor": "count",
    "score.complaint_volume.free_accepted": "count",
    "score.complaint_volume.points_each": "count",
    "score.complaint_volume.cap": "count",
    "score.complaint_unresolved.points_each": "count",
    "score.complaint_unresolved.cap": "count",
    "score.commitments.window_days": "count",
    "score.commitments.breach_points": "count",
    "score.commitments.partial_points": "count",
    "score.permit_lapsed.window_days": "count",
    "score.permit_lapsed.points": "count",
    "tiers.a_min_score": "count",
    "tiers.b_min_score": "count",
    "tiers.c_min_score": "count",
    "black_list.revocation_categories": "texts",
    "black_list.repeat_serious_min": "count",
    "black_list.repeat_violation_min": "count",
    "black_list.repeat_violation_window_days": "count",
    "black_list.false_commitment_types": "texts",
    "black_list.false_commitment_window_days": "count",
    "black_list.max_years": "count",
    "black_list.legal_basis.penalties": "text",
    "black_list.legal_basis.commitments": "text",
    "black_list.removal_conditions": "text",
    "red_list.min_permit_age_years": "count",
    "red_list.penalty_lookback_years": "count",
    "red_list.complaint_window_days": "count",
    "red_list.max_accepted_complaints": "count",
    "red_list.commitment_lookback_years": "count",
    "red_list.valid_years": "count",
}

# Counts that index a list of records ("the k-th latest") must be at least 1.
_AT_LEAST_ONE = ("black_list.repeat_serious_min", "black_list.repeat_violation_min")


class PolicyError(ValueError):
    """A policy file that cannot be used as it stands."""


@dataclass(frozen=True)
class Policy:
    version: str
    path: Path
    values: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, dotted_key: str) -> Any:
        return self.values[dotted_key]

    def sql_params(self) -> dict[str, Any]:
        """Flat `$name` parameters: the dotted key with `_` for `.`, plus `policy_version`."""
        params = {key.replace(".", "_"): value for key, value in self.values.items()}
        params["policy_version"] = self.version
        return params


def _leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def _check(path: Path, key: str, kind: Kind, value: Any) -> Any:
    def bad(expected: str) -> PolicyError:
        return PolicyError(f"credit policy {path}: key {key!r} must be {expected}, got {value!r}")

    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a non-negative integer")
        if value < 0 or (key in _AT_LEAST_ONE and value < 1):
            raise bad("at least 1" if key in _AT_LEAST_ONE else "a non-negative integer")
        return value
    if kind == "amount":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad("a non-negative number (万元)")
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            raise bad("a non-negative number (万元)") from None
        if not amount.is_finite() or amount < 0:
            raise bad("a non-negative number (万元)")
        return amount
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise bad("a non-empty string")
        return value.strip()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise bad("a non-empty list of non-empty strings")
    return [v.strip() for v in value]


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file (the default policy when `path` is None)."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"credit policy {path} cannot be read: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"credit policy {path}: the file must hold a mapping of keys")
    version = raw.pop("version", None)
    if not isinstance(version, str) or not version.strip():
        raise PolicyError(f"credit policy {path}: key 'version' must be a non-empty string, got {version!r}")
    leaves = _leaves(raw)
    problems = [f"key {k!r} is missing" for k in SCHEMA if k not in leaves]
    problems += [f"unknown key {k!r}" for k in sorted(leaves) if k not in SCHEMA]
    if problems:
        raise PolicyError(f"credit policy {path}: " + "; ".join(problems))
    values = {key: _check(path, key, kind, leaves[key]) for key, kind in SCHEMA.items()}
    if not values["tiers.a_min_score"] >= values["tiers.b_min_score"] >= values["tiers.c_min_score"]:
        raise PolicyError(
            f"credit policy {path}: key 'tiers' must satisfy a_min_score >= b_min_score >= c_min_score"
        )
    return Policy(version=version.strip(), path=path, values=values)
