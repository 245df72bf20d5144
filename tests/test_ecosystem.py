"""The habits of the ecosystem: libpysal weights as ``w=``, statsmodels-style names on the
results, display in notebooks, saving and loading results, and the shipped simulated economy.

Expected values are the package's own (an alias equals the attribute it names; a model given
libpysal weights equals the model given the converted :class:`SpatialWeights`); the libpysal
objects are libpysal's own.
"""

from __future__ import annotations

import pickle

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


# ------------------------------------------------------------------------- statsmodels names
@pytest.fixture(scope="module")
def fits(columbus) -> dict[str, nm.SpatialResults]:
    data, w = columbus
    fitted = {m: nm.MODELS[m].from_formula(FORMULA, data, w).fit() for m in ("OLS", "SAR", "SEM")}
    fitted["S2SLS"] = SAR.from_formula(FORMULA, data, w).fit(method="gmm")
    return fitted


def test_statsmodels_names_are_the_package_attributes(fits):
    for res in fits.values():
        pd.testing.assert_series_equal(res.bse, res.std_errors)
        pd.testing.assert_series_equal(res.tvalues, res.tstats)
        assert res.llf == res.loglik or (np.isnan(res.llf) and np.isnan(res.loglik))
        assert res.rsquared == res.r2
        assert res.nobs == 49
        assert list(res.conf_int(alpha=0.1).columns) == ["lower", "upper"]


def test_summary_is_a_string_that_shows_in_notebooks(fits):
    res = fits["SAR"]
    summary = res.summary()
    assert isinstance(summary, str)
    assert summary.as_text() == str(summary) and repr(summary) == str(summary)
    assert summary.startswith("SAR regression results") and "Log-likelihood:" in summary
    assert summary._repr_html_().startswith("<pre>SAR regression results")
    assert res._repr_html_() == summary._repr_html_()


def test_moment_estimator_summary_has_no_likelihood_lines(fits):
    summary = fits["S2SLS"].summary()
    assert "Log-likelihood" not in summary and "AIC" not in summary
    assert "nan" not in summary
    assert "nan" not in repr(fits["S2SLS"])


def test_regression_table_shows_as_html(fits):
    table = nm.regression_table(fits, caption="Crime & income")
    assert isinstance(table, str) and table.startswith("Crime & income")
    rendered = table._repr_html_()
    assert rendered.startswith("<table>") and "<caption>Crime &amp; income</caption>" in rendered
    assert rendered.count("<th>") == 2 * (len(fits) + 1)  # the labels and the model names
    assert "<td>INC</td>" in rendered and "Standard errors in parentheses." in rendered
    latex = nm.regression_table(fits, format="latex")
    assert latex._repr_html_() == rendered.replace("<caption>Crime &amp; income</caption>\n", "")


# ------------------------------------------------------------------------- table contents
def _rows(table: str) -> dict[str, list[str]]:
    lines = [[c.strip() for c in ln.strip("|").split("|")] for ln in table.splitlines()]
    return {row[0]: row[1:] for row in lines if len(row) > 1 and row[0]}


def test_diagnostics_of_ols_shown_under_ols_only(fits):
    table = nm.regression_table(
        fits, diagnostics=["moran", "lm_lag", "anselin_kelejian"], format="markdown"
    )
    rows = _rows(table)
    ols_tests = fits["OLS"].spatial_diagnostics()
    moran = rows[ols_tests["moran"].name]
    assert moran[0] == f"{ols_tests['moran'].statistic:.3f}"
    assert moran[1:] == ["", "", ""]  # not the OLS value repeated under SAR, SEM and S2SLS
    assert rows[ols_tests["lm_lag"].name][1:] == ["", "", ""]
    own = fits["S2SLS"].spatial_diagnostics()["anselin_kelejian"]
    assert rows[own.name] == ["", "", "", f"{own.statistic:.3f}"]
    assert "shown under models without rho or lambda only" in table


def test_residual_moran_shown_under_every_model(fits):
    table = nm.regression_table(fits, diagnostics=["moran_resid"], format="markdown")
    rows = _rows(table)
    expected = [nm.diagnostics.residual_moran(res) for res in fits.values()]
    assert rows["Moran's I (residuals)"] == [f"{t.statistic:.3f}" for t in expected]
    assert "own residuals, under randomisation" in table
    assert "shown under models without rho or lambda only" not in table  # nothing blanked


def test_indirect_impacts_of_models_without_spillovers_are_blank(fits):
    table = nm.regression_table(fits, impacts=True, format="markdown")
    lines = table.splitlines()
    start = next(i for i, ln in enumerate(lines) if "*Indirect impacts*" in ln)
    inc = [c.strip() for c in lines[start + 1].strip("|").split("|")]
    assert inc[0] == "INC"
    assert inc[1] == "" and inc[3] == ""  # OLS, SEM: zero by construction
    assert inc[2] == f"{fits['SAR'].impacts().estimates.at['INC', 'indirect']:.3f}"


# ------------------------------------------------------------------------- save and load
@pytest.mark.parametrize("name", ["OLS", "SAR", "SEM", "S2SLS"])
def test_save_and_load_keep_estimates_and_what_follows(fits, name, tmp_path):
    res = fits[name]
    path = tmp_path / f"{name}.nmres"
    res.save(path)
    loaded = nm.load(path)
    assert isinstance(loaded, nm.SpatialResults)
    pd.testing.assert_series_equal(loaded.params, res.params)
    pd.testing.assert_frame_equal(loaded.cov, res.cov)
    assert loaded.summary() == res.summary()
    pd.testing.assert_frame_equal(loaded.impacts().estimates, res.impacts().estimates)
    assert loaded.spec.ids.equals(res.spec.ids)
    assert loaded.spec.weights.equals(res.spec.weights)
    assert not loaded.spec.weights.sparse.data.flags.writeable  # immutable again
    if name == "S2SLS":  # the 2SLS pieces are kept: the covariance still switches
        pd.testing.assert_frame_equal(loaded.with_cov("het").cov, res.with_cov("het").cov)


def test_saved_results_drop_caches(fits, tmp_path):
    res = fits["SAR"]
    res.spec.weights.eigenvalues()  # fills the weights' cache
    assert res.spec.weights._cache
    res.save(tmp_path / "sar.nmres")
    loaded = nm.load(tmp_path / "sar.nmres")
    assert not loaded.spec.weights._cache
    # the likelihood is kept, so the covariance still switches: the same numbers again
    pd.testing.assert_frame_equal(
        loaded.with_cov("hessian").cov, res.with_cov("hessian").cov, rtol=1e-12
    )


def test_load_refuses_other_files_and_versions(fits, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not results")
    with pytest.raises(nm.exceptions.StoredResultsError, match="not a file of saved"):
        nm.load(text)
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(nm.exceptions.StoredResultsError, match="not a file of saved"):
        nm.load(other)
    from naeringsmiljo.results import storage

    old = tmp_path / "old.nmres"
    header = {"kind": storage.FILE_KIND, "format": storage.FORMAT_VERSION + 1, "package": "9"}
    old.write_bytes(pickle.dumps((header, fits["OLS"])))
    with pytest.raises(nm.exceptions.StoredResultsError, match="format version 2"):
        nm.load(old)


# ------------------------------------------------------------------------- simulated economy
def test_simulated_milieu_keeps_codes_as_strings():
    milieu = datasets.simulated_milieu()
    assert milieu.actors.shape == (20_000, 7) and milieu.ties.shape == (30_053, 6)
    assert milieu.outcomes.index.equals(datasets.norway_municipalities().index)
    assert milieu.outcomes.index[0] == "0301"  # the leading zero survives
    assert milieu.actors.loc[0, ["region", "industry"]].tolist() == ["0301", "71.111"]
    assert all(isinstance(v, str) for v in milieu.actors["industry"].head(100))
    assert milieu.actors["industry"].str.fullmatch(r"\d\d\.\d\d\d").all()  # "62.010", not 62.01
    assert milieu.ties["formal"].dtype == bool
    assert milieu.actor_outcomes["innovations"].dtype == np.int64
    assert milieu.truth["seed"] == 2024 and milieu.truth["rho"] == 0.4


def test_simulated_milieu_validates_and_fits():
    milieu = datasets.simulated_milieu()
    w = datasets.norway_weights("knn", k=6)
    data = nm.microdata.Microdata.from_frames(
        milieu.actors,
        milieu.ties,
        milieu.outcomes.reset_index(),
        weights=w,
        outcome_level="region",
    )
    assert len(data.actors) == 20_000
    res = SAR.from_formula(milieu.truth["formula"], milieu.outcomes, w.row_standardize()).fit()
    # the true rho within two standard errors (README of data/simulated: recovered)
    assert abs(res.params["rho"] - milieu.truth["rho"]) < 2 * res.bse["rho"]


@pytest.mark.parametrize("model", ["SAR", "SEM", "SAC"])
def test_results_pickle_with_their_likelihood(model) -> None:
    """Results travel to other processes (Monte Carlo and sweep workers) whole: the design's lag
    operators are picklable objects, not closures, so an unpickled ML fit can still switch its
    covariance."""

    data, w = datasets.columbus(), datasets.columbus_weights("anselin").row_standardize()
    fit = nm.MODELS[model].from_formula("CRIME ~ INC + HOVAL", data, w).fit()
    back = pickle.loads(pickle.dumps(fit))
    # the same numbers computed again from the same arrays: equal to rounding
    np.testing.assert_allclose(
        back.with_cov("hessian").std_errors, fit.with_cov("hessian").std_errors, rtol=1e-12
    )
