"""Building blocks of the Gibbs samplers: draws from the conditional posteriors that every
sampler of the package shares.

* :func:`griddy_draw`: a draw of a scalar parameter from its log kernel tabulated on a grid
  (griddy Gibbs, Ritter & Tanner 1992; LeSage & Pace 2009, s. 5.3.1), by inverting the
  trapezoidal distribution function.
* :func:`normal_coefficients_draw`: ``beta`` from its conditional normal posterior under a
  normal (or flat) prior, by a QR factorisation of the stacked system, never ``(X'X)^{-1}``.
* :func:`inverse_gamma_draw`: ``sigma^2`` from ``IG(nu + n/2, d0 + e'e/2)``.
* :func:`unit_variance_draw`: the unit variances ``v_i`` of LeSage's (1997) heteroskedastic
  model, ``(e_i^2 / sigma^2 + r) / v_i ~ chi^2(r + 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular as _solve_triangular

from naeringsmiljo.sampling.priors import BetaPrior


def griddy_draw(grid: np.ndarray, log_kernel: np.ndarray, rng: np.random.Generator) -> float:
    """One draw from the density proportional to ``exp(log_kernel)`` on the increasing ``grid``.

    The density is taken linear between grid points (trapezoidal masses) and the draw uniform
    within the cell its uniform number falls in: exact for the tabulated density up to
    ``O(h^2)`` in the spacing ``h``, and continuous (R spatialreg returns the grid point below
    instead, a downward shift of up to ``h``).
    """
    density = np.exp(log_kernel - np.max(log_kernel))
    mass = (density[1:] + density[:-1]) * np.diff(grid)
    cdf = np.cumsum(mass)
    u = rng.random() * cdf[-1]
    cell = min(int(np.searchsorted(cdf, u, side="right")), mass.size - 1)
    below = cdf[cell - 1] if cell > 0 else 0.0
    fraction = (u - below) / mass[cell] if mass[cell] > 0 else 0.5
    return float(grid[cell] + min(max(fraction, 0.0), 1.0) * (grid[cell + 1] - grid[cell]))


def trapezoid_log_integral(grid: np.ndarray, log_values: np.ndarray) -> float:
    """``ln integral exp(log_values)`` over ``grid`` by the trapezoidal rule, without overflow."""
    top = float(np.max(log_values))
    return top + float(np.log(np.trapezoid(np.exp(log_values - top), grid)))


@dataclass(frozen=True)
class StackedRegression:
    """The normal regression ``z = M beta + e``, ``e ~ N(0, I)``, with the prior rows stacked.

    ``M = [X / sigma; U]`` and ``z = [y / sigma; U c]`` with ``U'U = T^{-1}`` (no prior rows for the
    flat prior) give the conditional posterior of ``beta`` as ``N(b, (M'M)^{-1})`` with ``b`` the
    least-squares solution (Lindley & Smith 1972). ``q`` and ``r`` are the thin QR factors of
    ``M``. Built by :func:`stacked_regression`.
    """

    q: np.ndarray
    r: np.ndarray
    prior_rhs: np.ndarray

    def scaled(self, factor: float) -> StackedRegression:
        """The factors of ``M * factor`` (without prior rows: the flat prior)."""
        return StackedRegression(self.q, self.r * factor, self.prior_rhs)

    def coefficients(self, rhs: np.ndarray) -> np.ndarray:
        """Posterior mean of ``beta`` for the data rows ``rhs`` (the prior rows appended)."""
        full = np.concatenate([rhs, self.prior_rhs])
        return solve_triangular(self.r, self.q.T @ full)

    def residual(self, rhs: np.ndarray, *, prior: bool = True) -> np.ndarray:
        """Residual of ``rhs`` off the column space of ``M``, with the prior rows appended
        (or zeros in their place, for the part of a right-hand side that varies)."""
        tail = self.prior_rhs if prior else np.zeros_like(self.prior_rhs)
        full = np.concatenate([rhs, tail])
        return full - self.q @ (self.q.T @ full)

    def draw(self, rhs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A draw of ``beta`` from ``N(b, (M'M)^{-1})``: ``b + R^{-1} z``, ``z ~ N(0, I)``."""
        z = rng.standard_normal(self.r.shape[0])
        full = np.concatenate([rhs, self.prior_rhs])
        return solve_triangular(self.r, self.q.T @ full + z)


def solve_triangular(r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``r^{-1} b`` for an upper-triangular ``r`` (no input checks: the samplers call it often)."""
    return _solve_triangular(r, b, check_finite=False)


def stacked_regression(
    x: np.ndarray, sigma: float, prior: BetaPrior | None
) -> StackedRegression:
    """Factor ``M = [x / sigma; U]`` of :class:`StackedRegression` (``x`` may be any matrix with
    the Gram matrix of the design, such as its triangular factor)."""
    if prior is None:
        stacked, prior_rhs = x / sigma, np.empty(0)
    else:
        stacked = np.vstack([x / sigma, prior.root])
        prior_rhs = prior.root @ prior.mean
    q, r = np.linalg.qr(stacked)
    return StackedRegression(q, r, prior_rhs)


def normal_coefficients_draw(
    x: np.ndarray,
    y: np.ndarray,
    sigma2: float,
    prior: BetaPrior | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """A draw of ``beta`` from its conditional posterior in ``y = x beta + e``, ``e ~ N(0, sigma2 I)``.

    Conjugate normal update (LeSage & Pace 2009, eq. 5.12): precision ``x'x / sigma2 + T^{-1}``,
    mean ``(x'x / sigma2 + T^{-1})^{-1} (x'y / sigma2 + T^{-1} c)``; computed by the QR
    factorisation of the stacked system, so that a nearly collinear ``x`` costs its condition
    number once and rescaling a column rescales its draws only.
    """
    sigma = float(np.sqrt(sigma2))
    return stacked_regression(x, sigma, prior).draw(y / sigma, rng)


def inverse_gamma_draw(
    sum_squares: float, n: int, shape: float, scale: float, rng: np.random.Generator
) -> float:
    """``sigma^2`` from ``IG(shape + n/2, scale + sum_squares/2)`` (LeSage & Pace 2009, eq. 5.13)."""
    return float((scale + 0.5 * sum_squares) / rng.gamma(shape + 0.5 * n))


def unit_variance_draw(
    residuals: np.ndarray, sigma2: float, r: float, rng: np.random.Generator
) -> np.ndarray:
    """The variances ``v_i`` of the heteroskedastic model (LeSage 1997, eq. 11):
    ``(e_i^2 / sigma^2 + r) / v_i ~ chi^2(r + 1)`` independently."""
    return (residuals**2 / sigma2 + r) / rng.chisquare(r + 1.0, size=residuals.size)
