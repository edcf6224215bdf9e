"""Find the files of the landing tree and decide, before reading a byte of data, what each is.

A file is identified by its sha256, so the same bytes delivered twice (renamed or not) are
ingested once. Symbolic links, and anything that resolves outside the landing root, are
refused and never opened: the landing tree is written by other departments' systems and is
not trusted. Because the tree can change between the walk and the read (a file swapped for a
link, renamed over, or still growing), a delivery is pinned before it is read (`pin`: opened
without following links, checked to be a regular file inside the root) and compared after
(`unchanged`): a file that moved is left for the next run instead of being half-read.

File names are bytes and come from other systems: one in GBK, or with a line break or a
bidirectional-override character, is kept under a printable name (`display_path`) so that it
can be recorded, logged and shown without breaking the warehouse, a log line or the UI.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import struct
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DATASET_FOLDERS: tuple[str, ...] = ("permits", "penalties", "complaints", "commitments", "repairs")
SUPPORTED_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
_CHUNK = 16 * 1024 * 1024
# Characters that would break a log line, a one-line CLI reason or a markdown table, or hide
# what a name says (bidirectional overrides): controls, format characters, line separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# A file changed this close before a pass over it may change again within the same tick of
# the file system's clock without its status showing it: what the pass found is not trusted.
RACY_SECONDS = 2
_NOFOLLOW_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC


class DeliveryMoved(OSError):
    """The file changed identity since the landing tree was walked (replaced, linked, removed)."""


@dataclass(frozen=True)
class LandingFile:
    dataset: str
    path: Path  # absolute
    rel_path: str  # relative to the landing root, with forward slashes
    file_type: str | None  # csv, xlsx, jsonl; None when refused
    refused: str | None = None  # why the file is refused, when it is

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def discover(landing_root: Path, dataset: str) -> list[LandingFile]:
    """Every file under `<landing_root>/<dataset>/`, any depth, in path order (= delivery order).

    Hidden files (a leading dot, e.g. editors' and uploaders' temporary files) are passed over
    silently: they are not deliveries yet.
    """
    root = landing_root.resolve()
    base = landing_root / dataset
    if not base.exists():
        return []
    found: list[LandingFile] = []
    if base.is_symlink() or not _inside(base, root):
        return [LandingFile(dataset, base, dataset, None, "the dataset folder is a symbolic link; refused")]
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                rel = display_path((here / d).relative_to(landing_root))
                found.append(
                    LandingFile(
                        dataset, here / d, rel, None, "symbolic link to a folder; links are never followed"
                    )
                )
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            rel = display_path(path.relative_to(landing_root))
            found.append(_classify(dataset, path, rel, root))
    return sorted(found, key=lambda f: f.rel_path)


def display_path(relative: Path) -> str:
    """The path relative to the landing root, with forward slashes, as printable UTF-8 text.

    Undecodable bytes of a name (a GBK name on a UTF-8 system) become `\\xNN`, and control,
    format and line-separator characters become `\\xNN` / `\\uNNNN`; any other name is unchanged.
    """
    text = os.fsencode(relative.as_posix()).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if unicodedata.category(c) in _ESCAPED_CATEGORIES
        else c
        for c in text
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def _classify(dataset: str, path: Path, rel: str, root: Path) -> LandingFile:
    if path.is_symlink():
        return LandingFile(
            dataset, path, rel, None, "symbolic link; links are never followed, deliver the file itself"
        )
    if not _inside(path, root):
        return LandingFile(dataset, path, rel, None, "resolves outside the landing root; refused")
    if not path.is_file():
        return LandingFile(dataset, path, rel, None, "not a regular file")
    file_type = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if file_type is None:
        return LandingFile(
            dataset,
            path,
            rel,
            None,
            f"unsupported file type {path.suffix or '(none)'!r}; "
            "deliver .csv (UTF-8 or GB18030), .xlsx or .jsonl",
        )
    return LandingFile(dataset, path, rel, file_type)


@contextmanager
def pin(lf: LandingFile, landing_root: Path) -> Iterator[os.stat_result]:
    """Hold the delivery open (`open_delivery`) while it is hashed and read.

    Yields its status (device, inode, size, modification time) for `unchanged` to compare
    against after the read.
    """
    with open_delivery(lf, landing_root) as fh:
        yield os.fstat(fh.fileno())


def open_delivery(lf: LandingFile, landing_root: Path) -> BinaryIO:
    """The delivery opened for reading, without following a link. Raises DeliveryMoved when
    the name no longer is a regular file inside the landing root (it became a link, a FIFO or
    a folder, or was removed): nothing is read of it then."""
    try:
        fd = os.open(lf.path, _NOFOLLOW_FLAGS)
    except FileNotFoundError:
        raise DeliveryMoved(f"{lf.rel_path} was removed") from None
    except OSError as exc:  # ELOOP: it is a symbolic link now
        raise DeliveryMoved(f"{lf.rel_path} can no longer be opened as a file ({exc.strerror})") from None
    fh = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DeliveryMoved(f"{lf.rel_path} is no longer a regular file")
        if not _inside(Path(_real_path_of(fd, lf.path)), landing_root.resolve()):
            raise DeliveryMoved(f"{lf.rel_path} now resolves outside the landing root")
    except BaseException:
        fh.close()
        raise
    return fh


def _real_path_of(fd: int, path: Path) -> str:
    """Where an open file really is (Linux tells through /proc; elsewhere resolve the name)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


def unchanged(path: Path, before: os.stat_result) -> bool:
    """Whether `path` is still the very file pinned, with the same size and modification time."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(now.st_mode) and (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
        before.st_dev,
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def sha256_of(path: Path) -> str:
    """The file's sha256, read without following a symbolic link (a link raises OSError)."""
    fd = os.open(path, _NOFOLLOW_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise DeliveryMoved(f"{path.name} is not a regular file")
        return hashlib.file_digest(fh, "sha256").hexdigest()


def settled(st: os.stat_result, since_ns: int, racy_seconds: float = RACY_SECONDS) -> bool:
    """Whether the file had last changed more than `racy_seconds` before the clock read
    `since_ns` (when a pass over it began): only then does an unchanged `identity` prove that
    the pass saw the file as it is."""
    return max(st.st_mtime_ns, st.st_ctime_ns) < since_ns - racy_seconds * 1_000_000_000


def identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What tells one state of a file from any other: device, inode, size, modification and
    change time. The change time moves with any write and cannot be set back; a write within
    one tick of the clock does not move it, hence RACY_SECONDS where a state is remembered."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def detect_encoding(path: Path) -> str:
    """`utf-8-sig`, `utf-8` or `gb18030`, decided by strict decoding of the whole file.

    Valid UTF-8 Chinese text practically never decodes as GB18030 to the same characters and
    vice versa, and a strict full pass costs about a second per GB, so there is no guessing:
    a file that is neither is refused. A file that is valid UTF-8 up to a character cut at its
    very end was cut short (an upload that died): it is refused as such, not tried as GB18030.
    Nor is a file that is UTF-8 but for a few damaged places (a character cut inside a field by
    a byte-limited export): GB18030 may well accept its bytes, as other characters (`DamagedUtf8`).
    """
    encoding = utf8_encoding(path)
    if encoding is not None:
        return encoding
    with path.open("rb") as fh:
        try:
            return gb18030_pass(fh)
        except UnicodeDecodeError:
            raise UnicodeError(NEITHER_UTF8_NOR_GB18030) from None


NEITHER_UTF8_NOR_GB18030 = "is neither valid UTF-8 nor valid GB18030/GBK"


def utf8_encoding(path: Path) -> str | None:
    """The UTF-8 half of `detect_encoding`: `utf-8-sig` or `utf-8`, or None when the file is not
    UTF-8 (it may be GB18030: `transcode_to_utf8` tells, in the pass that writes the UTF-8
    copy, so that a GB18030 file is decoded once). Raises UnicodeError as detect_encoding does."""
    with path.open("rb") as fh:
        head = fh.read(3)
    return utf8_verdict(head, _decodes(path))


def utf8_verdict(head: bytes, utf8: str) -> str | None:
    """`utf8_encoding` from the file's first 3 bytes and its `_decodes(path)` status,
    for a reader that decoded the file in a pass of its own (see readers._scan)."""
    if utf8 == "cut":
        raise UnicodeError("is UTF-8 that ends in the middle of a character: the file was cut short")
    if head == codecs.BOM_UTF8:
        if utf8 == "ok":
            return "utf-8-sig"
        raise UnicodeError("starts with a UTF-8 byte-order mark but is not valid UTF-8")
    if utf8 == "ok":
        return "utf-8"
    return None


def _utf8_length(lead: int) -> int:
    """Bytes of the UTF-8 character a lead byte starts; 0 for a byte no character starts with."""
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _incomplete_start(buf: bytes | memoryview) -> int:
    """Where the character cut by the end of `buf` starts, or len(buf) when none is cut."""
    n = len(buf)
    for i in range(n - 1, max(n - 4, -1), -1):
        if 0x80 <= buf[i] <= 0xBF:
            continue
        return i if n - i < _utf8_length(buf[i]) else n
    return n


class Utf8Check:
    """Strict UTF-8 validation of a stream, chunk by chunk, with the verdicts of Python's decoder.

    Decoding a chunk into a str that nobody reads is 3x slower than Arrow's validation of its
    bytes: Arrow validates the bulk of each chunk, Python's decoder only the at most 3 bytes
    of a character cut by a chunk's end, so that what is valid, cut or invalid stays what the
    decoder says (an impossible start, such as a surrogate's, is invalid at once).
    """

    def __init__(self) -> None:
        self._pending = b""
        self.valid = True

    def feed(self, chunk: bytes) -> bool:
        """Whether every byte so far can be strict UTF-8 (the last character may still be cut)."""
        if not self.valid:
            return False
        body = memoryview(chunk)
        if self._pending:
            need = _utf8_length(self._pending[0]) - len(self._pending)
            head = self._pending + bytes(body[:need])
            if len(head) < len(self._pending) + need:  # the chunk is shorter than the rest of it
                return self._keep(head)
            if not self._decodes(head, final=True):
                return self._fail()
            body = body[need:]
            self._pending = b""
        cut = _incomplete_start(body)
        if cut and not self._arrow_valid(body[:cut]):
            return self._fail()
        return self._keep(bytes(body[cut:]))

    def verdict(self) -> str:
        """ "ok", "cut" (every byte decodes but the last character is incomplete) or "invalid"."""
        return "invalid" if not self.valid else "cut" if self._pending else "ok"

    def _keep(self, pending: bytes) -> bool:
        self._pending = pending
        return self._decodes(pending, final=False) or self._fail()

    def _fail(self) -> bool:
        self.valid = False
        return False

    @staticmethod
    def _decodes(data: bytes, final: bool) -> bool:
        try:
            codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError:
            return False
        return True

    @staticmethod
    def _arrow_valid(data: memoryview) -> bool:
        import pyarrow as pa  # here, not at the top: the sensor imports this module for its names

        offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
        try:
            pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(
                full=True
            )
        except pa.ArrowInvalid:
            return False
        return True


def _decodes(path: Path) -> str:
    """ "ok"; "cut" when every byte decodes as UTF-8 but the last character is incomplete; else
    "invalid"."""
    with path.open("rb") as fh:
        check = Utf8Check()
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            if not check.feed(chunk):
                break
        return check.verdict()


def transcode_to_utf8(source: Path | BinaryIO, encoding: str, target: Path) -> None:
    """Stream a GB18030 file (a path, or a binary stream read from where it stands) into a UTF-8
    copy so DuckDB's CSV reader can take it.

    Strict: raises UnicodeDecodeError when the file is not valid `encoding` to its last byte
    (then the copy is incomplete), and DamagedUtf8 when it is UTF-8 with damage rather than
    GB18030 (`gb18030_pass`), so the copy is also the test of the encoding."""
    opened = source.open("rb") if isinstance(source, Path) else nullcontext(source)
    with opened as src, target.open("wb") as dst:
        gb18030_pass(src, dst, encoding)


class DamagedUtf8(UnicodeError):
    """The file is UTF-8 with a few damaged places, not GB18030 (`Utf8Tally.damaged`): the
    message says where the first one is."""


@dataclass
class Utf8Tally:
    """What Python's UTF-8 decoder finds in a file that is not strict UTF-8 (`Utf8Count`)."""

    wide: int = 0  # well-formed sequences of 3 or 4 bytes: U+0800 and up (Chinese, ＂，。)
    narrow: int = 0  # well-formed sequences of 2 bytes: U+0080 to U+07FF
    errors: int = 0  # what the decoder replaces (a maximal invalid part of a sequence each)
    first_error: int | None = None  # byte offset of the first, from 0
    first_error_line: int | None = None  # its line, from 1 (line feeds before it + 1)

    def damaged(self, private_use: bool = False) -> bool:
        """Whether the file is evidently UTF-8 with damage, not GB18030 (see DAMAGED_UTF8_*).

        The evidence is the well-formed sequences of 3 or 4 bytes, which Chinese text is made
        of in UTF-8; GBK text makes one by chance for about 1 character in 100 (a 2-byte one
        for about 1 in 5, so these prove nothing), while it makes an error for most of its
        characters. `private_use`: whether the GB18030 decoding of the file gave characters
        of the Private Use Area (U+E000 to U+F8FF), which UTF-8 Chinese read as GB18030 often
        gives and real GBK text rarely holds: with them, a smaller majority of well-formed
        ones tells (never fewer than DAMAGED_UTF8_MIN_WIDE: the user-defined characters of a
        GBK export are private use too)."""
        if self.errors == 0:
            return False
        ratio = DAMAGED_UTF8_RATIO_WITH_PRIVATE_USE if private_use else DAMAGED_UTF8_RATIO
        return self.wide >= DAMAGED_UTF8_MIN_WIDE and self.wide >= ratio * self.errors

    def where(self) -> str:
        line = f" (line {self.first_error_line})" if self.first_error_line is not None else ""
        return f"byte offset {self.first_error}{line}"


# A file that is not strict UTF-8 is judged UTF-8 with damage when its well-formed sequences of 3
# or 4 bytes number at least DAMAGED_UTF8_MIN_WIDE and DAMAGED_UTF8_RATIO times its errors (the
# ratio with Private Use characters in its GB18030 reading: DAMAGED_UTF8_RATIO_WITH_PRIVATE_USE).
# Measured on `credit-lists sample --scale 0.05` (tests/test_encoding_detection.py measures it on
# a smaller city): its 12 GBK files have at most 0.08 such sequences per error (and at most 24%
# of their non-ASCII sequences well-formed); its UTF-8 files with one character cut (1,080 cases)
# have at least 52 per error (98% well-formed), about as many as they have Chinese characters.
DAMAGED_UTF8_MIN_WIDE = 3
DAMAGED_UTF8_RATIO = 2.0
DAMAGED_UTF8_RATIO_WITH_PRIVATE_USE = 1.0

_ASCII = bytes(range(0x80))
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_REPLACEMENT = "\ufffd"
_REPLACEMENT_BYTES = _REPLACEMENT.encode()
_COUNT_SLICE = 4 * 1024 * 1024


class Utf8Count:
    """`Utf8Tally` of a stream, chunk by chunk, for a file that failed the strict check
    (`Utf8Check`): Python's decoder with replacement, its text measured in C, never character
    by character, in slices of 4 MiB (what they decode to and are encoded back to is held for
    one slice only)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._offset = 0  # bytes fed so far
        self._lines = 0  # line feeds in them
        self._tail = b""  # the last 2 bytes fed: a U+FFFD of the file across a slice's end
        self.tally = Utf8Tally()

    def feed(self, chunk: bytes, final: bool = False) -> None:
        for start in range(0, len(chunk), _COUNT_SLICE):
            self._feed(chunk[start : start + _COUNT_SLICE], final and start + _COUNT_SLICE >= len(chunk))
        if final and not chunk:
            self._feed(b"", True)

    def hopeless(self, remaining: int) -> bool:
        """Whether the stream cannot be judged damaged UTF-8 (at the lowest ratio) whatever its
        `remaining` bytes hold: each adds at most a third of a well-formed wide sequence."""
        return self.tally.errors > self.tally.wide + remaining // 3

    def _feed(self, data: bytes, final: bool) -> None:
        pending = self._decoder.getstate()[0]
        text = self._decoder.decode(data, final)
        # The text holds every ASCII byte as one character, each well-formed sequence as one (two
        # UTF-16 units beyond U+FFFF) and each error as a U+FFFD: its lengths in UTF-8 and in
        # UTF-16 tell how many sequences had 2 bytes and how many 3 or 4.
        ascii = len(data) - len(data.translate(None, _ASCII))
        replaced = text.count(_REPLACEMENT)
        genuine = (self._tail + data).count(_REPLACEMENT_BYTES)  # well-formed U+FFFD in the file
        others = len(text) - ascii - replaced  # well-formed sequences but U+FFFD
        astral = len(text.encode("utf-16-le")) // 2 - len(text)
        if others:
            bmp_wide = len(text.encode("utf-8")) - ascii - 3 * replaced - 4 * astral - 2 * (others - astral)
        else:
            bmp_wide = 0
        tally = self.tally
        errors = replaced - genuine
        tally.wide += bmp_wide + astral + genuine
        tally.narrow += others - astral - bmp_wide
        tally.errors += errors
        if errors and tally.first_error is None:
            whole = pending + data
            try:
                codecs.utf_8_decode(whole, "strict", final)
                at = len(whole)  # not reached: the decoder replaced something
            except UnicodeDecodeError as exc:
                at = exc.start
            tally.first_error = self._offset - len(pending) + at
            tally.first_error_line = self._lines + whole.count(b"\n", 0, at) + 1
        self._offset += len(data)
        self._lines += data.count(b"\n")
        self._tail = (self._tail + data)[-2:]


def gb18030_pass(
    src: BinaryIO, dst: BinaryIO | None = None, encoding: str = "gb18030", size: int | None = None
) -> str:
    """`encoding` ("gb18030") for a file, not strict UTF-8, that is GB18030 to its last byte
    and not evidently UTF-8 with damage; with `dst`, its UTF-8 copy is written there meanwhile.

    One pass of Python's strict GB18030 decoder and of `Utf8Count` over the same chunks (and
    over the rest of the file when the GB18030 decoder fails first, to tell why); the count
    stops once the file cannot be judged damaged any more (`Utf8Count.hopeless`, with the
    `size` of the file, read from its descriptor when not given). Raises DamagedUtf8 (where
    the damage starts), or UnicodeDecodeError when the file is neither.
    """
    if size is None:
        try:
            size = os.fstat(src.fileno()).st_size - src.tell()
        except (OSError, AttributeError, ValueError):  # not a file: count to the end
            size = None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    count: Utf8Count | None = Utf8Count()
    tally = count.tally
    failure: UnicodeDecodeError | None = None
    private_use = False
    read = 0
    while chunk := src.read(_CHUNK):
        read += len(chunk)
        if count is not None:
            count.feed(chunk)
            if size is not None and count.hopeless(max(size - read, 0)):
                count = None
        if failure is None:
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                failure = exc
            else:
                private_use = private_use or _PRIVATE_USE.search(text) is not None
                if dst is not None:
                    dst.write(text.encode("utf-8"))
        elif count is None:
            break
    if count is not None:
        count.feed(b"", final=True)
    if failure is None:
        try:
            text = decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            failure = exc
        else:
            if dst is not None:
                dst.write(text.encode("utf-8"))
    if tally.damaged(private_use=private_use and failure is None):
        raise DamagedUtf8(
            f"is UTF-8 damaged at {tally.where()}: the bytes there are not UTF-8, while its other "
            f"{tally.wide + tally.narrow} non-ASCII characters are (a character cut by a "
            "byte-limited export, say); it is not read as GB18030, which would turn its Chinese "
            "into other characters"
        )
    if failure is not None:
        raise failure
    return encoding
