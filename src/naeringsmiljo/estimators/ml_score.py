"""The adjusted-score M-estimator of a dynamic fixed-effects spatial panel, consistent at fixed T.

The within-transformed Gaussian likelihood of a dynamic panel, conditional on the first period,
has a score whose mean at the true parameters is not zero: ``y_{t-1}`` is correlated with the
demeaned innovations (Nickell's bias, spatial in Yu, de Jong & Lee 2008). Its ML estimate is
therefore inconsistent when T is fixed, and the analytic correction of Yu, de Jong & Lee removes
the bias only to order ``1/T``. The M-estimator here subtracts the score's exact mean at each
parameter value and solves the adjusted equations instead, the approach of Bun & Carree (2005,
JBES 23) for the non-spatial dynamic panel and of Yang (2018, J. Econometrics 205, "unified
M-estimation") for the spatial one:

.. math::

    \\frac{z_j' Q e(\\theta)}{\\sigma^2} - \\operatorname{tr}(Q L_j(\\theta)) = 0,\\quad
    j \\in \\{\\tau, \\eta, \\rho\\};\\qquad X' Q e = 0;\\qquad e' Q e = (n - k) \\sigma^2 ,

with ``z_j`` the regressor of ``j`` (``y_{t-1}``, ``W y_{t-1}``, ``W y_t``), ``n`` the
dimensions the within transformation leaves (``N(T - 1)``, ``(N - 1)(T - 1)`` with period
effects), ``k`` the coefficients of the mean (X's, ``tau``, ``eta``, ``rho``: the residual
variance's degrees of freedom, exact for X's concentrated coefficients) and the traces of
:class:`naeringsmiljo.inference.dynamic.ResponseBlocks` (the ``rho`` one includes the
``(T - 1) tr G`` of the log-determinant). The equations are unbiased at any T,
whatever the first period and the fixed effects (they enter the regressors only through their
non-random part), so the estimator is consistent as N grows with T fixed.

Its covariance is the sandwich ``H^{-1} Omega H^{-T}``: ``H`` the derivative of the adjusted
equations at the estimate (analytic, with central differences of the traces) and ``Omega`` the
covariance of the adjusted score, a linear-quadratic form in i.i.d. innovations (Kelejian &
Prucha 2001; Lee 2004, appendix): ``z_j' z_k / sigma^2 + tr(Q L_j Q L_k)``
(:class:`~naeringsmiljo.inference.dynamic.ResponseBlocks`), ``tr(Q L_j) / sigma^2`` between
``j`` and ``sigma^2`` and ``n / (2 sigma^4)`` for ``sigma^2`` under normality, plus the terms
of the innovations' third and fourth moments, estimated from the residuals. Like Yang's
martingale-difference estimator it needs no model of the first period and no normality; unlike
it, it assumes the innovations identically distributed.

Written here because no library in the registries estimates dynamic spatial panels at fixed T.

References
----------
Bun, M. J. G. & Carree, M. A. (2005). Bias-corrected estimation in dynamic panel data models.
*Journal of Business & Economic Statistics* 23(2), 200-210.

Kelejian, H. H. & Prucha, I. R. (2001). On the asymptotic distribution of the Moran I test
statistic with applications. *Journal of Econometrics* 104(2), 219-257.

Lee, L.-F. (2004). Asymptotic distributions of quasi-maximum likelihood estimators for spatial
autoregressive models. *Econometrica* 72(6), 1899-1925.

Yang, Z. (2018). Unified M-estimation of fixed-effects spatial dynamic models with short
panels. *Journal of Econometrics* 205(2), 423-447.

Yu, J., de Jong, R. & Lee, L.-F. (2008). Quasi-maximum likelihood estimators for spatial
dynamic panel data with fixed effects when both n and T are large. *Journal of Econometrics*
146(1), 118-134.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from naeringsmiljo.inference.dynamic import (
    DynamicCoefficients,
    ResponseBlocks,
    innovation_moments,
    response_diagonals,
    stability_modulus,
)
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.weights.spatial_weights import SpatialWeights

__all__ = ["SCORE_STEP", "ScoreEstimate", "adjusted_score_fit"]

#: Names of the parameters whose scores carry a fixed-T mean.
DYNAMIC = ("tau", "eta", "rho")

#: Absolute step of the central differences of the traces ``tr(Q L_j)`` in ``tau``, ``eta`` and
#: ``rho`` (parameters of order one, bounded by the stable region). The traces are rational
#: functions with poles where the process stops being stable, at a distance ``d`` of 0.1 or
#: more from a usable estimate: the truncation error ``h^2 f''' / 6`` is near ``1e-12 / d^3``
#: relatively and the rounding error ``eps / h`` near 1e-10, both far below the 1e-3 to which a
#: standard error is read.
SCORE_STEP = 1e-6

#: Without a root, the nearest point keeps ``rho`` this fraction of its interval's width inside
#: the ends, where ``ln|I - rho W|`` and its derivatives diverge.
SCORE_BOUND_MARGIN = 1e-6

#: The adjusted equations are solved when each is below this fraction of the observations
#: count ``n`` (the scores are sums of ``n`` terms of order one in units of sigma; they are
#: invariant to rescaling y or a column of X, so the tolerance is too).
SCORE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class ScoreEstimate:
    """The adjusted-score estimate of a dynamic panel.

    Attributes
    ----------
    estimate : numpy.ndarray
        The coefficients of X (``tau`` and ``eta`` among them), ``rho`` if the model has it,
        and ``sigma^2`` last.
    cov : numpy.ndarray
        Its sandwich covariance.
    converged : bool
        Whether the equations were solved within :data:`SCORE_TOLERANCE`.
    message : str
        How the solution ended.
    evaluations : int
        Evaluations of the concentrated equations.
    """

    estimate: np.ndarray
    cov: np.ndarray
    converged: bool
    message: str
    evaluations: int

    label = "sandwich of the adjusted score (i.i.d. innovations; Yang 2018)"


@dataclass(frozen=True)
class _Data:
    """The within-transformed data with X's other columns partialled out: ``x`` holds the
    columns of ``y_{t-1}`` and ``W y_{t-1}``, ``free`` their names and ``"rho"`` if the model
    has a lag of y (the parameters solved for once ``beta`` and ``sigma^2`` are concentrated)."""

    y: np.ndarray
    wy: np.ndarray
    x: np.ndarray
    free: tuple[str, ...]
    omega: np.ndarray
    periods: int
    nobs: int

    @property
    def has_rho(self) -> bool:
        return "rho" in self.free

    def blocks(self, psi: np.ndarray) -> ResponseBlocks:
        values = dict(zip(self.free, (float(v) for v in psi), strict=True))
        return ResponseBlocks.at(
            values.get("tau", 0.0),
            values.get("eta", 0.0),
            values.get("rho", 0.0),
            self.omega,
            self.periods,
        )

    def means(self, psi: np.ndarray) -> np.ndarray:
        """``tr(Q L_j)`` for the free parameters at ``psi``."""
        blocks = self.blocks(psi)
        return np.array([blocks.mean(name) for name in self.free])


def adjusted_score_fit(
    y: np.ndarray,
    wy: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    omega: np.ndarray,
    periods: int,
    nobs: int,
    starts: Sequence[np.ndarray],
    weights: SpatialWeights,
    deflated: bool,
    interval: tuple[float, float] = (-np.inf, np.inf),
) -> ScoreEstimate:
    """Solve the adjusted score equations of a dynamic fixed-effects panel.

    Parameters
    ----------
    y, wy, x : numpy.ndarray
        The within-transformed outcome, its spatial lag ``Q (I_T ⊗ W) y`` and regressors
        (stacked by period; ``tau`` and ``eta`` the columns of ``y_{t-1}`` and ``W y_{t-1}``).
    names : sequence of str
        The names of the columns of ``x``, followed by ``"rho"`` if the model has a lag of y.
    omega : numpy.ndarray
        The eigenvalues of ``W`` (less the eigenvalue one with period effects).
    periods : int
        The periods of the within transformation (the first, conditioned on, not counted).
    nobs : int
        The dimensions the within transformation leaves.
    starts : sequence of numpy.ndarray
        Starting values in the order of ``names`` (those with ``rho`` outside ``interval``
        skipped), tried in turn until one reaches a root of a stable process. The equations can have several roots in short panels (one in the
        explosive region is common); the estimator is the first stable root, in the order of
        the starts: the Yu-de Jong-Lee corrected estimate where it is finite (the
        first-order approximation of this estimator), then the ML estimate; without a stable
        root, the first root (reported not stable by the caller).
    weights : SpatialWeights
        ``W`` over the entities: its spectrum decides whether a root is a stable process (as
        for the fit's record), and its dense powers give the diagonals of the covariance's
        moment terms (up to ``DENSE_EIGEN_LIMIT`` entities, as ``omega``).
    deflated : bool
        Period effects removed by the transformation (``Q_T ⊗ (I - J_N)``).
    interval : tuple of float
        The parameter interval of ``rho`` (where ``I - rho W`` is invertible with a positive
        determinant): starting values and roots outside it are not admissible.

    Returns
    -------
    ScoreEstimate
        The estimate (``sigma^2`` last), its covariance and how the solution ended.
    """
    names = tuple(names)
    lag = [j for j, name in enumerate(names[: x.shape[1]]) if name in DYNAMIC]
    static = [j for j in range(x.shape[1]) if j not in lag]
    factor = DesignFactor.of(x[:, static]) if static else None

    def partial(v: np.ndarray) -> np.ndarray:
        return factor.residuals(v) if factor is not None else v

    free = tuple(names[j] for j in lag) + names[x.shape[1] :]
    data = _Data(partial(y), partial(wy), partial(x[:, lag]), free, omega, periods, nobs)
    evaluations = 0

    def residuals(psi: np.ndarray) -> np.ndarray:
        gamma = psi[: len(lag)]
        e = data.y - data.x @ gamma
        return e - psi[-1] * data.wy if data.has_rho else e

    dof = nobs - x.shape[1] - int(data.has_rho)

    def equations(psi: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += 1
        e = residuals(psi)
        sigma2 = float(e @ e) / dof
        regressors = np.column_stack([data.x, data.wy]) if data.has_rho else data.x
        return (regressors.T @ e / sigma2 - data.means(psi)) / nobs

    def solve(psi0: np.ndarray) -> tuple[np.ndarray, float]:
        solution = optimize.root(equations, psi0, method="hybr", options={"xtol": 1e-12})
        psi = np.asarray(solution.x, dtype=float)
        finite = np.all(np.isfinite(psi))
        return (psi, float(np.max(np.abs(equations(psi))))) if finite else (psi0, np.inf)

    low, high = interval
    where_rho = data.free.index("rho") if data.has_rho else None

    def admissible(psi: np.ndarray) -> bool:
        """Finite, with ``I - rho W`` inside the parameter interval of ``rho``."""
        inside = where_rho is None or low < psi[where_rho] < high
        return bool(np.all(np.isfinite(psi)) and inside)

    initial = [
        point
        for point in (
            np.array([start[names.index(name)] for name in data.free]) for start in starts
        )
        if admissible(point)
    ]
    if not initial:
        raise ValueError("adjusted_score_fit needs a starting value inside the interval of rho.")

    def stable(psi: np.ndarray) -> bool:
        """The test the fit's record applies (:func:`stability_modulus`), at ``psi``."""
        c = DynamicCoefficients.of(psi, list(data.free))
        return bool(stability_modulus(c.tau, c.eta, c.rho, weights)[0] < 1.0)

    roots = []
    for psi0 in initial:
        psi, gap = solve(psi0)
        if gap <= SCORE_TOLERANCE and admissible(psi):
            roots.append(psi)
            if stable(psi):
                break
    if roots:  # the first stable root, else the first root (reported not stable)
        psi = next((root for root in roots if stable(root)), roots[0])
        gap = float(np.max(np.abs(equations(psi))))
        converged = True
        message = (
            f"adjusted score equations solved ({evaluations} evaluations; largest "
            f"equation {gap:.2g} of n)"
        )
    else:
        # No root from any start (in short panels, samples whose estimate would lie near the
        # edge of the stable region): the point nearest to one, from the first start, with
        # rho inside its interval (a hair from the ends, where I - rho W is singular).
        margin = SCORE_BOUND_MARGIN * (high - low)
        bounds = (np.full(len(data.free), -np.inf), np.full(len(data.free), np.inf))
        if where_rho is not None:
            bounds[0][where_rho], bounds[1][where_rho] = low + margin, high - margin
        start = np.clip(initial[0], bounds[0], bounds[1])
        nearest = optimize.least_squares(equations, start, bounds=bounds)
        psi = np.asarray(nearest.x, dtype=float)
        gap = float(np.max(np.abs(equations(psi))))
        converged = False
        message = (
            "the adjusted score equations have no root near the estimate: the point "
            f"reported minimises their sum of squares (largest equation {gap:.2g} of n), and "
            "its standard errors are not reliable"
        )
    values = dict(zip(data.free, psi, strict=True))
    rho = values.get("rho", 0.0)
    outcome = y - rho * wy - x[:, lag] @ psi[: len(lag)]
    coefficients = np.zeros(x.shape[1])
    coefficients[lag] = psi[: len(lag)]
    if factor is not None:
        coefficients[static] = factor.coefficients(outcome)
    theta = np.array([*coefficients, *([rho] if data.has_rho else [])])
    e = y - x @ coefficients - rho * wy
    sigma2 = float(e @ e) / dof
    cov = _sandwich(y, wy, x, names, data, theta, sigma2, dof, weights.sparse.toarray(), deflated)
    return ScoreEstimate(np.append(theta, sigma2), cov, converged, message, evaluations)


def _sandwich(
    y: np.ndarray,
    wy: np.ndarray,
    x: np.ndarray,
    names: tuple[str, ...],
    data: _Data,
    theta: np.ndarray,
    sigma2: float,
    dof: int,
    w: np.ndarray,
    deflated: bool,
) -> np.ndarray:
    """``H^{-1} Omega H^{-T}`` of the adjusted scores of ``theta`` and ``sigma^2``.

    ``Omega`` is the covariance of linear-quadratic forms in i.i.d. innovations (Kelejian &
    Prucha 2001; Lee 2004, appendix): the Gaussian part, plus ``mu_3`` times the linear parts against
    the diagonals of the quadratic ones and ``mu_4 - 3 sigma^4`` times the products of those
    diagonals (:func:`~naeringsmiljo.inference.dynamic.response_diagonals`), with ``mu_3``
    and ``mu_4`` estimated from the residuals
    (:func:`~naeringsmiljo.inference.dynamic.innovation_moments`); the linear parts' unknown
    non-random factors are replaced by the regressors, whose expectation they are.
    """
    k = x.shape[1]
    has_rho = data.has_rho
    z = np.column_stack([x, wy]) if has_rho else x
    p = z.shape[1]
    rho = theta[k] if has_rho else 0.0
    e = y - x @ theta[:k] - rho * wy
    free = data.free
    positions = [names.index(name) for name in free]
    psi = theta[positions]
    blocks = data.blocks(psi)
    means = np.array([blocks.mean(name) for name in free])
    # Derivatives of the means tr(Q L_j) in the free parameters (central differences).
    dmeans = np.zeros((len(free), len(free)))
    for c in range(len(free)):
        up, down = psi.copy(), psi.copy()
        up[c] += SCORE_STEP
        down[c] -= SCORE_STEP
        dmeans[:, c] = (data.means(up) - data.means(down)) / (2.0 * SCORE_STEP)
    s2, s4 = sigma2, sigma2**2
    hessian = np.zeros((p + 1, p + 1))
    hessian[:p, :p] = -(z.T @ z) / s2
    hessian[np.ix_(positions, positions)] -= dmeans
    ze = z.T @ e
    hessian[:p, p] = hessian[p, :p] = -ze / s4
    hessian[p, p] = -float(e @ e) / (s4 * s2) + dof / (2.0 * s4)
    omega = np.zeros((p + 1, p + 1))
    omega[:p, :p] = (z.T @ z) / s2
    for a, first in enumerate(free):
        for b, second in enumerate(free):
            omega[positions[a], positions[b]] += blocks.product(first, second)
    omega[positions, p] = omega[p, positions] = means / s2
    omega[p, p] = data.nobs / (2.0 * s4)
    # Third and fourth moments of the innovations.
    n_units = w.shape[0]
    mu3, mu4 = innovation_moments(e, sigma2, n_units, data.periods, deflated)
    excess = mu4 - 3.0 * s4
    values = dict(zip(free, (float(v) for v in psi), strict=True))
    diagonals = response_diagonals(
        values.get("tau", 0.0),
        values.get("eta", 0.0),
        values.get("rho", 0.0),
        w,
        data.periods,
        deflated,
    )
    d = np.zeros((z.shape[0], p + 1))  # diag of each score's quadratic form (times sigma^2)
    for a, name in enumerate(free):
        d[:, positions[a]] = diagonals[name]
    d[:, p] = (1.0 - 1.0 / data.periods) * ((1.0 - 1.0 / n_units) if deflated else 1.0) / 2.0
    scaled = np.ones(p + 1)
    scaled[p] = 1.0 / s2  # sigma^2's score is e'Qe / (2 sigma^4): one sigma^2 more
    linear = np.column_stack([z, np.zeros(z.shape[0])])  # linear parts (times sigma^2)
    cross = linear.T @ d
    omega += (mu3 * (cross + cross.T) + excess * (d.T @ d)) / s4 * np.outer(scaled, scaled)
    # Scale-free inversion: both matrices in the units of the parameters' own spread.
    scale = 1.0 / np.sqrt(np.diag(omega))
    h = hessian * scale[:, None] * scale[None, :]
    o = omega * scale[:, None] * scale[None, :]
    inner = np.linalg.solve(h, np.linalg.solve(h, o).T).T
    return np.asarray(inner * scale[:, None] * scale[None, :])
