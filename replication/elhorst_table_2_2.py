"""Elhorst (2014, Table 2.2): eight models of Columbus crime, estimated by ML.

Columbus crime (Anselin 1988), CRIME ~ INC + HOVAL, with Anselin's contiguity matrix (R spdep's
COL.nb) row-standardised. The table is laid out with the book's conventions so that it can be
read against the printed one: intercepts divided by 100, t-values in parentheses, log-likelihoods
with the data scaled by 1/100 (+ 49 ln 100; OLS and SLX a further n/2 lower). OLS and SLX use the
classical least-squares covariance, the spatial models the ML information matrix.
"""

from __future__ import annotations

import math

import naeringsmiljo as nm

MODELS = ["OLS", "SAR", "SEM", "SLX", "SAC", "SDM", "SDEM", "GNS"]
ROWS = [
    ("Intercept/100", "Intercept"),
    ("INC", "INC"),
    ("HOVAL", "HOVAL"),
    ("W*CRIME (rho)", "rho"),
    ("W*INC", "W_INC"),
    ("W*HOVAL", "W_HOVAL"),
    ("W*error (lambda)", "lambda"),
]


def fit_all() -> dict[str, nm.SpatialResults]:
    """Fit the eight models of the table."""
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights("anselin").row_standardize()
    return {m: nm.MODELS[m].from_formula("CRIME ~ INC + HOVAL", data, w).fit() for m in MODELS}


def table(results: dict[str, nm.SpatialResults]) -> str:
    """The table as fixed-width text, three decimals for estimates and two for t-values."""
    width = 17
    lines = [f"{'':<{width}}" + "".join(f"{m:>{width}}" for m in MODELS)]
    for label, name in ROWS:
        cells = []
        for m in MODELS:
            res = results[m]
            if name in res.params.index:
                scale = 100.0 if name == "Intercept" else 1.0
                cells.append(f"{res.params[name] / scale:.3f} ({res.tstats[name]:.2f})")
            else:
                cells.append("")
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{width}}" for c in cells))
    lines.append(f"{'R2':<{width}}" + "".join(f"{results[m].r2:>{width}.3f}" for m in MODELS))
    n = results["OLS"].nobs
    offsets = {m: n * math.log(100) - (n / 2 if m in ("OLS", "SLX") else 0.0) for m in MODELS}
    lines.append(
        f"{'log-likelihood':<{width}}"
        + "".join(f"{results[m].loglik + offsets[m]:>{width}.3f}" for m in MODELS)
    )
    return "\n".join(lines)


def main() -> str:
    text = "Elhorst (2014) Table 2.2 reproduced: Columbus crime, W = Anselin contiguity (COL.nb)\n"
    text += table(fit_all())
    return text


if __name__ == "__main__":
    print(main())
