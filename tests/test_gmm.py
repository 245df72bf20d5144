"""GMM and IV estimators against spreg (run live) and R spatialreg (stored output).

Peers and their conventions:

* spreg ``GM_Lag``: instruments ``[X, WX, ..., W^{w_lags}X]`` (``w_lags=1`` by default), and with
  ``slx_lags=1`` (SDM) ``[X, WX, W^2X, ...]``; covariance ``sigma^2 (Z'P_H Z)^{-1}`` with divisor
  n; ``robust="white"`` and ``robust="hac"`` (kernel weights ``gwk``) sandwiches.
* spreg ``GM_Error`` (KP 1999; FGLS covariance with the FGLS residuals, divisor n),
  ``GM_Error_Het`` (Arraiz et al. 2010), ``GM_Error_Hom`` (Drukker et al. 2013),
  ``GM_Combo_Het`` (GS2SLS), all with ``max_iter=1``. spreg minimises the moments with L-BFGS-B
  and a numerical gradient, which leaves lambda up to ~5e-7 (relative) from the exact minimiser
  that we compute from the roots of the cubic first-order condition.
* R ``stsls``: instruments ``[X, WX, W^2X]``, divisor ``n - k`` (k counts rho);
  ``gstsls``: KP 1998 GS2SLS with the KP 1999 moments, second-step covariance with divisor
  ``n - k``, no standard error for lambda; ``GMerrorsar``: KP 1999 moments, FGLS, and
  ``sigma^2 = e'e/n`` from the *OLS* residuals filtered by lambda (not the FGLS residuals).
"""

from __future__ import annotations

import json
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import pytest
import spreg

import naeringsmiljo as nm
from naeringsmiljo.exceptions import SingularDesignError, WeightsError
from naeringsmiljo.inference.covariance import hac_kernel
from peers import libpysal_w

FORMULA = "CRIME ~ INC + HOVAL"
R_REF = json.loads(
    (Path(__file__).parent / "reference" / "r" / "columbus_spatialreg.json").read_text()
)
# spreg's numerical L-BFGS-B search for lambda stops up to ~5e-7 from the exact minimiser
# (measured); coefficients and standard errors inherit that. Estimators without a lambda search
# (2SLS) agree to rounding.
RTOL_SPREG_LAMBDA = 2e-6
RTOL_EXACT = 1e-10  # closed-form 2SLS: the same algebra, different operation order
RTOL_R = 1e-8  # R's stored values are at 17 digits and 2SLS is closed form
# R's gstsls and GMerrorsar minimise the KP moments with nlminb, which stops ~5e-8 (absolute)
# from the exact minimiser of lambda; the coefficients move by less than 1e-7 relative.
ATOL_R_LAMBDA = 1e-7


@pytest.fixture(scope="module", params=["anselin", "queen"])
def setting(request):
    w = nm.datasets.columbus_weights(request.param).row_standardize()
    data = nm.datasets.columbus().loc[w.ids]
    y = data[["CRIME"]].to_numpy()
    x = data[["INC", "HOVAL"]].to_numpy()
    return request.param, data, w, libpysal_w(request.param), y, x


def _compare(ours: nm.SpatialResults, betas, vm, rtol: float) -> None:
    np.testing.assert_allclose(ours.params.to_numpy(), np.ravel(betas), rtol=rtol)
    k = vm.shape[0]
    np.testing.assert_allclose(ours.std_errors.to_numpy()[:k], np.sqrt(np.diag(vm)), rtol=rtol)


@pytest.mark.parametrize("w_lags", [1, 2])
def test_s2sls_equals_spreg_gm_lag(setting, w_lags) -> None:
    _, data, w, lw, y, x = setting
    peer = spreg.GM_Lag(y, x, w=lw, w_lags=w_lags)
    ours = nm.SAR.from_formula(FORMULA, data, w).fit(method="gmm", w_lags=w_lags)
    _compare(ours, peer.betas, peer.vm, RTOL_EXACT)
    white = spreg.GM_Lag(y, x, w=lw, w_lags=w_lags, robust="white")
    _compare(ours.with_cov("het"), white.betas, white.vm, RTOL_EXACT)


def test_sdm_s2sls_equals_spreg_slx_lags(setting) -> None:
    _, data, w, lw, y, x = setting
    peer = spreg.GM_Lag(y, x, w=lw, w_lags=1, slx_lags=1)
    # spreg orders [CONSTANT, x..., W_x..., W_y] (its name_z), as we do
    assert (
        len(peer.name_z) == 6 and peer.name_z[3].startswith("W_") and peer.name_z[-1] == "W_dep_var"
    )
    ours = nm.SDM.from_formula(FORMULA, data, w).fit(method="gmm", w_lags=1)
    _compare(ours, peer.betas, peer.vm, RTOL_EXACT)


def test_hac_equals_spreg(setting) -> None:
    """KP (2007) HAC with the same kernel matrix as spreg's ``gwk``; and our kernel builder."""
    _, data, w, lw, y, x = setting
    coords = data[["X", "Y"]].to_numpy()
    gwk = libpysal.weights.Kernel(coords, k=6, function="triangular", fixed=False, diagonal=True)
    peer = spreg.GM_Lag(y, x, w=lw, w_lags=2, robust="hac", gwk=gwk)
    ours = nm.SAR.from_formula(FORMULA, data, w).fit(method="gmm", w_lags=2)
    _compare(ours.with_cov("hac", kernel=gwk.sparse), peer.betas, peer.vm, RTOL_EXACT)
    # the same kernel from our builder: adaptive bandwidth = libpysal's (distance to the
    # 7th point counting the unit itself, times 1 + 1e-7, libpysal's padding)
    kernel = hac_kernel(coords, np.asarray(gwk.bandwidth).ravel(), kernel="triangular")
    np.testing.assert_allclose(kernel.toarray(), gwk.sparse.toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("variant", "peer"),
    [("kp99", spreg.GM_Error), ("het", spreg.GM_Error_Het), ("hom", spreg.GM_Error_Hom)],
)
def test_gm_error_equals_spreg(setting, variant, peer) -> None:
    _, data, w, lw, y, x = setting
    reference = peer(y, x, w=lw)
    ours = nm.SEM.from_formula(FORMULA, data, w).fit(method="gmm", variant=variant)
    _compare(ours, reference.betas, reference.vm, RTOL_SPREG_LAMBDA)
    if variant == "kp99":
        assert np.isnan(ours.std_errors["lambda"])  # KP (1999) give no standard error
    # the exact minimiser: spreg's lambda is within its search tolerance of ours
    assert abs(ours.params["lambda"] - reference.betas[-1, 0]) < 1e-6


def test_gs2sls_het_equals_spreg_combo(setting) -> None:
    _, data, w, lw, y, x = setting
    reference = spreg.GM_Combo_Het(y, x, w=lw, w_lags=1)
    ours = nm.SAC.from_formula(FORMULA, data, w).fit(method="gmm", w_lags=1)
    _compare(ours, reference.betas, reference.vm, RTOL_SPREG_LAMBDA)


def test_endogenous_regressor_equals_spreg(setting) -> None:
    """HOVAL endogenous, instrumented by DISCBD (and its spatial lag, as spreg's lag_q)."""
    _, data, w, lw, y, _x = setting
    reference = spreg.GM_Lag(
        y,
        data[["INC"]].to_numpy(),
        yend=data[["HOVAL"]].to_numpy(),
        q=data[["DISCBD"]].to_numpy(),
        w=lw,
        w_lags=1,
    )
    ours = nm.SAR.from_formula(FORMULA, data, w, endog=["HOVAL"], instruments=["DISCBD"]).fit(
        method="gmm", w_lags=1
    )
    # spreg orders [CONSTANT, INC, HOVAL (endogenous), W_CRIME]: the same as ours here
    _compare(ours, reference.betas, reference.vm, RTOL_EXACT)
    with pytest.raises(ValueError, match="method='gmm'"):
        nm.SAR.from_formula(FORMULA, data, w, endog=["HOVAL"], instruments=["DISCBD"]).fit()


@pytest.mark.parametrize("weights", ["anselin", "queen"])
def test_stsls_and_gstsls_equal_r(weights) -> None:
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights(weights).row_standardize()
    for model, key, kwargs in [
        (nm.SAR, "STSLS", {}),
        (nm.SAC, "GSTSLS", {"variant": "kp99"}),
    ]:
        ref = R_REF[weights][key]
        ours = model.from_formula(FORMULA, data, w).fit(method="gmm", df_correction=True, **kwargs)
        expected = pd.Series(ref["coefficients_canonical"])[ours.params.index]
        tol = RTOL_R if key == "STSLS" else ATOL_R_LAMBDA
        np.testing.assert_allclose(ours.params, expected, rtol=tol, atol=tol)
        se = pd.Series(ref["std_errors_canonical"]).dropna()
        np.testing.assert_allclose(ours.std_errors[se.index], se, rtol=tol)


def test_s2sls_reproduces_the_published_line(columbus, w_anselin) -> None:
    """R spatialreg's documentation (REFERENCES.md s. 1): S2SLS with [WX, W^2X], divisor n - k."""
    ours = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm", df_correction=True)
    printed = {
        "rho": (0.454567, 0.185118),
        "Intercept": (43.793442, 10.952229),
        "INC": (-1.000716, 0.383858),
        "HOVAL": (-0.265489, 0.091852),
    }
    for name, (estimate, se) in printed.items():
        assert abs(ours.params[name] - estimate) <= 0.5e-6  # half a unit of the 6th decimal
        assert abs(ours.std_errors[name] - se) <= 0.5e-6


@pytest.mark.parametrize("weights", ["anselin", "queen"])
def test_kp99_equals_r_gmerrorsar(weights) -> None:
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights(weights).row_standardize()
    ref = R_REF[weights]["GMerrorsar"]
    ours = nm.SEM.from_formula(FORMULA, data, w).fit(method="gmm", variant="kp99")
    expected = pd.Series(ref["coefficients_canonical"])[ours.params.index]
    np.testing.assert_allclose(ours.params, expected, rtol=1e-7)  # R's nlminb on the moments
    # R's sigma^2: OLS residuals filtered by lambda, e'e/n; rescale our FGLS covariance by it
    x, y = ours.spec.x, ours.spec.y
    e_ols = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    et = e_ols - ours.params["lambda"] * (w.sparse @ e_ols)
    np.testing.assert_allclose(et @ et / len(y), ref["sigma2"], rtol=1e-7)
    rescaled = ours.std_errors.iloc[:3] * np.sqrt(ref["sigma2"] / ours.sigma2)
    expected_se = pd.Series(ref["std_errors_canonical"])[rescaled.index]
    np.testing.assert_allclose(rescaled, expected_se, rtol=1e-7)


def test_covariance_switch_returns_new_object(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm")
    het = res.with_cov("het")
    assert het is not res and het.cov_type.startswith("2SLS, het") and res.cov_type == "2SLS, hom"
    pd.testing.assert_series_equal(het.params, res.params)
    assert not np.allclose(het.std_errors, res.std_errors)
    ml = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit()
    switched = ml.with_cov("hessian")
    direct = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(cov="hessian")
    np.testing.assert_allclose(switched.std_errors, direct.std_errors, rtol=1e-12)
    sem = nm.SEM.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm")
    with pytest.raises(ValueError, match="cannot be switched"):
        sem.with_cov("het")


def test_sandwich_equals_information_under_the_model() -> None:
    """Simulated homoskedastic SAR, n = 400: the QML sandwich agrees with the information
    matrix up to sampling noise of the outer product (a few percent)."""
    rng = np.random.default_rng(11)
    n = 400
    pts = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["a", "b"])
    w = nm.weights.knn(pts, 6).row_standardize()
    x = rng.normal(size=n)
    a = np.eye(n) - 0.4 * w.sparse.toarray()
    y = np.linalg.solve(a, 1.0 + 2.0 * x + rng.normal(size=n))
    frame = pd.DataFrame({"y": y, "x": x})
    info = nm.SAR.from_formula("y ~ x", frame, w).fit()
    sandwich = info.with_cov("sandwich")
    np.testing.assert_allclose(sandwich.std_errors, info.std_errors, rtol=0.15)


def test_rank_deficient_moments_raise() -> None:
    """Residuals without spatial variation (W u = 0 for every u) leave G rank deficient."""
    import scipy.sparse as sp

    from naeringsmiljo.estimators._moments import kp99_moments, solve_lambda, two_moments

    n = 10
    zero_w = sp.csr_array((n, n))
    u = np.random.default_rng(0).normal(size=n)
    with pytest.raises(SingularDesignError, match="rank deficient"):
        solve_lambda(kp99_moments(u, zero_w, 0.0), (-0.99, 0.99))
    with pytest.raises(SingularDesignError, match="rank deficient"):
        solve_lambda(two_moments(u, zero_w, zero_w), (-0.99, 0.99))


def test_bad_gmm_input(columbus, w_anselin) -> None:
    data = columbus.assign(one=1.0)
    # only a constant: there is nothing to lag, the instruments cannot identify rho
    with pytest.raises(SingularDesignError):
        nm.SAR.from_formula("CRIME ~ 1", data, w_anselin).fit(method="gmm")
    with pytest.raises(ValueError, match="variant"):
        nm.SAC.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm", variant="hom")
    with pytest.raises(ValueError, match="no spatial parameter"):
        nm.SLX.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm")
    with pytest.raises(WeightsError, match="bandwidth"):
        hac_kernel(columbus[["X", "Y"]].to_numpy(), 1e-6)
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(method="gmm")
    with pytest.raises(ValueError, match="kernel"):
        res.with_cov("hac")


def test_instruments_keep_the_factor_that_decided_their_rank() -> None:
    """``instrument_matrix`` drops the columns in the span of earlier ones and returns the QR
    factor of the columns it keeps, which every 2SLS step reuses: an external instrument that
    repeats a regressor (and its lag, which repeats the regressor's lag) goes, and the factor
    spans exactly the kept columns."""
    from naeringsmiljo.estimators import _moments as gmm

    w = nm.datasets.columbus_weights("queen").row_standardize()
    data = nm.datasets.columbus().loc[w.ids]
    x = np.column_stack([np.ones(w.n), data["INC"], data["HOVAL"]])
    names = ["Intercept", "INC", "HOVAL"]
    external = data[["INC"]].to_numpy() * 1e3  # INC in other units: still the same column
    inst = gmm.instrument_matrix(x, names, w.sparse, w_lags=1, endog=("HOVAL",), external=external)
    assert inst.names == ["Intercept", "INC", "W_INC"]
    assert inst.matrix.shape == (w.n, 3)
    assert inst.factor.full_rank and inst.factor.scale.size == 3
    # Q spans the kept columns: their residuals on Q are rounding (columns of norm ~1e2-1e3)
    scale = np.linalg.norm(inst.matrix, axis=0)
    np.testing.assert_allclose(
        inst.factor.residuals(inst.matrix) / scale, 0.0, atol=1e-12
    )  # 1e-12: a few ulps of unit columns, far below any real distance from the span
    full = gmm.instrument_matrix(x, names, w.sparse, w_lags=1)
    assert full.names == ["Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL"]
    np.testing.assert_array_equal(full.factor.q, nm.linalg.DesignFactor.of(full.matrix).q)
