"""Monte Carlo log-determinant with a confidence interval (Barry & Pace 1999)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from naeringsmiljo.weights.spatial_weights import SpatialWeights
from naeringsmiljo.weights.traces import WeightsTraces, monte_carlo_traces

#: Normal quantile of the stated interval: the error bound holds with probability ~99.7%.
CONFIDENCE_Z = 3.0


@dataclass
class MonteCarloLogDet:
    """Stochastic log-determinant of Barry & Pace (1999, *Linear Algebra Appl.* 289:41-54).

    .. math::

        \\ln|I - \\rho W| = -\\sum_{k=1}^{\\infty} \\frac{\\rho^k}{k} \\mathrm{tr}(W^k)
        \\approx -n \\sum_{k=1}^{m} \\frac{\\rho^k}{k} \\hat t_k ,

    with ``t_k = tr(W^k)/n`` estimated from random probes ``z'W^k z/n``
    (:func:`naeringsmiljo.weights.traces.monte_carlo_traces`; Rademacher probes, which have a smaller
    variance than Barry & Pace's normal ones; ``t_1`` and ``t_2`` exact). The value is a
    polynomial in rho and the derivative is its derivative. The stated error is Barry & Pace's
    interval: ``CONFIDENCE_Z`` Monte Carlo standard errors of the series (from the spread over
    the probes) plus the bound on the truncated tail,
    ``n sum_{k>m} (|rho| r)^k / k <= n (|rho| r)^{m+1} / ((m+1)(1 - |rho| r))``,
    with r the spectral radius; it is infinite where ``|rho| r >= 1``.

    Parameters
    ----------
    weights : SpatialWeights
        The weights.
    seed : int
        Seed of the probes; the same seed gives the same value.
    order : int, default 50
        Number of terms m of the series.
    probes : int, default 50
        Number of probe vectors.
    """

    weights: SpatialWeights
    seed: int
    order: int = 50
    probes: int = 50
    name: str = "monte_carlo"
    traces: WeightsTraces = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.traces = monte_carlo_traces(
            self.weights, self.order, probes=self.probes, seed=self.seed
        )

    def _coefficients(self, rho: float, derivative: bool) -> np.ndarray:
        k = np.arange(self.order + 1, dtype=float)
        c = np.zeros(self.order + 1)
        if derivative:
            c[1:] = -(rho ** (k[1:] - 1))
        else:
            c[1:] = -(rho ** k[1:]) / k[1:]
        return self.weights.n * c

    def value(self, rho: float) -> float:
        c = self._coefficients(rho, False)
        return float(c @ self.traces.traces[: c.size])

    def derivative(self, rho: float) -> float:
        c = self._coefficients(rho, True)
        return float(c @ self.traces.traces[: c.size])

    def _tail(self, rho: float, derivative: bool) -> float:
        r = self.traces.spectral_radius
        q = abs(rho) * r
        if q >= 1.0:
            return np.inf
        m = self.order
        if derivative:
            return self.weights.n * r * q**m / (1.0 - q)
        return self.weights.n * q ** (m + 1) / ((m + 1) * (1.0 - q))

    def error_bound(self, rho: float) -> float:
        se = self.traces.series_error(self._coefficients(rho, False))
        return CONFIDENCE_Z * se + self._tail(rho, False)

    def derivative_error_bound(self, rho: float) -> float:
        se = self.traces.series_error(self._coefficients(rho, True))
        return CONFIDENCE_Z * se + self._tail(rho, True)
