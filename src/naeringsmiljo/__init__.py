"""naeringsmiljo: spatial econometrics of business milieus and innovation.

Spatial weights that know their unit ids, formula-based spatial regression models (OLS, SLX, SAR,
SEM, SDM, SDEM, SAC, GNS) estimated by exact maximum likelihood, one results class with
inference, and direct/indirect/total impacts.

>>> import naeringsmiljo as nm
>>> data = nm.datasets.columbus()
>>> w = nm.datasets.columbus_weights("anselin").row_standardize()
>>> res = nm.SDM.from_formula("CRIME ~ INC + HOVAL", data, w).fit()
>>> res.impacts().estimates.round(3).loc["INC"].tolist()
[-1.024, -1.477, -2.501]
"""

from naeringsmiljo import datasets, exceptions, measures, microdata, plots, simulate, studies
from naeringsmiljo.inference import covariance, diagnostics, impacts
from naeringsmiljo.inference.impacts import Impacts
from naeringsmiljo.models import (
    GNS,
    MODELS,
    OLS,
    SAC,
    SAR,
    SDEM,
    SDM,
    SEM,
    SLX,
    RegionalLinear,
    RegionalProbit,
    SARPoisson,
    SARProbit,
    SARTobit,
    SEMProbit,
    SpatialModel,
)
from naeringsmiljo.results import PosteriorResults, SpatialResults
from naeringsmiljo.results.storage import load
from naeringsmiljo.sampling import Priors, compare_models
from naeringsmiljo.tables import regression_table
from naeringsmiljo.weights import SpatialWeights

__version__ = "0.1.0"

__all__ = [
    "GNS",
    "MODELS",
    "OLS",
    "RegionalLinear",
    "RegionalProbit",
    "SAC",
    "SAR",
    "SARPoisson",
    "SARProbit",
    "SARTobit",
    "SDEM",
    "SEMProbit",
    "SDM",
    "SEM",
    "SLX",
    "Impacts",
    "PosteriorResults",
    "Priors",
    "SpatialModel",
    "SpatialResults",
    "SpatialWeights",
    "__version__",
    "compare_models",
    "covariance",
    "datasets",
    "diagnostics",
    "exceptions",
    "impacts",
    "load",
    "measures",
    "microdata",
    "plots",
    "regression_table",
    "simulate",
    "studies",
]
