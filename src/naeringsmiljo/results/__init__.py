"""Results: the protocol every results class satisfies, the results of frequentist fits and
those of the samplers."""

from naeringsmiljo.results.base import EstimationResults
from naeringsmiljo.results.posterior import PosteriorResults
from naeringsmiljo.results.spatial import SPATIAL_PARAMETERS, SpatialResults

__all__ = ["SPATIAL_PARAMETERS", "EstimationResults", "PosteriorResults", "SpatialResults"]
