"""Option types shared across the package (one place for every ``Literal``)."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Collection, Iterable
from typing import Any, Literal, TypeVar, get_args, get_origin

from naeringsmiljo.exceptions import OptionError

T = TypeVar("T")

LogDetMethod = Literal[
    "eigen", "lu", "cholesky", "pardiso", "chebyshev", "monte_carlo", "spline", "auto"
]
"""How ln|I - rho W| is evaluated: exactly (dense eigenvalues, sparse LU, sparse Cholesky), approximately
with a stated error (Chebyshev, Monte Carlo, spline on a grid), or chosen by size and structure."""

FitMethod = Literal["ml", "ols", "gmm", "bayes"]
"""Estimation method accepted by ``fit``."""

MissingPolicy = Literal["raise", "drop"]
"""What to do with NaN or infinite values in the variables of a model."""

IslandPolicy = Literal["raise", "keep", "drop"]
"""What to do with units that have no neighbours."""

Transform = Literal["o", "r", "b", "d", "s"]
"""Weights transforms: original, row-standardised, binary, doubly standardised, spectral."""

ImpactsMethod = Literal["auto", "exact", "eigen", "trace"]
"""How impacts are computed: dense inverse, eigen-decomposition, or trace series."""

ImpactsInference = Literal["simulation", "delta"]
"""How standard errors of the impacts are obtained (None: point estimates only)."""

ImpactsHorizon = Literal["short", "long"]
"""Impacts of a dynamic panel: within the period (short run) or at the steady state (long run)."""

PredictionKind = Literal["trend", "TC", "TS", "BP"]
"""Spatial predictors (Goulard, Laurent & Thomas-Agnan 2017; R spatialreg's ``pred.type``):
``X beta``, the reduced form, trend and signal, the best predictor."""

PanelEffects = Literal["none", "entity", "time", "twoways", "random"]
"""Effects of a spatial panel: none (pooled), fixed effects of the entities, of the periods or of
both (removed by the within transformation), or random effects of the entities."""

DynamicLags = Literal["time", "space", "spacetime"]
"""Lags of the outcome in a dynamic spatial panel (Yu, de Jong & Lee 2008; Elhorst 2014, ch. 4):
``y_{t-1}`` (coefficient ``tau``), ``W y_{t-1}`` (``eta``) or both."""

LagConvention = Literal["lag_then_demean", "demean_then_lag"]
"""How spatial lags meet the within transformation of a fixed-effects panel: ``Q(W y)``, the exact
transform of the model (Elhorst 2014, ch. 3; default), or ``W(Q y)``, the lag of the demeaned
data (R splm); the two differ only with time effects."""

TraceMethod = Literal["exact", "monte_carlo", "auto"]
"""How ``tr(W^k)`` is obtained: exactly, by the stochastic estimator, or chosen by size."""

InformationPath = Literal["auto", "dense", "sparse"]
"""How the information matrix is computed: dense inverses, sparse solves and traces, or by size."""

SandwichInnovations = Literal["heteroskedastic", "iid"]
"""What the ML sandwich assumes of the innovations: independent with unit-specific variances
(Kelejian & Prucha 2010), or independent and identically distributed, not necessarily normal
(Lee 2004)."""

#: Largest n for which dense n-by-n matrices are formed (the information-matrix covariance and
#: exact impacts): one such matrix takes 8 n^2 bytes, 200 MB at n = 5,000.
DENSE_MATRIX_LIMIT = 5000

Alternative = Literal["two-sided", "greater", "less"]
"""Alternative hypothesis of a one-dimensional z test."""

TableFormat = Literal["text", "markdown", "latex"]
"""Output format of :func:`regression_table`."""

TableStat = Literal["se", "t", "p"]
"""What is shown in parentheses beneath each estimate."""

ColumbusWeights = Literal["anselin", "queen"]
"""Which Columbus contiguity matrix."""

NorwayWeights = Literal["queen", "knn", "distance"]
"""Geographic rule of :func:`norway_weights`."""

NorwayIslandPolicy = Literal["raise", "knn", "keep"]
"""What :func:`norway_weights` does with municipalities left without neighbours."""

GMMVariant = Literal["kp99", "het", "hom"]
"""Moment conditions of the GMM estimators of lambda."""

Weighting = Literal["size", "count"]
"""What an actor contributes to a measure: its employment (``size``) or one (``count``)."""

DistanceDecay = Literal["exponential", "gaussian"]
"""Kernel of the co-location potential: ``exp(-d/b)`` or ``exp(-d^2 / (2 b^2))``."""

RelationalValue = Literal["count", "intensity"]
"""What a relational weight holds: the number of ties, or ties per possible pair of actors."""

OutcomeLevel = Literal["actor", "region"]
"""Whether outcomes are observed per actor or per region."""


def literal_values(hint: Any) -> tuple[Any, ...] | None:
    """The values a ``Literal`` hint admits (None among them when the hint is optional).

    ``Literal["a", "b"]`` gives ``("a", "b")``, ``Literal["a"] | None`` gives ``("a", None)``;
    a hint that is not made of ``Literal`` (and None) alone gives None (unconstrained).
    """
    if get_origin(hint) is Literal:
        return get_args(hint)
    if get_origin(hint) in (typing.Union, types.UnionType):
        values: list[Any] = []
        for arm in get_args(hint):
            if arm is type(None):
                values.append(None)
            elif get_origin(arm) is Literal:
                values.extend(get_args(arm))
            else:
                return None
        return tuple(values)
    return None


def closest(value: object, candidates: Iterable[object]) -> str:
    """``" Did you mean 'het'?"`` for the candidate closest to ``value``; empty if none is close.

    Closeness is :func:`difflib.get_close_matches` on the string forms (its default cut-off 0.6,
    lowered to 0.5 so that a swapped pair of letters in a three-letter value still matches).
    """
    names = {str(c): c for c in candidates if c is not None}
    match = difflib.get_close_matches(str(value), list(names), n=1, cutoff=0.5)
    return f" Did you mean {names[match[0]]!r}?" if match else ""


def check_choice(name: str, value: T, allowed: Any, *, context: str = "") -> T:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`OptionError`.

    Parameters
    ----------
    name : str
        The option's name, as the caller wrote it (``"missing"``).
    value : object
        The value given.
    allowed : Literal type or collection
        A ``Literal`` (optionally ``| None``), whose values are read with
        :func:`typing.get_args`, or the allowed values themselves.
    context : str, optional
        Where the option was given (``"of the 'ml' estimator"``), added to the message.

    Raises
    ------
    OptionError
        Naming the option, the value, the allowed values and the closest of them.

    Examples
    --------
    >>> check_choice("missing", "drop", MissingPolicy)
    'drop'
    >>> check_choice("missing", "dorp", MissingPolicy)
    Traceback (most recent call last):
    ...
    naeringsmiljo.exceptions.OptionError: missing='dorp' is not one of 'raise', 'drop'. Did you mean 'drop'?
    """
    values = literal_values(allowed)
    choices: tuple[Any, ...] = tuple(allowed) if values is None else values
    try:
        valid = any(isinstance(value, type(c)) and value == c for c in choices)
    except (TypeError, ValueError):  # an array compared element-wise is no option value
        valid = False
    if valid:
        return value
    where = f" {context}" if context else ""
    shown = ", ".join(repr(c) for c in choices)
    raise OptionError(
        f"{name}={value!r}{where} is not one of {shown}." + closest(value, choices),
        option=name,
        value=value,
        allowed=choices,
    )


def check_names(given: Collection[str], valid: Collection[str], what: str) -> None:
    """Raise :class:`OptionError` for names in ``given`` that are not in ``valid``.

    ``what`` says whose names they are (``"The 'ml' estimator takes"``); the message lists the
    valid names and suggests the closest to each unknown one.
    """
    unknown = [n for n in given if n not in valid]
    if not unknown:
        return
    hints = "".join(closest(n, valid) for n in unknown)
    raise OptionError(
        f"{what} no option {', '.join(map(repr, unknown))}; valid: {sorted(valid)}.{hints}",
        option=unknown[0],
        value=unknown[0],
        allowed=tuple(sorted(valid)),
    )


def check_alpha(alpha: float, level: float | None = None) -> float:
    """The significance level of a ``1 - alpha`` confidence interval, checked.

    ``alpha`` follows statsmodels (``alpha=0.05``: a 95% interval). A value of 0.5 or more
    would give an interval covering half the time or less, almost always a coverage passed
    where ``alpha`` was meant, and ``level=`` (the coverage, as this package once took it) is
    refused with a pointer to ``alpha``, so that no old call silently changes meaning.

    Raises
    ------
    OptionError
        For ``level=`` given, or ``alpha`` outside ``(0, 0.5)``.
    """
    if level is not None:
        raise OptionError(
            f"level={level!r}: intervals take alpha, the significance level (alpha=0.05 for a "
            f"95% interval); pass alpha={1 - level:.6g} for a coverage of {level!r}.",
            option="level",
            value=level,
        )
    if not 0 < alpha < 0.5:
        hint = f"; for a coverage of {alpha!r} pass alpha={1 - alpha:.6g}" if alpha < 1 else ""
        raise OptionError(
            f"alpha must lie in (0, 0.5), got {alpha!r}: the interval covers 1 - alpha{hint}.",
            option="alpha",
            value=alpha,
        )
    return float(alpha)


StudyBackend = Literal["local", "dask"]
"""Where the tasks of a study run: in this process or a local process pool, or on Dask."""

ProcessKind = Literal["SAR", "SEM", "SDM", "SAC"]
"""The data-generating processes of :func:`naeringsmiljo.studies.knn_process`."""
