"""Anselin (1988) ML lag and error models on Columbus with his contiguity matrix (COL.nb).

Expected values: R spatialreg's reference pages (``?lagsarlm``, ``?errorsarlm`` examples on
spdep's ``oldcol`` data), which reproduce Anselin (1988, Table 12.x). R stops its line search up
to ~1e-7 short of the maximiser of the flat concentrated likelihood, which moves the other
coefficients by up to ~1e-5 in relative terms at most; hence rtol 1e-6 on coefficients (the
peers' own agreement level) and 1e-5 on standard errors (which also depend on where R stopped).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm

RTOL_COEF = 1e-6  # peers stop 1e-8..1e-7 short of the maximiser (see module docstring)
RTOL_SE = 1e-5  # standard errors evaluated at R's slightly different estimate
ATOL_PRINTED = 0.5e-4  # rho, lambda, log-likelihood and sigma^2 are printed with 4-5 decimals

LAG = {
    "params": {"Intercept": 45.079250, "INC": -1.031616, "HOVAL": -0.265926, "rho": 0.43102},
    "se": {"Intercept": 7.177347, "INC": 0.305143, "HOVAL": 0.088499, "rho": 0.11768},
    "loglik": -182.3904,
    "sigma2": 95.494,
}
ERROR = {
    "params": {"Intercept": 59.893219, "INC": -0.941312, "HOVAL": -0.302250, "lambda": 0.56179},
    "se": {"Intercept": 5.366163, "INC": 0.330569, "HOVAL": 0.090476, "lambda": 0.13387},
    "loglik": -183.3805,
    "sigma2": 95.575,
}


@pytest.mark.parametrize(("model", "ref"), [(nm.SAR, LAG), (nm.SEM, ERROR)], ids=["lag", "error"])
def test_anselin_ml(columbus: pd.DataFrame, w_anselin: nm.SpatialWeights, model, ref) -> None:
    res = model.from_formula("CRIME ~ INC + HOVAL", columbus, w_anselin).fit()
    for name, value in ref["params"].items():
        # printed with 5-6 significant digits for rho/lambda, 7-8 for the betas
        digits_tol = ATOL_PRINTED if name in ("rho", "lambda") else 0.0
        np.testing.assert_allclose(res.params[name], value, rtol=RTOL_COEF, atol=digits_tol)
    for name, value in ref["se"].items():
        digits_tol = ATOL_PRINTED if name in ("rho", "lambda") else 0.0
        np.testing.assert_allclose(res.std_errors[name], value, rtol=RTOL_SE, atol=digits_tol)
    np.testing.assert_allclose(res.loglik, ref["loglik"], rtol=0, atol=ATOL_PRINTED)
    np.testing.assert_allclose(res.sigma2, ref["sigma2"], rtol=0, atol=0.5e-3)  # 3 decimals
