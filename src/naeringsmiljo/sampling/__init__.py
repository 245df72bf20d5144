"""Shared building blocks of the Bayesian estimators: priors and sampler settings, the draws of
the conjugate blocks and of a spatial parameter on its log-determinant grid, the Gibbs sampler
of the Gaussian spatial regressions and their log-marginal likelihoods.

Estimators import from here (never from one another); see ``docs/bayes.md``.
"""

from naeringsmiljo.sampling.blocks import (
    StackedRegression,
    griddy_draw,
    inverse_gamma_draw,
    normal_coefficients_draw,
    stacked_regression,
    trapezoid_log_integral,
    unit_variance_draw,
)
from naeringsmiljo.sampling.gaussian import ChainDraws, SpatialRegressionProblem, gibbs_chain
from naeringsmiljo.sampling.marginal import compare_models, log_marginal_likelihood
from naeringsmiljo.sampling.options import BayesOptions
from naeringsmiljo.sampling.priors import (
    RHAT_THRESHOLD,
    BetaPrior,
    Priors,
    SamplerSettings,
)

__all__ = [
    "RHAT_THRESHOLD",
    "BayesOptions",
    "BetaPrior",
    "ChainDraws",
    "Priors",
    "SamplerSettings",
    "SpatialRegressionProblem",
    "StackedRegression",
    "compare_models",
    "gibbs_chain",
    "griddy_draw",
    "inverse_gamma_draw",
    "log_marginal_likelihood",
    "normal_coefficients_draw",
    "stacked_regression",
    "trapezoid_log_integral",
    "unit_variance_draw",
]
