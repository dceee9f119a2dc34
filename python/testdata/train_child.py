"""A training process for the kill tests: stores DaCapo-style into URL until killed.

Usage: train_child.py URL SPOOL_DIR. Every 100 iterations it stores the
whole, growing training stats; every 1000 it validates the checkpoint and
stores the validation scores; every 500 it flushes and prints
"durable <trained until> <validations>" (what the spool holds for sure).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import statstore_client as sc  # noqa: E402
import spool_data as data  # noqa: E402


def main():
    url, spool = sys.argv[1], sys.argv[2]
    store = sc.HttpStatsStore(url, spool_dir=spool, use_dacapo_classes=False, timeout=5)
    stats = sc.TrainingStats()
    scores = data.validation_scores()
    i = 0
    while True:
        stats.add_iteration_stats(data.training_entry(i))
        i += 1
        if i % 100 == 0:
            store.store_training_stats(data.RUN, stats)
        if i % 1000 == 0:
            scores.add_iteration_scores(data.validation_entry(i))
            store.store_validation_iteration_scores(data.RUN, scores)
        if i % 500 == 0:
            store.flush()
            print("durable %d %d" % (i, i // 1000), flush=True)


if __name__ == "__main__":
    main()
