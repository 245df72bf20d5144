"""Models: a base class that builds the design and hands ``fit`` to an estimator, and the
catalogue of models, each a few declarative lines."""

from naeringsmiljo.models.base import SpatialModel
from naeringsmiljo.models.catalogue import GNS, MODELS, OLS, SAC, SAR, SDEM, SDM, SEM, SLX

__all__ = ["GNS", "MODELS", "OLS", "SAC", "SAR", "SDEM", "SDM", "SEM", "SLX", "SpatialModel"]
