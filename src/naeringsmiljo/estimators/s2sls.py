"""Spatial two-stage least squares for models with a lag of y and no error term (SAR, SDM).

Kelejian & Prucha (1998): 2SLS of y on ``[X, W y]`` with instruments ``[X, WX, W^2X, ...]`` (and
external instruments with their lags for endogenous regressors); covariances ``"hom"``,
``"het"`` (White) or the Kelejian & Prucha (2007) spatial HAC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators.base import ALIASES, FitProblem, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.covariance import IVInference
from naeringsmiljo.results.spatial import SpatialResults


@dataclass(frozen=True)
class S2SLSOptions(gmm.TwoStageOptions):
    """Options of spatial 2SLS: ``w_lags``, ``cov``, ``df_correction``, ``hac_kernel``
    (:class:`~naeringsmiljo.estimators._moments.TwoStageOptions`)."""


@register
class SpatialTwoStageLeastSquares:
    """Spatial 2SLS (Kelejian & Prucha 1998)."""

    name: ClassVar[str] = "s2sls"
    options_type: ClassVar[type] = S2SLSOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        terms = problem.spec.terms
        if terms.lag is None or terms.error is not None:
            raise SpecificationError(
                f"Spatial 2SLS fits models with a lag of y and no error term; {problem.name} has "
                f"the spatial parameters {problem.spatial_params}."
            )

    def fit(self, problem: FitProblem, options: S2SLSOptions) -> SpatialResults:
        spec = problem.spec
        if spec.terms.combined is not None:
            return _fit_combined(problem, options)
        instruments = gmm.instrument_matrix(
            spec.x,
            spec.exog_names,
            spec.term_weights("y").sparse,
            w_lags=options.w_lags,
            endog=spec.endog,
            external=spec.instruments,
            lagged=spec.lagged,
            durbin_on_w=spec.terms.durbin is None
            or spec.terms.durbin.weights.equals(spec.term_weights("y")),
        )
        z = np.column_stack([spec.x, spec.lag("y", spec.y)])
        est = gmm.s2sls(spec.y, z, instruments.matrix, instruments.factor)
        iv = est.iv
        assert iv is not None
        covariance = options.iv_covariance(iv)
        interval = gmm.moment_interval(spec.term_weights("y"))
        return gmm.moment_results(
            problem,
            est,
            interval=interval,
            intervals={"rho": interval},
            covariance=covariance,
            cov_type=options.label,
            optimizer=f"{est.description}; w_lags={options.w_lags}",
            iv=iv,
        )


def _fit_combined(problem: FitProblem, options: S2SLSOptions) -> SpatialResults:
    """Spatial 2SLS of a lag of y that combines several matrices.

    ``sum_m delta_m W_m y`` is linear in ``delta``: separate lags are estimated directly (Lee &
    Liu 2010), and a convex combination through ``rho = sum_m delta_m`` and
    ``gamma_m = delta_m / rho``, with the delta method for their covariance (the mix is not
    identified at ``rho = 0``). The lags of X with the mix (SDM, convex) make the model
    nonlinear in ``gamma``; those are fitted by ML.
    """
    spec = problem.spec
    term = spec.terms.combined
    assert term is not None
    durbin = spec.terms.durbin
    if spec.endog:
        raise SpecificationError(
            "Spatial 2SLS with combined weights takes exogenous regressors only."
        )
    if term.combine == "convex" and durbin is not None and durbin.combined:
        raise SpecificationError(
            "The lags of X with a convex combination, W_c X theta, are nonlinear in gamma; fit "
            "this model by method='ml', or with combine='separate'."
        )
    matrices = [w.sparse for _, w in term.channels]
    lagged = durbin is not None and durbin.combined
    h = gmm.channel_instruments(
        spec.x, spec.exog_names, matrices, w_lags=options.w_lags + int(lagged)
    )
    z = np.column_stack([spec.x] + [w @ spec.y for w in matrices])
    est = gmm.s2sls(spec.y, z, h)
    fitted = est.iv
    assert fitted is not None
    covariance = options.iv_covariance(fitted)
    iv: IVInference | None = fitted
    k = spec.x.shape[1]
    intervals = {name: (-1.0, 1.0) for name in term.parameter_names}
    if term.combine == "convex":
        delta = est.coefficients[k:]
        rho = float(np.sum(delta))
        jac = np.zeros((k + 1 + delta.size, k + delta.size))
        jac[:k, :k] = np.eye(k)
        jac[k, k:] = 1.0
        jac[k + 1 :, k:] = (rho * np.eye(delta.size) - delta[:, None]) / rho**2
        values = np.concatenate([est.coefficients[:k], [rho], delta / rho])
        est = replace(est, coefficients=values)
        covariance = jac @ covariance @ jac.T
        intervals = {
            name: (0.0, 1.0) if name.startswith("gamma_") else (-1.0, 1.0) for name in intervals
        }
        iv = None  # the covariance of (rho, gamma) is not a 2SLS block: refit to change it
    return gmm.moment_results(
        problem,
        est,
        interval=(-1.0, 1.0),
        intervals=intervals,
        covariance=covariance,
        cov_type=options.label + ("; (rho, gamma) by the delta method" if iv is None else ""),
        optimizer=f"{est.description}; instruments from every matrix; w_lags={options.w_lags}",
        iv=iv,
    )


def _moment_estimator(problem: FitProblem) -> str:
    """``method="gmm"``: the moment estimator that fits the model's terms."""
    terms = problem.spec.terms
    if terms.lag is None and terms.error is None:
        raise SpecificationError(f"{problem.name} has no spatial parameter; use method='ols'.")
    if getattr(problem.spec, "effects", None) is not None:
        return "panel_s2sls" if terms.error is None else "kkp"
    if terms.error is None:
        return "s2sls"
    if terms.lag is None and not problem.spec.endog:
        return "gm_error"
    return "gs2sls"


ALIASES["gmm"] = _moment_estimator
