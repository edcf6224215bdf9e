"""The policy file: its defaults are the spec's numbers, and a broken file is refused by name."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from credit_fixtures import M, evaluate, penalty, permit, write_policy

from warehouse.db import SQL_DIR
from warehouse.policy import DEFAULT_POLICY_PATH, SCHEMA, PolicyError, load_policy


def test_default_policy_holds_the_spec_numbers() -> None:
    policy = load_policy()
    assert policy.version == "wuhan-commerce-2026.1"
    assert policy.path == DEFAULT_POLICY_PATH
    p = policy.sql_params()
    assert p["policy_version"] == "wuhan-commerce-2026.1"
    assert (p["score_start"], p["score_floor"]) == (100, 0)
    assert (
        p["score_penalty_points_serious"],
        p["score_penalty_points_general"],
        p["score_penalty_points_minor"],
    ) == (40, 15, 5)
    assert (
        p["score_complaint_volume_free_accepted"],
        p["score_complaint_volume_points_each"],
        p["score_complaint_volume_cap"],
    ) == (2, 2, 20)
    assert (p["score_complaint_unresolved_points_each"], p["score_complaint_unresolved_cap"]) == (5, 20)
    assert (p["score_commitments_breach_points"], p["score_commitments_partial_points"]) == (20, 10)
    assert (p["score_permit_lapsed_points"], p["score_permit_lapsed_window_days"]) == (5, 365)
    assert (p["tiers_a_min_score"], p["tiers_b_min_score"], p["tiers_c_min_score"]) == (95, 80, 60)
    assert p["penalties_serious_fine_min_wan"] == Decimal(10)
    assert p["penalties_serious_confiscation_min_wan"] == Decimal(10)
    assert p["penalties_minor_fine_below_wan"] == Decimal(1)
    assert (
        p["penalties_disclosure_months_minor"],
        p["penalties_disclosure_months_general"],
        p["penalties_disclosure_months_serious"],
    ) == (3, 12, 36)
    assert (
        p["penalties_repair_minimum_months_minor"],
        p["penalties_repair_minimum_months_general"],
        p["penalties_repair_minimum_months_serious"],
    ) == (0, 3, 12)
    assert set(p["penalties_serious_categories"]) == {
        "吊销许可证件",
        "吊销营业执照",
        "责令关闭",
        "责令停产停业",
        "限制开展生产经营活动",
        "限制从业",
        "降低资质等级",
    }
    assert set(p["black_list_revocation_categories"]) == set(p["penalties_serious_categories"]) - {
        "降低资质等级"
    }
    assert p["penalties_minor_categories"] == ["警告", "通报批评", "罚款"]
    assert p["black_list_false_commitment_types"] == ["审批替代型", "容缺受理型", "证明事项型"]
    assert (p["black_list_repeat_serious_min"], p["black_list_repeat_violation_min"]) == (2, 3)
    assert p["black_list_max_years"] == 3
    assert (p["complaints_window_days"], p["complaints_pending_max_days"]) == (365, 60)
    assert (p["red_list_min_permit_age_years"], p["red_list_penalty_lookback_years"]) == (2, 3)
    assert (p["red_list_max_accepted_complaints"], p["red_list_valid_years"]) == (2, 1)


def test_every_policy_key_reaches_the_credit_sql() -> None:
    """A key no SQL reads would be a threshold a bureau edits to no effect."""
    sql = "\n".join(p.read_text(encoding="utf-8") for p in (SQL_DIR / "credit").glob("*.sql"))
    used = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    params = set(load_policy().sql_params())
    assert params - used == set()
    assert used - params == {"as_of"}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["score"]["penalty_points"].pop("serious"), "'score.penalty_points.serious' is missing"),
        (lambda r: r["score"].__setitem__("start", -1), "'score.start' must be a non-negative integer"),
        (
            lambda r: r["tiers"].__setitem__("a_min_score", "95"),
            "'tiers.a_min_score' must be a non-negative integer",
        ),
        (
            lambda r: r["tiers"].__setitem__("a_min_score", 9.5),
            "'tiers.a_min_score' must be a non-negative integer",
        ),
        (
            lambda r: r["tiers"].__setitem__("a_min_score", True),
            "'tiers.a_min_score' must be a non-negative integer",
        ),
        (
            lambda r: r["penalties"].__setitem__("serious_fine_min_wan", -0.5),
            "'penalties.serious_fine_min_wan'",
        ),
        (
            lambda r: r["penalties"].__setitem__("serious_fine_min_wan", "ten"),
            "'penalties.serious_fine_min_wan'",
        ),
        (lambda r: r["penalties"].__setitem__("serious_categories", []), "'penalties.serious_categories'"),
        (
            lambda r: r["penalties"].__setitem__("serious_categories", "吊销营业执照"),
            "'penalties.serious_categories'",
        ),
        (
            lambda r: r["black_list"].__setitem__("repeat_violation_min", 0),
            "'black_list.repeat_violation_min'",
        ),
        (
            lambda r: r["black_list"]["legal_basis"].__setitem__("penalties", ""),
            "'black_list.legal_basis.penalties'",
        ),
        (lambda r: r["red_list"].__setitem__("valid_yeras", 1), "unknown key 'red_list.valid_yeras'"),
        (lambda r: r.pop("version"), "'version' must be a non-empty string"),
        (lambda r: r["tiers"].__setitem__("b_min_score", 96), "a_min_score >= b_min_score >= c_min_score"),
    ],
)
def test_a_broken_policy_is_refused_naming_file_and_key(tmp_path: Path, mutate, message: str) -> None:
    path = write_policy(tmp_path, mutate)
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_unreadable_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape(str(bad))):
        load_policy(bad)


def test_schema_lists_every_key_of_the_default_file() -> None:
    assert len(load_policy().values) == len(SCHEMA)


def test_edited_policy_changes_the_result(tmp_path: Path) -> None:
    """The numbers really come from the file: a bureau's edit changes scores, tiers and version."""

    def edit(raw: dict) -> None:
        raw["version"] = "test-edited"
        raw["score"]["penalty_points"]["general"] = 21
        raw["tiers"]["b_min_score"] = 85

    policy = load_policy(write_policy(tmp_path, edit))
    T = date(2026, 6, 30)
    records = [permit(date(2025, 1, 1)), penalty(date(2026, 5, 1), fine=5)]
    default = evaluate(records, T).merchant(M)
    edited = evaluate(records, T, policy).merchant(M)
    assert (default["score"], default["tier"], default["policy_version"]) == (
        85,
        "B",
        "wuhan-commerce-2026.1",
    )
    assert (edited["score"], edited["tier"], edited["policy_version"]) == (79, "C", "test-edited")
