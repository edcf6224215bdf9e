"""What operators and the public can reach: the UI's binding, the repository, the publish folder.

* The README (and every command the project ships) binds the Dagster UI to 127.0.0.1 and warns
  that the UI has no authentication.
* No tracked or to-be-tracked file holds a private key, a token or a password.
* The publish folder that downstream sites read holds releases only: latest.json and
  releases/<id>/ with its Parquet files, manifest.json and datapackage.json; no warehouse,
  quarantine, report, log or staging leftover is visible, and no local path leaks into a file.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import bad_check_uscc, point_in_process_run, valid_record, write_records
from test_faults import AS_OF, tiny_landing

from warehouse import release
from warehouse.db import connect
from warehouse.reconcile import reconcile, visibility_problems

ROOT = Path(__file__).resolve().parents[1]
RELEASE_FILES = {f"{name}.parquet" for name in release.RELEASE_FILES} | {
    release.MANIFEST,
    release.DATAPACKAGE,
}


# ---------------------------------------------------------------------------------------------
# the UI binding


def _ui_commands(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if re.search(r"\bdagster(-webserver\b|\s+dev\b)", line)
        and re.search(r"\s-(h|-host)\b|workspace", line)
    ]


def test_readme_binds_the_ui_to_localhost_and_warns_about_exposing_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = _ui_commands(readme)
    assert commands, "the README shows how to start the UI"
    for command in commands:
        assert re.search(r"\s(-h|--host)\s+127\.0\.0\.1\b", command), command
    assert "http://127.0.0.1:" in readme
    warning = re.search(r"no authentication.{0,400}", readme, re.IGNORECASE | re.DOTALL)
    assert warning, "the README says that the UI has no authentication"
    assert re.search(r"127\.0\.0\.1", warning.group(0)) and re.search(
        r"(do not|never|don't) bind", warning.group(0), re.IGNORECASE
    ), warning.group(0)
    assert "0.0.0.0" not in readme


def test_every_shipped_ui_command_binds_localhost() -> None:
    shipped = [p for p in (ROOT / "deploy").rglob("*") if p.is_file()] + [
        p for p in (ROOT / "scripts").glob("*") if p.is_file()
    ]
    found = 0
    for path in shipped:
        for command in _ui_commands(path.read_text(encoding="utf-8", errors="replace")):
            if command.startswith("#"):
                continue
            found += 1
            assert re.search(r"\s(-h|--host)\s+127\.0\.0\.1\b", command), (path, command)
        assert "0.0.0.0" not in path.read_text(encoding="utf-8", errors="replace"), path
    assert found, "the production units start the webserver"


# ---------------------------------------------------------------------------------------------
# secrets in the repository

# Written so that this file does not match itself.
SECRET_PATTERNS = {
    "private key": re.compile("-----BEGIN [A-Z ]*" + "PRIVATE KEY( BLOCK)?-----"),
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "API secret key": re.compile(r"\bsk-(live_|proj-)?[A-Za-z0-9]{32,}\b"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?P<value>[^/\s:@'\"]{3,})@"),
    "assigned secret": re.compile(
        r"(?i)(?<![A-Za-z0-9])(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|hash[_-]?key)"
        r"\s*[:=]\s*['\"]?(?P<value>[^\s'\"#,;)]{6,})"
    ),
}
# Values that say they are not real: documented placeholders and development defaults.
PLACEHOLDER = re.compile(
    r"(?i)change-?me|example|placeholder|dummy|fake|sample|development|not-a-secret|your[-_]|xxx|\.\.\.|…|"
    r"^<.*>$|^\$|^\{|^%|^os\.environ|^env\b|^none$|^null$|^true$|^false$|^self\.|^\w+\(|^\w+\.\w+|^\[|test"
)
NEVER_TRACKED = re.compile(
    r"(?i)(\.duckdb(\.wal)?|\.duckdb\.lock|\.env|\.pem|\.key|\.p12|\.pfx|\.keystore|id_rsa|id_ed25519|\.sqlite3?)$"
)


def _repository_files() -> list[Path]:
    """Tracked files and untracked ones git would add (ignored ones are not shipped)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / os.fsdecode(p) for p in listed.split(b"\0") if p and (ROOT / os.fsdecode(p)).is_file()]


def test_no_private_key_token_or_password_in_the_repository() -> None:
    findings = []
    paths = _repository_files()
    assert len(paths) > 50
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        if NEVER_TRACKED.search(rel) and not rel.endswith(".example"):
            findings.append(f"{rel}: a file of this kind must not be in the repository")
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (images, Parquet): keys and tokens are text
        text = data.decode("utf-8", errors="replace")
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                value = match.groupdict().get("value") or match.group(0)
                if "value" in pattern.groupindex and PLACEHOLDER.search(value):
                    continue
                line = text.count("\n", 0, match.start()) + 1
                findings.append(f"{rel}:{line}: {kind}: {match.group(0)[:60]}")
    assert findings == [], "\n".join(findings)


def test_the_secret_scanner_finds_what_it_looks_for() -> None:
    """The patterns are live: planted examples of each kind are caught, placeholders are not."""
    planted = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE...",
        "AWS access key": "aws_id = " + "AKIA" + "Q3EXAMPLEWJ7MDENG7Z"[:16],
        "GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "password in a URL": "postgresql://dagster:" + "s3cr3tPassw0rd@db.internal/dagster",
        "assigned secret": "DAGSTER_PG_PASSWORD=" + "Zq8vRk2LmW",
    }
    for kind, text in planted.items():
        match = SECRET_PATTERNS[kind].search(text)
        assert match, kind
        value = match.groupdict().get("value")
        assert value is None or not PLACEHOLDER.search(value), (kind, value)
    for text in ("DAGSTER_PG_PASSWORD=change-me", "CREDIT_HASH_KEY=change-me-to-a-long-random-secret"):
        match = SECRET_PATTERNS["assigned secret"].search(text)
        assert match and PLACEHOLDER.search(match.group("value")), text


# ---------------------------------------------------------------------------------------------
# the publish folder


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, landing: Path):
    """One run through Dagster in-process, laid out as README's data/ folder."""
    from pipelines.run import run_partition

    data = tmp_path / "data"
    point_in_process_run(monkeypatch, landing, data / "warehouse.duckdb", data / "publish", data / "reports")
    return run_partition(AS_OF), data


def _tree(publish: Path) -> list[str]:
    return sorted(p.relative_to(publish).as_posix() for p in publish.rglob("*"))


def assert_only_releases(publish: Path, private: list[Path]) -> None:
    """Readers find latest.json and whole releases, nothing else they could open."""
    for entry in publish.iterdir():
        if entry.name.startswith("."):
            # bookkeeping of the publication itself (lock, staging, trash): owner-only, no data
            mode = stat.S_IMODE(entry.lstat().st_mode)
            assert mode & 0o077 == 0 or (entry.is_file() and entry.stat().st_size == 0), (entry, oct(mode))
            if entry.is_dir():
                assert [p for p in entry.rglob("*") if p.suffix in {".parquet", ".duckdb", ".json"}] == [], (
                    entry
                )
            continue
        assert entry.name in {"latest.json", "releases"}, entry
    for rid_dir in (publish / "releases").iterdir():
        assert release.RELEASE_ID.match(rid_dir.name), rid_dir
        assert {p.name for p in rid_dir.iterdir()} == RELEASE_FILES, rid_dir
        assert stat.S_IMODE(rid_dir.stat().st_mode) & 0o222 == 0  # never modified after it appears
        for f in rid_dir.iterdir():
            mode = stat.S_IMODE(f.stat().st_mode)
            assert mode & 0o444 == 0o444 and mode & 0o222 == 0, (f, oct(mode))
    assert visibility_problems(publish) == []
    # nothing of the machine it was made on: no local path, no warehouse or report name
    for f in [publish / "latest.json", *(publish / "releases").rglob("*")]:
        if f.is_file():
            data = f.read_bytes()
            for p in private:
                assert os.fsencode(str(p)) not in data, (f, p)
            assert b"warehouse.duckdb" not in data and b"quarantine" not in data, f


def test_the_publish_folder_holds_only_releases_after_a_run_and_after_a_failed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    tiny_landing(landing)
    outcome, data = _run(tmp_path, monkeypatch, landing)
    assert outcome.success, outcome.reason
    publish = data / "publish"
    private = [tmp_path, data / "warehouse.duckdb", data / "reports"]
    assert_only_releases(publish, private)
    latest = release.read_latest(publish)
    assert set(latest) >= {"release", "as_of", "manifest_sha256"}
    # the warehouse and the internal reports stay outside the publish folder
    assert (data / "warehouse.duckdb").is_file() and (data / "reports").is_dir()
    assert not list(publish.rglob("*.duckdb")) and not list(publish.rglob("*.html"))
    before = _tree(publish)

    # a delivery that the gate holds: the run fails, publishes nothing and leaves nothing visible
    held = []
    for n in range(500, 512):
        record = valid_record("penalties", n)
        record["party_uscc"] = bad_check_uscc(record["party_uscc"])
        held.append(record)
    write_records(landing / "penalties" / "2026-11-24" / "bad.csv", "penalties", held)
    outcome, _ = _run(tmp_path, monkeypatch, landing)
    assert not outcome.success and "penalties" in outcome.reason
    assert release.read_latest(publish) == latest
    assert_only_releases(publish, private)
    assert [p for p in _tree(publish) if not p.startswith(".")] == [
        p for p in before if not p.startswith(".")
    ]
    with connect(data / "warehouse.duckdb") as con:
        assert reconcile(con, publish) == []
