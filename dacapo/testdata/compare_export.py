#!/usr/bin/env python3
"""Checks an exported DaCapo directory against the one it came from.

    python3 compare_export.py ORIGINAL EXPORTED [ORIGINAL EXPORTED ...]

Loads every pickle of both with pickle.load (numpy stand-ins from make_pickles for
numpy-pickled originals) and checks that each exported file holds the documents
DaCapo writes for the original: the same runs, the same keys, iterations as int,
losses, times and scores as float with the original's value (bit-exact, NaN
included; an int in the original becomes the float DaCapo's float() gives), and
run_name the run's name. Exits non-zero naming the first difference.
"""

import math
import os
import pickle
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_pickles  # noqa: E402  (installs the numpy stand-ins)


def fail(msg):
    sys.exit("compare_export: " + msg)


def bits(x):
    if isinstance(x, make_pickles.Float64):
        x = x.value()
    return struct.pack("<d", float(x))


def same_float(where, orig, new):
    if type(new) is not float:
        fail("%s: exported %r has type %s, want float" % (where, new, type(new).__name__))
    if bits(orig) != bits(new) and not (math.isnan(new) and math.isnan(float(bits_value(orig)))):
        fail("%s: exported %r, original %r" % (where, new, orig))


def bits_value(x):
    return x.value() if isinstance(x, make_pickles.Float64) else x


def compare_doc(where, run, orig, new, float_keys):
    want_keys = set(orig) | {"run_name"}
    if set(new) != want_keys:
        fail("%s: keys %s, want %s" % (where, sorted(new), sorted(want_keys)))
    if type(new["iteration"]) is not int or new["iteration"] != orig["iteration"]:
        fail("%s: iteration %r, want int %r" % (where, new["iteration"], orig["iteration"]))
    if new["run_name"] != run or type(new["run_name"]) is not str:
        fail("%s: run_name %r, want %r" % (where, new["run_name"], run))
    for k in float_keys:
        if k == "scores":
            o, n = orig[k], new[k]
            if type(n) is not list or len(n) != len(o):
                fail("%s: scores has %r datasets, want %d" % (where, len(n), len(o)))
            for d, (od, nd) in enumerate(zip(o, n)):
                if type(nd) is not list or len(nd) != len(od):
                    fail("%s: dataset %d has %d parameter sets, want %d" % (where, d, len(nd), len(od)))
                for p, (op, np_) in enumerate(zip(od, nd)):
                    if type(np_) is not list or len(np_) != len(op):
                        fail("%s: dataset %d, parameter set %d: %d criteria, want %d" % (where, d, p, len(np_), len(op)))
                    for c, (oc, nc) in enumerate(zip(op, np_)):
                        same_float("%s scores[%d][%d][%d]" % (where, d, p, c), oc, nc)
        else:
            same_float("%s %s" % (where, k), orig[k], new[k])


def load(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    for i in range(0, len(args), 2):
        compare_dirs(args[i], args[i + 1])


def compare_dirs(orig_dir, new_dir):
    files = 0
    for sub, float_keys in (("training_stats", ("loss", "time")), ("validation_scores", ("scores",))):
        orig_runs = sorted(os.listdir(os.path.join(orig_dir, sub))) if os.path.isdir(os.path.join(orig_dir, sub)) else []
        new_runs = sorted(r for r in os.listdir(os.path.join(new_dir, sub)) if not r.startswith("."))
        if orig_runs != new_runs:
            fail("%s: runs %s, want %s" % (sub, new_runs, orig_runs))
        for run in orig_runs:
            orig, new = load(os.path.join(orig_dir, sub, run)), load(os.path.join(new_dir, sub, run))
            if type(new) is not list or len(new) != len(orig):
                fail("%s/%s: %d documents, want %d" % (sub, run, len(new), len(orig)))
            for i, (o, n) in enumerate(zip(orig, new)):
                if type(n) is not dict:
                    fail("%s/%s entry %d: %s, want dict" % (sub, run, i, type(n).__name__))
                compare_doc("%s/%s entry %d" % (sub, run, i), run, o, n, float_keys)
            files += 1
    print("compare_export: %d files of %s match" % (files, orig_dir))


if __name__ == "__main__":
    main()
