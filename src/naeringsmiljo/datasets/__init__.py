"""Datasets shipped with the package.

Columbus crime (Anselin 1988): 49 neighbourhoods of Columbus, Ohio, 1980, with two contiguity
matrices. Provenance, licence and which published results use which matrix are in
``data/columbus/README.md`` (and :func:`columbus_weights`).
"""

from naeringsmiljo.datasets.columbus import columbus, columbus_geometry, columbus_weights

__all__ = ["columbus", "columbus_geometry", "columbus_weights"]
