"""Property tests: the estimates do not depend on how the units are stored or named.

Hypothesis draws designs (the number of units, a seed, the number of regressors and the spatial
parameter); each design is k-nearest-neighbour weights on random points and data simulated from
the model with that parameter. For SAR, SEM and OLS (all by ML) the tests assert that

* permuting the rows of the data frame (weights unchanged: the design aligns them by id),
* renaming the ids (integers, strings, integers shifted; the same structure), and
* permuting the data and reordering the weights to the same order (``SpatialWeights.reorder``)

leave the estimates, their standard errors and the log-likelihood unchanged.

The profile is chosen in ``tests/conftest.py``: ``"ci"`` by default (10 derandomised examples
per test), ``pytest --hypothesis-profile=slow tests/test_invariance_properties.py`` for 200
random examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.sparse.linalg import spsolve
from scipy.spatial import cKDTree

import naeringsmiljo as nm

# The compared fits solve the same equations with the units in another order: the same exact
# arithmetic, rounded differently (sums and factorisations in another order). Estimates are
# polished to roots of the score (xtol 1e-15), so they agree to about 1e-12; 1e-8 leaves room for
# a flat likelihood (a small curvature turns rounding of the score into a larger shift of the
# root) and is still far below any statistical precision. The absolute floor is for parameters
# whose value is near zero, where a relative comparison means nothing.
RTOL = 1e-8
ATOL = 1e-10

MODELS = {"SAR": nm.SAR, "SEM": nm.SEM, "OLS": nm.OLS}


@dataclass(frozen=True)
class Design:
    """A simulated data set: data indexed by integer ids 0..n-1 and its weights."""

    data: pd.DataFrame
    w: nm.SpatialWeights
    formula: str


def nearest_neighbours(points: np.ndarray, k: int) -> nm.SpatialWeights:
    """Row-standardised k-nearest-neighbour weights, from an edge list (ids 0..n-1).

    Built with scipy's k-d tree rather than :func:`naeringsmiljo.weights.knn`, whose first call
    imports libraries that touch Python's global random state inside a strategy.
    """
    _, nearest = cKDTree(points).query(points, k=k + 1)
    edges = pd.DataFrame(
        {"source": np.repeat(np.arange(len(points)), k), "target": nearest[:, 1:].ravel()}
    )
    return nm.SpatialWeights.from_edges(
        edges, source="source", target="target", ids=pd.RangeIndex(len(points))
    ).row_standardize()


@st.composite
def designs(draw: st.DrawFn) -> Design:
    """k-nearest-neighbour weights on random points, data from a SAR or SEM process."""
    n = draw(st.integers(min_value=20, max_value=60), label="n")
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1), label="seed")
    k = draw(st.integers(min_value=1, max_value=3), label="regressors")
    neighbours = draw(st.integers(min_value=3, max_value=6), label="neighbours")
    # well inside the interval of a row-standardised matrix, (1/omega_min <= -1, 1)
    parameter = draw(st.floats(min_value=-0.6, max_value=0.8), label="rho")
    lag_of_y = draw(st.booleans(), label="lag of y (else of the error)")
    rng = np.random.default_rng(seed)
    w = nearest_neighbours(rng.uniform(size=(n, 2)), neighbours)
    x = rng.normal(size=(n, k))
    beta = rng.uniform(0.5, 2.0, size=k) * rng.choice([-1.0, 1.0], size=k)
    eps = rng.normal(size=n)
    system = sp.csc_matrix(sp.identity(n) - parameter * w.sparse)
    if lag_of_y:
        y = spsolve(system, 1.0 + x @ beta + eps)
    else:
        y = 1.0 + x @ beta + spsolve(system, eps)
    names = [f"x{j}" for j in range(k)]
    data = pd.DataFrame(x, columns=names, index=w.ids).assign(y=y)
    return Design(data, w, "y ~ " + " + ".join(names))


def fitted(model: str, design: Design, data: pd.DataFrame, w: nm.SpatialWeights) -> tuple:
    """Estimates, standard errors (by parameter name) and log-likelihood of one fit."""
    res = MODELS[model].from_formula(design.formula, data, w).fit(method="ml")
    return res.params, res.std_errors, res.loglik


def assert_same(first: tuple, second: tuple) -> None:
    params, errors, loglik = first
    other_params, other_errors, other_loglik = second
    assert list(params.index) == list(other_params.index)
    assert_allclose(other_params.to_numpy(), params.to_numpy(), rtol=RTOL, atol=ATOL)
    assert_allclose(other_errors.to_numpy(), errors.to_numpy(), rtol=RTOL, atol=ATOL)
    assert_allclose(other_loglik, loglik, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("model", sorted(MODELS))
@given(design=designs(), permutation_seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_row_permutation_of_the_data(model: str, design: Design, permutation_seed: int) -> None:
    """The rows of the data in another order, the weights as they are: aligned by id."""
    order = np.random.default_rng(permutation_seed).permutation(len(design.data))
    shuffled = design.data.iloc[order]
    assert_same(
        fitted(model, design, design.data, design.w),
        fitted(model, design, shuffled, design.w),
    )


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("naming", ["string", "shifted"])
@given(design=designs())
def test_id_type(model: str, naming: str, design: Design) -> None:
    """The same units under string ids, or integer ids shifted, give the same fit."""
    ids = design.data.index
    renamed = (
        pd.Index([f"unit-{i:03d}" for i in ids]) if naming == "string" else pd.Index(ids + 1000)
    )
    w = nm.SpatialWeights.from_sparse(design.w.sparse, ids=renamed, transform="r")
    data = design.data.set_axis(renamed, axis=0)
    assert_same(
        fitted(model, design, design.data, design.w),
        fitted(model, design, data, w),
    )


@pytest.mark.parametrize("model", sorted(MODELS))
@given(design=designs(), permutation_seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_data_order_with_reordered_weights(
    model: str, design: Design, permutation_seed: int
) -> None:
    """Data and weights both in another order of the units (``SpatialWeights.reorder``)."""
    order = np.random.default_rng(permutation_seed).permutation(len(design.data))
    shuffled = design.data.iloc[order]
    w = design.w.reorder(shuffled.index)
    assert w.ids.equals(shuffled.index)
    assert_same(
        fitted(model, design, design.data, design.w),
        fitted(model, design, shuffled, w),
    )


def test_the_ci_profile_is_bounded_and_keeps_no_database() -> None:
    """The default profile is deterministic and writes nothing (unless a profile is chosen)."""
    current = settings()
    if current.max_examples == 200:  # the "slow" profile was chosen explicitly
        pytest.skip("the slow profile is loaded")
    assert current.max_examples == 10
    assert current.derandomize
    assert current.database is None
    assert current.deadline is None


# rescaling invariance: see test_rescaling_*
