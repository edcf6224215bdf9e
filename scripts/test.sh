#!/usr/bin/env bash
# The README's second command: set up (with test tools) and run the linters and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export GX_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -n 2 -q "$@"
