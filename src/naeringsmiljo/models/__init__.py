"""Models: a base class that builds the design and hands ``fit`` to an estimator, and the
catalogue of models, each a few declarative lines."""

from naeringsmiljo.models.base import SpatialModel
from naeringsmiljo.models.regional import RegionalLinear, RegionalModel, RegionalProbit
from naeringsmiljo.models.catalogue import (
    GNS,
    LATENT_MODELS,
    MODELS,
    OLS,
    SAC,
    SAR,
    SDEM,
    SDM,
    SEM,
    SLX,
    SARPoisson,
    SARProbit,
    SARTobit,
    SEMProbit,
)

__all__ = [
    "GNS",
    "LATENT_MODELS",
    "MODELS",
    "OLS",
    "RegionalLinear",
    "RegionalModel",
    "RegionalProbit",
    "SAC",
    "SAR",
    "SARPoisson",
    "SARProbit",
    "SARTobit",
    "SDEM",
    "SDM",
    "SEM",
    "SEMProbit",
    "SLX",
    "SpatialModel",
]
