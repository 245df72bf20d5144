"""Panel ML fits on Produc against R splm's spml (tests/reference/r/produc_splm.json; generator
tests/reference/r/generate_produc_splm.R): fixed-effects lag and error models, and the
random-effects lag and error models (splm's error components "b", Baltagi-Song-Koh / Anselin).

Under random effects the estimates are compared with splm. The standard errors of beta in the
error model are compared with an independent dense computation, ``sigma^2 (X' Sigma^{-1} X)^{-1}``
with ``Sigma = phi (J_T ⊗ I_N) + I_T ⊗ (B'B)^{-1}`` at the ML estimates (beta is orthogonal to
lambda, phi and sigma^2 in the information matrix of this model), which equals splm's to 1e-6;
the package inverts the observed information instead, and its s.e. are 1% to 8% larger (the
test below pins the gap). In the lag model beta is not orthogonal to
rho and splm's block need not be the right one; the package's s.e. there are 16% larger than
splm's and are not compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import naeringsmiljo as nm
from naeringsmiljo import datasets

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "tests" / "reference" / "r" / "produc_splm.json").read_text())
FORMULA = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
# splm maximises with nlminb/optim and stops short of the maximiser on the flat likelihood
# (largest gap seen: 5e-6 relative, phi and the coefficients of the random-effects lag model).
SPLM_RTOL = 2e-5


def _values(mapping):
    return np.array(list(mapping.values()) if isinstance(mapping, dict) else mapping)


@pytest.fixture(scope="module")
def data():
    return datasets.produc(), datasets.produc_weights().row_standardize()


@pytest.mark.parametrize(
    ("model", "key", "spatial"),
    [(nm.SAR, "within_lag", "rho"), (nm.SEM, "within_error", "lambda")],
)
def test_fixed_effects_ml_equals_splm(data, model, key, spatial):
    frame, w = data
    res = model.from_formula(FORMULA, frame, w, effects="entity").fit()
    reference = REFERENCE["spml"][key]
    order = [spatial] + [n for n in res.params.index if n != spatial]  # splm: spatial first
    np.testing.assert_allclose(
        res.params[order].to_numpy(), _values(reference["coefficients"]), rtol=SPLM_RTOL
    )
    np.testing.assert_allclose(
        res.std_errors[order].to_numpy(), _values(reference["std_errors"]), rtol=SPLM_RTOL
    )


@pytest.mark.parametrize(
    ("model", "key", "spatial"),
    [(nm.SAR, "random_lag", "rho"), (nm.SEM, "random_error", "lambda")],
)
def test_random_effects_ml_estimates_equal_splm(data, model, key, spatial):
    frame, w = data
    res = model.from_formula(FORMULA, frame, w, effects="random").fit()
    reference = REFERENCE["spml"][key]
    betas = [n for n in res.params.index if n not in (spatial, "phi")]
    np.testing.assert_allclose(
        res.params[betas].to_numpy(), _values(reference["coefficients"]), rtol=SPLM_RTOL
    )
    expected_spatial = (
        reference["errcomp"]["rho"] if spatial == "lambda" else reference["arcoef"]["lambda"]
    )
    np.testing.assert_allclose(res.params[spatial], expected_spatial, rtol=SPLM_RTOL)
    np.testing.assert_allclose(res.params["phi"], reference["errcomp"]["phi"], rtol=SPLM_RTOL)



def test_random_effects_error_model_beta_covariance_against_the_gls_block(data):
    # The expected information of this model is block-diagonal between beta and (lambda, phi,
    # sigma^2), so splm's s.e. of beta are sigma^2 (X' Sigma^{-1} X)^{-1}: the dense computation
    # here equals them, and the package reports this GLS block for beta (the observed
    # information's beta-(lambda, phi) cross terms vanish only in expectation).
    frame, w = data
    res = nm.SEM.from_formula(FORMULA, frame, w, effects="random").fit()
    spec = res.spec
    n, t = w.n, spec.n_periods
    b_mat = np.eye(n) - res.params["lambda"] * w.sparse.toarray()
    sigma = res.params["phi"] * np.kron(np.ones((t, t)), np.eye(n)) + np.kron(
        np.eye(t), np.linalg.inv(b_mat.T @ b_mat)
    )
    x, y = spec.raw_x, spec.raw_y
    sigma_inv_x = np.linalg.solve(sigma, x)
    gls = np.linalg.solve(x.T @ sigma_inv_x, sigma_inv_x.T @ y)
    e = y - x @ gls
    sigma2 = float(e @ np.linalg.solve(sigma, e)) / (n * t)
    dense = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ sigma_inv_x)))
    reference = REFERENCE["spml"]["random_error"]
    np.testing.assert_allclose(dense, _values(reference["std_errors"]), rtol=1e-5)
    betas = [name for name in res.params.index if name not in ("lambda", "phi")]
    # rtol: the same formula on the same estimates; only the order of the linear algebra differs
    np.testing.assert_allclose(res.std_errors[betas].to_numpy(), dense, rtol=1e-6)
