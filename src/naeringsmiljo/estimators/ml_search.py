"""Maximum-likelihood searches over the spatial parameters of the concentrated likelihood.

The likelihood itself (:class:`naeringsmiljo.likelihood.gaussian.ConcentratedLikelihood`) computes
values and the analytic score; the functions here find its maximiser: a bounded search polished
into the root of the score (one parameter), a values-only interpolated search when each
log-determinant is a costly factorisation, and a grid start, L-BFGS-B and Newton polish for the
joint search over (rho, lambda) (SAC, GNS). :class:`MLEstimator` (in
:mod:`naeringsmiljo.estimators.ml`) orchestrates them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from naeringsmiljo.exceptions import ParameterSpaceError
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood, MLEstimate
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.records import FitRecord

#: An estimate within this distance of an end of its interval, relative to the end (absolute for
#: an end inside (-1, 1)), is on the boundary. The searches stop 1e-9 (relative) inside the ends, where ``ln|I - rho W|`` is still
#: finite, so a maximum that the search pushes to an end lands within a few 1e-9 of it; 1e-7
#: leaves room for that and for the polish, and an interior maximum that close to a singular
#: ``I - rho W`` has a curvature of order 1e14 from the log-determinant alone, so that the
#: interior asymptotics behind the standard errors do not describe it either.
BOUNDARY_RTOL = 1e-7
#: The likelihood is flat when its curvature in the spatial parameters, per observation and over
#: the width of their intervals (``-H_jj w_j^2 / n``, eigenvalues of ``-D H D / n`` with
#: ``D = diag(w)``), falls below this: the implied standard error of one observation's worth
#: of data exceeds 1e4 interval widths, so the data do not identify the parameter. The
#: rounding of the central-difference Hessian of the analytic score is about 1e-10 per
#: observation, below the threshold; real data, even weakly identified, are several orders of
#: magnitude above it.
FLAT_RTOL = 1e-8


def on_boundary(
    values: Mapping[str, float], intervals: Mapping[str, tuple[float, float]]
) -> tuple[str, ...]:
    """The parameters whose value lies within :data:`BOUNDARY_RTOL` ``* max(1, |end|)`` of an end
    of its interval."""
    return tuple(
        name
        for name, value in values.items()
        if any(abs(value - end) <= BOUNDARY_RTOL * max(1.0, abs(end)) for end in intervals[name])
    )


def boundary_message(
    values: Mapping[str, float], intervals: Mapping[str, tuple[float, float]], names: Sequence[str]
) -> str:
    """What an estimate on the boundary of its interval means, for the record and the warning."""
    where = "; ".join(
        f"{name} = {values[name]:.9g} at the end of its interval "
        f"({intervals[name][0]:.6g}, {intervals[name][1]:.6g})"
        for name in names
    )
    return (
        f"estimate on the boundary of the parameter interval: {where}. The likelihood increases "
        "towards a singular I - rho W, where it is not defined, so there is no interior maximum; "
        "the standard errors, which assume one, do not apply. A trend, a missing constant or "
        "regressor, or weights that do not suit the data can cause this."
    )


def flat_directions(
    score: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    intervals: Sequence[tuple[float, float]],
    n: int,
) -> bool:
    """Whether the likelihood is flat at ``theta`` (a maximum it does not identify).

    The Hessian of the concentrated likelihood in the free spatial parameters is taken by
    central differences of the analytic ``score`` (steps of 1e-5, or half the distance to the
    nearer end), scaled by the widths of the intervals and by ``n``; the likelihood is flat when
    its largest eigenvalue, the least negative curvature, exceeds ``-FLAT_RTOL`` (a zero or
    positive curvature in some direction).
    """
    size = theta.size
    widths = np.array([high - low for low, high in intervals])
    room = np.array(
        [min(t - low, high - t) for t, (low, high) in zip(theta, intervals, strict=True)]
    )
    steps = np.minimum(1e-5, 0.5 * room)
    hessian = np.empty((size, size))
    for j in range(size):
        e = np.zeros(size)
        e[j] = steps[j]
        hessian[:, j] = (score(theta + e) - score(theta - e)) / (2 * steps[j])
    scaled = 0.5 * (hessian + hessian.T) * np.outer(widths, widths) / n
    return bool(np.max(np.linalg.eigvalsh(scaled)) > -FLAT_RTOL)


def flat_message(free: Sequence[str], theta: Sequence[float]) -> str:
    """What a flat likelihood at the estimate means, for the record and the warning."""
    return (
        f"the likelihood is flat at the estimate ({', '.join(free)} = "
        f"{', '.join(f'{v:.6g}' for v in theta)}): its curvature in some direction of "
        f"the spatial parameters is zero to rounding, so the data do not identify "
        f"{' and '.join(free)} (separately) and the standard errors do not apply."
    )


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
    lik: ConcentratedLikelihood,
    which: str,
    interval: tuple[float, float],
    *,
    other: float = 0.0,
    prior: Prior | None = None,
) -> MLEstimate:
    """Maximise over rho (``which="rho"``) or lambda (``which="lambda"``), the other held at ``other``.

    A bounded Brent search on the concentrated likelihood locates the maximum; the score equation
    is then solved by Brent's root finder. Both peers (spreg, R spatialreg) stop after the first
    stage, 1e-8 to 1e-7 short of the maximiser, because the likelihood is flat at the top.

    When every value of the log-determinant is a factorisation (``logdet.values_search``: the
    SuperLU, Cholesky-type and PARDISO methods; or ``cheap_derivative`` False), the maximiser is
    found from a handful of exact values instead (:func:`_interpolated_search`: 5 to 8
    factorisations on 10-nearest-neighbour weights against 13 to 40 real and complex ones for
    the search above), to 1e-8: a hundred-thousandth of the standard error of rho at n = 1e6.
    ``prior`` replaces that search's starting model of the log-determinant (see
    :func:`_interpolated_search`).
    """
    bounds = _interior(interval)

    def at(value: float) -> tuple[float, float]:
        return (value, other) if which == "rho" else (other, value)

    def score(value: float) -> float:
        return lik.score(*at(value), only=which)[0 if which == "rho" else 1]

    searched = lik.logdet if which == "rho" else lik.error_logdet
    if searched is not None and (
        getattr(searched, "values_search", False) or not getattr(searched, "cheap_derivative", True)
    ):
        found = _interpolated_search(lik, which, other, interval, prior=prior)
        if found is not None:
            return found

    search = scipy.optimize.minimize_scalar(
        lambda v: -lik.value(*at(v)), bounds=bounds, method="bounded", options={"xatol": 1e-10}
    )
    root, converged = _score_root(score, float(search.x), bounds)
    # the root must be as high as the bracketing search's best point, up to the rounding of
    # the likelihood itself (which grows with the condition number of the design)
    slack = 1e-10 * abs(search.fun) + lik.value_rounding()
    if converged and lik.value(*at(root)) < -search.fun - slack:
        root, converged = float(search.x), False
    final_score = score(root)
    message = (
        f"score root found (|score| = {abs(final_score):.1e})"
        if converged
        else f"maximum on the boundary of the interval or score root not bracketed; {which} = {root:.6g}"
    )
    record = FitRecord(
        method="ml",
        logdet=searched.name if searched is not None else None,
        logdet_error=lik.logdet_error_bound(*at(root)),
        interval=interval,
        optimizer="bounded Brent search, then Brent root of the analytic score",
        converged=converged,
        message=message,
        score=(final_score,),
        evaluations=lik.evaluations,
    )
    return lik.estimate(*at(root), record)


#: How the record of a fit by :func:`_interpolated_search` names its optimizer (the flatness
#: of its maximum is checked by the search itself).
VALUES_SEARCH = "exact log-determinants at the maximisers of an interpolated likelihood"
#: The interpolated search stops when its step falls below this (absolute, in rho or lambda).
INTERPOLATION_XTOL = 1e-8
#: Smallest distance between interpolation nodes of the search: the log-determinants are exact to
#: about 1e-13 (n = 1e4) to 1e-12 (n = 1e6), so slopes over 1e-7 carry errors of 1e-6 to 1e-5,
#: against likelihood curvatures of order n.
INTERPOLATION_SEPARATION = 1e-7


#: A model of ``ln|I - v W|``: ``v -> (value, derivative)``, exact to second order at ``v = 0``.
Prior = Callable[[float], tuple[float, float]]


def _interpolated_search(
    lik: ConcentratedLikelihood,
    which: str,
    other: float,
    interval: tuple[float, float],
    *,
    max_evaluations: int = 12,
    prior: Prior | None = None,
) -> MLEstimate | None:
    """Maximise with as few exact log-determinants as possible (costly factorisations, large n).

    The concentrated likelihood is ``C(v) + g(v)`` with ``C`` cheap and exact
    (its derivative :meth:`ConcentratedLikelihood.concentrated_score`) and ``g(v) = ln|I - v W|`` costly. ``g`` is
    modelled as its exact Taylor polynomial at 0, ``m(v) = -(v t_1 + v^2 t_2 / 2)`` with
    ``t_j = tr(W^j)`` (sparse, O(nnz)), plus ``v^3 q(v)``, where the polynomial ``q``
    interpolates ``(g(v_i) - m(v_i)) / v_i^3`` at the (up to three) latest exact evaluations
    ``v_i``. Each step maximises the model (a root of its analytic derivative) and evaluates
    ``g`` exactly there. Interpolation at points converging to the maximiser makes the model's
    derivative exact there in the limit, as in a secant method on the score (nodes closer than
    :data:`INTERPOLATION_SEPARATION` are not combined, so that rounding does not dominate). The
    search stops when the model's maximiser moves less than :data:`INTERPOLATION_XTOL` from the
    newest node and the model's estimated slope error there (``|g'''| / 6`` times the distances
    to the other nodes, with the model's own ``g'''``) cannot move it by more than that either;
    otherwise a node is added at ``10 * INTERPOLATION_SEPARATION`` from the newest. The newest
    node is the estimate: its likelihood is exact.

    ``prior`` replaces the Taylor polynomial ``m`` by another model of ``g`` exact to second
    order at 0, such as a trace series with more terms (the one-matrix fits of the
    likelihood-ratio tests of combined weights reuse the combined fit's), whose maximiser lies
    closer to the exact one; ``q`` then interpolates the remaining residual, ``O(v^3)`` as before.

    Returns None (the caller falls back to the bracketing search) when the model has no interior
    maximum or the steps do not settle within ``max_evaluations`` factorisations.
    """
    # the searched term's weights; m ln|I - v W| enters m times (periods of a stacked design)
    w = sp.csr_array(lik.w if which == "rho" else lik.w_error)
    logdet = lik.logdet if which == "rho" else lik.error_logdet
    assert logdet is not None
    m = lik.multiplicity
    t1 = float(w.diagonal().sum())
    t2 = float(w.multiply(w.T).sum())

    def at(value: float) -> tuple[float, float]:
        return (value, other) if which == "rho" else (other, value)

    points: list[float] = []
    residuals: list[float] = []
    nodes: list[int] = []
    concentrated = _concentrated_slope(lik, which, other)
    tails: dict[tuple[int, ...], tuple[np.polynomial.Polynomial, ...]] = {}

    def tail(order: int) -> tuple[np.polynomial.Polynomial, ...]:
        """``q`` and its first ``order`` derivatives on the current nodes (cached)."""
        key = tuple(nodes)
        if key not in tails or len(tails[key]) <= order:
            q = _tail_polynomial([points[i] for i in nodes], [residuals[i] for i in nodes])
            tails[key] = tuple(q.deriv(j) if j else q for j in range(order + 1))
        return tails[key]

    def model_slope(v: float) -> float:
        if prior is None:
            slope = concentrated(v) - m * (t1 + v * t2)
        else:
            slope = concentrated(v) + m * prior(v)[1]
        if nodes:
            q, dq = tail(1)[:2]
            slope += m * (3 * v**2 * q(v) + v**3 * dq(v))
        return slope

    # |g'''(v)| <= 2 n r^3 / (1 - |v| r)^3 with r the largest absolute row sum of W: the bound
    # used while the model has too few nodes to estimate g''' itself.
    radius = float(np.max(np.abs(w).sum(axis=1))) if w.nnz else 0.0

    def interpolation_error(v: float) -> float:
        """Estimated slope error of the model at the newest node, ``|g'''| / 6 prod d_j``.

        With three nodes ``g'''`` is the model's own, doubled for safety:
        ``d^3/dv^3 v^3 q(v) = 6q + 18 v q' + 9 v^2 q'' + v^3 q'''``.
        """
        if len(nodes) == 3:
            q, d1, d2, d3 = tail(3)
            third = 2.0 * m * abs(6 * q(v) + 18 * v * d1(v) + 9 * v**2 * d2(v) + v**3 * d3(v))
        else:
            margin = max(1.0 - abs(v) * radius, 1e-3)
            third = 2.0 * m * w.shape[0] * radius**3 / margin**3
        distances = [abs(v - points[i]) for i in nodes[1:]] + [1.0] * (3 - len(nodes))
        return third / 6.0 * float(np.prod(distances))

    def curvature(v: float) -> float:
        step = 1e-5
        return (model_slope(v + step) - model_slope(v - step)) / (2 * step)

    low, high = _interior(interval)
    grid = np.linspace(low, high, 41)  # the model is finite at the ends: no log-determinant
    accuracy = np.inf
    for _ in range(max_evaluations):
        slopes = np.array([model_slope(v) for v in grid])
        changes = np.flatnonzero((slopes[:-1] > 0) & (slopes[1:] <= 0))
        if changes.size == 0:
            # No interior maximum of the model on the grid: calibrate it at the grid's end
            # towards which it rises (the Taylor start underrates the curvature near 1/omega).
            proposal = float(grid[-2] if slopes[-1] > 0 else grid[1])
            if proposal in points:
                return None
        else:
            # the model's maximum nearest the latest point (far from it the model is poor)
            anchor = points[-1] if points else 0.0
            best = changes[np.argmin(np.abs(grid[changes] - anchor))]
            proposal = float(
                scipy.optimize.brentq(
                    model_slope,
                    grid[best],
                    grid[best + 1],
                    xtol=1e-15,
                    rtol=4 * np.finfo(float).eps,
                )
            )
        if points and abs(proposal - points[-1]) <= INTERPOLATION_XTOL:
            # Converged on the model; is the model accurate enough at the newest node? Its slope
            # error there, over the curvature, is how far it can still move the maximiser.
            accuracy = abs(proposal - points[-1]) + interpolation_error(points[-1]) / abs(
                curvature(points[-1])
            )
            if accuracy <= INTERPOLATION_XTOL:
                break
            # Nodes close to the newest one, on the side away from its nearest other node, make
            # the interpolation local.
            offset = 10 * INTERPOLATION_SEPARATION
            others = [points[i] - points[-1] for i in nodes[1:]]
            nearest = min(others, key=abs) if others else -1.0
            side = -1.0 if nearest > 0 else 1.0
            if not low < points[-1] + side * offset < high:
                side = -side
            proposal = points[-1] + side * offset
        try:
            value = logdet.value(proposal)
        except ParameterSpaceError:  # numerically singular near an end of the interval
            return None
        points.append(proposal)
        if prior is None:
            residuals.append(value + t1 * proposal + t2 * proposal**2 / 2)
        else:
            residuals.append(value - prior(proposal)[0])
        nodes = _well_separated(points)
    else:
        return None
    estimate = points[-1]
    # the model's curvature at the estimate stands in for the likelihood's in the check of a
    # flat maximum (flat_directions), which would cost two complex factorisations
    width = interval[1] - interval[0]
    flat = curvature(estimate) * width**2 / lik.n > -FLAT_RTOL
    record = FitRecord(
        method="ml",
        logdet=logdet.name,
        logdet_error=lik.logdet_error_bound(*at(estimate)),
        interval=interval,
        optimizer=(f"{VALUES_SEARCH} ({len(points)} factorisations)"),
        converged=not flat,
        message=(
            flat_message([which], [estimate])
            if flat
            else f"maximiser located to {accuracy:.1e} in {which} (step plus model error)"
        ),
        score=(model_slope(estimate),),
        evaluations=len(points),
    )
    return lik.estimate(*at(estimate), record)


def _concentrated_slope(
    lik: ConcentratedLikelihood, which: str, other: float
) -> Callable[[float], float]:
    """``v -> d/dv (-n/2 ln sigma^2)`` along the searched parameter, the other held at ``other``.

    Along rho the filtered outcome is linear, ``B A y = b_0 - rho b_1`` with ``b_0 = B y`` and
    ``b_1 = B W_1 y``, and so are its least-squares residuals on the fixed ``BX``,
    ``e = e_0 - rho e_1``: the slope ``n e'e_1 / e'e`` then needs three inner products of two
    residual vectors computed once (the same pivoted QR as
    :meth:`ConcentratedLikelihood.profile`), instead of a least-squares fit per evaluation.
    Along lambda ``BX`` changes: see :func:`_error_slope`.
    """
    if which != "rho":
        return _error_slope(lik, other)
    factor = lik.design_factor(other)
    e0 = factor.residuals(lik.y - other * lik.w2y)
    e1 = factor.residuals(lik.wy - other * lik.wwy)
    a, b, c = float(e0 @ e0), float(e0 @ e1), float(e1 @ e1)
    n = lik.n

    def slope(v: float) -> float:
        return n * (b - v * c) / (a - 2.0 * v * b + v * v * c)

    return slope


def _error_slope(lik: ConcentratedLikelihood, rho: float) -> Callable[[float], float]:
    """``v -> d/dlambda (-n/2 ln sigma^2)`` at ``lambda = v``, ``rho`` fixed, in O(k^3).

    With ``z = A y`` the filtered outcome and design are ``B [X, z] = M - v N``, ``M = [X, z]``,
    ``N = W_2 M``: every column lies in the span of ``[M, N]``. One Householder QR
    ``[M, N] = Q [R_M, R_N]`` maps the problem isometrically to ``2(k+1)`` rows, where the
    least-squares fit of ``r_z - v r_Wz`` on ``R_X - v R_WX`` (a
    :class:`~naeringsmiljo.linalg.DesignFactor`, as the likelihood's own) has the same residual
    norm and coefficients; the slope is ``n e'(W_2 u) / e'e`` with ``u = z - X beta``, as in
    :meth:`ConcentratedLikelihood.concentrated_score`, without a QR of ``n`` rows per value.
    """
    k = lik.x.shape[1]
    z = lik.y - rho * lik.wy
    wz = lik.w2y - rho * lik.wwy
    r = cast(np.ndarray, np.linalg.qr(np.column_stack([lik.x, z, lik.wx, wz]), mode="r"))
    rm, rn = r[:, : k + 1], r[:, k + 1 :]
    n = lik.n

    known: dict[float, float] = {}  # every step of the search revisits the same grid

    def slope(v: float) -> float:
        if v not in known:
            filtered = rm - v * rn
            factor = DesignFactor.of(filtered[:, :k])
            beta = factor.coefficients(filtered[:, k])
            e = factor.residuals(filtered[:, k])
            wu = rn[:, k] - rn[:, :k] @ beta
            known[v] = float(n * (e @ wu) / (e @ e))
        return known[v]

    return slope


def _well_separated(points: list[float]) -> list[int]:
    """Indices of the newest point and up to two earlier ones, each at least
    :data:`INTERPOLATION_SEPARATION` from every chosen one (newest first).

    Closer nodes would let the rounding of the log-determinants (about ``1e-16 n``) dominate
    the interpolated slope.
    """
    chosen = [len(points) - 1]
    for i in range(len(points) - 2, -1, -1):
        if all(abs(points[i] - points[j]) >= INTERPOLATION_SEPARATION for j in chosen):
            chosen.append(i)
        if len(chosen) == 3:
            break
    return chosen


def _tail_polynomial(points: list[float], residuals: list[float]) -> np.polynomial.Polynomial:
    """The polynomial ``q`` of degree ``len(points) - 1`` with ``v_i^3 q(v_i) = r_i``."""
    v = np.asarray(points)
    values = np.asarray(residuals) / v**3
    if v.size == 1:
        return np.polynomial.Polynomial([values[0]])
    # Exact interpolation (degree = points - 1); numpy maps the points to [-1, 1] first, which
    # keeps the fit well conditioned when they cluster at the maximiser.
    return np.polynomial.Polynomial.fit(v, values, deg=v.size - 1)


def fit_two_parameters(
    lik: ConcentratedLikelihood,
    interval: tuple[float, float],
    *,
    error_interval: tuple[float, float] | None = None,
    grid: int = 9,
) -> MLEstimate:
    """Maximise over ``(rho, lambda)`` jointly (SAC, GNS).

    The likelihood of the SAC model can have more than one local maximum (Elhorst 2014, s. 2.7), so
    the search starts from the best point of a ``grid x grid`` lattice over the intervals, runs
    L-BFGS-B with the analytic score, and solves the score equations by Newton's method.
    ``interval`` is rho's, ``error_interval`` lambda's (the same unless the error term has
    weights of its own).
    """
    error_interval = interval if error_interval is None else error_interval
    bounds = _interior(interval)
    error_bounds = _interior(error_interval)
    points = np.linspace(bounds[0], bounds[1], grid + 2)[1:-1]
    error_points = np.linspace(error_bounds[0], error_bounds[1], grid + 2)[1:-1]
    lag_logdets = {p: lik.logdets(p, 0.0) for p in points}
    error_logdets = {p: lik.logdets(0.0, p) for p in error_points}
    best = max(
        ((r, l) for r in points for l in error_points),
        key=lambda rl: (
            -0.5 * lik.n * np.log(lik.profile(*rl)[3]) + lag_logdets[rl[0]] + error_logdets[rl[1]]
        ),
    )

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value = lik.value(*theta)
        return -value, -np.asarray(lik.score(*theta))

    search = scipy.optimize.minimize(
        negative,
        np.asarray(best),
        jac=True,
        method="L-BFGS-B",
        bounds=[bounds, error_bounds],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500},
    )
    theta = _newton_polish(
        lambda t: np.asarray(lik.score(*t)),
        np.asarray(search.x, dtype=float),
        (np.array([bounds[0], error_bounds[0]]), np.array([bounds[1], error_bounds[1]])),
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
        logdet_error=lik.logdet_error_bound(float(theta[0]), float(theta[1])),
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
    bounds: tuple[np.ndarray, np.ndarray],
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


def fit_fixed(
    lik: ConcentratedLikelihood, rho: float, lam: float, interval: tuple[float, float] | None
) -> MLEstimate:
    """Evaluate at given spatial parameters (no search): for likelihood-ratio and profile work."""
    record = FitRecord(
        method="ml",
        logdet=lik.logdet.name if lik.logdet is not None else None,
        logdet_error=lik.logdet_error_bound(rho, lam),
        interval=interval,
        optimizer="none (spatial parameters fixed)",
        message="spatial parameters fixed by the caller",
    )
    return lik.estimate(rho, lam, record)
