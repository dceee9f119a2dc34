"""Stand-in for dacapo/options.py: the global options (store type, base directory)."""

import os


class Options:
    @classmethod
    def instance(cls):
        o = cls()
        o.type = os.environ.get("DACAPO_STORE_TYPE", "files")
        o.runs_base_dir = os.path.expanduser("~/dacapo")
        o.mongo_db_host = o.mongo_db_name = None
        return o
