#!/usr/bin/env bash
# Incremental speed (issue 8, target 2): a 90-day run with --cache, then the
# run after one more day of logs arrives, which reads only that day's files.
# Prints both times and their ratio (target <= 0.05), and checks the cached
# run's tables are identical to a full scan's.
#
#   bench/incremental.sh [RECORDS] [scanbench flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-2000000}
shift || true
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scanbench" ./bench/scanbench
"$bin/scanbench" -mode incremental -events "$records" "$@"
