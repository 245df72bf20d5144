"""Exact log-determinant of a W similar to a symmetric matrix, by a symmetric factorisation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo.exceptions import ParameterSpaceError
from naeringsmiljo.weights.logdet.base import ExactMethod, symmetrized
from naeringsmiljo.weights.logdet.lu import COMPLEX_STEP, fill_reducing_order


@dataclass
class CholeskyLogDet(ExactMethod):
    """Exact ``ln|I - rho W|`` for ``W = D^{-1} C`` with C symmetric, from ``S = D^{1/2} W D^{-1/2}``.

    W and S are similar, so ``ln|I - rho W| = ln|I - rho S|``, and ``I - rho S`` is symmetric
    positive definite on the whole parameter interval (its eigenvalues are ``1 - rho omega_i > 0``),
    so it factorises as ``L D L'`` without pivoting: SuperLU in symmetric mode (diagonal pivots
    only) after one fill-reducing ordering, ``ln|I - rho W| = sum_i ln D_ii``. The derivative is
    the complex-step derivative of the same factorisation, as in
    :class:`~naeringsmiljo.weights.logdet.lu.SparseLULogDet`.

    CHOLMOD (through the ``sksparse-minimal`` wheel) computed the value 1.75 times as fast at
    n = 1e5, but it is real only, so the derivatives would still need SuperLU, and a whole SAR
    fit was not faster; it is not used.

    Parameters
    ----------
    matrix : sparse array
        W.
    scale : numpy.ndarray
        Positive ``d`` with ``diag(d) W`` symmetric, from
        :func:`~naeringsmiljo.weights.logdet.base.symmetrizing_scale`.
    """

    matrix: sp.sparray
    scale: np.ndarray
    name: str = "cholesky"
    _s: sp.csc_array = field(init=False, repr=False)
    _identity: sp.csc_array = field(init=False, repr=False)
    _recent: dict[complex, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = symmetrized(self.matrix, self.scale)
        order = fill_reducing_order(s)
        self._s = sp.csc_array(s[order][:, order])
        self._identity = sp.identity(s.shape[0], format="csc")
        self._recent = {}

    def _diag_d(self, rho: complex) -> np.ndarray:
        if rho not in self._recent:
            if len(self._recent) >= 8:
                self._recent.pop(next(iter(self._recent)))
            a = sp.csc_array(self._identity - rho * self._s)
            try:
                lu = splu(
                    a,
                    permc_spec="NATURAL",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
            except RuntimeError as err:  # an exactly zero pivot
                raise ParameterSpaceError(f"I - rho W is singular at rho = {rho.real!r}.") from err
            self._recent[rho] = lu.U.diagonal()
        return self._recent[rho]

    def value(self, rho: float) -> float:
        return float(np.sum(np.log(np.abs(self._diag_d(complex(rho, 0.0)).real))))

    def derivative(self, rho: float) -> float:
        diag = self._diag_d(complex(rho, COMPLEX_STEP))
        return float(np.sum(diag.imag / diag.real) / COMPLEX_STEP)

    def value_and_derivative(self, rho: float) -> tuple[float, float]:
        """Both from one complex factorisation (``|u| = |Re u| (1 + O(h^2))``)."""
        diag = self._diag_d(complex(rho, COMPLEX_STEP))
        value = float(np.sum(np.log(np.abs(diag.real))))
        return value, float(np.sum(diag.imag / diag.real) / COMPLEX_STEP)
