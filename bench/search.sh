#!/usr/bin/env bash
# Code-search speed: dormant's multi-pattern search against ripgrep on the
# same generated tree and the same literals (every candidate's name, unique
# ID and access key IDs), in the same run. Prints wall time and peak memory
# of each and the ratio; the target is dormant <= 1.5x ripgrep at >= 100,000
# files and 1 GB.
#
#   bench/search.sh [FILES] [BYTES] [USERS] [RUNS]    default 100000 1073741824 1000 3
#
# ripgrep runs as `rg -F -i -f patterns.txt --hidden --no-ignore`: the two
# flags make it read the files dormant reads (.env files are hidden and
# usually git-ignored); the generated tree has no .gitignore, so they change
# nothing else. It is Debian's package, installed here if missing. Each tool
# runs once untimed to warm the page cache, then RUNS times; the best run
# counts. Set KEEP=dir to generate into (and reuse) a folder.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100000}
bytes=${2:-1073741824}
users=${3:-1000}
runs=${4:-3}

if ! command -v rg >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y ripgrep >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null; }
	else
		sudo apt-get install -y ripgrep >/dev/null
	fi
fi

bin=$(mktemp -d)
work=${KEEP:-$(mktemp -d)}
cleanup() {
	rm -rf "$bin"
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
go build -o "$bin/searchbench" ./bench/searchbench
if [ ! -f "$work/patterns.txt" ]; then
	"$bin/searchbench" gen -dir "$work" -files "$files" -bytes "$bytes" -users "$users"
fi
echo "tree: $(find "$work/tree" -type f | wc -l) files, $(du -sb "$work/tree" | cut -f1) bytes; $(wc -l <"$work/patterns.txt") patterns; $(rg --version | head -1)"

# best WALL PEAKKB CPU for a command, from RUNS timed runs after a warm-up
# (CPU is user+sys, the figure to trust when other work shares the cores).
best() {
	"$@" >/dev/null 2>&1 || true
	local b="" m="" c=""
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %M %U %S' -o "$bin/time" "$@" >/dev/null 2>"$bin/err" || { cat "$bin/err" >&2; exit 1; }
		read -r t k u s <"$bin/time"
		if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t m=$k c=$(awk "BEGIN{print $u + $s}"); fi
	done
	echo "$b $m $c"
}

read -r dt dk dc < <(best "$bin/searchbench" search -dir "$work" -out "$bin/dormant.hits")
read -r rt rk rc < <(best sh -c 'rg -F -i -f "$1/patterns.txt" --hidden --no-ignore "$1/tree" >"$2"; test $? -le 1' sh "$work" "$bin/rg.hits")
"$bin/searchbench" search -dir "$work" -out "$bin/dormant.hits"
echo "ripgrep: $(wc -l <"$bin/rg.hits") matching lines (near misses such as davey for dave included)"
echo "dormant: ${dt}s wall, ${dc}s CPU, peak ${dk} KiB"
echo "ripgrep: ${rt}s wall, ${rc}s CPU, peak ${rk} KiB"
awk -v d="$dt" -v r="$rt" -v dc="$dc" -v rc="$rc" 'BEGIN { printf "ratio dormant/ripgrep: %.2f wall (target <= 1.5), %.2f CPU\n", d / r, dc / rc }'
