#!/usr/bin/env bash
# The whole demo at scale (issue 8, targets 3 and 5): `dormant demo` with
# generation included, under /usr/bin/time for the peak RSS. Prints the
# generation time against the scan's (target 5: generation <= scan), the
# work after the scan against the scan (target 3: under 10%) and the peak
# memory (target 3: under 1 GiB), all from the same run.
#
#   bench/demo.sh [USERS] [EVENTS]        default 100000 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
events=${2:-10000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/dormant" ./cmd/dormant
go build -o "$work/demostat" ./bench/demostat
/usr/bin/time -f '%M %e %U %S' -o "$work/time" \
	"$work/dormant" demo --out "$work/demo" --users "$users" --events "$events" --as-of 2026-11-01 \
	--log-format json >"$work/stdout" 2>"$work/log"
tail -n 1 "$work/stdout"
"$work/demostat" -run "$work/demo/run/run.json" -log "$work/log" -time "$work/time"
