"""Chebyshev log-determinant with a computed error bound (Pace & LeSage 2004)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.polynomial.chebyshev as cheb
import scipy.sparse as sp

from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.weights.logdet.base import symmetrizing_scale
from naeringsmiljo.weights.logdet.monte_carlo import CONFIDENCE_Z
from naeringsmiljo.weights.spatial_weights import SpatialWeights

# Points on which |F - p| is maximised for the error bound: a fine grid of the eigenvalue
# interval, or of the circle bounding a complex spectrum.
_ERROR_POINTS = 4097
# Exact traces of T_j(M) propagate blocks of this many unit vectors.
_BLOCK = 512


@dataclass
class ChebyshevLogDet:
    """Chebyshev approximation of ``ln|I - rho W|`` (Pace & LeSage 2004, *CSDA* 45:179-196).

    With the spectrum of W inside ``[a, b]``, ``M = (2W - (a + b)I)/(b - a)`` has its spectrum in
    ``[-1, 1]`` and

    .. math::

        \\ln|I - \\rho W| = \\sum_i F(\\omega_i) \\approx \\sum_{j=0}^{q}{}' c_j(\\rho)\\,
        \\mathrm{tr}\\,T_j(M), \\qquad F(\\omega) = \\ln(1 - \\rho\\,\\omega),

    where ``c_j(rho)`` interpolate F at the q + 1 Chebyshev nodes (the prime halves ``c_0``) and
    the traces ``tr T_j(M)`` are computed once: exactly for ``j <= 2``, and for higher j exactly
    (``probes=None``) or by Rademacher probes with the three-term recurrence. The derivative is
    the same sum with the interpolants of ``dF/drho = -omega/(1 - rho omega)``, hence exactly the
    derivative of the value.

    Error bound. ``tr F(W) = sum_i F(omega_i)`` holds for any W, so the polynomial error is at
    most ``n max |F - p|`` over a set containing the spectrum: the interval ``[a, b]`` of the
    eigenvalue bounds when W is similar to a symmetric matrix (real spectrum), otherwise the disk
    of radius r (the spectral radius), where by the maximum principle the maximum is on the
    circle (F - p is analytic inside it when ``|rho| r < 1``; infinite otherwise). The maximum
    is taken over ``_ERROR_POINTS`` points. Estimated traces add ``CONFIDENCE_Z`` standard errors
    of the sum, from the spread over the probes.

    Parameters
    ----------
    weights : SpatialWeights
        The weights.
    order : int, default 40
        Degree q of the polynomial.
    probes : int or None, default 40
        Probe vectors for the traces; None computes them exactly (``order`` products of W with
        the n columns of the identity, in blocks: for moderate n).
    seed : int, default 0
        Seed of the probes.
    """

    weights: SpatialWeights
    order: int = 40
    probes: int | None = 40
    seed: int = 0
    name: str = "chebyshev"
    real_spectrum: bool = field(init=False)
    interval: tuple[float, float] = field(init=False)
    probe_traces: np.ndarray = field(init=False, repr=False)
    _to_unit: tuple[float, float] = field(init=False, repr=False)
    _nodes: np.ndarray = field(init=False, repr=False)
    _error_points: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w = self.weights.sparse
        n = self.weights.n
        low, high = self.weights.eigenvalue_bounds()
        self.real_spectrum = symmetrizing_scale(w) is not None
        if self.real_spectrum:
            self.interval = (low, high)
            points = np.linspace(low, high, _ERROR_POINTS)
        else:
            radius = max(high, abs(low))
            self.interval = (-radius, radius)
            points = radius * np.exp(2j * np.pi * np.arange(_ERROR_POINTS) / _ERROR_POINTS)
        a, b = self.interval
        self._to_unit = (2.0 / (b - a), -(a + b) / (b - a))
        q = self.order
        x = np.cos(np.pi * (np.arange(q + 1) + 0.5) / (q + 1))
        self._nodes = (x - self._to_unit[1]) / self._to_unit[0]
        self._error_points = points
        m = sp.csr_array(self._to_unit[0] * w + self._to_unit[1] * sp.identity(n, format="csr"))
        self.probe_traces = _chebyshev_traces(m, q, self.probes, self.seed)

    def _coefficients(self, values: np.ndarray) -> np.ndarray:
        # Interpolation at the Chebyshev nodes (Chebyshev-Gauss quadrature of the series).
        q = self.order
        j = np.arange(q + 1)
        t = np.cos(np.outer(j, np.pi * (np.arange(q + 1) + 0.5) / (q + 1)))
        c = (2.0 / (q + 1)) * (t @ values)
        c[0] /= 2.0
        return c

    def _function(self, rho: float, omega: np.ndarray, derivative: bool) -> np.ndarray:
        if derivative:
            return -omega / (1.0 - rho * omega)
        return np.log(1.0 - rho * omega + 0j)

    def _series(self, rho: float, derivative: bool) -> np.ndarray:
        return np.real(self._coefficients(self._function(rho, self._nodes, derivative)))

    def _estimate(self, c: np.ndarray) -> float:
        return float(np.mean(self.probe_traces @ c))

    def value(self, rho: float) -> float:
        return self._estimate(self._series(rho, False))

    def derivative(self, rho: float) -> float:
        return self._estimate(self._series(rho, True))

    def _bound(self, rho: float, derivative: bool) -> float:
        z = self._error_points
        if not self.real_spectrum and abs(rho) * np.max(np.abs(z)) >= 1.0:
            return np.inf
        c = self._series(rho, derivative)
        exact = self._function(rho, z, derivative)
        if not self.real_spectrum:
            exact = np.asarray(exact, dtype=complex)
        approx = cheb.chebval(self._to_unit[0] * z + self._to_unit[1], c)
        polynomial = self.weights.n * float(np.max(np.abs(exact - approx)))
        rows = self.probe_traces.shape[0]
        if rows < 2:
            return polynomial
        se = float(np.std(self.probe_traces @ c, ddof=1) / np.sqrt(rows))
        return polynomial + CONFIDENCE_Z * se

    def error_bound(self, rho: float) -> float:
        return self._bound(rho, False)

    def derivative_error_bound(self, rho: float) -> float:
        return self._bound(rho, True)


def _chebyshev_traces(m: sp.csr_array, order: int, probes: int | None, seed: int) -> np.ndarray:
    """``tr T_j(M)`` for ``j = 0..order``: one row if exact, one row per probe otherwise.

    ``T_0``, ``T_1`` and ``T_2 = 2M^2 - I`` have exact traces in every row.
    """
    n = m.shape[0]
    tr1 = float(m.diagonal().sum())
    tr2 = 2.0 * float(m.multiply(m.T).sum()) - n
    if probes is None:
        total = np.zeros(order + 1)
        for start in range(0, n, _BLOCK):
            cols = np.arange(start, min(start + _BLOCK, n))
            z = np.zeros((n, cols.size))
            z[cols, np.arange(cols.size)] = 1.0

            def diagonal(v: np.ndarray, cols: np.ndarray = cols) -> np.ndarray:
                return v[cols, np.arange(cols.size)]

            total += _recurrence(m, z, order, diagonal)
        rows = total[None, :]
    else:
        if probes < 2:
            raise SpecificationError(f"The Chebyshev traces need at least 2 probes, got {probes}.")
        rng = np.random.default_rng(seed)
        z = rng.integers(0, 2, size=(n, probes)).astype(np.float64) * 2.0 - 1.0
        rows = _recurrence(m, z, order, lambda v: np.einsum("ij,ij->j", z, v), per_column=True)
    rows = np.array(rows, dtype=float, ndmin=2)
    rows[:, 0] = n
    if order >= 1:
        rows[:, 1] = tr1
    if order >= 2:
        rows[:, 2] = tr2
    return rows


def _recurrence(
    m: sp.csr_array,
    z: np.ndarray,
    order: int,
    contract: Callable[[np.ndarray], np.ndarray],
    *,
    per_column: bool = False,
) -> np.ndarray:
    """Contractions of ``T_j(M) z`` for ``j = 0..order`` (``T_{j+1} = 2 M T_j - T_{j-1}``)."""
    out = np.empty((z.shape[1], order + 1)) if per_column else np.empty(order + 1)
    previous, current = z, m @ z
    for j in range(order + 1):
        if j == 0:
            v = previous
        elif j == 1:
            v = current
        else:
            previous, current = current, 2.0 * (m @ current) - previous
            v = current
        value = contract(v)
        if per_column:
            out[:, j] = value
        else:
            out[j] = float(np.sum(value))
    return out
