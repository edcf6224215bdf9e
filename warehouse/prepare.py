"""The Python half of reading a delivery, done one file ahead on a helper thread.

Per file, ingest is Python work on the bytes (the sha256, the strict UTF-8 pass and byte
facts of `readers.scan_stream`, the XLSX sheet parse, the UTF-8 copy of a GB18030 CSV) and
then DuckDB work (the parse, the insert, the commit). DuckDB releases the GIL while it works,
so on a second core the next file's Python half can run meanwhile: at scale 20 that half is a
third of the ingest's time.

Only pure functions of the file's bytes run here; the thread never touches the database.
A result is used only for the very file it was worked out on (`Prepared.holds_for`: same
device, inode, size, modification and change time as the file the ingest pins, and not
changed within RACY_SECONDS of the pass), otherwise the ingest works it out again itself.
Any failure here is dropped for the same reason: the ingest meets it again and handles it
where it always has.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warehouse.landing import (
    RACY_SECONDS,
    LandingFile,
    identity,
    open_delivery,
    settled,
    transcode_to_utf8,
    utf8_verdict,
)
from warehouse.readers import Sheet, _Scan, read_sheet, scan_stream


@dataclass(frozen=True)
class Prepared:
    """What one pass over a delivery's bytes found."""

    identity: tuple[int, int, int, int, int]  # as `landing.identity`, when the pass began and ended
    started_ns: int  # wall clock when the pass began
    sha256: str | None  # None: not hashed here (the remembered hash holds, see `ingest._sha256`)
    scan: _Scan | None = None  # CSV and JSONL
    sheet: Sheet | None = None  # XLSX, when the sheet could be read
    utf8_copy: Path | None = None  # a GB18030 CSV transcoded whole, in the caller's scratch folder

    def holds_for(self, st: os.stat_result) -> bool:
        """Whether this pass read the file the ingest pinned as `st`, as it is."""
        return identity(st) == self.identity and settled(st, self.started_ns, RACY_SECONDS)


def prepare(
    lf: LandingFile,
    landing_root: Path,
    remembered: Callable[[os.stat_result], str | None],
    needed: Callable[[str], bool],
    scratch: Path | None = None,
) -> Prepared | None:
    """One pass over `lf`: its sha256 (unless `remembered` knows it for this status), and, if
    `needed` says its bytes are still to be read, its byte facts or its sheet, and the UTF-8
    copy of a CSV that is not UTF-8 when `scratch` is a folder to write it to (a copy only of
    a file that is GB18030 to its last byte). The file is opened as the ingest pins it
    (`landing.open_delivery`: no link followed, nothing outside the landing root opened), and
    everything is read from that one descriptor."""
    started_ns = time.time_ns()
    with open_delivery(lf, landing_root) as fh:
        st = os.fstat(fh.fileno())
        sha = remembered(st)
        if sha is not None and not needed(sha):
            return Prepared(identity(st), started_ns, None)
        digest = hashlib.sha256() if sha is None else None
        scan = None
        if lf.file_type in ("csv", "jsonl"):
            scan = scan_stream(fh, decode=True, digest=digest)
        elif digest is not None:
            digest = hashlib.file_digest(fh, "sha256")
        if digest is not None:
            sha = digest.hexdigest()
        sheet = None
        if lf.file_type == "xlsx" and needed(sha):
            try:
                fh.seek(0)
                sheet = read_sheet(fh)
            except Exception:  # the ingest reads it again and meets the failure itself
                sheet = None
        copy = None
        if lf.file_type == "csv" and scratch is not None and scan is not None and needed(sha):
            copy = _gb18030_copy(fh, scan, scratch)
        if identity(os.fstat(fh.fileno())) != identity(st):
            if copy is not None:
                copy.unlink(missing_ok=True)
            return None
    return Prepared(identity(st), started_ns, None if digest is None else sha, scan, sheet, copy)


def _gb18030_copy(fh: BinaryIO, scan: _Scan, scratch: Path) -> Path | None:
    """The UTF-8 copy `readers.read_file` would write of a CSV that is not UTF-8, or None: the
    file is UTF-8, is refused before any copy (a cut or false UTF-8 one), is not GB18030
    either, or is UTF-8 with damage that GB18030 would misread (`landing.DamagedUtf8`, decided
    in the same pass as the copy, by the rule the reader applies): the ingest meets the last
    two again and refuses the file, saying why."""
    try:
        if utf8_verdict(scan.head, scan.utf8) is not None:
            return None
    except UnicodeError:
        return None
    target = scratch / f"{uuid.uuid4().hex}.csv"
    try:
        fh.seek(0)
        transcode_to_utf8(fh, "gb18030", target)
    except (UnicodeError, OSError):
        target.unlink(missing_ok=True)
        return None
    return target


def ahead(
    files: Iterable[LandingFile], work: Callable[[LandingFile, Path], Prepared | None]
) -> Iterator[tuple[LandingFile, Future[Prepared | None]]]:
    """Each file with the future of `work` on it, which starts while the file before is ingested.

    At most two files are prepared or held at a time: the one handed out and the next. `work`
    writes what it writes (`Prepared.utf8_copy`) to a scratch folder of this generator's; a
    file's copy is removed when the next file is asked for, and the folder when it ends.
    """
    with (
        tempfile.TemporaryDirectory(prefix="credit-lists-ahead-") as scratch,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare") as pool,
    ):
        queued: deque[tuple[LandingFile, Future[Prepared | None]]] = deque()
        try:
            for lf in files:
                queued.append((lf, pool.submit(_quietly, work, lf, Path(scratch))))
                if len(queued) > 1:
                    yield from _handed_out(queued.popleft())
            while queued:
                yield from _handed_out(queued.popleft())
        finally:
            for _, future in queued:
                future.cancel()


def _handed_out(
    item: tuple[LandingFile, Future[Prepared | None]],
) -> Iterator[tuple[LandingFile, Future[Prepared | None]]]:
    """Hand `item` out, and once the caller asks for the next one, remove the copy it came with."""
    yield item
    prepared = item[1].result()
    if prepared is not None and prepared.utf8_copy is not None:
        prepared.utf8_copy.unlink(missing_ok=True)


def _quietly(
    work: Callable[[LandingFile, Path], Prepared | None], lf: LandingFile, scratch: Path
) -> Prepared | None:
    try:
        return work(lf, scratch)
    except Exception:  # see the module docstring: the ingest meets it again
        return None
