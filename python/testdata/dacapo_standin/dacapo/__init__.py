"""A stand-in for DaCapo's package with the layout and signatures patch_dacapo relies on.

It mirrors janelia-cellmap/dacapo: dacapo/store/create_store.py defines
create_stats_store() (no arguments) choosing the store from Options, and
dacapo.train and dacapo.validate import create_stats_store by name. Like
DaCapo's, this __init__ imports the heavy modules; the test loads the
package without running it (test_dacapo_patch.py). Not DaCapo's code.
"""

from .options import Options  # noqa: F401
from .train import train  # noqa: F401
from .validate import validate_run  # noqa: F401
