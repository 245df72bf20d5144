"""Anselin (1988) ML lag and error models on Columbus with his contiguity matrix (COL.nb).

Expected values: R spatialreg's reference pages (``?lagsarlm``, ``?errorsarlm`` examples on
spdep's ``oldcol`` data), which reproduce Anselin (1988, Table 12.x). Every printed number is
checked at half a unit of its own last printed digit: the value we compute, rounded as printed,
is the printed value. The numbers are kept as the printed text, so that the tolerance follows
from the number of decimals shown and cannot drift from it.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm

# The decimal text of a printed number is not exactly representable in binary; this factor on
# half a printed unit covers that representation error and nothing more.
REPRESENTATION_SLACK = 1 + 1e-9

LAG = {
    "params": {
        "Intercept": "45.079250",
        "INC": "-1.031616",
        "HOVAL": "-0.265926",
        "rho": "0.43102",
    },
    "se": {"Intercept": "7.177347", "INC": "0.305143", "HOVAL": "0.088499", "rho": "0.11768"},
    "loglik": "-182.3904",
    "sigma2": "95.494",
}
ERROR = {
    "params": {
        "Intercept": "59.893219",
        "INC": "-0.941312",
        "HOVAL": "-0.302250",
        "lambda": "0.56179",
    },
    "se": {"Intercept": "5.366163", "INC": "0.330569", "HOVAL": "0.090476", "lambda": "0.13387"},
    "loglik": "-183.3805",
    "sigma2": "95.575",
}


def half_printed_unit(printed: str) -> float:
    """Half a unit of the last digit of a printed decimal number (``"0.43102"`` -> ``5e-6``)."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent * REPRESENTATION_SLACK


def assert_printed(value: float, printed: str, what: str) -> None:
    # atol: half a unit of the printed number's last digit (see half_printed_unit); rtol 0 so
    # that nothing else loosens it.
    np.testing.assert_allclose(
        value, float(printed), rtol=0, atol=half_printed_unit(printed), err_msg=what
    )


def test_half_printed_unit() -> None:
    assert half_printed_unit("0.43102") == pytest.approx(5e-6, rel=1e-8)
    assert half_printed_unit("-182.3904") == pytest.approx(5e-5, rel=1e-8)
    assert half_printed_unit("95.494") == pytest.approx(5e-4, rel=1e-8)
    assert half_printed_unit("45.079250") == pytest.approx(5e-7, rel=1e-8)


@pytest.mark.parametrize(("model", "ref"), [(nm.SAR, LAG), (nm.SEM, ERROR)], ids=["lag", "error"])
def test_anselin_ml(columbus: pd.DataFrame, w_anselin: nm.SpatialWeights, model, ref) -> None:
    res = model.from_formula("CRIME ~ INC + HOVAL", columbus, w_anselin).fit()
    for name, printed in ref["params"].items():
        assert_printed(float(res.params[name]), printed, name)
    for name, printed in ref["se"].items():
        assert_printed(float(res.std_errors[name]), printed, f"s.e. {name}")
    assert_printed(res.loglik, ref["loglik"], "log-likelihood")
    assert_printed(res.sigma2, ref["sigma2"], "sigma^2")
