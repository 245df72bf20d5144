"""Log-marginal likelihoods of Gaussian spatial regressions and posterior model probabilities.

With the flat prior on ``beta``, ``1/sigma^2`` on ``sigma^2`` and a proper prior ``p(rho)`` on the
spatial parameter's interval, ``beta`` and ``sigma^2`` integrate out analytically (LeSage & Pace
2009, s. 6.3; LeSage 2014; LeSage's ``lmarginal`` routines):

.. math::

    p(y \\mid \\rho) = \\frac{\\Gamma(\\nu)}{\\pi^{\\nu}}\\,
        |A(\\rho)|\\,|X_\\rho' X_\\rho|^{-1/2}\\, S(\\rho)^{-\\nu},
    \\qquad \\nu = \\frac{n - k}{2},

with ``A = I - rho W`` and, for the lag models (SAR, SDM), ``X_rho = X`` and ``S`` the residual
sum of squares of ``A y`` on ``X``; for the error models (SEM, SDEM) ``X_rho = A X`` and ``S``
that of ``A y`` on ``A X``. The log-marginal likelihood ``ln p(y) = ln int p(y|rho) p(rho) drho``
is the trapezoidal rule on the log-determinant grid; SLX and OLS have no spatial parameter and
``ln p(y) = ln p(y | 0)``. (LeSage's code writes the constant as ``Gamma(nu) (2 pi)^{-nu}``; the
exact integral above has ``pi^{-nu}``, which matters when models with different ``k`` are
compared.)

The flat prior on ``beta`` is improper, so ``|X'X|^{-1/2}`` carries the units of the regressors:
rescaling a column shifts the log-marginal of every model containing it (or its spatial lag) by
``-ln|c|`` per column. Models with the same regressors (SAR and SEM; SDM and SDEM) compare
whatever the units; across different regressor sets the probabilities depend on them, as in
LeSage (2014).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import special

from naeringsmiljo._options import LogDetMethod
from naeringsmiljo.design.base import Design
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.linalg import column_scale
from naeringsmiljo.sampling.blocks import trapezoid_log_integral
from naeringsmiljo.sampling.priors import Priors
from naeringsmiljo.weights.logdet.grid import DEFAULT_GRID_POINTS, LogDetGrid, logdet_grid


class ComparedModel(Protocol):
    """What :func:`compare_models` reads from a model: its name, design and spatial parameters."""

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> Design: ...

    @property
    def spatial_params(self) -> list[str]: ...


def _root(z: np.ndarray) -> np.ndarray:
    scale = column_scale(z)
    r: np.ndarray = np.linalg.qr(z / scale, mode="r")  # type: ignore[assignment]
    return r * scale


def log_conditional_likelihood(
    y: np.ndarray,
    x: np.ndarray,
    wy: np.ndarray | None,
    wx: np.ndarray | None,
    values: np.ndarray,
) -> np.ndarray:
    """``ln p(y | t)`` without the log-determinant, at the parameter values ``t``.

    ``wy`` alone: the lag models; ``wy`` and ``wx``: the error models (``A X`` with
    ``A = I - t W``); neither: ``t`` is ignored (SLX, OLS). Computed from the triangular factor of
    ``[X, W X, y, W y]``, so that each value costs a ``k``-column QR of a small matrix.
    """
    n, k = x.shape
    nu = 0.5 * (n - k)
    blocks = [x] + ([wx] if wx is not None else []) + [y[:, None]]
    if wy is not None:
        blocks.append(wy[:, None])
    r = _root(np.hstack(blocks))
    m = r.shape[1]
    iy = m - (2 if wy is not None else 1)
    values = np.atleast_1d(np.asarray(values, dtype=float))
    design = np.zeros((values.size, m, k))
    design[:, np.arange(k), np.arange(k)] = 1.0
    if wx is not None:
        design[:, k + np.arange(k), np.arange(k)] = -values[:, None]
    outcome = np.zeros((values.size, m))
    outcome[:, iy] = 1.0
    if wy is not None:
        outcome[:, iy + 1] = -values
    xs = np.einsum("ij,gjk->gik", r, design)
    ys = outcome @ r.T
    q, rx = np.linalg.qr(xs)
    fitted = np.einsum("gik,gk->gi", q, np.einsum("gik,gi->gk", q, ys))
    ssr = np.sum((ys - fitted) ** 2, axis=1)
    log_det_xx = 2.0 * np.sum(np.log(np.abs(np.diagonal(rx, axis1=1, axis2=2))), axis=1)
    return special.gammaln(nu) - nu * np.log(np.pi) - 0.5 * log_det_xx - nu * np.log(ssr)


def log_marginal_likelihood(
    model: ComparedModel,
    *,
    priors: Priors | None = None,
    logdet: LogDetMethod = "auto",
    grid: int = DEFAULT_GRID_POINTS,
) -> tuple[float, float | None]:
    """``ln p(y)`` of a SAR, SDM, SEM, SDEM, SLX or OLS model, and the posterior mean of its
    spatial parameter (None without one); see the module docstring (LeSage 2014).

    Raises
    ------
    SpecificationError
        For a model with both a lag of y and a lag of the error (SAC, GNS: a two-dimensional
        integral this function does not compute), or combined weights.
    """
    spec = model.spec
    params = model.spatial_params
    if len(params) > 1 or spec.terms.combined is not None:
        raise SpecificationError(
            f"{model.name}: log-marginal likelihoods are computed for models with at most one "
            f"spatial parameter (SAR, SDM, SEM, SDEM, SLX, OLS); it has {params}."
        )
    priors = priors if priors is not None else Priors()
    if not priors.flat_beta or priors.sigma2_shape or priors.sigma2_scale:
        raise SpecificationError(
            "The log-marginal likelihood integrates beta and sigma^2 out under their flat and "
            "1/sigma^2 priors; pass Priors() with only the spatial prior changed."
        )
    y, x = np.asarray(spec.y, dtype=float), np.asarray(spec.x, dtype=float)
    if not params:
        return float(log_conditional_likelihood(y, x, None, None, np.zeros(1))[0]), None
    kind = "y" if params[0] == "rho" else "error"
    table: LogDetGrid = logdet_grid(spec.term_weights(kind), logdet, points=grid)  # type: ignore[arg-type]
    lag = spec.lag_operator(kind)  # type: ignore[arg-type]
    wy = lag(y)
    wx = np.column_stack([lag(x[:, j]) for j in range(x.shape[1])]) if kind == "error" else None
    log_f = (
        log_conditional_likelihood(y, x, wy, wx, table.rho)
        + spec.logdet_multiplicity * table.values
        + priors.spatial_log_density(table.rho, table.interval)
    )
    log_ml = trapezoid_log_integral(table.rho, log_f)
    weights = np.exp(log_f - log_ml)
    mean = float(np.trapezoid(table.rho * weights, table.rho))
    return log_ml, mean


def compare_models(
    models: Sequence[ComparedModel],
    *,
    priors: Priors | None = None,
    model_priors: Sequence[float] | None = None,
    logdet: LogDetMethod = "auto",
    grid: int = DEFAULT_GRID_POINTS,
) -> pd.DataFrame:
    """Posterior model probabilities of specifications fitted to the same data (LeSage 2014).

    Parameters
    ----------
    models : sequence of models
        Unfitted models (``SAR.from_formula(...)`` and so on) with the same outcome on the same
        units: SAR, SDM, SEM, SDEM, SLX or OLS.
    priors : Priors, optional
        Only the prior of the spatial parameter may differ from the default (``Beta(1.01,
        1.01)`` on its interval).
    model_priors : sequence of float, optional
        Prior model probabilities (equal by default), normalised.
    logdet, grid :
        The log-determinant grid (:func:`naeringsmiljo.weights.logdet.grid.logdet_grid`).

    Returns
    -------
    pandas.DataFrame
        One row per model (its name, numbered when repeated): ``log_marginal``,
        ``probability``, ``k`` (coefficients), ``spatial_parameter`` and its posterior mean
        ``posterior_mean`` (NaN for SLX, OLS).

    Raises
    ------
    SpecificationError
        When the models do not share the outcome and units, or one has two spatial parameters.
    """
    if not models:
        raise SpecificationError("compare_models needs at least one model.")
    first = models[0].spec
    for model in models[1:]:
        spec = model.spec
        if not spec.ids.equals(first.ids) or not np.array_equal(spec.y, first.y):
            raise SpecificationError(
                f"{model.name} is not fitted to the same outcome and units as {models[0].name}: "
                "posterior model probabilities compare models of the same data."
            )
    if model_priors is None:
        log_model_prior = np.zeros(len(models))
    else:
        weights = np.asarray(model_priors, dtype=float)
        if weights.shape != (len(models),) or np.any(weights <= 0):
            raise SpecificationError(
                f"model_priors needs {len(models)} positive numbers, got {model_priors!r}."
            )
        log_model_prior = np.log(weights / weights.sum())
    rows = []
    names: list[str] = []
    for model in models:
        log_ml, mean = log_marginal_likelihood(model, priors=priors, logdet=logdet, grid=grid)
        name = model.name
        while name in names:
            name = f"{model.name} ({sum(n.startswith(model.name) for n in names) + 1})"
        names.append(name)
        rows.append(
            {
                "log_marginal": log_ml,
                "k": len(model.spec.exog_names),
                "spatial_parameter": model.spatial_params[0] if model.spatial_params else "",
                "posterior_mean": np.nan if mean is None else mean,
            }
        )
    frame = pd.DataFrame(rows, index=pd.Index(names, name="model"))
    log_post = frame["log_marginal"].to_numpy() + log_model_prior
    probability = np.exp(log_post - special.logsumexp(log_post))
    frame.insert(1, "probability", probability)
    return frame
