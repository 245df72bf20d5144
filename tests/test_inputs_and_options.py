"""What strict inputs accept: the behaviour behind the refusals of the bad-input catalogue.

String columns become dummies, pandas inputs are aligned by id, values a transform makes
infinite are dropped on request, self-links pass when asked for, weights that are not
row-standardised are warned of with their interval, parameters held fixed are reported as
fixed, and intervals take ``alpha`` as statsmodels does.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from scipy import stats

import naeringsmiljo as nm
from naeringsmiljo._options import MissingPolicy, check_choice
from naeringsmiljo.exceptions import OptionError, WeightsWarning

FORMULA = "CRIME ~ INC + HOVAL"


def test_check_choice_reads_the_literal_and_suggests() -> None:
    assert check_choice("missing", "drop", MissingPolicy) == "drop"
    with pytest.raises(OptionError, match="Did you mean 'raise'") as info:
        check_choice("missing", "rasie", MissingPolicy)
    assert info.value.allowed == ("raise", "drop") and info.value.option == "missing"
    with pytest.raises(OptionError) as info:
        check_choice("missing", "zzzz", MissingPolicy)
    assert "Did you mean" not in str(info.value)


def test_string_column_becomes_treatment_dummies_as_in_formulaic(columbus, w_anselin) -> None:
    data = columbus.assign(SIDE=np.where(columbus["X"] > columbus["X"].median(), "east", "west"))
    data.loc[data.index[:5], "SIDE"] = "centre"
    spec = nm.SAR.from_formula("CRIME ~ INC + SIDE", data, w_anselin).spec
    expected = model_matrix("CRIME ~ INC + SIDE", data).rhs
    assert spec.exog_names == [str(c) for c in expected.columns]
    assert spec.exog_names == ["Intercept", "INC", "SIDE[T.east]", "SIDE[T.west]"]
    # same rows, same values: the dummies are 0/1 exactly
    np.testing.assert_array_equal(spec.x, expected.to_numpy(dtype=np.float64))
    categorical = data.assign(SIDE=data["SIDE"].astype("category"))
    res = nm.SAR.from_formula("CRIME ~ INC + SIDE", categorical, w_anselin).fit()
    assert res.nobs == 49 and np.isfinite(res.params).all()


def test_infinite_values_made_by_a_transform_are_dropped_on_request(columbus, w_anselin) -> None:
    data = columbus.copy()
    data.loc[[3, 8], "INC"] = 0.0
    spec = nm.SAR.from_formula("CRIME ~ I(1/INC)", data, w_anselin, missing="drop").spec
    assert set(spec.dropped) == {3, 8} and set(spec.drop_reasons["missing"]) == {3, 8}
    assert spec.nobs == 47 and np.isfinite(spec.x).all()


def test_from_arrays_aligns_x_by_its_index(columbus, w_anselin) -> None:
    ref = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit()
    shuffled = columbus[["INC", "HOVAL"]].sample(frac=1.0, random_state=3)
    res = nm.SAR.from_arrays(columbus["CRIME"], shuffled, w_anselin).fit()
    # the same data in another order: equal to rounding
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10, atol=0)


def test_self_links_only_when_asked() -> None:
    matrix = np.array([[1.0, 1.0], [1.0, 0.0]])
    w = nm.SpatialWeights.from_sparse(matrix, ids=["a", "b"], self_loops=True)
    assert w.sparse.diagonal().tolist() == [1.0, 0.0]


def test_weights_not_row_standardised_warn_with_their_interval(columbus, w_anselin) -> None:
    binary = nm.datasets.columbus_weights("anselin")
    low, high = binary.parameter_interval()
    with pytest.warns(WeightsWarning, match=rf"rho\) .* lies in \({low:.4g}, {high:.4g}\)"):
        nm.SAR.from_formula(FORMULA, columbus, binary)
    with pytest.warns(WeightsWarning, match="lambda"):
        nm.SEM.from_formula(FORMULA, columbus, binary)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WeightsWarning)
        nm.SAR.from_formula(FORMULA, columbus, w_anselin)
        nm.SAR.from_formula(FORMULA, columbus, binary.spectral_normalize())
        nm.SLX.from_formula(FORMULA, columbus, binary)  # no spatial parameter


def test_a_fixed_parameter_is_reported_as_fixed(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(fixed={"rho": 0.3})
    for values in (res.std_errors, res.tstats, res.pvalues):
        assert np.isnan(values["rho"]) and np.isfinite(values.drop("rho")).all()
    assert res.conf_int().loc["rho"].isna().all()
    line = next(row for row in res.summary().splitlines() if row.startswith("rho"))
    assert "(fixed)" in line and "inf" not in line and "0.000000" not in line.split()[2:]


def test_conf_int_takes_alpha_as_statsmodels(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit()
    ci = res.conf_int(alpha=0.1)
    half = stats.norm.ppf(0.95) * res.std_errors
    # the same arithmetic in another order: equal to rounding
    np.testing.assert_allclose(ci["upper"] - res.params, half, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(res.conf_int(), res.conf_int(alpha=0.05))
    assert (res.to_frame(alpha=0.1)["lower"] == ci["lower"]).all()
