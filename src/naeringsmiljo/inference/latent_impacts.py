"""Marginal effects of spatial probit and Tobit models from posterior draws.

For the SAR probit (LeSage & Pace 2009, s. 10.1.6; LeSage et al. 2011, eq. 9) the effect of
regressor ``r`` on the probabilities is the n x n matrix

.. math::

    \\frac{\\partial \\Pr(y = 1)}{\\partial x_r'} = \\operatorname{diag}(\\phi(\\eta))\\,
    S(\\rho)^{-1} \\beta_r, \\qquad S(\\rho) = I - \\rho W, \\quad \\eta = S(\\rho)^{-1} X \\beta,

with ``eta`` the mean of the latent variable (not divided by its standard deviation, as
LeSage & Pace and R spatialprobit). The average direct impact is the mean of its diagonal,
the average total impact the mean of its row sums, and the indirect impact their difference.
For the SAR Tobit ``phi(eta)`` becomes ``Phi(eta / sigma)`` (the effect on ``E[y]``, LeSage &
Pace 2009, s. 10.3). For the Poisson model with a SAR latent log-rate it becomes
``E[y_i] = exp(eta_i + sigma^2 s_i^2 / 2)``, ``s_i^2 = [(S'S)^{-1}]_ii``, the effects on the expected
counts. The SEM probit has no spillovers: ``Pr(y_i = 1) = Phi(x_i beta / s_i)``
with ``s_i^2 = [(B'B)^{-1}]_ii``, ``B = I - lambda W``, so the direct impact is the mean of
``phi(x_i beta / s_i) beta_r / s_i`` and the indirect impact is zero.

Each draw needs ``S^{-1} X``, ``S^{-1} 1`` and ``diag(S^{-1})`` (or ``s`` for the SEM) at its
spatial parameter. They depend on that parameter only, smoothly, so they are computed at the
Chebyshev points of the range of the draws and interpolated by the polynomial through them
(barycentric form; the error falls geometrically with the number of points): exactly at the points for
``n <= EXACT_LIMIT`` (dense inverses), and above that with sparse LU solves for ``S^{-1} X``
and ``S^{-1} 1`` and Hutchinson's estimator with Rademacher probes for the diagonals
(``diag(A) ~ mean(v * A v)``; for the SEM ``s_i^2 ~ mean((B^{-1} v)_i^2)``), never an n x n
matrix.

For actors in regions with autoregressive regional effects (Smith & LeSage 2004),
``z_i = x_i'beta + theta_r(i) + e_i``, ``theta = rho W theta + u``, ``u ~ N(0, sigma_theta^2 I)``,
``e_i ~ N(0, 1)``, the probability with the regional effects integrated out is
``Pr(y_i = 1) = Phi(x_i'beta / s_i)``, ``s_i^2 = 1 + sigma_theta^2 [(B'B)^{-1}]_{r(i) r(i)}``,
``B = I - rho W`` over the regions (:func:`regional_impacts`). A regressor, the milieu measure
of a region included, enters only the latent index of the actors it belongs to; ``W`` acts on
the unobserved regional effects alone, so ``rho`` changes the scale ``s_i`` but carries no
change of one region's regressors to another region's actors: the derivative of ``Pr(y_i = 1)``
with respect to region ``q``'s measure is ``phi(x_i'beta / s_i) beta_r / s_i`` for the actors of
``q`` and zero for all others. The direct impact is the mean of that over the actors, the
indirect impact is zero, as in the SEM probit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy import special
from scipy.interpolate import BarycentricInterpolator
from scipy.sparse.linalg import splu

#: Largest n for which the grid points are computed with dense inverses (exact).
EXACT_LIMIT = 2000

Outcome = Literal["probit", "tobit", "poisson"]


@dataclass(frozen=True)
class LatentImpactDraws:
    """Average direct, indirect and total impacts, one row per posterior draw."""

    direct: np.ndarray
    indirect: np.ndarray
    total: np.ndarray
    method: str


@dataclass(frozen=True)
class _GridValues:
    points: np.ndarray
    solved: np.ndarray  # (G, n, k + 1): S^{-1} [X, 1]
    diagonal: np.ndarray  # (G, n): diag(S^{-1})
    scale: np.ndarray  # (G, n): row norms of S^{-1}, the latent s.d. per unit of innovation


def _grid(values: np.ndarray, points: int) -> np.ndarray:
    """Chebyshev points (of the second kind) spanning the range of ``values``."""
    low, high = float(np.min(values)), float(np.max(values))
    if high - low < 1e-12 or points < 2:
        return np.array([0.5 * (low + high)])
    nodes = np.cos(np.pi * np.arange(points) / (points - 1))
    return np.sort(0.5 * (low + high) + 0.5 * (high - low) * nodes)


def _grid_values(
    kind: Literal["lag", "error"],
    x: np.ndarray,
    w: sp.csr_array,
    points: np.ndarray,
    probes: int,
    rng: np.random.Generator,
) -> _GridValues:
    n = x.shape[0]
    rhs = np.column_stack([x, np.ones(n)])
    solved = np.empty((points.size, n, rhs.shape[1]))
    diagonal = np.empty((points.size, n))
    scale = np.empty((points.size, n))
    identity = sp.identity(n, format="csc")
    exact = n <= EXACT_LIMIT
    dense_w = w.toarray() if exact else None
    signs = None if exact else rng.choice([-1.0, 1.0], size=(n, probes))
    for g, a in enumerate(points):
        if exact:
            inverse = np.linalg.inv(np.eye(n) - a * dense_w)
            solved[g] = inverse @ rhs
            diagonal[g] = np.diag(inverse)
            scale[g] = np.sqrt(np.einsum("ij,ij->i", inverse, inverse))
            continue
        lu = splu((identity - a * w).tocsc())
        probed = lu.solve(signs)
        solved[g] = lu.solve(rhs)
        diagonal[g] = np.mean(signs * probed, axis=1)
        scale[g] = np.sqrt(np.mean(probed**2, axis=1))
    return _GridValues(points, solved, diagonal, scale)


def latent_impacts(
    kind: Literal["lag", "error"],
    outcome: Outcome,
    x: np.ndarray,
    w: sp.csr_array,
    beta: np.ndarray,
    spatial: np.ndarray,
    sigma2: np.ndarray,
    columns: np.ndarray,
    *,
    grid_points: int = 9,
    probes: int = 100,
    seed: int | np.random.SeedSequence = 0,
) -> LatentImpactDraws:
    """Average impacts of the regressors ``columns`` of ``x`` for each posterior draw.

    Parameters
    ----------
    kind : {"lag", "error"}
        SAR (``rho W z``) or SEM (``lambda W u``) latent process.
    outcome : {"probit", "tobit"}
        Effects on ``Pr(y = 1)`` (``phi(eta)``) or on ``E[y]`` of the Tobit
        (``Phi(eta / sigma)``).
    beta, spatial, sigma2 : numpy.ndarray
        Draws: ``(D, k)`` coefficients, ``(D,)`` spatial parameter, ``(D,)`` variance.
    columns : numpy.ndarray
        Indices of the regressors whose impacts are wanted (not the intercept).
    grid_points : int
        Chebyshev points of the spatial parameter between its smallest and largest draw.
    probes : int
        Rademacher probes of the diagonal estimates when ``n > EXACT_LIMIT``.
    seed : int or numpy.random.SeedSequence
        Seed of the probes.
    """
    n = x.shape[0]
    grid = _grid_values(
        kind, x, w, _grid(spatial, grid_points), probes, np.random.default_rng(seed)
    )
    d = beta.shape[0]
    n_points = grid.points.size
    stacked = np.concatenate(
        [grid.solved.reshape(n_points, -1), grid.diagonal, grid.scale], axis=1
    )
    interpolant = (
        BarycentricInterpolator(grid.points, stacked) if n_points > 1 else (lambda a: stacked[0])
    )
    direct = np.empty((d, columns.size))
    total = np.empty((d, columns.size))
    for i in range(d):
        values = np.asarray(interpolant(float(spatial[i])))
        size = grid.solved[0].size
        solved = values[:size].reshape(grid.solved.shape[1:])
        diagonal = values[size : size + n]
        scale = values[size + n :]
        b = beta[i]
        if kind == "lag":
            eta = solved[:, :-1] @ b
            if outcome == "tobit":
                weight = special.ndtr(eta / np.sqrt(sigma2[i]))
            elif outcome == "poisson":
                weight = np.exp(eta + 0.5 * sigma2[i] * scale**2)
            else:
                weight = np.exp(-0.5 * eta**2) / np.sqrt(2 * np.pi)
            direct[i] = np.mean(weight * diagonal) * b[columns]
            total[i] = np.mean(weight * solved[:, -1]) * b[columns]
        else:
            eta = (x @ b) / scale
            weight = np.exp(-0.5 * eta**2) / np.sqrt(2 * np.pi) / scale
            direct[i] = np.mean(weight) * b[columns]
            total[i] = direct[i]
    method = "exact" if n <= EXACT_LIMIT else f"sparse LU, {probes} probes"
    return LatentImpactDraws(direct, total - direct, total, method)


def regional_impacts(
    x: np.ndarray,
    region: np.ndarray,
    w: sp.csr_array,
    beta: np.ndarray,
    rho: np.ndarray,
    sigma2_theta: np.ndarray,
    columns: np.ndarray,
    *,
    probes: int = 100,
    seed: int | np.random.SeedSequence = 0,
) -> LatentImpactDraws:
    """Average impacts on ``Pr(y = 1)`` of the probit of actors in regions, per posterior draw.

    The direct impact of regressor ``r`` is the mean over the actors of
    ``phi(x_i'beta / s_i) beta_r / s_i``, ``s_i^2 = 1 + sigma_theta^2 [(B'B)^{-1}]_{r(i) r(i)}``,
    ``B = I - rho W``; the indirect impact is zero (module docstring; Smith & LeSage 2004).
    ``[(B'B)^{-1}]_qq`` is the squared row norm of ``B^{-1}``, computed at each distinct ``rho``
    of the draws (they come from the griddy-Gibbs grid, so there are few): exactly up to
    ``EXACT_LIMIT`` regions, by Rademacher probes above. It has a pole where ``B`` is singular,
    so it is not interpolated as the solves of :func:`latent_impacts` are.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, k)`` regressors of the actors.
    region : numpy.ndarray
        Each actor's region as a position ``0..m-1`` in ``w``.
    w : scipy.sparse.csr_array
        ``(m, m)`` weights over the regions.
    beta, rho, sigma2_theta : numpy.ndarray
        Draws: ``(D, k)`` coefficients, ``(D,)`` spatial parameter of the regional effects and
        ``(D,)`` variance of their innovations.
    columns : numpy.ndarray
        Indices of the regressors whose impacts are wanted (not the intercept).
    probes, seed
        As in :func:`latent_impacts`.
    """
    m = w.shape[0]
    distinct, position = np.unique(rho, return_inverse=True)
    grid = _grid_values(
        "error", np.empty((m, 0)), w, distinct, probes, np.random.default_rng(seed)
    )
    variance = grid.scale**2
    d = beta.shape[0]
    direct = np.empty((d, columns.size))
    index = x @ beta.T
    for i in range(d):
        scale = np.sqrt(1.0 + sigma2_theta[i] * variance[position[i], region])
        eta = index[:, i] / scale
        weight = np.exp(-0.5 * eta**2) / np.sqrt(2 * np.pi) / scale
        direct[i] = np.mean(weight) * beta[i, columns]
    method = "exact" if m <= EXACT_LIMIT else f"sparse LU, {probes} probes"
    return LatentImpactDraws(direct, np.zeros_like(direct), direct.copy(), method)
