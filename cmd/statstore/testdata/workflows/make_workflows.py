#!/usr/bin/env python3
"""Writes DaCapo stats directories of the DaCapo workflows of issue 11 (standard library only).

    python3 make_workflows.py

Each directory next to this script is what DaCapo's FileStatsStore leaves on disk
after the workflow of its name. The lists are built the way DaCapo builds them:
ValidationScores.add_iteration_scores appends in call order, and
FileStatsStore.store_validation_iteration_scores pickles every entry of the
in-memory list whose iteration is below validated_until() + 1 (so the whole list,
repeated and unsorted entries included); store_training_stats appends when the new
stats go further and otherwise deletes the file and writes the new list
(a resume from an earlier checkpoint). run_config.resume_training deletes the
in-memory validations at and after the iteration it resumes from.

  revalidate/     train to 1200 validating 400, 800, 1200; then `dacapo validate
                  RUN 800` scores 800 again (different scores):
                  validation file [400, 800, 1200, 800]
  late/           train to 800 validating 400, 800; then `dacapo validate RUN 0`:
                  validation file [400, 800, 0]
  resume_mid/     train to 3456 validating 1000, 2000, 3000; resume from checkpoint
                  2000 and train to 2500: the training file holds 0..2499, the
                  validation file still [1000, 2000, 3000] (the old branch's 3000)
  resume_done/    resume_mid, then train to 3100 and validate 3000 again: the
                  validation file [1000, 3000] with the new branch's scores

expected.json names, per directory and run, the training iterations' range and
the validation entries as the store must read them (merged by iteration, last entry
wins, sorted), each with its scores and whether it is superseded (after the
training's end: belongs to weights the resumed training overwrote).
"""

import json
import os
import pickle
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = "workflow_run"
DATASETS, PARAMETERS, CRITERIA = 2, 2, 2


def loss(it, branch):
    return 1.0 / (1 + it) + 0.5 * branch


def scores(it, branch):
    """Scores shaped [dataset][parameters][criterion], distinct per iteration and branch."""
    return [[[round(it / 10000 + d / 10 + p / 100 + c / 1000 + branch / 2, 6)
              for c in range(CRITERIA)] for p in range(PARAMETERS)] for d in range(DATASETS)]


class DaCapoFiles:
    """What DaCapo's FileStatsStore keeps for one run, written as it writes it."""

    def __init__(self, root):
        self.root = root
        self.training = []  # in-memory TrainingStats.iteration_stats
        self.validation = []  # in-memory ValidationScores.scores

    def train(self, until, branch=0):
        start = self.training[-1]["iteration"] + 1 if self.training else 0
        for it in range(start, until):
            self.training.append({"iteration": it, "loss": loss(it, branch), "time": 0.25})
        self.store_training()

    def store_training(self):
        docs = [dict(d, run_name=RUN) for d in self.training]
        self._write("training_stats", docs)

    def validate(self, it, branch=0):
        self.validation.append({"iteration": it, "scores": scores(it, branch)})
        until = max(d["iteration"] for d in self.validation) + 1
        docs = [dict(d, run_name=RUN) for d in self.validation if d["iteration"] < until]
        self._write("validation_scores", docs)

    def resume_from(self, checkpoint):
        # run_config.resume_training: stats after the latest weights are deleted
        # in memory (delete_after keeps iterations below the checkpoint).
        self.training = [d for d in self.training if d["iteration"] < checkpoint]
        self.validation = [d for d in self.validation if d["iteration"] < checkpoint]

    def _write(self, kind, docs):
        os.makedirs(os.path.join(self.root, kind), exist_ok=True)
        with open(os.path.join(self.root, kind, RUN), "wb") as f:
            pickle.dump(docs, f)


def workflow(name):
    root = os.path.join(HERE, name)
    shutil.rmtree(root, ignore_errors=True)
    return DaCapoFiles(root)


def expect(training_until, entries, superseded_after=None):
    out = []
    for it, branch in entries:
        out.append({"iteration": it, "scores": scores(it, branch),
                    "superseded": superseded_after is not None and it > superseded_after})
    return {"trained_until": training_until, "validation": out}


def main():
    expected = {}

    w = workflow("revalidate")
    for ck in (400, 800, 1200):
        w.train(ck)
        w.validate(ck)
    w.validate(800, branch=1)  # re-validation with other post-processing results
    expected["revalidate"] = expect(1200, [(400, 0), (800, 1), (1200, 0)])

    w = workflow("late")
    for ck in (400, 800):
        w.train(ck)
        w.validate(ck)
    w.validate(0)
    expected["late"] = expect(800, [(0, 0), (400, 0), (800, 0)])

    for name in ("resume_mid", "resume_done"):
        w = workflow(name)
        for ck in (1000, 2000, 3000):
            w.train(ck)
            w.validate(ck)
        w.train(3456)
        w.resume_from(2000)
        w.train(2500, branch=1)  # behind the stored stats: DaCapo overwrites
        if name == "resume_mid":
            expected[name] = expect(2500, [(1000, 0), (2000, 0), (3000, 0)], superseded_after=2500)
            continue
        w.train(3000, branch=1)
        w.validate(3000, branch=1)
        w.train(3100, branch=1)
        expected[name] = expect(3100, [(1000, 0), (3000, 1)])

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
