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
