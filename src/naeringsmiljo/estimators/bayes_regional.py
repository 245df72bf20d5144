"""Bayesian models of actors nested in regions (Smith & LeSage 2004; LeSage's ``semip_g``).

The sampler is :func:`naeringsmiljo.sampling.regional.sample_regional`; this module takes a
:class:`~naeringsmiljo.design.regional.RegionalDesign`, runs the chains with the options of
every sampler (:class:`~naeringsmiljo.sampling.BayesOptions`) and builds
:class:`~naeringsmiljo.results.latent.RegionalPosteriorResults`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo.design.regional import RegionalDesign
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.latent import RegionalPosteriorResults
from naeringsmiljo.sampling import BayesOptions
from naeringsmiljo.sampling.regional import sample_regional
from naeringsmiljo.weights.logdet.grid import logdet_grid


def fit_regional(
    name: str, spec: RegionalDesign, family: str, options: BayesOptions
) -> RegionalPosteriorResults:
    """Sample the posterior of the firms-in-regions model ``name`` on ``spec``."""
    if options.heteroskedastic:
        raise SpecificationError(f"{name}: the heteroskedastic variant is not available here.")
    settings = options.settings()
    priors = options.resolved_priors()
    beta_prior = priors.beta_prior(list(spec.exog_names))
    grid = logdet_grid(spec.weights, options.logdet, points=options.grid)
    binary = family == "binary"
    chains = [
        sample_regional(
            spec.y,
            spec.x,
            spec.region,
            spec.weights.sparse,
            grid.rho,
            grid.values + priors.spatial_log_density(grid.rho, grid.interval),
            priors,
            beta_prior,
            binary=binary,
            draws=settings.draws,
            burn=settings.burn,
            thin=settings.thin,
            rng=np.random.default_rng(stream),
        )
        for stream in settings.chain_streams()
    ]
    columns: dict[str, Any] = {}
    for j, column in enumerate(spec.exog_names):
        columns[column] = np.concatenate([c.beta[:, j] for c in chains])
    columns["rho"] = np.concatenate([c.rho for c in chains])
    columns["sigma2_theta"] = np.concatenate([c.sigma2_theta for c in chains])
    if not binary:
        columns["sigma2"] = np.concatenate([c.sigma2 for c in chains])
    index = pd.MultiIndex.from_product(
        [range(settings.chains), range(settings.kept)], names=["chain", "draw"]
    )
    record = FitRecord(
        method="bayes",
        logdet=grid.method,
        logdet_error=grid.error,
        interval=grid.interval,
        intervals={"rho": grid.interval},
        optimizer=(
            "Gibbs sampler of actors in regions (Smith & LeSage 2004): "
            + ("truncated normal latent outcomes, " if binary else "")
            + f"regional effects by a sparse solve with their precision, rho by griddy Gibbs on "
            f"{grid.rho.size} points"
        ),
        converged=True,
        message="posterior sample",
    )
    results = RegionalPosteriorResults(
        model=name,
        sample=pd.DataFrame(columns, index=index),
        spec=spec,  # type: ignore[arg-type]
        record=record,
        priors=priors,
        settings=settings,
        family=family,
        rhat_threshold=options.rhat_threshold,
        notes=(
            f"{spec.nobs} actors in {spec.weights.n} regions; regional effects "
            "theta = rho W theta + u, u ~ N(0, sigma2_theta I)",
        ),
        auxiliary=() if binary else ("sigma2",),
        regional_effects=pd.Series(
            np.mean([c.theta_mean for c in chains], axis=0), index=spec.weights.ids, name="theta"
        ),
        outcome="probit" if binary else "linear",
    )
    unmixed = results.unmixed
    if unmixed:
        message = f"R-hat above {options.rhat_threshold}: {', '.join(unmixed)}"
        results = replace(results, record=replace(record, converged=False, message=message))
        results.warn_if_unmixed()
    return results
