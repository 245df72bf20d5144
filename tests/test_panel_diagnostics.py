"""Panel diagnostics (inference/panel_diagnostics.py) and the linearmodels baselines on Produc.

References: Baltagi's textbook table on Munnell's data (REFERENCES.md s. 2: pooled, within and
Swamy-Arora random effects, printed at 4 decimals); R splm 1.6-5 on the same data
(tests/reference/r/generate_produc_splm.R -> produc_splm.json): slmtest, bsktest, sphtest, spgm
(KKP GM error, within and random; within spatial 2SLS).
Size and power of the LM tests: benchmarks/results/panel_lm_size_power.csv (seeded simulation,
tests/test_panel_diagnostics_mc.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import naeringsmiljo as nm
from naeringsmiljo import datasets
from naeringsmiljo.design.panel import period_product, within
from naeringsmiljo.estimators._panel_moments import kkp_gm_error, panel_s2sls
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference import panel_diagnostics as pdg
from naeringsmiljo.models.panel_baselines import panel_baseline

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "tests" / "reference" / "r" / "produc_splm.json").read_text())
FORMULA = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
N, T = 48, 17

# splm's statistics and ours are the same closed forms on the same least-squares residuals; the
# differences are rounding in R's solve(crossprod(X)) against our QR (largest seen 2e-10).
SPLM_RTOL = 1e-8
# The table prints 4 decimals: agree to half a unit in the last printed digit.
PRINTED_ATOL = 0.5e-4

# Baltagi's table (REFERENCES.md s. 2): (coefficient, s.e.) in the order const, pcap, pc, emp, unemp.
BALTAGI = {
    "none": [(1.6433, 0.0576), (0.1550, 0.0172), (0.3092, 0.0103), (0.5939, 0.0137),
             (-0.0067, 0.0014)],
    "entity": [(-0.0261, 0.0290), (0.2920, 0.0251), (0.7682, 0.0301), (-0.0053, 0.0010)],
    "random": [(2.1354, 0.1335), (0.0044, 0.0234), (0.3105, 0.0198), (0.7297, 0.0249),
               (-0.0062, 0.0009)],
}  # fmt: skip


@pytest.fixture(scope="module")
def produc_arrays():
    """y, X (without constant), the constant-augmented X and W, stacked by period."""
    frame = datasets.produc().swaplevel().sort_index()
    y = np.log(frame["gsp"].to_numpy())
    x = np.column_stack(
        [np.log(frame["pcap"]), np.log(frame["pc"]), np.log(frame["emp"]), frame["unemp"]]
    )
    x1 = np.column_stack([np.ones(N * T), x])
    return y, x, x1, datasets.produc_weights().row_standardize()


# ------------------------------------------------------------------- non-spatial baselines
@pytest.mark.parametrize("effects", ["none", "entity", "random"])
def test_baselines_reproduce_baltagis_produc_table(effects):
    fit = panel_baseline(FORMULA, datasets.produc(), effects=effects)
    printed = np.array(BALTAGI[effects])
    np.testing.assert_allclose(fit.params.to_numpy(), printed[:, 0], rtol=0, atol=PRINTED_ATOL)
    np.testing.assert_allclose(fit.std_errors.to_numpy(), printed[:, 1], rtol=0, atol=PRINTED_ATOL)
    assert fit.nobs == N * T and fit.residuals.index.names == ["state", "year"]


def test_within_residuals_are_those_of_the_demeaned_regression(produc_arrays):
    y, x, _, _ = produc_arrays
    fit = panel_baseline(FORMULA, datasets.produc(), effects="entity")
    yq, xq = within(y, N, "entity"), within(x, N, "entity")
    ours = yq - xq @ fit.params.to_numpy()
    theirs = fit.residuals.swaplevel().sort_index().to_numpy()
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)  # same numbers, rounding only


def test_baseline_refuses_a_frame_without_an_entity_time_index():
    with pytest.raises(SpecificationError, match="MultiIndex"):
        panel_baseline(FORMULA, datasets.produc().reset_index())


# ------------------------------------------------------------------------ LM lag and error
@pytest.mark.parametrize(("model", "effects"), [("pooling", "none"), ("within", "entity")])
def test_lm_tests_equal_splm_slmtest(produc_arrays, model, effects):
    y, x, x1, w = produc_arrays
    tests = pdg.panel_lm_tests(
        y, x1 if effects == "none" else x, w, N, T, effects=effects, dof_correction=False
    )
    keys = {"lml": "lm_lag", "lme": "lm_error", "rlml": "rlm_lag", "rlme": "rlm_error"}
    for r_key, ours in keys.items():
        expected = REFERENCE["slmtest"][model][r_key]
        result = getattr(tests, ours)
        np.testing.assert_allclose(result.statistic, expected["statistic"], rtol=SPLM_RTOL)
        np.testing.assert_allclose(result.pvalue, expected["p_value"], rtol=1e-6, atol=1e-300)


def test_pooled_lm_tests_do_not_depend_on_the_dof_correction(produc_arrays):
    y, _, x1, w = produc_arrays
    a = pdg.panel_lm_tests(y, x1, w, N, T, dof_correction=True)
    b = pdg.panel_lm_tests(y, x1, w, N, T, dof_correction=False)
    assert a.lm_error.statistic == pytest.approx(b.lm_error.statistic, rel=1e-14)


def test_fixed_effects_correction_scales_the_error_test_by_t_over_t_minus_1(produc_arrays):
    # With entity effects, sigma^2 uses N(T-1) and the trace T-1: LM_error changes by
    # ((T-1)/T)^2 * T/(T-1) = (T-1)/T exactly.
    y, x, _, w = produc_arrays
    exact = pdg.panel_lm_tests(y, x, w, N, T, effects="entity").lm_error.statistic
    splm = pdg.panel_lm_tests(y, x, w, N, T, effects="entity", dof_correction=False)
    assert exact == pytest.approx(splm.lm_error.statistic * (T - 1) / T, rel=1e-12)


def test_lm_tests_are_invariant_to_permuting_the_entities(produc_arrays):
    y, x, _, w = produc_arrays
    perm = np.random.default_rng(3).permutation(N)
    rows = (np.arange(T)[:, None] * N + perm[None, :]).reshape(-1)
    wp = sp.csr_array(w.sparse)[perm][:, perm]
    a = pdg.panel_lm_tests(y, x, w, N, T, effects="twoways")
    b = pdg.panel_lm_tests(y[rows], x[rows], wp, N, T, effects="twoways")
    assert a.rlm_lag.statistic == pytest.approx(b.rlm_lag.statistic, rel=1e-10)


def test_lm_tests_are_invariant_to_rescaling_a_regressor(produc_arrays):
    y, x, _, w = produc_arrays
    scaled = x * np.array([1.0, 1e6, 1.0, 1e-4])
    a = pdg.panel_lm_tests(y, x, w, N, T, effects="entity")
    b = pdg.panel_lm_tests(y, scaled, w, N, T, effects="entity")
    assert a.rlm_error.statistic == pytest.approx(b.rlm_error.statistic, rel=1e-9)


# ------------------------------------------------------------------- Baltagi, Song and Koh
def test_bsk_marginal_and_joint_tests_equal_splm_bsktest(produc_arrays):
    y, _, x1, w = produc_arrays
    tests = pdg.bsk_tests(y, x1, w, N, T)
    bsk = REFERENCE["bsktest"]
    for r_key, ours in {"LMH": "lm_h", "LM1": "lm1", "LM2": "lm2", "SLM1": "slm1"}.items():
        np.testing.assert_allclose(
            getattr(tests, ours).statistic, bsk[r_key]["statistic"], rtol=SPLM_RTOL
        )
    # LM2^2 is the pooled LM-error test (both are e'(I_T (x) W)e scaled by the same trace).
    np.testing.assert_allclose(
        tests.lm2.statistic**2, REFERENCE["slmtest"]["pooling"]["lme"]["statistic"], rtol=1e-10
    )
    joint = tests.lm1.statistic**2 + tests.lm2.statistic**2
    np.testing.assert_allclose(tests.lm_joint.statistic, joint, rtol=1e-14)


def test_standardised_lm2_uses_the_symmetric_part_of_w(produc_arrays):
    # splm standardises LM2 with tr((M W)^2) of the non-symmetric W; the quadratic form
    # e'We equals e'((W + W')/2)e, whose exact moments use the symmetric part. With W itself in
    # the moment formula the splm number comes back, which checks the plumbing.
    y, _, x1, w = produc_arrays
    wm = sp.csr_array(w.sparse)
    factor = pdg.DesignFactor.of(x1)
    e = factor.residuals(y)
    h = float(e @ period_product(wm, e, N)) / float(e @ e)
    mean, var = pdg._ratio_moments(
        factor, x1, lambda v: period_product(wm, v, N), 0.0, T * float(wm.multiply(wm.T).sum())
    )
    np.testing.assert_allclose(
        (h - mean) / np.sqrt(var), REFERENCE["bsktest"]["SLM2"]["statistic"], rtol=SPLM_RTOL
    )
    ours = pdg.bsk_tests(y, x1, w, N, T).slm2.statistic
    assert abs(ours / REFERENCE["bsktest"]["SLM2"]["statistic"] - 1) > 0.01


def test_ratio_moments_match_a_simulation():
    # Exact mean and variance of e'De/e'e under the null, against 20,000 seeded draws: agree
    # within 4 Monte Carlo standard errors.
    rng = np.random.default_rng(20260512)
    n_units, n_periods = 10, 4
    x = np.column_stack([np.ones(40), rng.normal(size=(40, 2))])
    factor = pdg.DesignFactor.of(x)

    def apply_j(v):
        totals = pdg.entity_sums(v, n_units, n_periods)
        return np.tile(totals, (n_periods,) + (1,) * (v.ndim - 1))

    mean, var = pdg._ratio_moments(factor, x, apply_j, 40.0, 160.0)
    draws = factor.residuals(rng.normal(size=(40, 20_000)))
    ratios = np.einsum("ij,ij->j", draws, apply_j(draws)) / np.einsum("ij,ij->j", draws, draws)
    assert abs(ratios.mean() - mean) < 4 * np.sqrt(var / 20_000)
    squares = (ratios - ratios.mean()) ** 2
    assert abs(squares.mean() - var) < 4 * squares.std() / np.sqrt(20_000)


def test_conditional_bsk_tests_equal_splm_given_its_ml_residuals():
    w = datasets.produc_weights().row_standardize()
    inputs = REFERENCE["clm_inputs"]
    lam = pdg.bsk_conditional_lambda(np.array(inputs["re_residuals"]), w, N, T)
    mu = pdg.bsk_conditional_mu(np.array(inputs["sem_residuals"]), inputs["sem_lambda"], w, N, T)
    # splm prints the square roots of the chi-squared(1) statistics.
    np.testing.assert_allclose(
        np.sqrt(lam.statistic), REFERENCE["bsktest"]["CLMlambda"]["statistic"], rtol=SPLM_RTOL
    )
    np.testing.assert_allclose(
        np.sqrt(mu.statistic), REFERENCE["bsktest"]["CLMmu"]["statistic"], rtol=SPLM_RTOL
    )


# ------------------------------------------------------------------------- spatial Hausman
def _fit(key):
    fit = REFERENCE["spml"][key]
    names = fit["names_vcov"]
    return pd.Series(fit["coefficients"]), pd.DataFrame(fit["vcov_beta"], index=names, columns=names)


def test_spatial_hausman_equals_splm_sphtest():
    fe, re = _fit("within_error_kkp"), _fit("random_error_kkp")
    refused = pdg.spatial_hausman(*fe, *re)
    # On Produc V_FE - V_RE is indefinite; the test says so instead of printing a number.
    assert not refused.applies and "positive definite" in refused.reason
    result = pdg.spatial_hausman(*fe, *re, allow_indefinite=True)
    expected = REFERENCE["sphtest"]["ml_error"]
    np.testing.assert_allclose(result.statistic, expected["statistic"], rtol=SPLM_RTOL)
    assert result.df == expected["df"] == 4


def test_spatial_hausman_is_chi_squared_under_a_known_difference():
    params_fe = pd.Series({"a": 1.0, "b": 2.0, "rho": 0.5})
    params_re = pd.Series({"const": 3.0, "a": 0.0, "b": 2.0})
    names_fe = ["a", "b", "rho"]
    cov_fe = pd.DataFrame(np.diag([2.0, 2.0, 1.0]), index=names_fe, columns=names_fe)
    cov_re = pd.DataFrame(np.eye(3), index=["const", "a", "b"], columns=["const", "a", "b"])
    result = pdg.spatial_hausman(params_fe, cov_fe, params_re, cov_re)
    assert result.statistic == pytest.approx(1.0) and result.df == 2


# ------------------------------------------------------------------------------- bad input
def test_w_over_the_observations_is_refused(produc_arrays):
    y, x, _, _ = produc_arrays
    with pytest.raises(SpecificationError, match="over the entities"):
        pdg.panel_lm_tests(y, x, sp.identity(N * T, format="csr"), N, T)


def test_a_regressor_without_within_variation_is_named(produc_arrays):
    y, x, x1, w = produc_arrays
    with pytest.raises(SpecificationError, match=r"column\(s\) \[0\]"):
        pdg.panel_lm_tests(y, x1, w, N, T, effects="entity")


def test_wrong_panel_length_is_refused(produc_arrays):
    y, x, _, w = produc_arrays
    with pytest.raises(SpecificationError, match="balanced panel"):
        pdg.panel_lm_tests(y[:-1], x[:-1], w, N, T)


# ------------------------------------------------------------------- GM and S2SLS on a panel
# splm's spgm minimises with nlminb (relative tolerance about 1e-10 on the objective); ours is the
# exact minimiser of the same quartic, so the two agree to about 1e-9 (largest seen 1.1e-9).
GM_RTOL = 1e-7


def _values(mapping):
    return np.array(list(mapping.values()) if isinstance(mapping, dict) else mapping)


@pytest.mark.parametrize("effects", ["entity", "random"])
def test_kkp_gm_error_equals_splm_spgm(produc_arrays, effects):
    y, x, x1, w = produc_arrays
    fit = kkp_gm_error(
        y, x1 if effects == "random" else x, sp.csr_array(w.sparse), N, T, effects=effects
    )
    reference = REFERENCE["spgm"]["within_error" if effects == "entity" else "random_error"]
    np.testing.assert_allclose(fit.beta, _values(reference["coefficients"]), rtol=GM_RTOL)
    np.testing.assert_allclose(
        np.sqrt(np.diag(fit.cov)), _values(reference["std_errors"]), rtol=GM_RTOL
    )
    variance = [fit.lam, fit.sigma2_v] + ([fit.sigma2_1, fit.theta] if effects == "random" else [])
    np.testing.assert_allclose(variance, reference["rho"], rtol=GM_RTOL)


def test_panel_s2sls_equals_splm_spgm_lag(produc_arrays):
    y, x, _, w = produc_arrays
    fit = panel_s2sls(y, x, sp.csr_array(w.sparse), N, T, effects="entity")
    reference = REFERENCE["spgm"]["within_lag"]
    np.testing.assert_allclose(fit.params, _values(reference["coefficients"]), rtol=1e-10)
    # splm divides the sum of squares by N T - k - 1 = 811; we by N (T - 1) - k - 1 = 763, the
    # degrees of freedom left after the N entity means: our s.e. are sqrt(811 / 763) larger.
    converted = np.sqrt(np.diag(fit.cov)) * np.sqrt((N * (T - 1) - 5) / (N * T - 5))
    np.testing.assert_allclose(converted, _values(reference["std_errors"]), rtol=1e-10)


def test_kkp_gm_recovers_lambda_in_a_seeded_simulation():
    # lambda = 0.5, random effects: the mean estimate over 200 replications lies within 3 Monte
    # Carlo s.e. of the truth (a GM estimator is consistent, its small-sample bias is small).
    w = datasets.produc_weights().row_standardize()
    wm = sp.csr_array(w.sparse)
    n, t = w.n, 5
    inverse = np.linalg.inv(np.eye(n) - 0.5 * wm.toarray())
    estimates = []
    for r in range(200):
        rng = np.random.default_rng(np.random.SeedSequence(2026, spawn_key=(r,)))
        x = np.column_stack([np.ones(n * t), rng.normal(size=n * t)])
        e = np.tile(rng.normal(scale=0.7, size=n), t) + rng.normal(size=n * t)
        u = (inverse @ e.reshape(t, n).T).T.reshape(-1)
        estimates.append(kkp_gm_error(x @ [1.0, 2.0] + u, x, wm, n, t).lam)
    estimates = np.array(estimates)
    assert abs(estimates.mean() - 0.5) < 3 * estimates.std() / np.sqrt(len(estimates))


def test_baseline_is_a_column_of_a_regression_table():
    frame, w = datasets.produc(), datasets.produc_weights().row_standardize()
    within = panel_baseline(FORMULA, frame, effects="entity")
    sem = nm.SEM.from_formula(FORMULA, frame, w, effects="entity").fit()
    text = nm.regression_table({"FE": within, "FE SEM": sem}, fit_stats=("nobs", "r2"))
    assert "Within (entity)" in text and "-0.026" in text and "0.557" in text
    assert within.pvalues["unemp"] < 1e-6


def test_conditional_mu_test_from_our_pooled_error_fit_equals_splm():
    # End to end: the pooled SEM by our ML (lambda 0.520844, splm's optimiser stops about 1e-7
    # short of the maximiser: REFERENCES.md s. 5), its residuals y - X b, then LM*-mu.
    frame, w = datasets.produc(), datasets.produc_weights().row_standardize()
    fit = nm.SEM.from_formula(FORMULA, frame, w, effects="none").fit()
    spec = fit.spec
    residuals = spec.y - spec.x @ fit.params.drop("lambda").to_numpy()
    test = pdg.bsk_conditional_mu(residuals, fit.params["lambda"], w, N, T)
    np.testing.assert_allclose(
        np.sqrt(test.statistic), REFERENCE["bsktest"]["CLMmu"]["statistic"], rtol=1e-6
    )
