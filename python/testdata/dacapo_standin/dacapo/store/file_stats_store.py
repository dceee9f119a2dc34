"""Stand-in for dacapo/store/file_stats_store.py (pickle files under a directory)."""

from upath import UPath as Path  # noqa: F401  (a dependency DaCapo has; stubbed by the test when missing)

from .stats_store import StatsStore


class FileStatsStore(StatsStore):
    def __init__(self, path):
        self.path = path

    def store_training_stats(self, run_name, training_stats):
        raise NotImplementedError("stand-in")

    def retrieve_training_stats(self, run_name):
        raise NotImplementedError("stand-in")

    def store_validation_iteration_scores(self, run_name, validation_scores):
        raise NotImplementedError("stand-in")

    def retrieve_validation_iteration_scores(self, run_name):
        raise NotImplementedError("stand-in")

    def delete_training_stats(self, run_name):
        raise NotImplementedError("stand-in")
