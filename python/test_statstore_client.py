"""Tests of statstore_client against the real server (python3 -m unittest).

The statstore binary is $STATSTORE_BIN, or built with `go build` from this
repository into a temporary directory. Each test class starts
`statstore --store <temp dir> serve --addr 127.0.0.1:0` and reads the
address it prints.
"""

import json
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
import warnings
import socket
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata"))

import spool_data  # noqa: E402
import statstore_client as sc  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 120  # seconds to wait for the server's address (a guard, not a bound)

_binary = None
_build_dir = None


def setUpModule():
    global _binary, _build_dir
    _binary = os.environ.get("STATSTORE_BIN")
    if _binary:
        return
    _build_dir = tempfile.mkdtemp(prefix="statstore-bin-")
    _binary = os.path.join(_build_dir, "statstore")
    subprocess.run(["go", "build", "-o", _binary, "./cmd/statstore"], cwd=REPO, check=True)


def tearDownModule():
    if _build_dir:
        shutil.rmtree(_build_dir, ignore_errors=True)


class Server:
    """`statstore serve` on 127.0.0.1 over a temporary store (or store_dir), on port (0: any free port)."""

    def __init__(self, *extra_args, store_dir=None, port=0):
        self.extra_args = extra_args
        self.dir = store_dir or tempfile.mkdtemp(prefix="statstore-store-")
        args = [_binary, "--store", os.path.join(self.dir, "stats"), "serve", "--addr", "127.0.0.1:%d" % port]
        self.proc = subprocess.Popen(
            args + list(extra_args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines = queue.Queue()

        def read():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        self.url = None
        while self.url is None:
            line = lines.get(timeout=START_TIMEOUT)
            if line is None:
                raise RuntimeError("statstore serve exited: %s" % self.proc.stderr.read())
            if "dashboard:" in line:
                self.url = line.split("dashboard:", 1)[1].strip().rstrip("/")

    def metric(self, name):
        with urllib.request.urlopen(self.url + "/metrics") as resp:
            for line in resp.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise KeyError(name)

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])

    def restart(self):
        """Stops the server and starts it again on the same port over the same store."""
        port = self.port
        self.stop(keep=True)
        return Server(*self.extra_args, store_dir=self.dir, port=port)

    def stop(self, keep=False):
        """Stops the server with SIGINT, as Ctrl+C does, and returns its exit status."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.stdout.close()
            self.proc.stderr.close()
            if not keep:
                shutil.rmtree(self.dir, ignore_errors=True)
        return code


class DelayProxy:
    """A TCP proxy in front of a server that holds every connection `delay` seconds before forwarding it.

    urllib opens one connection per request, so each request waits `delay`
    seconds: a slow server. A client that gives up meanwhile still has its
    request forwarded (the server applies it, the client never learns): the
    unknown outcome a replay must be idempotent under. `delay` may be changed
    while it runs.
    """

    def __init__(self, target_port, delay):
        self.target_port, self.delay = target_port, delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, self.delay), daemon=True).start()

    def _serve(self, conn, delay):
        time.sleep(delay)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            conn.close()
            return

        def pipe(src, dst):
            try:
                while True:
                    b = src.recv(65536)
                    if not b:
                        break
                    dst.sendall(b)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
        t.start()
        pipe(conn, upstream)
        t.join()
        conn.close()
        upstream.close()

    def close(self):
        self.sock.close()


# --- Stand-ins for DaCapo's classes (duck typing: only the attributes DaCapo has).


class FakeFloat64:
    """A numpy.float64-like scalar: converts with float() only."""

    def __init__(self, v):
        self.v = v

    def __float__(self):
        return float(self.v)


class DaCapoTrainingIterationStats:
    def __init__(self, iteration, loss, time):
        self.iteration, self.loss, self.time = iteration, loss, time


class DaCapoTrainingStats:
    def __init__(self, iteration_stats=None):
        self.iteration_stats = iteration_stats or []


class DaCapoValidationIterationScores:
    def __init__(self, iteration, scores):
        self.iteration, self.scores = iteration, scores


class DaCapoDataset:
    def __init__(self, name):
        self.name = name


try:
    import attr
except ImportError:  # attrs is DaCapo's dependency; without it, classes that look the same to the client
    attr = None


def _dacapo_parameters_class(name, fields, str_fn=None):
    """A class shaped like DaCapo's PostProcessorParameters subclasses.

    As in DaCapo: an attrs class (frozen) with ``id`` first, its own fields
    after, and ``parameter_names`` saying only ``["id"]`` (DaCapo's base
    class defines it; no subclass overrides it). Without attrs, the same
    class with the ``__attrs_attrs__`` attrs would give it.
    """
    ns = {"parameter_names": property(lambda self: ["id"])}
    if str_fn is not None:
        ns["__str__"] = str_fn
    if attr is not None:
        ns["id"] = attr.ib()
        for f, default in fields:
            ns[f] = attr.ib(default=default)
        return attr.s(frozen=True)(type(name, (), ns))
    names = ["id"] + [f for f, _ in fields]
    defaults = dict(fields)

    def __init__(self, id, *args, **kwargs):
        self.id = id
        for f, v in zip(names[1:], args):
            setattr(self, f, v)
        for f in names[1 + len(args):]:
            setattr(self, f, kwargs.get(f, defaults[f]))

    ns["__init__"] = __init__
    ns["__attrs_attrs__"] = tuple(types.SimpleNamespace(name=n) for n in names)
    if str_fn is None:
        ns["__repr__"] = lambda self: "%s(%s)" % (name, ", ".join("%s=%r" % (n, getattr(self, n)) for n in names))
    return type(name, (), ns)


# DaCapo's threshold parameters: str() is "threshold_<value>".
ThresholdPostProcessorParameters = _dacapo_parameters_class(
    "ThresholdPostProcessorParameters", [("threshold", 0.0)], lambda self: "threshold_%s" % self.threshold
)
# DaCapo's watershed parameters: no __str__, so str() is attrs' long repr.
WatershedPostProcessorParameters = _dacapo_parameters_class(
    "WatershedPostProcessorParameters", [("bias", 0.5), ("context", (32, 32, 32))]
)


# DaCapo's BinarySegmentationEvaluationScores: name, higher is better, bounds, store_best.
BINARY = [
    ("dice", True, (0, 1), False),
    ("jaccard", True, (0, 1), False),
    ("hausdorff", False, (0, float("nan")), False),
    ("false_negative_rate", False, (0, 1), False),
    ("false_negative_rate_with_tolerance", False, (0, 1), False),
    ("false_positive_rate", False, (0, 1), False),
    ("false_discovery_rate", False, (0, 1), False),
    ("false_positive_rate_with_tolerance", False, (0, 1), False),
    ("voi", False, (0, 1), True),
    ("mean_false_distance", False, (0, float("nan")), False),
    ("mean_false_negative_distance", False, (0, float("nan")), False),
    ("mean_false_positive_distance", False, (0, float("nan")), False),
    ("mean_false_distance_clipped", False, (0, float("nan")), False),
    ("mean_false_negative_distance_clipped", False, (0, float("nan")), False),
    ("mean_false_positive_distance_clipped", False, (0, float("nan")), False),
    ("precision_with_tolerance", True, (0, 1), False),
    ("recall_with_tolerance", True, (0, 1), False),
    ("f1_score_with_tolerance", True, (0, 1), False),
    ("precision", True, (0, 1), False),
    ("recall", True, (0, 1), False),
    ("f1_score", True, (0, 1), True),
]


class BinarySegmentationEvaluationScores:
    criteria = [c[0] for c in BINARY]

    @staticmethod
    def higher_is_better(criterion):
        return {c[0]: c[1] for c in BINARY}[criterion]

    @staticmethod
    def bounds(criterion):
        return {c[0]: c[2] for c in BINARY}[criterion]

    @staticmethod
    def store_best(criterion):
        return {c[0]: c[3] for c in BINARY}[criterion]


class DaCapoValidationScores:
    def __init__(self, parameters, datasets, evaluation_scores, scores=None):
        self.parameters, self.datasets, self.evaluation_scores = parameters, datasets, evaluation_scores
        self.scores = scores or []


def training(iterations, loss=lambda i: 1.0 / (abs(i) + 1)):
    return DaCapoTrainingStats([DaCapoTrainingIterationStats(i, loss(i), 0.25) for i in iterations])


DATASETS = [DaCapoDataset("crop_a"), DaCapoDataset("crop_b")]
PARAMETERS = [ThresholdPostProcessorParameters(i, t) for i, t in enumerate((0.3, 0.5, 0.7))]


def score(it, d, p, c):
    """A deterministic score; NaN for one criterion, numpy-like scalars for another."""
    if c == 2 and it == 1000:
        return float("nan")
    v = (it / 10000.0 + 0.1 * d + 0.05 * p + 0.01 * c) % 1.0
    return FakeFloat64(v) if c == 0 else v


def validation(iterations, datasets=DATASETS):
    scores = [
        DaCapoValidationIterationScores(
            it,
            [[[score(it, d, p, c) for c in range(len(BINARY))] for p in range(len(PARAMETERS))] for d in range(len(datasets))],
        )
        for it in iterations
    ]
    return DaCapoValidationScores(PARAMETERS, datasets, BinarySegmentationEvaluationScores, scores)


def plain(scores):
    return [[[float(c) for c in p] for p in d] for d in scores]


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spool = tempfile.mkdtemp(prefix="statstore-spool-")
        cls.server = Server()
        cls.store = sc.HttpStatsStore(cls.server.url, use_dacapo_classes=False, spool_dir=cls.spool)

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        shutil.rmtree(cls.spool, ignore_errors=True)
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("statstore serve exited with %d after SIGINT, want 0" % code)

    def run_name(self):
        return self.id().rsplit(".", 1)[-1]

    def assertTraining(self, got, want_stats):
        want = [(e.iteration, float(e.loss), float(e.time)) for e in want_stats.iteration_stats]
        have = [(e.iteration, e.loss, e.time) for e in got.iteration_stats]
        self.assertEqual(len(have), len(want))
        for (gi, gl, gt), (wi, wl, wt) in zip(have, want):
            self.assertEqual(gi, wi)
            self.assertTrue(same(gl, wl), "iteration %d: loss %r, want %r" % (gi, gl, wl))
            self.assertTrue(same(gt, wt), "iteration %d: time %r, want %r" % (gi, gt, wt))

    def test_training_round_trip(self):
        run = self.run_name()
        stats = training(range(100))
        self.store.store_training_stats(run, stats)
        got = self.store.retrieve_training_stats(run)
        self.assertIsInstance(got, sc.TrainingStats)
        self.assertIsInstance(got.iteration_stats[0], sc.TrainingIterationStats)
        self.assertTraining(got, stats)
        self.assertEqual(got.trained_until(), 100)

    def test_non_finite_and_numpy_losses(self):
        run = self.run_name()
        losses = {0: float("nan"), 1: float("inf"), 2: float("-inf"), 3: FakeFloat64(0.5), 4: 1e-300}
        stats = training(range(5), loss=lambda i: losses[i])
        self.store.store_training_stats(run, stats)
        got = [e.loss for e in self.store.retrieve_training_stats(run).iteration_stats]
        self.assertTrue(math.isnan(got[0]))
        self.assertEqual(got[1:], [float("inf"), float("-inf"), 0.5, 1e-300])

    def test_extend_sends_only_new_iterations(self):
        run = self.run_name()
        stats = training(range(100))
        self.store.store_training_stats(run, stats)
        self.store.flush()
        before = self.server.metric("statstore_stored_training_iterations_total")
        stats.iteration_stats.extend(training(range(100, 250)).iteration_stats)  # DaCapo's object grows
        self.store.store_training_stats(run, stats)
        self.store.flush()
        sent = self.server.metric("statstore_stored_training_iterations_total") - before
        self.assertEqual(sent, 150, "the append sent %d entries, want the 150 new ones" % sent)
        self.assertTraining(self.store.retrieve_training_stats(run), training(range(250)))
        # The same stats again, or a new object with them, change nothing.
        self.store.store_training_stats(run, stats)
        self.store.store_training_stats(run, training(range(250)))
        self.assertTraining(self.store.retrieve_training_stats(run), training(range(250)))
        # A fresh client (a new process) sends the whole object: only the new entries are posted.
        other = sc.HttpStatsStore(self.server.url, use_dacapo_classes=False, spool_dir=self.spool)
        self.addCleanup(other.close)
        before = self.server.metric("statstore_stored_training_iterations_total")
        other.store_training_stats(run, training(range(260)))
        other.flush()
        self.assertEqual(self.server.metric("statstore_stored_training_iterations_total") - before, 10)

    def test_resume_overwrites(self):
        run = self.run_name()
        self.store.store_training_stats(run, training(range(200)))
        resumed = training(range(150), loss=lambda i: 2.0 + i)  # restarted from an earlier checkpoint
        self.store.store_training_stats(run, resumed)
        self.assertTraining(self.store.retrieve_training_stats(run), resumed)

    def test_gaps_and_ranges(self):
        run = self.run_name()
        stats = training(range(0, 10000, 10))
        self.store.store_training_stats(run, stats)
        self.assertTraining(self.store.retrieve_training_stats(run), stats)
        part = self.store.retrieve_training_range(run, 95, 200)
        self.assertEqual([e.iteration for e in part.iteration_stats], list(range(100, 200, 10)))
        sub = self.store.subsample_training(run, max_points=50)
        self.assertLessEqual(len(sub.iteration_stats), 50)
        self.assertEqual(sub.iteration_stats[0].iteration, 0)
        self.assertEqual(sub.iteration_stats[-1].iteration, 9990)

    def test_empty_stats_store_nothing(self):
        run = self.run_name()
        self.store.store_training_stats(run, DaCapoTrainingStats([]))
        self.assertNotIn(run, [r["run"] for r in self.store.list_runs()])

    def test_delete_training_stats(self):
        run = self.run_name()
        self.store.store_training_stats(run, training(range(10)))
        self.store.delete_training_stats(run)
        self.assertEqual(self.store.retrieve_training_stats(run).iteration_stats, [])
        self.store.delete_training_stats(run)  # deleting again is no error

    def test_run_config(self):
        run = self.run_name()
        self.assertIsNone(self.store.get_config(run))
        self.store.set_config(run, {"trainer": {"lr": 1e-4, "batch": 2}, "architecture": "unet", "shape": (1, 2)})
        self.assertEqual(self.store.get_config(run), {"architecture": "unet", "shape": [1, 2], "trainer": {"batch": 2, "lr": 1e-4}})
        self.assertIn(run, [r["run"] for r in self.store.list_runs()])
        with self.assertRaises(ValueError):
            self.store.set_config(run, {"lr": float("nan")})
        self.store.delete_config(run)
        self.assertIsNone(self.store.get_config(run))

    def test_run_config_object(self):
        """A RunConfig-like object (attrs classes, paths, enums, nested configs) is stored unstructured."""
        import enum
        import pathlib

        import attr

        class Mode(enum.Enum):
            TRAIN = "train"

        @attr.s(auto_attribs=True)
        class Trainer:
            learning_rate: float
            augments: tuple

        @attr.s(auto_attribs=True)
        class RunConfig:
            name: str
            trainer: Trainer
            output: pathlib.Path
            mode: Mode
            repetition: int

        run = self.run_name()
        cfg = RunConfig("r", Trainer(1e-3, ("flip", "rotate")), pathlib.Path("/data/out"), Mode.TRAIN, 2)
        self.store.set_config(run, cfg)
        want = {"name": "r", "trainer": {"learning_rate": 1e-3, "augments": ["flip", "rotate"]}, "output": "/data/out", "repetition": 2}
        got = self.store.get_config(run)
        mode = got.pop("mode")
        self.assertEqual(got, want)
        self.assertIn(mode, ("train", "TRAIN", "Mode.TRAIN"))  # DaCapo's converter, when importable, decides

        class Plain:
            def __init__(self):
                self.task = "mito"
                self._private = 1
        self.assertEqual(sc.unstructure_config(Plain()), {"task": "mito"})

    def test_run_tags(self):
        run = self.run_name()
        self.assertEqual(self.store.tags(run), {})
        self.assertEqual(self.store.set_tags(run, set={"architecture": "unet", "seed": 1}), {"architecture": "unet", "seed": "1"})
        self.assertEqual(self.store.set_tags(run, set={"task": "mito"}, remove=["seed"]), {"architecture": "unet", "task": "mito"})
        with self.assertRaises(sc.StatsStoreError) as ctx:
            self.store.set_tags(run, set={"bad key": "x"})
        self.assertEqual(ctx.exception.status, 400)
        self.assertEqual(self.store.tags(run), {"architecture": "unet", "task": "mito"})

    def test_unknown_run_is_empty(self):
        self.assertEqual(self.store.retrieve_training_stats("never_stored").iteration_stats, [])
        self.assertEqual(self.store.retrieve_validation_iteration_scores("never_stored"), [])

    def test_validation_binary_segmentation(self):
        run = self.run_name()
        v = validation([0, 1000, 2000])
        self.store.store_validation_iteration_scores(run, v)
        got = self.store.retrieve_validation_iteration_scores(run)
        self.assertEqual([s.iteration for s in got], [0, 1000, 2000])
        self.assertIsInstance(got[0], sc.ValidationIterationScores)
        for g, w in zip(got, v.scores):
            self.assertEqual(g, sc.ValidationIterationScores(w.iteration, plain(w.scores)))
        self.assertTrue(math.isnan(got[1].scores[0][0][2]))

        full = self.store.retrieve_validation_scores(run)
        self.assertEqual([d.name for d in full.datasets], ["crop_a", "crop_b"])
        self.assertEqual([str(p) for p in full.parameters], ["threshold_0.3", "threshold_0.5", "threshold_0.7"])
        self.assertEqual(full.parameter_names, ["threshold"])
        self.assertEqual(full.parameters[1].threshold, 0.5)
        self.assertEqual(full.criteria, [c[0] for c in BINARY])
        for name, hib, (lo, hi), best in BINARY:
            self.assertEqual(full.evaluation_scores.higher_is_better(name), hib, name)
            self.assertEqual(full.evaluation_scores.store_best(name), best, name)
            want_hi = None if math.isnan(hi) else float(hi)
            self.assertEqual(full.evaluation_scores.bounds(name), (float(lo), want_hi), name)
        self.assertEqual(full.validated_until(), 2001)

        # The best report: each criterion in its own direction, NaN skipped.
        for line in self.store.best(run, dataset="crop_b"):
            c = full.criteria.index(line["criterion"])
            candidates = [
                (s.scores[1][p][c], s.iteration, p) for s in got for p in range(len(PARAMETERS)) if not math.isnan(s.scores[1][p][c])
            ]
            pick = max if full.evaluation_scores.higher_is_better(line["criterion"]) else min
            value, iteration, p = pick(candidates, key=lambda x: x[0])
            self.assertEqual(line["value"], value, line["criterion"])
            self.assertEqual(line["parameters"], "threshold_%s" % PARAMETERS[p].threshold, line["criterion"])

    def test_validation_merge_late_repeated_unsorted(self):
        run = self.run_name()
        self.store.store_validation_iteration_scores(run, validation([0, 1000]))
        self.store.store_validation_iteration_scores(run, validation([0, 1000, 2000, 3000]))
        self.assertEqual([s.iteration for s in self.store.retrieve_validation_iteration_scores(run)], [0, 1000, 2000, 3000])
        # DaCapo's lists after `validate RUN 800`-style calls: unsorted, one iteration twice (the last wins).
        v = validation([400, 3000, 500, 400])
        v.scores[-1].scores = [[[0.5] * len(BINARY) for _ in PARAMETERS] for _ in DATASETS]
        self.store.store_validation_iteration_scores(run, v)
        self.store.flush()  # raises if the server refused the call
        got = self.store.retrieve_validation_iteration_scores(run)
        self.assertEqual([s.iteration for s in got], [0, 400, 500, 1000, 2000, 3000])
        self.assertEqual(got[1].scores[0][0][0], 0.5)
        self.store.delete_validation_scores(run)
        self.assertEqual(self.store.retrieve_validation_iteration_scores(run), [])

    def test_metadata_mismatch_is_refused(self):
        run = self.run_name()
        self.store.store_validation_iteration_scores(run, validation([0]))
        with self.assertRaises(sc.StatsStoreError) as cm:
            self.store.store_validation_iteration_scores(run, validation([0, 1000], datasets=[DaCapoDataset("other_a"), DaCapoDataset("other_b")]))
            self.store.flush()  # the call returned at once; its refusal comes with the next flush
        self.assertEqual(cm.exception.code, "metadata_mismatch")
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual([s.iteration for s in self.store.retrieve_validation_iteration_scores(run)], [0])

    def test_parameter_values_are_recorded(self):
        run = self.run_name()
        v = validation([0, 1000])
        self.store.store_validation_iteration_scores(run, v)
        self.store.flush()
        meta = self.store._request("GET", self.store._run_path(run, "validation"))
        self.assertEqual(
            [(p["id"], p["name"], p["values"]) for p in meta["parameters"]],
            [(0, "threshold_0.3", {"threshold": 0.3}), (1, "threshold_0.5", {"threshold": 0.5}), (2, "threshold_0.7", {"threshold": 0.7})],
        )
        # The values are what best reports and what the CLI's --parameter-set finds.
        full = self.store.retrieve_validation_scores(run)
        self.assertEqual(full.parameters[2].values, {"threshold": 0.7})

    def test_long_parameter_names_are_shortened_not_lost(self):
        run = self.run_name()
        params = [WatershedPostProcessorParameters(i, bias=b, context=(16, 32, 32)) for i, b in enumerate((0.25, 0.5))]
        self.assertTrue(str(params[0]).startswith("WatershedPostProcessorParameters("), str(params[0]))
        scores = [DaCapoValidationIterationScores(it, [[[0.5 + it / 1e4 + p / 10 for _ in BINARY] for p in range(2)]]) for it in (0, 500)]
        self.store.store_validation_iteration_scores(run, DaCapoValidationScores(params, [DATASETS[0]], BinarySegmentationEvaluationScores, scores))
        self.store.flush()
        meta = self.store._request("GET", self.store._run_path(run, "validation"))
        self.assertEqual(
            [(p["id"], p["name"], p["values"]) for p in meta["parameters"]],
            [
                (0, "bias_0.25_context_16x32x32", {"bias": 0.25, "context": [16, 32, 32]}),
                (1, "bias_0.5_context_16x32x32", {"bias": 0.5, "context": [16, 32, 32]}),
            ],
        )

    def test_run_stored_without_values_takes_new_scores(self):
        # A run an older client stored (values={}, the name str() gives) takes
        # this client's scores: its parameter sets are kept as stored.
        run = self.run_name()
        old = {
            "datasets": ["crop_a", "crop_b"],
            "parameters": [{"id": p.id, "name": str(p), "values": {}} for p in PARAMETERS],
            "criteria": "binary_segmentation",
            "scores": [{"iteration": 0, "scores": plain(validation([0]).scores[0].scores)}],
        }
        self.store._send("POST", self.store._run_path(run, "validation"), data=json.dumps(old).encode())
        self.store.store_validation_iteration_scores(run, validation([0, 1000]))
        self.store.flush()  # raises if the server refused the scores
        meta = self.store._request("GET", self.store._run_path(run, "validation"))
        self.assertEqual([e["iteration"] for e in meta["scores"]], [0, 1000])
        self.assertEqual([p["values"] for p in meta["parameters"]], [{}, {}, {}])
        # Other parameter sets are still a mismatch.
        other = [ThresholdPostProcessorParameters(i, t) for i, t in enumerate((0.1, 0.2))]
        bad = DaCapoValidationScores(other, DATASETS, BinarySegmentationEvaluationScores,
                                     [DaCapoValidationIterationScores(2000, [[[0.5] * len(BINARY)] * 2] * 2)])
        with self.assertRaises(sc.StatsStoreError) as cm:
            self.store.store_validation_iteration_scores(run, bad)
            self.store.flush()
        self.assertEqual(cm.exception.code, "metadata_mismatch")

    def test_decisions(self):
        run = self.run_name()
        self.store.store_validation_iteration_scores(run, validation([0, 1000, 2000, 3000]))
        got = self.store.retrieve_validation_iteration_scores(run)
        names = [c[0] for c in BINARY]
        f1 = names.index("f1_score")

        sel = self.store.best(run, select_on=("crop_a", "f1_score"), held_out=["crop_b"])
        cands = [(s.scores[0][p][f1], -s.iteration, -p) for s in got for p in range(len(PARAMETERS)) if not math.isnan(s.scores[0][p][f1])]
        value, neg_it, neg_p = max(cands)
        self.assertEqual((sel["iteration"], sel["parameter_id"], sel["value"]), (-neg_it, -neg_p, value))
        self.assertEqual(len(sel["lines"]), 2 * len(BINARY))
        for line in sel["lines"]:
            self.assertEqual(line["held_out"], line["dataset"] == "crop_b")
            if not math.isnan(line["gap"]):
                self.assertGreaterEqual(line["gap"], 0, line)

        plan = self.store.keep(run, last=0)
        kept = {c["iteration"] for c in plan["checkpoints"] if c["keep"]}
        self.assertEqual(plan["criteria"], ["voi", "f1_score"])
        for line in self.store.best(run):
            if line["criterion"] in plan["criteria"] and line["iteration"] is not None:
                self.assertIn(line["iteration"], kept, line)
        self.assertEqual(plan["kept"] + plan["prunable"], 4)

        g = self.store.grid(run, dataset="crop_b", criterion="f1_score")
        self.assertEqual(g["iterations"], [0, 1000, 2000, 3000])
        self.assertEqual(g["axis"], "threshold")
        for i, s in enumerate(got):
            self.assertEqual(g["values"][i], [s.scores[1][p][f1] for p in range(len(PARAMETERS))])
        with self.assertRaises(sc.StatsStoreError) as cm:
            self.store.grid(run, criterion="f1_score")  # two datasets: which one?
        self.assertEqual(cm.exception.status, 400)

        p = self.store.plan_validation(run, budget=2, every=500)
        self.assertEqual(len(p["checkpoints"]), 2)
        for c in p["checkpoints"]:
            self.assertEqual(c["iteration"] % 1000, 500, c)  # the unvalidated ones
        self.assertEqual(len(p["parameters"]), len(PARAMETERS))
        self.assertEqual(p["judged"], [0, 1000, 2000, 3000])

        self.store.store_training_stats(run, training(range(0, 3001), loss=lambda i: float("nan") if i == 3000 else 1.0))
        h = self.store.check(run)
        self.assertEqual((h["run"], h["status"], h["findings"][0]["kind"], h["findings"][0]["iteration"]), (run, "failure", "non_finite_loss", 3000))
        self.assertIn(run, [r["run"] for r in self.store.check()])
        with self.assertRaises(TypeError):
            self.store.check(run, windw=3)

    def test_bad_input_is_refused(self):
        def later(call):
            def f():
                call()
                self.store.flush()

            return f

        cases = {
            "slash in run name": (lambda: self.store.store_training_stats("a/b", training(range(3))), "invalid_run_name"),
            "control character": (lambda: self.store.retrieve_training_stats("a\x01b"), "invalid_run_name"),
            "negative iteration": (later(lambda: self.store.store_training_stats("neg", training([-1, 0]))), "invalid_argument"),
            "out of order": (later(lambda: self.store.store_training_stats("order", training([5, 3]))), "out_of_order"),
        }
        for name, (call, code) in cases.items():
            with self.subTest(name):
                with self.assertRaises(sc.StatsStoreError) as cm:
                    call()
                self.assertEqual(cm.exception.code, code)
        with self.assertRaises(ValueError):
            self.store.retrieve_training_stats("")

    def test_runs_and_leaderboard(self):
        base = self.run_name()
        for rep in (1, 2):
            run = "%s__%d" % (base, rep)
            self.store.store_training_stats(run, training(range(5)))
            self.store.store_validation_iteration_scores(run, validation([0, 2]))
        page = self.store.runs(filter="name~%s" % base, sort="-name", limit=1)
        self.assertEqual(page["total"], 2)
        self.assertEqual([r["run"] for r in page["runs"]], [base + "__2"])
        self.assertTrue(page["runs"][0]["best"])
        with self.assertRaises(sc.StatsStoreError) as cm:
            self.store.runs(filter="bogus=1")
        self.assertEqual(cm.exception.code, "invalid_argument")
        lb = self.store.leaderboard(criterion="dice", filter="name~%s" % base)
        rows = lb["boards"][0]["rows"]
        self.assertEqual([(r["group"], r["count"]) for r in rows], [(base, 2)])

    def test_delete_run(self):
        run = self.run_name()
        self.store.store_training_stats(run, training(range(5)))
        self.store.store_validation_iteration_scores(run, validation([0]))
        self.assertIn(run, [r["run"] for r in self.store.list_runs()])
        self.store.delete_run(run)
        self.assertNotIn(run, [r["run"] for r in self.store.list_runs()])
        self.store.delete_run(run)  # no longer there: not an error
        self.store.delete_run("never_stored", permanent=True)
        trash = self.store._request("GET", "/api/v1/trash")
        self.assertIn(run, [e["run"] for e in trash["entries"]])

    def test_unreachable_server(self):
        s = sc.HttpStatsStore("http://127.0.0.1:9", retries=1, backoff=0.01, timeout=5, spool_dir=self.spool)
        self.addCleanup(s.close)
        with self.assertRaises(sc.StatsStoreError) as cm:
            s.retrieve_training_stats("x")
        self.assertEqual(cm.exception.status, 0)
        with self.assertRaises(ValueError):
            sc.HttpStatsStore("127.0.0.1:8080")

    def test_returns_dacapo_classes_when_importable(self):
        module = types.ModuleType("dacapo.experiments")
        module.TrainingStats, module.TrainingIterationStats = DaCapoTrainingStats, DaCapoTrainingIterationStats
        module.ValidationIterationScores = DaCapoValidationIterationScores
        package = types.ModuleType("dacapo")
        package.experiments = module
        saved = {k: sys.modules.get(k) for k in ("dacapo", "dacapo.experiments")}
        sys.modules.update({"dacapo": package, "dacapo.experiments": module})
        try:
            store = sc.HttpStatsStore(self.server.url, spool_dir=self.spool)
            self.addCleanup(store.close)
        finally:
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
        run = self.run_name()
        store.store_training_stats(run, training([0, 5, 9]))
        store.store_validation_iteration_scores(run, validation([0]))
        got = store.retrieve_training_stats(run)
        self.assertIsInstance(got, DaCapoTrainingStats)
        self.assertIsInstance(got.iteration_stats[0], DaCapoTrainingIterationStats)
        self.assertEqual([e.iteration for e in got.iteration_stats], [0, 5, 9])
        self.assertIsInstance(store.retrieve_validation_iteration_scores(run)[0], DaCapoValidationIterationScores)


class OfflineTest(unittest.TestCase):
    """The server stopped, slow, restarted mid-run, and a training process killed: nothing lost, nothing twice."""

    def setUp(self):
        self.spool = tempfile.mkdtemp(prefix="statstore-spool-")
        self.addCleanup(shutil.rmtree, self.spool, True)
        w = warnings.catch_warnings(record=True)
        self.warnings = w.__enter__()
        warnings.simplefilter("always")
        self.addCleanup(w.__exit__, None, None, None)

    def server(self, **kw):
        box = [Server(**kw)]
        self.addCleanup(lambda: box[0].stop())
        return box

    def client(self, url, **kw):
        kw.setdefault("timeout", 5)
        kw.setdefault("backoff", 0.02)
        kw.setdefault("max_backoff", 0.2)
        store = sc.HttpStatsStore(url, spool_dir=self.spool, use_dacapo_classes=False, **kw)
        self.addCleanup(store.close)
        return store

    def spool_files(self, prefix=""):
        out = []
        for root, _, files in os.walk(self.spool):
            out += [os.path.join(root, f) for f in files if f.endswith(".spool") and f.startswith(prefix)]
        return out

    def spool_warnings(self):
        return [w for w in self.warnings if issubclass(w.category, sc.SpoolWarning)]

    def train(self, store, stats, scores, start, stop, hook=None):
        """DaCapo's loop: one entry per iteration, the whole stats stored every 100, a validation every 1000."""
        for i in range(start, stop):
            if hook:
                hook(i)
            stats.add_iteration_stats(spool_data.training_entry(i))
            if (i + 1) % 100 == 0:
                store.store_training_stats(spool_data.RUN, stats)
            if (i + 1) % 1000 == 0:
                scores.add_iteration_scores(spool_data.validation_entry(i + 1))
                store.store_validation_iteration_scores(spool_data.RUN, scores)

    def assertStored(self, url, until, validations, at_least=None):
        """The stored history is exactly iterations 0..until-1, each once and bit-exact, and the
        validations are the checkpoints listed. With at_least (a killed writer): the history is a
        prefix at least that long, and the validations are those of 1000, 2000, ... up to one
        within the stored history, at least those of the durable prefix."""
        reader = self.client(url)
        got = reader.retrieve_training_stats(spool_data.RUN).iteration_stats
        vals = reader.retrieve_validation_iteration_scores(spool_data.RUN)
        if at_least is not None:
            until = len(got)
            self.assertGreaterEqual(until, at_least, "the stored history lost what was durable")
            k = len(vals)
            self.assertGreaterEqual(k, at_least // 1000, "validations lost")
            self.assertLessEqual(k * 1000, until, "a validation arrived without its training")
            validations = list(range(1000, k * 1000 + 1, 1000))
        self.assertEqual([e.iteration for e in got], list(range(until)), "stored iterations, want each of 0..%d once" % (until - 1))
        for e in got:
            want = spool_data.training_entry(e.iteration)
            self.assertTrue(spool_data.same(e.loss, want.loss), "iteration %d: loss %r, want %r" % (e.iteration, e.loss, want.loss))
            self.assertEqual(e.time, want.time)
        self.assertEqual([v.iteration for v in vals], validations)
        for v in vals:
            self.assertEqual(v, sc.ValidationIterationScores(v.iteration, spool_data.scores(v.iteration)))

    def test_server_stopped_then_back(self):
        box = self.server()
        url, port = box[0].url, box[0].port
        store = self.client(url)
        stats, scores = sc.TrainingStats(), spool_data.validation_scores()
        self.train(store, stats, scores, 0, 2500)
        self.assertEqual(store.flush(), 0)
        box[0].stop(keep=True)
        self.train(store, stats, scores, 2500, 6000)
        self.assertGreater(store.flush(), 0, "the spool is empty while the server is stopped")
        self.assertTrue(self.spool_warnings(), "no SpoolWarning when the spool was used")
        with self.assertRaises(sc.StatsStoreError) as cm:
            store.retrieve_training_stats(spool_data.RUN)  # cannot answer: its own writes wait
        self.assertEqual(cm.exception.status, 0)
        box[0] = Server(store_dir=box[0].dir, port=port)
        self.train(store, stats, scores, 6000, 7000)
        self.assertEqual(store.flush(), 0)
        self.assertEqual(self.spool_files(), [])
        self.assertStored(url, 7000, list(range(1000, 7001, 1000)))

    def test_server_slow(self):
        box = self.server()
        proxy = DelayProxy(box[0].port, 0.3)
        self.addCleanup(proxy.close)
        store = self.client(proxy.url)
        stats, scores = sc.TrainingStats(), spool_data.validation_scores()
        self.train(store, stats, scores, 0, 8000)
        store.flush()
        self.assertEqual(self.spool_files(), [], "a slow server that answers within the timeout needs no spool")
        self.assertStored(box[0].url, 8000, list(range(1000, 8001, 1000)))

    def test_server_slower_than_the_timeout(self):
        # Every request times out, but the proxy still forwards it: the server
        # applies calls the client spools. The replays must not apply them twice.
        box = self.server()
        proxy = DelayProxy(box[0].port, 1.0)
        self.addCleanup(proxy.close)
        store = self.client(proxy.url, timeout=0.3)
        stats, scores = sc.TrainingStats(), spool_data.validation_scores()
        self.train(store, stats, scores, 0, 3000)
        self.assertGreater(store.flush(), 0)
        proxy.delay = 0
        self.train(store, stats, scores, 3000, 4000)
        for _ in range(100):  # replays still in the proxy's delay may time out once more
            if store.flush() == 0:
                break
        self.assertEqual(store.flush(), 0)
        self.assertStored(box[0].url, 4000, [1000, 2000, 3000, 4000])

    def test_server_restarted_mid_run(self):
        box = self.server()
        url = box[0].url
        store = self.client(url)
        stats, scores = sc.TrainingStats(), spool_data.validation_scores()
        restarted = threading.Event()

        def restart():
            box[0] = box[0].restart()
            restarted.set()

        def hook(i):
            if i == 2000:
                threading.Thread(target=restart).start()
            if i == 2001:
                restarted.wait(START_TIMEOUT)  # the loop keeps storing while the server restarts

        self.train(store, stats, scores, 0, 2001, hook=lambda i: i == 2000 and hook(i))
        self.train(store, stats, scores, 2001, 2100)
        restarted.wait(START_TIMEOUT)
        self.train(store, stats, scores, 2100, 5000)
        self.assertEqual(store.flush(), 0)
        self.assertStored(url, 5000, list(range(1000, 5001, 1000)))

    def test_resume_replaces_through_the_spool(self):
        # Trained to 3000 with the server down, resumed from checkpoint 2000 (a new
        # TrainingStats): the replay applies both in order, so the resumed history wins.
        box = self.server()
        url, port = box[0].url, box[0].port
        box[0].stop(keep=True)
        store = self.client(url)
        stats, scores = sc.TrainingStats(), spool_data.validation_scores()
        self.train(store, stats, scores, 0, 3000)
        resumed = sc.TrainingStats(stats.iteration_stats)
        resumed.delete_after(2000)
        resumed.add_iteration_stats(sc.TrainingIterationStats(2000, 42.0, 0.0))
        store.store_training_stats(spool_data.RUN, resumed)
        store.flush()
        for i in range(2001, 3500):  # the resumed training goes on, further than before
            resumed.add_iteration_stats(sc.TrainingIterationStats(i, 1.0, 0.0))
        store.store_training_stats(spool_data.RUN, resumed)
        self.assertGreater(store.flush(), 0)
        box[0] = Server(store_dir=box[0].dir, port=port)
        self.assertEqual(store.flush(), 0)
        got = store.retrieve_training_stats(spool_data.RUN).iteration_stats
        self.assertEqual([e.iteration for e in got], list(range(3500)))
        self.assertEqual([e.loss for e in got[2000:2003]], [42.0, 1.0, 1.0])
        self.assertEqual(got[1999].loss, spool_data.loss(1999))

    def test_retrieval_sees_queued_writes(self):
        box = self.server()
        store = self.client(box[0].url)
        stats = sc.TrainingStats([spool_data.training_entry(i) for i in range(50)])
        store.store_training_stats("queued", stats)
        self.assertEqual(store.retrieve_training_stats("queued").trained_until(), 50)

    def kill_child(self, url, durable_lines=3):
        """Runs testdata/train_child.py against url until it reported durable_lines flushes, then SIGKILLs it."""
        child = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "train_child.py"), url, self.spool],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        durable = 0
        try:
            for _ in range(durable_lines):
                line = child.stdout.readline()
                self.assertTrue(line.startswith("durable "), "child said %r" % line)
                durable = int(line.split()[1])
        finally:
            child.send_signal(signal.SIGKILL)  # killed mid-spool: it keeps spooling until now
            child.wait()
            child.stdout.close()
        self.assertTrue(self.spool_files(), "the killed process left no spool")
        return durable

    def test_killed_process_replayed_by_next_client(self):
        box = self.server()
        url, port = box[0].url, box[0].port
        box[0].stop(keep=True)
        durable = self.kill_child(url)
        box[0] = Server(store_dir=box[0].dir, port=port)
        nxt = self.client(url)
        self.assertEqual(nxt.flush(), 0)
        self.assertEqual(self.spool_files(), [], "the killed process's spool is still there after the replay")
        self.assertStored(url, None, None, at_least=durable)

    def test_killed_process_replayed_by_statstore_sync(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % sock.getsockname()[1]  # bound, not listening: refused
        self.addCleanup(sock.close)
        durable = self.kill_child(url)
        store_dir = tempfile.mkdtemp(prefix="statstore-store-")
        self.addCleanup(shutil.rmtree, store_dir, True)
        for _ in range(2):  # twice: the second sync finds nothing left to do
            subprocess.run([_binary, "--store", os.path.join(store_dir, "stats"), "sync", self.spool], check=True, stdout=subprocess.DEVNULL)
        self.assertEqual(self.spool_files(), [])
        box = self.server(store_dir=store_dir)
        self.assertStored(box[0].url, None, None, at_least=durable)

    def test_locked_spool_is_left_to_its_owner(self):
        box = self.server()
        url = box[0].url
        directory = os.path.join(self.spool, sc._spool_dir_name(url))
        seg = sc._Segment.create(directory)  # another live client's spool, locked
        stats = sc.TrainingStats([spool_data.training_entry(i) for i in range(10)])
        seg.append([sc._Training("held", True, 0, sc.array.array("q", range(10)), sc.array.array("d", [1.0] * 10), sc.array.array("d", [0.0] * 10)).encode()])
        store = self.client(url)
        store.store_training_stats("mine", stats)
        self.assertEqual(store.flush(), 0)
        self.assertEqual(store.retrieve_training_stats("held").iteration_stats, [], "replayed a spool another client holds")
        seg.close()  # its owner exits (or is killed): the lock goes
        nxt = self.client(url)
        self.assertEqual(nxt.flush(), 0)
        self.assertEqual(nxt.retrieve_training_stats("held").trained_until(), 10)
        self.assertEqual(self.spool_files(), [])


class OldServerTest(unittest.TestCase):
    """A server that predates the columnar training body answers 415: the client falls back to rows."""

    def test_falls_back_to_rows(self):
        import http.server

        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer(200, b'{"run": "r", "iteration_stats": []}')

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ctype = self.headers["Content-Type"]
                seen.append((ctype, json.loads(body)))
                if ctype != "application/json":
                    self.answer(415, b'{"error": {"code": "unsupported_media_type", "message": "want application/json"}}')
                else:
                    self.answer(204, b"")

            def answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        spool = tempfile.mkdtemp(prefix="statstore-spool-")
        self.addCleanup(shutil.rmtree, spool, True)
        store = sc.HttpStatsStore("http://127.0.0.1:%d" % srv.server_address[1], spool_dir=spool, use_dacapo_classes=False)
        stats = training(range(3))
        store.store_training_stats("r", stats)
        store.flush()
        stats.iteration_stats.append(DaCapoTrainingIterationStats(3, float("nan"), 0.25))
        store.store_training_stats("r", stats)
        store.close()
        self.assertEqual([c for c, _ in seen], [sc.TRAINING_COLUMNS, "application/json", "application/json"])
        self.assertEqual(seen[0][1]["iteration"], [0, 1, 2])
        self.assertEqual([e["iteration"] for e in seen[1][1]["iteration_stats"]], [0, 1, 2])
        self.assertEqual([e["iteration"] for e in seen[2][1]["iteration_stats"]], [3])

class SpoolFormatTest(unittest.TestCase):
    """Framing: a torn last record is ignored, damage elsewhere names file and offset."""

    def write(self, n=3):
        d = tempfile.mkdtemp(prefix="statstore-spool-")
        self.addCleanup(shutil.rmtree, d, True)
        seg = sc._Segment.create(d)
        ends = []
        for i in range(n):
            rec = sc._Training("r", i == 0, i * 10, sc.array.array("q", range(i * 10, i * 10 + 10)), sc.array.array("d", [float("nan")] * 10), sc.array.array("d", [0.5] * 10))
            ends += seg.append([rec.encode()])
        path = seg.path
        seg.close()
        with open(path, "rb") as f:
            return path, f.read(), ends

    def test_round_trip(self):
        path, data, ends = self.write()
        recs, valid, size = sc.read_spool(path)
        self.assertEqual((valid, size), (len(data), len(data)))
        self.assertEqual([(r.whole, r.base, list(r.its)) for r in recs], [(i == 0, i * 10, list(range(i * 10, i * 10 + 10))) for i in range(3)])
        self.assertTrue(all(math.isnan(x) for x in recs[1].losses))

    def test_torn_tail_at_every_offset(self):
        path, data, ends = self.write()
        for cut in range(ends[1], len(data)):
            recs, valid, _ = sc.read_spool(path, data[:cut])
            self.assertEqual(len(recs), 2, "cut at %d" % cut)
            self.assertEqual(valid, ends[1])
        recs, valid, _ = sc.read_spool(path, data + bytes(100))  # a zero-filled tail
        self.assertEqual((len(recs), valid), (3, len(data)))
        self.assertEqual(sc.read_spool(path, data[:5])[0], [])  # killed while writing the header

    def test_damage_is_an_error_with_offset(self):
        path, data, ends = self.write()
        for off in list(range(16, len(data), 7)):
            bad = bytearray(data)
            bad[off] ^= 0x40
            with self.subTest(offset=off):
                with self.assertRaises(sc.SpoolCorruptError) as cm:
                    sc.read_spool(path, bytes(bad))
                self.assertEqual(cm.exception.path, path)
                start = max([16] + [e for e in ends if e <= off])
                self.assertEqual(cm.exception.offset, start, "flip at %d" % off)

    def test_default_spool_dir(self):
        from unittest import mock

        with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": "/x/cache"}, clear=False):
            os.environ.pop("STATSTORE_SPOOL_DIR", None)
            self.assertEqual(sc.default_spool_root(), "/x/cache/statstore/spool")
            with mock.patch.dict(os.environ, {"STATSTORE_SPOOL_DIR": "/y/spool"}):
                self.assertEqual(sc.default_spool_root(), "/y/spool")
        with mock.patch.dict(os.environ, {"HOME": "/home/u"}, clear=False):
            os.environ.pop("STATSTORE_SPOOL_DIR", None)
            os.environ.pop("XDG_CACHE_HOME", None)
            self.assertEqual(sc.default_spool_root(), "/home/u/.cache/statstore/spool")
        self.assertEqual(sc._spool_dir_name("http://stats-host:8080"), "stats-host-8080")
        self.assertEqual(sc._spool_dir_name("https://[::1]/"), "__1-443")

    def test_acked_records_are_skipped(self):
        path, data, ends = self.write()
        ack = sc._frame(sc.struct.pack("<BQ", sc._REC_ACK, ends[1]))
        recs, _, _ = sc.read_spool(path, data + ack)
        self.assertEqual([r.base for r in recs], [20])


class PatchDaCapoTest(unittest.TestCase):
    def test_patches_every_loaded_dacapo_module(self):
        create_store = types.ModuleType("dacapo.store.create_store")
        train = types.ModuleType("dacapo.train")
        other = types.ModuleType("dacapo.other")
        create_store.create_stats_store = train.create_stats_store = lambda: "file store"
        mods = {"dacapo.store.create_store": create_store, "dacapo.train": train, "dacapo.other": other}
        saved = {k: sys.modules.get(k) for k in mods}
        sys.modules.update(mods)
        try:
            spool = tempfile.mkdtemp(prefix="statstore-spool-")
            self.addCleanup(shutil.rmtree, spool, True)
            store = sc.HttpStatsStore("http://127.0.0.1:8080", spool_dir=spool)  # never the user's spool
            store.close()
            patched = sc.patch_dacapo(store)
        finally:
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
        self.assertEqual(patched, ["dacapo.store.create_store", "dacapo.train"])
        self.assertIs(create_store.create_stats_store(), store)
        self.assertIs(train.create_stats_store(), store)
        self.assertFalse(hasattr(other, "create_stats_store"))


class TokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.token_dir = tempfile.mkdtemp(prefix="statstore-token-")
        path = os.path.join(cls.token_dir, "token")
        with open(path, "w") as f:
            f.write("s3cret-token\n")
        cls.server = Server("--token-file", path)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.token_dir, ignore_errors=True)

    def test_writes_need_the_token(self):
        spool = os.path.join(self.token_dir, "spool")
        anonymous = sc.HttpStatsStore(self.server.url, spool_dir=spool)
        self.addCleanup(anonymous.close)
        anonymous.store_training_stats("r", training(range(3)))
        with self.assertRaises(sc.StatsStoreError) as cm:
            anonymous.flush()
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))
        # Refused for good: kept in a rejected spool, not retried.
        rejected = [n for n in os.listdir(anonymous.spool_dir) if n.startswith("rejected-")]
        self.assertEqual(len(rejected), 1, os.listdir(anonymous.spool_dir))
        self.assertEqual(anonymous.flush(), 0)
        wrong = sc.HttpStatsStore(self.server.url, token="wrong", spool_dir=spool)
        self.addCleanup(wrong.close)
        wrong.store_training_stats("r", training(range(3)))
        with self.assertRaises(sc.StatsStoreError):
            wrong.close()
        good = sc.HttpStatsStore(self.server.url, token="s3cret-token", spool_dir=spool)
        self.addCleanup(good.close)
        good.store_training_stats("r", training(range(3)))
        good.flush()
        self.assertEqual(anonymous.retrieve_training_stats("r").trained_until(), 3)


class LookAlikeTest(unittest.TestCase):
    """The classes returned without dacapo behave like DaCapo's."""

    def test_training_stats(self):
        t = sc.TrainingStats()
        self.assertEqual(t.trained_until(), 0)
        t.add_iteration_stats(sc.TrainingIterationStats(0, 1.0, 0.1))
        t.add_iteration_stats(sc.TrainingIterationStats(5, 0.5, 0.1))
        with self.assertRaises(ValueError):
            t.add_iteration_stats(sc.TrainingIterationStats(5, 0.4, 0.1))
        self.assertEqual(t.trained_until(), 6)
        t.delete_after(5)
        self.assertEqual(t.trained_until(), 1)

    def test_validation_scores(self):
        es = sc.EvaluationScores([{"name": "f1", "higher_is_better": True, "bounds": [0, 1], "store_best": True}])
        v = sc.ValidationScores([sc.Parameters(0, "threshold_0.5", {"threshold": 0.5})], [sc.Dataset("a")], es)
        for it in (1000, 0):
            v.add_iteration_scores(sc.ValidationIterationScores(it, [[[0.5]]]))
        self.assertEqual([s.iteration for s in v.scores], [0, 1000])
        with self.assertRaises(ValueError):
            v.add_iteration_scores(sc.ValidationIterationScores(0, [[[0.1]]]))
        self.assertEqual(v.validated_until(), 1001)
        self.assertEqual(v.compare([]), (False, 0))
        self.assertEqual(v.compare([sc.ValidationIterationScores(5000, [[[0.1]]])]), (True, 0))
        self.assertEqual(v.compare([sc.ValidationIterationScores(500, [[[0.1]]])]), (False, 501))
        self.assertEqual(len(v.subscores(v.scores[:1]).scores), 1)
        with self.assertRaises(ValueError):
            v.subscores([sc.ValidationIterationScores(7, [[[0.1]]])])
        v.delete_after(1000)
        self.assertEqual(v.validated_until(), 1)
        self.assertEqual(v.criteria, ["f1"])
        self.assertEqual(v.parameter_names, ["threshold"])

    def test_wire_floats(self):
        body = json.dumps(sc._scores_to_json([[[float("nan"), float("inf"), FakeFloat64(-0.25)]]]), allow_nan=False)
        self.assertEqual(body, '[[["NaN", "Infinity", -0.25]]]')
        back = sc._scores_from_json(json.loads(body))
        self.assertTrue(math.isnan(back[0][0][0]))
        self.assertEqual(back[0][0][1:], [float("inf"), -0.25])


if __name__ == "__main__":
    unittest.main()
