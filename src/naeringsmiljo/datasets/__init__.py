"""Datasets shipped with the package.

Columbus crime (Anselin 1988): 49 neighbourhoods of Columbus, Ohio, 1980, with two contiguity
matrices. Provenance, licence and which published results use which matrix are in
``data/columbus/README.md`` (and :func:`columbus_weights`).

Norway: the 356 municipalities of 2020-2023 with their county, a point inside each, area,
polygons and queen, nearest-neighbour or distance-band weights (Kartverket data, CC BY 4.0; see
``data/norway/README.md``).
"""

from naeringsmiljo.datasets.columbus import columbus, columbus_geometry, columbus_weights
from naeringsmiljo.datasets.norway import norway_municipalities, norway_weights

__all__ = [
    "columbus",
    "columbus_geometry",
    "columbus_weights",
    "norway_municipalities",
    "norway_weights",
]
