"""Exact log-determinant from the eigenvalues of W (small n)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naeringsmiljo.weights.logdet.base import ExactMethod


@dataclass
class EigenLogDet(ExactMethod):
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
