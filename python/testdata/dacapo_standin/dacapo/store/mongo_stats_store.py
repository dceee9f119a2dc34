"""Stand-in for dacapo/store/mongo_stats_store.py."""

from pymongo import MongoClient  # noqa: F401  (heavy: stubbed by the test)

from .file_stats_store import FileStatsStore


class MongoStatsStore(FileStatsStore):
    def __init__(self, db_host, db_name):
        super().__init__(None)
        self.db_host, self.db_name = db_host, db_name
