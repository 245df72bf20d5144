"""Monte Carlo studies: what to run, and what came out."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import StudyBackend, TableFormat
from naeringsmiljo.exceptions import InputTypeError, SpecificationError
from naeringsmiljo.studies.runner import CONNECT_TIMEOUT, Plan, RunOutcome, check_picklable, execute
from naeringsmiljo.studies.summary import lr_summary, monte_carlo_summary, summary_table
from naeringsmiljo.studies.tasks import (
    StudyPayload,
    check_unique,
    model_specs,
    prepare_weights,
    run_study_task,
    token,
)
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: Columns of a study's tidy frame after the design point's own columns.
DRAW_COLUMNS = {
    "replication": "int64",
    "model": "str",
    "parameter": "str",
    "estimate": "float64",
    "std_error": "float64",
    "loglik": "float64",
    "converged": "bool",
    "seconds": "float64",
    "error": "str",
    "message": "str",
}

Truth = Mapping[str, float] | Callable[[Mapping[str, Any]], Mapping[str, float]]


def _shared_weights(value: Any, found: dict[int, SpatialWeights], depth: int = 0) -> None:
    """Collect the weights matrices held by a process (its fields, a partial's arguments)."""
    if depth > 4:
        return
    if isinstance(value, SpatialWeights):
        found.setdefault(id(value), value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _shared_weights(item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _shared_weights(item, found, depth + 1)
    elif isinstance(value, functools.partial):
        _shared_weights((value.args, value.keywords), found, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _shared_weights(getattr(value, f.name), found, depth + 1)


def _dtype(values: Sequence[Any]) -> str:
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return "int64"
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in values):
        return "float64"
    return "str"


class Study:
    """A seeded Monte Carlo study: a data-generating process, models and replications.

    Each task is one replication at one design point: a data set drawn from the seed
    ``SeedSequence(seed, spawn_key=(point, replication))`` and every model fitted to it. The
    results are the same whatever the backend, the number of workers and the order in which
    the tasks finish.

    Parameters
    ----------
    dgp : callable
        ``seed -> (data, w)``: a picklable callable that draws a data frame and returns it with
        its weights from a ``numpy.random.SeedSequence`` (pass it to
        ``numpy.random.default_rng``); :class:`~naeringsmiljo.studies.SARProcess` and
        :class:`~naeringsmiljo.studies.SEMProcess` are ready ones. With ``design``, a factory
        called with each design point's values (``dgp(n=50, rho=0.2)``) that returns such a
        callable, e.g. :func:`~naeringsmiljo.studies.knn_process`.
    models : dict
        ``{"name": (ModelClass, formula, fit_options)}``, e.g.
        ``{"ML": (nm.SAR, "y ~ x1 + x2", {"method": "ml"})}``.
    replications : int
        Replications per design point.
    seed : int
        The study's seed; every replication's seed derives from it.
    design : dict of str to sequence, optional
        The values of the design's factors; the design points are their combinations (the
        first factor varying slowest). Each becomes a column of the results.
    impacts : dict, optional
        Keyword arguments of ``SpatialResults.impacts``: with it, every model with a lag of y
        also reports ``direct_<x>``, ``indirect_<x>`` and ``total_<x>``.

    Examples
    --------
    >>> import naeringsmiljo as nm
    >>> from naeringsmiljo.studies import Study, knn_process
    >>> study = Study(
    ...     dgp=knn_process, design={"n": [40], "rho": [0.3, 0.6]},
    ...     models={"ML": (nm.SAR, "y ~ x1 + x2", {"method": "ml"})},
    ...     replications=5, seed=1)
    >>> results = study.run(progress=False)
    >>> results.draws.shape
    (40, 13)
    >>> results.summary().loc[lambda s: s.parameter == "rho", ["rho", "truth"]].values.tolist()
    [[0.3, 0.3], [0.6, 0.6]]
    """

    def __init__(
        self,
        dgp: Callable[..., Any],
        models: Mapping[str, Any],
        replications: int,
        seed: int,
        *,
        design: Mapping[str, Sequence[Any]] | None = None,
        impacts: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(dgp):
            raise InputTypeError(
                f"dgp must be a callable seed -> (data, w), got {type(dgp).__name__}."
            )
        if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)):
            raise InputTypeError(f"replications must be an integer, got {replications!r}.")
        if replications < 1:
            raise SpecificationError(f"replications must be at least 1, got {replications}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputTypeError(f"seed must be a non-negative integer, got {seed!r}.")
        self.models = model_specs(models)
        check_unique([m.name for m in self.models], "models")
        self.replications = int(replications)
        self.seed = int(seed)
        self.impacts = dict(impacts) if impacts is not None else None
        if design is None:
            self.points: tuple[dict[str, Any], ...] = ({},)
            self.dgps: tuple[Callable[[Any], Any], ...] = (dgp,)
        else:
            self.points, self.dgps = self._grid(dgp, design)

    @staticmethod
    def _grid(
        factory: Callable[..., Any], design: Mapping[str, Sequence[Any]]
    ) -> tuple[tuple[dict[str, Any], ...], tuple[Callable[[Any], Any], ...]]:
        if not isinstance(design, Mapping) or not design:
            raise InputTypeError("design must be a non-empty dict {'factor': [values, ...]}.")
        reserved = {"design", *DRAW_COLUMNS}
        for name, values in design.items():
            if name in reserved:
                raise SpecificationError(
                    f"A design factor may not be named {name!r}: the results have that column."
                )
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
                raise InputTypeError(f"design[{name!r}] must be a non-empty list of values.")
        names = list(design)
        points = tuple(
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*design.values())
        )
        dgps = []
        for point in points:
            dgp = factory(**point)
            if not callable(dgp):
                raise InputTypeError(
                    f"dgp(**{point}) returned {type(dgp).__name__}, not a callable seed -> "
                    "(data, w)."
                )
            dgps.append(dgp)
        return points, tuple(dgps)

    @property
    def design_columns(self) -> list[str]:
        """The columns of the results that describe a design point."""
        return list(self.points[0])

    def fingerprint(self) -> dict[str, Any]:
        """What identifies the study's tasks: the seed, the design points, the processes (by
        content), the models and the impacts. Not the number of replications: a longer study
        with the same fingerprint extends a shorter one in the same store."""
        return {
            "kind": "study",
            "seed": self.seed,
            "points": [{k: repr(v) for k, v in p.items()} for p in self.points],
            "dgps": [token(d) for d in self.dgps],
            "models": {m.name: m.describe() for m in self.models},
            "impacts": None
            if self.impacts is None
            else {k: repr(v) for k, v in self.impacts.items()},
        }

    def _plan(self) -> Plan:
        for i, dgp in enumerate(self.dgps):
            where = f"The DGP of design point {self.points[i]}" if self.points[i] else "The DGP"
            check_picklable(dgp, where)
        payload = StudyPayload(self.seed, self.dgps, self.points, self.models, self.impacts)
        keys = tuple((p, r) for p in range(len(self.points)) for r in range(self.replications))
        dtypes = {"design": "int64"}
        dtypes |= {c: _dtype([p[c] for p in self.points]) for c in self.design_columns}
        return Plan(run_study_task, payload, keys, ("design", "replication"), self.fingerprint(),
                    dtypes | DRAW_COLUMNS)  # fmt: skip

    def run(
        self,
        backend: StudyBackend = "local",
        address: str | None = None,
        workers: int | None = None,
        store: str | os.PathLike[str] | None = None,
        progress: bool = True,
        *,
        chunksize: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> StudyResults:
        """Run the tasks not yet in ``store`` and return the results of every task.

        Parameters
        ----------
        backend : {"local", "dask"}
            ``"local"``: in this process (``workers=1``, the default) or on a pool of
            ``workers`` processes. ``"dask"``: on a new ``LocalCluster`` of ``workers``
            processes (2 by default), or on the scheduler at ``address``.
        address : str, optional
            A Dask scheduler (``"tcp://host:8786"``); it must answer within
            ``connect_timeout`` seconds, otherwise a ``ClusterError`` is raised and nothing is
            written.
        workers : int, optional
            Number of worker processes.
        store : path, optional
            A directory of Parquet files, one per finished chunk of tasks; created if missing.
            A rerun computes only the tasks it lacks. A store written by another study (another
            seed, design, process or model) is refused with a ``StoreMismatchError``.
        progress : bool, default True
            A progress bar (tqdm) when stderr is a terminal.
        chunksize : int, optional
            Tasks per message to a worker (and per file of the store); does not change results.
        connect_timeout : float
            Seconds to wait for the scheduler at ``address``.

        Returns
        -------
        StudyResults
        """
        plan = self._plan()
        prepared: dict[int, SpatialWeights] = {}
        for dgp in self.dgps:
            _shared_weights(dgp, prepared)
        setups = sum(prepare_weights(w) for w in prepared.values())
        outcome = execute(
            plan,
            backend=backend,
            address=address,
            workers=workers,
            store=store,
            progress=progress,
            chunksize=chunksize,
            connect_timeout=connect_timeout,
        )
        truths = {i: dict(d.truth()) for i, d in enumerate(self.dgps) if hasattr(d, "truth")}
        return StudyResults(
            outcome=outcome,
            points=self.points,
            truths=truths,
            prepared=len(prepared),
            setups=setups,
        )


@dataclass(frozen=True)
class StudyResults:
    """The results of a study.

    Attributes
    ----------
    outcome : RunOutcome
        The draws, the tasks this run computed, the number found in the store, the wall time.
    points : tuple of dict
        The design points, in the order of the ``design`` column.
    truths : dict
        The true parameters of each design point's process, where it states them
        (``process.truth()``).
    prepared : int
        Weights matrices shared by the processes, whose set-up was computed once before the
        tasks and shipped with them.
    setups : int
        How many of them this run had to set up (eigenvalues, bounds) before the tasks: 0 when
        they came prepared (by the process's own checks, or by an earlier run).
    """

    outcome: RunOutcome
    points: tuple[dict[str, Any], ...]
    truths: dict[int, dict[str, float]]
    prepared: int
    setups: int

    @property
    def draws(self) -> pd.DataFrame:
        """The tidy frame: design point (``design`` and its factors), ``replication``,
        ``model``, ``parameter``, ``estimate``, ``std_error``, ``loglik`` (of the fit, repeated
        on each of its rows), ``converged``, ``seconds``, and
        ``error`` and ``message`` (empty unless the task failed; then one row per model with an
        empty ``parameter``)."""
        return self.outcome.draws

    @property
    def tasks(self) -> pd.DataFrame:
        """The tasks computed by this run (not those read from the store): ``design``,
        ``replication``, ``seconds``, ``setups`` (weights set-ups the task computed itself) and
        ``worker``."""
        return self.outcome.tasks

    @property
    def failures(self) -> pd.DataFrame:
        """Failed fits counted by design point, model and error type."""
        failed = self.draws[self.draws["error"] != ""]
        return failed.groupby(["design", "model", "error"]).size().rename("count").reset_index()

    def _truth(self, truth: Truth | None) -> dict[int, dict[str, float]]:
        if truth is None:
            if len(self.truths) < len(self.points):
                raise SpecificationError(
                    "The processes do not state their true parameters; pass truth={...}."
                )
            return self.truths
        if callable(truth):
            return {i: dict(truth(point)) for i, point in enumerate(self.points)}
        if isinstance(truth, Mapping):
            return {i: dict(truth) for i in range(len(self.points))}
        raise InputTypeError(
            f"truth must be a dict of true values or a callable of the design point, got "
            f"{type(truth).__name__}."
        )

    def summary(
        self,
        truth: Truth | None = None,
        *,
        null: Mapping[str, float] | None = None,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Bias, RMSE, size and power of Wald tests and coverage, with Monte Carlo standard
        errors, by design point, model and parameter (:func:`monte_carlo_summary`).

        Parameters
        ----------
        truth : dict or callable, optional
            True values by parameter name, or a function of the design point's values giving
            them; by default the processes' own (``process.truth()``).
        null : dict, optional
            Null values of the power calculation (default 0 for every parameter).
        level : float, default 0.95
            Confidence level of the intervals.
        """
        return monte_carlo_summary(
            self.draws,
            self._truth(truth),
            design_columns=list(self.points[0]),
            null=null,
            level=level,
        )

    def lr_tests(
        self, tests: Mapping[str, tuple[str, str, int]], *, level: float = 0.95
    ) -> pd.DataFrame:
        """Rejection rates of likelihood-ratio tests between models fitted to the same draws
        (:func:`~naeringsmiljo.studies.summary.lr_summary`), with Monte Carlo standard errors.

        Parameters
        ----------
        tests : dict
            ``{"name": (unrestricted model, restricted model, df)}`` by the names of the
            study's models, e.g. ``{"rho = 0": ("ML", "ML, rho = 0", 1)}`` with the restricted
            model fitted with ``{"method": "ml", "fixed": {"rho": 0.0}}``.
        level : float, default 0.95
            The tests reject above the ``level`` quantile of chi-square.
        """
        return lr_summary(self.draws, tests, design_columns=list(self.points[0]), level=level)

    def to_markdown(self, truth: Truth | None = None, **kwargs: Any) -> str:
        """The summary as a Markdown table, each statistic over its Monte Carlo standard error."""
        return self._table("markdown", truth, **kwargs)

    def to_latex(self, truth: Truth | None = None, **kwargs: Any) -> str:
        """The summary as a booktabs ``tabular``."""
        return self._table("latex", truth, **kwargs)

    def _table(self, format: TableFormat, truth: Truth | None, **kwargs: Any) -> str:
        digits = kwargs.pop("digits", 3)
        summary = self.summary(truth, **kwargs)
        return summary_table(
            summary, design_columns=list(self.points[0]), format=format, digits=digits
        )
