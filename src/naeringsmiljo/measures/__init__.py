"""Measures of the business milieu, computed from validated microdata.

Every function takes the frames of :mod:`naeringsmiljo.microdata` and returns a DataFrame:
by region (index ``region``) with one column per statistic, by industry
(:func:`ellison_glaeser`), region by industry (:func:`location_quotients`) or by area
(:func:`triple_helix`). The formulas and the papers they come from are in each docstring.

- co-location: :func:`location_quotients`, :func:`specialisation`, :func:`ellison_glaeser`,
  :func:`density`, :func:`colocation_potential`;
- diversity: :func:`variety`, :func:`actor_diversity`, :func:`triple_helix`;
- collaboration: :func:`collaboration` (and, as weights between regions,
  :func:`naeringsmiljo.weights.collaboration_weights`).
"""

from naeringsmiljo.measures._common import Weighting
from naeringsmiljo.measures.collaboration import collaboration
from naeringsmiljo.measures.colocation import (
    DistanceDecay,
    colocation_potential,
    density,
    ellison_glaeser,
    location_quotients,
    specialisation,
)
from naeringsmiljo.measures.diversity import (
    SIZE_CLASS_EDGES,
    actor_diversity,
    triple_helix,
    variety,
)

__all__ = [
    "SIZE_CLASS_EDGES",
    "DistanceDecay",
    "Weighting",
    "actor_diversity",
    "collaboration",
    "colocation_potential",
    "density",
    "ellison_glaeser",
    "location_quotients",
    "specialisation",
    "triple_helix",
    "variety",
]
