"""Builders of geographic weights, delegating the geometry to ``libpysal.graph.Graph``.

libpysal is the field's maintained implementation of contiguity, nearest-neighbour and distance
graphs; these functions only fix the ids (taken from the frame's index or a named column) and wrap
the result in :class:`SpatialWeights`. The returned weights are untransformed (``"o"``); call
:meth:`SpatialWeights.row_standardize` where the model needs it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import RelationalValue
from naeringsmiljo.exceptions import WeightsError
from naeringsmiljo.microdata import Years
from naeringsmiljo.weights.relational import collaboration_matrix
from naeringsmiljo.weights.spatial_weights import SpatialWeights, check_ids

if TYPE_CHECKING:
    import geopandas


def _indexed(frame: Any, id_column: str | None) -> Any:
    """The frame indexed by its unit ids, which must be unique."""
    if id_column is not None:
        if id_column not in frame.columns:
            raise WeightsError(f"The frame has no id column {id_column!r}.")
        frame = frame.set_index(id_column)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:10].tolist()
        raise WeightsError(f"Unit ids must be unique; duplicated: {dup}.")
    check_ids(frame.index, "The frame")
    return frame


def _from_graph(graph: Any, ids: pd.Index, *, positional: bool = False) -> SpatialWeights:
    """Wrap a Graph; ``positional`` when it was built from an array whose row i is ``ids[i]``."""
    weights = SpatialWeights.from_libpysal(graph)
    if positional:
        weights = weights.reorder(pd.RangeIndex(len(ids)))
        return SpatialWeights(weights.sparse, ids, weights.transform)
    return weights.reorder(ids)


def contiguity(
    frame: geopandas.GeoDataFrame, *, rook: bool = False, id_column: str | None = None
) -> SpatialWeights:
    """Queen (shared vertex) or rook (shared edge) contiguity of polygons.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons, one per unit; ids are the index or ``id_column``.
    rook : bool, default False
        Rook contiguity instead of queen.
    id_column : str, optional
        Column with the unit ids (default: the index).
    """
    from libpysal.graph import Graph

    frame = _indexed(frame, id_column)
    graph = Graph.build_contiguity(frame.geometry.set_axis(frame.index), rook=rook)
    return _from_graph(graph, frame.index)


def _points(frame: Any) -> tuple[Any, bool]:
    """Input for libpysal's point-based builders, and whether its ids are positions.

    A GeoDataFrame gives its points (a representative point inside each polygon), indexed by the
    unit ids; any other frame is read as coordinate columns, which libpysal numbers 0..n-1.
    """
    geometry = getattr(frame, "geometry", None)
    if geometry is not None:
        if not (geometry.geom_type == "Point").all():
            geometry = geometry.representative_point()
        return geometry.set_axis(frame.index), False
    return np.asarray(frame, dtype=np.float64), True


def knn(frame: Any, k: int, *, id_column: str | None = None) -> SpatialWeights:
    """The ``k`` nearest neighbours of each unit (an asymmetric binary matrix).

    ``frame`` is a GeoDataFrame (points, or polygons represented by a point inside each) or a frame
    whose two columns are coordinates.

    Notes
    -----
    The neighbours are those of libpysal's ``Graph.build_knn(points, k=k)``, link for link.
    Ties at the ``k``-th neighbour (several units at exactly the ``k``-th smallest distance,
    as on a regular grid) are broken as libpysal breaks them: by the order in which the
    KD-tree query returns equidistant points (scikit-learn's ``KDTree``, or SciPy's when
    scikit-learn is not installed), not by id or by row. That order depends on the tree, so
    the legacy ``libpysal.weights.KNN`` (SciPy's tree) may pick other units among the tied
    ones; the distances to the ``k`` neighbours are the same. Where the choice matters, break
    the ties in the data (or use :func:`distance_band`, which keeps every unit at a distance).
    Coincident points (two units at the same place, where no order of neighbours exists)
    raise :class:`~naeringsmiljo.exceptions.WeightsError` naming them.
    """
    from libpysal.graph import Graph

    if k < 1:
        raise WeightsError(f"k must be at least 1, got {k}.")
    frame = _indexed(frame, id_column)
    if k >= len(frame):
        raise WeightsError(f"k = {k} needs more than {len(frame)} units.")
    points, positional = _points(frame)
    xy = np.asarray(points) if positional else np.column_stack([points.x, points.y])
    coincident = pd.DataFrame(xy).duplicated(keep=False).to_numpy()
    if coincident.any():
        raise WeightsError(
            f"Units at the same place have no order of nearest neighbours: ids "
            f"{frame.index[coincident][:10].tolist()} share coordinates. Move them apart "
            "(jitter), merge them, or use distance_band."
        )
    return _from_graph(Graph.build_knn(points, k=k), frame.index, positional=positional)


def distance_band(frame: Any, threshold: float, *, id_column: str | None = None) -> SpatialWeights:
    """Binary weights linking units closer than ``threshold`` (in the frame's CRS units)."""
    return _distance(frame, threshold, binary=True, alpha=-1.0, id_column=id_column)


def inverse_distance(
    frame: Any, threshold: float, *, alpha: float = -1.0, id_column: str | None = None
) -> SpatialWeights:
    """Weights ``d_ij ** alpha`` for units closer than ``threshold`` (``alpha < 0``)."""
    if alpha >= 0:
        raise WeightsError(f"alpha must be negative for distance decay, got {alpha}.")
    return _distance(frame, threshold, binary=False, alpha=alpha, id_column=id_column)


def _distance(
    frame: Any, threshold: float, *, binary: bool, alpha: float, id_column: str | None
) -> SpatialWeights:
    from libpysal.graph import Graph

    if not threshold > 0:
        raise WeightsError(f"The distance threshold must be positive, got {threshold}.")
    frame = _indexed(frame, id_column)
    points, positional = _points(frame)
    graph = Graph.build_distance_band(points, threshold, binary=binary, alpha=alpha)
    return _from_graph(graph, frame.index, positional=positional)


def collaboration_weights(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    value: RelationalValue = "count",
    symmetric: bool = True,
    max_distance: float | None = None,
    regions: Sequence[Hashable] | pd.Index | None = None,
    year: Years | None = None,
) -> SpatialWeights:
    """Region-by-region weights from the collaboration ties between their actors.

    With :math:`A_{ab}` the number of ties (rows of ``ties``) whose ``actor_a`` lies in region
    :math:`a` and ``actor_b`` in region :math:`b \\ne a`,

    .. math::

        w_{ab} = A_{ab} + A_{ba} \\;\\text{(count, symmetric)}, \\qquad
        w_{ab} = \\frac{A_{ab} + A_{ba}}{n_a\\, n_b} \\;\\text{(intensity, symmetric)},

    and without symmetry :math:`A_{ab}` or :math:`A_{ab} / (n_a n_b)`, directed from the region
    of ``actor_a`` to that of ``actor_b``. :math:`n_a` is the number of actors in region
    :math:`a`, so the intensity is the number of ties per possible pair of actors of the two
    regions: the density of the block of the collaboration network between them, the
    counterpart of the within-region ``density`` of :func:`naeringsmiljo.measures.collaboration`.
    It removes the mechanical effect of region size, which dividing by the sum
    :math:`n_a + n_b` would not (the count of possible pairs grows with the product).

    The diagonal is zero: ties within a region belong to its local measures.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Validated frames (:mod:`naeringsmiljo.microdata`).
    value : {"count", "intensity"}, default "count"
        Number of ties, or ties per possible actor pair (see above).
    symmetric : bool, default True
        ``A + A'`` (undirected collaboration) or the directed ``A``.
    max_distance : float, optional
        Keep only the ties whose two actors are at most this many metres apart (needs ``x``,
        ``y``), e.g. to separate regional from long-distance collaboration.
    regions : sequence, optional
        Region ids fixing the units of the weights and their order; regions without ties (or
        without actors) become islands. Every actor's region must be among them. By default
        the sorted regions of the actors.
    year : int or (int, int), optional
        Use only the ties active in this year or in this inclusive range of years.

    Returns
    -------
    SpatialWeights
        Untransformed (``"o"``) weights with the region ids; row-standardise them for a
        spatial-lag model.

    Examples
    --------
    >>> import pandas as pd
    >>> actors = pd.DataFrame({"actor_id": [1, 2, 3], "region": ["A", "A", "B"],
    ...                        "actor_type": "firm", "industry": "62", "size": 1.0})
    >>> ties = pd.DataFrame({"actor_a": [1, 2, 1], "actor_b": [3, 3, 2], "year": 2020,
    ...                      "formal": True})
    >>> collaboration_weights(actors, ties, value="intensity").sparse.toarray()
    array([[0., 1.],
           [1., 0.]])
    """
    matrix, ids = collaboration_matrix(
        actors,
        ties,
        value=value,
        symmetric=symmetric,
        max_distance=max_distance,
        regions=regions,
        year=year,
    )
    return SpatialWeights.from_sparse(matrix, ids=ids)
