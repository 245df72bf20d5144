"""Maximum likelihood for the general nesting spatial model and its restrictions.

The model is

.. math::

    y = \\rho W y + X\\beta + u, \\qquad u = \\lambda W u + \\varepsilon,
    \\qquad \\varepsilon \\sim N(0, \\sigma^2 I),

where ``X`` already holds any lagged regressors ``WX``. SAR and SDM fix ``lambda = 0``, SEM and
SDEM fix ``rho = 0``, SAC and GNS estimate both. With ``A = I - rho W`` and ``B = I - lambda W``,
``beta`` and ``sigma^2`` are concentrated out (Anselin 1988, ch. 6; LeSage & Pace 2009, s. 3.1;
Elhorst 2014, s. 2.4):

.. math::

    \\ell_c(\\rho, \\lambda) = -\\tfrac{n}{2}\\left(\\ln 2\\pi + 1 + \\ln \\hat\\sigma^2(\\rho,\\lambda)\\right)
        + \\ln|A| + \\ln|B|,

with ``beta(rho, lambda)`` the least-squares fit of ``B A y`` on ``B X``. The score of the
concentrated likelihood is analytic (by the envelope theorem ``beta`` may be held fixed), so the
maximiser is found as a root of the score, to machine precision, after a bracketing search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from naeringsmiljo.weights.logdet import LogDeterminant

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class FitRecord:
    """What ``fit`` did, kept in the results so that a replication can report it.

    Attributes
    ----------
    method : str
        ``"ml"`` or ``"ols"``.
    logdet : str or None
        Log-determinant method (``"eigen"``, ``"lu"``, ...), None without a spatial parameter.
    logdet_error : float
        Stated error bound of the log-determinants in the likelihood at the estimate (0 for
        the exact methods; see ``LogDeterminant.error_bound``).
    interval : tuple of float or None
        Interval searched for rho and lambda: ``(1/omega_min, 1/omega_max)`` of W.
    optimizer : str
        Search and refinement used.
    converged : bool
        Whether the score vanished at an interior point (to ``score_tol``).
    message : str
        Human-readable outcome.
    score : tuple of float
        Score of the concentrated log-likelihood at the estimate.
    evaluations : int
        Number of likelihood evaluations.
    """

    method: str
    logdet: str | None = None
    logdet_error: float = 0.0
    interval: tuple[float, float] | None = None
    optimizer: str = "closed form"
    converged: bool = True
    message: str = "closed-form solution"
    score: tuple[float, ...] = ()
    evaluations: int = 0


@dataclass(frozen=True)
class MLEstimate:
    """Point estimates of one ML fit (arrays in the order of the specification)."""

    beta: np.ndarray
    rho: float
    lam: float
    sigma2: float
    loglik: float
    innovations: np.ndarray
    record: FitRecord = field(default_factory=lambda: FitRecord(method="ml"))


@dataclass
class ConcentratedLikelihood:
    """The concentrated log-likelihood ``l_c(rho, lambda)`` and its analytic score.

    Lags of y and X are computed once; each evaluation is a least-squares fit of an ``n x k``
    design plus two log-determinants.
    """

    y: np.ndarray
    x: np.ndarray
    w: sp.csr_array
    logdet: LogDeterminant | None
    evaluations: int = 0

    def __post_init__(self) -> None:
        self.wy = self.w @ self.y
        self.wwy = self.w @ self.wy
        self.wx = self.w @ self.x
        self.n = self.y.shape[0]

    def profile(self, rho: float, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """``beta``, innovations ``e = B(Ay - X beta)``, errors ``u = Ay - X beta`` and ``sigma^2``."""
        z = self.y - rho * self.wy
        bz = z - lam * (self.wy - rho * self.wwy)
        bx = self.x - lam * self.wx
        beta = np.linalg.lstsq(bx, bz, rcond=None)[0]
        e = bz - bx @ beta
        u = z - self.x @ beta
        return beta, e, u, float(e @ e) / self.n

    def _logdets(self, rho: float, lam: float) -> float:
        total = 0.0
        if rho != 0.0:
            total += self.logdet.value(rho)  # type: ignore[union-attr]
        if lam != 0.0:
            total += self.logdet.value(lam)  # type: ignore[union-attr]
        return total

    def value(self, rho: float, lam: float) -> float:
        self.evaluations += 1
        sigma2 = self.profile(rho, lam)[3]
        return -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + self._logdets(rho, lam)

    def score(self, rho: float, lam: float) -> tuple[float, float]:
        """``(d l_c / d rho, d l_c / d lambda)``."""
        _, e, u, sigma2 = self.profile(rho, lam)
        b_wy = self.wy - lam * self.wwy
        d_rho = float(e @ b_wy) / sigma2
        d_lam = float(e @ (self.w @ u)) / sigma2
        if self.logdet is not None:
            d_rho += self._logdet_derivative(rho)
            d_lam += self._logdet_derivative(lam)
        return d_rho, d_lam

    def _logdet_derivative(self, value: float) -> float:
        if value == 0.0:  # -tr(W), without a factorisation
            return -float(self.w.diagonal().sum())
        return self.logdet.derivative(value)  # type: ignore[union-attr]

    def estimate(self, rho: float, lam: float, record: FitRecord) -> MLEstimate:
        beta, e, _, sigma2 = self.profile(rho, lam)
        loglik = -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + self._logdets(rho, lam)
        return MLEstimate(beta, rho, lam, sigma2, float(loglik), e, record)


def _logdet_error(lik: ConcentratedLikelihood, rho: float, lam: float) -> float:
    """Stated error bound of ``ln|A| + ln|B|``, the log-determinants in the likelihood."""
    if lik.logdet is None:
        return 0.0
    return float(sum(lik.logdet.error_bound(v) for v in (rho, lam) if v != 0.0))


def _interior(interval: tuple[float, float]) -> tuple[float, float]:
    """The interval pulled in by a relative 1e-9, where ``ln|I - rho W|`` is finite."""
    low, high = interval
    return low * (1 - 1e-9), high * (1 - 1e-9)


def _score_root(
    score: Callable[[float], float], start: float, bounds: tuple[float, float]
) -> tuple[float, bool]:
    """Polish a maximiser ``start`` into the root of a decreasing score, inside ``bounds``.

    Brackets the sign change of the score by steps growing from 1e-7 and solves with Brent's
    method to ``xtol=1e-15``. Returns ``(root, True)``, or ``(start, False)`` when the score has
    no sign change inside the interval (a maximum on the boundary).
    """
    low_bound, high_bound = bounds
    g0 = score(start)
    if g0 == 0.0:
        return start, True
    step = 1e-7 * max(1.0, abs(start))
    direction = 1.0 if g0 > 0 else -1.0
    for _ in range(60):
        other = min(max(start + direction * step, low_bound), high_bound)
        g1 = score(other)
        if np.sign(g1) != np.sign(g0):
            a, b = sorted((start, other))
            root = scipy.optimize.brentq(score, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps)
            return float(root), True
        if other in (low_bound, high_bound):
            break
        step *= 4.0
    return start, False


def fit_one_parameter(
    lik: ConcentratedLikelihood, which: str, interval: tuple[float, float], *, other: float = 0.0
) -> MLEstimate:
    """Maximise over rho (``which="rho"``) or lambda (``which="lambda"``), the other held at ``other``.

    A bounded Brent search on the concentrated likelihood locates the maximum; the score equation
    is then solved by Brent's root finder. Both peers (spreg, R spatialreg) stop after the first
    stage, 1e-8 to 1e-7 short of the maximiser, because the likelihood is flat at the top.
    """
    bounds = _interior(interval)

    def at(value: float) -> tuple[float, float]:
        return (value, other) if which == "rho" else (other, value)

    def score(value: float) -> float:
        return lik.score(*at(value))[0 if which == "rho" else 1]

    search = scipy.optimize.minimize_scalar(
        lambda v: -lik.value(*at(v)), bounds=bounds, method="bounded", options={"xatol": 1e-10}
    )
    root, converged = _score_root(score, float(search.x), bounds)
    if converged and lik.value(*at(root)) < -search.fun - 1e-10 * abs(search.fun):
        root, converged = float(search.x), False
    final_score = score(root)
    message = (
        f"score root found (|score| = {abs(final_score):.1e})"
        if converged
        else f"maximum on the boundary of the interval or score root not bracketed; {which} = {root:.6g}"
    )
    record = FitRecord(
        method="ml",
        logdet=lik.logdet.name if lik.logdet is not None else None,
        logdet_error=_logdet_error(lik, *at(root)),
        interval=interval,
        optimizer="bounded Brent search, then Brent root of the analytic score",
        converged=converged,
        message=message,
        score=(final_score,),
        evaluations=lik.evaluations,
    )
    return lik.estimate(*at(root), record)


def fit_two_parameters(
    lik: ConcentratedLikelihood, interval: tuple[float, float], *, grid: int = 9
) -> MLEstimate:
    """Maximise over ``(rho, lambda)`` jointly (SAC, GNS).

    The likelihood of the SAC model can have more than one local maximum (Elhorst 2014, s. 2.7), so
    the search starts from the best point of a ``grid x grid`` lattice over the interval, runs
    L-BFGS-B with the analytic score, and solves the score equations by Newton's method.
    """
    bounds = _interior(interval)
    points = np.linspace(bounds[0], bounds[1], grid + 2)[1:-1]
    logdets = {p: lik.logdet.value(p) for p in points}  # type: ignore[union-attr]
    best = max(
        ((r, l) for r in points for l in points),
        key=lambda rl: -0.5 * lik.n * np.log(lik.profile(*rl)[3]) + logdets[rl[0]] + logdets[rl[1]],
    )

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value = lik.value(*theta)
        return -value, -np.asarray(lik.score(*theta))

    search = scipy.optimize.minimize(
        negative,
        np.asarray(best),
        jac=True,
        method="L-BFGS-B",
        bounds=[bounds, bounds],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
    )
    theta = _newton_polish(
        lambda t: np.asarray(lik.score(*t)), np.asarray(search.x, dtype=float), bounds
    )
    final_score = np.asarray(lik.score(*theta))
    scale = np.sqrt(lik.n)
    converged = bool(np.max(np.abs(final_score)) <= 1e-6 * scale)
    message = (
        f"score root found (max |score| = {np.max(np.abs(final_score)):.1e})"
        if converged
        else f"score not zero at the estimate (max |score| = {np.max(np.abs(final_score)):.1e}): "
        "maximum on the boundary or optimiser failure; L-BFGS-B: " + str(search.message)
    )
    record = FitRecord(
        method="ml",
        logdet=lik.logdet.name if lik.logdet is not None else None,
        logdet_error=_logdet_error(lik, float(theta[0]), float(theta[1])),
        interval=interval,
        optimizer=f"{grid}x{grid} grid start, L-BFGS-B with analytic score, Newton root of the score",
        converged=converged,
        message=message,
        score=tuple(float(s) for s in final_score),
        evaluations=lik.evaluations,
    )
    return lik.estimate(float(theta[0]), float(theta[1]), record)


def _newton_polish(
    score: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    bounds: tuple[float, float],
    *,
    steps: int = 30,
) -> np.ndarray:
    """Newton iterations on the score, with a central-difference Jacobian of the analytic score.

    Near the maximum the Jacobian (the Hessian of the concentrated likelihood) is accurate to
    ~1e-10, so the iterations converge quadratically to the root; a step that leaves the interval
    or does not reduce the score is halved. The SAC/GNS likelihood is very flat along a ridge in
    (rho, lambda), where L-BFGS-B alone stops with a score of ~1e-8 and parameters ~1e-8 off.
    """
    current = score(theta)
    for _ in range(steps):
        h = 1e-6 * np.maximum(1.0, np.abs(theta))
        jac = np.empty((theta.size, theta.size))
        for j in range(theta.size):
            e = np.zeros_like(theta)
            e[j] = h[j]
            jac[:, j] = (score(theta + e) - score(theta - e)) / (2 * h[j])
        try:
            step = np.linalg.solve(jac, -current)
        except np.linalg.LinAlgError:
            break
        for _halving in range(30):
            candidate = theta + step
            inside = bool(np.all((candidate > bounds[0]) & (candidate < bounds[1])))
            if inside:
                new = score(candidate)
                if np.linalg.norm(new) < np.linalg.norm(current):
                    break
            step = step / 2
        else:
            break
        theta, current = candidate, new
        if np.max(np.abs(step)) <= 4 * np.finfo(float).eps * np.max(np.abs(theta)):
            break
    return theta


def fit_least_squares(y: np.ndarray, x: np.ndarray) -> MLEstimate:
    """Ordinary least squares, the ML estimator without spatial parameters."""
    lik = ConcentratedLikelihood(y, x, sp.csr_array((y.shape[0], y.shape[0])), None)
    return lik.estimate(0.0, 0.0, FitRecord(method="ols"))


def fit_fixed(
    lik: ConcentratedLikelihood, rho: float, lam: float, interval: tuple[float, float] | None
) -> MLEstimate:
    """Evaluate at given spatial parameters (no search): for likelihood-ratio and profile work."""
    record = FitRecord(
        method="ml",
        logdet=lik.logdet.name if lik.logdet is not None else None,
        logdet_error=_logdet_error(lik, rho, lam),
        interval=interval,
        optimizer="none (spatial parameters fixed)",
        message="spatial parameters fixed by the caller",
    )
    return lik.estimate(rho, lam, record)
