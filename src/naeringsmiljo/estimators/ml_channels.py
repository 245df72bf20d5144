"""ML for models whose spatial term combines several weights matrices.

The concentrated likelihood of :mod:`naeringsmiljo.likelihood.channels` is maximised over the
free spatial parameters with SLSQP (scipy) under the linear constraints of the parameter space,
with the analytic score, then polished by Newton steps on a central-difference Hessian of the
score when the maximum is interior (the flat top of the likelihood otherwise leaves SLSQP
1e-7 short). The parameter space:

* a convex combination: ``|rho| < 1`` and ``gamma`` on the simplex. With row-standardised
  matrices every mix ``W_c`` is row-stochastic, so ``I - rho W_c`` is invertible for
  ``|rho| < 1``; as for one matrix above ``LANCZOS_EIGEN_LIMIT``, the lower end ``-1`` is
  conservative (Debarsy & LeSage 2018 use the same interval);
* separate lags: ``sum_m |rho_m| < 1``, which makes the spectral radius of
  ``sum_m rho_m W_m`` less than one. It is the exact stationary region where every ``rho_m``
  is positive (the row sums are then the largest eigenvalue) and a conservative one
  elsewhere (Elhorst, Lacombe & Piras 2012 trace the exact region ray by ray);
* a term with one matrix: its interval ``(1/omega_min, 1/omega_max)``.

An estimate on an edge of that space (a ``gamma`` at zero, ``sum |rho_m|`` at one) is
reported as not converged: the covariance assumes an interior estimate. For a convex
combination the likelihood-ratio tests of each matrix alone (a vertex of the simplex) with
their chi-bar-square p-values are computed with the fit.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.optimize

from naeringsmiljo._options import closest
from naeringsmiljo.design.terms import LAG_PREFIX, SpatialTerm
from naeringsmiljo.estimators.base import FitProblem
from naeringsmiljo.estimators.ml_search import fit_one_parameter
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    OptionError,
    ParameterSpaceError,
    SpecificationError,
)
from naeringsmiljo.inference.channels import (
    ChannelInference,
    channel_information,
    chi_bar_square_pvalue,
    chi_bar_square_weights,
    constrained_covariance,
)
from naeringsmiljo.likelihood.channels import (
    DIFFERENCE_STEP,
    ChannelLikelihood,
    LogdetExpansion,
    LogdetKind,
    TermMap,
)
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.logdet import make_logdet
from naeringsmiljo.weights.logdet.taylor import TraceLogDet

#: Distance kept from the edges of the parameter space (relative): the log-determinant is
#: infinite on them.
_EDGE = 1e-9
#: Slack below which an inequality of the parameter space counts as active.
_ACTIVE = 1e-7
#: Projected score (per unit) below which SLSQP's solution needs no Newton polish: only an
#: exact root (to rounding) is left alone, so that the estimates, and every number computed
#: from them, do not depend on where SLSQP stopped (a replication compares them at 1e-8). The
#: polish costs 4 score evaluations per free parameter, about 40% of a fit at n = 100,000.
_POLISH = 1e-13
#: Outer iterations of the Newton search (:func:`_newton_search`) before SLSQP takes over.
_NEWTON_ITERATIONS = 30
#: The Newton search stops when its model's step from an exact centre is below this (largest
#: change of a free parameter): the centre is then the score's root to about that.
_NEWTON_XTOL = 1e-11
#: A step from an exact centre below this is the last: it lands within about 1e-12 of the root.
_NEWTON_LAST = 1e-6
#: A step from an exact centre is also the last when :func:`_landing_bound` states that it
#: lands within this of the root in every reported parameter (far below any standard error).
_NEWTON_STATED = 1e-8
#: Terms and Rademacher probes of the trace series that gives the search its first centre
#: (:func:`_first_model`): a few hundred products of a matrix with a vector, no factorisation.
_START_ORDER = 16
_START_PROBES = 4


@dataclass(frozen=True)
class _Constraint:
    """``a' theta + b >= 0`` (inequality) or ``= 0`` (a fixed parameter)."""

    a: np.ndarray
    b: float
    what: str
    #: The reported parameters on the edge when the inequality is active.
    params: tuple[str, ...] = ()


@dataclass
class ChannelProblem:
    """The likelihood, its parameter space and the names of the reported parameters."""

    lik: ChannelLikelihood
    terms: list[SpatialTerm]
    maps: list[TermMap]
    beta_names: list[str]
    spatial_names: list[str]
    bounds: list[tuple[float, float]]
    inequalities: list[_Constraint]
    equalities: list[_Constraint]

    @property
    def n_free(self) -> int:
        return self.lik.n_free

    def reported(self, theta: np.ndarray) -> np.ndarray:
        out, pos = [], 0
        for m in self.maps:
            out.append(m.reported(theta[pos : pos + m.n_free]))
            pos += m.n_free
        return np.concatenate(out)

    def reported_jacobian(self) -> np.ndarray:
        """``d reported / d theta`` (block diagonal over the terms, constant)."""
        rows = sum(m.n_reported for m in self.maps)
        jac = np.zeros((rows, self.n_free))
        r = c = 0
        for m in self.maps:
            jac[r : r + m.n_reported, c : c + m.n_free] = m.reported_jacobian()
            r += m.n_reported
            c += m.n_free
        return jac

    def reported_offset(self) -> np.ndarray:
        return self.reported(np.zeros(self.n_free))


def build(
    problem: FitProblem, fixed: Mapping[str, float], logdet: LogdetKind = "exact"
) -> ChannelProblem:
    """The likelihood and parameter space of a model whose terms combine several matrices."""
    spec = problem.spec
    if spec.n_periods != 1:
        raise SpecificationError("Combined weights are available for cross-sections.")
    lag, error, durbin = spec.terms.lag, spec.terms.error, spec.terms.durbin
    maps: list[TermMap] = []
    terms: list[SpatialTerm] = []

    def matrices(term: SpatialTerm | None) -> list:
        if term is None:
            return []
        terms.append(term)
        if term.combined:
            maps.append(TermMap(term.combine or "convex", len(term.channels)))
            return [w.sparse for _, w in term.channels]
        maps.append(TermMap("single", 1))
        return [term.weights.sparse]

    lag_mats, error_mats = matrices(lag), matrices(error)
    combined = spec.terms.combined
    x, names = spec.x, list(spec.exog_names)
    blocks: list[np.ndarray] = []
    if durbin is not None and durbin.combined and combined is not None:
        q = len(spec.lagged)
        base = x.shape[1] - q * len(durbin.channels)
        if combined.combine == "convex":
            blocks = [x[:, base + j * q : base + (j + 1) * q] for j in range(len(durbin.channels))]
            x = x[:, :base]
            names = names[:base] + [LAG_PREFIX + v for v in spec.lagged]
    lik = ChannelLikelihood(
        spec.y,
        x,
        lag_mats,
        error_mats,
        maps[0] if lag is not None else None,
        maps[-1] if error is not None else None,
        durbin=blocks,
        logdet=logdet,
    )
    spatial = [name for t in terms for name in t.parameter_names]
    unknown = sorted(set(fixed) - set(spatial))
    if unknown:
        raise OptionError(
            f"{problem.name} cannot fix {unknown}; its spatial parameters: {spatial}."
            + "".join(closest(u, spatial) for u in unknown),
            option="fixed",
            value=unknown,
            allowed=tuple(spatial),
        )
    bounds, inequalities = _space(terms, maps)
    cp = ChannelProblem(lik, terms, maps, names, spatial, bounds, inequalities, [])
    cp.equalities = _fixings(cp, fixed)
    return cp


def _space(
    terms: list[SpatialTerm], maps: list[TermMap]
) -> tuple[list[tuple[float, float]], list[_Constraint]]:
    size = sum(m.n_free for m in maps)
    bounds: list[tuple[float, float]] = []
    inequalities: list[_Constraint] = []
    pos = 0
    for term, m in zip(terms, maps, strict=True):
        p = term.parameter or "rho"
        if m.shape == "single" and term.combined:  # a vertex: rho's space is the combination's
            bounds.append((-1 + _EDGE, 1 - _EDGE))
        elif m.shape == "single":
            low, high = term.weights.parameter_interval()
            bounds.append((low * (1 - _EDGE), high * (1 - _EDGE)))
        elif m.shape == "convex":
            bounds.append((-1 + _EDGE, 1 - _EDGE))
            bounds += [(0.0, 1.0)] * (m.size - 1)
            a = np.zeros(size)
            a[pos + 1 : pos + m.n_free] = -1.0
            last = term.parameter_names[-1]
            inequalities.append(_Constraint(a, 1.0, f"{last} = 0", (last,)))
        else:
            bounds += [(-1 + _EDGE, 1 - _EDGE)] * m.size
            for signs in itertools.product((1.0, -1.0), repeat=m.size):
                a = np.zeros(size)
                a[pos : pos + m.size] = -np.array(signs)
                inequalities.append(
                    _Constraint(a, 1.0 - _EDGE, f"sum |{p}_m| = 1", tuple(term.parameter_names))
                )
        pos += m.n_free
    return bounds, inequalities


def _fixings(cp: ChannelProblem, fixed: Mapping[str, float]) -> list[_Constraint]:
    """Each fixed reported parameter as a linear equality on ``theta``, checked for range."""
    jac, offset = cp.reported_jacobian(), cp.reported_offset()
    out = []
    for name, value in fixed.items():
        j = cp.spatial_names.index(name)
        value = float(value)
        if name.startswith("gamma_"):
            if not 0.0 <= value <= 1.0:
                raise ParameterSpaceError(f"{name} = {value} lies outside [0, 1] (the simplex).")
        elif not -1.0 < value < 1.0 and any(m.shape != "single" for m in cp.maps):
            raise ParameterSpaceError(f"{name} = {value} lies outside (-1, 1).")
        out.append(_Constraint(jac[j], offset[j] - value, f"{name} = {value}"))
    gammas = [n for n in fixed if n.startswith("gamma_")]
    if gammas and sum(float(fixed[n]) for n in gammas) > 1.0 + 1e-12:
        raise ParameterSpaceError(f"The fixed {gammas} sum to more than one.")
    for name in gammas:  # a vertex: the other matrices' gamma are zero, as equalities
        if float(fixed[name]) == 1.0:
            for other in cp.spatial_names:
                if other.startswith("gamma_") and other != name and other not in fixed:
                    j = cp.spatial_names.index(other)
                    out.append(_Constraint(jac[j], offset[j], f"{other} = 0"))
    return out


def _forced(cp: ChannelProblem, a: np.ndarray) -> bool:
    """Whether ``a' theta`` is determined by the fixed values (``a`` in their row space)."""
    if not cp.equalities:
        return False
    rows = np.array([c.a for c in cp.equalities])
    coef = np.linalg.lstsq(rows.T, a, rcond=None)[0]
    scale = max(1.0, float(np.linalg.norm(a)))
    return bool(float(np.linalg.norm(rows.T @ coef - a)) < 1e-10 * scale)


def _starts(cp: ChannelProblem) -> list[np.ndarray]:
    """A small grid of starting points inside the parameter space."""
    per_term: list[list[np.ndarray]] = []
    for m in cp.maps:
        if m.shape == "single":
            per_term.append([np.array([v]) for v in (0.0, 0.4, 0.8)])
        elif m.shape == "convex":
            mixes = [np.full(m.size, 1.0 / m.size)]
            mixes += [
                np.where(np.arange(m.size) == j, 0.7, 0.3 / (m.size - 1)) for j in range(m.size)
            ]
            per_term.append([np.concatenate([[r], g[:-1]]) for r in (0.2, 0.5, 0.8) for g in mixes])
        else:
            base = [np.full(m.size, r / m.size) for r in (0.2, 0.5, 0.8)]
            base += [np.where(np.arange(m.size) == j, 0.5, 0.1) for j in range(m.size)]
            per_term.append(base)
    starts = [np.concatenate(c) for c in itertools.product(*per_term)]
    moved = [_satisfy(cp, s) for s in starts]
    return [s for s in moved if s is not None]


def _satisfy(cp: ChannelProblem, theta: np.ndarray) -> np.ndarray | None:
    """``theta`` moved onto the fixed parameters' equalities (least change), if still feasible."""
    if cp.equalities:
        a = np.array([c.a for c in cp.equalities])
        b = np.array([c.b for c in cp.equalities])
        theta = theta - np.linalg.lstsq(a, a @ theta + b, rcond=None)[0]
    low = np.array([lo for lo, _ in cp.bounds])
    high = np.array([hi for _, hi in cp.bounds])
    if np.any(theta < low - 1e-12) or np.any(theta > high + 1e-12):
        return None
    if any(c.a @ theta + c.b < 0 for c in cp.inequalities):
        return None
    return np.clip(theta, low, high)


@dataclass(frozen=True)
class ChannelEstimate:
    theta: np.ndarray
    beta: np.ndarray
    sigma2: float
    loglik: float
    innovations: np.ndarray
    record: FitRecord
    active: list[str]


def maximise(cp: ChannelProblem, guess: np.ndarray | None = None) -> ChannelEstimate:
    """Maximise the concentrated likelihood over the parameter space.

    The search starts from the best point of a small grid (each a value: one real
    factorisation), or from ``guess`` when it satisfies the fixed values and the space.
    """
    lik = cp.lik
    n = lik.n
    moved = _satisfy(cp, guess) if guess is not None else None
    starts = [moved] if moved is not None else _starts(cp)
    if not starts:
        raise ParameterSpaceError("No point of the parameter space satisfies the fixed values.")
    found = _newton_search(cp, starts)
    if found is not None:
        return _estimate(
            cp,
            found[0],
            True,
            "Newton steps on exact expansions",
            polish=False,
            score=found[1],
            landing=found[2],
        )
    values = [lik.value(s) for s in starts]
    start = starts[int(np.argmax(values))]

    # The fixed values are eliminated: theta = start + N phi with N a basis of the null space
    # of their equalities; the bounds and the other inequalities become linear constraints on
    # phi (those the fixed values decide are dropped).
    null = _null(cp)
    rows = _inequality_rows(cp)
    live = [(a @ null, a @ start + b) for a, b in rows if np.linalg.norm(a @ null) > 1e-12]

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            value, score = lik.value_and_score(start + null @ phi)
        except ParameterSpaceError:
            return 1e10, np.zeros_like(phi)
        return -value / n, -(null.T @ score) / n

    if null.shape[1]:
        result = _slsqp(objective, null.shape[1], live)
        theta = start + null @ np.asarray(result.x, dtype=np.float64)
        success, status = bool(result.success), f"SLSQP: {result.message}"
    else:
        theta, success, status = start, True, "every spatial parameter fixed"
    return _estimate(cp, theta, success, status, polish=True)


def _slsqp(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    dim: int,
    live: Sequence[tuple[np.ndarray, float]],
) -> scipy.optimize.OptimizeResult:
    """Minimise ``objective`` over ``phi`` from zero subject to ``a @ phi + b >= 0``.

    ``objective`` returns the value and its gradient; ``live`` holds the ``(a, b)`` pairs.
    """
    return scipy.optimize.minimize(
        objective,
        np.zeros(dim),
        jac=True,
        method="SLSQP",
        constraints=[
            {"type": "ineq", "fun": (lambda f, a=a, b=b: a @ f + b), "jac": (lambda f, a=a: a)}
            for a, b in live
        ],
        options={"ftol": 1e-15, "maxiter": 300},
    )


def _estimate(
    cp: ChannelProblem,
    theta: np.ndarray,
    success: bool,
    status: str,
    *,
    polish: bool,
    score: np.ndarray | None = None,
    landing: Mapping[str, float] | None = None,
) -> ChannelEstimate:
    """The estimate at ``theta`` with its record; ``polish``: Newton steps to the score root
    when SLSQP stopped short of it. ``score``: the score at ``theta`` when already known (the
    Newton search's model score), which spares the factorisations of its central differences."""
    lik = cp.lik
    n = lik.n
    active = _active(cp, theta)
    polished = not polish
    if polish:
        first = _projected_score(cp, lik.value_and_score(theta)[1], active)
        if first > _POLISH * n:  # SLSQP stops short on the flat top of the likelihood
            theta, polished = _polish(cp, theta, active)
    prof = lik.profile(theta)
    loglik = lik.value(theta)
    if score is None:
        score = lik.value_and_score(theta)[1]
    interior = not active
    free_score = _projected_score(cp, score, active)
    converged = (success or polished) and interior and free_score < 1e-5 * np.sqrt(n)
    boundary = _boundary(cp, theta)
    if not interior:
        message = (
            f"the estimate lies on the edge of the parameter space ({', '.join(active)}); "
            "the standard errors assume an interior estimate"
        )
        if any(not name.startswith("gamma_") for name in boundary):
            message += (
                "; on the boundary of the interval of a spatial parameter the likelihood "
                "increases towards a singular I - rho W, where it is not defined"
            )
    elif converged:
        message = f"score root found (|projected score| = {free_score:.1e})"
        if landing:
            message += (
                "; the search's last step leaves at most "
                + ", ".join(f"{k} {v:.1e}" for k, v in landing.items())
                + " to the exact root (a third-derivative bound)"
            )
    else:
        message = f"{status}; |projected score| = {free_score:.1e}"
    logdet_name = "lu (combined weights: one sparse LU per evaluation)"
    logdet_error, parameter_error = 0.0, dict[str, float]()
    if lik.logdet == "monte_carlo":
        logdet_error, parameter_error = stated_parameter_error(cp, theta)
        logdet_name = "monte_carlo (combined weights: Taylor series of traces of products)"
        message += "; stated error from the trace log-determinant: " + ", ".join(
            f"{k} {v:.1e}" for k, v in parameter_error.items()
        )
    record = FitRecord(
        method="ml",
        logdet=logdet_name,
        logdet_error=logdet_error,
        parameter_error=parameter_error,
        optimizer=(
            "SLSQP with the analytic score, then Newton steps"
            if polish
            else "Newton steps on second-order expansions of the log-determinants"
        ),
        converged=converged,
        message=message,
        score=tuple(float(s) for s in score),
        evaluations=lik.evaluations,
        boundary=boundary,
    )
    return ChannelEstimate(theta, prof.beta, prof.sigma2, loglik, prof.innovations, record, active)


def _newton_search(
    cp: ChannelProblem, starts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray | None, dict[str, float] | None] | None:
    """The interior maximiser by Newton steps on exact second-order expansions, or None.

    Each outer iteration expands the log-determinants to second order in the matrices'
    coefficients about an exact centre (:meth:`ChannelLikelihood.logdet_expansion`: value,
    gradient and Hessian from ``1 + 2M + M(M - 1)/2`` factorisations, 6 for two matrices, 5
    for two matrices near the previous centre, whose cross term is a secant), keeps the rest of
    the likelihood exact (a least-squares fit, no factorisation) and maximises that model inside
    a trust region (SLSQP from the best of ``starts``, then Newton steps on the model). The
    model's maximiser becomes the next centre when its exact value (one factorisation) is no
    lower. The first model is :func:`_first_model`'s (the trace series, or the exact quadratic
    at ``delta = 0``; no factorisation). The search stops when the model's step from an exact
    centre falls below :data:`_NEWTON_XTOL`, or below :data:`_NEWTON_LAST` after which the
    model's score and derivatives at the new centre are kept
    (:meth:`ChannelLikelihood.remember_expansion`): the centre is then the root of the same
    score as SLSQP's polished solution (its gradient is the same central difference), reached
    with 12 factorisations for two matrices against 103. None (SLSQP decides) when the maximum
    lies on an edge of the parameter space or the steps do not settle.
    """
    lik = cp.lik
    null = _null(cp)
    if null.shape[1] == 0:
        return None
    rows = _inequality_rows(cp)
    expansion = _first_model(cp)
    centre: np.ndarray | None = None
    best = -np.inf
    radius = np.inf
    small = 0
    for _ in range(_NEWTON_ITERATIONS):
        anchor = centre if centre is not None else starts[0]
        candidate = _model_maximiser(cp, expansion, anchor, starts, null, rows, radius)
        if candidate is None:
            return None
        step = float(np.max(np.abs(candidate - anchor))) if centre is not None else np.inf
        if step < _NEWTON_XTOL:
            break
        try:
            value = lik.value(candidate)
        except ParameterSpaceError:
            radius = step / 4
            continue
        if centre is not None and value < best - 1e-12 * abs(best):
            if step < 1e-9:  # rounding of the gradient: the centre is the root to that
                break
            radius = step / 4
            continue
        small = small + 1 if step < 1e-9 else 0
        radius = 2 * step if np.isfinite(step) else np.inf
        centre, best = candidate, value
        if small == 2:
            break
        bound = _landing_bound(cp, expansion, centre)
        if step < _NEWTON_LAST or (bound is not None and max(bound.values()) <= _NEWTON_STATED):
            # A Newton step of this size from an exact expansion lands within about step^2
            # times the ratio of third to second derivatives, plus 1e-6 step (the Hessian's
            # rounding), of the root: 1e-12 below _NEWTON_LAST; _landing_bound states it
            # otherwise. The score there is the model's, and no further expansion is needed.
            score = lik.concentrated(centre)[1] + expansion.at(centre)[1]
            if _active(cp, centre):
                return None
            lik.remember_expansion(expansion, centre)  # the covariance's gradient and Hessian
            return centre, score, bound
        expansion = lik.logdet_expansion(centre, previous=expansion)
    else:
        return None
    if centre is None or _active(cp, centre):
        return None
    return centre, None, None


def _landing_bound(
    cp: ChannelProblem, expansion: LogdetExpansion, theta: np.ndarray
) -> dict[str, float] | None:
    """A bound on the distance from ``theta``, the maximiser of the model of the exact
    ``expansion``, to the root of the score, for each reported spatial parameter; None when a
    term is not a combination of row-standardised matrices (or the model is a trace series).

    The model's gradient of ``ln|A|`` in ``delta`` differs from the exact one at ``delta`` by at
    most ``M_3 |delta - c|_1^2 / 2`` (Taylor's theorem; ``c`` the centre), with
    ``M_3 = 2 n / (1 - s)^3`` bounding every third derivative
    ``2 tr(A^{-1} W_i A^{-1} W_j A^{-1} W_k)`` (``|A^{-1} W_m|_inf <= 1 / (1 - s)`` for
    row-standardised ``W_m``, ``s`` the larger ``sum |delta_m|`` of the two points), plus the
    central differences' truncation ``h^2 M_3 / 6`` and rounding ``4 eps (|ln|A|| + n) / h`` at
    the centre. That gradient error ``b`` moves the root by at most
    ``|R| |N (N' H N)^{-1} N'| |J|' b`` (as in :func:`stated_parameter_error`), ``H`` the
    model's Hessian at ``theta``.
    """
    lik = cp.lik
    grad_bound = np.zeros(cp.n_free)
    for c in expansion.centres:
        if c.series is not None or c.term.shape == "single":
            return None
        free = theta[c.where]
        delta = c.term.coefficients(free)
        s = max(float(np.sum(np.abs(c.delta))), float(np.sum(np.abs(delta))))
        if s >= 1.0:
            return None
        third = 2.0 * lik.n / (1.0 - s) ** 3
        h = DIFFERENCE_STEP
        b = (
            0.5 * third * float(np.sum(np.abs(delta - c.delta))) ** 2
            + h * h * third / 6.0
            + 4.0 * np.finfo(float).eps * (abs(c.value) + lik.n) / h
        )
        grad_bound[c.where] += np.abs(c.term.jacobian(free)).T @ np.full(delta.size, b)
    null = _null(cp)
    hess = null.T @ expansion.at(theta)[2] @ null
    for j in range(null.shape[1]):
        step = 1e-6
        up = lik.concentrated(theta + step * null[:, j])[1]
        down = lik.concentrated(theta - step * null[:, j])[1]
        hess[:, j] += null.T @ (up - down) / (2 * step)
    hess = 0.5 * (hess + hess.T)
    try:
        inverse = null @ np.linalg.inv(hess) @ null.T
    except np.linalg.LinAlgError:
        return None
    moved = np.abs(cp.reported_jacobian()) @ (np.abs(inverse) @ grad_bound)
    return {name: float(v) for name, v in zip(cp.spatial_names, moved, strict=True)}


def _first_model(cp: ChannelProblem) -> LogdetExpansion:
    """The model of the log-determinants that gives the Newton search its first centre.

    With exact log-determinants and every term a combination (row-standardised matrices, where
    the trace series converges over the whole space): the trace series of
    :data:`_START_ORDER` terms and :data:`_START_PROBES` probes, whose maximiser lies close
    enough to the exact one (about 1e-4 at ``n >= 1e4``, ``rho = 0.5``) that two exact
    expansions (11 factorisations for two matrices) then reach the root, instead of three from
    the exact quadratic at ``delta = 0`` (about 1e-2 away). Otherwise that quadratic.
    """
    lik = cp.lik
    if lik.logdet == "exact" and all(m.shape != "single" for m in cp.maps):
        return lik.series_expansion(_START_ORDER, _START_PROBES)
    return lik.logdet_expansion()


def _model_maximiser(
    cp: ChannelProblem,
    expansion: LogdetExpansion,
    anchor: np.ndarray,
    starts: list[np.ndarray],
    null: np.ndarray,
    rows: list[tuple[np.ndarray, float]],
    radius: float,
) -> np.ndarray | None:
    """The maximiser of the exact likelihood with the log-determinants replaced by
    ``expansion``, within ``radius`` (largest change of a parameter) of ``anchor``."""
    lik = cp.lik

    def model(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad = lik.concentrated(theta)
        l_value, l_grad, l_hess = expansion.at(theta)
        return value + l_value, grad + l_grad, l_hess

    def inside(theta: np.ndarray) -> bool:
        return all(a @ theta + b >= 0 for a, b in rows) and bool(
            np.max(np.abs(theta - anchor)) <= radius * (1 + 1e-12)
        )

    if np.isfinite(radius):  # near an exact centre the model is good: Newton steps first
        theta = _model_newton(cp, model, anchor, null, inside, radius, anchor)
        if theta is not None:
            return theta
    points = [anchor] + [s for s in starts if inside(s)]
    values = [model(p)[0] for p in points]
    origin = points[int(np.argmax(values))]
    live = [(a @ null, a @ origin + b) for a, b in rows if np.linalg.norm(a @ null) > 1e-12]
    if np.isfinite(radius):
        for j in range(cp.n_free):  # the trust region, as inequalities on phi
            unit = np.eye(cp.n_free)[j]
            live += [
                (unit @ null, radius - (origin[j] - anchor[j])),
                (-unit @ null, radius + (origin[j] - anchor[j])),
            ]
    n = lik.n

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = model(origin + null @ phi)
        return -value / n, -(null.T @ grad) / n

    result = _slsqp(objective, null.shape[1], live)
    theta = origin + null @ np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        return None
    # SLSQP stops about 1e-7 short of the model's root on the flat top: Newton steps finish.
    polished = _model_newton(cp, model, theta, null, inside, np.inf, anchor)
    return polished if polished is not None else theta


def _model_newton(
    cp: ChannelProblem,
    model: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    theta: np.ndarray,
    null: np.ndarray,
    inside: Callable[[np.ndarray], bool],
    radius: float,
    anchor: np.ndarray,
) -> np.ndarray | None:
    """Newton steps on the model from ``theta``; None when its Hessian is not negative
    definite or a step leaves the space. The Hessian of the concentrated part (a central
    difference of its analytic gradient, ``2 d`` least-squares fits) is taken once, at
    ``theta``: the steps then converge linearly at the rate of its change, fast near a root."""
    lik = cp.lik
    conc = np.empty((null.shape[1], null.shape[1]))
    for j in range(null.shape[1]):
        h = 1e-6
        up = lik.concentrated(theta + h * null[:, j])[1]
        down = lik.concentrated(theta - h * null[:, j])[1]
        conc[:, j] = null.T @ (up - down) / (2 * h)
    conc = 0.5 * (conc + conc.T)
    for _ in range(30):
        _, grad, l_hess = model(theta)
        hess = conc + null.T @ l_hess @ null
        if np.any(np.linalg.eigvalsh(hess) >= 0):
            return None
        step = null @ -np.linalg.solve(hess, null.T @ grad)
        reach = float(np.max(np.abs(theta + step - anchor)))
        if reach > radius:  # the model's maximum lies beyond the trust region
            step *= max(0.0, radius - float(np.max(np.abs(theta - anchor)))) / reach
        if not inside(theta + step):
            return None
        theta = theta + step
        if np.max(np.abs(step)) <= 1e-15 * max(1.0, float(np.max(np.abs(theta)))):
            break
    return theta


def stated_parameter_error(cp: ChannelProblem, theta: np.ndarray) -> tuple[float, dict[str, float]]:
    """The stated error of the log-determinants at ``theta`` and what it allows in the estimates.

    The estimate maximises ``l(theta) + E(theta)``, ``E`` the error of the approximate
    log-determinants, instead of ``l``; to first order it moves by
    ``-H^{-1} grad E`` with ``H`` the Hessian of the concentrated likelihood (its curvature, from
    the free-parameter Newton step). With ``|d E / d delta_m| <= b_m`` (the log-determinant's
    :meth:`~naeringsmiljo.weights.logdet.taylor.TraceLogDet.error_bound`) the gradient error in
    the free parameters is at most ``|J|' b`` (``J = d delta / d theta``) and each reported
    parameter moves by at most ``|R| |N (N' H N)^{-1} N'| |J|' b`` (``R`` the map to the reported
    parameters, ``N`` the free directions). Returns the value bound and the bound per reported
    spatial parameter.
    """
    lik = cp.lik
    null = _null(cp)
    value_bound = 0.0
    grad_bound = np.zeros(cp.n_free)
    j_a, j_b = lik.jacobians(theta)
    d_a, d_b = lik.coefficients(theta)
    for logdet, delta, jac in ((lik.lag_logdet, d_a, j_a), (lik.error_logdet, d_b, j_b)):
        if logdet is None:
            continue
        v, g = logdet.error_bound(delta)  # type: ignore[union-attr]
        value_bound += v
        grad_bound += np.abs(jac).T @ g
    hess = null.T @ lik.logdet_expansion(theta).at(theta)[2] @ null
    for j in range(null.shape[1]):
        h = 1e-6
        up = lik.concentrated(theta + h * null[:, j])[1]
        down = lik.concentrated(theta - h * null[:, j])[1]
        hess[:, j] += null.T @ (up - down) / (2 * h)
    hess = 0.5 * (hess + hess.T)
    inverse = null @ np.linalg.inv(hess) @ null.T
    moved = np.abs(cp.reported_jacobian()) @ (np.abs(inverse) @ grad_bound)
    return float(value_bound), {
        name: float(v) for name, v in zip(cp.spatial_names, moved, strict=True)
    }


def _null(cp: ChannelProblem) -> np.ndarray:
    """A basis of the directions the fixed values leave free."""
    if not cp.equalities:
        return np.eye(cp.n_free)
    return scipy.linalg.null_space(np.array([c.a for c in cp.equalities]))


def _inequality_rows(cp: ChannelProblem) -> list[tuple[np.ndarray, float]]:
    """Every bound and inequality of the parameter space as ``a' theta + b >= 0``."""
    rows = [(c.a, c.b) for c in cp.inequalities]
    for j, (low, high) in enumerate(cp.bounds):
        unit = np.eye(cp.n_free)[j]
        rows += [(unit, -low), (-unit, high)]
    return rows


def _active(cp: ChannelProblem, theta: np.ndarray) -> list[str]:
    """The edges of the parameter space (not fixed values) the estimate lies on."""
    return [what for what, _ in _active_edges(cp, theta)]


def _boundary(cp: ChannelProblem, theta: np.ndarray) -> tuple[str, ...]:
    """The reported parameters on an edge of the parameter space, in the reported order."""
    on_edge = {name for _, names in _active_edges(cp, theta) for name in names}
    return tuple(name for name in cp.spatial_names if name in on_edge)


def _active_edges(cp: ChannelProblem, theta: np.ndarray) -> list[tuple[str, tuple[str, ...]]]:
    """Each edge the estimate lies on, described, with the reported parameters it bounds."""
    found = []
    for c in cp.inequalities:
        if c.a @ theta + c.b < _ACTIVE and not _forced(cp, c.a):
            found.append((c.what, c.params))
    pos = 0
    for term, m in zip(cp.terms, cp.maps, strict=True):
        names = term.parameter_names
        for j in range(m.n_free):
            low, high = cp.bounds[pos + j]
            unit = np.zeros(cp.n_free)
            unit[pos + j] = 1.0
            if _forced(cp, unit):
                continue
            if theta[pos + j] - low < _ACTIVE or high - theta[pos + j] < _ACTIVE:
                found.append((f"{names[j]} = {theta[pos + j]:.6g}", (names[j],)))
        pos += m.n_free
    return found


def _projected_score(cp: ChannelProblem, score: np.ndarray, active: list[str]) -> float:
    """Size of the score in the directions the fixed values leave free."""
    return float(np.max(np.abs(_null(cp).T @ score), initial=0.0))


def _polish(cp: ChannelProblem, theta: np.ndarray, active: list[str]) -> tuple[np.ndarray, bool]:
    """Newton steps on the free directions from an interior SLSQP solution."""
    if active:
        return theta, False
    lik = cp.lik
    null = _null(cp)
    if null.shape[1] == 0:
        return theta, True
    value = lik.value(theta)
    for _ in range(6):
        score = null.T @ lik.value_and_score(theta)[1]
        hess = np.empty((null.shape[1], null.shape[1]))
        for j in range(null.shape[1]):
            h = 1e-5
            up = lik.value_and_score(theta + h * null[:, j])[1]
            down = lik.value_and_score(theta - h * null[:, j])[1]
            hess[:, j] = null.T @ (up - down) / (2 * h)
        hess = 0.5 * (hess + hess.T)
        try:
            step = -np.linalg.solve(hess, score)
        except np.linalg.LinAlgError:
            return theta, False
        candidate = theta + null @ step
        if _satisfy(cp, candidate) is None or np.any(
            [c.a @ candidate + c.b < _ACTIVE for c in cp.inequalities]
        ):
            return theta, False
        new = lik.value(candidate)
        if new < value - 1e-12 * abs(value):
            return theta, False
        theta, value = candidate, new
        if np.max(np.abs(step)) < 1e-11:
            return theta, True
    return theta, True


def fit_channels(
    problem: FitProblem, cov: str, fixed: Mapping[str, float], logdet: LogdetKind = "exact"
) -> SpatialResults:
    """Fit by ML a model whose spatial term combines several weights matrices.

    ``logdet="exact"``: sparse LU log-determinants; ``"monte_carlo"``: the Taylor series of
    traces of products of the matrices (:class:`~naeringsmiljo.weights.logdet.taylor.TraceLogDet`),
    whose stated error, and the error it allows in the spatial parameters, are in the record.
    """
    cp = build(problem, fixed, logdet)
    est = maximise(cp)
    if not est.record.converged:
        warnings.warn(f"{problem.name}: {est.record.message}", ConvergenceWarning, stacklevel=4)
    k = len(est.beta)
    size = k + cp.n_free + 1
    rows = [np.concatenate([np.zeros(k), c.a, [0.0]]) for c in cp.equalities]
    constraints = np.array(rows) if rows else np.zeros((0, size))
    n_rep = len(cp.spatial_names)
    report = np.zeros((k + n_rep + 1, size))
    report[:k, :k] = np.eye(k)
    report[k : k + n_rep, k : k + cp.n_free] = cp.reported_jacobian()
    report[-1, -1] = 1.0
    inference = ChannelInference.evaluate(
        cp.lik, est.beta, est.theta, est.sigma2, constraints, report, cov
    )
    try:
        full = inference.covariance()
    except ParameterSpaceError as err:
        if not est.record.boundary:
            raise
        raise ParameterSpaceError(
            f"{problem.name}: {est.record.message}. The information matrix is singular at this "
            "estimate, so it has no covariance; the data do not support an interior maximum "
            "of the likelihood."
        ) from err
    names = cp.beta_names + cp.spatial_names
    values = np.concatenate([est.beta, cp.reported(est.theta)])
    held = [names.index(p) for p in _held(cp, fixed)]
    for name, value in fixed.items():
        values[names.index(name)] = value
    if any(n.startswith("gamma_") and float(v) == 1.0 for n, v in fixed.items()):
        for name in _held(cp, fixed):  # the vertex's other gammas are zero, not rounding
            if name.startswith("gamma_") and name not in fixed:
                values[names.index(name)] = 0.0
    full[held, :] = 0.0  # exactly: the null-space basis leaves rounding in the fixed directions
    full[:, held] = 0.0
    intervals = _intervals(cp)
    record = FitRecord(
        **{
            **est.record.__dict__,
            "interval": intervals[cp.spatial_names[0]],
            "intervals": intervals,
        }
    )
    vertex = vertex_tests(cp, est, fixed) if _tests_apply(cp, fixed) else None
    return SpatialResults(
        model=problem.name,
        params=pd.Series(values, index=names, name="estimate"),
        cov=pd.DataFrame(full[:-1, :-1], index=names, columns=names),
        sigma2=est.sigma2,
        loglik=est.loglik,
        spec=problem.spec,
        record=record,
        cov_type=inference.label,
        innovations=est.innovations,
        sigma2_se=float(np.sqrt(full[-1, -1])),
        fixed=tuple(fixed),
        family=problem.family,
        ml=inference,
        vertex_tests=vertex,
    )


def _held(cp: ChannelProblem, fixed: Mapping[str, float]) -> list[str]:
    """Reported parameters the fixed values determine (a vertex fixes every gamma)."""
    jac = cp.reported_jacobian()
    return [name for j, name in enumerate(cp.spatial_names) if _forced(cp, jac[j])]


def _intervals(cp: ChannelProblem) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    pos = 0
    for term, m in zip(cp.terms, cp.maps, strict=True):
        for j, name in enumerate(term.parameter_names):
            if name.startswith("gamma_"):
                out[name] = (0.0, 1.0)
            else:
                low, high = cp.bounds[pos + min(j, m.n_free - 1)]
                out[name] = (round(low, 8), round(high, 8))
        pos += m.n_free
    return out


def _tests_apply(cp: ChannelProblem, fixed: Mapping[str, float]) -> bool:
    return not fixed and any(m.shape == "convex" for m in cp.maps)


def vertex_tests(
    cp: ChannelProblem, est: ChannelEstimate, fixed: Mapping[str, float]
) -> pd.DataFrame:
    """Likelihood-ratio tests of each matrix alone (a vertex of the simplex).

    The restricted fit holds ``gamma_m = 1`` (the single-matrix model). Under the null the
    other ``gamma`` lie on the boundary of their space, so the LR statistic is chi-bar-square
    with weights from their covariance at the restricted estimate
    (:func:`~naeringsmiljo.inference.channels.chi_bar_square_weights`), not chi-square: for two
    matrices, a 50:50 mixture of 0 and chi^2_1. The test assumes ``rho != 0``: at ``rho = 0``
    the mix is not identified (Davies 1977).
    """
    term = next(t for t, m in zip(cp.terms, cp.maps, strict=True) if m.shape == "convex")
    gammas = [n for n in term.parameter_names if n.startswith("gamma_")]
    rows = []
    for index, name in enumerate(gammas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r_est = _vertex_fit(cp, est, index)
        statistic = max(0.0, 2.0 * (est.loglik - r_est.loglik))
        k = len(r_est.beta)
        others = [cp.spatial_names.index(g) for g in gammas if g != name]
        if len(others) == 1:  # one constraint: the weights are 1/2, 1/2 whatever the variance
            block = np.ones((1, 1))
        else:
            info_cov = _unconstrained_reported_cov(cp, r_est)
            block = info_cov[np.ix_([k + j for j in others], [k + j for j in others])]
        try:
            weights = chi_bar_square_weights(block)
            pvalue = chi_bar_square_pvalue(statistic, block)
        except (np.linalg.LinAlgError, ValueError):
            weights, pvalue = np.full(len(others) + 1, np.nan), float("nan")
        rows.append(
            {
                "matrix": name.removeprefix("gamma_"),
                "loglik_alone": r_est.loglik,
                "LR": statistic,
                "df_max": len(others),
                "pvalue": pvalue,
                "weights": tuple(float(w) for w in weights),
            }
        )
    return pd.DataFrame(rows).set_index("matrix")


def _vertex_fit(cp: ChannelProblem, est: ChannelEstimate, vertex: int) -> ChannelEstimate:
    """The fit with only the combined term's matrix ``vertex``, in the full parametrisation.

    The restricted likelihood factorises ``I - rho W_m`` alone (the pattern of one matrix, not
    of their union), and its ``rho`` keeps the combination's space ``(-1, 1)``; its estimate
    equals the full model's with ``gamma_m`` held at one.
    """
    alone = _one_matrix_fit(cp, vertex)
    if alone is not None:
        return alone
    lik = cp.lik
    pos = 0
    maps, keep, insert_at = [], [], 0
    for m in cp.maps:
        if m.shape == "convex":
            maps.append(TermMap("single", 1))
            keep.append(pos)
            insert_at = pos
        else:
            maps.append(m)
            keep += list(range(pos, pos + m.n_free))
        pos += m.n_free
    lag_convex = lik.lag_map is not None and lik.lag_map.shape == "convex"
    x = np.column_stack([lik.x, lik.durbin[vertex]]) if lik.durbin else lik.x
    prebuilt = None
    if lik.logdet == "monte_carlo":  # the same series and probes as the combined fit
        lag_ld, err_ld = lik.lag_logdet, lik.error_logdet
        if lag_convex and isinstance(lag_ld, TraceLogDet):
            lag_ld = lag_ld.vertex(vertex)
        elif isinstance(err_ld, TraceLogDet):
            err_ld = err_ld.vertex(vertex)
        prebuilt = (lag_ld, err_ld)
    restricted = ChannelLikelihood(
        lik.y,
        x,
        [lik.lag[vertex]] if lag_convex else lik.lag,
        lik.error if lag_convex else [lik.error[vertex]],
        maps[0] if lik.lag_map is not None else None,
        maps[-1] if lik.error_map is not None else None,
        logdet=lik.logdet,
        prebuilt=prebuilt,
    )
    spatial = [
        n for t, m in zip(cp.terms, maps, strict=True) for n in t.parameter_names[: m.n_reported]
    ]
    bounds, inequalities = _space(cp.terms, maps)
    problem = ChannelProblem(
        restricted, cp.terms, maps, cp.beta_names, spatial, bounds, inequalities, []
    )
    found = maximise(problem, guess=est.theta[keep])
    size = next(m.size for m in cp.maps if m.shape == "convex")
    mix = np.eye(size)[vertex][:-1]
    theta = np.insert(found.theta, insert_at + 1, mix)
    return replace(found, theta=theta)


def _one_matrix_fit(cp: ChannelProblem, vertex: int) -> ChannelEstimate | None:
    """The fit with only matrix ``vertex`` by the one-matrix model's own search, or None.

    For a model whose only spatial term is the convex combination (SAR, SDM, SEM, SDEM) and
    exact log-determinants: the one-matrix concentrated likelihood
    (:class:`~naeringsmiljo.likelihood.gaussian.ConcentratedLikelihood`) with the matrix's own
    log-determinant (:func:`~naeringsmiljo.weights.logdet.make_logdet`, whose ordering or
    PARDISO analysis stays on the weights for later one-matrix fits), maximised by
    :func:`~naeringsmiljo.estimators.ml_search.fit_one_parameter` over the combination's
    ``(-1, 1)``. Above a few hundred units that is the values-only search, started from the
    combined fit's trace series at the vertex (3 to 5 factorisations, the maximiser to 1e-8:
    the log-likelihood to about ``n 1e-16``); below, the score root to rounding. Otherwise (a SAC, the trace series) None: the caller fits the
    restricted combined likelihood.
    """
    lik = cp.lik
    if lik.logdet != "exact" or len(cp.maps) != 1 or cp.maps[0].shape != "convex":
        return None
    term = cp.terms[0]
    lag = lik.lag_map is not None
    x = np.column_stack([lik.x, lik.durbin[vertex]]) if lik.durbin else lik.x
    weights = term.channels[vertex][1]
    single = ConcentratedLikelihood(lik.y, x, weights.sparse, make_logdet(weights, "auto"))
    # the trace series of the combined fit's first step, at the vertex: the values-only search
    # starts from its maximiser (about 1e-4 from the exact one) rather than from the quadratic
    series = _first_model(cp).centres[0].series
    alone = series.vertex(vertex) if series is not None else None

    def prior(v: float) -> tuple[float, float]:
        value, grad = alone.value_and_gradient(np.array([v]))  # type: ignore[union-attr]
        return value, float(grad[0])

    found = fit_one_parameter(
        single, "rho" if lag else "lambda", (-1.0, 1.0), prior=prior if alone else None
    )
    size = cp.maps[0].size
    theta = np.concatenate([[found.rho if lag else found.lam], np.eye(size)[vertex][:-1]])
    return ChannelEstimate(
        theta, found.beta, found.sigma2, found.loglik, found.innovations, found.record, []
    )


def _unconstrained_reported_cov(cp: ChannelProblem, est: ChannelEstimate) -> np.ndarray:
    info, _ = channel_information(cp.lik, est.beta, est.theta, est.sigma2)
    k = len(est.beta)
    cov = constrained_covariance(info, np.zeros((0, info.shape[0])))
    n_rep = len(cp.spatial_names)
    report = np.zeros((k + n_rep, info.shape[0]))
    report[:k, :k] = np.eye(k)
    report[k:, k : k + cp.n_free] = cp.reported_jacobian()
    return report @ cov @ report.T
