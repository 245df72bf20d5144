"""Option types shared across the package (one place for every ``Literal``)."""

from __future__ import annotations

from typing import Literal

LogDetMethod = Literal[
    "eigen", "lu", "cholesky", "pardiso", "chebyshev", "monte_carlo", "spline", "auto"
]
"""How ln|I - rho W| is evaluated: exactly (dense eigenvalues, sparse LU, sparse Cholesky), approximately
with a stated error (Chebyshev, Monte Carlo, spline on a grid), or chosen by size and structure."""

FitMethod = Literal["ml", "ols", "gmm"]
"""Estimation method accepted by ``fit``."""

MissingPolicy = Literal["raise", "drop"]
"""What to do with NaN or infinite values in the variables of a model."""

IslandPolicy = Literal["raise", "keep", "drop"]
"""What to do with units that have no neighbours."""

Transform = Literal["o", "r", "b", "d", "s"]
"""Weights transforms: original, row-standardised, binary, doubly standardised, spectral."""

ImpactsMethod = Literal["auto", "exact", "eigen", "trace"]
"""How impacts are computed: dense inverse, eigen-decomposition, or trace series."""

ImpactsInference = Literal["simulation", "delta"]
"""How standard errors of the impacts are obtained (None: point estimates only)."""

TraceMethod = Literal["exact", "monte_carlo", "auto"]
"""How ``tr(W^k)`` is obtained: exactly, by the stochastic estimator, or chosen by size."""

InformationPath = Literal["auto", "dense", "sparse"]
"""How the information matrix is computed: dense inverses, sparse solves and traces, or by size."""

SandwichInnovations = Literal["heteroskedastic", "iid"]
"""What the ML sandwich assumes of the innovations: independent with unit-specific variances
(Kelejian & Prucha 2010), or independent and identically distributed, not necessarily normal
(Lee 2004)."""

#: Largest n for which dense n-by-n matrices are formed (the information-matrix covariance and
#: exact impacts): one such matrix takes 8 n^2 bytes, 200 MB at n = 5,000.
DENSE_MATRIX_LIMIT = 5000

Alternative = Literal["two-sided", "greater", "less"]
"""Alternative hypothesis of a one-dimensional z test."""

TableFormat = Literal["text", "markdown", "latex"]
"""Output format of :func:`regression_table`."""

TableStat = Literal["se", "t", "p"]
"""What is shown in parentheses beneath each estimate."""

ColumbusWeights = Literal["anselin", "queen"]
"""Which Columbus contiguity matrix."""

NorwayWeights = Literal["queen", "knn", "distance"]
"""Geographic rule of :func:`norway_weights`."""

NorwayIslandPolicy = Literal["raise", "knn", "keep"]
"""What :func:`norway_weights` does with municipalities left without neighbours."""

GMMVariant = Literal["kp99", "het", "hom"]
"""Moment conditions of the GMM estimators of lambda."""

Weighting = Literal["size", "count"]
"""What an actor contributes to a measure: its employment (``size``) or one (``count``)."""

DistanceDecay = Literal["exponential", "gaussian"]
"""Kernel of the co-location potential: ``exp(-d/b)`` or ``exp(-d^2 / (2 b^2))``."""

RelationalValue = Literal["count", "intensity"]
"""What a relational weight holds: the number of ties, or ties per possible pair of actors."""

OutcomeLevel = Literal["actor", "region"]
"""Whether outcomes are observed per actor or per region."""
