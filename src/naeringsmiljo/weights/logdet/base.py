"""The interface shared by every log-determinant method, and the structure the methods exploit."""

from __future__ import annotations

from typing import Protocol

from naeringsmiljo.weights.symmetry import symmetrized, symmetrizing_scale


class LogDeterminant(Protocol):
    """Interface of every log-determinant method.

    ``value`` and ``derivative`` must be consistent (the derivative of the method's own value
    function), because the estimators search on the value and then solve the score equation.
    ``error_bound`` and ``derivative_error_bound`` state how far each may be from the exact
    ``ln|I - rho W|`` and its derivative; they are 0 for the exact methods (up to rounding).
    """

    name: str

    def value(self, rho: float) -> float:
        """``ln|I - rho W|``."""
        ...

    def derivative(self, rho: float) -> float:
        """``d/drho ln|I - rho W| = -tr(W (I - rho W)^{-1})``."""
        ...

    def error_bound(self, rho: float) -> float:
        """Bound on ``|value(rho) - ln|I - rho W||``."""
        ...

    def derivative_error_bound(self, rho: float) -> float:
        """Bound on the error of ``derivative(rho)``."""
        ...


class ExactMethod:
    """Mixin of the exact methods: their stated error is zero (rounding aside)."""

    def error_bound(self, rho: float) -> float:
        return 0.0

    def derivative_error_bound(self, rho: float) -> float:
        return 0.0


__all__ = ["ExactMethod", "LogDeterminant", "symmetrized", "symmetrizing_scale"]
