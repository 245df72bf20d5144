"""Log-determinants ``ln|I - rho W|`` and their derivatives, the costly part of spatial ML.

Each method is a small class with the same interface (:class:`LogDeterminant`): ``value(rho)``
and ``derivative(rho)`` (``-tr(W (I - rho W)^{-1})``), both exact. The derivative lets the
estimators solve the score equation, so that the maximiser is found to machine precision instead
of where a value-based line search stalls on the flat top of the likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo._options import LogDetMethod
from naeringsmiljo.exceptions import ParameterSpaceError
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: ``logdet="auto"`` uses dense eigenvalues up to this many units and sparse LU above.
AUTO_EIGEN_LIMIT = 1000

# Step of the complex-step derivative (Squire & Trapp 1998): the derivative comes out of the
# imaginary part with no subtractive cancellation, so a step far below sqrt(eps) is exact to
# rounding; 1e-20 keeps the O(h^2) truncation error below 1e-40.
_COMPLEX_STEP = 1e-20


class LogDeterminant(Protocol):
    """Interface of every log-determinant method."""

    name: str

    def value(self, rho: float) -> float:
        """``ln|I - rho W|``."""
        ...

    def derivative(self, rho: float) -> float:
        """``d/drho ln|I - rho W| = -tr(W (I - rho W)^{-1})``."""
        ...


@dataclass
class EigenLogDet:
    """Exact log-determinant from the eigenvalues ``omega`` of W (Ord 1975).

    ``ln|I - rho W| = sum_i ln|1 - rho omega_i|``; dense eigenvalues cost O(n^3) once, then each
    evaluation is O(n). Complex eigenvalues of an asymmetric W enter through their modulus.
    """

    eigenvalues: np.ndarray
    name: str = "eigen"

    def value(self, rho: float) -> float:
        return float(np.sum(np.log(np.abs(1.0 - rho * self.eigenvalues))))

    def derivative(self, rho: float) -> float:
        return float(-np.sum(np.real(self.eigenvalues / (1.0 - rho * self.eigenvalues))))


@dataclass
class SparseLULogDet:
    """Exact log-determinant from a sparse LU factorisation (SuperLU) of ``I - rho W``.

    ``ln|I - rho W| = sum_i ln|U_ii|``. The derivative is the complex-step derivative of the same
    factorisation: ``Im ln det(I - (rho + ih) W) / h``, read off the diagonal of U, which is exact
    for analytic functions and needs no trace of an inverse.
    """

    matrix: sp.csc_array
    name: str = "lu"
    _identity: sp.csc_array = field(init=False, repr=False)
    _recent: dict[complex, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.matrix = sp.csc_array(self.matrix)
        self._identity = sp.identity(self.matrix.shape[0], format="csc")
        self._recent = {}

    def _diag_u(self, rho: complex) -> np.ndarray:
        # Covariance and score evaluations revisit the same rho many times (only beta or sigma^2
        # moves), so the last few factorisations' diagonals are kept.
        if rho not in self._recent:
            if len(self._recent) >= 8:
                self._recent.pop(next(iter(self._recent)))
            self._recent[rho] = self._factor_diagonal(rho)
        return self._recent[rho]

    def _factor_diagonal(self, rho: complex) -> np.ndarray:
        a = sp.csc_array(self._identity - rho * self.matrix)
        try:
            lu = splu(a)
        except RuntimeError as err:  # SuperLU reports an exactly singular factor this way
            raise ParameterSpaceError(f"I - rho W is singular at rho = {rho.real!r}.") from err
        return lu.U.diagonal()

    def value(self, rho: float) -> float:
        return float(np.sum(np.log(np.abs(self._diag_u(rho)))))

    def derivative(self, rho: float) -> float:
        diag = self._diag_u(complex(rho, _COMPLEX_STEP))
        # arg(u) is Im(u)/Re(u) to first order, modulo pi; the pi's from negative pivots are
        # constant in rho and drop out of the derivative.
        return float(np.sum(diag.imag / diag.real) / _COMPLEX_STEP)


def make_logdet(weights: SpatialWeights, method: LogDetMethod = "auto") -> LogDeterminant:
    """Choose and build a log-determinant method for ``weights``.

    ``"auto"`` takes dense eigenvalues for ``n <= AUTO_EIGEN_LIMIT`` (exact, and cheap once the
    eigenvalues exist) and sparse LU above.
    """
    if method == "auto":
        method = "eigen" if weights.n <= AUTO_EIGEN_LIMIT else "lu"
    if method == "eigen":
        return EigenLogDet(weights.eigenvalues())
    if method == "lu":
        return SparseLULogDet(weights.sparse)
    raise ValueError(f"Unknown log-determinant method {method!r}; use 'eigen', 'lu' or 'auto'.")
