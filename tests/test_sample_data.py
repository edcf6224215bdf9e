"""The sample landing-tree generator: deterministic bytes, valid codes where codes are meant to
be valid, the defects its summary claims (counted back from the files with an independent
reader), and files of every format, encoding and header style the pipeline must accept."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from data_contracts import INCOMING_DATASETS, incoming_contract
from data_contracts.contract import header_map, normalise_header
from sample_data.generate import SQL_DIR, generate
from warehouse.db import split_statements

AS_OF = date(2026, 11, 25)
SCALE = 0.02
SEED = 7
# The standards' test vectors (python-stdnum's doctests and real failing codes), vendored from shared/.
REFERENCE = Path(__file__).parent / "reference"

# --- an independent reading of the standards (domain.md), not the generator's SQL ----------

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PLACEHOLDERS = {"— —", "--", "无", "/"}
FULLWIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def uscc_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_ok(code: str) -> bool:
    return len(code) == 18 and all(c in ALPHABET for c in code) and uscc_check_char(code[:17]) == code[17]


def normalise_uscc(value: str) -> str:
    return re.sub(r"[\s\-—－]", "", value.translate(FULLWIDTH)).upper()


def ric_ok(number: str) -> bool:
    if not re.fullmatch(r"[1-9]\d{16}[0-9X]", number):
        return False
    try:
        datetime.strptime(number[6:14], "%Y%m%d")
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], RIC_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


def classify_uscc(value: str | None) -> str:
    """How a delivered USCC cell is spelled: the generator's defect kinds, seen from outside."""
    if value is None or value.strip() == "":
        return "blank_uscc"
    norm = normalise_uscc(value)
    if re.fullmatch(r"\d{15}", norm):
        return "reg_no_as_uscc"
    if not uscc_ok(norm):
        return "bad_check_char"
    if value == norm:
        return "clean"
    if value != value.translate(FULLWIDTH):
        return "uscc_fullwidth"
    if " " in value:
        return "uscc_spaced"
    if "-" in value:
        return "uscc_dashed"
    if value != value.upper():
        return "uscc_lowercase"
    return "other"


def norm_name(value: str) -> str:
    """Names as credit-policy.md section 2 compares them."""
    return re.sub(r"\s+", "", value.translate(FULLWIDTH))


def parse_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return date(1899, 12, 30) + timedelta(days=int(float(text)))
    return None


# --- reading the tree back ----------------------------------------------------------------


def decode_csv(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "bom", raw[3:].decode("utf-8")
    try:
        return "utf8", raw.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030", raw.decode("gb18030")


def cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@cache
def field_of(dataset: str, header: str) -> str | None:
    """The contract field a header cell names, through the contract's own header map."""
    mapping = header_map(incoming_contract(dataset))
    key = normalise_header(header)
    return mapping.get(key, mapping.get(key.lower()))


def read_table(path: Path) -> tuple[list[str], list[list[object]]]:
    """Header cells and raw rows of one landing file, in the file's own spelling."""
    if path.suffix == ".csv":
        _, text = decode_csv(path.read_bytes())
        header, *rows = list(csv.reader(io.StringIO(text, newline="")))
        return header, [[v if v != "" else None for v in row] for row in rows]
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        header = list(records[0])
        return header, [[r[h] for h in header] for r in records]
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return [str(h) for h in header], rows


class Tree:
    """A generated landing tree, read back file by file with an independent reader."""

    def __init__(self, root: Path, summary: dict):
        self.root = root
        self.summary = summary
        self.files = sorted(p for p in root.rglob("*") if p.is_file())
        self.sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in self.files}
        seen: set[str] = set()
        self.unique: list[Path] = []  # files whose bytes were not delivered before (path order)
        for p in self.files:
            if self.sha[p] not in seen:
                self.unique.append(p)
                seen.add(self.sha[p])
        self._rows: dict[Path, list[dict[str, str | None]]] = {}
        self._headers: dict[Path, list[str]] = {}

    def dataset_files(self, dataset: str, unique: bool = True) -> list[Path]:
        return [
            p for p in (self.unique if unique else self.files) if p.relative_to(self.root).parts[0] == dataset
        ]

    def headers(self, path: Path) -> list[str]:
        self.rows(path)
        return self._headers[path]

    def rows(self, path: Path) -> list[dict[str, str | None]]:
        """Rows keyed by contract field name; extra columns are kept under their header."""
        if path not in self._rows:
            dataset = path.relative_to(self.root).parts[0]
            header, raw = read_table(path)
            keys = [field_of(dataset, h) or h for h in header]
            self._headers[path] = header
            self._rows[path] = [dict(zip(keys, map(cell_text, row), strict=True)) for row in raw]
        return self._rows[path]

    def records(self, dataset: str) -> list[dict[str, str | None]]:
        return [row for p in self.dataset_files(dataset) for row in self.rows(p)]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    root = tmp_path_factory.mktemp("landing")
    return Tree(root, generate(root, scale=SCALE, seed=SEED, as_of=AS_OF))


USCC_FIELD = {
    "permits": "party_uscc",
    "penalties": "party_uscc",
    "complaints": "respondent_uscc",
    "commitments": "committer_uscc",
    "repairs": "party_uscc",
}
USCC_KINDS = {
    "bad_check_char",
    "uscc_lowercase",
    "uscc_fullwidth",
    "uscc_spaced",
    "uscc_dashed",
    "reg_no_as_uscc",
}


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_same_bytes_and_another_seed_does_not(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    with monkeypatch.context() as m:
        m.setenv("CREDIT_DUCKDB_THREADS", "1")  # the fixture's tree used every core
        summary_again = generate(again, scale=SCALE, seed=SEED, as_of=AS_OF)
    generate(other, scale=SCALE, seed=SEED + 1, as_of=AS_OF)

    def digests(root: Path) -> dict[str, str]:
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    assert digests(again) == {p.relative_to(tree.root).as_posix(): h for p, h in tree.sha.items()}
    assert summary_again == tree.summary
    assert not set(digests(other).values()) & set(tree.sha.values())


def test_refuses_to_write_into_a_non_empty_tree(tmp_path: Path) -> None:
    (tmp_path / "penalties").mkdir()
    (tmp_path / "penalties" / "old.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="penalties"):
        generate(tmp_path, scale=0.001, seed=1, as_of=AS_OF)


# --- the check characters -------------------------------------------------------------------


def test_python_check_agrees_with_reference_vectors_and_stdnum() -> None:
    with (REFERENCE / "uscc_test_vectors.csv").open(encoding="utf-8") as fh:
        vectors = list(csv.DictReader(fh))
    assert len(vectors) > 100
    for v in vectors:
        code = v["code"]
        assert stdnum_uscc.is_valid(code) == (v["expected"] == "valid"), code
        if "pos 1-8" in v["error"]:
            # Letter prefixes are legal under GB 32100's amendments; stdnum refuses the format
            # but the check character itself is computed the same way.
            assert uscc_check_char(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])
        else:
            assert uscc_ok(code) == (v["expected"] == "valid"), code
    with (REFERENCE / "ric_test_vectors.csv").open(encoding="utf-8") as fh:
        for v in csv.DictReader(fh):
            if "region" not in v["error"]:  # this reader does not check region codes
                assert ric_ok(v["id_number"]) == (v["expected"] == "valid"), v


@pytest.fixture(scope="module")
def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET VARIABLE seed = 1")
    for statement in split_statements((SQL_DIR / "setup.sql").read_text(encoding="utf-8")):
        con.execute(statement)
    return con


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_generator_uscc_check_matches_python(macros: duckdb.DuckDBPyConnection, first17: str) -> None:
    (got,) = macros.execute("SELECT uscc_check($s)", {"s": first17}).fetchone()
    assert got == uscc_check_char(first17)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_generator_ric_check_matches_python(macros: duckdb.DuckDBPyConnection, first17: str) -> None:
    (got,) = macros.execute("SELECT ric_check($s)", {"s": first17}).fetchone()
    total = sum(int(d) * w for d, w in zip(first17, RIC_WEIGHTS, strict=True))
    assert got == "10X98765432"[total % 11]


def test_codes_meant_to_be_valid_pass_an_independent_check(tree: Tree) -> None:
    letter_prefixed = 0
    for dataset, field in USCC_FIELD.items():
        for row in tree.records(dataset):
            kind = classify_uscc(row.get(field))
            assert kind != "other", row[field]
            if kind in ("clean", "uscc_lowercase", "uscc_fullwidth", "uscc_spaced", "uscc_dashed"):
                code = normalise_uscc(row[field])
                assert uscc_ok(code), row[field]
                if code[:8].isdigit():
                    assert stdnum_uscc.is_valid(code), code
                else:
                    letter_prefixed += 1
                    assert code[:2] in {"A1", "N1", "Y1"}, code
            for other in ("authority_uscc", "data_source_uscc", "acceptor_code"):
                if row.get(other):
                    assert stdnum_uscc.is_valid(row[other]), row[other]
    assert letter_prefixed > 0


def test_identity_numbers_pass_gb_11643(tree: Tree) -> None:
    seen = 0
    for dataset in ("permits", "penalties"):
        for row in tree.records(dataset):
            for field in ("party_id_no", "legal_rep_id_no"):
                value = row.get(field)
                if value and value not in PLACEHOLDERS:
                    # stdnum's is_valid also ties the region code to the birth year (江岸区 only
                    # "from 1983"), which real numbers of older people fail; use its parts.
                    assert ric_ok(value), value
                    assert stdnum_ric.calc_check_digit(value) == value[17], value
                    assert stdnum_ric.get_birth_date(value) < AS_OF, value
                    seen += 1
    assert seen > 100


# --- the summary against the files ---------------------------------------------------------


def test_files_and_rows_per_dataset_match_the_summary(tree: Tree) -> None:
    for dataset in INCOMING_DATASETS:
        paths = tree.dataset_files(dataset, unique=False)
        assert len(paths) == tree.summary["files"][dataset]
        assert sum(len(tree.rows(p)) for p in paths) == tree.summary["rows"][dataset]


def test_seeded_uscc_defects_are_in_the_files(tree: Tree) -> None:
    for dataset, field in USCC_FIELD.items():
        found = Counter(classify_uscc(row.get(field)) for row in tree.records(dataset))
        claimed = tree.summary["defects"][dataset]
        for kind in USCC_KINDS:
            assert found[kind] == claimed.get(kind, 0), (dataset, kind)
            assert found[kind] > 0, (dataset, kind)
        if dataset == "complaints":
            assert found["blank_uscc"] == claimed["blank_uscc"]
            assert 0.05 < found["blank_uscc"] / sum(found.values()) < 0.12
        elif dataset == "penalties":
            # 自然人 carry no code at all.
            assert found["blank_uscc"] == claimed["natural_person_rows"]
        else:
            assert found["blank_uscc"] == 0
        assert found["bad_check_char"] <= max(1, round(0.01 * sum(found.values()))), dataset


def test_other_seeded_defects_are_in_the_files(tree: Tree) -> None:
    for dataset in INCOMING_DATASETS:
        contract = incoming_contract(dataset)
        required = [f.name for f in contract.fields if f.required]
        rows = tree.records(dataset)
        claimed = tree.summary["defects"][dataset]
        missing = sum(1 for r in rows if any(r.get(f) in (None, "") for f in required))
        assert missing == claimed["missing_required"] > 0, dataset
        placeholders = sum(
            1 for r in rows for k, v in r.items() if k in contract.field_names and v in PLACEHOLDERS
        )
        assert placeholders == claimed.get("placeholder_cells", 0), dataset
    permits = tree.records("permits")
    spans = [(parse_date(r["valid_from"]), parse_date(r["valid_to"])) for r in permits]
    inverted = sum(1 for start, end in spans if start and end and start > end)
    assert inverted == tree.summary["defects"]["permits"]["valid_from_after_valid_to"] > 0
    no_expiry = sum(1 for r in permits if parse_date(r["valid_to"]) == date(2099, 12, 31))
    assert no_expiry == tree.summary["defects"]["permits"]["no_expiry_2099"] > 0
    people = [r for r in tree.records("penalties") if r["party_type"] == "自然人"]
    assert (
        sum("*" in r["party_name"] for r in people)
        == tree.summary["defects"]["penalties"]["masked_names"]
        > 0
    )
    assert all(r.get("party_uscc") is None and ric_ok(r["party_id_no"]) for r in people)


def test_duplicate_files_are_byte_copies_under_other_names(tree: Tree) -> None:
    groups = defaultdict(list)
    for p in tree.files:
        groups[tree.sha[p]].append(p.relative_to(tree.root).as_posix())
    copies = sorted(sorted(paths) for paths in groups.values() if len(paths) > 1)
    assert copies == sorted(sorted(pair) for pair in tree.summary["duplicates"])
    assert all(len(paths) == 2 for paths in copies)
    for dataset in INCOMING_DATASETS:
        assert tree.summary["defects"][dataset]["duplicate_files"] >= 1


def comparable(dataset: str, field: str, value: str | None) -> object:
    """A cell's meaning, whatever the file's spelling: dates parsed, amounts as numbers,
    placeholders as empty."""
    if value is None or value in PLACEHOLDERS:
        return None
    logical = incoming_contract(dataset).field(field).logical_type
    if logical == "date" or field == "penalty_validity":  # a date kept as text by the contract
        return parse_date(value)
    if logical == "number":
        return float(value)
    return value


EXPECTED_CHANGES = {
    ("permits", "correction"): {"permit_category", "valid_to"},
    ("penalties", "correction"): {"fine_amount_wan", "penalty_content"},
    ("penalties", "revocation"): {"current_status"},
    ("complaints", "correction"): {"handling_status", "closed_on", "recovered_yuan"},
}


def test_corrections_and_revocations_come_later_under_the_same_key(tree: Tree) -> None:
    for dataset in ("permits", "penalties", "complaints"):
        contract = incoming_contract(dataset)
        first: dict[tuple, tuple[Path, dict]] = {}
        later: Counter[str] = Counter()
        for path in tree.dataset_files(dataset):  # path order is delivery order
            for row in tree.rows(path):
                key = tuple(row.get(f) for f in contract.business_key)
                if key not in first:
                    first[key] = (path, row)
                    continue
                kind = path.name.split("-")[0]
                assert kind in ("correction", "revocation"), (dataset, path, key)
                earlier_path, earlier = first[key]
                assert earlier_path.parent.name < path.parent.name  # a later dated folder
                changed = {
                    f
                    for f in contract.field_names
                    if f in earlier  # some senders leave optional columns out
                    and f in row
                    and comparable(dataset, f, earlier[f]) != comparable(dataset, f, row[f])
                }
                assert changed - {"remarks"}, (dataset, key)
                assert changed - {"remarks"} <= EXPECTED_CHANGES[dataset, kind], (dataset, key, changed)
                if kind == "revocation":
                    assert row["current_status"] == "撤销"
                later[kind] += 1
        claimed = tree.summary["defects"][dataset]
        assert later["correction"] == claimed.get("corrections", 0) > 0, dataset
        assert later["revocation"] == claimed.get("revocations", 0), dataset
    assert tree.summary["defects"]["penalties"]["revocations"] > 0


# --- files of every shape --------------------------------------------------------------------


def test_every_dataset_has_every_format_and_encoding(tree: Tree) -> None:
    for dataset in INCOMING_DATASETS:
        paths = tree.dataset_files(dataset, unique=False)
        assert {p.suffix for p in paths} == {".csv", ".jsonl", ".xlsx"}, dataset
        encodings = Counter(decode_csv(p.read_bytes())[0] for p in paths if p.suffix == ".csv")
        assert encodings == Counter(tree.summary["encodings"][dataset]), dataset
        assert set(encodings) == {"utf8", "bom", "gb18030"}, dataset
    for p in tree.files:
        raw = p.read_bytes()
        kind = decode_csv(raw)[0] if p.suffix == ".csv" else None
        if kind == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            dataset = p.relative_to(tree.root).parts[0]
            header = raw.decode("gb18030").split("\r\n", 1)[0].split(",")
            assert sum(field_of(dataset, h) is not None for h in header) > 5
            assert b"\r\n" in raw
        elif kind == "bom":
            assert raw.startswith(b"\xef\xbb\xbf") and raw[3:].decode("utf-8")


def test_xlsx_files_are_small_and_carry_dates_both_ways(tree: Tree) -> None:
    all_rows = sum(len(tree.rows(p)) for p in tree.unique)
    xlsx = [p for p in tree.files if p.suffix == ".xlsx"]
    assert sum(len(tree.rows(p)) for p in xlsx) <= 0.03 * all_rows
    date_cells = serials = multi_sheet = 0
    for p in xlsx:
        book = openpyxl.load_workbook(p, read_only=True)
        multi_sheet += len(book.worksheets) > 1
        header, *rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert len(rows) <= 20_000
        dataset = p.relative_to(tree.root).parts[0]
        fields = [field_of(dataset, str(h)) for h in header]
        contract = incoming_contract(dataset)
        date_cols = [i for i, f in enumerate(fields) if f and contract.field(f).logical_type == "date"]
        for row in rows:
            for i in date_cols:
                date_cells += isinstance(row[i], datetime)
                serials += isinstance(row[i], (int, float))
        book.close()
    assert date_cells > 0 and serials > 0 and multi_sheet > 0


def test_jsonl_numbers_arrive_as_numbers_and_as_strings(tree: Tree) -> None:
    kinds = set()
    for p in tree.files:
        if p.suffix == ".jsonl" and p.relative_to(tree.root).parts[0] == "penalties":
            for line in p.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                for key, value in record.items():
                    if field_of("penalties", key) == "fine_amount_wan" and value is not None:
                        kinds.add(type(value))
    assert kinds == {float, str}


def test_headers_come_in_every_style(tree: Tree) -> None:
    all_headers: set[str] = set()
    for p in tree.files:
        dataset = p.relative_to(tree.root).parts[0]
        contract = incoming_contract(dataset)
        header = tree.headers(p)
        all_headers.update(header)
        mapped = {field_of(dataset, h) for h in header}
        unknown = {h for h in header if field_of(dataset, h) is None}
        assert unknown <= {"ID", "CREATOR", "CREATE_TIME"}, (p, unknown)
        assert {f.name for f in contract.fields if f.required} <= mapped, p
    assert any(h.startswith("CF_") for h in all_headers)
    assert any(h.startswith("XK_") for h in all_headers)
    assert "party_name" in all_headers and "respondent_uscc" in all_headers
    assert "罚款金额（万元）" in all_headers
    assert "统一社会信用代码" in all_headers
    assert any(h != h.strip() for h in all_headers)
    assert {"ID", "CREATOR"} <= all_headers


def date_spelling(value: str) -> str:
    if "-" in value:
        return "iso"
    if "/" in value:
        return "slash"
    return "compact" if len(value) == 8 else "serial"


def test_date_spellings_and_no_record_after_as_of(tree: Tree) -> None:
    spellings = Counter()
    for dataset, field in (
        ("permits", "decision_date"),
        ("penalties", "decision_date"),
        ("complaints", "registered_on"),
        ("commitments", "made_on"),
        ("repairs", "repair_date"),
    ):
        for row in tree.records(dataset):
            value = row.get(field)
            if value is None:
                continue
            parsed = parse_date(value)
            assert parsed is not None and parsed <= AS_OF, (dataset, value)
            assert parsed >= AS_OF - timedelta(days=5 * 366), (dataset, value)
            spellings[date_spelling(value)] += 1
    assert set(spellings) == {"iso", "slash", "compact", "serial"}


# --- realistic content ----------------------------------------------------------------------


def test_volumes_per_merchant_are_realistic(tree: Tree) -> None:
    merchants = tree.summary["merchants"]
    records = tree.summary["records"]
    assert 1.3 <= records["permits"] / merchants <= 1.7
    assert 0.4 <= records["penalties"] / merchants <= 0.7
    assert 2.0 <= records["complaints"] / merchants <= 3.0
    assert 0.2 <= records["commitments"] / merchants <= 0.45
    assert 0.01 <= records["repairs"] / records["penalties"] <= 0.08


def test_complainants_have_mobile_numbers(tree: Tree) -> None:
    rows = tree.records("complaints")
    assert all(re.fullmatch(r"1[358]\d{9}", r["complainant_phone"]) for r in rows)
    assert all(r["complainant_name"] for r in rows)


def merchant_names(tree: Tree) -> dict[str, set[str]]:
    """Normalised party name -> the valid codes it appears under (permits, penalties, commitments)."""
    names: dict[str, set[str]] = defaultdict(set)
    for dataset, name_field in (
        ("permits", "party_name"),
        ("penalties", "party_name"),
        ("commitments", "committer_name"),
    ):
        for r in tree.records(dataset):
            code = r.get(USCC_FIELD[dataset])
            if r.get(name_field) and code and classify_uscc(code) == "clean":
                names[norm_name(r[name_field])].add(code)
    return names


def test_penalties_span_every_severity_and_procedure(tree: Tree) -> None:
    penalties = tree.records("penalties")
    serious = [
        r
        for r in penalties
        if re.search("吊销|责令停产停业|责令关闭|限制", r["penalty_categories"] or "")
        or float(r["fine_amount_wan"] or 0) >= 10
    ]
    assert len(serious) > 0.03 * len(penalties)
    assert any(r["procedure_type"] == "简易程序" for r in penalties)
    assert any(r["penalty_categories"] == "警告" for r in penalties)
    assert any(parse_date(r["disclosure_until"]) for r in penalties)
    assert {";", "；"} <= {c for r in penalties for c in (r["penalty_categories"] or "") if c in ";；"}


def test_some_merchants_are_repeat_offenders(tree: Tree) -> None:
    by_code: dict[str, list[date]] = defaultdict(list)
    for r in tree.records("penalties"):
        code, day = r.get("party_uscc"), parse_date(r["decision_date"])
        if code and day:
            by_code[normalise_uscc(code)].append(day)
    repeaters = [
        c for c, days in by_code.items() if any(sum(0 <= (d - s).days < 365 for d in days) >= 3 for s in days)
    ]
    assert len(repeaters) >= 3


def test_false_commitments_and_stale_complaints_exist(tree: Tree) -> None:
    year_ago = AS_OF - timedelta(days=365)
    breaches = [
        r
        for r in tree.records("commitments")
        if r["fulfilment_status"] == "全部未履行"
        and r["commitment_type"] in ("审批替代型", "容缺受理型", "证明事项型")
        and (parse_date(r["judged_on"]) or parse_date(r["made_on"]) or date.min) > year_ago
    ]
    assert breaches
    stale = [
        r
        for r in tree.records("complaints")
        if r["handling_status"] == "处理中" and (AS_OF - parse_date(r["registered_on"])).days > 60
    ]
    assert stale


def test_complaints_without_a_code_link_by_name_some_ambiguously(tree: Tree) -> None:
    names = merchant_names(tree)
    blank = [
        norm_name(r["respondent_name"])
        for r in tree.records("complaints")
        if not r["respondent_uscc"] and r["respondent_name"]
    ]
    assert sum(len(names.get(n, ())) == 1 for n in blank) > 0.3 * len(blank)
    assert sum(len(names.get(n, ())) >= 2 for n in blank) > 0
    assert sum(n not in names for n in blank) > 0  # informal names link to nothing


def test_chains_have_outlets_with_their_own_codes(tree: Tree) -> None:
    chains: dict[str, set[str]] = defaultdict(set)
    for name, codes in merchant_names(tree).items():
        match = re.fullmatch(r"(.+)\((.+)店\)", name)
        if match:
            chains[match.group(1)].update(codes)
    assert any(len(codes) >= 3 for codes in chains.values())


def test_permits_give_red_list_candidates_and_lapsed_merchants(tree: Tree) -> None:
    by_merchant: dict[str, list[dict]] = defaultdict(list)
    for r in tree.records("permits"):
        if r["party_uscc"] and classify_uscc(r["party_uscc"]) == "clean":
            by_merchant[r["party_uscc"]].append(r)

    def valid_at_as_of(r: dict) -> bool:
        start = parse_date(r["valid_from"]) or parse_date(r["decision_date"])
        end = parse_date(r["valid_to"]) or date.max
        return bool(start) and start <= AS_OF <= end and r["status"] != "无效"

    def lapsed_last_year(r: dict) -> bool:
        end = parse_date(r["valid_to"])
        return bool(end) and AS_OF - timedelta(days=365) < end < AS_OF

    lapsed = [
        c
        for c, rs in by_merchant.items()
        if not any(valid_at_as_of(r) for r in rs) and any(lapsed_last_year(r) for r in rs)
    ]
    long_standing = [
        c
        for c, rs in by_merchant.items()
        if any(valid_at_as_of(r) for r in rs)
        and min(parse_date(r["decision_date"]) or AS_OF for r in rs) <= AS_OF - timedelta(days=731)
    ]
    assert len(lapsed) >= 10
    assert len(long_standing) > 0.2 * len(by_merchant)
    assert {r.get("industry_code") for rs in by_merchant.values() for r in rs} >= {"F52", "H62", "O80"}
