"""Shared pieces of the Monte Carlo studies of the spatial panel bias corrections
(``panel_dynamic.py``, ``panel_lee_yu.py``): the lattice, the Wald rows of the two fits of a
replication and the summary by design point, estimator and parameter.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo import SpatialWeights

#: Normal quantile of the 95% Wald interval.
Z95 = 1.959964


def lattice(n_rows: int, n_cols: int) -> SpatialWeights:
    """Rook contiguity of an ``n_rows x n_cols`` lattice, row-standardised."""
    n = n_rows * n_cols
    dense = np.zeros((n, n))
    for i in range(n_rows):
        for j in range(n_cols):
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                a, b = i + di, j + dj
                if 0 <= a < n_rows and 0 <= b < n_cols:
                    dense[i * n_cols + j, a * n_cols + b] = 1.0
    return SpatialWeights.from_sparse(dense, ids=[f"u{i:02d}" for i in range(n)]).row_standardize()


def fit_rows(
    model: Any,
    true: Mapping[str, float],
    labels: Mapping[str, object],
    estimators: tuple[str, str] | Mapping[str, Mapping[str, object]],
) -> list[dict[str, object]]:
    """Fit ``model`` once per estimator and return one row per fit and parameter of ``true``:
    estimate, standard error and 95% Wald coverage, after the replication's ``labels``.

    ``estimators`` maps each estimator's name to the options of its ``fit``; a pair of names
    stands for ``bias_correction=False`` and ``True``."""
    if not isinstance(estimators, Mapping):
        estimators = {
            name: {"bias_correction": corrected}
            for corrected, name in zip((False, True), estimators, strict=True)
        }
    rows: list[dict[str, object]] = []
    for estimator, options in estimators.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(**options)
        se = res.std_errors
        for name, value_true in true.items():
            value, error = (
                (res.sigma2, res.sigma2_se) if name == "sigma2" else (res.params[name], se[name])
            )
            rows.append(
                {
                    **labels,
                    "estimator": estimator,
                    "parameter": name,
                    "estimate": float(value),
                    "std_error": float(error),
                    "covered": bool(abs(value - value_true) <= Z95 * error),
                    "converged": bool(res.record.converged),
                    "no_root": "no root" in res.record.message,
                }
            )
    return rows


def summarise(
    draws: pd.DataFrame, keys: Sequence[str], true: Mapping[str, float], spread: bool = False
) -> pd.DataFrame:
    """Bias, its Monte Carlo standard error and the Wald coverage with its binomial band, per
    group of ``keys`` (whose last entry is ``"parameter"``); with ``spread``, also the Monte
    Carlo standard deviation of the estimates (``mc_sd``) and the mean reported standard error
    (``mean_se``)."""
    rows = []
    for values, group in draws.groupby(list(keys), sort=False):
        parameter = values[-1]
        count = len(group)
        bias = group["estimate"].mean() - true[parameter]
        mc_se = group["estimate"].std(ddof=1) / np.sqrt(count)
        band = Z95 * np.sqrt(0.95 * 0.05 / count)
        rows.append(
            {
                **dict(zip(keys, values, strict=True)),
                "true": true[parameter],
                "replications": count,
                "bias": bias,
                "mc_se": mc_se,
                "bias_in_mc_se": bias / mc_se,
                "coverage": group["covered"].mean(),
                "band_low": 0.95 - band,
                "band_high": 0.95 + band,
            }
        )
        if spread:
            rows[-1]["mc_sd"] = group["estimate"].std(ddof=1)
            rows[-1]["mean_se"] = group["std_error"].mean()
    return pd.DataFrame(rows)
