"""The deterministic history the kill tests write and check."""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import statstore_client as sc  # noqa: E402

RUN = "killed_run"
CRITERIA = [
    {"name": "f1", "higher_is_better": True, "bounds": [0, 1], "store_best": True},
    {"name": "voi", "higher_is_better": False, "bounds": [0, float("nan")], "store_best": False},
]


def loss(i):
    if i % 997 == 13:
        return float("nan")
    if i % 1999 == 7:
        return float("inf")
    return 1.0 / (i + 1) + (i % 7) * 1e-17


def training_entry(i):
    return sc.TrainingIterationStats(i, loss(i), 0.001 * (i % 13))


def validation_scores():
    return sc.ValidationScores(
        [sc.Parameters(0, "threshold_0.5", {"threshold": 0.5})],
        [sc.Dataset("crop_a"), sc.Dataset("crop_b")],
        sc.EvaluationScores(CRITERIA),
    )


def scores(it):
    return [[[it / 1e6, float("nan") if it % 3000 == 0 else it / 7.0]] for _ in range(2)]


def validation_entry(it):
    return sc.ValidationIterationScores(it, scores(it))


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))
