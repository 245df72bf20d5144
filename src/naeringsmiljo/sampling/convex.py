"""Bayesian SAR whose lag of y is a convex combination of several weights matrices.

.. math::

    y = \\rho \\sum_m \\gamma_m W_m y + X \\beta + e, \\qquad
    e \\sim N(0, \\sigma^2 I), \\quad \\gamma \\in \\Delta^{M-1}

(Debarsy & LeSage 2018, 2022). The log-determinant ``ln|I - rho W_c(gamma)|`` has no grid in
several dimensions, so ``rho`` and ``gamma`` are drawn by random-walk Metropolis-Hastings steps
(one coordinate at a time) with ``beta`` integrated out given ``sigma^2`` (the collapsed kernel of
:mod:`naeringsmiljo.sampling.gaussian`), with exact sparse-LU log-determinants
(:class:`naeringsmiljo.likelihood.channels.CombinedLogDet`), then ``beta`` and ``sigma^2`` by
their conjugate draws. ``gamma`` is moved through ``eta`` with ``gamma = softmax(eta, 0)``,
whose Jacobian ``prod_m gamma_m`` enters the acceptance ratio; its prior is uniform on the
simplex (Dirichlet(1)) and rho's the Beta prior of :class:`Priors` on ``(-1, 1)`` (every mix
of row-standardised matrices is row-stochastic, so ``I - rho W_c`` is invertible there). The
proposal scale adapts during the burn-in towards an acceptance rate of 0.2-0.5 and is fixed
afterwards, so the kept draws come from a valid Markov chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naeringsmiljo.likelihood.channels import CombinedLogDet
from naeringsmiljo.linalg import column_scale
from naeringsmiljo.sampling.blocks import (
    StackedRegression,
    inverse_gamma_draw,
    stacked_regression,
)
from naeringsmiljo.sampling.priors import BetaPrior, Priors

#: The interval of rho for a convex combination of row-standardised matrices.
CONVEX_INTERVAL = (-1.0, 1.0)


@dataclass(frozen=True)
class ConvexDraws:
    """Kept draws: ``beta`` ``(kept, k)``, ``rho``, ``gamma`` ``(kept, M)``, ``sigma2``, and the
    acceptance rate of the Metropolis-Hastings step after the burn-in."""

    beta: np.ndarray
    rho: np.ndarray
    gamma: np.ndarray
    sigma2: np.ndarray
    acceptance: float


def _softmax(eta: np.ndarray) -> np.ndarray:
    full = np.append(eta, 0.0)
    full = np.exp(full - full.max())
    return full / full.sum()


def convex_lag_chain(
    y: np.ndarray,
    x: np.ndarray,
    lags: list[np.ndarray],
    logdet: CombinedLogDet,
    priors: Priors,
    beta_prior: BetaPrior | None,
    *,
    draws: int,
    burn: int,
    thin: int,
    rng: np.random.Generator,
) -> ConvexDraws:
    """One chain of the sampler of the module docstring; ``lags`` are ``W_m y``."""
    n, k = x.shape
    m = len(lags)
    z = np.column_stack([x, y, *lags])
    scale = column_scale(z)
    r_z: np.ndarray = np.linalg.qr(z / scale, mode="r")  # type: ignore[assignment]
    r_z = r_z * scale
    rx = r_z[:, :k]
    ry = r_z[:, k]
    rlags = r_z[:, k + 1 :]
    low, high = CONVEX_INTERVAL

    def log_kernel(
        rho: float, eta: np.ndarray, regression: StackedRegression, sigma: float
    ) -> float:
        if not low < rho < high:
            return -np.inf
        gamma = _softmax(eta)
        delta = rho * gamma
        rhs = (ry - rlags @ delta) / sigma
        resid = regression.residual(rhs)
        prior = float(priors.spatial_log_density(np.array([rho]), CONVEX_INTERVAL)[0])
        jacobian = float(np.sum(np.log(gamma)))
        return logdet.value(delta) - 0.5 * float(resid @ resid) + prior + jacobian

    rho, eta = 0.0, np.zeros(m - 1)
    ols = stacked_regression(rx, 1.0, None)
    beta = ols.coefficients(ry)
    resid = ry - rx @ beta
    sigma2 = float(resid @ resid) / max(n - k, 1)
    step = np.full(m, 0.1)
    kept = len(range(burn, draws, thin))
    out_beta, out_rho = np.empty((kept, k)), np.empty(kept)
    out_gamma, out_sigma2 = np.empty((kept, m)), np.empty(kept)
    accepted = tried = 0
    window = np.zeros(m)
    slot = 0
    for it in range(draws):
        sigma = float(np.sqrt(sigma2))
        regression = stacked_regression(rx, sigma, beta_prior)
        # one coordinate at a time (rho, then each eta): each with its own adapted scale
        current = log_kernel(rho, eta, regression, sigma)
        for j in range(m):
            proposal = np.append(rho, eta)
            proposal[j] += step[j] * rng.standard_normal()
            candidate = log_kernel(float(proposal[0]), proposal[1:], regression, sigma)
            accept = bool(np.log(rng.random()) < candidate - current)
            if accept:
                rho, eta, current = float(proposal[0]), proposal[1:], candidate
            if it < burn:
                window[j] += int(accept)
            else:
                tried += 1
                accepted += int(accept)
        if it < burn and (it + 1) % 50 == 0:  # adapt during the burn-in only
            rate = window / 50
            step = np.where(rate > 0.5, step * 1.3, np.where(rate < 0.2, step / 1.3, step))
            window = np.zeros(m)
        gamma = _softmax(eta)
        delta = rho * gamma
        beta = regression.draw((ry - rlags @ delta) / sigma, rng)
        resid = ry - rlags @ delta - rx @ beta
        sigma2 = inverse_gamma_draw(
            float(resid @ resid), n, priors.sigma2_shape, priors.sigma2_scale, rng
        )
        if it >= burn and (it - burn) % thin == 0:
            out_beta[slot], out_rho[slot], out_gamma[slot] = beta, rho, gamma
            out_sigma2[slot] = sigma2
            slot += 1
    return ConvexDraws(out_beta, out_rho, out_gamma, out_sigma2, accepted / max(tried, 1))
