"""Stand-in for dacapo/store/create_store.py: create_stats_store() from the global Options."""

from upath import UPath as Path

from dacapo import Options

from .file_stats_store import FileStatsStore
from .mongo_stats_store import MongoStatsStore


def create_stats_store():
    """The stats store the global DaCapo options name (as DaCapo's: no arguments)."""
    options = Options.instance()
    if options.type == "mongo":
        return MongoStatsStore(options.mongo_db_host, options.mongo_db_name)
    elif options.type == "files":
        return FileStatsStore(Path(options.runs_base_dir) / "stats")
    else:
        raise ValueError(f"Unknown store type {options.type}")
