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

The server applies the extend-or-overwrite rules of the statstore
specification: storing training stats that reach further than the stored
ones appends the new iterations (this client sends only those), stats that
do not reach further (training resumed from an earlier checkpoint) replace
the stored ones; validation scores are appended, or replace the stored ones
when those reach further.
"""

import json
import math
import numbers
import sys
import time as _time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "HttpStatsStore",
    "patch_dacapo",
    "StatsStoreError",
    "TrainingIterationStats",
    "TrainingStats",
    "ValidationIterationScores",
    "ValidationScores",
    "Dataset",
    "Parameters",
    "EvaluationScores",
]

__version__ = "1.0"


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
# The store.


class HttpStatsStore:
    """DaCapo's StatsStore over the HTTP API of ``statstore serve``.

    ``url`` is the server's address (``http://host:8080``); ``token`` the
    bearer token of a server started with ``--token-file``. Requests that
    could not reach the server are retried ``retries`` times, waiting
    ``backoff`` seconds and doubling; each request waits at most
    ``timeout`` seconds. ``use_dacapo_classes`` chooses what retrieval
    returns: DaCapo's classes (True), this module's look-alikes (False) or
    DaCapo's when it is importable (None, the default).
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        timeout: float = 300.0,
        retries: int = 3,
        backoff: float = 0.5,
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
        dacapo = _dacapo_classes() if use_dacapo_classes in (None, True) else None
        if use_dacapo_classes and dacapo is None:
            raise ImportError("use_dacapo_classes=True, but dacapo is not importable")
        self._classes = dacapo or {
            "TrainingStats": TrainingStats,
            "TrainingIterationStats": TrainingIterationStats,
            "ValidationIterationScores": ValidationIterationScores,
        }

    def __repr__(self) -> str:
        return "HttpStatsStore(%r)" % self.url

    # -- DaCapo's StatsStore ------------------------------------------------

    def store_training_stats(self, run_name: str, training_stats: Any) -> None:
        """Extends or overwrites the run's training stats.

        Stats that reach further than the stored ones are appended, and only
        their new iterations are sent; stats that do not (training resumed
        from an earlier checkpoint) replace the stored ones.
        """
        entries = list(training_stats.iteration_stats)
        if not entries:
            return
        new_until = int(entries[-1].iteration) + 1
        path = self._run_path(run_name, "training")
        delay = self.backoff
        for attempt in range(self.retries + 1):
            # Asked again on every attempt: a suffix that did reach the
            # server must not be sent again, or it would replace the history.
            stored_until = self._trained_until(run_name)
            send = entries
            if new_until > stored_until > 0:
                send = [e for e in entries if int(e.iteration) >= stored_until]
            body = {
                "iteration_stats": [
                    {"iteration": int(e.iteration), "loss": _to_json_float(e.loss), "time": _to_json_float(e.time)}
                    for e in send
                ]
            }
            try:
                self._request("POST", path, body, retry=False)
                return
            except StatsStoreError as e:
                if e.status != 0 or attempt == self.retries:
                    raise
            _time.sleep(delay)
            delay *= 2

    def retrieve_training_stats(self, run_name: str) -> Any:
        """The run's whole training history (empty for an unknown run)."""
        return self._training_stats(self._get_training(run_name, {}))

    def store_validation_iteration_scores(self, run_name: str, validation_scores: Any) -> None:
        """Extends or overwrites the run's validation scores, with their metadata."""
        body = self._validation_body(validation_scores)
        if not body["scores"]:
            return
        self._request("POST", self._run_path(run_name, "validation"), body)

    def retrieve_validation_iteration_scores(self, run_name: str) -> List[Any]:
        """The run's validated checkpoints in iteration order (empty for an unknown run)."""
        body = self._request("GET", self._run_path(run_name, "validation"))
        cls = self._classes["ValidationIterationScores"]
        return [cls(int(e["iteration"]), _scores_from_json(e["scores"])) for e in body.get("scores") or []]

    def delete_training_stats(self, run_name: str) -> None:
        """Removes the run's training stats (not an error for an unknown run)."""
        self._request("DELETE", self._run_path(run_name, "training"))

    # -- Beyond DaCapo --------------------------------------------------------

    def list_runs(self) -> List[Dict[str, Any]]:
        """Every run: ``{"run", "trained_until", "training_iterations", "validated_until", "validation_iterations"}``."""
        return self._request("GET", "/api/v1/runs").get("runs") or []

    def retrieve_training_range(self, run_name: str, start: int, stop: Optional[int] = None) -> Any:
        """The training steps with ``start <= iteration < stop`` (no upper bound when stop is None)."""
        params = {"from": int(start)}
        if stop is not None:
            params["to"] = int(stop)
        return self._training_stats(self._get_training(run_name, params))

    def subsample_training(self, run_name: str, max_points: int = 1000, mode: str = "stride") -> Any:
        """At most ``max_points`` training steps for plotting, always the first and last.

        ``mode`` is ``"stride"`` (evenly spaced) or ``"minmax"`` (each stretch's
        lowest and highest loss, so spikes stay visible).
        """
        return self._training_stats(self._get_training(run_name, {"max_points": int(max_points), "mode": mode}))

    def retrieve_validation_scores(self, run_name: str) -> ValidationScores:
        """The run's validation scores with their metadata, as this module's ValidationScores."""
        body = self._request("GET", self._run_path(run_name, "validation"))
        return ValidationScores(
            parameters=[Parameters(p.get("id", i), p.get("name", ""), p.get("values")) for i, p in enumerate(body.get("parameters") or [])],
            datasets=[Dataset(d) for d in body.get("datasets") or []],
            evaluation_scores=EvaluationScores(body.get("criteria") or []),
            scores=[ValidationIterationScores(int(e["iteration"]), _scores_from_json(e["scores"])) for e in body.get("scores") or []],
        )

    def best(self, run_name: str, criterion: Optional[str] = None, dataset: Optional[str] = None) -> List[Dict[str, Any]]:
        """The run's best report: per dataset and criterion (and over datasets), the best checkpoint.

        Each line is ``{"dataset", "mean_over_datasets", "criterion", "higher_is_better",
        "iteration", "parameter_id", "parameters", "value"}``, the shape ``statstore best --json``
        prints: ``dataset`` is None on the lines of the mean over datasets (``mean_over_datasets``
        True); ``iteration``, ``parameter_id`` and ``parameters`` (the parameter set's display
        name) are None when every value is NaN; ``value`` is a float (NaN then).
        """
        params = {k: v for k, v in (("criterion", criterion), ("dataset", dataset)) if v}
        lines = self._request("GET", self._run_path(run_name, "best"), params=params)
        for line in lines:
            line["value"] = _from_json_float(line["value"])
        return lines

    def delete_validation_scores(self, run_name: str) -> None:
        """Removes the run's validation scores and their metadata."""
        self._request("DELETE", self._run_path(run_name, "validation"))

    def delete_run(self, run_name: str) -> None:
        """Removes everything stored for the run."""
        self._request("DELETE", self._run_path(run_name))

    # -- Internals ------------------------------------------------------------

    def _run_path(self, run_name: str, what: str = "") -> str:
        if not isinstance(run_name, str) or not run_name:
            raise ValueError("run name %r: want a non-empty string" % (run_name,))
        path = "/api/v1/runs/" + urllib.parse.quote(run_name, safe="")
        return path + "/" + what if what else path

    def _trained_until(self, run_name: str) -> int:
        entries = self._get_training(run_name, {"max_points": 2})
        return int(entries[-1]["iteration"]) + 1 if entries else 0

    def _get_training(self, run_name: str, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        return self._request("GET", self._run_path(run_name, "training"), params=params).get("iteration_stats") or []

    def _training_stats(self, entries: Iterable[Dict[str, Any]]) -> Any:
        item = self._classes["TrainingIterationStats"]
        stats = [item(int(e["iteration"]), _from_json_float(e["loss"]), _from_json_float(e["time"])) for e in entries]
        # Built directly: DaCapo's add_iteration_stats insists on consecutive
        # iterations, and stored histories may have gaps.
        return self._classes["TrainingStats"](iteration_stats=stats)

    def _validation_body(self, v: Any) -> Dict[str, Any]:
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
            "parameters": [self._parameters_json(i, p) for i, p in enumerate(v.parameters)],
            "criteria": criteria,
            "scores": [{"iteration": int(s.iteration), "scores": _scores_to_json(s.scores)} for s in v.scores],
        }

    @staticmethod
    def _parameters_json(index: int, p: Any) -> Dict[str, Any]:
        names = getattr(p, "parameter_names", None)
        if names is None:
            values = getattr(p, "values", None)
            names = list(values) if isinstance(values, dict) else []
        values = {}
        for n in names:
            if n == "id":
                continue
            if hasattr(p, n):
                values[n] = _plain(getattr(p, n))
            elif isinstance(getattr(p, "values", None), dict) and n in p.values:
                values[n] = _plain(p.values[n])
        return {"id": int(getattr(p, "id", index)), "name": str(p), "values": values}

    def _request(
        self, method: str, path: str, body: Any = None, params: Optional[Dict[str, Any]] = None, retry: bool = True
    ) -> Any:
        """Sends one request and decodes the JSON answer; retries unreachable servers when retry is set
        (every request but the training POST is idempotent)."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        delay = self.backoff
        retries = self.retries if retry else 0
        for attempt in range(retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = resp.read()
                return json.loads(payload) if payload else None
            except urllib.error.HTTPError as e:
                raise _http_error(method, path, e) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if attempt == retries:
                    reason = getattr(e, "reason", e)
                    raise StatsStoreError(0, "unreachable", "%s %s: cannot reach %s: %s" % (method, path, self.url, reason)) from None
                _time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # the loop returns or raises


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
