"""Writes cmd/statstore/testdata/spool/: a spool file made by the real client, and what it must store.

Run from python/: python3 testdata/make_spool_testdata.py. The client talks to
a port nobody listens on, so every call goes to the spool: a training
history (NaN, infinities, a negative NaN), its extension, a resume from an
earlier checkpoint (a whole, shorter history) and its extension, and
DaCapo-shaped validation lists (unsorted, one iteration twice). The Go test
(cmd/statstore/sync_test.go) replays the file with `statstore sync` and
compares the store with client.expected.json (floats as their bits).
"""

import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import statstore_client as sc  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "cmd", "statstore", "testdata", "spool")
NEG_NAN = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0]


def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def loss(i, resumed=False):
    special = {3: float("nan"), 4: float("inf"), 5: float("-inf"), 6: NEG_NAN, 7: -0.0}
    if i in special:
        return special[i]
    return (2.0 if resumed and i >= 120 else 1.0) / (i + 1)


def main():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    spool = tempfile.mkdtemp()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sc.SpoolWarning)
            store = sc.HttpStatsStore(url, spool_dir=spool, use_dacapo_classes=False, backoff=0.01, max_backoff=0.01)
            run = "train_run"
            stats = sc.TrainingStats([sc.TrainingIterationStats(i, loss(i), 0.25) for i in range(100)])
            store.store_training_stats(run, stats)
            store.flush()
            stats.iteration_stats.extend(sc.TrainingIterationStats(i, loss(i), 0.25) for i in range(100, 250))
            store.store_training_stats(run, stats)
            store.flush()
            resumed = sc.TrainingStats([sc.TrainingIterationStats(i, loss(i, True), 0.5) for i in range(150)])
            store.store_training_stats(run, resumed)
            store.flush()
            resumed.iteration_stats.extend(sc.TrainingIterationStats(i, loss(i, True), 0.5) for i in range(150, 300))
            store.store_training_stats(run, resumed)
            store.flush()

            es = sc.EvaluationScores(
                [
                    {"name": "f1", "higher_is_better": True, "bounds": [0, 1], "store_best": True},
                    {"name": "voi", "higher_is_better": False, "bounds": [0, float("nan")], "store_best": False},
                ]
            )
            v = sc.ValidationScores([sc.Parameters(0, "threshold_0.5", {"threshold": 0.5})], [sc.Dataset("crop_a")], es)

            def entry(it, x):
                return sc.ValidationIterationScores(it, [[[x, float("nan") if it == 0 else x / 2]]])

            v.scores = [entry(400, 0.4), entry(800, 0.8), entry(0, 0.1), entry(800, 0.85)]  # DaCapo's list after re-validating 800
            store.store_validation_iteration_scores("val_run", v)
            store.flush()
            v.scores.append(entry(1200, 0.9))
            store.store_validation_iteration_scores("val_run", v)
            store.close()
        files = [os.path.join(r, f) for r, _, fs in os.walk(spool) for f in fs if f.endswith(".spool")]
        assert len(files) == 1, files
        os.makedirs(OUT, exist_ok=True)
        shutil.copyfile(files[0], os.path.join(OUT, "client.spool"))
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        sock.close()
    expected = {
        "training": {
            "train_run": [[i, bits(loss(i, True)), bits(0.5)] for i in range(300)],
        },
        "validation": {
            "val_run": [[it, [bits(x) for x in [x, float("nan") if it == 0 else x / 2]]] for it, x in ((0, 0.1), (400, 0.4), (800, 0.85), (1200, 0.9))],
        },
    }
    with open(os.path.join(OUT, "client.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
