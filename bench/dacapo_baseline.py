#!/usr/bin/env python3
"""The DaCapo baseline of the statstore benchmarks (docs/benchmarks.md).

It runs the workloads of ``statstore bench`` through the algorithm of DaCapo's
``dacapo.store.file_stats_store.FileStatsStore``, with the standard library
only, and prints one JSON line with the same fields:

    dacapo_baseline.py train --dir DIR --iterations N --every K
    dacapo_baseline.py validation --dir DIR --checkpoints C --every K \
        [--datasets D --parameters P --criteria Q]

What DaCapo does, and this script does, on every store call:

* read the run's file: ``pickle.load`` the stored list of documents (plain
  dicts, as DaCapo's cattrs converter makes them, with ``run_name``) and
  structure them into objects;
* decide extend or overwrite from trained-until / validated-until;
* pickle the whole list of documents back over the file (no fsync).

Two deliberate departures, both in DaCapo's favour or needed for a fair
comparison:

* DaCapo's ``__store_training_stats`` pickles only the new slice
  ``iteration_stats[begin:end]`` over the file, which loses the stored
  history on every call after the first. The baseline pickles the stored
  documents plus the new ones: the cost DaCapo would pay if it kept its data.
  (Its validation store already pickles every score below the end, as here.)
* cattrs' structure and unstructure hooks are replaced by equivalent direct
  code (the same conversions and copies, without cattrs' dispatch), which is
  faster than the real converter.

The training loop and the scores are those of ``statstore bench``: loss
1/(i+1), time 0.01; scores uniform in [0, 1).
"""

import argparse
import bisect
import json
import os
import pickle
import random
import sys
import time

MAX_POINTS = 1000
READ_REPEATS = 3  # reads are timed this many times, keeping the fastest, as statstore bench does


def fastest(best, t):
    return t if best is None or t < best else best


class TrainingIterationStats:
    """DaCapo's attrs class: iteration, loss, time."""

    def __init__(self, iteration, loss, time):
        self.iteration = iteration
        self.loss = loss
        self.time = time


class TrainingStats:
    """DaCapo's TrainingStats: a list of TrainingIterationStats."""

    def __init__(self, iteration_stats=None):
        self.iteration_stats = iteration_stats if iteration_stats is not None else []

    def add_iteration_stats(self, s):
        if self.iteration_stats and s.iteration <= self.iteration_stats[-1].iteration:
            raise ValueError("iteration %d after %d" % (s.iteration, self.iteration_stats[-1].iteration))
        self.iteration_stats.append(s)

    def trained_until(self):
        return self.iteration_stats[-1].iteration + 1 if self.iteration_stats else 0


class ValidationIterationScores:
    """DaCapo's attrs class: iteration and scores [dataset][parameters][criterion]."""

    def __init__(self, iteration, scores):
        self.iteration = iteration
        self.scores = scores


class ValidationScores:
    """The part of DaCapo's ValidationScores the store uses."""

    def __init__(self):
        self.scores = []

    def add_iteration_scores(self, s):
        self.scores.append(s)

    def validated_until(self):
        return max((s.iteration for s in self.scores), default=-1) + 1

    def compare(self, existing):
        """Returns (replace, store_from), as statstore's Compare."""
        if not existing:
            return False, 0
        existing_until = max(s.iteration for s in existing) + 1
        if existing_until > self.validated_until():
            return True, 0
        return False, existing_until


# cattrs' converter, written out: unstructure makes plain dicts (copying
# lists), structure builds the attrs objects (converting every value).


def unstructure_training(stats):
    return [{"iteration": s.iteration, "loss": s.loss, "time": s.time} for s in stats]


def structure_training(docs):
    return [TrainingIterationStats(int(d["iteration"]), float(d["loss"]), float(d["time"])) for d in docs]


def unstructure_scores(s):
    return {"iteration": s.iteration, "scores": [[[x for x in p] for p in d] for d in s.scores]}


def structure_scores(docs):
    return [
        ValidationIterationScores(int(d["iteration"]), [[[float(x) for x in p] for p in ds] for ds in d["scores"]])
        for d in docs
    ]


class FileStatsStore:
    """DaCapo's FileStatsStore: one pickle per run, rewritten on every call."""

    def __init__(self, path, fsync=False):
        self.training_stats = os.path.join(path, "training_stats")
        self.validation_scores = os.path.join(path, "validation_scores")
        self.fsync = fsync
        os.makedirs(self.training_stats, exist_ok=True)
        os.makedirs(self.validation_scores, exist_ok=True)

    def _load(self, path):
        if not os.path.exists(path):
            return []
        with open(path, "rb") as fd:
            return pickle.load(fd)

    def _dump(self, path, docs):
        with open(path, "wb") as fd:
            pickle.dump(docs, fd)
            if self.fsync:
                fd.flush()
                os.fsync(fd.fileno())

    def _read_training(self, run_name):
        docs = self._load(os.path.join(self.training_stats, run_name))
        return docs, TrainingStats(structure_training(docs))

    def store_training_stats(self, run_name, stats):
        docs, existing = self._read_training(run_name)
        begin = 0
        if existing.trained_until() > 0 and stats.trained_until() > 0:
            if stats.trained_until() > existing.trained_until():
                begin = existing.trained_until()
            else:
                docs = []  # behind what is stored: overwrite
        new = unstructure_training(s for s in stats.iteration_stats if s.iteration >= begin)
        for doc in new:
            doc["run_name"] = run_name
        if new:
            self._dump(os.path.join(self.training_stats, run_name), docs + new)

    def retrieve_training_stats(self, run_name):
        return self._read_training(run_name)[1]

    def _read_validation(self, run_name):
        return structure_scores(self._load(os.path.join(self.validation_scores, run_name)))

    def store_validation_iteration_scores(self, run_name, scores):
        existing = self._read_validation(run_name)
        scores.compare(existing)  # DaCapo rewrites every score below the end either way
        end = scores.validated_until() + 1
        docs = [unstructure_scores(s) for s in scores.scores if s.iteration < end]
        for doc in docs:
            doc["run_name"] = run_name
        if docs:
            self._dump(os.path.join(self.validation_scores, run_name), docs)

    def retrieve_validation_iteration_scores(self, run_name):
        return self._read_validation(run_name)


def subsample_targets(first, last, n):
    """statstore.SubsampleTargets: evenly spaced target iterations."""
    span = last - first
    if n < 2 or span == 0:
        return [first]
    if span + 1 <= n:
        return list(range(first, last + 1))
    out = []
    for k in range(n):
        t = first + k * span // (n - 1)
        if not out or out[-1] != t:
            out.append(t)
    return out


def subsample(stats, n):
    """statstore.Subsample in stride mode over a retrieved history."""
    its = [s.iteration for s in stats]
    out = []
    for t in subsample_targets(its[0], its[-1], n):
        s = stats[bisect.bisect_left(its, t)]
        if not out or out[-1] is not s:
            out.append(s)
    return out


def store_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def check_new_dir(path):
    if os.path.exists(path) and os.listdir(path):
        sys.exit("dacapo_baseline: --dir %s is not empty: the benchmark measures a new store" % path)


def bench_train(args):
    run = "bench_train"
    store = FileStatsStore(args.dir, args.fsync)
    stats = TrainingStats()
    write, calls = 0.0, 0
    for i in range(args.iterations):
        stats.add_iteration_stats(TrainingIterationStats(i, 1 / (i + 1), 0.01))
        if (i + 1) % args.every == 0 or i == args.iterations - 1:
            start = time.perf_counter()
            store.store_training_stats(run, stats)
            write += time.perf_counter() - start
            calls += 1
    read = sub = None
    for _ in range(READ_REPEATS):
        start = time.perf_counter()
        got = FileStatsStore(args.dir).retrieve_training_stats(run)
        read = fastest(read, time.perf_counter() - start)
        if len(got.iteration_stats) != args.iterations:
            sys.exit("dacapo_baseline: read back %d entries, want %d" % (len(got.iteration_stats), args.iterations))
        start = time.perf_counter()
        pts = subsample(FileStatsStore(args.dir).retrieve_training_stats(run).iteration_stats, MAX_POINTS)
        sub = fastest(sub, time.perf_counter() - start)
        if pts[-1].iteration != args.iterations - 1:
            sys.exit("dacapo_baseline: subsample ends at %d, want %d" % (pts[-1].iteration, args.iterations - 1))
    return {
        "workload": "train", "iterations": args.iterations, "every": args.every, "checkpoints": calls,
        "calls": calls, "sync": args.fsync, "write_s": write, "read_s": read, "subsample_s": sub,
        "bytes": store_size(args.dir),
    }


def bench_validation(args):
    run = "bench_validation"
    store = FileStatsStore(args.dir, args.fsync)
    rng = random.Random(1)
    scores = ValidationScores()
    write = 0.0
    for c in range(1, args.checkpoints + 1):
        s = [[[rng.random() for _ in range(args.criteria)] for _ in range(args.parameters)] for _ in range(args.datasets)]
        scores.add_iteration_scores(ValidationIterationScores(c * args.every, s))
        start = time.perf_counter()
        store.store_validation_iteration_scores(run, scores)
        write += time.perf_counter() - start
    read = None
    for _ in range(READ_REPEATS):
        start = time.perf_counter()
        got = FileStatsStore(args.dir).retrieve_validation_iteration_scores(run)
        read = fastest(read, time.perf_counter() - start)
        if len(got) != args.checkpoints:
            sys.exit("dacapo_baseline: read back %d checkpoints, want %d" % (len(got), args.checkpoints))
    return {
        "workload": "validation", "iterations": args.checkpoints * args.every, "every": args.every,
        "checkpoints": args.checkpoints, "calls": args.checkpoints, "sync": args.fsync, "write_s": write,
        "read_s": read, "subsample_s": None, "bytes": store_size(args.dir),
    }


def positive(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError("%s: want an integer >= 1" % text)
    return v


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="workload", required=True)
    for name in ("train", "validation"):
        w = sub.add_parser(name)
        w.add_argument("--dir", required=True, help="a new (or empty) directory")
        w.add_argument("--every", type=positive, default=1000)
        w.add_argument("--fsync", action="store_true", help="fsync every pickle (DaCapo does not)")
    t = sub.choices["train"]
    t.add_argument("--iterations", type=positive, default=10_000)
    v = sub.choices["validation"]
    v.add_argument("--checkpoints", type=positive, default=100)
    v.add_argument("--datasets", type=positive, default=2)
    v.add_argument("--parameters", type=positive, default=9)
    v.add_argument("--criteria", type=positive, default=21, help="number of criteria (binary segmentation: 21)")
    args = p.parse_args(argv)
    check_new_dir(args.dir)
    res = bench_train(args) if args.workload == "train" else bench_validation(args)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
