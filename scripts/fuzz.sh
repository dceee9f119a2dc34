#!/usr/bin/env bash
# Runs every native fuzz target in the module for a short time each.
# Usage: scripts/fuzz.sh [duration, default 15s]
#
# Go's fuzzing engine can end a run with "context deadline exceeded" when
# -fuzztime runs out while a worker is still minimizing a new input (no
# failing input is written then: it is not a finding). Such a run is tried
# again once; any run that writes a failing input fails at once.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-15s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for fz in $targets; do
		for try in 1 2; do
			echo "fuzz $pkg $fz ($dur)"
			t0=$SECONDS
			# timeout: a target that hangs (compiling included) fails
			# here, naming itself, instead of stalling CI.
			if timeout 600 go test -run='^$' -fuzz="^${fz}\$" -fuzztime="$dur" -fuzzminimizetime=10s "$pkg" >"$log" 2>&1; then
				# The engine's progress lines are left out of a pass.
				grep -v '^fuzz: elapsed' "$log" || true
				echo "fuzz $pkg $fz: passed in $((SECONDS - t0))s"
				break
			fi
			cat "$log"
			if grep -q "Failing input written" "$log" || ! grep -q "context deadline exceeded" "$log" || [ "$try" = 2 ]; then
				exit 1
			fi
			echo "fuzz $pkg $fz: the engine's deadline ran out while minimizing (no failing input); trying again"
		done
	done
done
