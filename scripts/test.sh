#!/usr/bin/env bash
# The README's second command: set up (with test tools) and run the linters and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# The UI tests drive Debian's Chromium (Playwright's own browser download is not used) and the
# release report's charts need a CJK font.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
        echo "scripts/test.sh: install chromium and fonts-noto-cjk (apt-get, as root) for the UI tests" >&2
    fi
fi
export GX_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two workers for the fast tests; the slow ones (a dagster dev server, a browser) in one process
# so that they share one server.
.venv/bin/python -m pytest -n 2 -q -m "not slow" "$@"
.venv/bin/python -m pytest -q -m slow "$@"
