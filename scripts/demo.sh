#!/usr/bin/env bash
# The README's first command: set up, generate the sample landing tree (if absent), run the
# whole pipeline for 2026-11-25 through Dagster, and print where the release is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/local/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
.venv/bin/credit-lists demo "$@"
