"""``ln|I - rho W|`` tabulated on a grid of rho, computed once per weights and cached with them.

The samplers of the Bayesian estimators draw a spatial parameter from a log kernel evaluated on a
grid (griddy Gibbs, LeSage & Pace 2009, s. 5.3.1; Smith & LeSage 2004), and the log-marginal
likelihoods integrate over the same grid (LeSage & Pace 2009, s. 6.3). The log-determinant is the
only part of those kernels that costs more than O(1) per grid point, so it is tabulated once per
weights matrix, method and grid, and kept in the weights' cache (which travels with the weights
when they are pickled, as their eigenvalues do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naeringsmiljo._options import LogDetMethod, check_choice
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.weights.logdet import (
    AUTO_EIGEN_LIMIT,
    LogDeterminant,
    SplineLogDet,
    make_logdet,
)
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: Default number of grid points: a spacing of about 0.001 on the interval (-1, 1) of
#: row-standardised weights, LeSage's default in ``sar_g`` (spatialreg interpolates to 2,000).
DEFAULT_GRID_POINTS = 2000

#: Exact evaluations behind the spline of ``logdet="auto"`` above ``AUTO_EIGEN_LIMIT`` units.
SPLINE_POINTS = 40

#: Largest stated error of a spline value on the grid of ``logdet="auto"``; grid points where
#: the spline states more are evaluated exactly.
GRID_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class LogDetGrid:
    """``ln|I - rho W|`` on an increasing grid of rho inside the parameter interval.

    Attributes
    ----------
    rho : numpy.ndarray
        Grid points: the midpoints of ``points`` equal cells of the interval
        ``(1/omega_min, 1/omega_max)``, so no point touches a singular end.
    values : numpy.ndarray
        ``ln|I - rho W|`` at the grid points.
    interval : tuple of float
        The parameter interval the grid spans.
    method : str
        How the values were computed.
    errors : numpy.ndarray
        Stated bound on ``|values - ln|I - rho W||`` at each grid point (0 for exact methods;
        the approximate methods' bounds grow towards the ends of the interval, infinite where
        their series diverge).
    """

    rho: np.ndarray
    values: np.ndarray
    interval: tuple[float, float]
    method: str
    errors: np.ndarray

    @property
    def error(self) -> float:
        """The largest stated error over the grid."""
        return float(np.max(self.errors))

    def error_between(self, low: float, high: float) -> float:
        """The largest stated error at the grid points in ``[low, high]`` and the two around it
        (where a sampler's draws fell, say)."""
        first = max(int(np.searchsorted(self.rho, low)) - 1, 0)
        last = min(int(np.searchsorted(self.rho, high)) + 1, self.rho.size)
        return float(np.max(self.errors[first:last]))

    @property
    def spacing(self) -> float:
        """Distance between neighbouring grid points."""
        return float(self.rho[1] - self.rho[0])


def grid_points(interval: tuple[float, float], points: int) -> np.ndarray:
    """Midpoints of ``points`` equal cells of ``interval``."""
    low, high = interval
    step = (high - low) / points
    return low + step * (np.arange(points) + 0.5)


def logdet_grid(
    weights: SpatialWeights,
    method: LogDetMethod = "auto",
    *,
    points: int = DEFAULT_GRID_POINTS,
    seed: int = 0,
) -> LogDetGrid:
    """Tabulate ``ln|I - rho W|`` on ``points`` values of rho, cached on ``weights``.

    Parameters
    ----------
    weights : SpatialWeights
        The weights matrix W.
    method : {"auto", "eigen", "lu", "cholesky", "pardiso", "chebyshev", "monte_carlo", "spline"}
        ``"auto"``: dense eigenvalues up to ``AUTO_EIGEN_LIMIT`` units (exact, O(n) per point);
        above, a cubic Hermite spline of ``SPLINE_POINTS`` exact sparse evaluations (Cholesky
        when W is similar to a symmetric matrix, else LU; PARDISO when installed above 20,000
        units), with the spline's stated error (Pace & Barry 1997 tabulate the same way). Any
        other method of :func:`naeringsmiljo.weights.logdet.make_logdet` is evaluated at every
        grid point, with its stated error.
    points : int
        Grid size (at least 50).
    seed : int
        Seed of the random probes of ``"chebyshev"`` and ``"monte_carlo"``.

    Returns
    -------
    LogDetGrid
    """
    check_choice("method", method, LogDetMethod, context="(log-determinant method)")
    if int(points) != points or points < 50:
        raise SpecificationError(f"The log-determinant grid needs at least 50 points, got {points!r}.")
    interval = weights.parameter_interval()
    key = f"logdet_grid:{method}:{int(points)}:{seed}:{interval[0]!r}:{interval[1]!r}"
    cached = weights._cache.get(key)
    if cached is not None:
        return cached
    rho = grid_points(interval, int(points))
    if method in ("auto", "eigen") and (method == "eigen" or weights.n <= AUTO_EIGEN_LIMIT):
        omega = weights.eigenvalues()
        values = np.array([np.sum(np.log(np.abs(1.0 - r * omega))) for r in rho])
        grid = LogDetGrid(rho, values, interval, "eigen", np.zeros(rho.size))
    else:
        logdet: LogDeterminant
        if method == "auto":
            exact = make_logdet(weights, "auto")
            logdet = SplineLogDet(exact, interval, points=SPLINE_POINTS)
        else:
            logdet = make_logdet(weights, method, seed=seed)
        values = np.array([logdet.value(float(r)) for r in rho])
        errors = np.array([logdet.error_bound(float(r)) for r in rho])
        if method == "auto":
            # Near the ends of the interval several eigenvalues of W can approach 1/rho (a
            # k-nearest-neighbour graph with loosely connected parts), and the spline of the
            # remainder is then no longer smooth: where its stated error exceeds
            # GRID_TOLERANCE the exact method is evaluated instead.
            rough = np.flatnonzero(errors > GRID_TOLERANCE)
            for i in rough:
                values[i] = exact.value(float(rho[i]))
            errors[rough] = 0.0
        grid = LogDetGrid(rho, values, interval, logdet.name, errors)
    weights._cache[key] = grid
    return grid
