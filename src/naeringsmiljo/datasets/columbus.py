"""Loaders of the Columbus crime data (Anselin 1988, Table 12.1)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from naeringsmiljo._options import ColumbusWeights, check_choice
from naeringsmiljo.datasets._files import data_dir
from naeringsmiljo.weights.spatial_weights import SpatialWeights

if TYPE_CHECKING:
    import geopandas


def _data_dir() -> Path:
    """The folder with the Columbus files: inside an installed wheel, or the repository's data/."""
    return data_dir("columbus", "columbus.csv", "Columbus")


def columbus() -> pd.DataFrame:
    """Attributes of the 49 Columbus neighbourhoods, indexed by ``POLYID`` (1..49).

    Columns include ``CRIME`` (residential burglaries and vehicle thefts per 1,000 households),
    ``INC`` (household income, $1,000), ``HOVAL`` (housing value, $1,000), the centroid ``X``,
    ``Y`` and the dummies ``NSA``, ``NSB``, ``EW``, ``CP`` (Anselin 1988, Table 12.1). The values
    are those of the copy in the libpysal wheel (BSD-3-Clause), equal to R spdep's ``COL.OLD``.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> datasets.columbus().shape
    (49, 15)
    """
    frame = pd.read_csv(_data_dir() / "columbus.csv", index_col="POLYID")
    return frame


def columbus_geometry() -> geopandas.GeoDataFrame:
    """Polygons of the 49 neighbourhoods (projected, arbitrary units), indexed by ``POLYID``."""
    import geopandas

    shapes = geopandas.read_file(_data_dir() / "columbus.geojson")
    return shapes.set_index("POLYID").join(columbus())


def columbus_weights(kind: ColumbusWeights = "anselin") -> SpatialWeights:
    """Binary contiguity of the Columbus neighbourhoods (ids = POLYID); row-standardise to fit.

    Parameters
    ----------
    kind : {"anselin", "queen"}
        ``"anselin"``: the contiguity matrix of Anselin (1988), R spdep's ``COL.nb``, 232 links.
        It is behind the published ML results (Anselin 1988; Elhorst 2014 Tables 2.2-2.3; R
        spatialreg's documentation). ``"queen"``: queen contiguity of the polygons, libpysal's
        ``columbus.gal`` and GeoDa's, 236 links; behind spreg's documentation and tests. The two
        differ by the pairs 31-39, 9-25 and 26-29 (queen only) and 12-18 (Anselin only).
    """
    check_choice("kind", kind, ColumbusWeights)
    edges = pd.read_csv(_data_dir() / f"columbus_{kind}_edges.csv")
    return SpatialWeights.from_edges(edges, source="source", target="target", ids=range(1, 50))
