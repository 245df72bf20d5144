"""Relational weights: regions linked by the collaborations of their actors.

Geographic weights say which regions are close; relational weights say which regions work
together. Ponds, van Oort & Frenken (2010, *Journal of Economic Geography* 10:231–255) showed
that knowledge spills over between regions along collaboration networks beyond what
geographic proximity explains, and Maggioni, Uberti & Nosvelli (2014, *Annals of Regional
Science*) use such networks as spatial weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import RelationalValue, check_choice
from naeringsmiljo.microdata import MicrodataError, Years, link_ties, tie_distances


def collaboration_matrix(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    value: RelationalValue = "count",
    symmetric: bool = True,
    max_distance: float | None = None,
    regions: Sequence[Hashable] | pd.Index | None = None,
    year: Years | None = None,
) -> tuple[sp.csr_array, pd.Index]:
    """The region-by-region matrix of collaboration ties and its region ids.

    The computation behind :meth:`SpatialWeights.from_collaboration` and
    :func:`naeringsmiljo.weights.collaboration_weights`, which document the options and the
    formulas; kept free of :class:`SpatialWeights` so that the weights class can call it.
    """
    check_choice("value", value, RelationalValue)
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
    return sp.csr_array(matrix), pd.Index(linked.regions)
