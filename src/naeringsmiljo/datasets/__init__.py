"""Datasets shipped with the package.

Columbus crime (Anselin 1988): 49 neighbourhoods of Columbus, Ohio, 1980, with two contiguity
matrices. Provenance, licence and which published results use which matrix are in
``data/columbus/README.md`` (and :func:`columbus_weights`).

Norway: the 356 municipalities of 2020-2023 with their county, a point inside each, area,
polygons and queen, nearest-neighbour or distance-band weights (Kartverket data, CC BY 4.0; see
``data/norway/README.md``).

US state panels: Munnell's Produc (48 states, 1970-1986) with queen contiguity (splm's
``usaww`` once row-standardised) and Baltagi's cigarette demand (46 states, 1963-1992) with
Elhorst's contiguity matrix, each a long frame indexed by (state, year)
(``data/panels/README.md``).

Simulated milieu economy: actors, ties and outcomes of one seeded draw of
:func:`naeringsmiljo.simulate.simulate_milieu` on those municipalities, with the true parameters
(``data/simulated/README.md``).
"""

from naeringsmiljo.datasets.columbus import columbus, columbus_geometry, columbus_weights
from naeringsmiljo.datasets.norway import norway_municipalities, norway_weights
from naeringsmiljo.datasets.panels import cigar, cigar_weights, produc, produc_weights
from naeringsmiljo.datasets.simulated import SimulatedMilieu, simulated_milieu

__all__ = [
    "SimulatedMilieu",
    "cigar",
    "cigar_weights",
    "columbus",
    "columbus_geometry",
    "columbus_weights",
    "norway_municipalities",
    "norway_weights",
    "produc",
    "produc_weights",
    "simulated_milieu",
]
