"""The one-pass byte scan of the CSV reader tells what the separate passes it replaced told,
also across the seam of two read chunks."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse import landing, readers

C = readers._CHUNK


def _files(tmp_path):
    filler = b"a,b\n" * ((C - 8) // 4)
    filler += b"x" * (C - 2 - len(filler)) + b"\n"  # ends at byte C - 2
    cases = {
        "plain": b"h\n1\n2\n",
        "bom": codecs.BOM_UTF8 + "名,号\n甲,1\n".encode(),
        "blank": b"h\n1\n\n2\n",
        "blank_crlf": b"h\r\n1\r\n\r\n2\r\n",
        "blank_cr": b"h\r1\r\r2\r",
        "nul": b"h\n1\x00\n",
        "cut": "h\n中".encode()[:-1],
        "gb": "名,号\n甲,1\n".encode("gb18030"),
        "bom_gb": codecs.BOM_UTF8 + "名\n甲\n".encode("gb18030"),
        "seam_nn": filler + b"1\n\n2\n",  # the second \n of the pair is the chunk's first byte
        "seam_nrn": filler + b"\n\r\n2\n",
        "seam_rr": filler + b"\r\r2\r",
        "seam_crlf": filler + b"1\r\n",
        "seam_utf8": filler + "1中\n".encode(),  # a character cut by the chunk boundary
        "empty": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        yield name, tmp_path / name


WITH_EMPTY_LINES = {"blank", "blank_crlf", "blank_cr", "seam_nn", "seam_nrn", "seam_rr"}


def test_scan_matches_the_passes_it_replaced(tmp_path):
    for name, path in _files(tmp_path):
        scan = readers._scan(path, decode=True)
        status = landing._decodes(path)
        assert scan.utf8 == status, name
        try:
            expected = landing.utf8_encoding(path)
        except UnicodeError as exc:
            with pytest.raises(UnicodeError, match=str(exc)):
                landing.utf8_verdict(scan.head, scan.utf8)
        else:
            assert landing.utf8_verdict(scan.head, scan.utf8) == expected, name
        if status != "invalid":
            for s in (scan, readers._scan(path, decode=False)):
                assert s.blank == readers._scan_bytes(path, readers.BLANK_LINE_ENDS), name
                assert s.blank == (name in WITH_EMPTY_LINES), name
                assert s.crlf == readers._has_crlf(path), name
                assert s.nul == (b"\x00" in path.read_bytes()), name


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.text(st.sampled_from(["a", '"', "\r", "\n", ",", "罚", " "]), max_size=6), min_size=1, max_size=4
    ),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk=st.integers(1, 8),
)
def test_the_header_ends_at_its_line_end_outside_quotes(cells, line_end, chunk) -> None:
    """Where the records start after a header record, for any line end and chunk seam."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=line_end, quoting=csv.QUOTE_ALL).writerow(cells)
    header = buf.getvalue().encode()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_CHUNK", chunk)
        assert readers._header_end(io.BytesIO(header + b"x,y" + line_end.encode())) == (len(header), line_end)
        assert readers._header_end(io.BytesIO(header[: -len(line_end) - 1])) is None  # quotes never close


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"\n", b"\r", b"\x00", b","]), max_size=40).map(b"".join),
    chunk=st.integers(1, 9),
)
def test_the_byte_facts_are_those_of_the_whole_file_whatever_the_chunks(data, chunk) -> None:
    """Chunks with and without CR, and needles across every kind of seam, as one search of the
    whole byte string tells."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_CHUNK", chunk)
        scan = readers.scan_stream(io.BytesIO(data), decode=False)
    assert scan.blank == any(n in data for n in readers.BLANK_LINE_ENDS)
    assert scan.crlf == (b"\r\n" in data)
    assert scan.nul == (b"\x00" in data)


_UTF8_PIECES = [
    b"a",
    b"\n",
    "中".encode(),
    "𝄞".encode(),
    "é".encode(),
    b"\x80",
    b"\xbf",
    b"\xc0",
    b"\xc2",
    b"\xdf",
    b"\xe0",
    b"\xe4",
    b"\xed",
    b"\xed\xa0\x80",
    b"\xef",
    b"\xf0",
    b"\xf4",
    b"\xf4\x90",
    b"\xf5",
    b"\xff",
    b"\xe0\x80\x80",
    b"\xef\xbb\xbf",
]


def _python_verdict(data: bytes, chunk: int) -> str:
    """Python's strict incremental decoder on bytes read in chunks of `chunk` bytes: ok, cut or invalid."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        for i in range(0, len(data), chunk):
            decoder.decode(data[i : i + chunk])
    except UnicodeDecodeError:
        return "invalid"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cut"
    return "ok"


@settings(max_examples=500, deadline=None)
@given(data=st.lists(st.sampled_from(_UTF8_PIECES), max_size=30).map(b"".join), chunk=st.integers(1, 9))
def test_utf8_check_gives_the_decoders_verdict_whatever_the_chunks(data, chunk) -> None:
    """Valid, cut or invalid as Python's strict decoder says: surrogates, overlong forms, code
    points past U+10FFFF and characters cut by any chunk seam or by the end."""
    check = landing.Utf8Check()
    for i in range(0, len(data), chunk):
        check.feed(data[i : i + chunk])
    assert check.verdict() == _python_verdict(data, chunk) == _python_verdict(data, len(data) or 1)
    with pytest.MonkeyPatch.context() as m, tempfile.TemporaryDirectory() as tmp:
        m.setattr(readers, "_CHUNK", chunk)
        m.setattr(landing, "_CHUNK", chunk)
        assert readers.scan_stream(io.BytesIO(data), decode=True).utf8 == _python_verdict(data, chunk)
        (path := Path(tmp) / "f").write_bytes(data)
        assert landing._decodes(path) == _python_verdict(data, chunk)
