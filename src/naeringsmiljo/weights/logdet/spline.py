"""Exact log-determinants on a grid of rho, interpolated by a cubic Hermite spline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicHermiteSpline

from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.weights.logdet.base import LogDeterminant

# For a cubic Hermite interpolant on [a, b] the error is f''''(xi) (x-a)^2 (x-b)^2 / 24: largest
# at the midpoint, h^4/384 times f''''; its derivative peaks at h/(2 sqrt 3) from the midpoint
# with h^3/(72 sqrt 3) times f''''. So the derivative error is about 384/(72 sqrt 3) / h = 3.08/h
# times the midpoint error, and a factor of 2 allows f'''' to vary across an interval.
_DERIVATIVE_FACTOR = 384.0 / (72.0 * np.sqrt(3.0))
_SAFETY = 2.0


@dataclass
class SplineLogDet:
    """Cubic Hermite interpolation of exact log-determinants on a grid of rho.

    An exact method (LU or Cholesky) gives ``ln|I - rho W|`` and its derivative at ``points``
    values of rho, clustered towards the ends of the parameter interval (Chebyshev-Lobatto
    points), where the function bends most. The singular parts ``ln(1 - rho omega_max)`` and
    ``ln(1 - rho omega_min)`` are removed before interpolating and added back, so the spline
    carries the smooth remainder. The derivative is the derivative of the spline.

    Stated error: the interpolant is compared with the exact value at the midpoint of every
    grid interval, where a Hermite cubic's error peaks; the bound in an interval is twice that
    measured error, and for the derivative ``2 * 3.08 / h`` times it (see ``_DERIVATIVE_FACTOR``).
    It is an estimate (it assumes a fourth derivative of nearly constant size within each
    interval), not a proof. Building costs ``2 * points - 1`` exact evaluations.

    Parameters
    ----------
    exact : LogDeterminant
        The exact method evaluated on the grid.
    interval : tuple of float
        Parameter interval ``(1/omega_min, 1/omega_max)``.
    points : int, default 40
        Grid size.
    """

    exact: LogDeterminant
    interval: tuple[float, float]
    points: int = 40
    name: str = field(init=False)
    grid: np.ndarray = field(init=False, repr=False)
    midpoint_errors: np.ndarray = field(init=False, repr=False)
    _spline: CubicHermiteSpline = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.points < 3:
            raise SpecificationError(f"The spline needs at least 3 grid points, got {self.points}.")
        self.name = f"spline({self.exact.name}, {self.points} points)"
        low, high = (end * (1 - 1e-9) for end in self.interval)
        centre, half = (low + high) / 2, (high - low) / 2
        self.grid = centre - half * np.cos(np.pi * np.arange(self.points) / (self.points - 1))
        values, slopes = np.array([self._exact_both(r) for r in self.grid]).T
        self._spline = CubicHermiteSpline(
            self.grid, values - self._singular(self.grid), slopes - self._singular_slope(self.grid)
        )
        middle = (self.grid[1:] + self.grid[:-1]) / 2
        exact_middle = np.array([self.exact.value(r) for r in middle])
        self.midpoint_errors = np.abs(np.array([self.value(r) for r in middle]) - exact_middle)

    def _exact_both(self, rho: float) -> tuple[float, float]:
        both = getattr(self.exact, "value_and_derivative", None)
        if both is not None:
            return both(rho)
        return self.exact.value(rho), self.exact.derivative(rho)

    def _singular(self, rho: np.ndarray | float) -> np.ndarray:
        low, high = self.interval
        return np.log1p(-rho / high) + np.log1p(-rho / low)

    def _singular_slope(self, rho: np.ndarray | float) -> np.ndarray | float:
        low, high = self.interval
        return -1.0 / (high - rho) - 1.0 / (low - rho)

    def value(self, rho: float) -> float:
        return float(self._spline(rho) + self._singular(rho))

    def derivative(self, rho: float) -> float:
        return float(self._spline(rho, 1) + self._singular_slope(rho))

    def _interval_index(self, rho: float) -> int:
        return int(np.clip(np.searchsorted(self.grid, rho) - 1, 0, self.grid.size - 2))

    def error_bound(self, rho: float) -> float:
        return _SAFETY * float(self.midpoint_errors[self._interval_index(rho)])

    def derivative_error_bound(self, rho: float) -> float:
        k = self._interval_index(rho)
        h = self.grid[k + 1] - self.grid[k]
        return _SAFETY * _DERIVATIVE_FACTOR / h * float(self.midpoint_errors[k])
