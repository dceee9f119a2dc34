#!/usr/bin/env bash
# DaCapo directory at real scale (issue 16): times `statstore runs` and
# `statstore import dacapo` on a directory of 20 runs (about 570 MB of
# pickles, 600,000 training iterations per run with numpy.float64 losses,
# 600 validations of 3 parameter sets x 21 criteria) side by side with
# python3's pickle.load of every pickle in it, each as its own process under
# /usr/bin/time -v: best wall time and best peak RSS of 3 runs.
# With BEFORE=/path/to/an/older/statstore it times that binary's runs and
# import too, in the same rounds.
# Usage: bench/dacapo_dir.sh [DIR]   (DIR is generated when missing; default
# /tmp/statstore-dacapo-dir). Needs python3, go and /usr/bin/time; numpy is
# used when installed, else stand-ins write numpy's bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/statstore-dacapo-dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/statstore" ./cmd/statstore

# The stand-ins (as in `statstore bench dacapo`): without numpy, Python
# classes write the bytes numpy writes, and C built-ins stand in for
# numpy's C reconstructors when loading, so Python's time is not inflated.
cat > "$work/numpy_standin.py" <<'PY'
import struct, sys, types
try:
    import numpy
    KIND = numpy.__version__
    def np64(x): return numpy.float64(x)
    def for_loading(): pass
except ImportError:
    KIND = "stand-in"
    class dtype:
        def __init__(self, *args): self.args, self.state = args, None
        def __reduce__(self): return (dtype, self.args, self.state)
        def __setstate__(self, state): self.state = state
    class Float64:
        __slots__ = ("data",)
        def __init__(self, data): self.data = data
        def __reduce__(self): return (scalar, (F8, self.data))
    def scalar(dt, data): return Float64(data)
    np = types.ModuleType("numpy"); np.dtype = dtype
    dtype.__module__, dtype.__qualname__ = "numpy", "dtype"
    mod = types.ModuleType("numpy.core.multiarray"); mod.scalar = scalar
    scalar.__module__, scalar.__qualname__ = mod.__name__, "scalar"
    sys.modules.update({"numpy": np, "numpy.core": types.ModuleType("numpy.core"), "numpy.core.multiarray": mod})
    F8 = dtype("f8", False, True); F8.state = (3, "<", None, None, None, -1, -1, 0)
    def np64(x): return Float64(struct.pack("<d", x))
    def for_loading():
        class cdtype:
            def __init__(self, *args): pass
            def __setstate__(self, state): pass
        np.dtype, mod.scalar = cdtype, slice
PY

if [ ! -d "$dir/training_stats" ]; then
	echo "generating $dir" >&2
	PYTHONPATH="$work" python3 - "$dir" 20 600000 1000 <<'PY'
import os, pickle, sys
from numpy_standin import np64
out, runs, n, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for sub in ("training_stats", "validation_scores"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
for r in range(runs):
    run = "run_%02d" % r
    docs = [{"iteration": i, "loss": np64(1.0 / (i + 1 + r)), "time": 0.05 + (i % 17) / 1000, "run_name": run} for i in range(n)]
    with open(os.path.join(out, "training_stats", run), "wb") as f:
        pickle.dump(docs, f, protocol=4)
    del docs
    val = [{"iteration": it, "scores": [[[((it + c + p) % 97) / 97 for c in range(21)] for p in range(3)]], "run_name": run}
           for it in range(every, n + 1, every)]
    with open(os.path.join(out, "validation_scores", run), "wb") as f:
        pickle.dump(val, f, protocol=4)
PY
fi

cat > "$work/load_all.py" <<'PY'
import os, pickle, sys
from numpy_standin import for_loading
for_loading()
d = sys.argv[1]
for sub in ("training_stats", "validation_scores"):
    for name in sorted(os.listdir(os.path.join(d, sub))):
        with open(os.path.join(d, sub, name), "rb") as f:
            docs = pickle.load(f)
        del docs
PY

# once NAME CMD...: one run under /usr/bin/time -v; keeps the best wall
# seconds and the best peak RSS (KiB) of NAME. The commands alternate, round
# by round, so that a change in the machine's load hits each alike.
declare -A best_s best_kb
once() {
	local name=$1
	shift
	rm -rf "$work/imported"
	/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
	local wall kb
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
	if [ -z "${best_s[$name]:-}" ] || awk "BEGIN{exit !($wall < ${best_s[$name]})}"; then best_s[$name]=$wall; fi
	if [ -z "${best_kb[$name]:-}" ] || [ "$kb" -lt "${best_kb[$name]}" ]; then best_kb[$name]=$kb; fi
}

kind=$(PYTHONPATH="$work" python3 -c 'from numpy_standin import KIND; print(KIND)')
bytes=$(du -sb "$dir/training_stats" "$dir/validation_scores" | awk '{s+=$1} END {print s}')
echo "directory: $dir, $(ls "$dir/training_stats" | wc -l) runs, $bytes bytes of pickles; numpy: $kind; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
names=("python3 pickle.load (every pickle)" "statstore runs" "statstore import dacapo")
if [ -n "${BEFORE:-}" ]; then names+=("before: statstore runs" "before: statstore import dacapo"); fi
for round in 1 2 3; do
	once "${names[0]}" env PYTHONPATH="$work" python3 "$work/load_all.py" "$dir"
	once "${names[1]}" "$work/statstore" --store "$dir" runs
	once "${names[2]}" "$work/statstore" --store "$work/imported" --log-level error import dacapo "$dir"
	if [ -n "${BEFORE:-}" ]; then
		once "${names[3]}" "$BEFORE" --store "$dir" runs
		once "${names[4]}" "$BEFORE" --store "$work/imported" --log-level error import dacapo "$dir"
	fi
	echo "round $round done, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
printf 'command\tbest_s\tpeak_rss_mib\tpython_s/command_s\n'
for name in "${names[@]}"; do
	ratio=$(awk "BEGIN{printf \"%.1f\", ${best_s[${names[0]}]} / ${best_s[$name]}}")
	printf '%s\t%s\t%s\t%s\n' "$name" "${best_s[$name]}" "$((best_kb[$name] / 1024))" "$ratio"
done
