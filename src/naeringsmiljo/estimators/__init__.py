"""Estimators behind one interface, found by name in :data:`ESTIMATORS`.

Importing the package registers every estimator: least squares (``"ols"``), maximum likelihood
(``"ml"``), spatial 2SLS (``"s2sls"``), the GM error estimators (``"gm_error"``) and GS2SLS
(``"gs2sls"``), the Gibbs sampler of the Gaussian models (``"bayes"``) and, under the same
name for binary and censored outcomes, the latent-variable sampler of the probit and Tobit
models; ``"gmm"`` chooses the moment estimator that fits the model's terms.
"""

from naeringsmiljo.estimators import (
    bayes,
    bayes_latent,
    bayes_regional,
    gm_error,
    gs2sls,
    kkp,
    least_squares,
    ml,
    panel_s2sls,
    s2sls,
)
from naeringsmiljo.estimators.base import (
    ALIASES,
    ESTIMATORS,
    FAMILY_ESTIMATORS,
    Estimator,
    FitProblem,
    parse_options,
    register,
    resolve,
)

__all__ = [
    "ALIASES",
    "ESTIMATORS",
    "FAMILY_ESTIMATORS",
    "Estimator",
    "FitProblem",
    "bayes",
    "bayes_latent",
    "bayes_regional",
    "gm_error",
    "gs2sls",
    "kkp",
    "least_squares",
    "ml",
    "panel_s2sls",
    "parse_options",
    "register",
    "resolve",
    "s2sls",
]
