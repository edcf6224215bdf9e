"""A CSV or JSONL that is not strict UTF-8 is read as GB18030 only when it is not evidently
UTF-8 with damage: a byte-limited export that cut one character leaves a file that GB18030
often accepts, as mojibake in every row. Such a file is refused, saying where the damage is;
GBK and GB18030 files, short or long, are still read as GB18030."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from conftest import (
    assert_accounting,
    files,
    header_row,
    ingest,
    rows,
    valid_record,
    write_csv,
    write_jsonl,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from data_contracts import incoming_contract
from warehouse import landing, readers
from warehouse import prepare as prepare_module
from warehouse.landing import DamagedUtf8, LandingFile, Utf8Count, detect_encoding

PEN_FIELDS = [f.name for f in incoming_contract("penalties").fields if f.name in valid_record("penalties")]
NAME = "武汉测试商贸公司"
CUT_NAME = "武汉测试商贸公".encode() + "司".encode()[:1]  # the last character cut after its first byte


REP_FIELDS = list(valid_record("repairs"))


def _rep_rows(numbers, name: str = NAME) -> list[list[str]]:
    """Repair rows as the reviewer's reproduction has them (little Chinese besides the name)."""
    records = []
    for n in numbers:
        r = {
            **valid_record("repairs", n),
            "party_name": f"{name}{n}",
            "repair_authority": "武汉市市场监督管理局",
            "penalty_doc_no": f"WSJF2025{n:03d}",
        }
        records.append([r[f] for f in REP_FIELDS])
    return records


def _cut_utf8_csv() -> tuple[bytes, int]:
    """The reviewer's case: UTF-8 whose third row has its name cut inside its last character,
    which GB18030 accepts (as other characters). With the offset of the byte left of it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header_row("repairs", REP_FIELDS, "snake"))
    writer.writerows(_rep_rows((1, 2, 3)))
    data = buf.getvalue().encode()
    whole = f"{NAME}3".encode()
    at = data.index(whole) + len(CUT_NAME) - 1
    data = data.replace(whole, CUT_NAME)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "\ufffd" not in data.decode("gb18030")  # GB18030 would have read it
    return data, at


def _tally(data: bytes, chunk: int = 1 << 24) -> landing.Utf8Tally:
    count = Utf8Count()
    for i in range(0, len(data), chunk):
        count.feed(data[i : i + chunk])
    count.feed(b"", final=True)
    return count.tally


def _verdict(data: bytes) -> str:
    """What the ingest decides for these bytes: ok/cut/invalid UTF-8 by the byte scan, and for
    an invalid one gb18030, damaged or neither by `landing.gb18030_pass`."""
    scan = readers.scan_stream(io.BytesIO(data), decode=True)
    if scan.utf8 != "invalid":
        return scan.utf8
    try:
        return landing.gb18030_pass(io.BytesIO(data))
    except DamagedUtf8:
        return "damaged"
    except UnicodeDecodeError:
        return "neither"


# --------------------------------------------------------------------------------------------
# refused, with where and what to do; the other files of the run go in


@pytest.mark.parametrize("ahead", [False, True])
def test_a_utf8_csv_with_a_cut_character_is_refused_and_the_others_are_read(con, landing, monkeypatch, ahead):
    if ahead:  # the pass ahead's results count for files written a moment ago
        monkeypatch.setattr(prepare_module, "RACY_SECONDS", 0)
    data, at = _cut_utf8_csv()
    (landing / "repairs" / "a-cut.csv").write_bytes(data)
    header = header_row("repairs", REP_FIELDS)
    write_csv(landing / "repairs" / "b-good.csv", header, _rep_rows([1]))
    write_csv(landing / "repairs" / "c-gbk.csv", header, _rep_rows([7], "江岸区热干面馆"), encoding="gbk")

    summary = ingest(con, landing, "repairs")

    by_path = files(con)
    cut = by_path["repairs/a-cut.csv"]
    assert cut["status"] == "refused" and set(summary.refused) == {"repairs/a-cut.csv"}
    assert f"damaged at byte offset {at} (line 4)" in cut["reason"]
    assert "re-export it as UTF-8 or GB18030" in cut["reason"]
    outcomes = {p: (f["status"], f["encoding"]) for p, f in by_path.items() if p != "repairs/a-cut.csv"}
    assert outcomes == {
        "repairs/b-good.csv": ("ingested", "utf-8"),
        "repairs/c-gbk.csv": ("ingested", "gb18030"),
    }
    names = [r["party_name"] for r in rows(con, "SELECT party_name FROM raw_repairs ORDER BY _file_seq")]
    assert names == [f"{NAME}1", "江岸区热干面馆7"]
    assert_accounting(con)


def test_a_utf8_jsonl_with_a_cut_character_is_refused_and_the_others_are_read(con, landing):
    records = [{**valid_record("penalties", n), "party_name": f"{NAME}{n}"} for n in (1, 2, 3)]
    path = write_jsonl(landing / "penalties" / "a-cut.jsonl", records)
    data = path.read_bytes()
    whole = f"{NAME}2".encode()
    at = data.index(whole) + len(CUT_NAME) - 1
    path.write_bytes(data.replace(whole, CUT_NAME))
    write_jsonl(landing / "penalties" / "b-good.jsonl", records[:1])

    ingest(con, landing, "penalties")

    by_path = files(con)
    cut = by_path["penalties/a-cut.jsonl"]
    assert cut["status"] == "refused"
    assert f"damaged at byte offset {at} (line 2)" in cut["reason"]
    assert "JSON must be UTF-8" in cut["reason"] and "re-export" in cut["reason"]
    assert by_path["penalties/b-good.jsonl"]["status"] == "ingested"
    assert [r["party_name"] for r in rows(con, "SELECT party_name FROM raw_penalties")] == [f"{NAME}1"]
    assert_accounting(con)


def test_the_pass_ahead_makes_no_gb18030_copy_of_damaged_utf8(tmp_path):
    root = tmp_path / "landing"
    (root / "repairs").mkdir(parents=True)
    data, _ = _cut_utf8_csv()
    cut = root / "repairs" / "cut.csv"
    cut.write_bytes(data)
    gbk = write_csv(root / "repairs" / "gbk.csv", header_row("repairs", REP_FIELDS), _rep_rows((1, 2)), "gbk")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def prepared(path: Path):
        lf = LandingFile("repairs", path, f"repairs/{path.name}", "csv")
        return prepare_module.prepare(lf, root, lambda st: None, lambda sha: True, scratch)

    assert prepared(cut).utf8_copy is None
    copy = prepared(gbk).utf8_copy
    assert copy is not None and copy.read_bytes() == gbk.read_bytes().decode("gb18030").encode()
    assert list(scratch.iterdir()) == [copy]  # nothing left of the refused one


# --------------------------------------------------------------------------------------------
# GBK and GB18030 are still GB18030


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("张", 1),  # one Chinese character in the whole file
        ("汉口", 1),
        ("武汉市江岸区老字号热干面馆", 1),
        ("武汉市江岸区老字号热干面馆", 400),
        ("一一一一一一一一一一一一丁", 3),  # 一 is D2BB in GBK: a well-formed 2-byte UTF-8 sequence
    ],
)
def test_gbk_and_gb18030_files_are_read_as_gb18030(con, landing, encoding, name, n):
    def record(i: int) -> list[str]:  # ASCII but the name: it is all the Chinese there is
        r = {f: v if v.isascii() else "x" for f, v in valid_record("penalties", i).items()}
        return [{**r, "party_name": name}[f] for f in PEN_FIELDS]

    records = [record(i) for i in range(1, n + 1)]
    header = header_row("penalties", PEN_FIELDS, "snake")
    path = write_csv(landing / "penalties" / f"{encoding}.csv", header, records, encoding=encoding)
    assert detect_encoding(path) == "gb18030"

    ingest(con, landing, "penalties")

    (f,) = files(con).values()
    assert (f["status"], f["encoding"], f["rows_read"]) == ("ingested", "gb18030", n)
    assert {r["party_name"] for r in rows(con, "SELECT party_name FROM raw_penalties")} == {name}


def test_the_generators_gbk_files_are_gb18030_and_its_cut_utf8_files_are_not(small_city):
    """The measure behind DAMAGED_UTF8_RATIO, on the sample generator's files: well-formed
    wide sequences per error stay far below it in every GBK file, far above it in UTF-8 files
    with one character cut."""
    gbk_ratios, cut_ratios = [], []
    rng = random.Random(20261125)
    for path in sorted(small_city.rglob("*")):
        if path.suffix not in (".csv", ".jsonl"):
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if data.endswith("罚".encode()[:2]):
                continue  # the file cut short, refused as such
            assert detect_encoding(path) == "gb18030", path
            tally = _tally(data)
            gbk_ratios.append(tally.wide / tally.errors)
            continue
        wide = [i for i, ch in enumerate(text) if ord(ch) >= 0x800]
        for i in rng.sample(wide, min(5, len(wide))):
            damaged = text[:i].encode() + text[i].encode()[:1] + text[i + 1 :].encode()
            assert _verdict(damaged) == "damaged", path
            tally = _tally(damaged)
            cut_ratios.append(tally.wide / tally.errors)
    assert len(gbk_ratios) >= 5 and len(cut_ratios) >= 50
    assert max(gbk_ratios) * 10 < landing.DAMAGED_UTF8_RATIO_WITH_PRIVATE_USE
    assert min(cut_ratios) > 10 * landing.DAMAGED_UTF8_RATIO


# --------------------------------------------------------------------------------------------
# properties

CJK = st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF)  # Extension A and the URO
CHINESE_TEXT = st.text(
    st.one_of(CJK, CJK, CJK, st.sampled_from(list('，。、；：（）“”《》0123456789,.-ab \n"'))),
    min_size=1,
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(text=CHINESE_TEXT, encoding=st.sampled_from(["gb18030", "gbk"]))
def test_chinese_text_in_gb18030_is_never_judged_damaged_utf8(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)  # beyond GBK
    assert _verdict(data) in ("ok", "cut", "gb18030"), text


@settings(max_examples=300, deadline=None)
@given(text=CHINESE_TEXT, data=st.data())
def test_chinese_utf8_with_one_byte_removed_is_never_read_as_gb18030(text, data):
    """From 5 characters of 3 or 4 bytes on (below that the same bytes can be GBK text: '丂'
    without its first byte is 競 in GBK), whichever byte of whichever character is removed."""
    wide = [i for i, ch in enumerate(text) if ord(ch) >= 0x800]
    assume(len(wide) >= 5)
    i = data.draw(st.sampled_from(wide))
    raw = text[i].encode()
    k = data.draw(st.integers(0, len(raw) - 1))
    damaged = text[:i].encode() + raw[:k] + raw[k + 1 :] + text[i + 1 :].encode()
    assert _verdict(damaged) in ("cut", "damaged", "neither"), (text, i, k)


SOME_BYTES = st.lists(
    st.one_of(
        st.binary(max_size=4),
        st.text(max_size=3).map(str.encode),
        st.sampled_from(["\ufffd".encode(), "中".encode(), "𠮷".encode(), "é".encode()]),
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=SOME_BYTES, chunk=st.integers(1, 7))
def test_the_count_is_the_decoders_at_any_chunk_seam(data, chunk):
    text = data.decode("utf-8", "replace")
    genuine = data.count("\ufffd".encode())
    errors = text.count("\ufffd") - genuine
    wide = sum(1 for ch in text if ord(ch) >= 0x800) - errors
    narrow = sum(1 for ch in text if 0x80 <= ord(ch) < 0x800)
    tally = _tally(data, chunk)
    assert (tally.wide, tally.narrow, tally.errors) == (wide, narrow, errors)
    if errors:
        with pytest.raises(UnicodeDecodeError) as exc:
            data.decode("utf-8")
        assert tally.first_error == exc.value.start
        assert tally.first_error_line == data.count(b"\n", 0, exc.value.start) + 1
    else:
        assert tally.first_error is None


def test_private_use_characters_in_the_gb18030_reading_lower_the_ratio():
    tally = landing.Utf8Tally(wide=3, narrow=0, errors=2, first_error=0, first_error_line=1)
    assert not tally.damaged()
    assert tally.damaged(private_use=True)
    assert not landing.Utf8Tally(wide=2, errors=1).damaged(private_use=True)  # too few to tell
