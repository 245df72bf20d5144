"""Maximum likelihood of spatial panels with random entity effects (SAR and SEM).

The likelihoods are in :mod:`naeringsmiljo.likelihood.panel_random`. Both are concentrated in
``beta`` and ``sigma^2`` and maximised over the spatial parameter and the variance ratio
``phi = sigma2_mu / sigma2_e`` by nested one-dimensional searches: Brent's bounded method over
the spatial parameter's interval outside, and over ``ln phi`` inside (to ``1e-12``), which
reaches the maximum that spreg's alternating iterations approach (spreg ``Panel_RE_Lag``
stops at a change of ``1e-7`` in its ``theta``). The covariance of the lag model is the inverse
of the analytic expected information
(:func:`naeringsmiljo.likelihood.panel_random.lag_information`). In the error model ``beta`` is
orthogonal to the covariance parameters in the expected information, so its block is the GLS
one, ``sigma^2 (Z'Z)^{-1}`` of the transformed regression (as splm reports), and the block of
``(lambda, phi, sigma^2)`` is the observed information. With ``cov="hessian"`` either model
gets the inverse of the full observed information: central second differences of the full
log-likelihood in ``(beta, rho or lambda, phi, sigma^2)``, with the ``beta`` block exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.optimize

from naeringsmiljo._options import DENSE_MATRIX_LIMIT
from naeringsmiljo.estimators.base import FitProblem
from naeringsmiljo.exceptions import ConvergenceWarning, SpecificationError
from naeringsmiljo.inference.covariance import covariance_from_information
from naeringsmiljo.likelihood.panel_random import RandomEffectsLikelihood, lag_information
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.logdet import make_logdet

#: Search interval of ``ln phi``: phi from 1e-11 (no entity effects, to the precision of the
#: fit) to 2.2e4 (the effects dominate the innovations). An estimate at either end is reported
#: on the boundary.
LOG_PHI_BOUNDS = (-25.0, 10.0)
#: Absolute tolerance of both Brent searches.
SEARCH_XTOL = 1e-12
#: Relative step of the central second differences of the log-likelihood: the truncation error
#: is of order step^2 and the rounding of order eps |l| / step^2, both below 1e-7 relative here.
HESSIAN_STEP = 1e-4

#: What the error components are, for the summary.
DESCRIPTIONS = {
    "y": "random entity effects, y = rho W y + X beta + mu + e (Anselin 1988; Elhorst 2003)",
    "error": (
        "random entity effects, u = mu + eps, eps = lambda W eps + nu: spatial correlation in "
        "the remainder only (Baltagi, Song & Koh 2003; splm spatial.error='b')"
    ),
}


def fit_random_effects(problem: FitProblem, cov: object, bias_correction: bool) -> SpatialResults:
    """ML of a SAR or SEM panel with random entity effects (``effects="random"``)."""
    spec = problem.spec
    if bias_correction:
        raise SpecificationError(
            "bias_correction=True is the Lee-Yu correction of fixed effects; the random-effects "
            "estimator has no incidental parameters to correct."
        )
    if cov not in ("information", "hessian"):
        raise SpecificationError(
            "The random-effects panel reports the inverse expected information "
            "(cov='information', the lag model up to DENSE_MATRIX_LIMIT entities) or the "
            f"inverse observed information (cov='hessian'); cov={cov!r} is not available."
        )
    terms = spec.terms.parametric
    term = terms[0]
    kind = term.kind
    if kind == "error" and spec.n_units > DENSE_MATRIX_LIMIT:
        raise SpecificationError(
            f"The random-effects error model forms dense {spec.n_units}x{spec.n_units} "
            f"matrices (limit {DENSE_MATRIX_LIMIT} entities)."
        )
    interval = term.weights.parameter_interval()
    lik = RandomEffectsLikelihood(
        spec.y, spec.x, term.weights.sparse, make_logdet(term.weights, "auto"), kind
    )
    span = interval[1] - interval[0]
    low, high = interval[0] + 1e-9 * span, interval[1] - 1e-9 * span
    evaluations = 0

    def best_phi(spatial: float) -> tuple[float, float]:
        nonlocal evaluations

        def negative(log_phi: float) -> float:
            nonlocal evaluations
            evaluations += 1
            return -lik.profile(spatial, float(np.exp(log_phi))).loglik

        found = scipy.optimize.minimize_scalar(
            negative, bounds=LOG_PHI_BOUNDS, method="bounded", options={"xatol": SEARCH_XTOL}
        )
        return float(found.x), float(found.fun)

    outer = scipy.optimize.minimize_scalar(
        lambda v: best_phi(float(v))[1],
        bounds=(low, high),
        method="bounded",
        options={"xatol": SEARCH_XTOL},
    )
    spatial = float(outer.x)
    log_phi = best_phi(spatial)[0]
    phi = float(np.exp(log_phi))
    fit = lik.profile(spatial, phi)
    boundary = tuple(
        name
        for name, value, (a, b) in (
            (term.parameter or "", spatial, (low, high)),
            ("phi", log_phi, LOG_PHI_BOUNDS),
        )
        if min(value - a, b - value) <= 1e-6 * (b - a)
    )
    message = (
        f"nested bounded searches converged (xatol {SEARCH_XTOL:g})"
        if not boundary
        else f"on the boundary of the parameter space: {', '.join(boundary)}"
    )
    if boundary:
        warnings.warn(f"{problem.name}: {message}", ConvergenceWarning, stacklevel=4)
    record = FitRecord(
        method="ml",
        logdet=lik.logdet.name,
        interval=interval,
        intervals={term.parameter or "": interval},
        optimizer="nested Brent searches over the spatial parameter and ln phi",
        converged=not boundary,
        message=message,
        evaluations=evaluations,
        boundary=boundary,
    )
    theta = np.concatenate([fit.beta, [spatial, phi, fit.sigma2]])
    k = fit.beta.size
    if cov == "information" and kind == "y" and spec.n_units <= DENSE_MATRIX_LIMIT:
        information = lag_information(lik, fit.beta, spatial, phi, fit.sigma2)
        label = "inverse of the analytic (expected) information matrix"
    elif cov == "information" and kind == "error":
        # beta is orthogonal to (lambda, phi, sigma^2) in the expected information of the
        # error-components model (Baltagi, Song & Koh 2003): the GLS block for beta, as splm
        information = -_hessian(lik, theta)
        information[:k, k:] = 0.0
        information[k:, :k] = 0.0
        label = (
            "expected information for beta (GLS, block-diagonal), observed information for "
            "lambda, phi and sigma^2 (central differences)"
        )
    else:
        information = -_hessian(lik, theta)
        label = "inverse of the observed information (central differences; beta block exact)"
    full = covariance_from_information(
        information, np.ones(theta.size, dtype=bool), fit.factor, 1.0 / fit.sigma2
    )
    names = list(spec.exog_names) + [term.parameter or "", "phi"]
    size = len(names)
    return SpatialResults(
        model=problem.name,
        params=pd.Series(theta[:size], index=names, name="estimate"),
        cov=pd.DataFrame(full[:size, :size], index=names, columns=names),
        sigma2=fit.sigma2,
        loglik=fit.loglik,
        spec=spec,
        record=record,
        cov_type=label,
        innovations=fit.innovations[: spec.nobs],
        sigma2_se=float(np.sqrt(full[size, size])),
        family=problem.family,
        random_effects=DESCRIPTIONS[kind],
    )


def _hessian(lik: RandomEffectsLikelihood, theta: np.ndarray) -> np.ndarray:
    """Central second differences of the full log-likelihood; the ``beta`` block is exact."""
    k = theta.size - 3
    _, big_z, _ = lik.transformed(theta[k], theta[k + 1])

    def f(point: np.ndarray) -> float:
        return lik.full(point[:k], float(point[k]), float(point[k + 1]), float(point[k + 2]))

    steps = HESSIAN_STEP * np.maximum(np.abs(theta), 1e-2)
    steps[k + 1] = HESSIAN_STEP * max(abs(theta[k + 1]), 1e-6)
    size = theta.size
    hessian = np.empty((size, size))
    hessian[:k, :k] = -(big_z.T @ big_z) / theta[-1]
    for i in range(size):
        for j in range(max(i, k), size):
            ei = np.zeros(size)
            ej = np.zeros(size)
            ei[i] = steps[i]
            ej[j] = steps[j]
            value = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
            hessian[i, j] = hessian[j, i] = value
    return hessian
