"""Stand-in for dacapo/store/stats_store.py: the StatsStore interface."""

from abc import ABC, abstractmethod


class StatsStore(ABC):
    @abstractmethod
    def store_training_stats(self, run_name, training_stats):
        pass

    @abstractmethod
    def retrieve_training_stats(self, run_name):
        pass

    @abstractmethod
    def store_validation_iteration_scores(self, run_name, validation_scores):
        pass

    @abstractmethod
    def retrieve_validation_iteration_scores(self, run_name):
        pass

    @abstractmethod
    def delete_training_stats(self, run_name):
        pass
