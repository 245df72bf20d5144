"""Collaboration in a milieu: local and distant partners, formality, persistence, networks.

The measures follow the questions of Fitjar & Rodríguez-Pose (2013, *Research Policy*
42:128–138) on Norwegian firms: do actors collaborate locally or at a distance, are distant
partnerships formalised, do ties last and repeat (a proxy for trust), and how dense is the
regional network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from naeringsmiljo.measures._common import divide, region_frame, require_columns
from naeringsmiljo.microdata import LinkedTies, MicrodataError, Years, link_ties, tie_distances


def _touching(linked: LinkedTies, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the ties touching each region, each tie counted once per region."""
    cross = ~linked.local
    return np.bincount(linked.region_a, values, minlength=linked.n_regions) + np.bincount(
        linked.region_b[cross], values[cross], minlength=linked.n_regions
    )


def collaboration(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    distance_band: float | None = None,
    year: Years | None = None,
) -> pd.DataFrame:
    """Collaboration profile of every region.

    A tie *touches* a region when one of its actors is located there; it counts once for
    that region, and once for the other region when its two actors lie in different regions.
    A tie is *local* when both actors are in the same region. A *partner pair* is an unordered
    pair of actors joined by at least one tie. All counts are over the ties kept by ``year``.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Validated frames (:mod:`naeringsmiljo.microdata`).
    distance_band : float, optional
        Distance in metres separating ties that leave the region but stay close (within the
        band) from distant ones (beyond it); needs actor coordinates ``x``, ``y``.
    year : int or (int, int), optional
        Use only the ties active in this year or in this inclusive range of years.

    Returns
    -------
    pandas.DataFrame
        One row per region (sorted), with the columns

        ``n_actors``
            actors located in the region;
        ``n_ties``
            ties touching the region;
        ``ties_per_actor``
            ``n_ties / n_actors``;
        ``local_share``
            local ties / ``n_ties``;
        ``band_share``
            ties leaving the region whose actors are at most ``distance_band`` apart /
            ``n_ties`` (NaN without ``distance_band``);
        ``distant_share``
            distant ties / ``n_ties``, where a distant tie leaves the region and, when
            ``distance_band`` is given, joins actors more than ``distance_band`` apart. So
            ``local_share + band_share + distant_share = 1`` with a band, and
            ``local_share + distant_share = 1`` without;
        ``formal_share_local``
            formal agreements among the local ties;
        ``formal_share_distant``
            formal agreements among the distant ties;
        ``n_pairs``
            partner pairs touching the region;
        ``persistence``
            mean over those pairs of the length in years of their relationship, last year
            of any of their ties minus the first plus one (a pair seen in 2015 only: 1; in
            2015 and 2017, or in one tie from 2015 to 2017: 3);
        ``repeat_partner_share``
            share of those pairs joined by more than one tie (row), i.e. that collaborate
            again (in another year, or in another project), a proxy for trust;
        ``density``
            partner pairs with both actors in the region / ``n_actors (n_actors - 1) / 2``
            (NaN for fewer than two actors);
        ``mean_degree``
            mean over the region's actors of their number of distinct partners (anywhere);
        ``degree_centrality``
            ``mean_degree / (N - 1)`` with ``N`` the number of actors in ``actors``: the mean
            of Freeman's (1979) normalised degree centrality of the region's actors in the
            whole network.

        Shares are NaN when their denominator is zero.
    """
    require_columns(actors, ("actor_id", "region"), "collaboration")
    if distance_band is not None and not (np.isfinite(distance_band) and distance_band > 0):
        raise MicrodataError(
            f"distance_band must be a positive number of metres, got {distance_band!r}."
        )
    linked = link_ties(actors, ties, year=year)
    n_regions, n_total = linked.n_regions, linked.n_actors
    ones = np.ones(linked.a.shape[0])
    local = linked.local
    n_actors = np.bincount(linked.actor_region, minlength=n_regions)
    n_ties = _touching(linked, ones)
    n_local = np.bincount(linked.region_a[local], minlength=n_regions)

    if distance_band is None:
        distant = ~local
        band_share = np.full(n_regions, np.nan)
    else:
        far = tie_distances(actors, linked, "collaboration with a distance_band") > distance_band
        distant = ~local & far
        band_share = divide(_touching(linked, (~local & ~far).astype(np.float64)), n_ties)
    formal = linked.formal.astype(np.float64)
    n_distant = _touching(linked, distant.astype(np.float64))

    pairs = _partner_pairs(linked)
    pair_region_a = linked.actor_region[pairs.low]
    pair_region_b = linked.actor_region[pairs.high]
    pair_local = pair_region_a == pair_region_b

    def over_pairs(values: np.ndarray) -> np.ndarray:
        return np.bincount(pair_region_a, values, minlength=n_regions) + np.bincount(
            pair_region_b[~pair_local], values[~pair_local], minlength=n_regions
        )

    n_pairs = over_pairs(np.ones(pairs.low.shape[0]))
    internal = np.bincount(pair_region_a[pair_local], minlength=n_regions)
    possible = n_actors * (n_actors - 1) / 2.0
    degree = np.bincount(pairs.low, minlength=n_total) + np.bincount(pairs.high, minlength=n_total)
    mean_degree = divide(np.bincount(linked.actor_region, degree, minlength=n_regions), n_actors)
    return region_frame(
        linked.regions,
        {
            "n_actors": n_actors,
            "n_ties": n_ties.astype(np.int64),
            "ties_per_actor": divide(n_ties, n_actors),
            "local_share": divide(n_local, n_ties),
            "band_share": band_share,
            "distant_share": divide(n_distant, n_ties),
            "formal_share_local": divide(
                np.bincount(linked.region_a[local], formal[local], minlength=n_regions), n_local
            ),
            "formal_share_distant": divide(_touching(linked, formal * distant), n_distant),
            "n_pairs": n_pairs.astype(np.int64),
            "persistence": divide(over_pairs(pairs.span.astype(np.float64)), n_pairs),
            "repeat_partner_share": divide(
                over_pairs((pairs.n_ties > 1).astype(np.float64)), n_pairs
            ),
            "density": divide(internal, possible),
            "mean_degree": mean_degree,
            "degree_centrality": divide(mean_degree, np.full(n_regions, n_total - 1.0)),
        },
    )


@dataclass(frozen=True)
class _Pairs:
    """Distinct partner pairs: actor positions (``low < high``), number of ties, span in years."""

    low: np.ndarray
    high: np.ndarray
    n_ties: np.ndarray
    span: np.ndarray


def _partner_pairs(linked: LinkedTies) -> _Pairs:
    """Group the ties by unordered pair of actors (by sorting, which beats hashing here)."""
    if linked.a.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Pairs(empty, empty, empty, empty)
    n = np.int64(linked.n_actors)
    key = np.minimum(linked.a, linked.b) * n + np.maximum(linked.a, linked.b)
    order = np.argsort(key)
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    last_year = np.maximum.reduceat(linked.end[order], first)
    first_year = np.minimum.reduceat(linked.start[order], first)
    return _Pairs(
        low=key[first] // n,
        high=key[first] % n,
        n_ties=np.diff(np.r_[first, key.size]),
        span=last_year - first_year + 1,
    )
