"""Validated input tables and record builders for the credit tests.

In production the validate stage creates `permits`, `penalties`, ... ; here they are built
from the contracts' `typed_columns()`, so a contract change that the credit SQL does not
follow breaks these tests. Every record is delivered as its own file, in list order, so
"the latest delivery wins" is simply "the later record in the list wins".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from data_contracts import INCOMING_DATASETS, incoming_contract
from warehouse.credit import compute_credit
from warehouse.db import configure
from warehouse.policy import DEFAULT_POLICY_PATH, Policy, load_policy

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_uscc(n: int, prefix: str = "91", district: str = "420102") -> str:
    """A GB 32100-valid code: category prefix, division, a 9-digit body from `n`, check char."""
    body = f"{prefix}{district}{n:09d}"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


M = make_uscc(1)  # the merchant most scenarios are about
NAME = "武汉江岸味道餐饮有限公司"
AUTHORITY = make_uscc(900, prefix="11", district="420102")
AUTHORITY_2 = make_uscc(901, prefix="11", district="420103")

Record = tuple[str, dict[str, Any]]
_seq = itertools.count(1)


def _auto(prefix: str) -> str:
    return f"{prefix}-{next(_seq):06d}"


def _wan(x: float | str | Decimal | None) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def permit(
    decided: date,
    *,
    uscc: str | None = M,
    name: str = NAME,
    party_type: str = "法人及非法人组织",
    valid_from: date | None = None,
    valid_to: date | None = None,
    status: str | None = "有效",
    industry: str | None = "H62",
    doc: str | None = None,
    authority_uscc: str = AUTHORITY,
) -> Record:
    return (
        "permits",
        {
            "party_name": name,
            "party_type": party_type,
            "party_uscc": uscc,
            "decision_doc_name": "食品经营许可决定书",
            "decision_doc_no": doc or _auto("岸市监许"),
            "permit_category": "普通",
            "certificate_name": "食品经营许可证",
            "permit_no": _auto("JY"),
            "content": "餐饮服务",
            "decision_date": decided,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "authority": "武汉市江岸区市场监督管理局",
            "authority_uscc": authority_uscc,
            "status": status,
            "data_source": "武汉市江岸区市场监督管理局",
            "data_source_uscc": authority_uscc,
            "industry_code": industry,
        },
    )


def penalty(
    decided: date,
    *,
    categories: Sequence[str] = ("罚款",),
    fine: float | str | None = None,
    confiscation: float | str | None = None,
    until: date | None = None,
    doc: str | None = None,
    procedure: str | None = "普通程序",
    status: str | None = "正常",
    uscc: str | None = M,
    name: str = NAME,
    party_type: str = "法人及非法人组织",
    authority_uscc: str = AUTHORITY,
) -> Record:
    return (
        "penalties",
        {
            "party_name": name,
            "party_type": party_type,
            "party_uscc": uscc,
            "party_id_no_hash": "hash-of-id" if party_type == "自然人" else None,
            "decision_doc_no": doc or _auto("岸市监罚"),
            "violation_type": "违反食品安全法",
            "violation_facts": "经营超过保质期的食品",
            "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
            "penalty_categories": list(categories),
            "penalty_content": "处罚",
            "fine_amount_wan": _wan(fine),
            "confiscation_amount_wan": _wan(confiscation),
            "decision_date": decided,
            "penalty_validity": "长期",
            "disclosure_until": until,
            "authority": "武汉市江岸区市场监督管理局",
            "authority_uscc": authority_uscc,
            "data_source": "武汉市江岸区市场监督管理局",
            "data_source_uscc": authority_uscc,
            "procedure_type": procedure,
            "current_status": status,
        },
    )


def complaint(
    registered: date,
    *,
    status: str = "调解成功",
    uscc: str | None = M,
    name: str = NAME,
    no: str | None = None,
) -> Record:
    return (
        "complaints",
        {
            "complaint_no": no or _auto("TS"),
            "registered_on": registered,
            "respondent_name": name,
            "respondent_uscc": uscc,
            "channel": "全国12315平台",
            "category": "服务质量",
            "handling_status": status,
            "complainant_phone_hash": "hash-of-phone",
        },
    )


def commitment(
    made_on: date,
    *,
    status: str = "全部履行",
    judged_on: date | None = None,
    kind: str = "行业自律型",
    code: str | None = None,
    uscc: str = M,
    name: str = NAME,
    committer_type: str = "法人及非法人组织",
) -> Record:
    return (
        "commitments",
        {
            "commitment_code": code or _auto("CN"),
            "committer_name": name,
            "committer_type": committer_type,
            "committer_uscc": uscc,
            "commitment_type": kind,
            "reason": "申请食品经营许可",
            "content": "承诺所报材料真实",
            "breach_liability": "承担相应法律责任",
            "made_on": made_on,
            "fulfilment_status": status,
            "judged_on": judged_on,
            "acceptor": "武汉市江岸区行政审批局",
            "acceptor_code": AUTHORITY,
            "disclosure_type": "可向社会公开",
        },
    )


def repair(doc: str, repair_date: date, *, uscc: str = M, no: str | None = None) -> Record:
    return (
        "repairs",
        {
            "repair_no": no or _auto("XF"),
            "party_name": NAME,
            "party_uscc": uscc,
            "penalty_doc_no": doc,
            "repair_date": repair_date,
            "repair_authority": "武汉市江岸区市场监督管理局",
        },
    )


def create_validated_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The validate stage's output tables, empty, with exactly the contracts' typed columns."""
    for dataset in INCOMING_DATASETS:
        cols = ", ".join(
            f'"{name}" {sql_type}' for name, sql_type in incoming_contract(dataset).typed_columns()
        )
        con.execute(f"CREATE TABLE IF NOT EXISTS {dataset} ({cols})")


class Deliveries:
    """Appends records to the validated tables, each as a new file (a higher `_file_seq`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        create_validated_tables(con)
        self.file_seq = con.execute(
            "SELECT coalesce(max(s), 0) FROM ("
            + " UNION ALL ".join(f"SELECT max(_file_seq) AS s FROM {d}" for d in INCOMING_DATASETS)
            + ")"
        ).fetchone()[0]

    def deliver(self, records: Iterable[Record], same_file: bool = False) -> None:
        row_number = 0
        if same_file:
            self.file_seq += 1
        for dataset, values in records:
            if same_file:
                row_number += 1
            else:
                self.file_seq += 1
                row_number = 1
            columns = [name for name, _ in incoming_contract(dataset).typed_columns()]
            unknown = set(values) - set(columns)
            if unknown:
                raise KeyError(f"{dataset} has no columns {sorted(unknown)}")
            lineage = {
                "_file_seq": self.file_seq,
                "_file_sha256": f"sha-{self.file_seq}",
                "_path": f"{dataset}/batch-{self.file_seq:05d}.csv",
                "_row_number": row_number,
                "_run_id": "test-run",
            }
            row = {**{c: None for c in columns}, **values, **lineage}
            placeholders = ", ".join(f"${c}" for c in columns)
            self.con.execute(f"INSERT INTO {dataset} VALUES ({placeholders})", {c: row[c] for c in columns})


def new_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    configure(con)
    con.execute("SET threads = 1")  # a few rows per table: thread hand-offs cost more than they save
    create_validated_tables(con)
    return con


_DEFAULT_POLICY: Policy | None = None


def default_policy() -> Policy:
    global _DEFAULT_POLICY
    if _DEFAULT_POLICY is None:
        _DEFAULT_POLICY = load_policy()
    return _DEFAULT_POLICY


def write_policy(folder: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    """The default policy file as `mutate` edits it, written to `folder/policy.yaml`."""
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    mutate(raw)
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Evaluation:
    """The credit tables of one evaluated date, read back for assertions."""

    con: duckdb.DuckDBPyConnection
    as_of: date
    summary: dict[str, Any]

    def rows(
        self, table: str, where: str = "TRUE", params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        cur = self.con.execute(
            f"SELECT * FROM {table} WHERE as_of = $as_of AND ({where}) ORDER BY ALL",
            {"as_of": self.as_of, **(params or {})},
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def one(self, table: str, where: str, params: dict[str, Any]) -> dict[str, Any] | None:
        found = self.rows(table, where, params)
        assert len(found) <= 1, found
        return found[0] if found else None

    def merchant(self, uscc: str = M) -> dict[str, Any]:
        row = self.one("merchant_credit", "uscc = $u", {"u": uscc})
        assert row is not None, f"{uscc} is not a merchant at {self.as_of}"
        return row

    def black(self, uscc: str = M) -> dict[str, Any] | None:
        return self.one("black_list", "uscc = $u", {"u": uscc})

    def red(self, uscc: str = M) -> dict[str, Any] | None:
        return self.one("red_list", "uscc = $u", {"u": uscc})

    def penalty(self, doc: str) -> dict[str, Any]:
        row = self.one("penalties_resolved", "decision_doc_no = $d", {"d": doc})
        assert row is not None, f"penalty {doc} not resolved at {self.as_of}"
        return row

    def history(self, uscc: str = M) -> list[dict[str, Any]]:
        return self.rows("list_history", "uscc = $u", {"u": uscc})


def evaluate_on(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy | None = None) -> Evaluation:
    summary = compute_credit(con, as_of, policy or default_policy())
    return Evaluation(con, as_of, summary)


def evaluate(records: Iterable[Record], as_of: date, policy: Policy | None = None) -> Evaluation:
    """A fresh in-memory warehouse holding `records`, evaluated at `as_of`."""
    con = new_warehouse()
    Deliveries(con).deliver(records)
    return evaluate_on(con, as_of, policy)


BASE_PERMIT_DATE = date(2025, 1, 1)


def base_permit(**kwargs: Any) -> Record:
    """M's ordinary open-ended permit: valid at any T in these tests, too young for the red list
    before 2027-01-01, so scenarios about one clause see only that clause."""
    return permit(BASE_PERMIT_DATE, doc="岸市监许〔2025〕1号", **kwargs)


@dataclass(frozen=True)
class Case:
    """One row of a table-driven test: records, a date, and the exact expected outcome for M."""

    id: str
    as_of: date
    records: tuple[Record, ...]
    score: int
    tier: str
    codes: tuple[str, ...] = ()
    black: dict[str, Any] | None = None  # expected black_list fields; None: not listed
    red: bool = False


def check(case: Case) -> Evaluation:
    ev = evaluate(case.records, case.as_of)
    m = ev.merchant(M)
    assert (m["score"], m["tier"], m["reason_codes"]) == (case.score, case.tier, list(case.codes)), m
    listed = ev.black(M)
    if case.black is None:
        assert listed is None and not m["on_black_list"], listed
    else:
        assert listed is not None and m["on_black_list"], m
        assert {k: listed[k] for k in case.black} == case.black
    assert (ev.red(M) is not None, m["on_red_list"]) == (case.red, case.red), m
    return ev


def ids(cases: Sequence[Case]) -> list[str]:
    return [c.id for c in cases]
