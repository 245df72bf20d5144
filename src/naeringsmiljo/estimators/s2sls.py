"""Spatial two-stage least squares for models with a lag of y and no error term (SAR, SDM).

Kelejian & Prucha (1998): 2SLS of y on ``[X, W y]`` with instruments ``[X, WX, W^2X, ...]`` (and
external instruments with their lags for endogenous regressors); covariances ``"hom"``,
``"het"`` (White) or the Kelejian & Prucha (2007) spatial HAC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators.base import ALIASES, FitProblem, register
from naeringsmiljo.inference.covariance import IVInference, IVProblem
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
            raise ValueError(
                f"Spatial 2SLS fits models with a lag of y and no error term; {problem.name} has "
                f"the spatial parameters {problem.spatial_params}."
            )

    def fit(self, problem: FitProblem, options: S2SLSOptions) -> SpatialResults:
        spec = problem.spec
        h, _ = gmm.instrument_matrix(
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
        est = gmm.s2sls(spec.y, z, h)
        iv = IVInference(IVProblem(h, z, est.resid))
        covariance = options.iv_covariance(iv)
        interval = spec.term_weights("y").parameter_interval()
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


def _moment_estimator(problem: FitProblem) -> str:
    """``method="gmm"``: the moment estimator that fits the model's terms."""
    terms = problem.spec.terms
    if terms.lag is None and terms.error is None:
        raise ValueError(f"{problem.name} has no spatial parameter; use method='ols'.")
    if terms.error is None:
        return "s2sls"
    if terms.lag is None and not problem.spec.endog:
        return "gm_error"
    return "gs2sls"


ALIASES["gmm"] = _moment_estimator
