"""The panel design: alignment by id, balance, bad input, and the O(NT) operations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import naeringsmiljo as nm
from naeringsmiljo.design.panel import period_product, within
from naeringsmiljo.exceptions import (
    IdMismatchError,
    OptionError,
    PanelStructureError,
    SingularDesignError,
    SpecificationError,
    UnbalancedPanelError,
    WeightsError,
)

FORMULA = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"


@pytest.fixture(scope="module")
def produc():
    return nm.datasets.produc(), nm.datasets.produc_weights().row_standardize()


def test_operations_equal_dense_kronecker_products():
    rng = np.random.default_rng(0)
    n, t = 7, 4
    w = rng.random((n, n))
    v = rng.normal(size=(n * t, 3))
    assert_allclose(period_product(w, v, n), np.kron(np.eye(t), w) @ v, rtol=1e-13)
    q_t, q_n = np.eye(t) - 1 / t, np.eye(n) - 1 / n
    for effects, q in (
        ("entity", np.kron(q_t, np.eye(n))),
        ("time", np.kron(np.eye(t), q_n)),
        ("twoways", np.kron(q_t, q_n)),
    ):
        assert_allclose(within(v, n, effects), q @ v, atol=1e-13)
    assert within(v, n, "none") is v


def test_unbalanced_panel_lists_the_missing_pairs(produc):
    data, w = produc
    holes = data.drop(index=[("OHIO", 1975), ("TEXAS", 1980)])
    with pytest.raises(UnbalancedPanelError, match="OHIO") as err:
        nm.SAR.from_formula(FORMULA, holes, w, effects="entity")
    assert set(err.value.missing_pairs) == {("OHIO", 1975), ("TEXAS", 1980)}
    with pytest.warns(UserWarning, match="dropped"):
        model = nm.SAR.from_formula(FORMULA, holes, w, effects="entity", missing="drop")
    assert list(model.spec.drop_reasons["unbalanced"]) == ["OHIO", "TEXAS"]
    assert model.spec.n_units == 46 and "OHIO" not in model.spec.weights.ids
    res = model.fit()
    assert "2 dropped: unbalanced 2" in res.summary()


def test_missing_values_are_unbalanced_pairs(produc):
    data, w = produc
    bad = data.astype({"unemp": float})
    bad.loc[("IOWA", 1972), "unemp"] = np.nan
    with pytest.raises(UnbalancedPanelError, match=r"IOWA.*1972|unemp"):
        nm.SEM.from_formula(FORMULA, bad, w, effects="entity")


def test_duplicated_pairs(produc):
    data, w = produc
    doubled = pd.concat([data, data.loc[[("OHIO", 1975)]]])
    with pytest.raises(PanelStructureError, match="OHIO"):
        nm.SAR.from_formula(FORMULA, doubled, w, effects="entity")


def test_entities_not_in_the_weights(produc):
    data, w = produc
    renamed = data.rename(index={"OHIO": "OHIO_X"}, level=0)
    with pytest.raises(IdMismatchError, match="OHIO_X"):
        nm.SAR.from_formula(FORMULA, renamed, w, effects="entity")


def test_time_index_order_and_type(produc):
    data, w = produc
    ref = nm.SAR.from_formula(FORMULA, data, w, effects="twoways").fit()
    # rows in any order are sorted by period: the same fit
    res = nm.SAR.from_formula(FORMULA, data.iloc[::-1], w, effects="twoways").fit()
    assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    mixed = data.reset_index()
    mixed["year"] = mixed["year"].astype(object)
    mixed.loc[0, "year"] = "1970"
    with pytest.raises(PanelStructureError, match="cannot be ordered"):
        nm.SAR.from_formula(FORMULA, mixed.set_index(["state", "year"]), w, effects="entity")


def test_one_period_with_entity_effects(produc):
    data, w = produc
    one = data[data.index.get_level_values("year") == 1980]
    with pytest.raises(PanelStructureError, match="One period"):
        nm.SAR.from_formula(FORMULA, one, w, effects="entity")


def test_regressor_without_within_variation_is_named(produc):
    data, w = produc
    with pytest.raises(SingularDesignError, match="region") as err:
        nm.SAR.from_formula(FORMULA + " + region", data, w, effects="entity")
    assert err.value.columns == ("region",)
    year = data.assign(trend=data.index.get_level_values("year").astype(float))
    with pytest.raises(SingularDesignError, match="trend"):
        nm.SAR.from_formula(FORMULA + " + trend", year, w, effects="time")


def test_index_and_options(produc):
    data, w = produc
    with pytest.raises(PanelStructureError, match="MultiIndex"):
        nm.SAR.from_formula(FORMULA, data.reset_index(), w, effects="entity")
    with pytest.raises(OptionError, match="twoways"):
        nm.SAR.from_formula(FORMULA, data, w, effects="two-way")
    with pytest.raises(SpecificationError, match="w_error"):
        nm.SAC.from_formula(FORMULA, data, w, effects="entity", w_error=w)
    with pytest.raises(SpecificationError, match="one spatial term"):
        nm.SAC.from_formula(FORMULA, data, w, effects="random")
    with pytest.raises(SpecificationError, match="cross-section"):
        nm.SAR.from_formula(
            "CRIME ~ INC",
            nm.datasets.columbus(),
            nm.datasets.columbus_weights("anselin").row_standardize(),
        ).fit(bias_correction=True)
    with pytest.raises(SpecificationError, match="fixed effects"):
        nm.SAR.from_formula(FORMULA, data, w, effects="none").fit(bias_correction=True)


def test_time_effects_need_row_standardised_weights(produc):
    data, _ = produc
    binary = nm.datasets.produc_weights()
    with pytest.raises(WeightsError, match="row-standardised"):
        nm.SAR.from_formula(FORMULA, data, binary, effects="time")


def test_panel_without_effects_is_the_stacked_cross_section(produc):
    """effects='none' (the default for MultiIndexed data) is ML on the stacked periods with
    I_T kron W: the dense block-diagonal weights over all NT rows give the same fit."""
    data, w = produc
    panel = nm.SAR.from_formula(FORMULA, data, w).fit()
    assert panel.spec.effects == "none" and panel.spec.has_intercept
    spec = panel.spec
    ids = [f"{e}|{t}" for e, t in spec.ids]
    big = nm.SpatialWeights.from_sparse(
        np.kron(np.eye(spec.n_periods), w.sparse.toarray()), ids=ids
    )
    frame = pd.DataFrame(spec.raw_x[:, 1:], index=ids, columns=spec.exog_names[1:])
    # NT = 816 rows would take the sparse (Monte Carlo trace) information by default; the
    # exact dense one is what the panel's N = 48 entities get
    stacked = nm.SAR.from_arrays(pd.Series(spec.raw_y, index=ids), frame, big).fit(
        cov=nm.covariance.InformationMatrix(path="dense")
    )
    assert_allclose(panel.params.to_numpy(), stacked.params.to_numpy(), rtol=1e-8)
    assert_allclose(panel.std_errors.to_numpy(), stacked.std_errors.to_numpy(), rtol=1e-6)
    assert_allclose(panel.loglik, stacked.loglik, rtol=1e-10)


def test_committed_benchmark_agrees_with_spreg():
    """benchmarks/results/panel.csv: where spreg finished, its rho equals ours (both maximise
    the same likelihood; spreg's search stops within 1e-8, REFERENCES.md s. 5)."""
    from pathlib import Path

    table = pd.read_csv(Path(__file__).resolve().parents[1] / "benchmarks/results/panel.csv")
    ours = table[table["kind"] == "ours_sar_entity"].set_index("N")["rho"]
    theirs = table[table["kind"] == "spreg_fe_lag"].set_index("N")["rho"]
    common = ours.index.intersection(theirs.index)
    assert len(common) >= 1
    assert_allclose(ours[common].to_numpy(), theirs[common].to_numpy(), rtol=0, atol=1e-8)
    assert (table.loc[table["kind"] == "ours_sdm_twoways", "total_s"] > 0).all()
