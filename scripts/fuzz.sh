#!/usr/bin/env bash
# Runs every native fuzz target in the module for a short time each.
# Usage: scripts/fuzz.sh [duration, default 15s]
#
# Go's fuzzing engine can end a run with "context deadline exceeded" when
# -fuzztime runs out while a worker is still minimizing a new input, and
# it can stall, reporting 0 execs/sec until killed (golang/go#51484,
# #56238: seen here once in CI, in a target that passed alone at once).
# Neither writes a failing input: it is not a finding. Such a run is tried
# again once; any run that writes a failing input fails at once, and a
# target that really hangs hangs again.
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
			# (The slowest target passes in about 30 s on a loaded 2-core
			# machine, compiling included.)
			rc=0
			timeout -k 30 300 go test -run='^$' -fuzz="^${fz}\$" -fuzztime="$dur" -fuzzminimizetime=10s "$pkg" >"$log" 2>&1 || rc=$?
			if [ "$rc" = 0 ]; then
				# The engine's progress lines are left out of a pass.
				grep -v '^fuzz: elapsed' "$log" || true
				echo "fuzz $pkg $fz: passed in $((SECONDS - t0))s"
				break
			fi
			# Of a failure, the last progress lines and everything else.
			grep -v '^fuzz: elapsed' "$log" || true
			grep '^fuzz: elapsed' "$log" | tail -5 || true
			if grep -q "Failing input written" "$log" || [ "$try" = 2 ]; then
				exit 1
			fi
			if [ "$rc" = 124 ]; then
				echo "fuzz $pkg $fz: timed out after $((SECONDS - t0))s without a failing input (the engine stalled?); trying again"
			elif grep -q "context deadline exceeded" "$log"; then
				echo "fuzz $pkg $fz: the engine's deadline ran out while minimizing (no failing input); trying again"
			else
				exit 1
			fi
		done
	done
done
