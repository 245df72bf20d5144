"""Spatial two-stage least squares of the panel lag model (SAR) with entity or no effects.

Instruments ``[QX, (I_T ⊗ W) QX, (I_T ⊗ W^2) QX]`` for ``(I_T ⊗ W) Q y`` on the within (or
pooled) data (Kelejian & Prucha 1998; Mutl & Pfaffermayr 2011, s. 3); the array function is in
``estimators/_panel_moments.py``. Covariance ``s^2 (Z'P_H Z)^{-1}`` with the degrees of freedom
the entity means leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from naeringsmiljo.estimators import _moments as gmm
from naeringsmiljo.estimators._panel_moments import check_panel_problem, panel_s2sls
from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.results.spatial import SpatialResults


@dataclass(frozen=True)
class PanelS2SLSOptions:
    """Panel spatial 2SLS has no options (instruments up to the second lag of X)."""


@register
class PanelS2SLSEstimator:
    """Spatial 2SLS of ``y = rho (I_T ⊗ W) y + X beta (+ mu) + e`` on a panel design."""

    name: ClassVar[str] = "panel_s2sls"
    options_type: ClassVar[type] = PanelS2SLSOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        check_panel_problem(
            problem,
            term="lag",
            estimator="Panel spatial 2SLS",
            model="panel lag model (SAR)",
            effects=("entity", "none"),
        )

    def fit(self, problem: FitProblem, options: PanelS2SLSOptions) -> SpatialResults:
        spec = problem.spec
        effects = getattr(spec, "effects")
        fit = panel_s2sls(
            getattr(spec, "raw_y"),
            getattr(spec, "raw_x"),
            spec.term_weights("y").sparse,
            spec.n_units,
            spec.n_periods,
            effects=effects,
        )
        # The array function orders (rho, beta); the results protocol wants rho last.
        order = np.r_[1 : fit.params.size, 0]
        result = gmm.GMMEstimate(
            coefficients=fit.params[order],
            lam=None,
            cov=fit.cov[np.ix_(order, order)],
            sigma2=fit.sigma2,
            resid=fit.residuals,
            innovations=fit.residuals,
            description=f"panel spatial 2SLS, {effects} effects, instruments [QX, WQX, W^2QX]",
        )
        return gmm.moment_results(
            problem,
            result,
            interval=(-1.0, 1.0),
            intervals={"rho": (-1.0, 1.0)},
            covariance=result.cov,
            cov_type="homoskedastic 2SLS, s^2 = SSR / ("
            + ("N(T - 1)" if effects == "entity" else "NT")
            + " - k - 1)",
            optimizer=result.description,
        )
