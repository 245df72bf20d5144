"""Bayesian spatial probit, Tobit and Poisson: the latent-variable sampler behind ``method="bayes"``.

Fits the models of the ``binary``, ``censored`` and ``count`` families (:class:`SARProbit`,
:class:`SEMProbit`, :class:`SARTobit`, :class:`SARPoisson`) by :func:`naeringsmiljo.sampling.latent.sample_latent`
(LeSage & Pace 2009, ch. 10; LeSage, Pace, Lam, Campanella & Liu 2011): the latent outcome drawn
from its truncated multivariate normal through the sparse precision matrix, the spatial
parameter on the grid of log-determinants cached with the weights, beta and (Tobit) sigma^2
from their conjugate conditionals. The options are those of every sampler
(:class:`~naeringsmiljo.sampling.BayesOptions`) and ``sweeps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.latent import LatentPosteriorResults
from naeringsmiljo.sampling import BayesOptions
from naeringsmiljo.sampling.latent import LatentKind, latent_setup, sample_latent
from naeringsmiljo.sampling.options import (
    checked_mixing,
    coefficient_columns,
    posterior_frame,
)
from naeringsmiljo.weights.logdet.grid import logdet_grid


@dataclass(frozen=True)
class LatentBayesOptions(BayesOptions):
    """The options of every sampler (:class:`~naeringsmiljo.sampling.BayesOptions`) and

    sweeps : int
        Gibbs passes over the latent vector per iteration (LeSage's ``m``; one suffices when
        each pass starts from the previous draw, LeSage & Pace 2009, s. 10.1.5; R spatialprobit
        defaults to 10 from a fresh start).
    """

    sweeps: int = 1


@register
class LatentBayes:
    """Gibbs sampler of the probit and Tobit spatial models (``fit(method="bayes")``)."""

    name: ClassVar[str] = "bayes"
    options_type: ClassVar[type] = LatentBayesOptions
    families: ClassVar[tuple[str, ...]] = ("binary", "censored", "count")

    def check(self, problem: FitProblem) -> None:
        if len(problem.spatial_params) != 1 or problem.spec.terms.combined is not None:
            raise SpecificationError(
                f"{problem.name}: the latent sampler fits one spatial term (the lag of y or "
                "the error) with one weights matrix."
            )
        if problem.spec.endog:
            raise SpecificationError("The latent sampler takes no endogenous regressors.")

    def fit(self, problem: FitProblem, options: LatentBayesOptions) -> LatentPosteriorResults:
        if options.heteroskedastic:
            raise SpecificationError(
                f"{problem.name}: the heteroskedastic variant is for the Gaussian models; the "
                "probit's scale is fixed at 1."
            )
        if int(options.sweeps) != options.sweeps or options.sweeps < 1:
            raise SpecificationError(f"sweeps is an integer >= 1, got {options.sweeps!r}.")
        spec = problem.spec
        settings = options.settings()
        priors = options.resolved_priors()
        beta_prior = priors.beta_prior(list(spec.exog_names))
        spatial = problem.spatial_params[0]
        kind: LatentKind = "lag" if spatial == "rho" else "error"
        weights = spec.term_weights("y" if kind == "lag" else "error")
        grid = logdet_grid(weights, options.logdet, points=options.grid)
        y = np.asarray(spec.y, dtype=float)
        binary = problem.family == "binary"
        count = problem.family == "count"
        if binary:
            lower, upper = np.where(y > 0, 0.0, -np.inf), np.where(y > 0, np.inf, 0.0)
        elif count:
            lower, upper = np.full(y.size, -np.inf), np.full(y.size, np.inf)
        else:
            lower, upper = np.where(y > 0, y, -np.inf), np.where(y > 0, y, 0.0)
        setup = latent_setup(
            kind,
            np.asarray(spec.x, dtype=float),
            weights.sparse,
            lower,
            upper,
            grid.rho,
            grid.values,
            priors,
            interval=grid.interval,
            fixed_sigma2=1.0 if binary else None,
            counts=y if count else None,
        )
        chains = [
            sample_latent(
                setup,
                priors,
                beta_prior,
                draws=settings.draws,
                burn=settings.burn,
                thin=settings.thin,
                rng=np.random.default_rng(stream),
                sweeps=options.sweeps,
            )
            for stream in settings.chain_streams()
        ]
        columns = coefficient_columns(spec.exog_names, chains)
        columns[spatial] = np.concatenate([c.spatial for c in chains])
        if not binary:
            columns["sigma2"] = np.concatenate([c.sigma2 for c in chains])
        record = FitRecord(
            method="bayes",
            logdet=grid.method,
            logdet_error=grid.error,
            interval=grid.interval,
            intervals={spatial: grid.interval},
            optimizer=(
                f"latent-variable Gibbs sampler, "
                + ("Metropolis-Hastings" if count else "truncated normal")
                + " z through the sparse "
                f"precision in {len(setup.colours)} coloured blocks ({options.sweeps} "
                f"sweep(s) per iteration), {spatial} by griddy Gibbs on {grid.rho.size} points"
            ),
            converged=True,
            message="posterior sample",
        )
        notes = [
            "probit: sigma^2 = 1 identifies the scale"
            if binary
            else (
                "Poisson: latent log-rates by Metropolis-Hastings with Newton-step proposals"
                if count
                else "Tobit: censored from below at 0, censored latent values drawn"
            ),
        ]
        if kind == "lag":
            notes.append("rho drawn with beta integrated out (LeSage & Pace 2009, s. 5.3.1)")
        results = LatentPosteriorResults(
            model=problem.name,
            sample=posterior_frame(columns, settings),
            spec=spec,
            record=record,
            priors=priors,
            settings=settings,
            family=problem.family,
            rhat_threshold=options.rhat_threshold,
            notes=tuple(notes),
            auxiliary=() if binary else ("sigma2",),
            outcome="probit" if binary else ("poisson" if count else "tobit"),
            kind=kind,
            latent_mean=pd.Series(
                np.mean([c.z_mean for c in chains], axis=0), index=spec.ids, name="z"
            ),
        )
        return checked_mixing(results, options.rhat_threshold)
