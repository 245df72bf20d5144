"""The Gibbs sampler of the Gaussian spatial regressions SAR, SDM, SEM, SDEM and SAC.

.. math::

    y = \\rho W_1 y + X \\beta + u, \\qquad u = \\lambda W_2 u + e, \\qquad
    e \\sim N(0, \\sigma^2 V), \\quad V = \\mathrm{diag}(v_1, \\dots, v_n)

with ``V = I`` (homoskedastic) or ``r / v_i ~ chi^2(r)`` (LeSage 1997). One iteration
(LeSage & Pace 2009, s. 5.3; LeSage 1997):

1. ``rho | lambda, sigma^2, V, y`` with ``beta`` integrated out, by griddy Gibbs on the grid
   of ``ln|I - rho W_1|`` (the collapsed draw of LeSage's ``sar_g`` and R's ``spBreg_lag``);
2. ``beta | rho, lambda, sigma^2, V, y``, normal;
3. ``sigma^2 | beta, rho, lambda, V, y``, inverse gamma;
4. ``lambda | rho, beta, sigma^2, V, y`` by griddy Gibbs (the draw of ``sem_g``);
5. ``v_i | ...`` for the heteroskedastic variant.

Every quantity of steps 1-4 is a quadratic form in the columns
``Z = [X, W_2 X, y, W_1 y, W_2 y, W_2 W_1 y]`` (those the model has): the residual is ``Z a`` with
``a`` affine in each of rho, lambda and beta. ``Z`` is reduced once to its triangular QR factor
``R`` (``Z'Z = R'R``, ``m x m`` with ``m <= 2k + 4``), after which an iteration costs ``O(m^3 +
G)`` for a grid of ``G`` points, whatever ``n`` (the heteroskedastic variant refactors
``V^{-1/2} Z`` every iteration, ``O(n m^2)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from naeringsmiljo.linalg import column_scale
from naeringsmiljo.sampling.blocks import (
    griddy_draw,
    inverse_gamma_draw,
    stacked_regression,
    unit_variance_draw,
)
from naeringsmiljo.sampling.priors import BetaPrior, Priors
from naeringsmiljo.weights.logdet.grid import LogDetGrid

Lag = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SpatialRegressionProblem:
    """The arrays of a Gaussian spatial regression and the tabulated log-determinants.

    ``lag_y``/``lag_error`` apply ``W_1``/``W_2`` (None without the term), ``grid_y``/
    ``grid_error`` tabulate their log-determinants, multiplied by ``multiplicity`` (the number of
    periods of a stacked panel).
    """

    y: np.ndarray
    x: np.ndarray
    lag_y: Lag | None = None
    lag_error: Lag | None = None
    grid_y: LogDetGrid | None = None
    grid_error: LogDetGrid | None = None
    multiplicity: int = 1

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])


class _Columns:
    """The columns ``Z`` and the coordinates of the residual in them."""

    def __init__(self, problem: SpatialRegressionProblem) -> None:
        x, y = problem.x, problem.y
        k = x.shape[1]
        blocks = [x]
        self.k = k
        self.ix = np.arange(k)
        next_col = k
        self.iwx: np.ndarray | None = None
        if problem.lag_error is not None:
            blocks.append(np.column_stack([problem.lag_error(x[:, j]) for j in range(k)]))
            self.iwx = np.arange(next_col, next_col + k)
            next_col += k
        columns = [y]
        self.iy = next_col
        self.iwy = self.iey = self.iewy = -1
        position = next_col + 1
        wy = None
        if problem.lag_y is not None:
            wy = problem.lag_y(y)
            columns.append(wy)
            self.iwy = position
            position += 1
        if problem.lag_error is not None:
            columns.append(problem.lag_error(y))
            self.iey = position
            position += 1
            if wy is not None:
                columns.append(problem.lag_error(wy))
                self.iewy = position
                position += 1
        blocks.append(np.column_stack(columns))
        self.z = np.hstack(blocks)
        self.m = self.z.shape[1]

    def root(self, v: np.ndarray | None = None) -> np.ndarray:
        """``R`` with ``R'R = Z'V^{-1}Z``: QR of the column-equilibrated ``V^{-1/2} Z``."""
        z = self.z if v is None else self.z / np.sqrt(v)[:, None]
        scale = column_scale(z)
        r: np.ndarray = np.linalg.qr(z / scale, mode="r")  # type: ignore[assignment]
        return r * scale

    def design(self, lam: float) -> np.ndarray:
        """Coordinates (``m x k``) of ``(I - lambda W_2) X``."""
        a = np.zeros((self.m, self.k))
        a[self.ix, np.arange(self.k)] = 1.0
        if self.iwx is not None:
            a[self.iwx, np.arange(self.k)] = -lam
        return a

    def outcome(self, rho: float, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of ``(I - lambda W_2)(I - rho W_1) y`` as ``c0 - rho c1``."""
        c0 = np.zeros(self.m)
        c1 = np.zeros(self.m)
        c0[self.iy] = 1.0
        if self.iey >= 0:
            c0[self.iey] = -lam
        if self.iwy >= 0:
            c1[self.iwy] = 1.0
            if self.iewy >= 0:
                c1[self.iewy] = -lam
        return c0, c1

    def residual(self, beta: np.ndarray, rho: float, lam: float) -> np.ndarray:
        """Coordinates of ``e = (I - lambda W_2)((I - rho W_1) y - X beta)``."""
        c0, c1 = self.outcome(rho, lam)
        return c0 - rho * c1 - self.design(lam) @ beta

    def residual_in_lambda(self, beta: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
        """``e`` as ``d0 - lambda d1``: ``d0 = (I - rho W_1) y - X beta`` and ``d1 = W_2 d0``."""
        d0 = np.zeros(self.m)
        d1 = np.zeros(self.m)
        d0[self.ix] = -beta
        d0[self.iy] = 1.0
        if self.iwy >= 0:
            d0[self.iwy] = -rho
        if self.iwx is not None:
            d1[self.iwx] = -beta
        if self.iey >= 0:
            d1[self.iey] = 1.0
        if self.iewy >= 0:
            d1[self.iewy] = -rho
        return d0, d1


@dataclass(frozen=True)
class ChainDraws:
    """The kept draws of one chain: ``beta`` ``(kept, k)``, ``rho``, ``lam``, ``sigma2``
    ``(kept,)`` (NaN for a term the model lacks), and the posterior mean of the unit variances
    (heteroskedastic variant; None otherwise)."""

    beta: np.ndarray
    rho: np.ndarray
    lam: np.ndarray
    sigma2: np.ndarray
    v_mean: np.ndarray | None


def gibbs_chain(
    problem: SpatialRegressionProblem,
    priors: Priors,
    beta_prior: BetaPrior | None,
    *,
    draws: int,
    burn: int,
    thin: int,
    heteroskedastic: bool,
    rng: np.random.Generator,
) -> ChainDraws:
    """Run one chain of the sampler described in the module docstring.

    Starts from ``rho = lambda = 0``, ``V = I`` and the least-squares ``beta`` and
    ``sigma^2``; ``draws`` iterations, the first ``burn`` discarded, every ``thin``-th kept.
    """
    cols = _Columns(problem)
    n, k = problem.nobs, cols.k
    root = cols.root()
    lag, error = problem.lag_y is not None, problem.lag_error is not None
    log_prior_y = (
        priors.spatial_log_density(problem.grid_y.rho, problem.grid_y.interval)
        if problem.grid_y is not None
        else None
    )
    log_prior_e = (
        priors.spatial_log_density(problem.grid_error.rho, problem.grid_error.interval)
        if problem.grid_error is not None
        else None
    )
    kernel_y = kernel_e = None
    if problem.grid_y is not None and log_prior_y is not None:
        kernel_y = (problem.multiplicity * problem.grid_y.values + log_prior_y, problem.grid_y.rho)
    if problem.grid_error is not None and log_prior_e is not None:
        kernel_e = (
            problem.multiplicity * problem.grid_error.values + log_prior_e,
            problem.grid_error.rho,
        )
    base_x, lag_x = cols.design(0.0), cols.design(1.0) - cols.design(0.0)
    # With the flat prior and no lambda or V changing the design, M = R X / sigma factors once.
    fixed = (
        stacked_regression(root @ base_x, 1.0, None)
        if beta_prior is None and not error and not heteroskedastic
        else None
    )
    rho = lam = 0.0
    v = np.ones(n) if heteroskedastic else None
    ols = stacked_regression(root @ base_x, 1.0, None)
    c0, c1 = cols.outcome(0.0, 0.0)
    beta = ols.coefficients(root @ c0)
    resid = root @ cols.residual(beta, 0.0, 0.0)
    sigma2 = float(resid @ resid) / max(n - k, 1)
    kept = len(range(burn, draws, thin))
    out_beta = np.empty((kept, k))
    out_rho = np.full(kept, np.nan)
    out_lam = np.full(kept, np.nan)
    out_sigma2 = np.empty(kept)
    v_sum = np.zeros(n) if heteroskedastic else None
    slot = 0
    for it in range(draws):
        sigma = float(np.sqrt(sigma2))
        if fixed is not None:
            regression = fixed.scaled(1.0 / sigma)
        else:
            regression = stacked_regression(root @ (base_x + lam * lag_x), sigma, beta_prior)
        c0, c1 = cols.outcome(rho, lam)
        rc0, rc1 = root @ c0, root @ c1
        if kernel_y is not None:
            p0 = regression.residual(rc0 / sigma)
            p1 = regression.residual(rc1 / sigma, prior=False)
            rho = griddy_draw(kernel_y[1], _quadratic(kernel_y, p0, p1, 1.0), rng)
        beta = regression.draw((rc0 - rho * rc1) / sigma, rng)
        d0, d1 = cols.residual_in_lambda(beta, rho)
        rd0, rd1 = root @ d0, root @ d1
        resid = rd0 - lam * rd1
        sigma2 = inverse_gamma_draw(
            float(resid @ resid), n, priors.sigma2_shape, priors.sigma2_scale, rng
        )
        if kernel_e is not None:
            lam = griddy_draw(kernel_e[1], _quadratic(kernel_e, rd0, rd1, sigma2), rng)
        if heteroskedastic:
            e = cols.z @ (d0 - lam * d1)
            v = unit_variance_draw(e, sigma2, priors.v_r, rng)
            root = cols.root(v)
        if it >= burn and (it - burn) % thin == 0:
            out_beta[slot] = beta
            out_rho[slot] = rho if lag else np.nan
            out_lam[slot] = lam if error else np.nan
            out_sigma2[slot] = sigma2
            if v_sum is not None and v is not None:
                v_sum += v
            slot += 1
    v_mean = v_sum / kept if v_sum is not None else None
    return ChainDraws(out_beta, out_rho, out_lam, out_sigma2, v_mean)


def _quadratic(
    kernel: tuple[np.ndarray, np.ndarray], p0: np.ndarray, p1: np.ndarray, scale: float
) -> np.ndarray:
    """``base(t) - |p0 - t p1|^2 / (2 scale)`` on the grid points ``t`` of ``kernel = (base, t)``:
    the log-determinant and prior plus the Gaussian part of a spatial parameter's kernel."""
    base, t = kernel
    a, b, c = p0 @ p0, p0 @ p1, p1 @ p1
    return base - (a - 2.0 * b * t + c * t * t) / (2.0 * scale)
