#!/usr/bin/env bash
# Create ./.venv with Python 3.11 and install credit-lists with its pinned dependencies.
# Usage: scripts/setup.sh [extra]   (extra "test" adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"credit-lists needs Python 3.11, found {sys.version}"'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
spec="."
[ "${1:-}" = "test" ] && spec=".[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e "$spec"
