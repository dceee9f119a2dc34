"""Stand-in for dacapo/train.py: imports create_stats_store by name, as DaCapo's does."""

import torch  # noqa: F401  (heavy: stubbed by the test)

from dacapo.store.create_store import create_stats_store


def train(run_name):
    stats_store = create_stats_store()
    return stats_store.retrieve_training_stats(run_name)
