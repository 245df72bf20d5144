"""Diversity of a milieu: related and unrelated variety, actor types, triple-helix synergy.

All entropies are in bits (base-2 logarithms) and use :math:`0 \\log 0 = 0`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from naeringsmiljo.measures._common import (
    Weighting,
    actor_weights,
    combine,
    crosstab,
    divide,
    industry_codes,
    region_frame,
    regions_of,
    require_columns,
    row_entropy,
    row_of_entries,
)
from naeringsmiljo.microdata import (
    ACTOR_TYPES,
    Coded,
    MicrodataError,
    describe_rows,
    encode,
)

#: Lower edges of the employment size classes of Statistics Norway's business register:
#: 0, 1-4, 5-9, 10-19, 20-49, 50-99, 100-249 and 250 or more employees.
SIZE_CLASS_EDGES: tuple[float, ...] = (0, 1, 5, 10, 20, 50, 100, 250)

RegionGroups: TypeAlias = Mapping[Hashable, Hashable] | pd.Series | Callable[[Hashable], Hashable]
"""A map from region id to a larger area: a dict, a Series indexed by region, or a function."""


def variety(
    actors: pd.DataFrame,
    *,
    group_digits: int = 2,
    level: int | None = None,
    weight: Weighting = "size",
) -> pd.DataFrame:
    """Total entropy, related and unrelated variety of every region's industries.

    Frenken, Van Oort & Verburg (2007, *Regional Studies* 41:685–697). With
    :math:`p_i` the share of fine industry :math:`i` in the region and :math:`P_g` the share of
    the group :math:`g` (its leading ``group_digits`` digits),

    .. math::

        UV = \\sum_g P_g \\log_2 \\frac{1}{P_g}, \\qquad
        RV = \\sum_g P_g H_g, \\quad H_g = \\sum_{i \\in g} \\frac{p_i}{P_g}
             \\log_2 \\frac{P_g}{p_i},

    and the entropy :math:`\\sum_i p_i \\log_2 (1/p_i)` equals :math:`UV + RV`.

    Parameters
    ----------
    actors : pandas.DataFrame
        Validated actors.
    group_digits : int, default 2
        Digits of the NACE code defining the groups of unrelated variety.
    level : int, optional
        Digits defining the fine industries; by default the full code (all its digits).
        Must not be smaller than ``group_digits``.
    weight : {"size", "count"}, default "size"
        Employment or number of actors.

    Returns
    -------
    pandas.DataFrame
        Columns ``entropy``, ``related`` and ``unrelated`` by region (NaN for a region with zero
        total). ``entropy`` is 0 for a one-industry region and :math:`\\log_2 k` for ``k``
        equally large industries.
    """
    require_columns(actors, ("region", "industry", "size"), "variety")
    if level is not None and isinstance(level, (int, np.integer)) and level < group_digits:
        raise MicrodataError(f"level ({level}) must be at least group_digits ({group_digits}).")
    regions = regions_of(actors)
    groups = industry_codes(actors, group_digits)
    fine = industry_codes(actors, level)
    table = crosstab(regions, fine, actor_weights(actors, weight))
    region_total = np.asarray(table.sum(axis=1)).ravel()
    rows = row_of_entries(table)
    share = table.data / region_total[rows]
    group_of_fine = groups.labels.get_indexer(fine.labels.str[:group_digits])
    cell_group = Coded(group_of_fine[table.indices], groups.labels)
    by_group = crosstab(Coded(rows, regions.labels), cell_group, share)
    by_group.sort_indices()
    group_rows = row_of_entries(by_group)
    # P_g of the group of every (region, fine industry) cell, found by its (region, group) key
    # among the sorted keys of the region-by-group table.
    keys = group_rows * groups.n + by_group.indices
    group_share = by_group.data[np.searchsorted(keys, rows * groups.n + cell_group.codes)]
    entropy = np.bincount(rows, -share * np.log2(share), minlength=regions.n)
    related = np.bincount(rows, share * np.log2(group_share / share), minlength=regions.n)
    unrelated = np.bincount(
        group_rows, -by_group.data * np.log2(by_group.data), minlength=regions.n
    )
    empty = region_total <= 0
    return region_frame(
        regions.labels,
        {
            "entropy": np.where(empty, np.nan, entropy),
            "related": np.where(empty, np.nan, related),
            "unrelated": np.where(empty, np.nan, unrelated),
        },
    )


def actor_diversity(actors: pd.DataFrame, *, weight: Weighting = "count") -> pd.DataFrame:
    """Diversity of the kinds of actors in every region.

    .. math:: H_r = -\\sum_t p_{rt} \\log_2 p_{rt}

    over the actor types :math:`t` (firms, knowledge organisations, public bodies and any
    other type in the data), :math:`p_{rt}` the share of type :math:`t` among the region's
    actors. A region of firms only has :math:`H_r = 0`; one with equal numbers of firms,
    knowledge organisations and public bodies has :math:`\\log_2 3`.

    Parameters
    ----------
    actors : pandas.DataFrame
        Validated actors.
    weight : {"count", "size"}, default "count"
        Count actors (default) or weigh them by employment.

    Returns
    -------
    pandas.DataFrame
        By region: ``entropy``, ``n_types`` (types present with positive weight), the shares
        ``share_firm``, ``share_knowledge``, ``share_public`` of the standard types and
        ``share_other`` of all other types.
    """
    require_columns(actors, ("region", "actor_type", "size"), "actor_diversity")
    regions = regions_of(actors)
    types = encode(actors["actor_type"], name="actor_type")
    table = crosstab(regions, types, actor_weights(actors, weight))
    total = np.asarray(table.sum(axis=1)).ravel()
    dense = table.toarray()
    columns: dict[str, np.ndarray] = {
        "entropy": row_entropy(table),
        "n_types": np.diff(table.indptr),
    }
    standard = np.zeros(regions.n)
    for name in ACTOR_TYPES:
        position = types.labels.get_indexer([name])[0]
        amount = dense[:, position] if position >= 0 else np.zeros(regions.n)
        columns[f"share_{name}"] = divide(amount, total)
        standard += amount
    columns["share_other"] = divide(total - standard, total)
    return region_frame(regions.labels, columns)


def _size_classes(actors: pd.DataFrame, edges: Sequence[float] | np.ndarray) -> Coded:
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or edges.size == 0 or np.any(np.diff(edges) <= 0):
        raise MicrodataError(f"size_classes must be increasing lower edges, got {list(edges)}.")
    size = actors["size"].to_numpy(dtype=np.float64)
    below = size < edges[0]
    if below.any():
        rows = actors.index[below]
        raise MicrodataError(
            f"Sizes below the first size class ({edges[0]}) in rows {describe_rows(rows)}.",
            rows=tuple(rows),
        )
    classes = np.searchsorted(edges, size, side="right") - 1
    return Coded(classes.astype(np.int64), pd.Index(edges, name="size_class"))


def _region_groups(actors: pd.DataFrame, region_groups: RegionGroups | None) -> pd.Series:
    if region_groups is None:
        return actors["region"]
    groups = actors["region"].map(region_groups)
    unmapped = groups.isna().to_numpy()
    if unmapped.any():
        rows = actors.index[unmapped]
        absent = pd.unique(actors["region"].to_numpy()[unmapped])
        raise MicrodataError(
            f"region_groups gives no group for the regions {describe_rows(absent, 5)[1:-1]} "
            f"(actor rows {describe_rows(rows)}).",
            rows=tuple(rows),
        )
    return groups


def _dimension(
    actors: pd.DataFrame,
    name: str,
    *,
    region_groups: RegionGroups | None,
    level: int,
    size_classes: Sequence[float],
) -> Coded:
    """The column or derived category that a triple-helix dimension names, as codes."""
    if name == "industry_group":
        return industry_codes(actors, level)
    if name == "size_class":
        return _size_classes(actors, size_classes)
    if name == "region_group":
        values = _region_groups(actors, region_groups)
    elif name in actors.columns:
        values = actors[name]
    else:
        raise MicrodataError(
            f"Unknown dimension {name!r}: use 'region_group', 'industry_group', 'size_class' or "
            f"a column of the actors ({list(actors.columns)})."
        )
    missing = values.isna().to_numpy()
    if missing.any():
        rows = actors.index[missing]
        raise MicrodataError(
            f"Missing values of the dimension {name!r} in rows {describe_rows(rows)}.",
            rows=tuple(rows),
        )
    return encode(values, name=name)


#: Letters of Leydesdorff's notation for the three dimensions, in the order of ``dimensions``.
_LETTERS = ("G", "T", "O")


def triple_helix(
    actors: pd.DataFrame,
    *,
    dimensions: tuple[str, str, str] = ("region_group", "industry_group", "size_class"),
    region_groups: RegionGroups | None = None,
    by: str | None = None,
    level: int = 2,
    size_classes: Sequence[float] = SIZE_CLASS_EDGES,
    weight: Weighting = "count",
) -> pd.DataFrame:
    """Leydesdorff's triple-helix mutual information among three dimensions of the actors.

    With :math:`H` the Shannon entropy (bits) of the actors' distribution over one dimension or
    over the joint categories of several,

    .. math:: T_{GTO} = H_G + H_T + H_O - H_{GT} - H_{GO} - H_{TO} + H_{GTO},

    (Leydesdorff 2003, *Scientometrics* 58:445–467; Leydesdorff & Fritsch 2006, *Research
    Policy* 35:1538–1553). Unlike a two-dimensional mutual information it can be negative, and
    a negative :math:`T` indicates synergy: the three dimensions reduce the uncertainty of the
    configuration. Strand & Leydesdorff (2013, *Technological Forecasting and Social Change*
    80:471–484) measured it for Norwegian firms with geography (municipalities, counties),
    technology (NACE industries) and organisation (size classes), which is the default here.

    Parameters
    ----------
    actors : pandas.DataFrame
        Validated actors.
    dimensions : tuple of three str
        The dimensions G, T and O, in that order. Each is one of

        - ``"region_group"``: the region mapped through ``region_groups`` (or the region
          itself when no grouping is given);
        - ``"industry_group"``: the leading ``level`` digits of the NACE code;
        - ``"size_class"``: the employment class, by the lower edges ``size_classes``;
        - any column of ``actors`` (``"region"``, ``"actor_type"``, ...), used as categories.
    region_groups : dict, Series or callable, optional
        Region id to larger area (for Norway e.g. municipality to county); every region must
        be mapped.
    by : str, optional
        Compute :math:`T` separately within each area: a dimension name as above (typically
        ``"region_group"``, with ``"region"`` as the geographical dimension, as Strand &
        Leydesdorff compute it within counties). It must not be one of ``dimensions``, for
        which :math:`T` would be zero by construction.
    level : int, default 2
        Digits of the NACE code for ``"industry_group"``.
    size_classes : sequence of float
        Increasing lower edges of the size classes for ``"size_class"``; a size belongs to the
        last edge not above it. Defaults to :data:`SIZE_CLASS_EDGES`.
    weight : {"count", "size"}, default "count"
        Count actors (as Leydesdorff counts firms) or weigh them by employment.

    Returns
    -------
    pandas.DataFrame
        One row labelled ``"all"`` (without ``by``) or one row per area, with columns ``T``,
        the entropies ``H_G``, ``H_T``, ``H_O``, ``H_GT``, ``H_GO``, ``H_TO``, ``H_GTO``,
        ``n_actors``, ``share`` (the area's share of the total weight) and ``contribution``
        (``share * T``). The contributions of the areas do not add up to the :math:`T` of the
        whole: the difference is the between-area term of the decomposition that Strand &
        Leydesdorff (2013) apply to Norwegian counties.
    """
    require_columns(actors, ("region", "industry", "size"), "triple_helix")
    if len(dimensions) != 3 or len(set(dimensions)) != 3:
        raise MicrodataError(
            f"dimensions must name three different dimensions, got {dimensions!r}."
        )
    if by is not None and by in dimensions:
        raise MicrodataError(
            f"by={by!r} is one of the dimensions; within each area that dimension is constant "
            "and T is zero. Use a finer geography as a dimension (e.g. 'region')."
        )

    def dimension(name: str) -> Coded:
        return _dimension(
            actors, name, region_groups=region_groups, level=level, size_classes=size_classes
        )

    coded = [dimension(name) for name in dimensions]
    if by is None:
        area = Coded(np.zeros(len(actors), dtype=np.int64), pd.Index(["all"], name="area"))
    else:
        area = dimension(by)
    weights = actor_weights(actors, weight)
    columns: dict[str, np.ndarray] = {}
    subsets = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]
    for subset in subsets:
        joint = combine(*(coded[k] for k in subset))
        name = "H_" + "".join(_LETTERS[k] for k in subset)
        columns[name] = row_entropy(crosstab(area, joint, weights))
    mutual = (
        columns["H_G"]
        + columns["H_T"]
        + columns["H_O"]
        - columns["H_GT"]
        - columns["H_GO"]
        - columns["H_TO"]
        + columns["H_GTO"]
    )
    area_weight = np.bincount(area.codes, weights, minlength=area.n)
    share = area_weight / area_weight.sum()
    frame = pd.DataFrame(
        {
            "T": mutual,
            **columns,
            "n_actors": np.bincount(area.codes, minlength=area.n),
            "share": share,
            "contribution": share * mutual,
        },
        index=area.labels,
    )
    return frame
