"""The Kapoor, Kelejian & Prucha (2007) GM estimator of the spatial panel error model (SEM).

Fits ``y = X beta + u, u = lambda (I_T ⊗ W) u + e`` on a panel design with random entity effects
(``e = (iota_T ⊗ I_N) mu + v``: six moments, fully weighted, then feasible GLS) or fixed entity
effects (three moments of the within residuals, then least squares on the demeaned spatially
filtered data). The array functions are in ``estimators/_panel_moments.py``. The covariance
is that of beta given lambda (KKP 2007, s. 4; R splm's ``spgm``); lambda has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators._panel_moments import (
    LAMBDA_BOUNDS,
    check_panel_problem,
    kkp_gm_error,
)
from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.results.spatial import SpatialResults


@dataclass(frozen=True)
class KKPOptions:
    """Options of the KKP panel GM estimator.

    Attributes
    ----------
    weighting : {"full", "initial"}
        Random effects: re-estimate with all six moments weighted by the inverse of their
        variance (``"full"``, KKP's weighted GM) or stop after the three unweighted ``Q_0``
        moments (``"initial"``). Fixed effects use the three within moments either way.
    """

    weighting: Literal["full", "initial"] = "full"


@register
class KKPError:
    """KKP (2007) GM estimator of the panel SEM with entity or random effects."""

    name: ClassVar[str] = "kkp"
    options_type: ClassVar[type] = KKPOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        check_panel_problem(
            problem,
            term="error",
            estimator="The KKP estimator",
            model="panel error model (SEM)",
            effects=("entity", "random"),
        )

    def fit(self, problem: FitProblem, options: KKPOptions) -> SpatialResults:
        spec = problem.spec
        effects = getattr(spec, "effects")
        weights = spec.term_weights("error")
        est = kkp_gm_error(
            getattr(spec, "raw_y"),
            getattr(spec, "raw_x"),
            weights.sparse,
            spec.n_units,
            spec.n_periods,
            effects=effects,
            weighting=options.weighting,
        )
        k = est.beta.size
        cov = np.full((k + 1, k + 1), np.nan)
        cov[:k, :k] = est.cov
        detail = (
            f"sigma^2_1 = {est.sigma2_1:.6g}, theta = {est.theta:.6g}"
            if effects == "random"
            else "within moments"
        )
        result = gmm.GMMEstimate(
            coefficients=est.beta,
            lam=est.lam,
            cov=cov,
            sigma2=est.sigma2_v,
            resid=est.residuals,
            innovations=est.residuals,
            description=f"Kapoor-Kelejian-Prucha (2007) GM, {effects} effects, "
            f"{options.weighting} weighting; {detail}",
        )
        return gmm.moment_results(
            problem,
            result,
            interval=LAMBDA_BOUNDS,
            intervals={"lambda": LAMBDA_BOUNDS},
            covariance=cov,
            cov_type="feasible GLS for beta given lambda; none for lambda",
            optimizer=result.description,
            variant=f"kkp-{effects}",
        )
