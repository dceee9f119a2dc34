"""A DaCapo StatsStore that writes to a statstore server over HTTP.

``HttpStatsStore(url, token=None)`` implements the five methods of DaCapo's
``dacapo.store.stats_store.StatsStore`` -- ``store_training_stats``,
``retrieve_training_stats``, ``store_validation_iteration_scores``,
``retrieve_validation_iteration_scores`` and ``delete_training_stats`` --
against ``statstore serve`` (its JSON API is described in docs/api.md), so
that training jobs on a cluster write to one server that a dashboard follows
live. It needs only the Python standard library (Python >= 3.8).

It is duck-typed on DaCapo's objects: training stats are anything with
``iteration_stats`` whose items have ``iteration``, ``loss`` and ``time``;
validation scores are anything with ``scores`` (items with ``iteration`` and
``scores[dataset][parameter set][criterion]``), ``datasets`` (objects with a
``name``), ``parameters`` (objects with an ``id``; their display name is
``str(p)``) and ``evaluation_scores`` (with ``criteria`` and the methods
``higher_is_better(c)``, ``bounds(c)`` and ``store_best(c)``). Numbers may be
numpy scalars or arrays; NaN and infinities travel losslessly.

Retrieval returns DaCapo's classes (``TrainingStats``,
``TrainingIterationStats``, ``ValidationIterationScores``) when ``dacapo`` is
importable, and look-alike classes of this module with the same attributes
and methods otherwise.

The server applies the rules of the statstore specification: storing
training stats that reach further than the stored ones appends the new
iterations (this client sends only those), stats that do not reach further
(training resumed from an earlier checkpoint) replace the stored ones;
validation scores merge by iteration (the last entry of an iteration wins).

Offline-first: the store calls return at once and a background thread
sends them; while the server cannot take them they go to an fsynced local
spool (SpoolWarning), replayed in order when it is back, by the next client
of the server, or by ``statstore sync``. See HttpStatsStore and
python/README.md.
"""

import array
import atexit
import bisect
import collections
import dataclasses
import datetime
import enum
import errno
import fcntl
import http.client
import json
import math
import numbers
import os
import socket
import struct
import sys
import threading
import time as _time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "HttpStatsStore",
    "patch_dacapo",
    "StatsStoreError",
    "SpoolCorruptError",
    "SpoolWarning",
    "default_spool_root",
    "TrainingIterationStats",
    "TrainingStats",
    "ValidationIterationScores",
    "ValidationScores",
    "Dataset",
    "Parameters",
    "EvaluationScores",
]

__version__ = "1.1"


# ---------------------------------------------------------------------------
# Errors


class StatsStoreError(Exception):
    """An error answered by the server (or no answer at all).

    ``status`` is the HTTP status (0 when the server could not be reached),
    ``code`` the API's error code (``invalid_run_name``, ``out_of_order``,
    ``shape_mismatch``, ``metadata_mismatch``, ``not_found``,
    ``unauthorized``, ``body_too_large``, ...; see docs/api.md) and
    ``message`` what was wrong and what was expected.
    """

    def __init__(self, status: int, code: str, message: str):
        super().__init__("statstore: %s (%s, HTTP %d)" % (message, code, status) if status else "statstore: " + message)
        self.status = status
        self.code = code
        self.message = message


class SpoolCorruptError(StatsStoreError):
    """A spool file damaged before its end (not a torn tail): ``path`` and byte ``offset``.

    The file is left in place, unreplayed: inspect it, or replay its valid
    records with ``statstore sync``.
    """

    def __init__(self, path: str, offset: int, what: str):
        super().__init__(0, "spool_corrupt", "spool %s: corrupt at byte %d: %s" % (path, offset, what))
        self.path = path
        self.offset = offset


class SpoolWarning(UserWarning):
    """Store calls went to the local spool (the server could not take them), or stay there at exit."""


# ---------------------------------------------------------------------------
# Look-alikes of DaCapo's classes, used when dacapo is not installed.


class TrainingIterationStats:
    """What one training step logged: ``iteration``, ``loss``, ``time`` (seconds)."""

    __slots__ = ("iteration", "loss", "time")

    def __init__(self, iteration: int, loss: float, time: float):
        self.iteration = iteration
        self.loss = loss
        self.time = time

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, TrainingIterationStats)
            and self.iteration == other.iteration
            and _same_float(self.loss, other.loss)
            and _same_float(self.time, other.time)
        )

    def __repr__(self) -> str:
        return "TrainingIterationStats(iteration=%r, loss=%r, time=%r)" % (self.iteration, self.loss, self.time)


class TrainingStats:
    """A run's training history, like ``dacapo.experiments.TrainingStats``."""

    def __init__(self, iteration_stats: Optional[List[TrainingIterationStats]] = None):
        self.iteration_stats = list(iteration_stats) if iteration_stats is not None else []

    def add_iteration_stats(self, iteration_stats: TrainingIterationStats) -> None:
        """Appends one step; its iteration must be greater than the last one."""
        if self.iteration_stats and iteration_stats.iteration <= self.iteration_stats[-1].iteration:
            raise ValueError(
                "iteration %d is not after the last stored iteration %d; rewind with delete_after"
                % (iteration_stats.iteration, self.iteration_stats[-1].iteration)
            )
        self.iteration_stats.append(iteration_stats)

    def delete_after(self, iteration: int) -> None:
        """Keeps the steps with iteration < ``iteration``."""
        self.iteration_stats = [s for s in self.iteration_stats if s.iteration < iteration]

    def trained_until(self) -> int:
        """The last iteration + 1, or 0 when empty."""
        return self.iteration_stats[-1].iteration + 1 if self.iteration_stats else 0

    def to_xarray(self):
        """The losses as an xarray.DataArray with dimension "iterations" (needs xarray)."""
        import xarray as xr  # only this method needs it

        return xr.DataArray(
            [s.loss for s in self.iteration_stats],
            dims=("iterations",),
            coords={"iterations": [s.iteration for s in self.iteration_stats]},
        )

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TrainingStats) and self.iteration_stats == other.iteration_stats

    def __repr__(self) -> str:
        return "TrainingStats(%d iterations, trained until %d)" % (len(self.iteration_stats), self.trained_until())


class ValidationIterationScores:
    """The scores of one validated checkpoint: ``scores[dataset][parameter set][criterion]``."""

    __slots__ = ("iteration", "scores")

    def __init__(self, iteration: int, scores: List[List[List[float]]]):
        self.iteration = iteration
        self.scores = scores

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, ValidationIterationScores)
            and self.iteration == other.iteration
            and _same_nested(self.scores, other.scores)
        )

    def __repr__(self) -> str:
        return "ValidationIterationScores(iteration=%r, scores=%r)" % (self.iteration, self.scores)


class Dataset:
    """A validation dataset, known by its name (DaCapo datasets have a ``name``)."""

    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return "Dataset(%r)" % self.name

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Dataset) and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)


class Parameters:
    """A post-processing parameter set: ``id``, named ``values`` and its display name (``str(p)``)."""

    def __init__(self, id: int, name: str, values: Optional[Dict[str, Any]] = None):
        self.id = id
        self.name = name
        self.values = dict(values or {})
        for k, v in self.values.items():
            if k not in ("id", "name", "values", "parameter_names"):
                setattr(self, k, v)

    @property
    def parameter_names(self) -> List[str]:
        """The names of the values (``["id"]`` when there are none), as in DaCapo."""
        return list(self.values) or ["id"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return "Parameters(id=%r, name=%r, values=%r)" % (self.id, self.name, self.values)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Parameters) and (self.id, self.name, self.values) == (other.id, other.name, other.values)

    def __hash__(self) -> int:
        return hash((self.id, self.name))


class EvaluationScores:
    """The criteria of validation scores and their properties, like DaCapo's EvaluationScores."""

    def __init__(self, criteria: Sequence[Dict[str, Any]]):
        self._by_name = {c["name"]: c for c in criteria}
        self.criteria = [c["name"] for c in criteria]

    def higher_is_better(self, criterion: str) -> bool:
        return bool(self._by_name[criterion]["higher_is_better"])

    def bounds(self, criterion: str) -> Tuple[Optional[float], Optional[float]]:
        lo, hi = self._by_name[criterion].get("bounds") or (None, None)
        return (None if lo is None else _from_json_float(lo), None if hi is None else _from_json_float(hi))

    def store_best(self, criterion: str) -> bool:
        return bool(self._by_name[criterion].get("store_best", False))

    def __repr__(self) -> str:
        return "EvaluationScores(%r)" % self.criteria


class ValidationScores:
    """A run's validation scores with their metadata, like DaCapo's ValidationScores."""

    def __init__(self, parameters: List[Any], datasets: List[Any], evaluation_scores: Any, scores: Optional[List[Any]] = None):
        self.parameters = parameters
        self.datasets = datasets
        self.evaluation_scores = evaluation_scores
        self.scores = list(scores) if scores is not None else []

    @property
    def criteria(self) -> List[str]:
        return list(self.evaluation_scores.criteria)

    @property
    def parameter_names(self) -> List[str]:
        for p in self.parameters:
            names = [n for n in getattr(p, "parameter_names", []) if n != "id"]
            if names:
                return names
        return ["id"]

    def subscores(self, iteration_scores: List[Any]) -> "ValidationScores":
        """New scores with the same metadata holding only the given entries (each one of ours)."""
        for s in iteration_scores:
            if not any(s is t or s == t for t in self.scores):
                raise ValueError("iteration %d is not one of these scores" % s.iteration)
        return ValidationScores(self.parameters, self.datasets, self.evaluation_scores, list(iteration_scores))

    def add_iteration_scores(self, iteration_scores: Any) -> None:
        """Inserts one checkpoint's scores in iteration order; a second entry for an iteration is an error."""
        if any(s.iteration == iteration_scores.iteration for s in self.scores):
            raise ValueError("iteration %d already has scores" % iteration_scores.iteration)
        self.scores.append(iteration_scores)
        self.scores.sort(key=lambda s: s.iteration)

    def delete_after(self, iteration: int) -> None:
        """Keeps the iterations < ``iteration``."""
        self.scores = [s for s in self.scores if s.iteration < iteration]

    def validated_until(self) -> int:
        """The largest validated iteration + 1, or 0 when empty."""
        return max(s.iteration for s in self.scores) + 1 if self.scores else 0

    def compare(self, existing_iteration_scores: List[Any]) -> Tuple[bool, int]:
        """(replace, store_from): how these scores relate to the stored ones."""
        if not existing_iteration_scores:
            return False, 0
        existing_until = max(s.iteration for s in existing_iteration_scores) + 1
        if existing_until > self.validated_until():
            return True, 0
        return False, existing_until

    def to_xarray(self):
        """The scores as a 4-D xarray.DataArray (iterations, datasets, parameters, criteria); needs xarray."""
        import xarray as xr  # only this method needs it

        return xr.DataArray(
            [s.scores for s in self.scores],
            dims=("iterations", "datasets", "parameters", "criteria"),
            coords={
                "iterations": [s.iteration for s in self.scores],
                "datasets": [d.name for d in self.datasets],
                "parameters": [str(p) for p in self.parameters],
                "criteria": self.criteria,
            },
        )

    def __repr__(self) -> str:
        return "ValidationScores(%d datasets, %d parameter sets, %d criteria, validated until %d)" % (
            len(self.datasets),
            len(self.parameters),
            len(self.criteria),
            self.validated_until(),
        )


# ---------------------------------------------------------------------------
# Numbers on the wire: NaN and infinities as the strings "NaN", "Infinity" and
# "-Infinity" (standard JSON); numpy scalars and arrays through float()/tolist().


def _to_json_float(v: Any) -> Any:
    f = float(v)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


def _from_json_float(v: Any) -> float:
    if isinstance(v, str):
        if v.startswith("NaN"):  # "NaN", or the exact form "NaN:0x..."
            return float("nan")
        return float(v)  # "Infinity", "-Infinity"
    return float(v)


def _to_list(v: Any) -> Any:
    tolist = getattr(v, "tolist", None)  # numpy arrays (and scalars)
    return tolist() if callable(tolist) else v


def _scores_to_json(scores: Any) -> List[List[List[Any]]]:
    try:
        return [[[_to_json_float(c) for c in _to_list(p)] for p in _to_list(d)] for d in _to_list(scores)]
    except (TypeError, ValueError) as e:
        raise ValueError("scores must be numbers nested [dataset][parameter set][criterion]: %s" % e) from None


def _scores_from_json(scores: List[Any]) -> List[List[List[float]]]:
    return [[[_from_json_float(c) for c in p] for p in d] for d in scores]


def _plain(v: Any) -> Any:
    """A parameter value as JSON can hold it: numpy scalars and tuples (Coordinates) made plain."""
    v = _to_list(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return _to_json_float(v)
    return str(v)


def _same_float(a: float, b: float) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _same_nested(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_nested(x, y) for x, y in zip(a, b))
    return _same_float(a, b)


# ---------------------------------------------------------------------------
# DaCapo's own classes, when it is installed.


def _dacapo_classes() -> Optional[Dict[str, Any]]:
    try:
        import dacapo.experiments as experiments
    except ImportError:
        return None
    names = ("TrainingStats", "TrainingIterationStats", "ValidationIterationScores")
    if not all(hasattr(experiments, n) for n in names):
        return None
    return {n: getattr(experiments, n) for n in names}


# ---------------------------------------------------------------------------
# The spool: an append-only, fsynced local log of the store calls the server
# could not take, replayed in order when it is back. docs/format.md ("Client
# spool") has the byte layout; `statstore sync` reads the same files.
#
#   file    := header record*
#   header  := "STSPOOL\0" | version uint32 (1) | crc32(magic, version) uint32     16 bytes
#   record  := length uint32 | crc32(body) uint32 | crc32(first 8 bytes) uint32 | body
#   body    := type byte | payload                                 (integers little-endian)
#   training   (1): flags byte (1 = the whole history) | run | base int64 | n uint32
#                   | n x iteration int64 | n x loss float64 | n x time float64
#   validation (2): run | meta length uint32 | meta JSON | n uint32 | datasets uint32
#                   | parameter sets uint32 | criteria uint32
#                   | n x (iteration int64 | datasets*sets*criteria x score float64)
#   ack        (3): end offset uint64 (every record ending at or before it was applied)
#   run     := length uint16 | UTF-8

SPOOL_MAGIC = b"STSPOOL\x00"
SPOOL_VERSION = 1
_SPOOL_HEADER = SPOOL_MAGIC + struct.pack("<I", SPOOL_VERSION)
_SPOOL_HEADER += struct.pack("<I", zlib.crc32(_SPOOL_HEADER))
_REC_HEADER = struct.Struct("<III")
_REC_TRAINING, _REC_VALIDATION, _REC_ACK = 1, 2, 3
_MAX_RECORD = 1 << 30  # a length above it is damage, not data
_MAX_REQUEST_ENTRIES = 200_000  # training entries per request (about 13 MB of JSON)
_REJECTED_PREFIX = "rejected-"
TRAINING_COLUMNS = "application/vnd.statstore.training-columns+json"
# The binary training answer the client asks for when it reads a history or a range.
TRAINING_BINARY = "application/vnd.statstore.training+f64le"


def default_spool_root() -> str:
    """The spool root: $STATSTORE_SPOOL_DIR, else $XDG_CACHE_HOME/statstore/spool, else ~/.cache/statstore/spool."""
    root = os.environ.get("STATSTORE_SPOOL_DIR")
    if root:
        return root
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "statstore", "spool")


def _spool_dir_name(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = "".join(c if c.isalnum() or c in ".-_" else "_" for c in (parts.hostname or "localhost"))
    return "%s-%d" % (host, port)


class _Training:
    """A training store call ready to send: the new entries as columns.

    ``whole`` is True when the entries are the whole history (DaCapo's call
    semantics: extend when it reaches further, else replace); False when they
    extend a history known to be trained until ``base``. ``end`` is the spool
    offset where the call's last record ends (0 when not read from a spool).
    """

    __slots__ = ("run", "whole", "base", "its", "losses", "times", "end")
    kind = _REC_TRAINING

    def __init__(self, run, whole, base, its, losses, times, end=0):
        self.run, self.whole, self.base = run, whole, base
        self.its, self.losses, self.times, self.end = its, losses, times, end

    def __len__(self):
        return len(self.its)

    def merge(self, o: "_Training") -> bool:
        """Appends o when both extend a history (sending them in one request does the same).

        A whole history is never merged with what follows: whether it
        replaces the stored history depends on how far it reaches itself.
        """
        if o.run != self.run or o.whole or self.whole or len(self) + len(o) > _MAX_REQUEST_ENTRIES:
            return False
        if len(o.its) and len(self.its) and o.its[0] <= self.its[-1]:
            return False
        self.its.extend(o.its)
        self.losses.extend(o.losses)
        self.times.extend(o.times)
        self.end = o.end
        return True

    def encode(self) -> bytes:
        run = self.run.encode("utf-8")
        return b"".join(
            (
                struct.pack("<BBH", _REC_TRAINING, 1 if self.whole else 0, len(run)),
                run,
                struct.pack("<qI", self.base, len(self.its)),
                _le(self.its),
                _le(self.losses),
                _le(self.times),
            )
        )

    def columns_body(self, lo: int) -> bytes:
        """The columnar body (TRAINING_COLUMNS): one list per field, three times faster to encode.

        Encoded _ENCODE_CHUNK numbers at a time: json.dumps holds the GIL for
        the whole of one call, and the training loop must not wait for a
        large request (a slow server makes them large) to be encoded.
        """
        parts = [b'{"iteration":[', _join_chunks(self.its, lo), b'],"loss":[', _join_chunks(self.losses, lo)]
        parts += [b'],"time":[', _join_chunks(self.times, lo), b"]}"]
        return b"".join(parts)

    def json_body(self, lo: int) -> bytes:
        """The row body every server takes."""
        its, losses, times = self.its[lo:], self.losses[lo:], self.times[lo:]
        return json.dumps(
            {"iteration_stats": [{"iteration": i, "loss": l, "time": t} for i, l, t in zip(its, losses, times)]},
            separators=(",", ":"),
        ).encode("ascii")


class _Validation:
    """A validation store call ready to send: metadata and the new or changed entries."""

    __slots__ = ("run", "meta", "shape", "entries", "end")
    kind = _REC_VALIDATION

    def __init__(self, run, meta, shape, entries, end=0):
        self.run, self.meta, self.shape, self.entries, self.end = run, meta, shape, entries, end

    def __len__(self):
        return len(self.entries)

    def merge(self, o: "_Validation") -> bool:
        if o.run != self.run or o.meta != self.meta:
            return False
        self.entries.extend(o.entries)  # the server keeps the last entry of an iteration
        self.end = o.end
        return True

    def encode(self) -> bytes:
        run = self.run.encode("utf-8")
        meta = json.dumps(self.meta, separators=(",", ":")).encode("utf-8")
        parts = [struct.pack("<BH", _REC_VALIDATION, len(run)), run, struct.pack("<I", len(meta)), meta]
        parts.append(struct.pack("<IIII", len(self.entries), *self.shape))
        for it, flat in self.entries:
            parts.append(struct.pack("<q", it))
            parts.append(_le(flat))
        return b"".join(parts)

    def json_body(self) -> bytes:
        nd, npar, nc = self.shape
        scores = []
        for it, flat in self.entries:
            nested = [[flat[(d * npar + p) * nc : (d * npar + p + 1) * nc].tolist() for p in range(npar)] for d in range(nd)]
            scores.append({"iteration": it, "scores": nested})
        body = dict(self.meta)
        body["scores"] = scores
        return json.dumps(body, separators=(",", ":")).encode("utf-8")


_ENCODE_CHUNK = 2048


def _join_chunks(a: "array.array", lo: int) -> bytes:
    """The numbers of a[lo:] as a JSON list's inside; NaN and infinities as Python's bare tokens (the server takes them)."""
    out = []
    for i in range(lo, len(a), _ENCODE_CHUNK):
        out.append(json.dumps(a[i : i + _ENCODE_CHUNK].tolist(), separators=(",", ":"))[1:-1].encode("ascii"))
    return b",".join(out)


def _le(a: "array.array") -> bytes:
    if sys.byteorder == "little":
        return a.tobytes()
    b = array.array(a.typecode, a)
    b.byteswap()
    return b.tobytes()


def _from_le(typecode: str, data: bytes) -> "array.array":
    a = array.array(typecode)
    a.frombytes(data)
    if sys.byteorder != "little":
        a.byteswap()
    return a


class _Reader:
    def __init__(self, body: bytes, path: str, off: int):
        self.b, self.i, self.path, self.off = body, 0, path, off

    def take(self, n: int) -> bytes:
        if n < 0 or self.i + n > len(self.b):
            raise SpoolCorruptError(self.path, self.off, "record body ends early")
        out = self.b[self.i : self.i + n]
        self.i += n
        return out

    def unpack(self, fmt: str) -> Tuple[Any, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def run(self) -> str:
        (n,) = self.unpack("<H")
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise SpoolCorruptError(self.path, self.off, "run name is not UTF-8") from None

    def done(self) -> None:
        if self.i != len(self.b):
            raise SpoolCorruptError(self.path, self.off, "%d bytes after the record's data" % (len(self.b) - self.i))


def _decode_record(body: bytes, path: str, off: int, end: int) -> Any:
    """A spool record's body: a _Training, a _Validation or the int of an ack."""
    r = _Reader(body, path, off)
    (kind,) = r.unpack("<B")
    if kind == _REC_TRAINING:
        (flags,) = r.unpack("<B")
        run = r.run()
        base, n = r.unpack("<qI")
        its = _from_le("q", r.take(8 * n))
        losses = _from_le("d", r.take(8 * n))
        times = _from_le("d", r.take(8 * n))
        r.done()
        if flags > 1:
            raise SpoolCorruptError(path, off, "unknown training flags %d" % flags)
        return _Training(run, flags == 1, base, its, losses, times, end)
    if kind == _REC_VALIDATION:
        run = r.run()
        (mlen,) = r.unpack("<I")
        try:
            meta = json.loads(r.take(mlen).decode("utf-8"))
        except ValueError as e:
            raise SpoolCorruptError(path, off, "metadata: %s" % e) from None
        n, nd, npar, nc = r.unpack("<IIII")
        size = nd * npar * nc
        entries = []
        for _ in range(n):
            (it,) = r.unpack("<q")
            entries.append((it, _from_le("d", r.take(8 * size))))
        r.done()
        if not isinstance(meta, dict):
            raise SpoolCorruptError(path, off, "metadata is not a JSON object")
        return _Validation(run, meta, (nd, npar, nc), entries, end)
    if kind == _REC_ACK:
        (acked,) = r.unpack("<Q")
        r.done()
        return int(acked)
    raise SpoolCorruptError(path, off, "unknown record type %d" % kind)


def _frame(body: bytes) -> bytes:
    head = struct.pack("<II", len(body), zlib.crc32(body))
    return head + struct.pack("<I", zlib.crc32(head)) + body


def read_spool(path: str, data: Optional[bytes] = None) -> Tuple[List[Any], int, int]:
    """Reads a spool file: (records not yet acknowledged, in order; end of the valid records; file size).

    A torn last record (a process killed while appending it: its header or
    body cut short, or a zero-filled tail) is ignored. Damage anywhere else
    raises SpoolCorruptError naming the file and offset.
    """
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < len(_SPOOL_HEADER):
        if _SPOOL_HEADER.startswith(data) or not any(data):
            return [], len(data), len(data)  # killed while creating the file
        raise SpoolCorruptError(path, 0, "not a statstore spool file (bad header)")
    if data[: len(_SPOOL_HEADER)] != _SPOOL_HEADER:
        what = "spool version %d, want %d" % struct.unpack("<I", data[8:12]) + (SPOOL_VERSION,) if data[:8] == SPOOL_MAGIC else "not a statstore spool file (bad header)"
        raise SpoolCorruptError(path, 0, what)
    off, records, acked = len(_SPOOL_HEADER), [], 0
    size = len(data)
    while off < size:
        if size - off < _REC_HEADER.size:
            if any(data[off:]):
                break  # a header cut short: torn
            break
        length, crc, hcrc = _REC_HEADER.unpack_from(data, off)
        if zlib.crc32(data[off : off + 8]) != hcrc:
            if not any(data[off:]):
                break  # a zero-filled tail
            raise SpoolCorruptError(path, off, "record header fails its checksum")
        if length < 1 or length > _MAX_RECORD:
            raise SpoolCorruptError(path, off, "record length %d out of range" % length)
        end = off + _REC_HEADER.size + length
        if end > size:
            break  # the body cut short: torn
        body = data[off + _REC_HEADER.size : end]
        if zlib.crc32(body) != crc:
            raise SpoolCorruptError(path, off, "record body fails its checksum")
        rec = _decode_record(body, path, off, end)
        if isinstance(rec, int):
            if rec > off or rec < acked:
                raise SpoolCorruptError(path, off, "ack of offset %d out of order" % rec)
            acked = rec
        else:
            records.append(rec)
        off = end
    return [r for r in records if r.end > acked], off, size


class _Segment:
    """One spool file, held under an exclusive flock while open."""

    def __init__(self, path: str, fd: int, end: int):
        self.path, self.fd, self.end = path, fd, end
        self.dirty = False

    @classmethod
    def create(cls, directory: str, prefix: str = "") -> "_Segment":
        os.makedirs(directory, mode=0o700, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        path = os.path.join(directory, "%s%s-%d-%s.spool" % (prefix, stamp, os.getpid(), os.urandom(3).hex()))
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(fd, _SPOOL_HEADER)
            os.fsync(fd)
            _fsync_dir(directory)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, len(_SPOOL_HEADER))

    @classmethod
    def try_open(cls, path: str) -> Optional["_Segment"]:
        """Opens and locks another process's file; None when it is held or gone."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is None or not os.path.samestat(st, os.fstat(fd)):
            os.close(fd)  # replayed and removed by another client meanwhile
            return None
        return cls(path, fd, -1)

    def read(self) -> List[Any]:
        """The records not acknowledged yet; cuts a torn tail so that acks can follow."""
        size = os.fstat(self.fd).st_size
        data = os.pread(self.fd, size, 0) if size else b""
        records, valid_end, size = read_spool(self.path, data)
        if valid_end < len(_SPOOL_HEADER):
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, _SPOOL_HEADER, 0)
            valid_end = len(_SPOOL_HEADER)
        elif valid_end < size:
            os.ftruncate(self.fd, valid_end)
        self.end = valid_end
        return records

    def append(self, bodies: List[bytes], sync: bool = True) -> List[int]:
        """Appends records in one write; returns where each ends. A failed write is cut off again."""
        frames = [_frame(b) for b in bodies]
        ends, end = [], self.end
        for f in frames:
            end += len(f)
            ends.append(end)
        try:
            os.lseek(self.fd, self.end, os.SEEK_SET)
            _write_all(self.fd, b"".join(frames))
            if sync:
                os.fsync(self.fd)
            else:
                self.dirty = True
        except OSError:
            try:
                os.ftruncate(self.fd, self.end)
            except OSError:
                pass
            raise
        self.end = end
        return ends

    def ack(self, end: int) -> None:
        self.append([struct.pack("<BQ", _REC_ACK, end)], sync=False)

    def sync(self) -> None:
        if self.dirty:
            os.fsync(self.fd)
            self.dirty = False

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self.fd)
                self.fd = -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Transient(Exception):
    """The server could not take a request now (unreachable, timeout, 5xx, 408, 429): spool and retry."""


def _transient_status(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def _check_run_name(run: Any) -> None:
    """The server's rules for run names (SPEC section 2), checked before a call is queued."""
    if not isinstance(run, str) or not run:
        raise ValueError("run name %r: want a non-empty string" % (run,))
    bad = None
    if run in (".", ".."):
        bad = "is %r" % run
    elif len(run.encode("utf-8", "surrogatepass")) > 200:
        bad = "is longer than 200 bytes"
    elif any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in run):
        bad = "holds '/', '\\\\', NUL or a control character"
    if bad:
        raise StatsStoreError(400, "invalid_run_name", "run name %r %s: want a safe single path component" % (run, bad))


# ---------------------------------------------------------------------------
# The store.


class HttpStatsStore:
    """DaCapo's StatsStore over the HTTP API of ``statstore serve``, offline-first.

    ``url`` is the server's address (``http://host:8080``); ``token`` the
    bearer token of a server started with ``--token-file``.

    The two store calls return at once: a background sender thread sends
    them in order. When the server cannot take them (unreachable, a timeout
    after ``timeout`` seconds, 5xx, 408, 429) they go to an append-only,
    fsynced spool under ``spool_dir`` (default: ``default_spool_root()``,
    i.e. $STATSTORE_SPOOL_DIR or ~/.cache/statstore/spool) in the
    sub-directory ``<host>-<port>``, with a SpoolWarning, and are replayed in
    order when the server answers again. A spool left by a killed process is
    replayed by the next client of the same server, or by ``statstore sync``.
    Calls the server refuses for good (other 4xx) are kept in a
    ``rejected-*.spool`` file and raised by the next ``flush()`` or
    ``close()``. ``close()`` (also run at exit) drains the queue;
    ``max_pending`` bounds the entries queued in memory (a store call waits
    when it is reached). Retrieval first sends the client's own queued and
    spooled writes, and raises when it cannot.

    ``retries`` and ``backoff`` apply to retrieval and deletes (waiting
    ``backoff`` seconds, doubling); the sender retries a spool with the same
    doubling backoff up to ``max_backoff`` seconds. ``use_dacapo_classes``
    chooses what retrieval returns: DaCapo's classes (True), this module's
    look-alikes (False) or DaCapo's when it is importable (None, default).
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        spool_dir: Optional[str] = None,
        max_pending: int = 5_000_000,
        use_dacapo_classes: Optional[bool] = None,
    ):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("url %r: want the server's address, like http://127.0.0.1:8080" % url)
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_pending = max_pending
        self.spool_dir = os.path.join(spool_dir or default_spool_root(), _spool_dir_name(self.url))
        dacapo = _dacapo_classes() if use_dacapo_classes in (None, True) else None
        if use_dacapo_classes and dacapo is None:
            raise ImportError("use_dacapo_classes=True, but dacapo is not importable")
        self._classes = dacapo or {
            "TrainingStats": TrainingStats,
            "TrainingIterationStats": TrainingIterationStats,
            "ValidationIterationScores": ValidationIterationScores,
        }
        # Caller side: what was handed to the sender, per run (diffs cost O(new)).
        self._train_state: Dict[str, Tuple[Any, int, Any, int]] = {}
        self._names_ok: set = set()
        # Shared with the sender, under _cv.
        self._cv = threading.Condition()
        self._queue: collections.deque = collections.deque()
        self._pending = 0  # entries queued
        self._enqueued = 0  # calls queued, ever
        self._done = 0  # calls sent, spooled or refused, ever
        self._flush_seq = 0  # flushes asked for, ever
        self._flush_done = 0  # the last flush the sender has carried out
        self._closing = False
        self._closed = False
        self._errors: List[StatsStoreError] = []
        self._offline = False  # the spool holds records to replay
        self._spooled_records = 0
        # Sender side only.
        self._until: Dict[str, int] = {}  # the server's trained-until, as last seen
        self._columns = True  # the server takes TRAINING_COLUMNS (until it answers 415)
        self._val_sent: Dict[str, Dict[int, Any]] = {}
        # Parameter sets of runs stored by an older client without values
        # (run -> the stored list), used in place of this client's own.
        self._stored_parameters: Dict[str, List[Dict[str, Any]]] = {}
        self._seg: Optional[_Segment] = None  # this client's spool file
        self._held: List[_Segment] = []  # other clients' spool files, locked
        self._bad: set = set()  # corrupt files, reported once
        self._rejected: Optional[_Segment] = None
        self._unspooled: List[Any] = []  # calls a failed spool write could not keep
        self._retry_at = 0.0
        self._delay = backoff
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="statstore-sender", daemon=True)
        self._thread.start()
        atexit.register(self._atexit)

    def __repr__(self) -> str:
        return "HttpStatsStore(%r)" % self.url

    def __enter__(self) -> "HttpStatsStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- DaCapo's StatsStore ------------------------------------------------

    def store_training_stats(self, run_name: str, training_stats: Any) -> None:
        """Queues the run's training stats and returns at once (extend or overwrite).

        DaCapo passes its whole, growing TrainingStats at every checkpoint:
        only the entries added since the last call are queued (found in O(new)
        while the list is extended in place). Stats that are not an extension
        of what was sent (training resumed from an earlier checkpoint) are
        sent whole, and the server replaces the stored history when they do
        not reach further.
        """
        self._check_name(run_name)
        entries = training_stats.iteration_stats
        n = len(entries)
        if n == 0:
            return
        state = self._train_state.get(run_name)
        whole, base, src = True, 0, None
        if state is not None:
            lst, sent, last, until = state
            if n >= sent and entries[sent - 1] is last:
                if n == sent:
                    return  # nothing new: the server would keep what it has
                whole, base, src = False, until, entries[sent:n]
        if src is None:
            src = entries[:n]
        last = entries[n - 1]
        self._train_state[run_name] = (entries, n, last, int(last.iteration) + 1)
        self._enqueue((_REC_TRAINING, run_name, whole, base, src), len(src))

    def retrieve_training_stats(self, run_name: str) -> Any:
        """The run's whole training history (empty for an unknown run), after this client's own writes."""
        self._sync_for_read()
        return self._training_stats(self._get_training(run_name, {}))

    def store_validation_iteration_scores(self, run_name: str, validation_scores: Any) -> None:
        """Queues the run's validation scores (merged by iteration on the server) and returns at once."""
        self._check_name(run_name)
        entries = list(validation_scores.scores)
        if not entries:
            return
        self._enqueue((_REC_VALIDATION, run_name, validation_scores, entries), len(entries))

    def retrieve_validation_iteration_scores(self, run_name: str) -> List[Any]:
        """The run's validated checkpoints in iteration order (empty for an unknown run), after this client's own writes."""
        self._sync_for_read()
        body = self._request("GET", self._run_path(run_name, "validation"))
        cls = self._classes["ValidationIterationScores"]
        return [cls(int(e["iteration"]), _scores_from_json(e["scores"])) for e in body.get("scores") or []]

    def delete_training_stats(self, run_name: str) -> None:
        """Removes the run's training stats (not an error for an unknown run), after the queued writes."""
        self._sync_for_read()
        self._request("DELETE", self._run_path(run_name, "training"))
        self._forget(run_name, training=True)

    # -- The queue ------------------------------------------------------------

    def flush(self) -> int:
        """Sends what was queued, or spools it; tries to replay the spool once.

        Returns the number of records still in the spool (0 when the server
        took everything). Raises the first StatsStoreError the server gave
        for a queued call since the last flush (the call itself returned at
        once), or a SpoolCorruptError for a damaged spool file.
        """
        self._wait_drained()
        self._raise_errors()
        return self._spooled_records

    def close(self) -> None:
        """Drains the queue (sent or spooled), stops the sender and releases the spool.

        Records still in the spool stay there, with a SpoolWarning, for the
        next client or ``statstore sync``. Raises like ``flush()``.
        """
        with self._cv:
            if self._closed:
                return
            self._closing = True
            self._cv.notify_all()
        self._thread.join()
        with self._cv:
            self._closed = True
        atexit.unregister(self._atexit)
        self._raise_errors()

    def _atexit(self) -> None:
        try:
            self.close()
        except StatsStoreError as e:
            print("statstore_client: at exit: %s" % e, file=sys.stderr)

    def _check_name(self, run: str) -> None:
        if run not in self._names_ok:
            _check_run_name(run)
            self._names_ok.add(run)

    def _enqueue(self, call: Tuple[Any, ...], n: int) -> None:
        with self._cv:
            if self._closing:
                raise StatsStoreError(0, "closed", "the client is closed")
            while self._pending > self.max_pending and not self._closing:
                self._cv.wait()  # backpressure: the sender is behind by max_pending entries
            self._queue.append(call)
            self._pending += n
            self._enqueued += 1
            self._cv.notify_all()

    def _wait_drained(self) -> None:
        with self._cv:
            if self._closed:
                return
            self._flush_seq += 1
            seq = self._flush_seq
            self._cv.notify_all()
            # The sender takes the queue and the flush together, then tries
            # the spool once: calls queued before are sent or spooled.
            while self._flush_done < seq and self._thread.is_alive():
                self._cv.wait(1.0)

    def _raise_errors(self) -> None:
        with self._cv:
            errors, self._errors = self._errors, []
        if errors:
            e = errors[0]
            if len(errors) > 1:
                e.args = (e.args[0] + " (and %d more refused calls)" % (len(errors) - 1),)
            raise e

    def _sync_for_read(self) -> None:
        self._wait_drained()
        if self._offline:
            raise StatsStoreError(
                0,
                "unreachable",
                "cannot reach %s: %d records of this client's writes wait in the spool %s" % (self.url, self._spooled_records, self.spool_dir),
            )

    def _forget(self, run: str, training: bool = False) -> None:
        self._train_state.pop(run, None)
        # The sender's cache of the server's trained-until is stale now.
        self._enqueue(("forget", run), 0)
        self._wait_drained()

    # -- The sender thread ----------------------------------------------------

    def _run(self) -> None:
        try:
            self._scan_spools()
            if self._held:
                self._replay()
            while True:
                with self._cv:
                    while not self._queue and self._flush_done == self._flush_seq and not self._closing:
                        wait = None
                        if self._offline:
                            wait = self._retry_at - _time.monotonic()
                            if wait <= 0:
                                break
                        self._cv.wait(wait)
                    calls = list(self._queue)
                    self._queue.clear()
                    flush_seq = self._flush_seq
                    flush = flush_seq != self._flush_done
                    closing = self._closing
                reqs = self._prepare(calls)
                if self._offline:
                    self._spool(reqs)
                else:
                    self._send_all(reqs)
                self._finish(calls)
                if flush or closing:
                    self._scan_spools()
                if self._offline and (flush or closing or _time.monotonic() >= self._retry_at):
                    self._replay()
                with self._cv:
                    self._flush_done = flush_seq
                    self._cv.notify_all()
                    if closing and not self._queue:
                        break
        except BaseException as e:  # a bug: say so at the next flush instead of losing calls silently
            with self._cv:
                self._errors.append(StatsStoreError(0, "client_error", "the sender thread stopped: %r" % e))
        finally:
            self._release()
            with self._cv:
                self._closing = True
                self._cv.notify_all()

    def _finish(self, calls: List[Any]) -> None:
        n = sum(len(c[4]) if c[0] == _REC_TRAINING else (len(c[3]) if c[0] == _REC_VALIDATION else 0) for c in calls)
        with self._cv:
            self._done += len(calls)
            self._pending -= n
            self._cv.notify_all()

    def _prepare(self, calls: List[Any]) -> List[Any]:
        """The queued calls as requests, consecutive ones of a run merged into one."""
        out: List[Any] = []
        for call in calls:
            try:
                req = self._materialize(call)
            except (TypeError, ValueError, AttributeError) as e:
                self._error(StatsStoreError(0, "invalid_argument", "%s of run %r: %s" % ("training stats" if call[0] == _REC_TRAINING else "validation scores", call[1], e)))
                continue
            if req is None:
                continue
            if out and type(out[-1]) is type(req) and out[-1].merge(req):
                continue
            out.append(req)
        return out

    def _materialize(self, call: Tuple[Any, ...]) -> Any:
        if call[0] == "forget":
            self._until.pop(call[1], None)
            self._val_sent.pop(call[1], None)
            return None
        if call[0] == _REC_TRAINING:
            _, run, whole, base, src = call
            its = array.array("q", [int(e.iteration) for e in src])
            try:
                losses = array.array("d", [e.loss for e in src])
                times = array.array("d", [e.time for e in src])
            except TypeError:
                losses = array.array("d", [float(e.loss) for e in src])
                times = array.array("d", [float(e.time) for e in src])
            return _Training(run, whole, base, its, losses, times)
        _, run, v, src = call
        meta = _validation_meta(v)
        shape = (len(meta["datasets"]), len(meta["parameters"]), len(meta["criteria"]))
        sent = self._val_sent.setdefault(run, {})
        latest: Dict[int, Any] = {}
        for e in src:
            latest[int(e.iteration)] = e  # within a call the last entry of an iteration wins
        entries = []
        for it, e in latest.items():
            if sent.get(it) is e:
                continue  # sent before, the same object: the server has it
            flat = array.array("d")
            for d in _to_list(e.scores):
                for p in _to_list(d):
                    flat.extend(float(c) for c in _to_list(p))
            if len(flat) != shape[0] * shape[1] * shape[2]:
                raise ValueError(
                    "scores of iteration %d hold %d numbers, want %d datasets x %d parameter sets x %d criteria"
                    % (it, len(flat), shape[0], shape[1], shape[2])
                )
            entries.append((it, flat))
            sent[it] = e
        if not entries:
            return None
        return _Validation(run, meta, shape, entries)

    def _send_all(self, reqs: List[Any]) -> None:
        for k, req in enumerate(reqs):
            try:
                self._apply(req)
            except _Transient as e:
                self._go_offline(str(e))
                self._spool(reqs[k:])
                return

    def _apply(self, req: Any) -> None:
        """Sends one request; idempotent, so a replay of an applied one changes nothing.

        Raises _Transient; a refusal for good is kept in the rejected spool.
        """
        try:
            if req.kind == _REC_TRAINING:
                self._apply_training(req)
            else:
                self._apply_validation(req)
        except StatsStoreError as e:
            self._until.pop(req.run, None)
            if req.kind == _REC_VALIDATION:
                sent = self._val_sent.get(req.run, {})
                for it, _ in req.entries:
                    sent.pop(it, None)
            self._reject(req, e)

    def _apply_validation(self, req: _Validation) -> None:
        path = self._run_path(req.run, "validation")
        stored = self._stored_parameters.get(req.run)
        if stored is not None and _legacy_parameters(stored, req.meta["parameters"]):
            req.meta = dict(req.meta, parameters=stored)
        try:
            self._post(path, req.json_body())
        except StatsStoreError as e:
            if e.code != "metadata_mismatch" or stored is not None:
                raise
            body = self._send("GET", path) or {}
            stored = body.get("parameters") or []
            if not (
                _legacy_parameters(stored, req.meta["parameters"])
                and body.get("datasets") == req.meta["datasets"]
            ):
                raise
            # The run was stored by a client that recorded no parameter
            # values: keep its metadata as stored rather than refuse the run.
            self._stored_parameters[req.run] = stored
            req.meta = dict(req.meta, parameters=stored)
            self._post(path, req.json_body())

    def _apply_training(self, req: _Training) -> None:
        if not len(req.its):
            return
        until = self._until.get(req.run)
        if until is None:
            body = self._send("GET", self._run_path(req.run, "training"), params={"max_points": 2})
            entries = (body or {}).get("iteration_stats") or []
            until = int(entries[-1]["iteration"]) + 1 if entries else 0
        last = req.its[-1]
        if last + 1 > until:
            lo = bisect.bisect_left(req.its, until) if 0 < until and req.its[0] < until else 0
        elif req.whole:
            lo = 0  # behind or equal: the whole history replaces the stored one
        else:
            self._until[req.run] = until  # an extension the server already has (a replay)
            return
        self._until.pop(req.run, None)
        path = self._run_path(req.run, "training")
        if self._columns:
            try:
                self._send("POST", path, data=req.columns_body(lo), content_type=TRAINING_COLUMNS)
                self._until[req.run] = last + 1
                return
            except StatsStoreError as e:
                if e.status != 415:
                    raise
                self._columns = False  # a server older than the columnar body: rows from now on
        self._post(path, req.json_body(lo))
        self._until[req.run] = last + 1

    def _post(self, path: str, data: bytes) -> Any:
        return self._send("POST", path, data=data)

    def _send(
        self,
        method: str,
        path: str,
        data: Optional[bytes] = None,
        params: Optional[Dict[str, Any]] = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> Any:
        """One request; _Transient when the server could not take it now, StatsStoreError when it refused.

        Answers JSON decoded, or the bytes of a binary training answer (TRAINING_BINARY).
        """
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": accept}
        if data is not None:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
                binary = resp.headers.get_content_type() == TRAINING_BINARY
            if binary:
                return payload
            return json.loads(payload) if payload else None
        except urllib.error.HTTPError as e:
            err = _http_error(method, path, e)
            if _transient_status(e.code):
                raise _Transient(str(err)) from None
            raise err from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            raise _Transient("%s %s: cannot reach %s: %s" % (method, path, self.url, getattr(e, "reason", e))) from None

    def _go_offline(self, reason: str) -> None:
        self._until.clear()
        if not self._warned:
            self._warned = True
            warnings.warn(
                "statstore: %s; store calls go to the spool %s and are replayed when the server is back" % (reason, self.spool_dir),
                SpoolWarning,
                stacklevel=2,
            )
        self._offline = True
        self._retry_at = _time.monotonic() + self._delay

    def _spool(self, reqs: List[Any]) -> None:
        reqs = self._unspooled + reqs
        self._unspooled = []
        if not reqs:
            return
        try:
            if self._seg is None:
                self._seg = _Segment.create(self.spool_dir)
            self._seg.append([r.encode() for r in reqs])
        except OSError as e:
            self._unspooled = reqs  # kept in memory; tried again with the next calls
            warnings.warn("statstore: cannot write the spool in %s: %s; %d calls kept in memory" % (self.spool_dir, e, len(reqs)), SpoolWarning, stacklevel=2)
            return
        self._offline = True
        with self._cv:
            self._spooled_records += len(reqs)

    def _scan_spools(self) -> None:
        """Locks the spool files other clients left (killed processes), oldest first."""
        try:
            names = sorted(os.listdir(self.spool_dir))
        except FileNotFoundError:
            return
        held = {s.path for s in self._held}
        for name in names:
            path = os.path.join(self.spool_dir, name)
            if not name.endswith(".spool") or name.startswith(_REJECTED_PREFIX) or path in held or path in self._bad:
                continue
            if self._seg is not None and path == self._seg.path:
                continue
            seg = _Segment.try_open(path)
            if seg is not None:
                self._held.append(seg)
                self._offline = True

    def _replay(self) -> None:
        """Replays the held files, then this client's own, in order; stops at the first transient failure."""
        segs = list(self._held) + ([self._seg] if self._seg is not None else [])
        for seg in segs:
            try:
                records = seg.read()
            except SpoolCorruptError as e:
                self._error(e)
                self._bad.add(seg.path)
                if seg is self._seg:
                    self._seg = None
                else:
                    self._held.remove(seg)
                seg.close()
                continue
            except OSError as e:
                self._error(StatsStoreError(0, "spool_error", "spool %s: %s" % (seg.path, e)))
                self._retry_at = _time.monotonic() + self.max_backoff
                return
            reqs: List[Any] = []
            for r in records:
                if not (reqs and type(reqs[-1]) is type(r) and reqs[-1].merge(r)):
                    reqs.append(r)
            for req in reqs:
                try:
                    self._apply(req)
                except _Transient as e:
                    seg.sync()
                    self._until.clear()
                    self._retry_at = _time.monotonic() + self._delay
                    self._delay = min(self._delay * 2, self.max_backoff)
                    return
                seg.ack(req.end)
            if seg is self._seg:
                self._seg = None
                with self._cv:
                    self._spooled_records = 0
            else:
                self._held.remove(seg)
            seg.remove()
        with self._cv:
            self._offline = bool(self._unspooled)
        self._delay = self.backoff
        self._warned = False

    def _reject(self, req: Any, err: StatsStoreError) -> None:
        where = ""
        try:
            if self._rejected is None:
                self._rejected = _Segment.create(self.spool_dir, _REJECTED_PREFIX)
            self._rejected.append([req.encode()])
            where = "; the call is kept in %s" % self._rejected.path
        except OSError as e:
            where = "; it could not be kept (%s)" % e
        err.args = (err.args[0] + where,)
        self._error(err)

    def _error(self, err: StatsStoreError) -> None:
        with self._cv:
            self._errors.append(err)

    def _release(self) -> None:
        left = 0
        if self._seg is not None:
            left = self._spooled_records
            path = self._seg.path
            self._seg.close()
            self._seg = None
            warnings.warn(
                "statstore: %d store calls stay in the spool %s: the next client of %s, or `statstore sync %s --store ...`, replays them"
                % (left, path, self.url, path),
                SpoolWarning,
                stacklevel=2,
            )
        for seg in self._held:
            seg.close()
        self._held = []
        if self._rejected is not None:
            self._rejected.close()
            self._rejected = None
        if self._unspooled:
            self._error(StatsStoreError(0, "spool_error", "%d store calls could be neither sent nor spooled" % len(self._unspooled)))

    # -- Beyond DaCapo --------------------------------------------------------

    def list_runs(self) -> List[Dict[str, Any]]:
        """Every run: ``{"run", "trained_until", "training_iterations", "validated_until", "validation_iterations",
        "last_write"}`` (``last_write``: RFC 3339 UTC time of the run's last write, absent when the store cannot tell)."""
        self._sync_for_read()
        return self._request("GET", "/api/v1/runs").get("runs") or []

    def runs(
        self,
        filter: Optional[str] = None,
        sort: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        columns: Optional[str] = None,
    ) -> Dict[str, Any]:
        """A page of run summaries, which the server keeps up to date on every write.

        ``filter`` is the expression language of docs/api.md
        (``"name~unet tag.architecture=unet repetition>=2"``), ``sort`` a comma
        list of columns with ``-`` for decreasing (``"-best.validate.dice,name"``),
        ``limit``/``offset`` page. Answers ``{"runs": [summary...], "total",
        "offset", "limit"}``; each summary holds ``run``, the counts,
        ``last_write``, ``last_loss``, ``min_loss``, ``best`` (one line per
        dataset × criterion), ``health``, ``tags`` and ``meta_digest``.
        """
        self._sync_for_read()
        params: Dict[str, Any] = {"best": "1"}
        for name, value in (("filter", filter), ("sort", sort), ("limit", limit), ("offset", offset), ("columns", columns)):
            if value is not None:
                params[name] = value
        return self._request("GET", "/api/v1/runs", params=params)

    def leaderboard(
        self,
        dataset: Optional[str] = None,
        criterion: Optional[str] = None,
        group_by: Optional[str] = None,
        filter: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Runs ranked per dataset × criterion by their best value, repetitions grouped.

        Answers ``{"datasets", "criteria", "boards": [{"dataset", "criterion",
        "direction", "rows": [{"group", "runs", "count", "mean", "std", "min",
        "max", "best_run", "best_iteration", "best_parameters"}]}]}``;
        ``group_by`` groups by a tag or configuration key instead of by
        repetition.
        """
        self._sync_for_read()
        params = {k: v for k, v in (("dataset", dataset), ("criterion", criterion), ("group_by", group_by), ("filter", filter)) if v}
        return self._request("GET", "/api/v1/leaderboard", params=params)

    def retrieve_training_range(self, run_name: str, start: int, stop: Optional[int] = None) -> Any:
        """The training steps with ``start <= iteration < stop`` (no upper bound when stop is None)."""
        self._sync_for_read()
        params = {"from": int(start)}
        if stop is not None:
            params["to"] = int(stop)
        return self._training_stats(self._get_training(run_name, params))

    def subsample_training(self, run_name: str, max_points: int = 1000, mode: str = "stride") -> Any:
        """At most ``max_points`` training steps for plotting, always the first and last.

        ``mode`` is ``"stride"`` (evenly spaced) or ``"minmax"`` (each stretch's
        lowest and highest loss, so spikes stay visible).
        """
        self._sync_for_read()
        return self._training_stats(self._get_training(run_name, {"max_points": int(max_points), "mode": mode}))

    def retrieve_validation_scores(self, run_name: str) -> ValidationScores:
        """The run's validation scores with their metadata, as this module's ValidationScores."""
        self._sync_for_read()
        body = self._request("GET", self._run_path(run_name, "validation"))
        return ValidationScores(
            parameters=[Parameters(p.get("id", i), p.get("name", ""), p.get("values")) for i, p in enumerate(body.get("parameters") or [])],
            datasets=[Dataset(d) for d in body.get("datasets") or []],
            evaluation_scores=EvaluationScores(body.get("criteria") or []),
            scores=[ValidationIterationScores(int(e["iteration"]), _scores_from_json(e["scores"])) for e in body.get("scores") or []],
        )

    def best(
        self,
        run_name: str,
        criterion: Optional[str] = None,
        dataset: Optional[str] = None,
        select_on: Optional[Tuple[str, str]] = None,
        held_out: Optional[List[str]] = None,
        include_superseded: bool = False,
    ) -> Any:
        """The run's best report: per dataset and criterion (and over datasets), the best checkpoint.

        Each line is ``{"dataset", "mean_over_datasets", "criterion", "higher_is_better",
        "iteration", "parameter_id", "parameters", "value"}``, the shape ``statstore best --json``
        prints: ``dataset`` is None on the lines of the mean over datasets (``mean_over_datasets``
        True); ``iteration``, ``parameter_id`` and ``parameters`` (the parameter set's display
        name) are None when every value is NaN; ``value`` is a float (NaN then).

        With ``select_on=(dataset, criterion)`` it is one consistent choice instead (``statstore
        best --select-on``): the (checkpoint, parameter set) best for that criterion on that
        dataset, ``{"dataset", "criterion", "held_out", "iteration", "parameter_id",
        "parameters", "value", "superseded_left_out", "lines"}``, where each line is a dataset ×
        criterion at that choice with ``value``, its own ``best`` and the ``gap`` between them;
        ``held_out`` datasets are marked.
        """
        self._sync_for_read()
        if select_on is not None:
            ds, crit = select_on
            params = {"dataset": ds, "criterion": crit}
            if held_out:
                params["held_out"] = ",".join(held_out)
            if include_superseded:
                params["include_superseded"] = "true"
            sel = self._request("GET", self._run_path(run_name, "select"), params=params)
            sel["value"] = _from_json_float(sel["value"])
            for line in sel["lines"]:
                for k in ("value", "gap"):
                    line[k] = _from_json_float(line[k])
                line["best"]["value"] = _from_json_float(line["best"]["value"])
            return sel
        params = {k: v for k, v in (("criterion", criterion), ("dataset", dataset)) if v}
        if include_superseded:
            params["include_superseded"] = "true"
        lines = self._request("GET", self._run_path(run_name, "best"), params=params)
        for line in lines:
            line["value"] = _from_json_float(line["value"])
        return lines

    def keep(self, run_name: str, top: int = 1, last: int = 1, all_criteria: bool = False, include_superseded: bool = False) -> Dict[str, Any]:
        """The run's retention plan (``statstore keep --json``): which checkpoints to keep and why.

        ``{"run", "criteria", "all_criteria", "superseded_left_out", "kept", "prunable",
        "checkpoints": [{"iteration", "keep", "reasons": [{"kind", "text", ...}]}]}`` over the
        validated checkpoints; ``kind`` is one of ``best``, ``best_mean``, ``top``, ``last``,
        ``not_validated``, ``superseded_only``.
        """
        self._sync_for_read()
        params = {"top": int(top), "last": int(last)}
        if all_criteria:
            params["all_criteria"] = "true"
        if include_superseded:
            params["include_superseded"] = "true"
        plan = self._request("GET", self._run_path(run_name, "keep"), params=params)
        for c in plan["checkpoints"]:
            for r in c["reasons"]:
                if "value" in r:
                    r["value"] = _from_json_float(r["value"])
        return plan

    def plan_validation(
        self, run_name: str, budget: int = 3, every: int = 0, recent: int = 5, epsilon: float = 0.0, all_criteria: bool = False
    ) -> Dict[str, Any]:
        """Which checkpoints to validate next and which parameter sets to drop (``statstore plan-validation --json``).

        Candidates are every ``every`` iterations up to the end of training (0: the validated
        checkpoints' spacing). ``{"current_best", "criteria", "judged", "epsilon",
        "checkpoints": [{"iteration", "reason", "gap", "superseded"}], "parameters":
        [{"parameter_id", "parameters", "droppable", "reason"}], "values": [{"name", "value",
        "droppable"}]}``.
        """
        self._sync_for_read()
        params: Dict[str, Any] = {"budget": int(budget), "recent": int(recent)}
        if every:
            params["every"] = int(every)
        if epsilon:
            params["epsilon"] = repr(float(epsilon))
        if all_criteria:
            params["all_criteria"] = "true"
        p = self._request("GET", self._run_path(run_name, "plan-validation"), params=params)
        p["epsilon"] = _from_json_float(p["epsilon"])
        return p

    def check(self, run_name: Optional[str] = None, **options: Any) -> Any:
        """The run's health report (``statstore check --json``), or every run's when run_name is None.

        ``{"run", "status", "findings": [{"kind", "severity", "iteration", "message"}]}``;
        ``status`` is ``ok``, ``warning`` or ``failure``; ``kind`` one of ``non_finite_loss``,
        ``diverging``, ``validation_lag``, ``plateau``. Options: ``window``, ``factor``,
        ``lag``, ``every``, ``plateau`` (as the CLI's flags).
        """
        self._sync_for_read()
        unknown = set(options) - {"window", "factor", "lag", "every", "plateau"}
        if unknown:
            raise TypeError("check() got unknown options: %s" % ", ".join(sorted(unknown)))
        params = {k: (repr(float(v)) if k == "factor" else int(v)) for k, v in options.items()}
        if run_name is None:
            return self._request("GET", "/api/v1/check", params=params)
        return self._request("GET", self._run_path(run_name, "check"), params=params)

    def grid(self, run_name: str, dataset: Optional[str] = None, criterion: Optional[str] = None, epsilon: float = 0.0) -> Dict[str, Any]:
        """The checkpoint × parameter-set grid of one criterion on one dataset (``statstore grid --json``).

        ``values[checkpoint][parameter set]`` with ``best`` (index per checkpoint), stability
        (``best_changes`` of ``steps``), regret of the ``fixed`` best-on-average set and
        ``width`` within ``epsilon``; dataset and criterion may be left out when the run has
        one.
        """
        self._sync_for_read()
        params: Dict[str, Any] = {k: v for k, v in (("dataset", dataset), ("criterion", criterion)) if v}
        if epsilon:
            params["epsilon"] = repr(float(epsilon))
        g = self._request("GET", self._run_path(run_name, "grid"), params=params)
        g["values"] = [[_from_json_float(x) for x in row] for row in g["values"]]
        for k in ("regret",):
            g[k] = [_from_json_float(x) for x in g[k]]
        for k in ("best_change_rate", "max_regret", "mean_regret", "epsilon"):
            g[k] = _from_json_float(g[k])
        return g

    def delete_validation_scores(self, run_name: str) -> None:
        """Removes the run's validation scores and their metadata, after the queued writes."""
        self._sync_for_read()
        self._request("DELETE", self._run_path(run_name, "validation"))
        self._forget(run_name)

    def delete_run(self, run_name: str, permanent: bool = False) -> None:
        """Moves the run to the server's trash (``statstore trash restore`` brings it back), after the
        queued writes; ``permanent=True`` deletes it for good. An unknown run is not an error."""
        self._sync_for_read()
        try:
            self._request("DELETE", self._run_path(run_name), params={"permanent": "true"} if permanent else None)
        except StatsStoreError as e:
            if e.status != 404:
                raise
        self._forget(run_name, training=True)

    # -- Run metadata -----------------------------------------------------------

    def set_config(self, run_name: str, config: Any) -> None:
        """Stores ``config`` as the run's configuration, replacing the one it had.

        ``config`` is a dict, or a DaCapo ``RunConfig`` (any config object): it is unstructured
        with DaCapo's converter when dacapo is importable, else with ``attrs.asdict`` (attrs
        classes), ``dataclasses.asdict`` or its attributes, and made JSON (paths and other
        objects as strings, tuples and sets as lists, numpy scalars as numbers). The server
        keeps one JSON object of at most 1 MiB; NaN and infinities have no JSON form and are
        a ValueError naming where they are.
        """
        doc = unstructure_config(config)
        data = json.dumps(doc, allow_nan=False, sort_keys=True).encode()
        self._request("PUT", self._run_path(run_name, "config"), data=data)

    def get_config(self, run_name: str) -> Optional[Dict[str, Any]]:
        """The run's configuration as a dict, None when it has none."""
        return self._request("GET", self._run_path(run_name, "config"))

    def delete_config(self, run_name: str) -> None:
        """Removes the run's configuration (its tags and statistics stay)."""
        self._request("DELETE", self._run_path(run_name, "config"))

    def tags(self, run_name: str) -> Dict[str, str]:
        """The run's tags, ``{key: value}`` (empty when it has none)."""
        return (self._request("GET", self._run_path(run_name, "tags")) or {}).get("tags") or {}

    def set_tags(self, run_name: str, set: Optional[Dict[str, Any]] = None, remove: Optional[Iterable[str]] = None) -> Dict[str, str]:
        """Sets the tags in ``set`` and removes the keys in ``remove`` in one step; returns the tags.

        Values are made strings (``seed=1`` is stored as ``"1"``). A key is non-empty, without
        ``=``, spaces or control characters; a bad tag is a StatsStoreError and changes nothing.
        """
        body: Dict[str, Any] = {}
        if set:
            body["set"] = {str(k): v if isinstance(v, str) else _tag_value(v) for k, v in set.items()}
        if remove:
            body["remove"] = [str(k) for k in remove]
        answer = self._request("PATCH", self._run_path(run_name, "tags"), data=json.dumps(body).encode())
        return (answer or {}).get("tags") or {}

    # -- Internals ------------------------------------------------------------

    def _run_path(self, run_name: str, what: str = "") -> str:
        if not isinstance(run_name, str) or not run_name:
            raise ValueError("run name %r: want a non-empty string" % (run_name,))
        path = "/api/v1/runs/" + urllib.parse.quote(run_name, safe="")
        return path + "/" + what if what else path

    def _get_training(self, run_name: str, params: Dict[str, Any]) -> Tuple[Sequence[Any], Sequence[float], Sequence[float]]:
        """Iterations, losses and times: in the binary form for a history or a range (no JSON to
        parse), as JSON rows from a server older than it and for subsamples."""
        accept = "application/json" if "max_points" in params else TRAINING_BINARY + ", application/json;q=0.5"
        body = self._request("GET", self._run_path(run_name, "training"), params=params, accept=accept)
        if isinstance(body, bytes):
            return _decode_training_binary(body)
        entries = body.get("iteration_stats") or []
        return (
            [int(e["iteration"]) for e in entries],
            [_from_json_float(e["loss"]) for e in entries],
            [_from_json_float(e["time"]) for e in entries],
        )

    def _training_stats(self, columns: Tuple[Sequence[Any], Sequence[float], Sequence[float]]) -> Any:
        item = self._classes["TrainingIterationStats"]
        stats = [item(int(i), l, t) for i, l, t in zip(*columns)]
        # Built directly: DaCapo's add_iteration_stats insists on consecutive
        # iterations, and stored histories may have gaps.
        return self._classes["TrainingStats"](iteration_stats=stats)

    def _request(
        self, method: str, path: str, params: Optional[Dict[str, Any]] = None, accept: str = "application/json", data: Optional[bytes] = None
    ) -> Any:
        """A synchronous request (retrieval, deletes, metadata): retried while the server cannot take it, then raised."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return self._send(method, path, data=data, params=params, accept=accept)
            except _Transient as e:
                if attempt == self.retries:
                    raise StatsStoreError(0, "unreachable", str(e)) from None
            _time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # the loop returns or raises


def _tag_value(v: Any) -> str:
    """A tag value as the string stored: JSON's spelling for bools and None, str() otherwise."""
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if hasattr(v, "item") and callable(v.item):  # a numpy scalar
        v = v.item()
    return str(v)


def unstructure_config(config: Any) -> Dict[str, Any]:
    """The JSON object a run configuration is stored as (see HttpStatsStore.set_config).

    A dict is taken as it is; another object (a DaCapo RunConfig) is unstructured with
    DaCapo's converter when dacapo is importable, else with attrs.asdict, dataclasses.asdict
    or its attributes. The result is made JSON: paths and unknown objects as strings, tuples
    and sets as lists, numpy scalars as numbers, keys as strings.
    """
    if not isinstance(config, dict):
        doc = None
        try:
            from dacapo.store.converter import converter  # type: ignore

            doc = converter.unstructure(config)
        except ImportError:
            pass
        if doc is None:
            try:
                import attr  # type: ignore

                if attr.has(type(config)):
                    doc = attr.asdict(config, recurse=True)
            except ImportError:
                pass
        if doc is None and dataclasses.is_dataclass(config) and not isinstance(config, type):
            doc = dataclasses.asdict(config)
        if doc is None:
            doc = _public_vars(config)
        config = doc
    if not isinstance(config, dict):
        raise ValueError("run configuration: want a dict or a config object, got %s" % type(config).__name__)
    return _jsonable(config, "config")


def _public_vars(obj: Any) -> Any:
    try:
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    except TypeError:
        return obj


def _jsonable(v: Any, where: str) -> Any:
    """v as JSON values; NaN and infinities are a ValueError naming where they are."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real) and not isinstance(v, float):
        v = float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("run configuration: %s is %r, which JSON cannot hold" % (where, v))
        return v
    if hasattr(v, "item") and callable(v.item) and type(v).__module__.startswith("numpy") and not hasattr(v, "__len__"):
        return _jsonable(v.item(), where)
    if isinstance(v, dict):
        return {str(k): _jsonable(x, "%s.%s" % (where, k)) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x, "%s[%d]" % (where, i)) for i, x in enumerate(v)]
    if isinstance(v, (set, frozenset)):
        return [_jsonable(x, where) for x in sorted(v, key=repr)]
    if hasattr(v, "tolist") and callable(v.tolist):  # a numpy array
        return _jsonable(v.tolist(), where)
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, enum.Enum):
        return _jsonable(v.value, where)
    if hasattr(v, "__dict__") and not callable(v):
        return _jsonable(_public_vars(v), where)
    return str(v)


def _decode_training_binary(data: bytes) -> Tuple[Sequence[float], Sequence[float], Sequence[float]]:
    """The columns of a binary training answer: "SSTF", version 1, n, then n iterations, losses
    and times as little-endian float64 (docs/api.md)."""
    if len(data) < 16 or data[:4] != b"SSTF":
        raise StatsStoreError(0, "bad_answer", "not a binary training answer")
    version, n = struct.unpack_from("<IQ", data, 4)
    if version != 1 or len(data) != 16 + 24 * n:
        raise StatsStoreError(0, "bad_answer", "binary training answer: version %d, %d bytes for %d entries" % (version, len(data), n))
    cols = array.array("d")
    cols.frombytes(data[16:])
    if sys.byteorder != "little":
        cols.byteswap()
    return cols[:n], cols[n : 2 * n], cols[2 * n :]


def _validation_meta(v: Any) -> Dict[str, Any]:
    """The metadata of validation scores in the API's shape (docs/api.md)."""
    es = v.evaluation_scores
    criteria = []
    for c in es.criteria:
        lo, hi = es.bounds(c) if hasattr(es, "bounds") else (None, None)
        criteria.append(
            {
                "name": str(c),
                "higher_is_better": bool(es.higher_is_better(c)),
                "bounds": [None if lo is None else _to_json_float(lo), None if hi is None else _to_json_float(hi)],
                "store_best": bool(es.store_best(c)) if hasattr(es, "store_best") else False,
            }
        )
    return {
        "datasets": [str(getattr(d, "name", d)) for d in v.datasets],
        "parameters": [_parameters_json(i, p) for i, p in enumerate(v.parameters)],
        "criteria": criteria,
    }


def _parameters_json(index: int, p: Any) -> Dict[str, Any]:
    values = _parameter_values(p)
    return {"id": int(getattr(p, "id", index)), "name": _short_name(p, values), "values": values}


def _parameter_names(p: Any) -> List[str]:
    """The names of a parameter set's values, in declaration order.

    DaCapo's ``PostProcessorParameters`` are attrs classes whose
    ``parameter_names`` property says only ``["id"]`` (its subclasses do not
    override it), so the attrs (or dataclass) fields come first, then any
    other name ``parameter_names`` or a ``values`` dict adds.
    """
    names: List[str] = []
    fields = getattr(type(p), "__attrs_attrs__", None)
    if fields is not None:
        names.extend(str(f.name) for f in fields)
    elif dataclasses.is_dataclass(p) and not isinstance(p, type):
        names.extend(f.name for f in dataclasses.fields(p))
    extra = getattr(p, "parameter_names", None)
    if extra is None:
        values = getattr(p, "values", None)
        extra = list(values) if isinstance(values, dict) else []
    for n in extra:
        if n not in names:
            names.append(str(n))
    return [n for n in names if n != "id"]


def _parameter_values(p: Any) -> Dict[str, Any]:
    """A parameter set's named values (``threshold``, ``bias`` ...) as JSON can hold them."""
    values: Dict[str, Any] = {}
    given = getattr(p, "values", None)
    for n in _parameter_names(p):
        if hasattr(p, n) and not (n == "values" and isinstance(given, dict)):
            values[n] = _plain(getattr(p, n))
        elif isinstance(given, dict) and n in given:
            values[n] = _plain(given[n])
    return values


# _MAX_SHORT_NAME is the longest display name kept as str() gives it when the
# values can name the set more briefly.
_MAX_SHORT_NAME = 40


def _short_name(p: Any, values: Dict[str, Any]) -> str:
    """A parameter set's display name: ``str(p)`` when it is short and not a repr.

    DaCapo's threshold parameters print ``threshold_0.5``; classes without a
    ``__str__`` print attrs' repr (``WatershedPostProcessorParameters(id=1,
    bias=0.5, context=(32, 32, 32))``), which tables clip. Then the name is
    built from the values as DaCapo's own names are: ``bias_0.5_context_32x32x32``.
    The values themselves are stored apart, so nothing is lost.
    """
    s = str(p)
    if not values or (len(s) <= _MAX_SHORT_NAME and not s.startswith(type(p).__name__ + "(")):
        return s
    return "_".join("%s_%s" % (k, _short_value(v)) for k, v in values.items())


def _legacy_parameters(stored: List[Any], ours: List[Dict[str, Any]]) -> bool:
    """Whether ``stored`` are ``ours`` as a client that recorded no values stored them.

    Clients before 1.1 sent ``values={}`` and ``str(p)`` as the name; the
    same ids and, where the stored set has no values, no conflict with ours
    make them the same parameter sets.
    """
    if len(stored) != len(ours) or not stored:
        return False
    for s, o in zip(stored, ours):
        if not isinstance(s, dict) or s.get("id") != o["id"] or s.get("values"):
            return False
    return any(o["values"] for o in ours)


def _short_value(v: Any) -> str:
    if isinstance(v, list):
        if v and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return "x".join(str(x) for x in v)
        return "[" + ",".join(_short_value(x) for x in v) + "]"
    return str(v)


def _http_error(method: str, path: str, e: urllib.error.HTTPError) -> StatsStoreError:
    code, message = "http_%d" % e.code, "%s %s: %s" % (method, path, e.reason)
    try:
        err = json.loads(e.read()).get("error") or {}
        code = err.get("code") or code
        message = err.get("message") or message
    except (ValueError, AttributeError, OSError):
        pass  # not the API's error shape: keep the status line
    return StatsStoreError(e.code, code, message)


def patch_dacapo(store: Any) -> List[str]:
    """Makes DaCapo use ``store`` wherever it calls ``create_stats_store()``.

    DaCapo's training and validation code call
    ``dacapo.store.create_store.create_stats_store()``, and modules that
    imported it by name hold their own reference, so every loaded ``dacapo``
    module that has a ``create_stats_store`` gets one returning ``store``.
    Call it after importing DaCapo's modules (``import dacapo.train``, ...).
    Returns the names of the modules patched.
    """
    patched = []
    for name, module in sorted(sys.modules.items()):
        if (name == "dacapo" or name.startswith("dacapo.")) and callable(getattr(module, "create_stats_store", None)):
            module.create_stats_store = lambda: store
            patched.append(name)
    return patched
