"""Spatial panels with fixed and random effects against spreg, published numbers and dense
computations written here.

References:
- spreg ``Panel_FE_Lag`` / ``Panel_FE_Error`` / ``Panel_RE_Lag`` (run live on Produc and Cigar);
- Millo & Piras (2012) FE error model on Produc (REFERENCES.md section 2, printed precision);
- two-way and SDM fits, the Lee-Yu transformation approach and the random-effects error
  model: independent dense NT x NT computations in this file.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose

import naeringsmiljo as nm

#: Coefficients against spreg: both maximise the same concentrated likelihood; spreg stops its
#: bounded search ~1e-8 short of the maximiser (REFERENCES.md s. 5), far below this.
COEF_RTOL = 1e-5
#: Standard errors against spreg: the same analytic information matrix.
SE_RTOL = 1e-3
#: Against the dense computations here: both exact to rounding (the searches to 1e-10 or
#: better); 1e-6 leaves room for the flatness of the likelihood near its maximum.
DENSE_RTOL = 1e-6

PRODUC = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
CIGAR = "np.log(sales) ~ np.log(price / cpi) + np.log(ndi / cpi)"


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """The dense references here are many small BLAS calls, which a multithreaded BLAS on a
    loaded machine slows a thousandfold; one thread changes no number."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def produc():
    return nm.datasets.produc(), nm.datasets.produc_weights().row_standardize()


@pytest.fixture(scope="module")
def cigar():
    return nm.datasets.cigar(), nm.datasets.cigar_weights().row_standardize()


def _libpysal_w(w):
    import libpysal

    lw = libpysal.weights.WSP(w.sparse).to_W(silence_warnings=True)
    lw.transform = "r"
    return lw


def _data(request, name):
    data, w = request.getfixturevalue(name)
    return data, w, PRODUC if name == "produc" else CIGAR


# ---------------------------------------------------------------- spreg, fixed effects
@pytest.mark.parametrize("name", ["produc", "cigar"])
@pytest.mark.parametrize("model, peer", [("SAR", "Panel_FE_Lag"), ("SEM", "Panel_FE_Error")])
def test_entity_fixed_effects_equal_spreg(request, name, model, peer):
    spreg = pytest.importorskip("spreg")
    data, w, formula = _data(request, name)
    res = getattr(nm, model).from_formula(formula, data, w, effects="entity").fit()
    spec = res.spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(spreg, peer)(spec.raw_y[:, None], spec.raw_x, _libpysal_w(w))
    assert_allclose(res.params.to_numpy(), ref.betas.ravel(), rtol=COEF_RTOL)
    assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(ref.vm)), rtol=SE_RTOL)
    # spreg's log-likelihood is lower by exactly (NT/2) ln(NT) (REFERENCES.md s. 5)
    nt = spec.nobs
    assert_allclose(res.loglik - ref.logll, nt / 2 * np.log(nt), rtol=1e-8)
    assert_allclose(res.sigma2, float(np.ravel(ref.sig2)[0]), rtol=COEF_RTOL)


def test_fixed_effects_error_model_equals_millo_piras(produc):
    """splm spml(model="within", spatial.error="b") on Produc as printed by Millo & Piras
    (2012): coefficient (s.e.), compared at half a unit of the last printed digit."""
    data, w = produc
    res = nm.SEM.from_formula(PRODUC, data, w, effects="entity").fit()
    printed = {
        "lambda": (0.557401, 0.033075),
        "np.log(pcap)": (0.0051438, 0.0250109),
        "np.log(pc)": (0.2053026, 0.0231427),
        "np.log(emp)": (0.7822540, 0.0278057),
        "unemp": (-0.0022317, 0.0010709),
    }
    for name, (coef, se) in printed.items():
        digits = {"lambda": 6}.get(name, 7)
        assert_allclose(res.params[name], coef, rtol=0, atol=0.5 * 10.0**-digits)
        assert_allclose(
            res.std_errors[name], se, rtol=0, atol=0.5 * 10.0 ** -(6 if name == "lambda" else 7)
        )


# ---------------------------------------------------------------- spreg, random effects
@pytest.mark.parametrize("name", ["produc", "cigar"])
def test_random_effects_lag_equals_spreg(request, name):
    spreg = pytest.importorskip("spreg")
    data, w, formula = _data(request, name)
    res = nm.SAR.from_formula(formula, data, w, effects="random").fit()
    spec = res.spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spreg.Panel_RE_Lag(spec.raw_y[:, None], spec.raw_x[:, 1:], _libpysal_w(w))
    betas = ref.betas.ravel()
    # spreg's "phi" is theta = (1 + T phi)^{-1/2}; ours is the variance ratio sigma2_mu/sigma2_e
    t = spec.n_periods
    phi = (1.0 / betas[-1] ** 2 - 1.0) / t
    # spreg alternates bounded searches to 1e-7 and stops 5e-7 short in rho (our likelihood at
    # its estimate is 2e-10 below ours), which moves the small log(pcap) coefficient (0.013)
    # by 2e-7: an absolute 1e-6 beside the relative 1e-5
    assert_allclose(res.params.to_numpy(), np.append(betas[:-1], phi), rtol=COEF_RTOL, atol=1e-6)
    # spreg's log-likelihood leaves out the term N ln(theta) of the likelihood
    assert_allclose(res.loglik - ref.logll, spec.n_units * np.log(betas[-1]), rtol=1e-6)
    # Standard errors: spreg's information matrix has other theta entries than the derivation
    # in likelihood/panel_random.py: N(1 + 1/theta^2) and -tr(G)/sigma^2 against 2N/theta^2
    # and -2 tr(G)/theta, and it is not symmetric: -N/sigma^2 in the (theta, sigma^2) place,
    # -N/sigma^4 in the (sigma^2, theta) place, against -N/(theta sigma^2) in both. Ours with
    # spreg's entries gives spreg's standard errors; ours differ from them by up to 2%
    # (intercept on Cigar) and 3.5% (rho on Produc).
    from naeringsmiljo.likelihood.panel_random import RandomEffectsLikelihood, lag_information
    from naeringsmiljo.weights.logdet import make_logdet

    k = len(spec.exog_names)
    lik = RandomEffectsLikelihood(spec.y, spec.x, w.sparse, make_logdet(w, "eigen"), "y")
    beta, rho = res.params.iloc[:k].to_numpy(), res.params["rho"]
    info = lag_information(lik, beta, rho, res.params["phi"], res.sigma2)
    theta = lik.theta(res.params["phi"])
    jacobian = -t * theta**3 / 2  # dtheta/dphi: back to spreg's parameter theta
    info[k + 1, :] /= jacobian
    info[:, k + 1] /= jacobian
    dense = w.sparse.toarray()
    trace = np.trace(dense @ np.linalg.inv(np.eye(w.n) - rho * dense))
    n = spec.n_units
    info[k + 1, k + 1] = n * (1 + 1 / theta**2)
    info[k, k + 1] = info[k + 1, k] = -trace / res.sigma2
    info[k + 1, k + 2] = -n / res.sigma2
    info[k + 2, k + 1] = -n / res.sigma2**2
    spreg_like = np.sqrt(np.diag(np.linalg.inv(info)))[: k + 1]
    assert_allclose(spreg_like, np.sqrt(np.diag(ref.vm))[: k + 1], rtol=SE_RTOL)


def test_random_effects_lag_information(produc):
    """The expected information agrees with the observed information (central differences of
    the log-likelihood) at the estimate, where they differ by O(n^{-1/2}) when the model holds.
    On data simulated from the fitted model the two covariances agree within 10%."""
    data, w = produc
    fit = nm.SAR.from_formula(PRODUC, data, w, effects="random").fit()
    spec = fit.spec
    rng = np.random.default_rng(12)
    n, t = spec.n_units, spec.n_periods
    a = np.eye(n) - fit.params["rho"] * w.sparse.toarray()
    k = len(spec.exog_names)
    mean = (spec.raw_x @ fit.params.iloc[:k].to_numpy()).reshape(t, n)
    mu = rng.normal(scale=np.sqrt(fit.params["phi"] * fit.sigma2), size=n)
    e = rng.normal(scale=np.sqrt(fit.sigma2), size=(t, n))
    y = np.linalg.solve(a, (mean + mu + e).T).T.reshape(-1)
    frame = data.astype({"gsp": float})
    frame.loc[spec.ids, "gsp"] = np.exp(y)
    model = nm.SAR.from_formula(PRODUC, frame, w, effects="random")
    expected = model.fit().std_errors
    observed = model.fit(cov="hessian").std_errors
    assert_allclose(expected.to_numpy(), observed.to_numpy(), rtol=0.1)


def _re_error_dense(y, x, w, t):
    """The random-effects error likelihood with the NT x NT covariance formed explicitly."""
    n = w.shape[0]

    def negative(params):
        lam, log_phi = params
        phi = np.exp(log_phi)
        b = np.eye(n) - lam * w
        inv_bb = np.linalg.inv(b.T @ b)
        omega = phi * np.kron(np.ones((t, t)), np.eye(n)) + np.kron(np.eye(t), inv_bb)
        chol = np.linalg.cholesky(omega)
        ys = np.linalg.solve(chol, y)
        xs = np.linalg.solve(chol, x)
        beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
        resid = ys - xs @ beta
        sigma2 = resid @ resid / (n * t)
        logdet = 2 * np.sum(np.log(np.diag(chol)))
        return 0.5 * n * t * (np.log(2 * np.pi * sigma2) + 1) + 0.5 * logdet, beta

    return negative


def test_random_effects_error_model_against_dense_likelihood(produc):
    """Ours against the likelihood with the NT x NT covariance formed here (Produc's first four
    years, NT = 192, to keep the dense search fast): equal at our estimate, and a Nelder-Mead
    search of the dense likelihood from a simplex of width 0.05 around it returns to it."""
    data, w = produc
    early = data[data.index.get_level_values("year") <= 1973]
    res = nm.SEM.from_formula(PRODUC, early, w, effects="random").fit()
    spec = res.spec
    negative = _re_error_dense(spec.raw_y, spec.raw_x, w.sparse.toarray(), spec.n_periods)
    ours = np.array([res.params["lambda"], np.log(res.params["phi"])])
    value, beta = negative(ours)
    assert_allclose(-value, res.loglik, rtol=1e-12)
    assert_allclose(res.params.iloc[:-2].to_numpy(), beta, rtol=1e-9)
    simplex = np.array([ours, ours + [0.05, 0.0], ours + [0.0, 0.05]])
    found = scipy.optimize.minimize(
        lambda p: negative(p)[0],
        x0=ours,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-8, "fatol": 1e-11, "maxiter": 400},
    )
    # the dense search's own tolerance (1e-8 on the parameters, 1e-11 on the value)
    assert_allclose(found.x, ours, rtol=0, atol=1e-5)
    assert -found.fun <= res.loglik + 1e-8


def test_random_effects_error_model_beta_covariance_is_the_gls_one(produc):
    """The s.e. of beta in the error model are those of GLS with the covariance
    Sigma = phi (J_T kron I_N) + I_T kron (B'B)^{-1} formed densely here at the estimates
    (beta is orthogonal to lambda, phi and sigma^2 in the expected information); with
    cov="hessian" (the observed information) they are larger on Produc."""
    data, w = produc
    model = nm.SEM.from_formula(PRODUC, data, w, effects="random")
    res = model.fit()
    spec = res.spec
    n, t = w.n, spec.n_periods
    b = np.eye(n) - res.params["lambda"] * w.sparse.toarray()
    sigma = res.params["phi"] * np.kron(np.ones((t, t)), np.eye(n)) + np.kron(
        np.eye(t), np.linalg.inv(b.T @ b)
    )
    x = spec.raw_x
    sigma_inv_x = np.linalg.solve(sigma, x)
    gls_se = np.sqrt(np.diag(res.sigma2 * np.linalg.inv(x.T @ sigma_inv_x)))
    k = x.shape[1]
    assert_allclose(res.std_errors.iloc[:k].to_numpy(), gls_se, rtol=1e-8)
    observed = model.fit(cov="hessian").std_errors.iloc[:k].to_numpy()
    assert np.all(observed > gls_se)


def test_random_effects_error_model_beats_spreg(produc):
    """spreg's Panel_RE_Error uses the eigenvalues of the asymmetric row-standardised W as if
    they were those of B'B and stops elsewhere: our likelihood at its estimates is lower than at
    ours, by far."""
    spreg = pytest.importorskip("spreg")
    data, w = produc
    model = nm.SEM.from_formula(PRODUC, data, w, effects="random")
    res = model.fit()
    spec = res.spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spreg.Panel_RE_Error(spec.raw_y[:, None], spec.raw_x[:, 1:], _libpysal_w(w))
    from naeringsmiljo.likelihood.panel_random import RandomEffectsLikelihood
    from naeringsmiljo.weights.logdet import make_logdet

    lik = RandomEffectsLikelihood(spec.y, spec.x, w.sparse, make_logdet(w, "eigen"), "error")
    at_spreg = lik.profile(float(ref.lam), float(ref.phi) ** 2).loglik
    assert res.loglik > at_spreg + 100


# ---------------------------------------------------------------- dense two-way and SDM
def _dense_fixed_effects(raw_y, raw_x, w, t, effects, durbin, *, transformed=False):
    """Concentrated ML of a fixed-effects SAR/SDM panel with NT x NT matrices (Elhorst 2014,
    ch. 3: lag, then demean), and its information matrix; the Lee-Yu transformation approach
    with ``transformed`` (orthonormal bases of the demeaned spaces)."""
    n = w.shape[0]
    q_t = np.eye(t) - np.ones((t, t)) / t if effects in ("entity", "twoways") else np.eye(t)
    q_n = np.eye(n) - np.ones((n, n)) / n if effects in ("time", "twoways") else np.eye(n)
    if transformed:  # F'F = I on the space the transformation leaves
        f_t = np.linalg.eigh(q_t)[1][:, np.isclose(np.linalg.eigvalsh(q_t), 1)]
        f_n = np.linalg.eigh(q_n)[1][:, np.isclose(np.linalg.eigvalsh(q_n), 1)]
        big_f = np.kron(f_t, f_n).T
    else:
        big_f = np.kron(q_t, q_n)
    big_w = np.kron(np.eye(t), w)
    x = np.column_stack([raw_x, big_w @ raw_x]) if durbin else raw_x
    ys, wys, xs = big_f @ raw_y, big_f @ big_w @ raw_y, big_f @ x
    nobs = ys.shape[0]
    # the transformed weights of one period (Lee & Yu 2010): F_N' W F_N
    w_eff = f_n.T @ w @ f_n if transformed else w
    periods = f_t.shape[1] if transformed else t

    def profile(rho):
        beta = np.linalg.lstsq(xs, ys - rho * wys, rcond=None)[0]
        e = ys - rho * wys - xs @ beta
        sigma2 = e @ e / nobs
        logdet = np.linalg.slogdet(np.eye(w_eff.shape[0]) - rho * w_eff)[1]
        return -nobs / 2 * (np.log(2 * np.pi * sigma2) + 1) + periods * logdet, beta, sigma2

    found = scipy.optimize.minimize_scalar(
        lambda r: -profile(r)[0], bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-12}
    )
    rho = found.x
    loglik, beta, sigma2 = profile(rho)
    # information of (beta, rho, sigma2) with the NT x NT multiplier
    g = np.linalg.solve((np.eye(w_eff.shape[0]) - rho * w_eff).T, w_eff.T).T
    big_g = np.kron(np.eye(periods), g)
    m = (
        big_f @ np.kron(np.eye(t), np.linalg.solve(np.eye(n) - rho * w, w).T.T) @ x @ beta
        if not transformed
        else None
    )
    if transformed:
        full_g = np.kron(np.eye(t), w @ np.linalg.inv(np.eye(n) - rho * w))
        m = big_f @ full_g @ x @ beta
    k = xs.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = xs.T @ xs / sigma2
    info[:k, k] = info[k, :k] = xs.T @ m / sigma2
    info[k, k] = np.trace(big_g @ big_g) + np.trace(big_g.T @ big_g) + m @ m / sigma2
    info[k, k + 1] = info[k + 1, k] = np.trace(big_g) / sigma2
    info[k + 1, k + 1] = nobs / (2 * sigma2**2)
    cov = np.linalg.inv(info)
    return np.append(beta, rho), np.sqrt(np.diag(cov))[: k + 1], sigma2, loglik


@pytest.mark.parametrize("name", ["produc", "cigar"])
@pytest.mark.parametrize("effects", ["entity", "time", "twoways"])
@pytest.mark.parametrize("model", ["SAR", "SDM"])
@pytest.mark.parametrize("corrected", [False, True])
def test_fixed_effects_against_dense(request, name, effects, model, corrected):
    """Produc and the cigarette-demand panel (Elhorst 2014, ch. 3, whose spatial columns the
    replication's step 7 reports: no published values of them are checked)."""
    data, w, formula = _data(request, name)
    res = (
        getattr(nm, model)
        .from_formula(formula, data, w, effects=effects)
        .fit(bias_correction=corrected)
    )
    spec = res.spec
    k = len(spec.regressor_names)
    params, se, sigma2, loglik = _dense_fixed_effects(
        spec.raw_y,
        spec.raw_x[:, :k],
        w.sparse.toarray(),
        spec.n_periods,
        effects,
        model == "SDM",
        transformed=corrected,
    )
    assert_allclose(res.params.to_numpy(), params, rtol=DENSE_RTOL, atol=1e-10)
    assert_allclose(res.std_errors.to_numpy(), se, rtol=DENSE_RTOL)
    assert_allclose(res.sigma2, sigma2, rtol=DENSE_RTOL)
    assert_allclose(res.loglik, loglik, rtol=1e-10)


def test_entity_bias_correction_scales_sigma2_only(produc):
    """With entity effects the transformation approach has the direct estimates of beta and
    rho, and sigma^2 times T/(T - 1) (Lee & Yu 2010, s. 3)."""
    data, w = produc
    model = nm.SAR.from_formula(PRODUC, data, w, effects="entity")
    direct, corrected = model.fit(), model.fit(bias_correction=True)
    assert_allclose(corrected.params.to_numpy(), direct.params.to_numpy(), rtol=1e-10)
    t = model.spec.n_periods
    assert_allclose(corrected.sigma2, direct.sigma2 * t / (t - 1), rtol=1e-12)
    assert "Lee-Yu correction:   yes" in corrected.summary()
    assert "Lee-Yu correction:   no" in direct.summary()


# ---------------------------------------------------------------- conventions and properties
def test_lag_conventions(produc):
    """Entity effects: Q and I_T kron W commute, both conventions agree. Time effects: they
    differ, and W(Qy) is the lag of the demeaned data (as splm)."""
    data, w = produc
    a = nm.SAR.from_formula(PRODUC, data, w, effects="entity").fit()
    b = nm.SAR.from_formula(
        PRODUC, data, w, effects="entity", lag_convention="demean_then_lag"
    ).fit()
    assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
    exact = nm.SAR.from_formula(PRODUC, data, w, effects="time")
    splm = nm.SAR.from_formula(PRODUC, data, w, effects="time", lag_convention="demean_then_lag")
    v = exact.spec.y
    from naeringsmiljo.design.panel import period_product

    assert_allclose(splm.spec.lag("y", v), period_product(w.sparse, v, w.n), rtol=1e-14)
    assert not np.allclose(exact.spec.lag("y", v), splm.spec.lag("y", v))
    assert "Q(W y)" in exact.fit().summary()


def test_row_order_and_entity_order_do_not_matter(produc):
    data, w = produc
    ref = nm.SDM.from_formula(PRODUC, data, w, effects="twoways").fit()
    shuffled = data.sample(frac=1.0, random_state=3)
    order = list(reversed(list(w.ids)))
    res = nm.SDM.from_formula(PRODUC, shuffled, w.reorder(order), effects="twoways").fit()
    assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-9)
    assert_allclose(res.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)


def test_cross_section_diagnostics_refuse_panels(produc):
    data, w = produc
    res = nm.SAR.from_formula(PRODUC, data, w, effects="entity").fit()
    with pytest.raises(nm.exceptions.SpecificationError, match="panel"):
        res.spatial_diagnostics()
    with pytest.raises(nm.exceptions.SpecificationError, match="cross-sections"):
        res.predict(kind="TC")


def test_pooled_ols_and_within_equal_linearmodels(produc):
    """Without spatial terms: pooled and within regressions equal linearmodels' PanelOLS
    (unadjusted covariance), the within one with N effects absorbed in the degrees of
    freedom; the recovered entity effects equal linearmodels' estimated effects."""
    linearmodels = pytest.importorskip("linearmodels")
    data, w = produc
    frame = data.assign(
        lgsp=np.log(data.gsp), lpcap=np.log(data.pcap), lpc=np.log(data.pc), lemp=np.log(data.emp)
    )
    formula = "lgsp ~ lpcap + lpc + lemp + unemp"
    ours = nm.OLS.from_formula(formula, frame, w, effects="entity").fit()
    ref = linearmodels.PanelOLS.from_formula(formula + " + EntityEffects", frame).fit(
        cov_type="unadjusted"
    )
    assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    assert_allclose(ours.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
    effects = ours.fixed_effects().loc["entity", "estimate"]
    theirs = ref.estimated_effects.groupby(level=0).mean().iloc[:, 0]
    # linearmodels reports effects around the constant it keeps; compare the deviations
    assert_allclose(
        (effects - effects.mean()).to_numpy(),
        (theirs - theirs.mean()).reindex(effects.index).to_numpy(),
        atol=1e-10,
    )


def test_fixed_effects_recovery_reproduces_the_data(produc):
    data, w = produc
    from naeringsmiljo.design.panel import period_product

    for effects in ("entity", "time", "twoways"):
        res = nm.SAR.from_formula(PRODUC, data, w, effects=effects).fit()
        spec = res.spec
        fe = res.fixed_effects()
        n, t = spec.n_units, spec.n_periods
        total = np.zeros((t, n))
        if "entity" in fe.index.get_level_values(0):
            total += fe.loc["entity", "estimate"].to_numpy()[None, :]
        if "time" in fe.index.get_level_values(0):
            total += fe.loc["time", "estimate"].to_numpy()[:, None]
        if "constant" in fe.index.get_level_values(0):
            total += fe.loc["constant", "estimate"].iloc[0]
        k = len(spec.exog_names)
        resid = (
            spec.raw_y
            - res.params["rho"] * period_product(w.sparse, spec.raw_y, n)
            - spec.raw_x @ res.params.iloc[:k].to_numpy()
            - total.reshape(-1)
        )
        assert_allclose(resid, res.innovations, atol=1e-12)
        assert (fe["std_error"] > 0).all()


def test_panel_impacts_are_the_cross_section_formulas(produc):
    """Impacts of a panel SDM: (I - rho W)^{-1}(beta I + theta W) over the entities."""
    data, w = produc
    res = nm.SDM.from_formula(PRODUC, data, w, effects="twoways").fit()
    impacts = res.impacts(method="exact", draws=200, seed=1)
    dense = w.sparse.toarray()
    inverse = np.linalg.inv(np.eye(w.n) - res.params["rho"] * dense)
    for name in res.spec.regressor_names:
        s = inverse @ (res.params[name] * np.eye(w.n) + res.params["W_" + name] * dense)
        direct = np.trace(s) / w.n
        total = s.sum() / w.n
        assert_allclose(impacts.estimates.loc[name, "direct"], direct, rtol=1e-10)
        assert_allclose(impacts.estimates.loc[name, "total"], total, rtol=1e-10)


def test_sparse_information_matches_dense_for_panels(produc):
    data, w = produc
    from naeringsmiljo.inference.covariance import InformationMatrix

    model = nm.SDM.from_formula(PRODUC, data, w, effects="twoways")
    dense = model.fit()
    sparse = model.fit(cov=InformationMatrix(path="sparse", probes=400, seed=2))
    # the Hutchinson estimates of tr(G'G) carry a stated Monte Carlo error of ~0.5%
    assert_allclose(sparse.std_errors.to_numpy(), dense.std_errors.to_numpy(), rtol=2e-2)


def test_entity_effects_standard_errors_equal_dummy_variable_regression(produc):
    """Without spatial terms the recovered entity effects and their standard errors are those
    of the least-squares dummy-variable regression (an N-column dummy design, dense here):
    var(mu_i) = s^2 [(D'M_X D)^{-1}]_ii = s^2/T + xbar_i' V xbar_i."""
    data, w = produc
    res = nm.OLS.from_formula(PRODUC, data, w, effects="entity").fit()
    spec = res.spec
    n, t = spec.n_units, spec.n_periods
    dummies = np.tile(np.eye(n), (t, 1))
    design = np.column_stack([spec.raw_x, dummies])
    coef, *_ = np.linalg.lstsq(design, spec.raw_y, rcond=None)
    resid = spec.raw_y - design @ coef
    s2 = resid @ resid / (n * t - design.shape[1])
    cov = s2 * np.linalg.inv(design.T @ design)
    k = spec.raw_x.shape[1]
    effects = res.fixed_effects().loc["entity"]
    assert_allclose(effects["estimate"].to_numpy(), coef[k:], rtol=1e-9)
    assert_allclose(effects["std_error"].to_numpy(), np.sqrt(np.diag(cov))[k:], rtol=1e-8)
