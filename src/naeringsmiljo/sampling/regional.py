"""Gibbs sampler of actors nested in regions with spatially autoregressive regional effects.

Array functions only. Smith & LeSage (2004, "A Bayesian probit model with spatial
dependencies"; LeSage's ``semip_g``): actor ``i`` in region ``r(i)`` has the latent outcome

.. math::

    z_i = x_i'\\beta + \\theta_{r(i)} + \\varepsilon_i, \\qquad
    \\theta = \\rho W \\theta + u, \\quad u \\sim N(0, \\sigma_\\theta^2 I_m), \\quad
    \\varepsilon_i \\sim N(0, \\sigma^2),

``W`` over the ``m`` regions. A probit observes ``y_i = 1(z_i > 0)`` with ``sigma^2 = 1``; the
linear model observes ``y_i = z_i`` and draws ``sigma^2``. One iteration draws

1. ``z | beta, theta, y`` (probit): independent truncated normals;
2. ``beta | z, theta``: the conjugate normal;
3. ``theta | z, beta, rho, sigma_theta^2``: normal with the sparse precision
   ``Q = D / sigma^2 + B'B / sigma_theta^2`` (``D`` the diagonal of actor counts per region,
   ``B = I - rho W``) and mean ``Q^{-1} b``, ``b`` the regional sums of
   ``(z - X beta) / sigma^2``. With ``Q = A'A``, ``A = [D^{1/2} / sigma; B / sigma_theta]``,
   ``Q^{-1}(b + A' xi)``, ``xi ~ N(0, I)``, is an exact draw from one sparse LU solve, without a
   Cholesky factor (Rue & Held 2005, s. 2.3, in its least-squares form);
4. ``sigma_theta^2 | theta, rho``: inverse gamma with ``||B theta||^2``;
5. ``rho | theta, sigma_theta^2``: ``|B| exp(-||B theta||^2 / (2 sigma_theta^2))`` on the
   log-determinant grid (quadratic in rho);
6. ``sigma^2`` (linear model): inverse gamma with the actors' residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo.sampling.blocks import griddy_draw, inverse_gamma_draw, stacked_regression
from naeringsmiljo.sampling.latent import truncated_normal
from naeringsmiljo.sampling.priors import BetaPrior, Priors


@dataclass(frozen=True)
class RegionalDraws:
    """Retained draws: ``beta`` (D, k), ``rho``, ``sigma2_theta``, ``sigma2`` (D,), and the
    posterior mean of the regional effects ``theta`` (m,)."""

    beta: np.ndarray
    rho: np.ndarray
    sigma2_theta: np.ndarray
    sigma2: np.ndarray
    theta_mean: np.ndarray


def sample_regional(
    y: np.ndarray,
    x: np.ndarray,
    region: np.ndarray,
    w: sp.csr_array,
    grid: np.ndarray,
    log_kernel_base: np.ndarray,
    priors: Priors,
    beta_prior: BetaPrior | None,
    *,
    binary: bool,
    draws: int,
    burn: int,
    thin: int,
    rng: np.random.Generator,
) -> RegionalDraws:
    """Run the sampler of the module docstring.

    ``region`` holds each actor's region as a position ``0..m-1`` in ``w``; ``log_kernel_base``
    is ``ln|I - rho W| + ln p(rho)`` on ``grid``; the inverse-gamma prior of ``priors`` serves
    both variances. ``draws`` counts every iteration, the first ``burn`` discarded.
    """
    n, k = x.shape
    m = w.shape[0]
    w = sp.csr_array(w, dtype=float)
    counts = np.bincount(region, minlength=m).astype(float)
    identity = sp.identity(m, format="csc")
    lower = np.where(y > 0, 0.0, -np.inf)
    upper = np.where(y > 0, np.inf, 0.0)
    sigma2 = 1.0 if binary else float(np.var(y))
    sigma2_theta = 1.0
    rho = 0.0
    theta = np.zeros(m)
    z = np.asarray(y, dtype=float).copy()
    regression = stacked_regression(x, 1.0, beta_prior)
    beta = regression.coefficients(z) if beta_prior is None else np.zeros(k)
    kept = len(range(burn, draws, thin))
    out_beta = np.empty((kept, k))
    out = np.empty((kept, 3))
    theta_sum = np.zeros(m)
    j = 0
    for it in range(draws):
        xb = x @ beta
        if binary:
            z = truncated_normal(
                xb + theta[region], np.ones(n), lower, upper, np.asarray(rng.random(n))
            )
        # beta | z, theta
        sd = np.sqrt(sigma2)
        if not binary:
            regression = stacked_regression(x, sd, beta_prior)
        beta = regression.draw((z - theta[region]) / sd, rng)
        xb = x @ beta
        # theta | z, beta, rho, sigma2_theta: Q = D / sigma2 + B'B / sigma2_theta = A'A
        b_matrix = (identity - rho * w).tocsc()
        precision = (b_matrix.T @ b_matrix) / sigma2_theta + sp.diags(counts / sigma2)
        sums = np.bincount(region, weights=z - xb, minlength=m) / sigma2
        noise = np.sqrt(counts / sigma2) * rng.standard_normal(m) + b_matrix.T @ (
            rng.standard_normal(m) / np.sqrt(sigma2_theta)
        )
        theta = splu(sp.csc_matrix(precision)).solve(sums + noise)
        # sigma2_theta | theta, rho
        w_theta = w @ theta
        b_theta = theta - rho * w_theta
        sigma2_theta = inverse_gamma_draw(
            float(b_theta @ b_theta), m, priors.sigma2_shape, priors.sigma2_scale, rng
        )
        # rho | theta, sigma2_theta
        q = (theta @ theta - 2 * grid * (theta @ w_theta) + grid**2 * (w_theta @ w_theta)) / (
            sigma2_theta
        )
        rho = griddy_draw(grid, log_kernel_base - 0.5 * q, rng)
        if not binary:
            resid = z - xb - theta[region]
            sigma2 = inverse_gamma_draw(
                float(resid @ resid), n, priors.sigma2_shape, priors.sigma2_scale, rng
            )
        if it >= burn and (it - burn) % thin == 0:
            out_beta[j] = beta
            out[j] = rho, sigma2_theta, sigma2
            theta_sum += theta
            j += 1
    return RegionalDraws(out_beta, out[:, 0], out[:, 1], out[:, 2], theta_sum / kept)
