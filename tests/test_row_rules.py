"""Every row rule of every incoming contract, on a failing row and a passing row, end to end.

The cases are derived from what the compiler emits (`compile_rules(contract).rule_cases`), so
a rule added to a contract without a case here fails `test_every_compiled_rule_has_a_case`.
Each case is one CSV delivery: ten valid rows, the passing variant and the failing variant;
after ingest, stage and promote the failing row is in quarantine with exactly the expected
rule ids and the passing row is in the validated table. Property tests pin the value macros
(`parse_date`, `norm_text`) against Python's own parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pytest
from conftest import (
    AS_OF,
    AUTHORITY_USCC,
    assert_accounting,
    bad_check_ric,
    bad_check_uscc,
    files,
    ingest,
    make_ric,
    make_uscc,
    quarantined,
    rows,
    stage_and_promote,
    to_fullwidth,
    uscc_check_char,
    valid_record,
    write_records,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts import INCOMING_DATASETS, incoming_contract
from data_contracts.rules import compile_rules
from warehouse.db import configure, connect
from warehouse.ingest import ensure_schema

KEY_FIELD = {
    "penalties": "decision_doc_no",
    "permits": "decision_doc_no",
    "complaints": "complaint_no",
    "commitments": "commitment_code",
    "repairs": "repair_no",
}
TOMORROW = (AS_OF + timedelta(days=1)).isoformat()
RIC_X = next(make_ric(n) for n in range(1000) if make_ric(n).endswith("X"))
LETTERED_USCC = "91420102MA4KXY3B1" + uscc_check_char("91420102MA4KXY3B1")  # letters to lower-case


@dataclass(frozen=True)
class Case:
    """One rule on one dataset: `fail` rows must carry `expect` exactly, `ok` rows must pass."""

    dataset: str
    rule: str
    label: str
    fail: tuple[dict[str, str], ...]
    ok: tuple[dict[str, str], ...]
    expect: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.rule}[{self.label}]"


def _case(dataset: str, rule: str, label: str, fail, ok, expect=None) -> Case:
    fail = tuple(fail) if isinstance(fail, list) else (fail,)
    ok = tuple(ok) if isinstance(ok, list) else (ok,)
    return Case(dataset, rule, label, fail, ok, frozenset(expect or {rule}))


def _uscc_spellings(code: str) -> dict[str, str]:
    """Spellings that normalise to `code` (lower-case needs a code with letters in it)."""
    return {
        "lowercase": code.lower() if code.lower() != code else LETTERED_USCC.lower(),
        "full-width": to_fullwidth(code),
        "spaced": f" {code[:6]} {code[6:12]}　{code[12:]} ",
        "dashed": f"{code[:8]}-{code[8:17]}-{code[17]}",
    }


def _generic_cases(dataset: str, rule: str) -> list[Case]:
    """Cases for the rules the compiler derives from field properties: `<ds>.<field>.<check>`."""
    contract = incoming_contract(dataset)
    _, field_name, check = rule.split(".")
    f = contract.field(field_name)
    base = valid_record(dataset).get(field_name)
    if check == "required":
        if f.logical_type == "array":
            return [
                _case(dataset, rule, "empty", {field_name: ""}, {field_name: "警告"}),
                _case(dataset, rule, "separators only", {field_name: "；;"}, {field_name: "警告；"}),
            ]
        return [
            _case(dataset, rule, "empty", {field_name: ""}, {field_name: f"  {base}  "}),
            _case(dataset, rule, "placeholder", {field_name: "— —"}, {field_name: base}),
        ]
    if check == "date":
        d = date.fromisoformat(base)
        return [
            _case(
                dataset, rule, "no such day", {field_name: "2026-02-30"}, {field_name: d.strftime("%Y%m%d")}
            ),
            _case(
                dataset, rule, "not a date", {field_name: "三月五日"}, {field_name: d.strftime("%Y/%m/%d")}
            ),
        ]
    if check == "number":
        return [_case(dataset, rule, "not a number", {field_name: "一万"}, {field_name: "1,234.50"})]
    if check == "minimum":
        return [_case(dataset, rule, "negative", {field_name: "-0.01"}, {field_name: "0"})]
    if check == "uscc":
        code = base or make_uscc(77)
        cases = [
            _case(
                dataset, rule, "bad check character", {field_name: bad_check_uscc(code)}, {field_name: code}
            )
        ]
        cases += [
            _case(
                dataset, rule, f"{label} passes", {field_name: bad_check_uscc(code)}, {field_name: spelling}
            )
            for label, spelling in _uscc_spellings(code).items()
        ]
        cases.append(
            _case(
                dataset,
                rule,
                "15-digit 工商注册号",
                {field_name: "420102000123456"},
                {field_name: code.lower()},
            )
        )
        also = {f"{dataset}.uscc_required_unless_natural_person"} if field_name == "party_uscc" else set()
        also &= {r.id for r in contract.explicit_row_rules}
        cases.append(
            _case(dataset, rule, "dashes only", {field_name: "-—-"}, {field_name: code}, {rule, *also})
        )
        return cases
    if check == "ric":
        good = base or make_ric(5)
        return [
            _case(dataset, rule, "bad check digit", {field_name: bad_check_ric(good)}, {field_name: good}),
            _case(
                dataset,
                rule,
                "no such birth date",
                {field_name: "420106199002300011"},
                {field_name: RIC_X.lower()},
            ),
            _case(
                dataset,
                rule,
                "passport is not checked",
                {field_name: bad_check_ric(good)},
                {field_name: "E12345678"},
            ),
            # a value of another shape must fail the rule, not stop the stage of every file
            _case(dataset, rule, "a letter inside", {field_name: "T60426199101010078"}, {field_name: good}),
            _case(
                dataset, rule, "O for 0", {field_name: "420106199001010O11"}, {field_name: to_fullwidth(good)}
            ),
        ]
    if check == "allowed_values":
        allowed = list(f.allowed_values or ())
        if f.logical_type == "array":
            return [
                _case(
                    dataset,
                    rule,
                    "one unknown",
                    {field_name: "罚款;罚没款"},
                    {field_name: "责令停产停业；其他"},
                ),
            ]
        return [
            _case(
                dataset, rule, "not in the code list", {field_name: "不在代码表中"}, {field_name: allowed[-1]}
            )
        ]
    if check == "pattern":
        return [_case(dataset, rule, "wrong shape", {field_name: "62H"}, {field_name: "F52"})]
    return []


def _explicit_cases(dataset: str) -> list[Case]:
    """Cases for the cross-field rules written in the contracts."""
    ds = dataset
    natural = {
        "party_type": "自然人",
        "party_uscc": "",
        "party_id_type": "身份证",
        "party_id_no": make_ric(9),
    }
    cases: list[Case] = []
    if ds in ("penalties", "permits"):
        rule = f"{ds}.uscc_required_unless_natural_person"
        cases += [
            _case(ds, rule, "法人 without code", {"party_uscc": ""}, natural),
            _case(
                ds,
                rule,
                "个体工商户 with placeholder",
                {"party_type": "个体工商户", "party_uscc": "无"},
                natural,
            ),
        ]
        rule = f"{ds}.decision_date_not_after_run_date"
        cases.append(
            _case(
                ds,
                rule,
                "tomorrow",
                {"decision_date": TOMORROW},
                {"decision_date": AS_OF.isoformat(), "valid_from": "", "disclosure_until": ""},
            )
        )
    if ds == "penalties":
        rule = "penalties.id_number_required_for_natural_person"
        cases.append(_case(ds, rule, "自然人 without id", {**natural, "party_id_no": "/"}, natural))
    if ds == "permits":
        rule = "permits.validity_dates_in_order"
        cases.append(
            _case(
                ds,
                rule,
                "to before from",
                {"valid_from": "2026-05-01", "valid_to": "2026-04-30"},
                {"valid_from": "2026-05-01", "valid_to": "2026/05/01"},
            )
        )
    if ds == "complaints":
        cases.append(
            _case(
                ds,
                "complaints.closed_not_before_registered",
                "closed before",
                {"closed_on": "2026-05-31"},
                {"closed_on": "2026-06-01"},
            )
        )
        cases.append(
            _case(
                ds,
                "complaints.registered_on_not_after_run_date",
                "tomorrow",
                {"registered_on": TOMORROW, "closed_on": ""},
                {"registered_on": AS_OF.isoformat(), "closed_on": ""},
            )
        )
    if ds == "commitments":
        cases.append(
            _case(
                ds,
                "commitments.judgement_not_before_commitment",
                "judged before",
                {"judged_on": "2026-03-31"},
                {"judged_on": "2026-04-01"},
            )
        )
        cases.append(
            _case(
                ds,
                "commitments.made_on_not_after_run_date",
                "tomorrow",
                {"made_on": TOMORROW, "judged_on": ""},
                {"made_on": AS_OF.isoformat(), "judged_on": ""},
            )
        )
    if ds == "repairs":
        cases.append(
            _case(
                ds,
                "repairs.repair_date_not_after_run_date",
                "tomorrow",
                {"repair_date": TOMORROW},
                {"repair_date": AS_OF.isoformat()},
            )
        )
    # key uniqueness: two rows with one key both fail; a row differing in one key part passes
    key = KEY_FIELD[ds]
    same = valid_record(ds, 60)[key]
    ok: dict[str, str] = {key: same + "-另"}
    if ds in ("penalties", "permits"):
        ok = {key: same, "authority_uscc": make_uscc(902, prefix="11", district="420100")}
    cases.append(_case(ds, f"{ds}.key_unique_in_delivery", "same key twice", [{key: same}, {key: same}], ok))
    return cases


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for ds in INCOMING_DATASETS:
        for rule, _ in compile_rules(incoming_contract(ds)).rule_cases:
            if rule.count(".") == 2:
                cases += _generic_cases(ds, rule)
        cases += _explicit_cases(ds)
    return cases


CASES = all_cases()


def test_every_compiled_rule_has_a_case():
    covered = {c.rule for c in CASES}
    for ds in INCOMING_DATASETS:
        emitted = [rule for rule, _ in compile_rules(incoming_contract(ds)).rule_cases]
        assert len(emitted) == len(set(emitted)), f"{ds}: a rule id is emitted twice"
        assert all(r.startswith(f"{ds}.") for r in emitted)
        missing = set(emitted) - covered
        assert not missing, f"rules without a test case: {sorted(missing)}"
    explicit = {r.id for ds in INCOMING_DATASETS for r in incoming_contract(ds).explicit_row_rules}
    assert explicit <= covered
    assert {c.rule for c in CASES} <= {
        r for ds in INCOMING_DATASETS for r, _ in compile_rules(incoming_contract(ds)).rule_cases
    }


PADDING = range(100, 110)


@dataclass
class Judged:
    """One warehouse per dataset holding one delivery per case, ingested, staged and promoted."""

    con: duckdb.DuckDBPyConnection
    path_of: dict[str, str]  # case id -> landing path of its delivery


def _case_records(case: Case) -> tuple[list[dict], list[dict], list[dict]]:
    ds = case.dataset
    ok_rows = [{**valid_record(ds, 1 + i), **o} for i, o in enumerate(case.ok)]
    fail_rows = [{**valid_record(ds, 50 + i), **f} for i, f in enumerate(case.fail)]
    padding = [valid_record(ds, n) for n in PADDING]
    return ok_rows, fail_rows, padding


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Judged]]:
    """Row rules are judged row by row (key uniqueness file by file), so the cases of one
    dataset share a warehouse, each as its own delivery: one ingest, stage and promote per
    dataset instead of one per case keeps this table-driven suite fast."""
    built: dict[str, Judged] = {}
    opened = []

    def get(dataset: str) -> Judged:
        if dataset not in built:
            root = tmp_path_factory.mktemp(f"rules-{dataset}")
            landing = root / "landing"
            path_of = {}
            for i, case in enumerate(c for c in CASES if c.dataset == dataset):
                ok_rows, fail_rows, padding = _case_records(case)
                rel = f"{dataset}/case-{i:03d}.csv"
                write_records(landing / rel, dataset, [*ok_rows, *fail_rows, *padding])
                path_of[case.id] = rel
            cm = connect(root / "w.duckdb")
            con = cm.__enter__()
            opened.append(cm)
            ensure_schema(con, INCOMING_DATASETS)
            ingest(con, landing, dataset)
            stage_and_promote(con, dataset)
            built[dataset] = Judged(con, path_of)
        return built[dataset]

    yield get
    for cm in opened:
        cm.__exit__(None, None, None)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_row_rule(judged, case: Case):
    ds = case.dataset
    j = judged(ds)
    path = j.path_of[case.id]
    ok_rows, fail_rows, padding = _case_records(case)

    q = quarantined(j.con, path)
    fail_numbers = range(len(ok_rows) + 1, len(ok_rows) + len(fail_rows) + 1)
    for n in fail_numbers:
        assert n in q, f"row {n} ({fail_rows[n - len(ok_rows) - 1]}) was not quarantined"
        assert set(q[n]) == case.expect, q[n]
    assert set(q) == set(fail_numbers), f"passing rows were quarantined: {q}"
    f = files(j.con)[path]
    assert f["status"] == "validated", f["reason"]
    assert (f["rows_read"], f["rows_accepted"]) == (
        len(ok_rows) + len(fail_rows) + len(padding),
        len(ok_rows) + len(padding),
    )
    in_table = {
        r["_row_number"]: r[KEY_FIELD[ds]]
        for r in rows(j.con, f"SELECT _row_number, {KEY_FIELD[ds]} FROM {ds} WHERE _path = $p", {"p": path})
    }
    for n, r in enumerate(ok_rows, start=1):
        assert in_table.get(n) == r[KEY_FIELD[ds]].strip()
    assert len(in_table) == len(ok_rows) + len(padding)


@pytest.mark.parametrize("dataset", INCOMING_DATASETS)
def test_accounting_holds_for_every_case(judged, dataset):
    j = judged(dataset)
    assert_accounting(j.con)
    assert {f["status"] for f in files(j.con).values()} == {"validated"}


def test_normalised_uscc_is_what_the_validated_table_holds(con, landing):
    code = LETTERED_USCC
    spellings = [*_uscc_spellings(code).values(), f"{code.lower()[:9]}　{to_fullwidth(code[9:])}"]
    records = [{**valid_record("penalties", n), "party_uscc": s} for n, s in enumerate(spellings, start=1)]
    write_records(landing / "penalties" / "u.csv", "penalties", records)

    ingest(con, landing, "penalties")
    _, promoted = stage_and_promote(con, "penalties")

    assert promoted == len(spellings)
    assert rows(con, "SELECT DISTINCT party_uscc FROM penalties") == [{"party_uscc": code}]


def test_identity_numbers_are_kept_only_as_keyed_hashes(con, landing):
    record = {
        **valid_record("penalties", 1),
        "party_type": "自然人",
        "party_uscc": "",
        "party_id_no": RIC_X.lower(),
    }
    write_records(
        landing / "penalties" / "a.csv",
        "penalties",
        [record, *[valid_record("penalties", n) for n in PADDING]],
    )

    ingest(con, landing, "penalties")
    stage_and_promote(con, "penalties")

    columns = {
        r["column_name"]
        for r in rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'penalties'"
        )
    }
    assert {"party_id_no_hash", "legal_rep_id_no_hash"} <= columns
    assert not {"party_id_no", "legal_rep_id_no"} & columns
    (person,) = rows(con, "SELECT party_id_no_hash FROM penalties WHERE party_type = '自然人'")
    assert person["party_id_no_hash"] and RIC_X not in person["party_id_no_hash"]
    same = con.execute("SELECT keyed_hash($x) = keyed_hash($y)", {"x": RIC_X, "y": RIC_X.lower()}).fetchone()[
        0
    ]
    assert same  # the hash is taken of the normalised number


def test_quarantine_record_hashes_identity_numbers(con, landing):
    bad = {**valid_record("penalties", 1), "party_type": "企业", "legal_rep_id_no": RIC_X}
    write_records(
        landing / "penalties" / "a.csv", "penalties", [bad, *[valid_record("penalties", n) for n in PADDING]]
    )

    ingest(con, landing, "penalties")
    stage_and_promote(con, "penalties")

    (record,) = rows(con, "SELECT CAST(record AS VARCHAR) AS r FROM quarantine_rows")
    assert RIC_X not in record["r"]
    assert "企业" in record["r"]


# --------------------------------------------------------------------------------------------
# property tests of the value macros


@pytest.fixture(scope="module")
def mem() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    configure(con)
    yield con
    con.close()


def _sql_date(con: duckdb.DuckDBPyConnection, text: str) -> date | None:
    return con.execute("SELECT parse_date($x)", {"x": text}).fetchone()[0]


def _python_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


# spelling -> (how a file writes y, m, d; the strptime format Python reads it with)
SPELLINGS = {
    "iso": (lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", "%Y-%m-%d"),
    "slash": (lambda y, m, d: f"{y:04d}/{m:02d}/{d:02d}", "%Y/%m/%d"),
    "compact": (lambda y, m, d: f"{y:04d}{m:02d}{d:02d}", "%Y%m%d"),
    "unpadded": (lambda y, m, d: f"{y}-{m}-{d}", "%Y-%m-%d"),
    "unpadded slash": (lambda y, m, d: f"{y}/{m}/{d}", "%Y/%m/%d"),
    "chinese": (lambda y, m, d: f"{y}年{m}月{d}日", "%Y年%m月%d日"),
}


def _strptime(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


@settings(max_examples=300, deadline=None)
@given(
    y=st.integers(1000, 9999),
    m=st.integers(0, 13),
    d=st.integers(0, 32),
    spelling=st.sampled_from(sorted(SPELLINGS)),
    pad=st.sampled_from(["", " ", "  ", "\u3000"]),
)
def test_parse_date_agrees_with_python(mem, y, m, d, spelling, pad):
    write, fmt = SPELLINGS[spelling]
    text = pad + write(y, m, d) + pad
    expected = _strptime(text, fmt)
    assert expected == _python_date(y, m, d)  # the oracle reads back what was written
    assert _sql_date(mem, text) == expected


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(1927, 5, 18), max_value=date(2173, 10, 14)), as_float=st.booleans())
def test_parse_date_reads_excel_serials(mem, day, as_float):
    serial = (day - date(1899, 12, 30)).days
    assert 10000 <= serial <= 99999
    assert _sql_date(mem, f"{serial}.0" if as_float else str(serial)) == day


@settings(max_examples=100, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    sep=st.sampled_from([" ", "T"]),
)
def test_parse_date_drops_the_time_of_a_date_time(mem, moment, sep):
    assert _sql_date(mem, moment.isoformat(sep=sep, timespec="seconds")) == moment.date()


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789-/年月日.:T "), max_size=14))
def test_parse_date_never_invents_a_date(mem, text):
    """Whatever it is given, parse_date returns NULL or a date that the text spells exactly."""
    got = _sql_date(mem, text)
    if got is not None:
        digits = re.findall(r"\d+", text)
        y, m, d = got.year, got.month, got.day
        serial = (got - date(1899, 12, 30)).days
        spelled = (
            [int(x) for x in digits[:3]] == [y, m, d]
            or digits[:1] == [f"{y:04d}{m:02d}{d:02d}"]
            or (digits and int(digits[0]) == serial and len(digits[0]) == 5)
        )
        assert spelled, (text, got)


PLACEHOLDER_TEXTS = ["— —", "——", "--", "－－", "—", "-", "无", "/", "／", ""]
WHITESPACE = [" ", "\u3000", "\t", "\n", "\r"]


@settings(max_examples=200, deadline=None)
@given(
    placeholder=st.sampled_from(PLACEHOLDER_TEXTS),
    spaces=st.lists(st.tuples(st.integers(0, 10), st.sampled_from(WHITESPACE)), max_size=4),
)
def test_norm_text_turns_placeholders_into_null(mem, placeholder, spaces):
    text = placeholder
    for pos, ws in spaces:
        pos = min(pos, len(text))
        text = text[:pos] + ws + text[pos:]
    assert mem.execute("SELECT norm_text($x)", {"x": text}).fetchone()[0] is None


def _norm_text_model(text: str) -> str | None:
    spaced = text.replace("\u3000", " ")
    squeezed = re.sub(r"[ \t\n\r\f]+", "", spaced)
    if squeezed in {"", "——", "--", "－－", "—", "-", "无", "/", "／"}:
        return None
    return spaced.strip(" ")


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            ["无", "有", "-", "—", "/", "a", "1", "甲", " ", "\u3000", "\t", "（", "）"]
        ),
        max_size=8,
    )
)
def test_norm_text_trims_and_keeps_real_values(mem, text):
    assert mem.execute("SELECT norm_text($x)", {"x": text}).fetchone()[0] == _norm_text_model(text)


def test_generated_identifiers_are_valid_by_an_independent_oracle(mem):
    """The test data's codes pass python-stdnum, so a case fails for its rule, not its data."""
    from stdnum.cn import ric, uscc

    codes = [AUTHORITY_USCC, *(make_uscc(n) for n in range(200))]
    assert all(uscc.is_valid(c) for c in codes)
    assert not any(uscc.is_valid(bad_check_uscc(c)) for c in codes)
    ids = [RIC_X, *(make_ric(n) for n in range(200))]
    assert all(ric.is_valid(i) for i in ids)
    assert not any(ric.is_valid(bad_check_ric(i)) for i in ids)
    assert mem.execute(
        "SELECT bool_and(uscc_valid(c)) FROM unnest($c) AS t(c)", {"c": [*codes, LETTERED_USCC]}
    ).fetchone()[0]
    assert mem.execute("SELECT bool_and(ric_valid(c)) FROM unnest($c) AS t(c)", {"c": ids}).fetchone()[0]
