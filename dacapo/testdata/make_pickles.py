#!/usr/bin/env python3
"""Writes the DaCapo-style test data of package dacapo (standard library only).

    python3 make_pickles.py [--check-numpy-bytes SAMPLE_DIR]

Writes, next to this script:

  proto0/ ... proto5/               DaCapo stats directories (training_stats/<run>,
                                    validation_scores/<run>) pickled with that protocol,
                                    holding NaN losses, ints where floats are expected,
                                    big ints (LONG1) and numpy.float64 scalars pickled
                                    as numpy 1 (numpy.core.multiarray.scalar) and
                                    numpy 2 (numpy._core.multiarray.scalar) write them;
  expected.json                     every document of those directories, floats as
                                    float.hex() (bit-exact, "nan" for NaN);
  hostile/                          pickles a reader must reject, and hostile.json
                                    naming the part of the error each must produce.

numpy is not needed: stand-in modules named numpy, numpy.core.multiarray and
numpy._core.multiarray are put into sys.modules, so pickle writes the same GLOBALs,
REDUCEs and BUILD numpy does. With --check-numpy-bytes DIR (a directory of
numpy-pickled DaCapo files, e.g. shared/dacapo/sample-stats-numpy) the script loads
each file with the stand-ins, pickles it again and checks the bytes are identical.
"""

import json
import math
import os
import pickle
import shutil
import struct
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


# --- numpy stand-ins -------------------------------------------------------------

class dtype:
    """Stand-in for numpy.dtype: pickles as numpy.dtype(*args) with BUILD state."""

    def __init__(self, *args):
        self.args = args
        self.state = None

    def __reduce__(self):
        return (dtype, self.args, self.state)

    def __setstate__(self, state):
        self.state = state


class Float64:
    """Stand-in for a numpy.float64 scalar of the given module's scalar()."""

    def __init__(self, func, dt, data):
        self.func, self.dt, self.data = func, dt, data

    def __reduce__(self):
        return (self.func, (self.dt, self.data))

    def value(self):
        return struct.unpack("<d", self.data)[0]


def _install_numpy():
    numpy = types.ModuleType("numpy")
    numpy.dtype = dtype
    dtype.__module__, dtype.__qualname__ = "numpy", "dtype"
    sys.modules["numpy"] = numpy
    scalars = {}
    for pkg in ("numpy.core", "numpy._core"):
        mod = types.ModuleType(pkg + ".multiarray")

        def scalar(dt, data, _pkg=pkg):
            return Float64(scalars[_pkg], dt, data)

        scalar.__module__, scalar.__qualname__, scalar.__name__ = mod.__name__, "scalar", "scalar"
        mod.scalar = scalar
        scalars[pkg] = scalar
        sys.modules[pkg] = types.ModuleType(pkg)
        sys.modules[mod.__name__] = mod
    return scalars


SCALARS = _install_numpy()
F8 = dtype("f8", False, True)
F8.state = (3, "<", None, None, None, -1, -1, 0)


def np64(x, pkg="numpy.core"):
    """A numpy.float64 stand-in holding x, pickled by the given numpy module."""
    return Float64(SCALARS[pkg], F8, struct.pack("<d", x))


# --- DaCapo-style directories ------------------------------------------------------

NAN = float("nan")


def training(run, entries):
    return [{"iteration": it, "loss": loss, "time": t, "run_name": run} for it, loss, t in entries]


def validation(run, entries):
    return [{"iteration": it, "scores": scores, "run_name": run} for it, scores in entries]


def runs():
    """The runs of every directory: name -> (training docs, validation docs)."""
    plain = "plain_run"
    v1, v2 = "numpy_v1_run", "numpy2_ünet"  # a non-ASCII run name on purpose
    return {
        plain: (
            training(plain, [
                (0, 1.25, 0.5),
                (1, NAN, 0.25),                # diverged step: NaN loss
                (2, 2, 0),                     # ints where floats are expected
                (10, -0.0, float("inf")),      # gap in iterations, -0.0, inf
                (300, 2 ** 70, 1e-300),        # big int loss (LONG1)
                (70000, 0.125, 3.5),           # BININT iteration
                (2 ** 33, 0.0625, 1.5),        # big int iteration (LONG1)
            ]),
            validation(plain, [
                (0, [[[0.1, 0.2, NAN], [1, 0.4, 0.5]], [[0.6, 0.7, 0.8], [0.9, 1.0, 0]]]),
                (1000, [[[0.15, 0.25, 0.35], [0.45, NAN, 0.65]], [[0.75, 0.85, 0.95], [1, 2, 3]]]),
                (2 ** 33, [[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], [[0.5, 0.5, 0.5], [0.5, 0.5, 2 ** 65]]]),
            ]),
        ),
        v1: (
            training(v1, [(i, 1.0 / (i + 1), 0.1 * i) for i in range(5)]),
            validation(v1, [
                (it, [[[np64(0.1 * it + 0.01 * p + 0.001 * c) for c in range(4)] for p in range(3)]])
                for it in (100, 200)
            ] + [(300, [[[np64(NAN), np64(0.5), 0.25, 1] for _ in range(3)]])]),
        ),
        v2: (
            [],
            validation(v2, [
                (it, [[[np64(0.3 * it + c, "numpy._core") for c in range(2)]] for _ in range(2)])
                for it in (5, 10)
            ]),
        ),
    }


def hexf(x):
    """Bit-exact text of a float (or an int, as float() converts it)."""
    if isinstance(x, Float64):
        x = x.value()
    return float(x).hex()


def expected_run(train, val):
    return {
        "training": [[d["iteration"], hexf(d["loss"]), hexf(d["time"])] for d in train],
        "validation": [[d["iteration"], [[[hexf(c) for c in p] for p in ds] for ds in d["scores"]]] for d in val],
    }


def write_dirs():
    expected = {}
    for proto in (0, 1, 2, 3, 4, 5):
        name = "proto%d" % proto
        root = os.path.join(HERE, name)
        shutil.rmtree(root, ignore_errors=True)
        expected[name] = {"protocol": proto, "runs": {}}
        for run, (train, val) in runs().items():
            for sub, docs in (("training_stats", train), ("validation_scores", val)):
                os.makedirs(os.path.join(root, sub), exist_ok=True)
                if docs:
                    with open(os.path.join(root, sub, run), "wb") as f:
                        pickle.dump(docs, f, protocol=proto)
            expected[name]["runs"][run] = expected_run(train, val)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


# --- hostile pickles ---------------------------------------------------------------

class Evil:
    """Pickles as a call of an arbitrary global; pickling never calls it."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def good_training(proto=4):
    return pickle.dumps(training("r", [(i, 0.5, 0.25) for i in range(20)]), protocol=proto)


def hostile():
    """name -> (bytes, substring of the error the reader must give).

    Files named *_in_scores are validation files; the others are training files.
    """
    good = good_training()
    doc = {"iteration": 1, "loss": 0.5, "time": 0.25, "run_name": "r"}
    numpy_i8 = Float64(SCALARS["numpy.core"], dtype("i8", False, True), struct.pack("<q", 7))
    numpy_i8.dt.state = (3, "<", None, None, None, -1, -1, 0)
    big_endian = dtype("f8", False, True)
    big_endian.state = (3, ">", None, None, None, -1, -1, 0)
    unbuilt = dtype("f8", False, True)
    return {
        "os_system_proto4": (pickle.dumps([Evil(os.system, "echo pwned")], protocol=4), "forbidden global \"posix.system\""),
        "os_system_proto2": (pickle.dumps(Evil(os.system, "echo pwned"), protocol=2), "forbidden global \"posix.system\""),
        "builtins_eval": (pickle.dumps([dict(doc, loss=Evil(eval, "1+1"))], protocol=4), "forbidden global \"builtins.eval\""),
        "subprocess_in_scores": (pickle.dumps([{"iteration": 0, "scores": [[[Evil(shutil.rmtree, "/")]]]}], protocol=5), "forbidden global \"shutil.rmtree\""),
        "deep_marks": (b"\x80\x04" + b"(" * 1000 + b"l" * 1000 + b".", "nesting deeper than"),
        "deep_lists": (b"\x80\x04" + b"]" * 20000 + b"a" * 19999 + b".", "entry 0 has type list, want dict"),
        "huge_binunicode": (b"\x80\x04]X\xff\xff\xff\xffabc", "huge length prefix"),
        "huge_binbytes": (b"\x80\x03]B\xff\xff\xff\x7fabc", "huge length prefix"),
        "huge_frame": (b"\x80\x04\x95" + struct.pack("<Q", 2 ** 62) + b"]\x94.", "frame of"),
        "binbytes8": (b"\x80\x04\x8e" + struct.pack("<Q", 2 ** 63) + b"x.", "BINBYTES8"),
        "long4": (b"\x80\x04\x8b" + struct.pack("<I", 2 ** 31) + b"x.", "LONG4"),
        "truncated": (good[: len(good) // 2], "truncated"),
        "truncated_after_proto": (b"\x80\x04", "STOP"),
        "empty": (b"", "empty file"),
        "os_system_proto0": (pickle.dumps([Evil(os.system, "echo pwned")], protocol=0), "forbidden global \"posix.system\""),
        "os_system_proto1": (pickle.dumps([Evil(os.system, "echo pwned")], protocol=1), "forbidden global \"posix.system\""),
        "python2_string": (b"(lp0\n(dp1\nS'iteration'\np2\nI0\nsa.", "STRING"),
        "float_text_garbage": (b"(lp0\n(dp1\nViteration\np2\nI0\nsVloss\np3\nF0.5x\ns.", "FLOAT argument"),
        "unicode_unterminated": (b"(lp0\n(dp1\nViteration", "does not end with a newline"),
        "not_a_pickle": (b"hello, world\n", "not a pickle"),
        "protocol9": (b"\x80\x09N.", "pickle protocol 9"),
        "trailing_garbage": (good + b"garbage", "after the STOP opcode"),
        "top_dict": (pickle.dumps(doc, protocol=4), "top-level value has type dict, want a list"),
        "top_int": (pickle.dumps(42, protocol=4), "top-level value has type int, want a list"),
        "list_of_lists": (pickle.dumps([[1, 2]], protocol=4), "entry 0 has type list, want dict"),
        "int_keys": (pickle.dumps([{1: 2}], protocol=4), "key of type int, want str"),
        "missing_loss": (pickle.dumps([{"iteration": 0, "time": 0.5}], protocol=4), "missing key \"loss\""),
        "extra_key": (pickle.dumps([dict(doc, extra=1)], protocol=4), "unexpected key \"extra\""),
        "string_loss": (pickle.dumps([dict(doc, loss="0.5")], protocol=4), "loss: has type str, want float"),
        "bool_iteration": (pickle.dumps([dict(doc, iteration=True)], protocol=4), "iteration: has type bool, want int"),
        "negative_iteration": (pickle.dumps([dict(doc, iteration=-3)], protocol=4), "want an int >= 0"),
        "huge_iteration": (pickle.dumps([dict(doc, iteration=2 ** 80)], protocol=4), "too large"),
        "out_of_order": (pickle.dumps(training("r", [(5, 0.5, 0.1), (3, 0.5, 0.1)]), protocol=4), "iteration out of order"),
        "numpy_int64": (pickle.dumps([dict(doc, loss=numpy_i8)], protocol=4), "want numpy.dtype('f8', False, True)"),
        "numpy_big_endian": (pickle.dumps([dict(doc, loss=Float64(SCALARS["numpy.core"], big_endian, b"\0" * 8))], protocol=4), "little-endian float64"),
        "numpy_unbuilt_dtype": (pickle.dumps([dict(doc, loss=Float64(SCALARS["numpy.core"], unbuilt, b"\0" * 8))], protocol=4), "want numpy.dtype('f8') with its state"),
        "numpy_short_data": (pickle.dumps([dict(doc, loss=Float64(SCALARS["numpy.core"], F8, b"\0" * 4))], protocol=4), "want 8 bytes"),
        "memo_bomb_in_scores": (memo_bomb(), "billion laughs"),
        "self_list_in_scores": (self_list(), "a list holding itself"),
        "build_on_list": (b"\x80\x04](Nt\x94b.", "BUILD of a value other than numpy.dtype"),
        "stack_underflow": (b"\x80\x04a.", "stack underflow"),
        "memo_missing": (b"\x80\x04h\x07.", "never stored"),
        "inst_opcode": (b"\x80\x02(i__main__\nX\n.", "INST"),
    }


def memo_bomb():
    """Validation scores of 200 × 200 × 200 shared lists in about 1 KB."""
    inner = [0.5] * 200
    mid = [inner] * 200
    scores = [mid] * 200
    return pickle.dumps([{"iteration": 0, "scores": scores, "run_name": "r"}], protocol=4)


def self_list():
    """Validation scores holding themselves: [[x]] where x = [x]."""
    x = []
    x.append(x)
    return pickle.dumps([{"iteration": 0, "scores": [[x]], "run_name": "r"}], protocol=4)


def shared():
    """Valid validation documents sharing lists, as Python writes an object pickled twice
    (memo references): the same scores list in two entries, and one parameter set's
    criterion scores reused within an entry. name -> documents."""
    p = [0.25, 0.5, NAN]
    scores = [[p, [0.75, 1, 2]], [p, p]]
    docs = [
        {"iteration": 100, "scores": scores, "run_name": "shared_run"},
        {"iteration": 200, "scores": scores, "run_name": "shared_run"},
        {"iteration": 300, "scores": [[p, p], [[1.5, 2.5, 3.5], p]], "run_name": "shared_run"},
    ]
    return docs


def write_shared():
    """shared/proto<N>: a validation file sharing lists, for every protocol, and
    shared/expected.json."""
    root = os.path.join(HERE, "shared")
    shutil.rmtree(root, ignore_errors=True)
    docs = shared()
    for proto in (0, 1, 2, 3, 4, 5):
        d = os.path.join(root, "proto%d" % proto, "validation_scores")
        os.makedirs(d)
        with open(os.path.join(d, "shared_run"), "wb") as f:
            pickle.dump(docs, f, protocol=proto)
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected_run([], docs)["validation"], f, indent=1)
        f.write("\n")


def write_hostile():
    root = os.path.join(HERE, "hostile")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    want = {}
    for name, (data, err) in sorted(hostile().items()):
        with open(os.path.join(root, name + ".pickle"), "wb") as f:
            f.write(data)
        kind = "validation" if name.endswith("_in_scores") else "training"
        want[name + ".pickle"] = {"kind": kind, "error": err}
    with open(os.path.join(HERE, "hostile.json"), "w") as f:
        json.dump(want, f, indent=1, sort_keys=True)
        f.write("\n")


# --- checking the stand-ins against numpy's bytes -------------------------------------

def check_numpy_bytes(sample):
    checked = 0
    for sub in ("training_stats", "validation_scores"):
        for run in sorted(os.listdir(os.path.join(sample, sub))):
            path = os.path.join(sample, sub, run)
            with open(path, "rb") as f:
                data = f.read()
            again = pickle.dumps(pickle.loads(data), protocol=data[1])
            if again != data:
                sys.exit("stand-ins do not reproduce numpy's bytes for %s" % path)
            checked += 1
    print("stand-ins reproduce numpy's bytes for %d files of %s" % (checked, sample))


def main():
    args = sys.argv[1:]
    if args[:1] == ["--check-numpy-bytes"] and len(args) == 2:
        check_numpy_bytes(args[1])
        return
    if args:
        sys.exit(__doc__)
    write_dirs()
    write_hostile()
    write_shared()


if __name__ == "__main__":
    main()
