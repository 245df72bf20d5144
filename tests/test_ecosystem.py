"""The habits of the ecosystem: libpysal weights as ``w=``, statsmodels-style names on the
results, display in notebooks, saving and loading results, and the shipped simulated economy.

Expected values are the package's own (an alias equals the attribute it names; a model given
libpysal weights equals the model given the converted :class:`SpatialWeights`); the libpysal
objects are libpysal's own.
"""

from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph

import naeringsmiljo as nm
from naeringsmiljo import SAC, SAR, SDM, SEM, SpatialWeights, datasets
from naeringsmiljo.exceptions import InputTypeError

# Re-applying a row-standardisation to row-standardised weights (libpysal's W.transform =
# "R") divides by row sums equal to one to rounding: a few ulps.
ROUNDING_RTOL = 1e-12
FORMULA = "CRIME ~ INC + HOVAL"


@pytest.fixture(scope="module")
def columbus() -> tuple[pd.DataFrame, SpatialWeights]:
    return datasets.columbus(), datasets.columbus_weights("anselin").row_standardize()


# ------------------------------------------------------------------------- libpysal interop
def test_to_libpysal_round_trip_keeps_ids_weights_and_transform(columbus):
    _, w = columbus
    lp = w.to_libpysal()
    assert isinstance(lp, libpysal.weights.W)
    assert lp.id_order == list(w.ids)
    assert lp.transform == "R"
    back = SpatialWeights.from_libpysal(lp)
    assert back.ids.equals(w.ids) and back.transform == "r"
    np.testing.assert_allclose(back.sparse.toarray(), w.sparse.toarray(), rtol=ROUNDING_RTOL)


def test_to_graph_round_trip_keeps_string_ids_isolates_and_weights():
    matrix = sp.csr_array(np.array([[0.0, 2.0, 0.0], [1.5, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    w = SpatialWeights.from_sparse(matrix, ids=["0301", "1103", "5001"])
    graph = w.to_graph()
    assert isinstance(graph, Graph)
    assert list(graph.unique_ids) == ["0301", "1103", "5001"]
    assert list(graph.isolates) == ["5001"]
    back = SpatialWeights.from_libpysal(graph)
    assert list(back.ids) == ["0301", "1103", "5001"]
    np.testing.assert_array_equal(back.sparse.toarray(), matrix.toarray())
    assert list(back.islands) == ["5001"]
    assert SpatialWeights.from_libpysal(w.row_standardize().to_graph()).transform == "r"


def test_libpysal_w_and_graph_accepted_as_weights(columbus):
    data, w = columbus
    expected = SAR.from_formula(FORMULA, data, w).fit()
    for given in (w.to_libpysal(), w.to_graph()):
        res = SAR.from_formula(FORMULA, data, given).fit()
        np.testing.assert_allclose(res.params, expected.params, rtol=1e-10)  # same data, rounding
        arrays = SAR.from_arrays(data["CRIME"], data[["INC", "HOVAL"]], given).fit()
        np.testing.assert_allclose(arrays.params, expected.params, rtol=1e-10)


def test_libpysal_weights_accepted_for_w_error_w_durbin_and_channels(columbus):
    data, w = columbus
    knn = nm.weights.knn(
        pd.DataFrame({"x": data["X"], "y": data["Y"]}, index=data.index), k=4
    ).row_standardize()
    sac = SAC.from_formula(FORMULA, data, w.to_graph(), w_error=knn.to_libpysal())
    assert sac.spec.terms.error.weights.equals(knn, atol=1e-15)
    sdm = SDM.from_formula(FORMULA, data, w, w_durbin=knn.to_graph())
    assert sdm.spec.terms.durbin.weights.equals(knn, atol=1e-15)
    combined = SAR.from_formula(FORMULA, data, w={"geo": w.to_libpysal(), "knn": knn.to_graph()})
    assert combined.spec.terms.lag.channel_names == ["geo", "knn"]


PAIRS = np.kron(np.eye(3), np.array([[0.0, 1.0], [1.0, 0.0]]))


@pytest.mark.parametrize("matrix", [PAIRS, sp.csr_array(PAIRS)])
@pytest.mark.parametrize("argument", ["w", "w_error"])
def test_bare_matrix_as_weights_names_the_constructor(matrix, argument):
    y, x = np.arange(6.0), np.array([0.5, -1.0, 2.0, 0.3, 1.1, -0.7])
    w = SpatialWeights.from_sparse(sp.csr_array(PAIRS))
    given = {"w": matrix} if argument == "w" else {"w": w, "w_error": matrix}
    with pytest.raises(InputTypeError, match=rf"{argument} is a .*SpatialWeights\.from_sparse"):
        SEM.from_arrays(y, x, **given)
