"""Spatial weights: the :class:`SpatialWeights` object, builders, and log-determinants."""

from naeringsmiljo.weights.builders import (
    collaboration_weights,
    contiguity,
    distance_band,
    inverse_distance,
    knn,
)
from naeringsmiljo.weights.spatial_weights import SpatialWeights

__all__ = [
    "SpatialWeights",
    "collaboration_weights",
    "contiguity",
    "distance_band",
    "inverse_distance",
    "knn",
]
