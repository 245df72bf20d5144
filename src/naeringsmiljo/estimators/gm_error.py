"""Generalised-moments estimators of the spatial error models (SEM, SDEM).

Kelejian & Prucha (1999) moments and FGLS (``variant="kp99"``), the heteroskedasticity-robust
two-moment estimator of Arraiz, Drukker, Kelejian & Prucha (2010) (``"het"``, the default) and
the homoskedastic one of Drukker, Egger & Prucha (2013) (``"hom"``); each carries its own
covariance.

Assumptions of the covariances: ``"het"`` independent innovations with unit-specific variances
(its quadratic moments use matrices with a zero diagonal, so the estimator stays consistent under
heteroskedasticity, and the variance of the moments is estimated with squared residuals,
Kelejian & Prucha 2010); ``"hom"`` independent innovations with one variance, not necessarily
normal; ``"kp99"`` reports FGLS standard errors for beta only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from naeringsmiljo.design.cross_section import CrossSectionDesign
from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators.base import FitProblem, refuse_combined_weights, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.results.spatial import SpatialResults

#: The covariance each variant carries.
COVARIANCE_LABELS = {
    "het": "heteroskedasticity-robust GMM",
    "hom": "homoskedastic GMM",
    "kp99": "FGLS for beta (sigma^2 = e'e/n); none for lambda",
}


@dataclass(frozen=True)
class GMErrorOptions:
    """Options of the GM error estimators.

    Attributes
    ----------
    variant : {"het", "hom", "kp99"}
        The moment conditions (and with them the covariance).
    max_iter : int
        Rounds of re-estimation after the first step (spreg's default 1).
    """

    variant: Literal["het", "hom", "kp99"] = "het"
    max_iter: int = 1


@register
class GMError:
    """GM estimators of ``y = X beta + u, u = lambda W u + e``."""

    name: ClassVar[str] = "gm_error"
    options_type: ClassVar[type] = GMErrorOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        terms = problem.spec.terms
        refuse_combined_weights(problem)
        if terms.error is None or terms.lag is not None or problem.spec.endog:
            raise SpecificationError(
                "The GM error estimators fit models with an error term, no lag of y and no "
                f"endogenous regressors; for {problem.name} use method='gmm'."
            )

    def fit(self, problem: FitProblem, options: GMErrorOptions) -> SpatialResults:
        spec = problem.spec
        variant = options.variant
        weights = spec.term_weights("error")
        interval = gmm.moment_interval(weights)
        gram = gmm.fit_gram_sums(weights, variant)
        traces = gmm.cached_hom_traces(weights, gram) if variant == "hom" else None
        y, x, w = spec.y, spec.x, weights.sparse
        factor = spec.x_factor() if isinstance(spec, CrossSectionDesign) else DesignFactor.of(x)
        ols_resid = factor.residuals(y)
        a1 = (
            None
            if variant == "kp99"
            else gmm.cached_a1(weights, variant) or gmm.A1Operator.of(w, variant)
        )
        # the two-moment fits (not KP99's) run in the renumbered order of the pass over W'W
        # when there is one (gmm.Renumbering): every product with W then reads a narrow band
        renumbering = None if gram is None or a1 is None else gram.renumbering
        if renumbering is not None and a1 is not None:
            y, x, ols_resid = (renumbering.into(v) for v in (y, x, ols_resid))
            w, a1, gram = renumbering.w, a1.renumbered(renumbering), renumbering.gram
            traces = None if traces is None else traces.renumbered(renumbering)
        est = gmm.gm_error(
            y,
            x,
            w,
            variant=variant,
            bounds=gmm.bounds_of(interval),
            max_iter=options.max_iter,
            hom_traces=traces,
            gram=gram,
            a1=a1,
            ols_resid=ols_resid,
        )
        if renumbering is not None:
            est = gmm.renumbered_back(est, renumbering)
        return gmm.moment_results(
            problem,
            est,
            interval=interval,
            intervals={"lambda": interval},
            covariance=est.cov,
            cov_type=COVARIANCE_LABELS[options.variant],
            optimizer=est.description,
            variant=options.variant,
        )
