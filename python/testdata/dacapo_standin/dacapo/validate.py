"""Stand-in for dacapo/validate.py: imports create_stats_store by name, as DaCapo's does."""

import torch  # noqa: F401  (heavy: stubbed by the test)

from .store.create_store import create_stats_store


def validate_run(run_name):
    stats_store = create_stats_store()
    return stats_store.retrieve_validation_iteration_scores(run_name)
