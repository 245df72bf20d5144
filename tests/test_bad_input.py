"""Bad input gets a clear, typed error that names what is wrong, and nothing is lost silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    FormulaError,
    IdMismatchError,
    IslandError,
    MissingDataError,
    NaeringsmiljoError,
    ParameterSpaceError,
    SingularDesignError,
)

FORMULA = "CRIME ~ INC + HOVAL"


def test_ids_that_differ_name_what_is_missing(columbus, w_anselin) -> None:
    data = columbus.drop(index=[7, 30]).rename(index={1: 101})
    with pytest.raises(IdMismatchError) as info:
        nm.SAR.from_formula(FORMULA, data, w_anselin)
    err = info.value
    assert set(err.missing_in_weights) == {101}
    assert set(err.missing_in_data) == {1, 7, 30}
    assert "101" in str(err) and "30" in str(err)
    assert isinstance(err, NaeringsmiljoError) and isinstance(err, ValueError)


def test_data_without_ids_of_the_weights_are_not_aligned_by_position(columbus, w_anselin) -> None:
    data = columbus.reset_index(drop=True)  # ids 0..48 instead of POLYID 1..49
    with pytest.raises(IdMismatchError, match="not in the weights"):
        nm.SEM.from_formula(FORMULA, data, w_anselin)


def test_id_column(columbus, w_anselin) -> None:
    data = columbus.reset_index()
    res = nm.SAR.from_formula(FORMULA, data, w_anselin, id_column="POLYID").fit()
    ref = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit()
    pd.testing.assert_series_equal(res.params, ref.params, rtol=1e-12)
    with pytest.raises(FormulaError, match="no id column"):
        nm.SAR.from_formula(FORMULA, data, w_anselin, id_column="ID")


def test_duplicate_ids_raise(columbus, w_anselin) -> None:
    data = pd.concat([columbus, columbus.iloc[:1]])
    with pytest.raises(MissingDataError, match="unique"):
        nm.SAR.from_formula(FORMULA, data, w_anselin)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_raise_naming_rows(columbus, w_anselin, bad) -> None:
    data = columbus.copy()
    data.loc[[5, 17], "INC"] = bad
    with pytest.raises(MissingDataError) as info:
        nm.SAR.from_formula(FORMULA, data, w_anselin)
    assert set(info.value.rows) == {5, 17}
    assert (
        "5" in str(info.value) and "17" in str(info.value) and "missing='drop'" in str(info.value)
    )


def test_nan_in_unused_column_is_ignored(columbus, w_anselin) -> None:
    data = columbus.copy()
    data.loc[5, "OPEN"] = np.nan
    nm.SAR.from_formula(FORMULA, data, w_anselin).fit()


def test_missing_drop_subsets_weights_and_records(columbus, w_anselin) -> None:
    data = columbus.copy()
    data.loc[[5, 17], "HOVAL"] = np.nan
    res = nm.SAR.from_formula(FORMULA, data, w_anselin, missing="drop").fit()
    assert res.nobs == 47
    assert set(res.spec.dropped) == {5, 17}
    assert set(res.spec.drop_reasons["missing"]) == {5, 17}
    assert "2 dropped" in res.summary()
    w = res.spec.weights
    assert 5 not in w.ids and w.n == 47
    # the row-standardisation is re-applied to the remaining links
    np.testing.assert_allclose(w.sparse.sum(axis=1), 1.0, rtol=1e-14)
    expected = nm.datasets.columbus_weights("anselin").subset(w.ids).row_standardize()
    assert w.equals(expected, atol=1e-15)


def test_islands_raise_unless_a_policy_is_chosen(columbus) -> None:
    edges = pd.read_csv(
        nm.datasets.columbus.__globals__["_data_dir"]() / "columbus_anselin_edges.csv"
    )
    cut = edges[(edges.source != 1) & (edges.target != 1)]
    w = nm.SpatialWeights.from_edges(cut, source="source", target="target", ids=range(1, 50))
    w = w.row_standardize()
    assert list(w.islands) == [1]
    with pytest.raises(IslandError) as info:
        nm.SAR.from_formula(FORMULA, columbus, w)
    assert info.value.islands == (1,)
    assert "islands='keep'" in str(info.value)
    kept = nm.SAR.from_formula(FORMULA, columbus, w, islands="keep").fit()
    dropped = nm.SAR.from_formula(FORMULA, columbus, w, islands="drop").fit()
    assert kept.nobs == 49 and dropped.nobs == 48
    assert list(dropped.spec.drop_reasons["island"]) == [1]


def test_formula_naming_a_missing_column(columbus, w_anselin) -> None:
    with pytest.raises(FormulaError, match="INCOME"):
        nm.SDM.from_formula("CRIME ~ INCOME + HOVAL", columbus, w_anselin)
    with pytest.raises(FormulaError, match="not regressors"):
        nm.SDM.from_formula(FORMULA, columbus, w_anselin, durbin=["OPEN"])


def test_collinear_design_names_columns(columbus, w_anselin) -> None:
    data = columbus.assign(INC2=2 * columbus["INC"])
    with pytest.raises(SingularDesignError) as info:
        nm.SAR.from_formula("CRIME ~ INC + INC2", data, w_anselin)
    assert "INC2" in info.value.columns


def test_lagged_constant_is_collinear_with_the_constant(columbus, w_anselin) -> None:
    """With row-standardised W, W 1 = 1: a lagged constant duplicates the constant."""
    data = columbus.assign(one=1.0)
    with pytest.raises(SingularDesignError) as info:
        nm.SDM.from_formula("CRIME ~ 0 + one + INC", data, w_anselin)
    assert set(info.value.columns) & {"one", "W_one"}
    assert "lagged regressor" in str(info.value)


def test_rho_outside_the_interval(columbus, w_anselin) -> None:
    with pytest.raises(ParameterSpaceError, match="outside the interval"):
        nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(fixed={"rho": 1.2})
    with pytest.raises(ValueError, match="cannot fix"):
        nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(fixed={"lambda": 0.1})


def test_unknown_options(columbus, w_anselin) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    with pytest.raises(ValueError, match="log-determinant"):
        model.fit(logdet="svd")
    with pytest.raises(ValueError, match="covariance"):
        model.fit(cov="robust-ish")
    with pytest.raises(ValueError, match="inconsistent"):
        model.fit(method="ols")
    with pytest.raises(TypeError, match="SpatialWeights"):
        nm.SAR.from_formula(FORMULA, columbus, w_anselin.sparse)


def test_non_convergence_is_reported_not_silent() -> None:
    """A likelihood that rises towards the edge of the interval has no interior maximum.

    y is the eigenvector of W with its most negative eigenvalue, so (I - rho W) y is a multiple
    of y and the concentrated likelihood grows without bound as rho -> 1/omega_min.
    """
    w = nm.datasets.columbus_weights("queen").row_standardize()
    values, vectors = np.linalg.eig(w.sparse.toarray())
    y = np.real(vectors[:, np.argmin(values.real)])
    x = np.random.default_rng(3).normal(size=(49, 1))
    model = nm.SAR.from_arrays(pd.Series(y, index=w.ids), pd.DataFrame(x, index=w.ids), w)
    with pytest.warns(ConvergenceWarning):
        res = model.fit()
    assert not res.record.converged
    assert "Convergence:         NO" in res.summary()
