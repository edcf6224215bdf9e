"""Release content, contracts, manifest and read-back: what downstream sites will read."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import jsonschema
import open_data_contract_standard
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
import yaml

from data_contracts import published_contract, published_contracts
from data_contracts.contract import CONTRACTS_DIR
from warehouse import release
from warehouse.db import SQL_DIR, split_statements, sql_text
from warehouse.privacy import masking_params

try:
    import test_release_fixtures as fx
except ModuleNotFoundError:  # tests imported as a package
    from tests import test_release_fixtures as fx

CJK = re.compile(r"[\u4e00-\u9fff]")


con = pytest.fixture(fx.warehouse_fixture, name="con")


@pytest.fixture
def published(con, tmp_path: Path) -> Path:
    return fx.publish(con, tmp_path / "publish")


def read(release_dir: Path, name: str) -> list[dict]:
    return pq.read_table(release_dir / f"{name}.parquet").to_pylist()


# --- contracts ------------------------------------------------------------------------------


def test_published_contracts_are_valid_odcs_with_chinese_names_and_keys() -> None:
    schema_path = Path(open_data_contract_standard.__file__).parent / "schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    contracts = published_contracts()
    assert set(contracts) == set(release.RELEASE_FILES)
    for name, contract in contracts.items():
        raw = yaml.safe_load((CONTRACTS_DIR / "published" / f"{name}.yaml").read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(raw)]
        assert errors == [], (name, errors)
        assert re.fullmatch(r"\d+\.\d+\.\d+", contract.version)
        assert contract.id == f"credit-lists-published-{name}"
        assert all(CJK.search(f.business_name) for f in contract.fields), name
        assert any(f.primary_key for f in contract.fields), name
        for f in contract.fields:
            release.arrow_type(f.physical_type)  # every physical type has an exact Parquet type


def test_interface_columns_are_all_published() -> None:
    """interfaces.md section 4: the columns downstream sites rely on."""
    promised = {
        "red_list": "uscc name district_code tier score listed_since valid_until reasons",
        "black_list": "uscc name district_code listed_since expected_until reason_codes basis_documents",
        "penalties": "decision_doc_no party_name party_type uscc violation_type penalty_categories "
        "penalty_content fine_amount_wan decision_date disclosure_until authority authority_uscc",
        "permits": "decision_doc_no party_name uscc permit_category certificate_name permit_no content "
        "decision_date valid_from valid_to authority status",
        "commitments": "commitment_code committer_name committer_uscc commitment_type reason made_on "
        "fulfilment_status acceptor",
    }
    for name, columns in promised.items():
        contract = published_contract(name)
        assert set(columns.split()) <= set(contract.field_names), name
        types = {f.name: f.physical_type for f in contract.fields}
        for col in columns.split():
            if col.endswith(("_date", "_since", "_until", "_from", "_to", "made_on")):
                assert types[col] == "DATE", (name, col)
    assert published_contract("penalties").field("fine_amount_wan").physical_type == "DECIMAL(18,6)"
    assert published_contract("black_list").field("basis_documents").physical_type == "VARCHAR[]"


@pytest.mark.parametrize("name", release.RELEASE_FILES)
def test_publish_sql_selects_exactly_the_contract_columns_and_types(con, name: str) -> None:
    from warehouse.db import run_sql

    run_sql(con, "publish/macros")
    run_sql(con, "publish/previous_listings_reset")
    (statement,) = split_statements(sql_text(f"publish/{name}"))
    params = {"as_of": fx.AS_OF, "previous_release_as_of": None, **masking_params()}
    described = con.sql(f"DESCRIBE {statement}", params=release._bound(statement, params)).fetchall()
    got = [(r[0], r[1].replace(" ", "")) for r in described]
    want = [(f.name, f.physical_type.replace(" ", "")) for f in published_contract(name).fields]
    assert got == want


def test_publish_sql_never_reads_complaints_or_raw_tables() -> None:
    for path in sorted((SQL_DIR / "publish").glob("*.sql")):
        if path.stem.startswith("privacy_"):
            continue  # the gate reads the raw layer to know what to look for
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8")).lower()
        assert "complain" not in text and "raw_" not in text, path


# --- content --------------------------------------------------------------------------------


def test_penalties_hold_only_publishable_penalties_active_on_as_of(published: Path) -> None:
    penalties = {r["decision_doc_no"]: r for r in read(published, "penalties")}
    assert set(penalties) == {
        "武岸市监罚〔2026〕101号",
        "武岸市监罚〔2026〕102号",
        "武岸市监罚〔2026〕103号",
        "武岸市监罚〔2026〕104号",
    }
    # repaired (201), expired (202), revoked (203), 简易程序 (204), window ending on as_of (205),
    # decided after as_of (206) and another evaluation date's row (207) are all absent
    natural = penalties["武岸市监罚〔2026〕102号"]
    assert natural["party_name"] == fx.NATURAL_PERSON and natural["party_type"] == "自然人"
    assert natural["uscc"] is None
    assert penalties["武岸市监罚〔2026〕103号"]["uscc"] == fx.C4
    serious = penalties["武岸市监罚〔2026〕104号"]
    assert serious["disclosure_until"] == fx.d(995)
    assert serious["fine_amount_wan"] == Decimal("12.500000")
    assert serious["confiscation_amount_wan"] == Decimal("1.250000")
    assert serious["penalty_categories"] == ["罚款", "吊销许可证件"]
    for row in penalties.values():
        assert row["decision_date"] <= fx.AS_OF < row["disclosure_until"]
        assert "legal_rep" not in row


def test_repair_that_still_leaves_the_minimum_period_publishes_the_shortened_end(con, tmp_path: Path) -> None:
    fx.insert(
        con,
        "penalties_resolved",
        [
            fx.penalty(
                "武岸市监罚〔2026〕208号",
                decision_date=fx.d(-40),
                base_disclosure_until=fx.d(325),
                repair_no="XF-2026-0002",
                repair_date=fx.d(-2),
                repair_applied=True,
                disclosure_until=fx.d(50),
                active=True,
            )
        ],
    )
    rows = {r["decision_doc_no"]: r for r in read(fx.publish(con, tmp_path), "penalties")}
    assert rows["武岸市监罚〔2026〕208号"]["disclosure_until"] == fx.d(50)


def test_permits_decided_by_as_of_with_their_status_on_that_date(published: Path) -> None:
    permits = {r["decision_doc_no"]: r for r in read(published, "permits")}
    assert set(permits) == {
        "武岸审批许〔2024〕301号",
        "武岸审批许〔2023〕302号",
        "武岸审批许〔2025〕303号",
        "武岸审批许〔2022〕304号",
    }  # 305 decided after as_of, 306 a 自然人's permit
    assert permits["武岸审批许〔2024〕301号"]["status"] == "有效"
    expired = permits["武岸审批许〔2023〕302号"]
    assert (expired["status"], expired["source_status"], expired["valid_to"]) == ("无效", "有效", fx.d(-30))
    assert permits["武岸审批许〔2025〕303号"]["status"] == "无效"
    assert all(r["party_type"] != "自然人" and r["uscc"] for r in permits.values())


def test_commitments_only_those_open_to_the_public(published: Path) -> None:
    rows = read(published, "commitments")
    assert [r["commitment_code"] for r in rows] == ["CN2026-0001", "CN2026-0002"]
    assert {r["disclosure_type"] for r in rows} == {"可向社会公开"}


def test_lists_carry_reasons_basis_and_removal_conditions(published: Path) -> None:
    (black,) = read(published, "black_list")
    assert black["uscc"] == fx.C2
    assert black["reason_codes"] == ["BL_REVOCATION"]
    assert black["basis_documents"] == ["武岸市监罚〔2026〕104号"]
    assert "武岸市监罚〔2026〕104号" in black["reason_text"]
    assert black["legal_basis"] and black["removal_conditions"]
    assert black["policy_version"] == fx.POLICY
    (red,) = read(published, "red_list")
    assert (red["uscc"], red["tier"], red["score"], red["valid_until"]) == (fx.C3, "A", 100, fx.d(365))


def _c4_history(as_of: date, list_: str, event: str, codes: list[str], text: str) -> dict:
    """A list_history row of C4, against the evaluation the day before."""
    return {
        "as_of": as_of,
        "previous_as_of": as_of - timedelta(days=1),
        "list": list_,
        "uscc": fx.C4,
        "name": "武汉市江岸区丁记小吃店",
        "event": event,
        "reason_codes": codes,
        "reason_text": text,
    }


def _black(as_of: date, event: str, text: str) -> dict:
    return _c4_history(as_of, "black", event, ["BL_REVOCATION"], text)


def test_changes_run_from_the_previous_release(con, tmp_path: Path) -> None:
    publish_dir = tmp_path / "publish"
    fx.load(con, fx.d(-7))  # the credit stage's tables for the week before, too
    fx.insert(
        con,
        "list_history",
        [_c4_history(fx.d(-3), "red", "left", ["RL_LISTED"], "移出诚信红名单：近365日有行政处罚。")],
    )
    # C4 was on the red list in the first release, so its exit after it is news
    c4_red = {
        "as_of": fx.d(-7),
        "uscc": fx.C4,
        "name": "武汉市江岸区丁记小吃店",
        "district_code": fx.C4[2:8],
        "tier": "A",
        "score": 100,
        "listed_since": fx.d(-37),
        "valid_until": fx.d(358),
        "reasons": "信用等级A，首次取得许可满2年且有有效许可，近3年无行政处罚。",
        "policy_version": fx.POLICY,
    }
    fx.insert(con, "red_list", [c4_red])
    first = fx.publish(con, publish_dir, fx.d(-7), run_id="aaaaaaaa-1")
    # a first release holds only its own date's changes
    assert {(r["as_of"], r["list"], r["event"]) for r in read(first, "changes")} == {
        (fx.d(-7), "black", "entered"),
        (fx.d(-7), "red", "entered"),
    }
    # C2 (black) is in both releases: its entry in the fixture's history at AS_OF is no news
    second = fx.publish(con, publish_dir, fx.AS_OF, run_id="bbbbbbbb-2")
    changes = read(second, "changes")
    assert [(r["as_of"], r["list"], r["uscc"], r["event"]) for r in changes] == [
        (fx.d(-3), "red", fx.C4, "left"),
    ]
    assert all(r["reason_text"] for r in changes)


def test_a_listing_that_began_and_ended_between_two_releases_is_not_published(con, tmp_path: Path) -> None:
    """A merchant black-listed at d(-5) on a penalty revoked by d(-2) was on the list in neither
    release: its entry and exit would publish the listing and the revoked decision's number now
    (domain.md: a revoked decision is withdrawn; a release holds only what is disclosable)."""
    publish_dir = tmp_path / "publish"
    fx.load(con, fx.d(-7))
    transient = [
        _black(fx.d(-5), "entered", "列入失信黑名单：武岸市监罚〔2026〕999号（吊销营业执照）。"),
        _black(fx.d(-2), "left", "移出失信黑名单：原列入依据 武岸市监罚〔2026〕999号：处罚决定已撤销。"),
    ]
    fx.insert(con, "list_history", transient)
    con.execute(
        "DELETE FROM black_list WHERE as_of = $d AND uscc = $u", {"d": fx.d(-7), "u": fx.C2}
    )  # C2 is new
    fx.publish(con, publish_dir, fx.d(-7), run_id="aaaaaaaa-1")
    second = fx.publish(con, publish_dir, fx.AS_OF, run_id="bbbbbbbb-2")
    changes = read(second, "changes")
    assert fx.C4 not in {r["uscc"] for r in changes}, changes
    assert not any("999号" in (r["reason_text"] or "") for r in changes)
    assert [(r["as_of"], r["list"], r["uscc"], r["event"]) for r in changes] == [
        (fx.AS_OF, "black", fx.C2, "entered")
    ]


def _c4_black_in_the_first_release(con, publish_dir: Path) -> None:
    fx.load(con, fx.d(-7))
    c4 = {**fx.rows(fx.d(-7))["black_list"][0], "uscc": fx.C4, "name": "武汉市江岸区丁记小吃店"}
    fx.insert(con, "black_list", [c4])
    fx.publish(con, publish_dir, fx.d(-7), run_id="aaaaaaaa-1")


def test_an_exit_and_a_transient_relisting_publish_only_the_exit_of_the_published_listing(
    con, tmp_path: Path
) -> None:
    """C4 was black-listed in the first release, left at d(-6), was listed again at d(-5) on a
    penalty revoked by d(-2): the second release tells the exit of the listing it had published,
    and nothing of the one in between (a review's reproduction, /tmp/review10/changes_relisted.py)."""
    publish_dir = tmp_path / "publish"
    _c4_black_in_the_first_release(con, publish_dir)
    first_exit = "移出失信黑名单：原列入依据 武岸市监罚〔2026〕104号：公示期已届满。"
    fx.insert(
        con,
        "list_history",
        [
            _black(fx.d(-6), "left", first_exit),
            _black(fx.d(-5), "entered", "列入失信黑名单：武岸市监罚〔2026〕999号（吊销营业执照）。"),
            _black(fx.d(-2), "left", "移出失信黑名单：原列入依据 武岸市监罚〔2026〕999号：处罚决定已撤销。"),
        ],
    )
    changes = read(fx.publish(con, publish_dir, fx.AS_OF, run_id="bbbbbbbb-2"), "changes")
    c4 = [(r["as_of"], r["event"], r["reason_text"]) for r in changes if r["uscc"] == fx.C4]
    assert c4 == [(fx.d(-6), "left", first_exit)]


def test_the_previous_release_is_read_from_its_files_not_from_the_warehouse(con, tmp_path: Path) -> None:
    """The warehouse may no longer hold the previous release's lists (rebuilt, restored, never
    evaluated that date): the exit of a merchant that release published is still told (a review's
    reproduction, /tmp/review10/changes_no_prev_rows.py)."""
    publish_dir = tmp_path / "publish"
    _c4_black_in_the_first_release(con, publish_dir)
    for table in ("black_list", "red_list"):
        con.execute(f"DELETE FROM {table} WHERE as_of = $d", {"d": fx.d(-7)})
    fx.insert(con, "list_history", [_black(fx.d(-2), "left", "移出失信黑名单：原列入依据已届满。")])
    changes = read(fx.publish(con, publish_dir, fx.AS_OF, run_id="bbbbbbbb-2"), "changes")
    assert [(r["as_of"], r["event"]) for r in changes if r["uscc"] == fx.C4] == [(fx.d(-2), "left")]


# --- files, manifest, datapackage -----------------------------------------------------------


def test_every_file_reads_back_in_duckdb_pyarrow_polars_and_pandas(published: Path) -> None:
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {f"{n}.parquet" for n in release.RELEASE_FILES}
    con = duckdb.connect()
    for name in release.RELEASE_FILES:
        path = published / f"{name}.parquet"
        entry = manifest["files"][path.name]
        contract = published_contract(name)
        data = path.read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert (entry["contract_id"], entry["contract_version"]) == (contract.id, contract.version)

        described = con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()
        assert [(r[0], r[1].replace(" ", "")) for r in described] == [
            (f.name, f.physical_type.replace(" ", "")) for f in contract.fields
        ]
        assert (
            con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(path)}).fetchone()[0]
            == entry["rows"]
        )

        table = pq.read_table(path)
        assert table.num_rows == entry["rows"]
        assert table.schema.remove_metadata().equals(release.arrow_schema(contract))
        kv = pq.read_metadata(path).metadata
        assert kv[b"contract_id"].decode() == contract.id
        assert kv[b"contract_version"].decode() == contract.version
        assert kv[b"policy_version"].decode() == fx.POLICY
        assert kv[b"as_of"].decode() == fx.AS_OF.isoformat()

        frame = pl.read_parquet(path)
        assert frame.height == entry["rows"]
        for f in contract.fields:
            dtype = frame.schema[f.name]
            if f.physical_type == "DATE":
                assert dtype == pl.Date
            elif f.physical_type.startswith("DECIMAL"):
                assert dtype == pl.Decimal(18, 6)
            elif f.physical_type == "VARCHAR[]":
                assert dtype == pl.List(pl.String)
            elif f.physical_type == "INTEGER":
                assert dtype == pl.Int32
            else:
                assert dtype == pl.String

        pdf = pd.read_parquet(path, dtype_backend="pyarrow")
        assert len(pdf) == entry["rows"]
        assert list(pdf.columns) == list(contract.field_names)
        for f in contract.fields:
            assert pdf[f.name].dtype == pd.ArrowDtype(release.arrow_type(f.physical_type)), (name, f.name)


def test_manifest_latest_and_datapackage_describe_the_release(published: Path) -> None:
    publish_dir = published.parent.parent
    manifest_bytes = (published / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    assert manifest["release"] == published.name
    assert release.RELEASE_ID.match(published.name)
    assert published.name.startswith(fx.AS_OF.isoformat() + "--")
    assert (manifest["as_of"], manifest["policy_version"], manifest["run_id"]) == (
        fx.AS_OF.isoformat(),
        fx.POLICY,
        "0f0e0d0c-run",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created_at"])

    latest = release.read_latest(publish_dir)
    assert latest["release"] == f"releases/{published.name}"
    assert (latest["as_of"], latest["policy_version"]) == (fx.AS_OF.isoformat(), fx.POLICY)
    assert latest["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert latest["published_at"].endswith("Z")

    package_bytes = (published / "datapackage.json").read_bytes()
    assert manifest["datapackage"]["sha256"] == hashlib.sha256(package_bytes).hexdigest()
    package = json.loads(package_bytes)
    assert package["$schema"].startswith("https://datapackage.org/profiles/2.0/")
    assert re.fullmatch(r"[a-z0-9._-]+", package["name"])
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == set(release.RELEASE_FILES)
    for name, resource in resources.items():
        entry = manifest["files"][f"{name}.parquet"]
        assert resource["path"] == f"{name}.parquet"
        assert (resource["format"], resource["type"]) == ("parquet", "table")
        assert resource["hash"] == f"sha256:{entry['sha256']}"
        assert resource["bytes"] == entry["bytes"]
        contract = published_contract(name)
        assert CJK.search(resource["title"])
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == list(contract.field_names)
        assert [f["title"] for f in fields] == [f.business_name for f in contract.fields]
        by_name = {f["name"]: f for f in fields}
        for f in contract.fields:
            want = {"DATE": "date", "INTEGER": "integer", "VARCHAR[]": "list", "VARCHAR": "string"}.get(
                f.physical_type, "number"
            )
            assert by_name[f.name]["type"] == want, (name, f.name)
            assert by_name[f.name].get("constraints", {}).get("required", False) == f.required
        assert resource["schema"]["primaryKey"] == [f.name for f in contract.fields if f.primary_key]


def test_same_inputs_give_byte_identical_data_files(con, tmp_path: Path) -> None:
    a = release.build_release(con, tmp_path / "a", fx.AS_OF, "11111111-a", fx.POLICY)
    b = release.build_release(con, tmp_path / "b", fx.AS_OF, "22222222-b", fx.POLICY)
    files_a = json.loads((a / "manifest.json").read_text(encoding="utf-8"))["files"]
    files_b = json.loads((b / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {n: e["sha256"] for n, e in files_a.items()} == {n: e["sha256"] for n, e in files_b.items()}


def test_build_writes_nothing_visible(con, tmp_path: Path) -> None:
    publish_dir = tmp_path / "publish"
    staging = release.build_release(con, publish_dir, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert staging.parent == publish_dir / ".staging"
    assert release.read_latest(publish_dir) is None
    assert release.release_ids(publish_dir) == []
    assert (publish_dir / ".staging").stat().st_mode & 0o077 == 0


# --- refusals ---------------------------------------------------------------------------------


def test_build_refuses_a_date_the_credit_stage_has_not_evaluated(con, tmp_path: Path) -> None:
    with pytest.raises(release.ReleaseError, match="merchant_credit has no rows"):
        release.build_release(con, tmp_path, fx.d(1), "0f0e0d0c-run", fx.POLICY)
    with pytest.raises(release.ReleaseError, match="evaluated under"):
        release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", "another-policy-9")
    con.execute("DROP TABLE list_history")
    with pytest.raises(release.ReleaseError, match="list_history"):
        release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert not (tmp_path / "releases").exists() or release.release_ids(tmp_path) == []


def test_contract_violations_block_the_release_and_name_file_column_rule(con, tmp_path: Path) -> None:
    fx.insert(
        con,
        "permits_resolved",
        [
            fx.permit("武岸审批许〔2024〕401号", permit_category="未知"),
            fx.permit("武岸审批许〔2024〕402号", uscc="91420102MA4K000010"),  # wrong check character
            fx.permit("武岸审批许〔2024〕301号"),  # the key again
            fx.permit("武岸审批许〔2024〕403号", content=None),
            fx.permit("武岸审批许〔2024〕404号", valid_from=fx.d(10), valid_to=fx.d(5), valid_at_as_of=False),
        ],
    )
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    problems = release.check_release(staging, con)
    text = "\n".join(problems)
    assert (
        "permits.parquet column permit_category row" in text
        and "published.permits.permit_category.valid_values" in text
    )
    assert "permits.parquet column uscc row" in text and "published.permits.uscc.uscc" in text
    assert "published.permits.primary_key" in text
    assert "permits.parquet column content row" in text and "published.permits.content.required" in text
    assert "published.permits.validity_order" in text
    assert not any(
        p.startswith(("penalties", "red_list", "black_list", "commitments", "changes")) for p in problems
    )
    with pytest.raises(release.ReleaseError, match="has not passed check_release"):
        release.promote_release(staging, tmp_path)
    assert release.read_latest(tmp_path) is None


def test_a_file_changed_after_the_check_is_not_promoted(con, tmp_path: Path) -> None:
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    assert release.check_release(staging, con) == []
    table = pq.read_table(staging / "red_list.parquet")
    pq.write_table(table.slice(0, 0), staging / "red_list.parquet")
    with pytest.raises(release.ReleaseError, match="changed after its check"):
        release.promote_release(staging, tmp_path)
    assert release.release_ids(tmp_path) == []
    problems = release.check_release(staging, con)
    assert any(p.startswith("red_list.parquet: ") and "manifest.json says" in p for p in problems)


def test_wrong_columns_in_a_candidate_are_reported(con, tmp_path: Path) -> None:
    staging = release.build_release(con, tmp_path, fx.AS_OF, "0f0e0d0c-run", fx.POLICY)
    table = pq.read_table(staging / "commitments.parquet").drop_columns(["acceptor"])
    pq.write_table(table, staging / "commitments.parquet")
    problems = release.check_release(staging, con)
    assert any(p.startswith("commitments.parquet: published.commitments.columns") for p in problems)


def test_release_ids_sort_by_as_of_then_creation_and_are_unique() -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    ids = [
        release.release_id(date(2026, 11, 24), t0 + timedelta(days=3), "ffffffff-0000"),
        release.release_id(date(2026, 11, 25), t0, "12345678-9abc-def0-1234-56789abcdef0"),
        release.release_id(date(2026, 11, 25), t0 + timedelta(seconds=1), "00000000-0000"),
    ]
    assert ids == sorted(ids)
    assert ids[1] == "2026-11-25--20261126T023000Z--12345678"
    assert all(release.RELEASE_ID.match(i) for i in ids)
    # a run id that is not hex still gives 8 hex characters
    assert release.RELEASE_ID.match(release.release_id(date(2026, 11, 25), t0, "manual run"))


def test_a_judgement_dated_after_as_of_is_not_published_early(con, tmp_path: Path) -> None:
    """Point in time: on as_of the public did not know a judgement made later."""
    con.execute(
        "UPDATE commitments_resolved SET judged_on = $j, effective_judgement_date = $j, "
        "fulfilment_status = '全部未履行' WHERE commitment_code = 'CN2026-0002'",
        {"j": fx.AS_OF + timedelta(days=3)},
    )
    release_dir = fx.publish(con, tmp_path / "pub")
    by_code = {r["commitment_code"]: r for r in read(release_dir, "commitments")}
    assert by_code["CN2026-0002"]["fulfilment_status"] == "待认定"
    assert by_code["CN2026-0002"]["judged_on"] is None
    assert by_code["CN2026-0001"]["fulfilment_status"] == "全部履行"
