#!/usr/bin/env python3
"""Compares a DaCapo stats directory exported by statstore with its original.

    python3 compare_dacapo.py ORIGINAL EXPORTED [ORIGINAL EXPORTED ...]

Loads every pickle of both with pickle.load (standard library only). Originals
may hold numpy.float64 scalars: small stand-ins for numpy.dtype and
numpy[._]core.multiarray.scalar decode them. The exported files must need no
stand-in at all: they are loaded with an unpickler that refuses every global.
For every run and document: the same keys (plus run_name), the iteration an int
equal to the original's, every loss, time and score a float bit-identical to
float() of the original (NaN equal to NaN), run_name the run's name.
Prints "ok N documents ORIGINAL" per pair, or exits non-zero naming the first
difference.
"""

import codecs
import math
import os
import pickle
import struct
import sys


class _DType:
    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.state = state


def _scalar(dtype, data):
    return struct.unpack("<d", data)[0]


class OriginalUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "numpy" and name == "dtype":
            return _DType
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "scalar":
            return _scalar
        if module == "_codecs" and name == "encode":  # protocol 2 pickles bytes this way
            return codecs.encode
        raise pickle.UnpicklingError("original: unexpected global %s.%s" % (module, name))


class ExportedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("exported file holds a global %s.%s: want plain Python values" % (module, name))


def load(path, cls):
    with open(path, "rb") as f:
        return cls(f).load()


CURRENT = [""]


def fail(msg):
    sys.exit("compare_dacapo: %s: %s" % (CURRENT[0], msg))


def bits(x):
    return struct.pack("<d", float(x))


def same_float(where, orig, new):
    if type(new) is not float:
        fail("%s: exported %r has type %s, want float" % (where, new, type(new).__name__))
    if math.isnan(float(orig)) and math.isnan(new):
        return
    if bits(orig) != bits(new):
        fail("%s: exported %r, original %r" % (where, new, orig))


def compare(where, run, orig, new):
    want = set(orig) | {"run_name"}
    if set(new) != want:
        fail("%s: keys %s, want %s" % (where, sorted(new), sorted(want)))
    if type(new["iteration"]) is not int or new["iteration"] != orig["iteration"]:
        fail("%s: iteration %r, want %r" % (where, new["iteration"], orig["iteration"]))
    if new["run_name"] != run:
        fail("%s: run_name %r, want %r" % (where, new["run_name"], run))
    for key in ("loss", "time"):
        if key in orig:
            same_float("%s %s" % (where, key), orig[key], new[key])
    if "scores" in orig:
        o, n = orig["scores"], new["scores"]
        if len(o) != len(n):
            fail("%s: %d datasets, want %d" % (where, len(n), len(o)))
        for d in range(len(o)):
            if len(o[d]) != len(n[d]):
                fail("%s: dataset %d: %d parameter sets, want %d" % (where, d, len(n[d]), len(o[d])))
            for p in range(len(o[d])):
                if len(o[d][p]) != len(n[d][p]):
                    fail("%s: [%d][%d]: %d criteria, want %d" % (where, d, p, len(n[d][p]), len(o[d][p])))
                for c in range(len(o[d][p])):
                    same_float("%s scores[%d][%d][%d]" % (where, d, p, c), o[d][p][c], n[d][p][c])


def main(original, exported):
    CURRENT[0] = original
    docs = 0
    for sub in ("training_stats", "validation_scores"):
        odir, ndir = os.path.join(original, sub), os.path.join(exported, sub)
        oruns = sorted(os.listdir(odir)) if os.path.isdir(odir) else []
        nruns = sorted(os.listdir(ndir)) if os.path.isdir(ndir) else []
        # An original file holding an empty list has nothing to export.
        oruns = [r for r in oruns if load(os.path.join(odir, r), OriginalUnpickler)]
        if oruns != nruns:
            fail("%s: runs %s, want %s" % (sub, nruns, oruns))
        for run in oruns:
            o = load(os.path.join(odir, run), OriginalUnpickler)
            n = load(os.path.join(ndir, run), ExportedUnpickler)
            if type(n) is not list or len(n) != len(o):
                fail("%s/%s: %d documents, want %d" % (sub, run, len(n), len(o)))
            for i, (od, nd) in enumerate(zip(o, n)):
                compare("%s/%s[%d]" % (sub, run, i), run, od, nd)
                docs += 1
    print("ok %d documents %s" % (docs, original))


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit(__doc__)
    for i in range(0, len(args), 2):
        main(args[i], args[i + 1])
