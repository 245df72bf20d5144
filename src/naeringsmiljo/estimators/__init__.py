"""Estimators behind one interface, found by name in :data:`ESTIMATORS`.

Importing the package registers every estimator: least squares (``"ols"``), maximum likelihood
(``"ml"``), spatial 2SLS (``"s2sls"``), the GM error estimators (``"gm_error"``) and GS2SLS
(``"gs2sls"``) and the Gibbs sampler of the Gaussian models (``"bayes"``); ``"gmm"`` chooses the moment estimator that fits the model's terms.
"""

from naeringsmiljo.estimators import bayes, gm_error, gs2sls, least_squares, ml, s2sls
from naeringsmiljo.estimators.base import (
    ALIASES,
    ESTIMATORS,
    Estimator,
    FitProblem,
    parse_options,
    register,
    resolve,
)

__all__ = [
    "ALIASES",
    "ESTIMATORS",
    "Estimator",
    "FitProblem",
    "bayes",
    "gm_error",
    "gs2sls",
    "least_squares",
    "ml",
    "parse_options",
    "register",
    "resolve",
    "s2sls",
]
