"""Gibbs samplers of spatial models with a latent Gaussian outcome: probit and Tobit.

Array functions only (no models, no designs). The latent vector ``z`` follows a SAR or SEM
process with innovation variance ``sigma2``,

.. math::

    A z = m + \\varepsilon, \\qquad A = I - a W, \\qquad \\varepsilon \\sim N(0, \\sigma^2 I),

with ``m = X beta`` for the lag of y (``a = rho``) and ``m = A X beta`` for the error
(``a = lambda``). The outcome only bounds ``z``: a probit outcome puts ``z_i > 0`` when
``y_i = 1`` and ``z_i <= 0`` when ``y_i = 0`` (``sigma2 = 1``), a Tobit outcome fixes
``z_i = y_i`` for the uncensored units and bounds the censored ones by ``z_i <= 0``. A count
outcome ``y_i ~ Poisson(exp(z_i))`` leaves ``z`` unbounded and replaces the truncated normal
draw of step 1 by a Metropolis-Hastings step (:func:`poisson_latent_step`).

One iteration of the sampler (LeSage & Pace 2009, ch. 10; LeSage, Pace, Lam, Campanella &
Liu 2011):

1. ``z | beta, a, sigma2, y``: a truncated multivariate normal with the sparse precision
   ``H = A'A / sigma2``, drawn componentwise (Geweke 1991): ``z_i`` given the others is normal
   with mean ``z_i - (H (z - mu))_i / H_ii`` and variance ``1 / H_ii``, truncated to its bounds.
   The units are coloured so that no two of one colour are neighbours in ``H`` (``W``, ``W'``
   and ``W'W``); the units of a colour are then conditionally independent and are drawn
   together, an exact Gibbs sweep in colour order without a loop over units.
2. ``a``: from its full conditional on the log-determinant grid (griddy Gibbs, Ritter &
   Tanner 1992), with ``beta`` integrated out for the lag of y (its normal prior included):
   the kernel ``ln|A| - Q(a) / (2 sigma2) + ln p(a)`` has ``Q`` quadratic in ``a``.
3. ``beta | a, z, sigma2``: the conjugate normal draw.
4. ``sigma2 | a, beta, z`` (Tobit only): the conjugate inverse-gamma draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy import special

from naeringsmiljo.sampling.blocks import (
    StackedRegression,
    griddy_draw,
    inverse_gamma_draw,
    stacked_regression,
)
from naeringsmiljo.sampling.priors import BetaPrior, Priors

LatentKind = Literal["lag", "error"]

#: Beyond this many standard deviations into a tail the inverse-CDF draw of a truncated normal
#: underflows; the draw is then taken from the exponential approximation of the tail.
_TAIL_LIMIT = 35.0


def truncated_normal(
    mean: np.ndarray,
    sd: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    uniform: np.ndarray,
) -> np.ndarray:
    """Draws of ``N(mean, sd^2)`` truncated to ``[lower, upper]`` by the inverse CDF.

    ``uniform`` are U(0, 1) numbers, one per draw. When the interval lies in the upper tail
    (standardised lower bound above 0) the survival function is inverted instead of the CDF,
    so that the draw keeps its accuracy tens of standard deviations out (Robert 1995 gives the
    rejection alternative); beyond :data:`_TAIL_LIMIT` the exponential approximation of the
    tail is used.
    """
    alpha = (lower - mean) / sd
    beta = (upper - mean) / sd
    upper_tail = alpha > 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # upper tail: P(X > x) = Phi(-x), so Phi(-x) = Phi(-alpha) - u (Phi(-alpha) - Phi(-beta))
        s_lo, s_hi = special.ndtr(-alpha), special.ndtr(-beta)
        x_up = -special.ndtri(s_lo - uniform * (s_lo - s_hi))
        c_lo, c_hi = special.ndtr(alpha), special.ndtr(beta)
        x_down = special.ndtri(c_lo + uniform * (c_hi - c_lo))
        x = np.where(upper_tail, x_up, x_down)
        bad = ~np.isfinite(x)
        if bad.any():
            # far in a tail: exponential approximation at the nearer bound
            from_lower = np.abs(alpha) <= np.abs(beta)
            edge = np.where(from_lower, alpha, beta)
            step = -np.log1p(-uniform) / np.maximum(np.abs(edge), 1.0)
            tail = np.where(from_lower, edge + step, edge - step)
            x = np.where(bad, np.clip(tail, alpha, beta), x)
    return mean + sd * np.clip(x, alpha, beta)


#: Newton iterations to the mode of a log-rate's conditional posterior (strictly concave).
_NEWTON_STEPS = 12

#: Degrees of freedom of the t proposal of the log-rates.
_PROPOSAL_DF = 4.0


def poisson_latent_step(
    z: np.ndarray, mean: np.ndarray, var: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One Metropolis-Hastings step for each ``z_i`` of ``y_i ~ Poisson(exp(z_i))`` with the
    normal conditional prior ``N(mean_i, var_i)`` (independent given the others: one colour).

    An independence proposal from the Laplace approximation of the conditional posterior
    (Gamerman 1997), made heavy-tailed: Student t with ``_PROPOSAL_DF`` degrees of freedom at
    the mode (Newton's method on ``y z - exp(z) - (z - mean)^2 / (2 var)``, strictly concave),
    scaled by the curvature there. Large counts, whose likelihood is sharp, are accepted about
    as often as small ones, and the t's tails are heavier than the target's (whose left tail is
    that of the normal prior, wider than the Laplace approximation), which an independence
    sampler needs to mix.
    """

    def log_target(v: np.ndarray) -> np.ndarray:
        return y * v - np.exp(v) - 0.5 * (v - mean) ** 2 / var

    mode = np.maximum(np.log(y + 0.5), mean - 5 * np.sqrt(var))
    for _ in range(_NEWTON_STEPS):
        rate = np.exp(mode)
        mode = mode + (y - rate - (mode - mean) / var) / (rate + 1.0 / var)
    scale = 1.0 / np.sqrt(np.exp(mode) + 1.0 / var)
    proposal = mode + scale * rng.standard_t(_PROPOSAL_DF, size=z.size)

    def log_proposal(v: np.ndarray) -> np.ndarray:
        return -0.5 * (_PROPOSAL_DF + 1) * np.log1p(((v - mode) / scale) ** 2 / _PROPOSAL_DF)

    with np.errstate(over="ignore", invalid="ignore"):
        log_ratio = (
            log_target(proposal) - log_target(z) + log_proposal(z) - log_proposal(proposal)
        )
    accept = np.log(rng.random(z.size)) < np.nan_to_num(log_ratio, nan=-np.inf)
    return np.where(accept, proposal, z)


def colour_units(w: sp.csr_array) -> list[np.ndarray]:
    """Partition the units so that no two in one part are neighbours in ``W + W' + W'W``.

    Greedy colouring in order of decreasing degree (Welsh & Powell 1967); a part's units are
    conditionally independent given the others under the precision ``(I - a W)'(I - a W)``.
    """
    pattern = (w != 0).astype(np.int8)
    graph = (pattern + pattern.T + pattern.T @ pattern).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    n = graph.shape[0]
    order = np.argsort(-np.diff(graph.indptr), kind="stable")
    colour = np.full(n, -1, dtype=np.int64)
    indptr, indices = graph.indptr, graph.indices
    for i in order:
        taken = colour[indices[indptr[i] : indptr[i + 1]]]
        taken = np.unique(taken[taken >= 0])
        gaps = np.flatnonzero(taken != np.arange(taken.size))
        colour[i] = int(gaps[0]) if gaps.size else taken.size
    return [np.flatnonzero(colour == c) for c in range(int(colour.max()) + 1)]


@dataclass(frozen=True)
class LatentSetup:
    """What the sampler needs once per data set: the arrays, the grid and the colouring."""

    kind: LatentKind
    x: np.ndarray
    w: sp.csr_array
    lower: np.ndarray
    upper: np.ndarray
    free: np.ndarray
    grid: np.ndarray
    log_kernel_base: np.ndarray
    colours: tuple[tuple[np.ndarray, sp.csr_array, sp.csr_array], ...]
    col_sq: np.ndarray
    fixed_sigma2: float | None
    counts: np.ndarray | None = None


def latent_setup(
    kind: LatentKind,
    x: np.ndarray,
    w: sp.csr_array,
    lower: np.ndarray,
    upper: np.ndarray,
    grid: np.ndarray,
    logdet: np.ndarray,
    priors: Priors,
    *,
    interval: tuple[float, float],
    fixed_sigma2: float | None,
    counts: np.ndarray | None = None,
) -> LatentSetup:
    """Precompute the colouring, the column blocks of ``W`` and the grid's log prior.

    ``grid`` are values of the spatial parameter inside ``interval`` (the open parameter
    space), ``logdet`` the values of ``ln|I - a W|`` there; ``lower`` and ``upper`` the bounds
    of the latent ``z`` (equal for units whose ``z`` is observed).
    """
    w = sp.csr_array(w, dtype=float)
    free = lower < upper
    colours = []
    w_csc = w.tocsc()
    wt = w.T.tocsr()
    for part in colour_units(w):
        part = part[free[part]]
        if part.size:
            colours.append((part, w_csc[:, part].tocsr(), wt[part, :]))
    return LatentSetup(
        kind=kind,
        x=np.asarray(x, dtype=float),
        w=w,
        lower=lower,
        upper=upper,
        free=free,
        grid=grid,
        log_kernel_base=logdet + priors.spatial_log_density(grid, interval),
        colours=tuple(colours),
        col_sq=np.asarray(w.multiply(w).sum(axis=0)).ravel(),
        fixed_sigma2=fixed_sigma2,
        counts=counts,
    )


@dataclass(frozen=True)
class LatentDraws:
    """Retained draws of a latent sampler (rows are iterations after burn-in and thinning)."""

    beta: np.ndarray
    spatial: np.ndarray
    sigma2: np.ndarray
    z_mean: np.ndarray


def sample_latent(
    setup: LatentSetup,
    priors: Priors,
    beta_prior: BetaPrior | None,
    *,
    draws: int,
    burn: int,
    thin: int,
    rng: np.random.Generator,
    sweeps: int = 1,
) -> LatentDraws:
    """Run the Gibbs sampler of the module docstring.

    ``draws`` counts every iteration, the first ``burn`` discarded, every ``thin``-th of the
    rest kept (:class:`~naeringsmiljo.sampling.SamplerSettings`).
    """
    x, w = setup.x, setup.w
    n, k = x.shape
    fixed = setup.fixed_sigma2
    observed = setup.lower[~setup.free]
    sigma2 = fixed if fixed is not None else (float(np.var(observed)) if observed.size > 1 else 1.0)
    sigma2 = sigma2 if sigma2 > 0 else 1.0
    z = np.where(setup.free, 0.0, setup.lower)
    z = np.clip(z, setup.lower, setup.upper)
    z = np.where(np.isfinite(z), z, 0.0)
    if setup.counts is not None:
        z = np.log(setup.counts + 0.5)
        sigma2 = max(float(np.var(z)), 0.1) if fixed is None else sigma2
    a = 0.0
    beta = np.zeros(k)
    regression: StackedRegression = stacked_regression(x, np.sqrt(sigma2), beta_prior)
    kept = len(range(burn, draws, thin))
    out_beta = np.empty((kept, k))
    out_a = np.empty(kept)
    out_s = np.empty(kept)
    z_sum = np.zeros(n)
    xb = x @ beta
    j = 0
    for it in range(draws):
        # 1. z | beta, a, sigma2: e = A z - m, kept current as the blocks of z move
        offset = xb if setup.kind == "lag" else xb - a * (w @ xb)
        e = z - a * (w @ z) - offset
        sd = np.sqrt(sigma2)
        for _ in range(sweeps):
            for part, w_cols, wt_rows in setup.colours:
                g = e[part] - a * (wt_rows @ e)
                h = 1.0 + a * a * setup.col_sq[part]
                current = z[part]
                if setup.counts is None:
                    new = truncated_normal(
                        current - g / h,
                        sd / np.sqrt(h),
                        setup.lower[part],
                        setup.upper[part],
                        rng.random(part.size),
                    )
                else:
                    new = poisson_latent_step(
                        current, current - g / h, sigma2 / h, setup.counts[part], rng
                    )
                delta = new - current
                z[part] = new
                e[part] += delta
                e -= a * (w_cols @ delta)
        wz = w @ z
        # 2. a | z, with beta integrated out for the lag of y (LeSage & Pace 2009, s. 5.3.1)
        #    and given beta for the error; Q(a) = s00 - 2 a s0d + a^2 sdd over sigma2
        if setup.kind == "lag":
            if fixed is None:
                regression = stacked_regression(x, sd, beta_prior)
            r0 = regression.residual(z / sd)
            rd = regression.residual(wz / sd, prior=False)
        else:
            r0 = (z - xb) / sd
            rd = (wz - w @ xb) / sd
        s00, s0d, sdd = r0 @ r0, r0 @ rd, rd @ rd
        q = s00 - 2 * setup.grid * s0d + setup.grid**2 * sdd
        a = griddy_draw(setup.grid, setup.log_kernel_base - 0.5 * q, rng)
        # 3. beta | a, z, sigma2
        target = z - a * wz
        if setup.kind == "error":
            regression = stacked_regression(x - a * (w @ x), sd, beta_prior)
        beta = regression.draw(target / sd, rng)
        xb = x @ beta
        # 4. sigma2 | a, beta, z (Tobit)
        if fixed is None:
            resid = target - (xb if setup.kind == "lag" else xb - a * (w @ xb))
            sigma2 = inverse_gamma_draw(
                float(resid @ resid), n, priors.sigma2_shape, priors.sigma2_scale, rng
            )
        if it >= burn and (it - burn) % thin == 0:
            out_beta[j], out_a[j], out_s[j] = beta, a, sigma2
            z_sum += z
            j += 1
    return LatentDraws(out_beta, out_a, out_s, z_sum / kept)
