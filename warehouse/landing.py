"""Find the files of the landing tree and decide, before reading a byte of data, what each is.

A file is identified by its sha256, so the same bytes delivered twice (renamed or not) are
ingested once. Symbolic links, and anything that resolves outside the landing root, are
refused and never opened: the landing tree is written by other departments' systems and is
not trusted.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DATASET_FOLDERS: tuple[str, ...] = ("permits", "penalties", "complaints", "commitments", "repairs")
SUPPORTED_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
_CHUNK = 16 * 1024 * 1024


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
                rel = (here / d).relative_to(landing_root).as_posix()
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
            rel = path.relative_to(landing_root).as_posix()
            found.append(_classify(dataset, path, rel, root))
    return sorted(found, key=lambda f: f.rel_path)


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """`utf-8-sig`, `utf-8` or `gb18030`, decided by strict decoding of the whole file.

    Valid UTF-8 Chinese text practically never decodes as GB18030 to the same characters and
    vice versa, and a strict full pass costs about a second per GB, so there is no guessing:
    a file that is neither is refused.
    """
    with path.open("rb") as fh:
        head = fh.read(3)
    if head == codecs.BOM_UTF8:
        if _decodes(path, "utf-8"):
            return "utf-8-sig"
        raise UnicodeError("starts with a UTF-8 byte-order mark but is not valid UTF-8")
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "gb18030"):
        return "gb18030"
    raise UnicodeError("is neither valid UTF-8 nor valid GB18030/GBK")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> None:
    """Stream a GB18030 file into a UTF-8 copy so DuckDB's CSV reader can take it."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
