"""Results: the protocol every results class satisfies, and the results of frequentist fits."""

from naeringsmiljo.results.base import EstimationResults
from naeringsmiljo.results.spatial import SPATIAL_PARAMETERS, SpatialResults

__all__ = ["SPATIAL_PARAMETERS", "EstimationResults", "SpatialResults"]
