"""Bayesian estimation of the Gaussian spatial models by Gibbs sampling (``method="bayes"``).

SAR, SDM, SEM, SDEM and SAC (and SLX/OLS, whose posterior needs no grid) with conjugate
normal-inverse-gamma blocks and griddy-Gibbs draws of rho and lambda on their log-determinant
grids (LeSage & Pace 2009, ch. 5; LeSage 1997 for the heteroskedastic variant; R
``spatialreg::spBreg_lag/err/sac``). The sampler is :func:`naeringsmiljo.sampling.gibbs_chain`;
this module asks the design for its arrays and lags, runs the chains and builds
:class:`~naeringsmiljo.results.posterior.PosteriorResults`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from naeringsmiljo.estimators.base import FitProblem, refuse_combined_weights, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.posterior import PosteriorResults
from naeringsmiljo.likelihood.channels import CombinedLogDet
from naeringsmiljo.sampling import BayesOptions, SpatialRegressionProblem, gibbs_chain
from naeringsmiljo.sampling.options import (
    checked_mixing,
    coefficient_columns,
    posterior_frame,
)
from naeringsmiljo.sampling.convex import CONVEX_INTERVAL, convex_lag_chain
from naeringsmiljo.weights.logdet.grid import logdet_grid


@register
class BayesianGibbs:
    """Gibbs sampler of the Gaussian spatial models (LeSage & Pace 2009, ch. 5)."""

    name: ClassVar[str] = "bayes"
    options_type: ClassVar[type] = BayesOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        if problem.spec.endog:
            raise SpecificationError("Endogenous regressors have no Bayesian estimator here.")
        combined = problem.spec.terms.combined
        if combined is not None and not (
            combined.kind == "y"
            and combined.combine == "convex"
            and problem.spec.terms.error is None
            and problem.spec.terms.durbin is None
        ):
            refuse_combined_weights(problem)
        if problem.spec.n_periods != 1 and problem.spec.logdet_multiplicity != problem.spec.n_periods:
            raise SpecificationError("The sampler needs one log-determinant per period.")

    def fit(self, problem: FitProblem, options: BayesOptions) -> PosteriorResults:
        spec = problem.spec
        settings = options.settings()
        priors = options.resolved_priors()
        beta_prior = priors.beta_prior(list(spec.exog_names))
        if spec.terms.combined is not None:
            return _fit_convex(problem, options)
        params = problem.spatial_params
        lag, error = "rho" in params, "lambda" in params
        grids = {}
        intervals = {}
        for parameter, kind in (("rho", "y"), ("lambda", "error")):
            if parameter in params:
                weights = spec.term_weights(kind)  # type: ignore[arg-type]
                grids[parameter] = logdet_grid(weights, options.logdet, points=options.grid)
                intervals[parameter] = grids[parameter].interval
        arrays = SpatialRegressionProblem(
            y=np.asarray(spec.y, dtype=float),
            x=np.asarray(spec.x, dtype=float),
            lag_y=spec.lag_operator("y") if lag else None,
            lag_error=spec.lag_operator("error") if error else None,
            grid_y=grids.get("rho"),
            grid_error=grids.get("lambda"),
            multiplicity=spec.logdet_multiplicity,
        )
        chains = [
            gibbs_chain(
                arrays,
                priors,
                beta_prior,
                draws=settings.draws,
                burn=settings.burn,
                thin=settings.thin,
                heteroskedastic=options.heteroskedastic,
                rng=np.random.default_rng(stream),
            )
            for stream in settings.chain_streams()
        ]
        columns = coefficient_columns(spec.exog_names, chains)
        if lag:
            columns["rho"] = np.concatenate([c.rho for c in chains])
        if error:
            columns["lambda"] = np.concatenate([c.lam for c in chains])
        columns["sigma2"] = np.concatenate([c.sigma2 for c in chains])
        sample = posterior_frame(columns, settings)
        unit_variances = None
        if options.heteroskedastic:
            v = np.mean([c.v_mean for c in chains if c.v_mean is not None], axis=0)
            unit_variances = pd.Series(v, index=spec.ids, name="v")
        grid_list = list(grids.values())
        draws_of = " and ".join(
            f"{p} by griddy Gibbs on {g.rho.size} points" for p, g in grids.items()
        )
        optimizer = "Gibbs sampler, conjugate normal-inverse-gamma blocks" + (
            f", {draws_of}" if draws_of else ""
        ) + (", unit variances (LeSage 1997)" if options.heteroskedastic else "")
        record = FitRecord(
            method="bayes",
            logdet=grid_list[0].method if grid_list else None,
            logdet_error=max(
                (
                    g.error_between(float(columns[p].min()), float(columns[p].max()))
                    for p, g in grids.items()
                ),
                default=0.0,
            ),
            interval=grid_list[0].interval if grid_list else None,
            intervals=intervals,
            optimizer=optimizer,
            converged=True,
            message="posterior sample",
        )
        notes = []
        if lag:
            notes.append("rho drawn with beta integrated out (LeSage & Pace 2009, s. 5.3.1)")
        results = PosteriorResults(
            model=problem.name,
            sample=sample,
            spec=spec,
            record=record,
            priors=priors,
            settings=settings,
            family=problem.family,
            rhat_threshold=options.rhat_threshold,
            unit_variances=unit_variances,
            notes=tuple(notes),
        )
        return checked_mixing(results, options.rhat_threshold)


def _fit_convex(problem: FitProblem, options: BayesOptions) -> PosteriorResults:
    """SAR with a convex combination of matrices in the lag of y (``sampling/convex.py``)."""
    spec = problem.spec
    term = spec.terms.combined
    assert term is not None
    settings = options.settings()
    priors = options.resolved_priors()
    beta_prior = priors.beta_prior(list(spec.exog_names))
    if options.heteroskedastic:
        raise SpecificationError(
            "The heteroskedastic variant is not available for a combination of matrices."
        )
    y = np.asarray(spec.y, dtype=float)
    x = np.asarray(spec.x, dtype=float)
    matrices = [w for _, w in term.channels]
    lags = [w.lag(y) for w in matrices]
    logdet = CombinedLogDet([w.sparse for w in matrices])
    chains = [
        convex_lag_chain(
            y, x, lags, logdet, priors, beta_prior,
            draws=settings.draws, burn=settings.burn, thin=settings.thin,
            rng=np.random.default_rng(stream),
        )
        for stream in settings.chain_streams()
    ]
    columns = coefficient_columns(spec.exog_names, chains)
    columns["rho"] = np.concatenate([c.rho for c in chains])
    for j, name in enumerate(term.channel_names):
        columns[f"gamma_{name}"] = np.concatenate([c.gamma[:, j] for c in chains])
    columns["sigma2"] = np.concatenate([c.sigma2 for c in chains])
    acceptance = float(np.mean([c.acceptance for c in chains]))
    intervals = {"rho": CONVEX_INTERVAL, **{f"gamma_{c}": (0.0, 1.0) for c in term.channel_names}}
    record = FitRecord(
        method="bayes",
        logdet="exact sparse LU of I - rho sum_m gamma_m W_m",
        interval=CONVEX_INTERVAL,
        intervals=intervals,
        optimizer="Gibbs sampler with a random-walk Metropolis-Hastings step for (rho, gamma), "
        f"beta integrated out; acceptance rate {acceptance:.2f}",
        converged=True,
        message="posterior sample",
    )
    results = PosteriorResults(
        model=problem.name,
        sample=posterior_frame(columns, settings),
        spec=spec,
        record=record,
        priors=priors,
        settings=settings,
        family=problem.family,
        rhat_threshold=options.rhat_threshold,
        notes=("gamma uniform on the simplex; rho on (-1, 1) (Debarsy & LeSage 2018)",),
    )
    return checked_mixing(results, options.rhat_threshold)
