#!/usr/bin/env bash
# Runs every native fuzz target in the module for a short time each.
# Usage: scripts/fuzz.sh [duration, default 15s]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-15s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for fz in $targets; do
		echo "fuzz $pkg $fz ($dur)"
		go test -run='^$' -fuzz="^${fz}\$" -fuzztime="$dur" "$pkg"
	done
done
