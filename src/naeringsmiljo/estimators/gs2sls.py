"""Generalised spatial two-stage least squares for SAC and GNS (and error models with
endogenous regressors).

Heteroskedasticity-robust GS2SLS (Kelejian & Prucha 2010; Arraiz et al. 2010; ``variant="het"``)
or the homoskedastic estimator of Kelejian & Prucha (1998) with the 1999 moments
(``"kp99"``, R's ``gstsls``). The lag of y uses its weights ``W`` and the error its weights
``M``; when they differ the instruments add the lags of X by ``M``
(:func:`naeringsmiljo.estimators._moments.instrument_matrix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators.base import FitProblem, refuse_combined_weights, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.covariance import IVInference, IVProblem
from naeringsmiljo.results.spatial import SpatialResults


@dataclass(frozen=True)
class GS2SLSOptions(gmm.TwoStageOptions):
    """Options of GS2SLS.

    Attributes
    ----------
    variant : {"het", "kp99"}
        Heteroskedasticity-robust moments and covariance (Arraiz et al. 2010), or the
        Kelejian & Prucha (1998/1999) estimator with a second-step 2SLS covariance.
    max_iter : int
        Rounds of re-estimation of the ``"het"`` estimator.
    w_lags, cov, df_correction, hac_kernel :
        As for spatial 2SLS (:class:`~naeringsmiljo.estimators._moments.TwoStageOptions`);
        ``cov``, ``df_correction`` and ``hac_kernel`` are the second-step covariance of
        ``variant="kp99"``, the ``"het"`` estimator carries its own.
    """

    variant: Literal["het", "kp99"] = "het"
    max_iter: int = 1


@register
class GeneralisedSpatialTwoStageLeastSquares:
    """GS2SLS for ``y = rho W y + X beta + u, u = lambda M u + e``."""

    name: ClassVar[str] = "gs2sls"
    options_type: ClassVar[type] = GS2SLSOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        terms = problem.spec.terms
        refuse_combined_weights(problem)
        if terms.error is None or (terms.lag is None and not problem.spec.endog):
            raise SpecificationError(
                "GS2SLS fits models with an error term and a lag of y (or endogenous "
                f"regressors); for {problem.name} use method='gmm'."
            )

    def fit(self, problem: FitProblem, options: GS2SLSOptions) -> SpatialResults:
        spec = problem.spec
        terms = spec.terms
        if options.variant == "het" and (
            options.cov != "hom" or options.df_correction or options.hac_kernel is not None
        ):
            raise SpecificationError(
                "The heteroskedasticity-robust GS2SLS estimator carries its own covariance; "
                "cov=, df_correction= and hac_kernel= apply to variant='kp99'."
            )
        error_weights = spec.term_weights("error")
        lag_weights = spec.term_weights("y")
        own_error = terms.lag is not None and not terms.shared_weights
        # the heteroskedastic estimator's pass over W'W renumbers the units; with one matrix,
        # the whole fit (instruments included) runs in that order (gmm.Renumbering)
        gram = gmm.fit_gram_sums(error_weights, "het") if options.variant == "het" else None
        renumbering = None
        if gram is not None and (
            lag_weights is error_weights or (terms.lag is not None and not own_error)
        ):
            renumbering = gram.renumbering
        x, y, external = spec.x, spec.y, spec.instruments
        lag_matrix = lag_weights.sparse
        a1 = gmm.cached_a1(error_weights, "het")
        if renumbering is not None:
            x, y, lag_matrix = renumbering.into(x), renumbering.into(y), renumbering.w
            external = None if external is None else renumbering.into(external)
            a1 = (a1 or gmm.a1_het(error_weights.sparse)).renumbered(renumbering)
            gram = renumbering.gram
        instruments = gmm.instrument_matrix(
            x,
            spec.exog_names,
            lag_matrix,
            w_lags=options.w_lags,
            endog=spec.endog,
            external=external,
            lagged=spec.lagged,
            durbin_on_w=spec.terms.durbin is None
            or spec.terms.durbin.weights.equals(spec.term_weights("y")),
            w_error=error_weights.sparse if own_error else None,
        )
        h = instruments.matrix
        z = np.column_stack([x, lag_matrix @ y]) if terms.lag is not None else x
        intervals = {"lambda": gmm.moment_interval(error_weights)}
        if terms.lag is not None:
            intervals = {"rho": gmm.moment_interval(lag_weights), **intervals}
        bounds = gmm.bounds_of(intervals["lambda"])
        interval = next(iter(intervals.values()))
        optimizer = f"; w_lags={options.w_lags}"
        if options.variant == "kp99":
            est = gmm.gs2sls_kp99(
                spec.y, z, h, error_weights.sparse, bounds=bounds, instruments=instruments.factor
            )
            k = z.shape[1]
            iv = IVInference(IVProblem(h, est.extra["z"], est.innovations))
            covariance = est.cov
            covariance[:k, :k] = options.iv_covariance(iv)
            return gmm.moment_results(
                problem,
                est,
                interval=interval,
                intervals=intervals,
                covariance=covariance,
                cov_type=f"second-step {options.label}; none for lambda",
                optimizer=est.description + optimizer,
                iv=iv,
                variant="kp99",
            )
        est = gmm.gs2sls_het(
            y,
            z,
            h,
            error_weights.sparse if renumbering is None else renumbering.w,
            bounds=bounds,
            max_iter=options.max_iter,
            gram=gram,
            a1=a1,
            instruments=instruments.factor,
        )
        if renumbering is not None:
            est = gmm.renumbered_back(est, renumbering)
        return gmm.moment_results(
            problem,
            est,
            interval=interval,
            intervals=intervals,
            covariance=est.cov,
            cov_type="heteroskedasticity-robust GMM",
            optimizer=est.description + optimizer,
            variant="het",
        )
