"""Relational weights: regions linked by the collaborations of their actors.

Geographic weights say which regions are close; relational weights say which regions work
together. Ponds, van Oort & Frenken (2010, *Journal of Economic Geography* 10:231–255) showed
that knowledge spills over between regions along collaboration networks beyond what
geographic proximity explains, and Maggioni, Uberti & Nosvelli (2014, *Annals of Regional
Science*) use such networks as spatial weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import RelationalValue
from naeringsmiljo.microdata import MicrodataError, Years, link_ties, tie_distances

if TYPE_CHECKING:
    from naeringsmiljo.weights.spatial_weights import SpatialWeights


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
    from naeringsmiljo.weights.spatial_weights import SpatialWeights

    if value not in ("count", "intensity"):
        raise MicrodataError(f"value must be 'count' or 'intensity', got {value!r}.")
    if max_distance is not None and not (np.isfinite(max_distance) and max_distance > 0):
        raise MicrodataError(
            f"max_distance must be a positive number of metres, got {max_distance!r}."
        )
    linked = link_ties(actors, ties, year=year, regions=regions)
    keep = ~linked.local
    if max_distance is not None:
        distance = tie_distances(actors, linked, "collaboration_weights with max_distance")
        keep &= distance <= max_distance
    n = linked.n_regions
    matrix = sp.coo_array(
        (np.ones(int(keep.sum())), (linked.region_a[keep], linked.region_b[keep])), shape=(n, n)
    ).tocsr()
    if symmetric:
        matrix = matrix + matrix.T
    if value == "intensity":
        n_actors = np.bincount(linked.actor_region, minlength=n).astype(np.float64)
        inverse = np.divide(1.0, n_actors, out=np.zeros(n), where=n_actors > 0)
        matrix = sp.diags_array(inverse) @ matrix @ sp.diags_array(inverse)
    return SpatialWeights.from_sparse(sp.csr_array(matrix), ids=linked.regions)
