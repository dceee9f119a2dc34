#!/usr/bin/env bash
# bench/run.sh: statstore against DaCapo's algorithm and the disk's limit.
#
# Runs, in one go and on one disk (a temporary directory), the train and
# validation workloads of "statstore bench" at each size in $SIZES with a
# checkpoint every $EVERY iterations, the DaCapo baseline
# (bench/dacapo_baseline.py, up to $DACAPO_MAX iterations: it is quadratic)
# and the physical limit (bench/limit; statstore and the limit $REPEATS
# times each, alternating), then regenerates the generated
# section of docs/benchmarks.md (bench/report.py). Other sections of that
# file are kept.
#
# It also runs "statstore bench serve" (the server workload of issue 13:
# one-run ingest, full reads, 32 concurrent writers) on a statstore server
# and, given --mlflow URL (or MLFLOW=URL), on that MLflow-compatible server
# (FastTrackML), for the server rows of the goals table; without a URL
# those rows say "not measured". SERVE=0 skips the server workload.
#
# Usage: bench/run.sh                       # the full run (a few minutes)
#        SIZES="10000 100000" bench/run.sh  # a quicker one
#        SAVE_RESULTS=r.jsonl bench/run.sh  # also keep the raw JSON lines
#        bench/run.sh --mlflow http://127.0.0.1:5000  # vs FastTrackML
# It also runs "statstore bench buckets" at each size in $BUCKET_SIZES
# (default 1e4 and 1e7; empty skips it) for the plot row: 1,000 M4 buckets
# of the whole history, cold and warm, the largest size against the
# smallest. The 1e7 store takes about 270 MB of $BENCH_TMP for a few seconds.
#
# Environment: MLFLOW, SERVE, SIZES, BUCKET_SIZES, EVERY, DACAPO_MAX, REPEATS (runs of statstore and
# the limit per size, alternating; default 3), BENCH_TMP (where stores are
# written; default $TMPDIR or /tmp), OUT (default docs/benchmarks.md),
# SAVE_RESULTS (a file to copy the measurements to, one JSON line each,
# for bench/report.py --results).
set -euo pipefail

MLFLOW=${MLFLOW:-}
while [ $# -gt 0 ]; do
	case $1 in
	--mlflow) MLFLOW=${2:?--mlflow needs a URL}; shift 2 ;;
	--mlflow=*) MLFLOW=${1#--mlflow=}; shift ;;
	*) echo "bench/run.sh: unknown argument $1 (want --mlflow URL)" >&2; exit 2 ;;
	esac
done
SERVE=${SERVE:-1}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"10000 100000 300000 1000000"}
BUCKET_SIZES=${BUCKET_SIZES-"10000 10000000"}
EVERY=${EVERY:-1000}
DACAPO_MAX=${DACAPO_MAX:-300000}
REPEATS=${REPEATS:-3}
OUT=${OUT:-$ROOT/docs/benchmarks.md}
PYTHON=${PYTHON:-python3}

WORK=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/statstore-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.jsonl
START=$(date +%s)
STARTED=$(date -u '+%Y-%m-%d %H:%M')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

echo "building statstore and bench/limit" >&2
(cd "$ROOT" && go build -o "$WORK/bin/statstore" ./cmd/statstore && go build -o "$WORK/bin/limit" ./bench/limit)

n=0
# measure IMPL CMD...: runs CMD with --dir on a new store directory and
# records its JSON line, tagged with IMPL, in $RESULTS.
measure() {
	local impl=$1 dir line
	shift
	n=$((n + 1))
	dir=$WORK/store-$n
	line=$("$@" --dir "$dir")
	jq -c --arg impl "$impl" '{impl: $impl} + .' <<<"$line" >>"$RESULTS"
	printf '%-10s %s\n' "$impl" "$line" >&2
	rm -rf "$dir"
}

for size in $SIZES; do
	cps=$((size / EVERY))
	# statstore and the limit alternate, REPEATS times: the report keeps
	# the fastest of each time, so that a hiccup of the shared machine
	# (which only ever adds time) weighs on neither.
	for _ in $(seq "$REPEATS"); do
		measure limit "$WORK/bin/limit" train --iterations "$size" --every "$EVERY"
		measure statstore "$WORK/bin/statstore" bench train --iterations "$size" --every "$EVERY"
		measure limit "$WORK/bin/limit" validation --checkpoints "$cps" --every "$EVERY"
		measure statstore "$WORK/bin/statstore" bench validation --checkpoints "$cps" --every "$EVERY"
	done
	if [ "$size" -le "$DACAPO_MAX" ]; then
		measure dacapo "$PYTHON" "$ROOT/bench/dacapo_baseline.py" train --iterations "$size" --every "$EVERY"
		measure dacapo "$PYTHON" "$ROOT/bench/dacapo_baseline.py" validation --checkpoints "$cps" --every "$EVERY"
	fi
done

# The plot goal of issue 13: 1,000 M4 buckets of the whole history, cold
# and warm, at the largest size within 2× their cost at the smallest.
for size in $BUCKET_SIZES; do
	measure statstore "$WORK/bin/statstore" bench buckets --iterations "$size" --every "$EVERY"
done

if [ "$SERVE" != 0 ]; then
	measure serve "$WORK/bin/statstore" bench serve
	if [ -n "$MLFLOW" ]; then
		measure fml "$WORK/bin/statstore" bench serve --mlflow "$MLFLOW"
	fi
fi

if [ -n "${SAVE_RESULTS:-}" ]; then
	cp "$RESULTS" "$SAVE_RESULTS"
fi
"$PYTHON" "$ROOT/bench/report.py" --results "$RESULTS" --out "$OUT" --store-dir "$WORK" \
	--started "$STARTED" --seconds $(($(date +%s) - START)) --load-start "$LOAD_START" --go-version "$(go version)" \
	--command "${0#"$ROOT"/} (SIZES=\"$SIZES\" BUCKET_SIZES=\"$BUCKET_SIZES\" EVERY=$EVERY DACAPO_MAX=$DACAPO_MAX REPEATS=$REPEATS)"
echo "wrote $OUT in $(($(date +%s) - START)) s" >&2
