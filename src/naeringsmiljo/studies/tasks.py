"""The tasks of studies and sweeps: pure functions of what the workers share and a task key.

A task of a Monte Carlo study is one replication at one design point: it draws a data set from
the seed ``SeedSequence(seed, spawn_key=(point, replication))`` (the child ``replication`` of the
child ``point`` of ``SeedSequence(seed).spawn``) and fits every model to it. The seed depends on
the task alone, so the results do not depend on the backend, the number of workers, the order of
completion or the number of replications asked for (a longer study extends a shorter one). A
task of a sweep is one model, formula and weights matrix on the one data set.

A task returns its rows of the tidy frame (a sweep's task also its fitted results); an error the package raises deliberately, or a
numerical failure of a draw (a singular matrix), becomes a row naming its type rather than
stopping the study.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo.exceptions import InputTypeError, NaeringsmiljoError, SpecificationError
from naeringsmiljo.models.base import SpatialModel
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: What a task records instead of raising: the package's own errors, a singular draw (LAPACK's
#: LinAlgError; SuperLU reports an exactly singular factor as a RuntimeError) and floating-point
#: failures. Anything else is a programming error and stops the study.
TASK_ERRORS: tuple[type[BaseException], ...] = (
    NaeringsmiljoError,
    np.linalg.LinAlgError,
    ArithmeticError,
    RuntimeError,
)

#: The effects reported for each regressor when a study asks for impacts.
EFFECTS = ("direct", "indirect", "total")

TaskKey = tuple[Any, ...]

#: What a sweep records of each fit beside its estimates (a study records the log-likelihood).
SWEEP_STATISTICS = ("nobs", "loglik", "aic", "bic")


@dataclass(frozen=True)
class ModelSpec:
    """One named specification of a study: a model class, a formula and its fit options."""

    name: str
    model: type[SpatialModel]
    formula: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """A JSON description, part of the study's fingerprint."""
        return {
            "model": f"{self.model.__module__}.{self.model.__qualname__}",
            "formula": self.formula,
            "options": {key: repr(value) for key, value in sorted(self.options.items())},
        }


def model_specs(models: Mapping[str, Any], *, formula: str | None = None) -> tuple[ModelSpec, ...]:
    """Check ``{"name": (ModelClass, formula, options)}`` and make :class:`ModelSpec`s.

    With ``formula`` given (a sweep), an entry is ``ModelClass`` or ``(ModelClass, options)``.
    """
    if not isinstance(models, Mapping) or not models:
        raise InputTypeError(
            "models must be a non-empty dict {'name': (ModelClass, formula, fit_options)}, got "
            f"{type(models).__name__}."
        )
    specs = []
    for name, entry in models.items():
        parts = tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)
        if formula is None:
            if len(parts) == 2:
                parts = (*parts, {})
            if len(parts) != 3 or not isinstance(parts[1], str):
                raise InputTypeError(
                    f"models[{name!r}] must be (ModelClass, formula) or (ModelClass, formula, "
                    f"fit_options), got {entry!r}."
                )
            cls, spec_formula, options = parts
        else:
            if len(parts) == 1:
                parts = (*parts, {})
            if len(parts) != 2:
                raise InputTypeError(
                    f"models[{name!r}] of a sweep must be ModelClass or (ModelClass, "
                    f"fit_options), got {entry!r}."
                )
            cls, options = parts
            spec_formula = formula
        if not (isinstance(cls, type) and issubclass(cls, SpatialModel)):
            raise InputTypeError(
                f"models[{name!r}] must start with a model class such as naeringsmiljo.SAR, "
                f"got {cls!r}."
            )
        if not isinstance(options, Mapping):
            raise InputTypeError(
                f"The fit options of models[{name!r}] must be a dict, got {type(options).__name__}."
            )
        specs.append(ModelSpec(str(name), cls, spec_formula, dict(options)))
    return tuple(specs)


@dataclass(frozen=True)
class TaskResult:
    """What one task sends back: its rows, how it ran (not part of the results) and, for a
    sweep, the fitted results object (None for a study, whose draws are too many to keep, and
    for a fit that failed)."""

    key: TaskKey
    rows: list[dict[str, Any]]
    seconds: float
    setups: int
    worker: int
    fitted: Any = None


@dataclass(frozen=True)
class StudyPayload:
    """What every worker of a Monte Carlo study shares, shipped to each worker once."""

    seed: int
    dgps: tuple[Callable[[Any], tuple[pd.DataFrame, Any]], ...]
    points: tuple[dict[str, Any], ...]
    models: tuple[ModelSpec, ...]
    impacts: Mapping[str, Any] | None


@dataclass(frozen=True)
class SweepPayload:
    """What every worker of a specification sweep shares: the data, the weights, the models."""

    data: pd.DataFrame
    weights: Mapping[str, Any]
    models: tuple[ModelSpec, ...]


def task_seed(seed: int, point: int, replication: int) -> np.random.SeedSequence:
    """The seed of a replication: the same as ``SeedSequence(seed).spawn(...)[point]``'s child
    ``replication``, computed without spawning the ones before it."""
    return np.random.SeedSequence(seed, spawn_key=(point, replication))


@functools.cache
def _thread_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()  # finding the BLAS libraries takes ms; once per process


def _one_thread() -> AbstractContextManager[Any]:
    # One BLAS thread per task on every backend: the rounding of a threaded BLAS can depend on
    # the number of threads, and several workers would otherwise oversubscribe the cores.
    controller = _thread_controller()
    return nullcontext() if controller is None else controller.limit(limits=1)


def _weights_in(w: Any) -> list[SpatialWeights]:
    if isinstance(w, SpatialWeights):
        return [w]
    if isinstance(w, Mapping):
        return [v for v in w.values() if isinstance(v, SpatialWeights)]
    return []


def cache_state(w: Any) -> list[tuple[int, frozenset[str]]]:
    """The cached set-ups (eigenvalues, bounds, traces) of each weights matrix in ``w``."""
    return [(id(m), frozenset(m._cache)) for m in _weights_in(w)]


def count_setups(before: list[tuple[int, frozenset[str]]], w: Any) -> int:
    """How many weights matrices in ``w`` had to set up something (eigenvalues, bounds,
    traces) since ``before``: 0 when the matrix came with its caches, at most one per matrix."""
    seen = dict(before)
    return sum(bool(frozenset(m._cache) - seen.get(id(m), frozenset())) for m in _weights_in(w))


def prepare_weights(w: Any) -> int:
    """Compute the log-determinant set-up of each weights matrix once, before any task.

    :meth:`SpatialWeights.prepare`: the parameter interval and the set-up of the ``"auto"``
    log-determinant (the eigenvalues up to ``AUTO_EIGEN_LIMIT`` units, the SuperLU ordering
    above) are cached on the matrix, so that the workers receive them with the matrix instead
    of each task computing them again. Returns the number of matrices that needed a set-up (0
    for those already prepared).
    """
    before = cache_state(w)
    for matrix in _weights_in(w):
        matrix.prepare()
    return count_setups(before, w)


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _error_row(base: dict[str, Any], exc: BaseException, seconds: float) -> dict[str, Any]:
    return base | {
        "parameter": "",
        "estimate": np.nan,
        "std_error": np.nan,
        "converged": False,
        "seconds": seconds,
        "error": type(exc).__name__,
        "message": str(exc),
    }


def fit_rows(
    spec: ModelSpec,
    data: pd.DataFrame,
    w: Any,
    base: dict[str, Any],
    impacts: Mapping[str, Any] | None = None,
    fit_stats: tuple[str, ...] = ("loglik",),
) -> tuple[list[dict[str, Any]], SpatialResults | None]:
    """Fit one specification and return its rows, one per parameter (and impact), with the
    results; or one row naming the error, and None, when the fit fails."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # Non-convergence is recorded from the fit record; warnings would flood a study.
            warnings.simplefilter("ignore")
            results = spec.model.from_formula(spec.formula, data, w).fit(**spec.options)
            estimates = [
                (name, float(results.params[name]), float(results.std_errors[name]))
                for name in results.params.index
            ]
            if impacts is not None and "rho" in results.params.index:
                effects = results.impacts(**impacts)
                errors = effects.std_errors
                for x in effects.estimates.index:
                    for effect in EFFECTS:
                        se = np.nan if errors is None else float(errors.loc[x, effect])
                        estimates.append(
                            (f"{effect}_{x}", float(effects.estimates.loc[x, effect]), se)
                        )
    except TASK_ERRORS as exc:
        return [_error_row(base, exc, time.perf_counter() - start)], None
    seconds = time.perf_counter() - start
    extra = {stat: _number(getattr(results, stat)) for stat in fit_stats}
    converged = bool(results.record.converged)
    rows = [
        base
        | {
            "parameter": name,
            "estimate": estimate,
            "std_error": se,
            "converged": converged,
            "seconds": seconds,
            "error": "",
            "message": "",
        }
        | extra
        for name, estimate, se in estimates
    ]
    return rows, results


def run_study_task(payload: StudyPayload, key: TaskKey) -> TaskResult:
    """Replication ``key = (point, replication)`` of a Monte Carlo study: draw, fit every model."""
    point, replication = key
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    setups = 0
    with _one_thread():
        base = {"design": point, **payload.points[point], "replication": replication}
        try:
            data, w = payload.dgps[point](task_seed(payload.seed, point, replication))
        except TASK_ERRORS as exc:
            seconds = time.perf_counter() - start
            rows = [_error_row(base | {"model": s.name}, exc, seconds) for s in payload.models]
        else:
            before = cache_state(w)
            for spec in payload.models:
                rows += fit_rows(spec, data, w, base | {"model": spec.name}, payload.impacts)[0]
            setups = count_setups(before, w)
    return TaskResult(key, rows, time.perf_counter() - start, setups, os.getpid())


def run_sweep_task(payload: SweepPayload, key: TaskKey) -> TaskResult:
    """Fit ``key = (weights name, formula, model name)`` of a sweep to its data."""
    w_name, formula, model_name = key
    start = time.perf_counter()
    spec = next(s for s in payload.models if (s.formula, s.name) == (formula, model_name))
    w = payload.weights[w_name]
    with _one_thread():
        before = cache_state(w)
        base = {"w": w_name, "model": model_name, "formula": spec.formula}
        rows, fitted = fit_rows(spec, payload.data, w, base, fit_stats=SWEEP_STATISTICS)
        setups = count_setups(before, w)
    return TaskResult(key, rows, time.perf_counter() - start, setups, os.getpid(), fitted)


def run_chunk(
    function: Callable[[Any, TaskKey], TaskResult], payload: Any, keys: Iterable[TaskKey]
) -> list[TaskResult]:
    """Run several tasks in one call (one message to and from a worker)."""
    return [function(payload, key) for key in keys]


# ---------------------------------------------------------------------- fingerprints


def token(value: Any) -> str:
    """A hash of ``value`` by content, stable across processes and runs.

    Weights hash by ids, matrix and transform (not by their caches), frames by index, columns
    and values, dataclasses by their fields, functions and classes by their qualified names.
    """
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()[:16]


def _feed(digest: Any, value: Any) -> None:
    import inspect

    if value is None or isinstance(value, (bool, int, float, str, complex, np.generic)):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, SpatialWeights):
        digest.update(b"weights;")
        _feed(digest, value.ids)
        matrix = value.sparse
        for part in (matrix.indptr, matrix.indices, matrix.data):
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(value.transform.encode())
    elif isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        digest.update(f"{type(value).__name__};".encode())
        hashed = pd.util.hash_pandas_object(value, index=not isinstance(value, pd.Index))
        digest.update(np.asarray(hashed).tobytes())
        if isinstance(value, pd.DataFrame):
            _feed(digest, [str(c) for c in value.columns])
        elif isinstance(value, pd.Series):
            _feed(digest, str(value.name))
    elif isinstance(value, np.ndarray):
        digest.update(f"ndarray{value.shape}{value.dtype};".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, Mapping):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    elif inspect.ismethod(value):
        _feed(digest, ("method", value.__self__, value.__func__))
    elif isinstance(value, functools.partial):
        _feed(digest, ("partial", value.func, value.args, value.keywords))
    elif isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        digest.update(f"{value.__module__}.{value.__qualname__};".encode())
    elif dataclasses.is_dataclass(value):
        _feed(digest, type(value))
        for f in dataclasses.fields(value):
            _feed(digest, (f.name, getattr(value, f.name)))
    elif isinstance(value, np.random.SeedSequence):
        _feed(digest, ("SeedSequence", value.entropy, value.spawn_key))
    else:
        import pickle

        digest.update(pickle.dumps(value, protocol=5))


def describe_json(value: Any) -> str:
    """``value`` as canonical JSON (sorted keys), for the fingerprint file of a store."""
    return json.dumps(value, sort_keys=True, indent=1, default=repr)


def check_unique(names: Iterable[str], what: str) -> None:
    """Refuse duplicate names (of models, weights, design columns)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SpecificationError(f"Two {what} are named {name!r}.")
        seen.add(name)
