#!/usr/bin/env bash
# Scan speed (issue 8, target 1): the local engine's Go scanner and its
# DuckDB reference against `gzip -dc` (two processes in parallel) on the
# same CloudTrail files, in the same run. Prints wall and CPU times and the
# ratios; the target is Go scanner wall/gzip <= 1.3 at >= 2M records.
#
#   bench/scan.sh [RECORDS] [scanbench flags...]     e.g. bench/scan.sh 2000000 -runs 3
#
# The demo organization is generated in a temporary folder (about 0.5 GB of
# gzipped logs per 2M records) unless -dir names one to keep and reuse.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-2000000}
shift || true
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/scanbench" ./bench/scanbench
"$bin/scanbench" -mode scan -events "$records" "$@"
