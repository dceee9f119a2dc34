"""`pip install ./python` installs the client (python3 -m unittest).

pip builds the package with setuptools: normally it fetches setuptools into
an isolated build environment; offline (as here) the test uses an
interpreter that has setuptools, wheel and pip installed
($STATSTORE_PACKAGING_PYTHON, this one, or Debian's /usr/bin/python3, which
scripts/test.sh provides) with --no-build-isolation --no-index, and installs
into a temporary directory.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def _can_build(python):
    try:
        return subprocess.run([python, "-c", "import setuptools, wheel, pip"], capture_output=True).returncode == 0
    except OSError:
        return False


def _build_python():
    for python in (os.environ.get("STATSTORE_PACKAGING_PYTHON"), sys.executable, "/usr/bin/python3"):
        if python and _can_build(python):
            return python
    return None


class PipInstallTest(unittest.TestCase):
    def test_pip_install_installs_the_client(self):
        python = _build_python()
        if python is None:
            if os.environ.get("CI"):
                self.fail("no python3 with setuptools, wheel and pip to build the package (scripts/test.sh installs them)")
            self.skipTest("no python3 with setuptools, wheel and pip here (install python3-setuptools python3-wheel python3-pip)")
        tmp = tempfile.mkdtemp(prefix="statstore-pip-")
        self.addCleanup(shutil.rmtree, tmp, True)
        # A copy of the source, so that the build leaves nothing in the repository.
        src = os.path.join(tmp, "src")
        shutil.copytree(HERE, src, ignore=shutil.ignore_patterns("__pycache__", "testdata", "build", "*.egg-info"))
        target = os.path.join(tmp, "site")
        out = subprocess.run(
            [python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps", "--target", target, src],
            capture_output=True,
            text=True,
        )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        with open(os.path.join(HERE, "pyproject.toml")) as f:
            version = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
        env = dict(os.environ, PYTHONPATH=target)
        got = subprocess.run(
            [python, "-I", "-c", "import sys; sys.path.insert(0, %r); import statstore_client as sc; print(sc.__version__); print(sc.__file__); print(sc.HttpStatsStore.__name__)" % target],
            capture_output=True,
            text=True,
            env=env,
        )
        self.assertEqual(got.returncode, 0, got.stderr)
        lines = got.stdout.split()
        self.assertEqual(lines[0], version, "statstore_client.__version__ and pyproject.toml's version differ")
        self.assertEqual(os.path.dirname(lines[1]), target)
        self.assertEqual(lines[2], "HttpStatsStore")
        with open(os.path.join(HERE, "statstore_client.py"), "rb") as a, open(lines[1], "rb") as b:
            self.assertEqual(a.read(), b.read(), "the installed module is not the repository's")
        dist = [d for d in os.listdir(target) if d.endswith(".dist-info")]
        self.assertEqual(dist, ["statstore_client-%s.dist-info" % version])


if __name__ == "__main__":
    unittest.main()
