"""Ordinary least squares with the classical covariance, for models without spatial parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.covariance import least_squares_covariance
from naeringsmiljo.likelihood.gaussian import least_squares
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.spatial import SpatialResults


@dataclass(frozen=True)
class LeastSquaresOptions:
    """Least squares takes no options."""


@register
class LeastSquares:
    """OLS (also of SLX's ``[X, WX]``): ML estimates with ``s^2 = e'e/(n-k)`` and t inference."""

    name: ClassVar[str] = "ols"
    options_type: ClassVar[type] = LeastSquaresOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        if problem.spatial_params:
            raise SpecificationError(
                f"method='ols' is inconsistent for {problem.name}; use method='ml' or 'gmm'."
            )
        if problem.spec.endog:
            raise SpecificationError("Endogenous regressors need method='gmm'.")

    def fit(self, problem: FitProblem, options: LeastSquaresOptions) -> SpatialResults:
        spec = problem.spec
        est = least_squares(spec.y, spec.x)
        cov, s2 = least_squares_covariance(spec.x, est.innovations)
        names = spec.exog_names
        # a fixed-effects panel: the within transformation absorbed one parameter per effect
        absorbed = int(getattr(spec, "absorbed", 0))
        df_resid = spec.nobs - len(names) - absorbed
        if absorbed:
            if df_resid <= 0:
                raise SpecificationError(
                    f"{problem.name}: no residual degrees of freedom after {absorbed} fixed effects."
                )
            scale = (spec.nobs - len(names)) / df_resid
            cov, s2 = cov * scale, s2 * scale
        return SpatialResults(
            model=problem.name,
            params=pd.Series(est.beta, index=names, name="estimate"),
            cov=pd.DataFrame(cov, index=names, columns=names),
            sigma2=s2,
            loglik=est.loglik,
            spec=spec,
            record=FitRecord(method="ols", message="closed-form least squares"),
            cov_type="classical OLS, s^2 = e'e/(n-k)"
            + (f" with {absorbed} fixed effects in k" if absorbed else ""),
            innovations=est.innovations,
            df_resid=df_resid,
            family=problem.family,
        )
