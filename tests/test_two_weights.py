"""SAC and GNS with different weights for the lag of y and for the error (and Durbin lags on a
third matrix): agreement with R spatialreg, properties, the summary, GS2SLS against a
hand-written reference, and bad input.

The model is y = rho W1 y + X beta [+ W3 X theta] + u, u = lambda W2 u + e. The R reference
values come from ``tests/reference/r/generate_columbus_two_weights.R`` (``sacsarlm(...,
listw = W1, listw2 = W2, method = "eigen")``, with ``Durbin = TRUE`` for GNS, whose lags use
W1) and are stored in ``tests/reference/r/columbus_two_weights.json``; see the last section of
``tests/reference/r/README.md``. The two matrices are queen contiguity and k = 4 nearest
neighbours, read as directed POLYID edges and row-standardised.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.optimize

import naeringsmiljo as nm
from naeringsmiljo.exceptions import IdMismatchError

REFERENCE_DIR = Path(__file__).parent / "reference" / "r"
REFERENCE = json.loads((REFERENCE_DIR / "columbus_two_weights.json").read_text())
FORMULA = "CRIME ~ INC + HOVAL"
PAIRS = ("queen_knn4", "knn4_queen", "queen_queen", "knn4_knn4")
MODELS = ("SAC", "GNS")

# R's nlminb() stops up to ~1e-7 short of the maximiser of this flat likelihood (we solve the
# score equation; the README's independent numpy maximisation agrees with R to 6e-8 in rho and
# lambda): that moves the coefficients by up to ~3e-7 relative (measured), hence 1e-6.
RTOL_COEF = 1e-6
# The analytic covariance (information matrix with W1 and W2 separately) is evaluated at those
# slightly different estimates; measured differences are below 5e-7 relative.
RTOL_VCOV = 1e-5
# The log-likelihood differs only by the second-order effect of the stopping gap (measured
# ~4e-16 relative), so this is tighter than the 1e-8 that would already be informative.
RTOL_LOGLIK = 1e-10
# cov="hessian" against R's vcov_observed_cd: that Hessian is by central differences, stable to
# ~1e-6 relative when its steps change, and evaluated at R's estimates (~1e-7 away). Measured:
# standard errors within 1e-6, covariance entries within 1e-5 of the correlation scale. 1e-4
# leaves room for the difference-step error while still catching any wrong term (dropping the
# W2 part of the Hessian changes the standard errors by percents).
RTOL_HESSIAN = 1e-4
# Properties that must hold to rounding: the same computation on the same numbers.
RTOL_SAME = 1e-12
# scipy's least_squares on the three Kelejian-Prucha moments stops at its tolerances (measured
# agreement with the package's exact quartic solution ~1e-8 relative); the 2SLS steps are linear
# algebra. 1e-6 as for the R comparisons.
RTOL_GMM_REFERENCE = 1e-6
# A SAR on hand-built lagged columns is the same likelihood as the SDM with w_durbin=; only the
# optimiser's path may differ by rounding.
RTOL_HAND_BUILT = 1e-10


# --------------------------------------------------------------------------- fixtures/helpers
def _edges_weights(name: str, ids: pd.Index) -> nm.SpatialWeights:
    edges = pd.read_csv(REFERENCE_DIR / f"columbus_{name}_edges.csv")
    return nm.SpatialWeights.from_edges(
        edges, source="source", target="target", ids=ids
    ).row_standardize()


@pytest.fixture(scope="module")
def weights(columbus: pd.DataFrame) -> dict[str, nm.SpatialWeights]:
    """Queen and knn4, row-standardised, ids = the POLYIDs of the data (its index)."""
    assert columbus.index.name == "POLYID"
    return {name: _edges_weights(name, columbus.index) for name in ("queen", "knn4")}


def _pair(weights: dict[str, nm.SpatialWeights], pair: str):
    w1, w2 = pair.split("_")
    return weights[w1], weights[w2]


def _model(model: str, data: pd.DataFrame, w, w_error=None, **kwargs) -> nm.SpatialModel:
    return getattr(nm, model).from_formula(FORMULA, data, w=w, w_error=w_error, **kwargs)


def _reference_params(ref: dict) -> dict[str, float]:
    return {**ref["coefficients_canonical"], "rho": ref["rho"], "lambda": ref["lambda"]}


def _reference_matrix(ref: dict, key: str) -> tuple[list[str], np.ndarray]:
    return ref[key]["names_canonical"], np.array(ref[key]["matrix"])


def test_weights_match_the_reference(columbus, weights):
    queen, knn4 = weights["queen"], weights["knn4"]
    assert queen.nnz == 236 and knn4.nnz == 196
    assert (knn4.cardinalities == 4).all()
    np.testing.assert_allclose(np.asarray(knn4.sparse.sum(axis=1)).ravel(), 1.0, rtol=RTOL_SAME)
    # queen from the edges is libpysal's columbus.gal, the package's own queen matrix
    assert queen.equals(nm.datasets.columbus_weights("queen").row_standardize().reorder(queen.ids))
    assert not knn4.is_symmetric
    for pair in PAIRS:
        w1, w2 = pair.split("_")
        assert (REFERENCE[pair]["W1"], REFERENCE[pair]["W2"]) == (w1, w2)


# --------------------------------------------------------------------------- 1. ML vs R
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("pair", PAIRS)
def test_ml_agrees_with_spatialreg(columbus, weights, pair: str, model: str) -> None:
    ref = REFERENCE[pair][model]
    w1, w2 = _pair(weights, pair)
    res = _model(model, columbus, w1, w2).fit()
    expected = _reference_params(ref)
    assert set(expected) == set(res.params.index)
    for name, value in expected.items():
        np.testing.assert_allclose(res.params[name], value, rtol=RTOL_COEF, err_msg=name)
    names, vcov = _reference_matrix(ref, "vcov")  # resvar_full without the sigma2 row/column
    np.testing.assert_allclose(res.cov.loc[names, names].to_numpy(), vcov, rtol=RTOL_VCOV)
    np.testing.assert_allclose(res.loglik, ref["loglik"], rtol=RTOL_LOGLIK)
    np.testing.assert_allclose(res.sigma2, ref["sigma2"], rtol=RTOL_COEF)  # both SSE/n
    assert res.n_params == ref["n_params"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("pair", PAIRS)
def test_ml_hessian_covariance_agrees_with_central_differences(
    columbus, weights, pair: str, model: str
) -> None:
    ref = REFERENCE[pair][model]
    assert "vcov_observed_cd" in ref, "the generator script stores it for every pair and model"
    w1, w2 = _pair(weights, pair)
    res = _model(model, columbus, w1, w2).fit(cov="hessian")
    names, expected = _reference_matrix(ref, "vcov_observed_cd")
    ours = res.cov.loc[names, names].to_numpy()
    se_ref = np.sqrt(np.diag(expected))
    np.testing.assert_allclose(np.sqrt(np.diag(ours)), se_ref, rtol=RTOL_HESSIAN)
    # every entry, on the scale of the correlations (off-diagonal entries may be near zero)
    np.testing.assert_allclose(
        ours / np.outer(se_ref, se_ref), expected / np.outer(se_ref, se_ref), atol=RTOL_HESSIAN
    )
    # the same as switching the covariance of the default fit
    switched = _model(model, columbus, w1, w2).fit().with_cov("hessian")
    np.testing.assert_allclose(switched.cov.to_numpy(), res.cov.to_numpy(), rtol=RTOL_SAME)


# --------------------------------------------------------------------------- 2. w_error = w
def _equal_copy(w: nm.SpatialWeights) -> nm.SpatialWeights:
    """Equal weights in a distinct object (own matrix buffers), rows in reversed id order."""
    copy = nm.SpatialWeights.from_sparse(w.sparse.copy(), ids=w.ids.copy(), transform="r")
    return copy.reorder(w.ids[::-1])


@pytest.mark.parametrize("same", ["object", "equal_copy"])
@pytest.mark.parametrize(
    "fit_options",
    [{}, {"method": "gmm"}, {"method": "gmm", "variant": "kp99"}],
    ids=["ml", "gmm_het", "gmm_kp99"],
)
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", ["queen", "knn4"])
def test_w_error_equal_to_w_changes_nothing(
    columbus, weights, name: str, model: str, fit_options: dict, same: str
) -> None:
    w = weights[name]
    w_error = w if same == "object" else _equal_copy(w)
    assert w_error is w or not w_error.ids.equals(w.ids)
    plain = _model(model, columbus, w).fit(**fit_options)
    given = _model(model, columbus, w, w_error).fit(**fit_options)
    np.testing.assert_allclose(given.params.to_numpy(), plain.params.to_numpy(), rtol=RTOL_SAME)
    np.testing.assert_allclose(
        given.cov.to_numpy(), plain.cov.to_numpy(), rtol=RTOL_SAME, atol=0.0, equal_nan=True
    )
    np.testing.assert_allclose(given.sigma2, plain.sigma2, rtol=RTOL_SAME)
    if not fit_options:
        np.testing.assert_allclose(given.loglik, plain.loglik, rtol=RTOL_SAME)
    assert given.spec.terms.shared_weights
    assert "Spatial terms:" not in given.summary()


# --------------------------------------------------------------------------- 3. swap, summary
@pytest.mark.parametrize("model", MODELS)
def test_swapping_the_matrices_changes_the_estimates(columbus, weights, model: str) -> None:
    queen, knn4 = weights["queen"], weights["knn4"]
    for options in ({}, {"method": "gmm"}, {"method": "gmm", "variant": "kp99"}):
        a = _model(model, columbus, queen, knn4).fit(**options)
        b = _model(model, columbus, knn4, queen).fit(**options)
        for p in ("rho", "lambda"):
            assert abs(a.params[p] - b.params[p]) > 0.05, (options, p)
    # and with ML the swap is what R finds (rho -0.02 vs 0.46 for SAC)
    a = _model(model, columbus, queen, knn4).fit()
    b = _model(model, columbus, knn4, queen).fit()
    np.testing.assert_allclose(
        a.params["rho"], REFERENCE["queen_knn4"][model]["rho"], rtol=RTOL_COEF
    )
    np.testing.assert_allclose(
        b.params["rho"], REFERENCE["knn4_queen"][model]["rho"], rtol=RTOL_COEF
    )


def _spatial_terms_block(summary: str) -> list[str]:
    lines = summary.splitlines()
    assert lines.count("Spatial terms:") == 1
    start = lines.index("Spatial terms:") + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


@pytest.mark.parametrize("options", [{}, {"method": "gmm", "variant": "kp99"}], ids=["ml", "gmm"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("pair", ["queen_knn4", "knn4_queen"])
def test_summary_names_the_weights_of_each_term(
    columbus, weights, pair: str, model: str, options: dict
) -> None:
    w1, w2 = _pair(weights, pair)
    assert w1.describe() != w2.describe()  # 236 vs 196 links: the lines tell them apart
    summary = _model(model, columbus, w1, w2).fit(**options).summary()
    assert "Weights:" not in summary
    expected = [f"  rho W y: {w1.describe()}", f"  lambda W u: {w2.describe()}"]
    if model == "GNS":  # the Durbin lags use w (W1) when w_durbin is not given
        expected.append(f"  theta W X: {w1.describe()}")
    assert _spatial_terms_block(summary) == expected


def test_summary_names_a_third_matrix_for_the_durbin_lags(columbus, weights) -> None:
    queen, knn4 = weights["queen"], weights["knn4"]
    res = _model("GNS", columbus, knn4, queen, w_durbin=queen).fit()
    assert _spatial_terms_block(res.summary()) == [
        f"  rho W y: {knn4.describe()}",
        f"  lambda W u: {queen.describe()}",
        f"  theta W X: {queen.describe()}",
    ]


def test_eigenvalue_bounds_of_the_two_matrices(weights) -> None:
    """Both row-standardised: the largest eigenvalue is 1 for both, up to LAPACK rounding (not
    exactly: measured 1 + 2.2e-16 for queen, 1 - 5.6e-16 for knn4, so knn4's interval ends at
    1 + 6.7e-16). The smallest real parts differ (queen -0.6517, knn4 -0.6489), so the
    parameter intervals differ at their lower ends (-1.5345 vs -1.5411)."""
    queen, knn4 = weights["queen"], weights["knn4"]
    (q_low, q_high), (k_low, k_high) = queen.eigenvalue_bounds(), knn4.eigenvalue_bounds()
    np.testing.assert_allclose([q_high, k_high], 1.0, rtol=RTOL_SAME)
    assert abs(q_low - k_low) > 1e-3
    (qi_low, qi_high), (ki_low, ki_high) = queen.parameter_interval(), knn4.parameter_interval()
    np.testing.assert_allclose([qi_high, ki_high], 1.0, rtol=RTOL_SAME)
    assert abs(qi_low - ki_low) > 1e-3
    # the lower ends are R's (each matrix's interval as W1 in the reference; see the next test)
    np.testing.assert_allclose(
        qi_low, REFERENCE["queen_knn4"]["SAC"]["interval_rho"][0], rtol=RTOL_SAME
    )
    np.testing.assert_allclose(
        ki_low, REFERENCE["knn4_queen"]["SAC"]["interval_rho"][0], rtol=RTOL_SAME
    )


@pytest.mark.parametrize("options", [{}, {"method": "gmm"}], ids=["ml", "gmm"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("pair", ["queen_knn4", "knn4_queen"])
def test_each_parameter_has_the_interval_of_its_own_matrix(
    columbus, weights, pair: str, model: str, options: dict
) -> None:
    w1, w2 = _pair(weights, pair)
    res = _model(model, columbus, w1, w2).fit(**options)
    intervals = res.record.intervals
    assert list(intervals) == ["rho", "lambda"]
    np.testing.assert_allclose(intervals["rho"], w1.parameter_interval(), rtol=RTOL_SAME)
    np.testing.assert_allclose(intervals["lambda"], w2.parameter_interval(), rtol=RTOL_SAME)
    assert intervals["rho"] != intervals["lambda"]
    assert abs(intervals["rho"][0] - intervals["lambda"][0]) > 1e-3
    # rho's interval is R's; R takes lambda's from W1 too (a spatialreg quirk, README), so ours
    # is compared with R's interval of the fit where W2 is the first matrix
    ref = REFERENCE[pair][model]
    swapped = REFERENCE["_".join(reversed(pair.split("_")))][model]
    np.testing.assert_allclose(intervals["rho"], ref["interval_rho"], rtol=RTOL_SAME)
    np.testing.assert_allclose(intervals["lambda"], swapped["interval_rho"], rtol=RTOL_SAME)
    # the summary prints one interval per parameter
    summary = res.summary()
    assert "Parameter interval:" not in summary
    low_rho, low_lambda = intervals["rho"][0], intervals["lambda"][0]
    assert f"Interval of rho:     ({low_rho:.6f}, 1.000000)" in summary
    assert f"Interval of lambda:  ({low_lambda:.6f}, 1.000000)" in summary


# --------------------------------------------------------------------------- 4. GS2SLS by hand
def _two_sls(y: np.ndarray, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """2SLS by projecting Z on the span of H (least squares, so duplicate instruments are
    harmless): delta = (Zhat'Zhat)^-1 Zhat'y with Zhat = P_H Z."""
    z_hat = h @ np.linalg.lstsq(h, z, rcond=None)[0]
    return np.linalg.lstsq(z_hat, y, rcond=None)[0]


def _kp99_lambda(u: np.ndarray, m: np.ndarray) -> float:
    """Kelejian & Prucha (1999): with e = u - lambda M u and e_bar = M e, the sample moments
    e'e/n = sigma^2, e_bar'e_bar/n = sigma^2 tr(M'M)/n, e_bar'e/n = 0, solved by nonlinear
    least squares in (lambda, sigma^2) with identity weights."""
    n = u.shape[0]
    mu, mmu = m @ u, m @ (m @ u)
    tr_mtm = np.trace(m.T @ m)

    def moments(p: np.ndarray) -> np.ndarray:
        lam, sigma2 = p
        e, e_bar = u - lam * mu, mu - lam * mmu
        return np.array(
            [e @ e / n - sigma2, e_bar @ e_bar / n - sigma2 * tr_mtm / n, e_bar @ e / n]
        )

    fit = scipy.optimize.least_squares(
        moments, x0=[0.0, u @ u / n], method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    assert fit.success
    return float(fit.x[0])


def _gs2sls_kp99_by_hand(y, z, h, m) -> tuple[np.ndarray, float]:
    first = _two_sls(y, z, h)
    lam = _kp99_lambda(y - z @ first, m)
    second = _two_sls(y - lam * (m @ y), z - lam * (m @ z), h)
    return second, lam


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("pair", PAIRS)
def test_gs2sls_kp99_agrees_with_a_hand_written_reference(
    columbus, weights, pair: str, model: str
) -> None:
    w1s, w2s = _pair(weights, pair)
    w1, w2 = w1s.sparse.toarray(), w2s.sparse.toarray()
    y = columbus["CRIME"].to_numpy(dtype=float)
    x_raw = columbus[["INC", "HOVAL"]].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(y)), x_raw])
    if model == "GNS":
        # X holds W1 X already: the W1 lags of the instruments start at W1^2 X (w_lags=2 more)
        x = np.column_stack([x, w1 @ x_raw])
        lags = [w1 @ w1 @ x_raw, w1 @ w1 @ w1 @ x_raw]
    else:
        lags = [w1 @ x_raw, w1 @ w1 @ x_raw]
    # With error weights of their own, Kelejian & Prucha (1998, s. 3) add M X and M W1 X
    # (the constant is not lagged: M 1 = 1 for row-standardised M)
    own = [w2 @ x_raw, w2 @ w1 @ x_raw] if pair.split("_")[0] != pair.split("_")[1] else []
    h = np.column_stack([x, *lags, *own])
    z = np.column_stack([x, w1 @ y])
    delta, lam = _gs2sls_kp99_by_hand(y, z, h, w2)

    res = _model(model, columbus, w1s, w2s).fit(method="gmm", variant="kp99")
    np.testing.assert_allclose(res.params.iloc[:-1].to_numpy(), delta, rtol=RTOL_GMM_REFERENCE)
    np.testing.assert_allclose(res.params["lambda"], lam, rtol=RTOL_GMM_REFERENCE)
    # second-step 2SLS covariance sigma^2 (Zs'P_H Zs)^-1 with sigma^2 = e'e/n; none for lambda
    zs = z - lam * (w2 @ z)
    e = (y - lam * (w2 @ y)) - zs @ delta
    zs_hat = h @ np.linalg.lstsq(h, zs, rcond=None)[0]
    sigma2 = e @ e / len(y)
    k = z.shape[1]
    np.testing.assert_allclose(res.sigma2, sigma2, rtol=RTOL_GMM_REFERENCE)
    np.testing.assert_allclose(
        res.cov.to_numpy()[:k, :k],
        sigma2 * np.linalg.inv(zs_hat.T @ zs_hat),
        rtol=RTOL_GMM_REFERENCE,
    )
    assert np.isnan(res.cov.loc["lambda", "lambda"])


def test_gs2sls_with_durbin_lags_on_the_error_matrix_depends_only_on_the_instrument_span(
    columbus, weights
) -> None:
    """GNS with w = queen, w_error = w_durbin = knn4: the lags M X of the instruments are then
    the regressors W3 X themselves. Whatever instruments the package chooses, 2SLS depends only
    on their span; this recomputes the estimator by hand with the package's own instrument list
    (projection by least squares, so repeated columns do not matter)."""
    from naeringsmiljo.estimators import _moments

    queen, knn4 = weights["queen"], weights["knn4"]
    model = _model("GNS", columbus, queen, knn4, w_durbin=knn4)
    spec = model.spec
    h = _moments.instrument_matrix(
        spec.x,
        spec.exog_names,
        queen.sparse,
        w_lags=2,
        lagged=spec.lagged,
        w_error=knn4.sparse,
        durbin_on_w=False,  # the lags of X are by knn4, not by w: W X is an instrument
    ).matrix
    m = knn4.sparse.toarray()
    z = np.column_stack([spec.x, queen.sparse @ spec.y])
    delta, lam = _gs2sls_kp99_by_hand(spec.y, z, h, m)
    res = model.fit(method="gmm", variant="kp99")
    np.testing.assert_allclose(res.params.iloc[:-1].to_numpy(), delta, rtol=RTOL_GMM_REFERENCE)
    np.testing.assert_allclose(res.params["lambda"], lam, rtol=RTOL_GMM_REFERENCE)


# --------------------------------------------------------------------------- 5. bad input
def test_w_error_with_other_ids_names_the_argument_and_the_ids(columbus, weights) -> None:
    knn4 = weights["knn4"]
    ids = knn4.ids.to_list()
    ids[ids.index(49)] = 999
    renamed = nm.SpatialWeights.from_sparse(knn4.sparse, ids=ids, transform="r")
    with pytest.raises(IdMismatchError) as info:
        _model("SAC", columbus, weights["queen"], renamed)
    message = str(info.value)
    assert "w_error" in message
    assert "49" in message and "999" in message
    assert info.value.missing_in_weights == (49,)
    assert info.value.missing_in_data == (999,)


@pytest.mark.parametrize("model", ["SAR", "SDM"])
def test_w_error_on_a_model_without_error_term(columbus, weights, model: str) -> None:
    with pytest.raises(ValueError, match="no error term"):
        _model(model, columbus, weights["queen"], weights["knn4"])


def test_w_durbin_without_durbin_lags(columbus, weights) -> None:
    with pytest.raises(ValueError, match="w_durbin"):
        _model("SAC", columbus, weights["queen"], weights["knn4"], w_durbin=weights["knn4"])


def test_fit_options_are_checked(columbus, weights) -> None:
    model = _model("SAC", columbus, weights["queen"], weights["knn4"])
    with pytest.raises(ValueError, match="variant") as info:
        model.fit(method="ml", variant="het")
    for valid in ("'logdet'", "'cov'", "'fixed'"):
        assert valid in str(info.value)
    with pytest.raises(ValueError, match="'svd'") as info:
        model.fit(logdet="svd")
    for valid in ("'eigen'", "'lu'", "'auto'"):
        assert valid in str(info.value)
    with pytest.raises(ValueError, match="'hom'") as info:
        model.fit(method="gmm", variant="hom")
    for valid in ("'het'", "'kp99'"):
        assert valid in str(info.value)


# --------------------------------------------------------------------------- 6. w_durbin
def test_sdm_durbin_lags_on_their_own_matrix(columbus, weights) -> None:
    queen, knn4 = weights["queen"], weights["knn4"]
    model = nm.SDM.from_formula(FORMULA, columbus, w=queen, w_durbin=knn4)
    spec = model.spec
    assert spec.ids.equals(knn4.ids)
    names = spec.exog_names
    assert names == ["Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL"]
    for column in ("INC", "HOVAL"):
        lagged = knn4.sparse @ columbus[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(spec.x[:, names.index(f"W_{column}")], lagged)
        assert not np.allclose(lagged, queen.sparse @ columbus[column].to_numpy(dtype=float))

    res = model.fit()
    frame = columbus.assign(
        LAG_INC=knn4.sparse @ columbus["INC"].to_numpy(dtype=float),
        LAG_HOVAL=knn4.sparse @ columbus["HOVAL"].to_numpy(dtype=float),
    )
    hand = nm.SAR.from_formula("CRIME ~ INC + HOVAL + LAG_INC + LAG_HOVAL", frame, w=queen).fit()
    np.testing.assert_allclose(res.params.to_numpy(), hand.params.to_numpy(), rtol=RTOL_HAND_BUILT)
    np.testing.assert_allclose(res.cov.to_numpy(), hand.cov.to_numpy(), rtol=RTOL_HAND_BUILT)
    np.testing.assert_allclose(res.loglik, hand.loglik, rtol=RTOL_HAND_BUILT)
    # and it is not the SDM with the lags on w
    plain = nm.SDM.from_formula(FORMULA, columbus, w=queen).fit()
    assert abs(plain.params["rho"] - res.params["rho"]) > 1e-3


def test_gns_with_three_matrices_is_a_sac_on_hand_built_lags(columbus, weights) -> None:
    queen, knn4 = weights["queen"], weights["knn4"]
    res = _model("GNS", columbus, queen, knn4, w_durbin=knn4).fit()
    frame = columbus.assign(
        LAG_INC=knn4.sparse @ columbus["INC"].to_numpy(dtype=float),
        LAG_HOVAL=knn4.sparse @ columbus["HOVAL"].to_numpy(dtype=float),
    )
    hand = nm.SAC.from_formula(
        "CRIME ~ INC + HOVAL + LAG_INC + LAG_HOVAL", frame, w=queen, w_error=knn4
    ).fit()
    np.testing.assert_allclose(res.params.to_numpy(), hand.params.to_numpy(), rtol=RTOL_HAND_BUILT)
    np.testing.assert_allclose(res.loglik, hand.loglik, rtol=RTOL_HAND_BUILT)
