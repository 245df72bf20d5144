"""Relational weights from collaboration ties, checked against matrices written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from naeringsmiljo import SpatialWeights
from naeringsmiljo.exceptions import OptionError
from naeringsmiljo.microdata import MicrodataError, validate_actors, validate_ties
from naeringsmiljo.weights import collaboration_weights

# Counts and ratios of small integers: exact up to rounding of one division.
EXACT_RTOL = 1e-12


@pytest.fixture
def network() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six actors in regions A (3), B (2), C (1) on a line, and six ties.

    Positions (m): a1 0, a2 1,000, a3 2,000, b1 10,000, b2 60,000, c1 200,000.
    Ties (actor_a -> actor_b, year):
      a1 -> a2 2019, a1 -> a2 2020, a2 -> a3 2021   (within A: never in the weights)
      a1 -> b1 2019 (10 km), a3 -> b2 2020 (58 km)   (A -> B twice)
      b1 -> c1 2019 (190 km)                          (B -> C once)
    """
    actors = validate_actors(
        pd.DataFrame(
            {
                "actor_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
                "region": ["A", "A", "A", "B", "B", "C"],
                "actor_type": "firm",
                "industry": "62",
                "size": 1.0,
                "x": [0.0, 1000.0, 2000.0, 10_000.0, 60_000.0, 200_000.0],
                "y": 0.0,
            }
        )
    )
    ties = validate_ties(
        pd.DataFrame(
            {
                "actor_a": ["a1", "a1", "a1", "a3", "b1", "a2"],
                "actor_b": ["a2", "a2", "b1", "b2", "c1", "a3"],
                "year": [2019, 2020, 2019, 2020, 2019, 2021],
                "formal": [False, True, True, False, True, False],
            }
        ),
        actors,
    )
    return actors, ties


def test_counts_symmetric_and_directed(network) -> None:
    actors, ties = network
    w = collaboration_weights(actors, ties)
    # A-B: 2 ties, B-C: 1 tie; the three ties within A stay off the diagonal (zero).
    np.testing.assert_array_equal(w.sparse.toarray(), [[0, 2, 0], [2, 0, 1], [0, 1, 0]])
    assert list(w.ids) == ["A", "B", "C"] and w.transform == "o" and w.is_symmetric
    directed = collaboration_weights(actors, ties, symmetric=False)
    # Only A -> B (twice) and B -> C (once), as the ties are listed.
    np.testing.assert_array_equal(directed.sparse.toarray(), [[0, 2, 0], [0, 0, 1], [0, 0, 0]])


def test_intensity_divides_by_the_possible_pairs(network) -> None:
    actors, ties = network
    w = collaboration_weights(actors, ties, value="intensity")
    # n = (3, 2, 1): A-B 2 / (3 * 2) = 1/3; B-C 1 / (2 * 1) = 1/2.
    expected = np.array([[0, 1 / 3, 0], [1 / 3, 0, 1 / 2], [0, 1 / 2, 0]])
    np.testing.assert_allclose(w.sparse.toarray(), expected, rtol=EXACT_RTOL)


def test_distance_filter_and_year(network) -> None:
    actors, ties = network
    near = collaboration_weights(actors, ties, max_distance=100_000.0)
    # The 190 km tie B-C is dropped; C becomes an island.
    np.testing.assert_array_equal(near.sparse.toarray(), [[0, 2, 0], [2, 0, 0], [0, 0, 0]])
    assert list(near.islands) == ["C"]
    very_near = collaboration_weights(actors, ties, max_distance=20_000.0)
    # Only the 10 km tie a1-b1 remains.
    np.testing.assert_array_equal(very_near.sparse.toarray()[0], [0, 1, 0])
    in_2020 = collaboration_weights(actors, ties, year=2020)
    # 2020: a1-a2 (local) and a3-b2 (A-B).
    np.testing.assert_array_equal(in_2020.sparse.toarray(), [[0, 1, 0], [1, 0, 0], [0, 0, 0]])


def test_regions_fix_the_order_and_keep_islands(network) -> None:
    actors, ties = network
    w = collaboration_weights(actors, ties, regions=["C", "D", "B", "A"])
    assert list(w.ids) == ["C", "D", "B", "A"]
    # Same links in the new order; D has neither actors nor ties and is an island.
    np.testing.assert_array_equal(
        w.sparse.toarray(), [[0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 2], [0, 0, 2, 0]]
    )
    assert list(w.islands) == ["D"]
    intensity = collaboration_weights(actors, ties, value="intensity", regions=["A", "B", "C", "D"])
    assert np.isfinite(intensity.sparse.data).all()
    with pytest.raises(MicrodataError, match="not among the regions given") as info:
        collaboration_weights(actors, ties, regions=["A", "B"])
    assert info.value.rows == (5,)


def test_order_and_orientation_of_ties_do_not_change_symmetric_weights(network) -> None:
    actors, ties = network
    reference = collaboration_weights(actors, ties, value="intensity")
    flipped = ties.sample(frac=1.0, random_state=1).rename(
        columns={"actor_a": "actor_b", "actor_b": "actor_a"}
    )
    assert collaboration_weights(actors, flipped, value="intensity").equals(reference, atol=0.0)
    directed = collaboration_weights(actors, ties, symmetric=False)
    reversed_ = collaboration_weights(actors, flipped, symmetric=False)
    np.testing.assert_array_equal(reversed_.sparse.toarray(), directed.sparse.toarray().T)


def test_from_collaboration_classmethod(network) -> None:
    actors, ties = network
    w = SpatialWeights.from_collaboration(actors, ties, value="intensity", max_distance=1e5)
    assert w.equals(collaboration_weights(actors, ties, value="intensity", max_distance=1e5))
    # Row-standardised relational weights are ready for a spatial-lag model.
    np.testing.assert_allclose(
        w.row_standardize().sparse.sum(axis=1), [1.0, 1.0, 0.0], rtol=EXACT_RTOL
    )


def test_bad_options(network) -> None:
    actors, ties = network
    with pytest.raises(OptionError, match="value='share' is not one of"):
        collaboration_weights(actors, ties, value="share")
    with pytest.raises(MicrodataError, match="max_distance"):
        collaboration_weights(actors, ties, max_distance=0.0)
    with pytest.raises(MicrodataError, match="coordinates"):
        collaboration_weights(actors.drop(columns=["x", "y"]), ties, max_distance=1000.0)
    unvalidated = ties.assign(actor_b=["a2", "a2", "zz", "b2", "c1", "a3"])
    with pytest.raises(
        MicrodataError, match=r"actor_b is not among the actors \('zz'\) in rows \[2\]"
    ) as info:
        collaboration_weights(actors, unvalidated)
    assert info.value.rows == (2,)
