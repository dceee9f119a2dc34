"""patch_dacapo() against DaCapo's real dacapo/store/create_store.py (python3 -m unittest).

With $DACAPO_SRC naming a DaCapo checkout (the directory holding the
`dacapo` package, e.g. a clone of github.com/janelia-cellmap/dacapo), the
test imports DaCapo's own dacapo.store.create_store, dacapo.train and
dacapo.validate; without it, the committed stand-in
testdata/dacapo_standin/ (the same layout and create_stats_store()
signature), so the test always runs. Either way DaCapo's dependencies that
are not installed (torch, pymongo, funlib, upath, ...) and DaCapo's other
modules (dacapo.experiments, whose import needs torch) are stubbed in
sys.modules; the store modules (but conversion_hooks), train and validate
run as they are.
"""

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import inspect
import os
import shutil
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import statstore_client as sc  # noqa: E402

STANDIN = os.path.join(HERE, "testdata", "dacapo_standin")
# DaCapo's modules that run as they are; every other dacapo.* module is stubbed, and so is
# dacapo.store.conversion_hooks: its `from dacapo.experiments.<...> import *` lines are the whole
# experiments tree (torch models, gunpowder pipelines), which a star import of a stub cannot name.
REAL = ("dacapo.store", "dacapo.train", "dacapo.validate")
STUBBED = ("dacapo.store.conversion_hooks",)


class _Anything:
    """What a stubbed name is: callable, subscriptable, a base class, a decorator that changes nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and (isinstance(args[0], type) or inspect.isfunction(args[0])):
            return args[0]  # used as a decorator (@attr.s, @torch.no_grad())
        return _Anything()

    def __mro_entries__(self, bases):
        return ()  # class X(stubbed.Base): X derives from the other bases only

    def __getitem__(self, key):
        return _Anything()

    def __iter__(self):
        return iter(())

    def __or__(self, other):
        return self

    __ror__ = __or__


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = _Anything()
        setattr(self, name, value)
        return value


class _StubLoader(importlib.abc.Loader):
    def __init__(self, stubbed, path=None):
        self.stubbed, self.path = stubbed, path

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module):
        module.__path__ = [self.path] if self.path else []
        self.stubbed.append(module.__name__)


class _DaCapoFinder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: the dacapo package without its __init__ (which imports everything), and
    DaCapo's modules other than REAL as stubs."""

    def __init__(self, src, stubbed):
        self.src, self.stubbed = src, stubbed

    def find_spec(self, name, path=None, target=None):
        if name == "dacapo":
            return importlib.machinery.ModuleSpec(name, _StubLoader(self.stubbed, os.path.join(self.src, "dacapo")), is_package=True)
        if name in STUBBED or name.startswith("dacapo.") and not any(name == r or name.startswith(r + ".") for r in REAL):
            return importlib.machinery.ModuleSpec(name, _StubLoader(self.stubbed), is_package=True)
        return None  # found in the checkout by the usual path finder


class _MissingFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a module nothing else found (a dependency not installed) is a stub."""

    def __init__(self, stubbed):
        self.stubbed = stubbed

    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, _StubLoader(self.stubbed), is_package=True)


@contextlib.contextmanager
def dacapo_from(src):
    """Makes `import dacapo...` load DaCapo from src as described above; undone on exit. Yields the stubbed names."""
    before = set(sys.modules)
    stubbed = []
    first, last = _DaCapoFinder(src, stubbed), _MissingFinder(stubbed)
    sys.meta_path.insert(0, first)
    sys.meta_path.append(last)
    try:
        yield stubbed
    finally:
        sys.meta_path.remove(first)
        sys.meta_path.remove(last)
        for name in set(sys.modules) - before:
            del sys.modules[name]


class PatchRealDaCapoTest(unittest.TestCase):
    def test_create_stats_store_returns_the_client(self):
        src = os.environ.get("DACAPO_SRC") or STANDIN
        with self.subTest(dacapo=src), dacapo_from(src) as stubbed:
            create_store = importlib.import_module("dacapo.store.create_store")
            train = importlib.import_module("dacapo.train")
            validate = importlib.import_module("dacapo.validate")
            # DaCapo's own files ran, not stubs.
            want = os.path.realpath(os.path.join(src, "dacapo", "store", "create_store.py"))
            self.assertEqual(os.path.realpath(create_store.__file__), want)
            for m in (train, validate):
                self.assertNotIn(m.__name__, stubbed)
                self.assertIs(m.create_stats_store, create_store.create_stats_store, "%s imports create_stats_store by name" % m.__name__)
            self.assertNotIn("dacapo.store.create_store", stubbed)
            self.assertEqual(list(inspect.signature(create_store.create_stats_store).parameters), [], "create_stats_store() takes no arguments")
            original = create_store.create_stats_store

            spool = tempfile.mkdtemp(prefix="statstore-spool-")
            self.addCleanup(shutil.rmtree, spool, True)
            store = sc.HttpStatsStore("http://127.0.0.1:9", spool_dir=spool)
            self.addCleanup(store.close)
            patched = sc.patch_dacapo(store)

            for name in ("dacapo.store.create_store", "dacapo.train", "dacapo.validate"):
                self.assertIn(name, patched)
                self.assertIs(sys.modules[name].create_stats_store(), store, name)
            # What DaCapo's code calls at run time now answers the client.
            self.assertIs(train.create_stats_store(), store)
            try:
                before = original()
            except ValueError:
                before = None  # the stubbed Options name no store type DaCapo knows
            self.assertNotIsInstance(before, sc.HttpStatsStore)


class StubTest(unittest.TestCase):
    """The stubs are what the loader needs, and nothing leaks out of dacapo_from."""

    def test_stubs(self):
        with dacapo_from(STANDIN) as stubbed:
            importlib.import_module("dacapo.store.create_store")
            self.assertIn("dacapo", stubbed)
            self.assertNotIn("os", stubbed)
        self.assertNotIn("dacapo", sys.modules)
        self.assertNotIn("dacapo.store.create_store", sys.modules)

        class Base:
            pass

        x = _Anything()
        self.assertIs(x(Base), Base)

        class Derived(x.Base, Base):
            pass

        self.assertEqual(Derived.__mro__[1:], (Base, object))


if __name__ == "__main__":
    unittest.main()
