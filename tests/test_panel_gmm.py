"""Panel moment estimators through the models: SEM(effects=...).fit(method="kkp" or "gmm") and
SAR(effects="entity").fit(method="panel_s2sls"), against R splm's spgm on Produc
(tests/reference/r/produc_splm.json, generator tests/reference/r/generate_produc_splm.R)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import naeringsmiljo as nm
from naeringsmiljo import datasets
from naeringsmiljo.exceptions import SpecificationError

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "tests" / "reference" / "r" / "produc_splm.json").read_text())
FORMULA = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
N, T, K = 48, 17, 4
# splm's nlminb stops about 1e-9 (relative) short of the exact GMM minimiser we compute.
GM_RTOL = 1e-7


def _values(mapping):
    return np.array(list(mapping.values()) if isinstance(mapping, dict) else mapping)


@pytest.fixture(scope="module")
def data():
    return datasets.produc(), datasets.produc_weights().row_standardize()


@pytest.mark.parametrize("effects", ["entity", "random"])
def test_sem_kkp_equals_splm_spgm(data, effects):
    frame, w = data
    res = nm.SEM.from_formula(FORMULA, frame, w, effects=effects).fit(method="gmm")
    reference = REFERENCE["spgm"]["within_error" if effects == "entity" else "random_error"]
    np.testing.assert_allclose(
        res.params.iloc[:-1], _values(reference["coefficients"]), rtol=GM_RTOL
    )
    np.testing.assert_allclose(
        res.std_errors.iloc[:-1], _values(reference["std_errors"]), rtol=GM_RTOL
    )
    np.testing.assert_allclose(res.params["lambda"], reference["rho"][0], rtol=GM_RTOL)
    assert math.isnan(res.std_errors["lambda"])  # KKP give no standard error for lambda
    assert res.record.optimizer.startswith("Kapoor-Kelejian-Prucha")


def test_sar_panel_s2sls_equals_splm_spgm_lag(data):
    frame, w = data
    res = nm.SAR.from_formula(FORMULA, frame, w, effects="entity").fit(method="panel_s2sls")
    reference = REFERENCE["spgm"]["within_lag"]
    expected = _values(reference["coefficients"])  # splm: lambda (its name for rho) first
    np.testing.assert_allclose(res.params.to_numpy(), np.r_[expected[1:], expected[0]], rtol=1e-10)
    se = _values(reference["std_errors"])
    # splm divides by N T - k - 1, we by N (T - 1) - k - 1 (the entity means use N degrees).
    converted = res.std_errors.to_numpy() * math.sqrt((N * (T - 1) - K - 1) / (N * T - K - 1))
    np.testing.assert_allclose(converted, np.r_[se[1:], se[0]], rtol=1e-10)


def test_kkp_refuses_time_effects(data):
    frame, w = data
    model = nm.SEM.from_formula(FORMULA, frame, w, effects="time")
    with pytest.raises(SpecificationError, match="effects='entity' or effects='random'"):
        model.fit(method="kkp")


def test_panel_s2sls_refuses_an_error_model(data):
    frame, w = data
    with pytest.raises(SpecificationError, match="panel lag model"):
        nm.SEM.from_formula(FORMULA, frame, w, effects="entity").fit(method="panel_s2sls")
