"""Exact log-determinant from Intel MKL PARDISO's parallel sparse LU (optional, large n).

PARDISO (Schenk & Gärtner 2004) orders the unknowns by METIS nested dissection and factorises
with supernodes on every core; on 10-nearest-neighbour weights it factorises ``I - rho W`` with
n = 1e6 in about 3 s on two cores, against 15 to 19 s for SuperLU in a nested-dissection order
(``benchmarks/scale.py``). The symbolic analysis (ordering and elimination tree) depends on the
pattern only and is done once; each rho costs one numerical factorisation.

pypardiso, the maintained PyPI wrapper, loads MKL's runtime library but solves systems only:
it neither separates the analysis from the numerical factorisation nor exposes
``pardiso_getdiag``, the diagonal of the factor that the log-determinant is read from. This
module therefore calls those two MKL routines through ``ctypes`` on the library pypardiso loads.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.weights.logdet.base import ExactMethod

#: Step of the central difference of the derivative (see :meth:`PardisoLogDet.derivative`).
DIFFERENCE_STEP = 1e-5

_REAL_NONSYMMETRIC = 11
_PHASE_ANALYSE, _PHASE_FACTORISE, _PHASE_SOLVE = 11, 22, 33
_PHASE_FREE_FACTOR, _PHASE_RELEASE = 0, -1


def pardiso_available() -> bool:
    """Whether MKL PARDISO can be loaded (``pip install pypardiso``; x86-64 only)."""
    if importlib.util.find_spec("pypardiso") is None:
        return False
    try:
        _library()
    except Exception:  # noqa: BLE001 - any failure to load MKL means "not available"
        return False
    return True


_LIBRARY: list[Any] = []


def _library() -> Any:
    if not _LIBRARY:
        # Where the mkl wheel puts the runtime library; pypardiso's own search (the fallback)
        # walks the whole environment, 1.3 s.
        candidates = sorted(Path(sys.prefix, "lib").glob("libmkl_rt.so*"))
        if candidates:
            path = str(candidates[0])
        else:
            from pypardiso import PyPardisoSolver

            path = PyPardisoSolver().libmkl._name
        # A handle of our own: pypardiso sets argument types on the functions of its handle.
        _LIBRARY.append(ctypes.CDLL(path))
    return _LIBRARY[0]


def _control() -> np.ndarray:
    """PARDISO's ``iparm`` (0-based indices as in the MKL C reference)."""
    iparm = np.zeros(64, dtype=np.int32)
    iparm[0] = 1  # use the values below, not the defaults
    iparm[1] = 3  # METIS nested dissection, parallel version: analysis 10.5 s vs 13.9 s at n = 1e6
    iparm[9] = 13  # pivot perturbation 1e-13 (reported in iparm[13]; see _factorise)
    # No scaling and no weighted matching: both would change the determinant by unknown
    # factors. I - rho W is diagonally dominant inside the parameter interval of a row-standardised
    # W, so the diagonal pivots are safe without them.
    iparm[10] = 0
    iparm[12] = 0
    iparm[17] = -1  # report the number of non-zeros of the factors
    iparm[34] = 1  # zero-based ia/ja
    iparm[55] = 1  # keep the diagonal of the factor for pardiso_getdiag
    return iparm


class PardisoLogDet(ExactMethod):
    """Exact ``ln|I - rho W|`` from MKL PARDISO's LU factorisation of ``I - rho W``.

    ``ln|I - rho W| = sum_i ln|u_ii|`` over the diagonal of the factor. The analysis (METIS
    ordering, symbolic factorisation) runs once in the constructor; every rho costs one
    numerical factorisation, and the last one's value is cached.

    Parameters
    ----------
    matrix : sparse matrix
        W (n x n).

    Notes
    -----
    The derivative is a central difference of two exact values with step
    :data:`DIFFERENCE_STEP` (two factorisations); its stated error bound covers the truncation
    ``h^2 |g'''| / 6`` (with ``|g'''| <= 2 n max|omega|^3 / (1 - |rho| max|omega|)^3``) and the
    rounding of the values. The maximum-likelihood search at large n uses values only
    (:func:`naeringsmiljo.estimators.ml_search.fit_one_parameter`).

    References
    ----------
    Schenk, O., & Gärtner, K. (2004). Solving unsymmetric sparse systems of linear equations with
    PARDISO. Future Generation Computer Systems, 20(3), 475-487.
    """

    name = "pardiso"
    #: Values cost one factorisation, the derivative two: the ML search uses values only.
    cheap_derivative = False
    values_search = True
    #: Its analysis lives in MKL's memory: weights pickled with their caches leave it out.
    process_local = True

    def __init__(self, matrix: sp.sparray) -> None:
        w = sp.csr_array(matrix, dtype=np.float64)
        n = w.shape[0]
        if n > np.iinfo(np.int32).max // 16:
            raise SpecificationError("PARDISO through this interface handles at most ~1.3e8 units.")
        pattern = sp.csr_array(sp.identity(n, format="csr") + abs(w))
        pattern.sort_indices()
        # A(rho) = I - rho W on one fixed pattern: data = diagonal - rho * w_values.
        rows = np.repeat(np.arange(n), np.diff(pattern.indptr))
        self._diagonal_mask = (rows == pattern.indices).astype(np.float64)
        self._w_values = _values_on_pattern(w, pattern)
        self._buffer = np.empty_like(self._w_values)
        self._indptr = pattern.indptr.astype(np.int32)
        self._indices = pattern.indices.astype(np.int32)
        self.n = n
        # Largest absolute row sum: a bound on every |omega| of W.
        self._bound = float(np.max(np.abs(w).sum(axis=1))) if w.nnz else 0.0
        self._lib = _library()
        self._handle = np.zeros(64, dtype=np.int64)
        self._iparm = _control()
        self._values: dict[float, float] = {}
        self._factored_at: float | None = None
        self.factor_nonzeros = 0
        self._call(_PHASE_ANALYSE, self._data(0.5))

    # ------------------------------------------------------------------ MKL calls
    def _data(self, rho: float) -> np.ndarray:
        # one buffer, refilled: PARDISO reads the values during each call only
        np.multiply(self._w_values, -rho, out=self._buffer)
        self._buffer += self._diagonal_mask
        return self._buffer

    def _call(
        self,
        phase: int,
        data: np.ndarray,
        rhs: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> None:
        error = ctypes.c_int32(0)
        dummy = np.zeros(1)
        rhs = dummy if rhs is None else rhs
        out = dummy if out is None else out
        nrhs = 1 if rhs.ndim == 1 else rhs.shape[1]
        int_p = ctypes.POINTER(ctypes.c_int32)
        self._lib.pardiso(
            self._handle.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(ctypes.c_int32(1)),  # maxfct
            ctypes.byref(ctypes.c_int32(1)),  # mnum
            ctypes.byref(ctypes.c_int32(_REAL_NONSYMMETRIC)),
            ctypes.byref(ctypes.c_int32(phase)),
            ctypes.byref(ctypes.c_int32(self.n)),
            data.ctypes.data_as(ctypes.c_void_p),
            self._indptr.ctypes.data_as(int_p),
            self._indices.ctypes.data_as(int_p),
            None,  # perm
            ctypes.byref(ctypes.c_int32(nrhs)),
            self._iparm.ctypes.data_as(int_p),
            ctypes.byref(ctypes.c_int32(0)),  # msglvl
            rhs.ctypes.data_as(ctypes.c_void_p),
            out.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(error),
        )
        if error.value != 0:
            raise RuntimeError(f"MKL PARDISO failed in phase {phase} with error {error.value}.")

    def _factor_diagonal(self, rho: float) -> np.ndarray:
        data = self._data(rho)
        self._factored_at = None
        self._call(_PHASE_FACTORISE, data)
        self._factored_at = rho
        self.factor_nonzeros = int(self._iparm[17])
        if self._iparm[13] != 0:  # perturbed pivots: the factor is not that of I - rho W
            raise ParameterSpaceError(
                f"I - rho W is (numerically) singular at rho = {rho!r}: PARDISO perturbed "
                f"{int(self._iparm[13])} pivots."
            )
        factor = np.zeros(self.n)
        original = np.zeros(self.n)
        error = ctypes.c_int32(0)
        self._lib.pardiso_getdiag(
            self._handle.ctypes.data_as(ctypes.c_void_p),
            factor.ctypes.data_as(ctypes.c_void_p),
            original.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(ctypes.c_int32(1)),
            ctypes.byref(error),
        )
        if error.value != 0:
            raise RuntimeError(f"MKL pardiso_getdiag failed with error {error.value}.")
        return factor

    # ------------------------------------------------------------------ other matrices
    def pattern_values(self, matrix: sp.sparray) -> np.ndarray:
        """The entries of ``matrix`` on the analysed pattern (its pattern must lie inside it).

        With :meth:`value_of` this evaluates ``ln|I - M|`` for any ``M`` on the pattern, such
        as a combination of several weights matrices analysed once on their union.
        """
        pattern = sp.csr_array(
            (np.ones(self._indices.size), self._indices, self._indptr), shape=(self.n, self.n)
        )
        return _values_on_pattern(sp.csr_array(matrix, dtype=np.float64), pattern)

    def _set(self, w_values: np.ndarray) -> None:
        self._w_values = np.asarray(w_values, dtype=np.float64)
        self._values.clear()
        self._factored_at = None

    def value_of(self, w_values: np.ndarray) -> float:
        """``ln|I - M|`` for the matrix ``M`` with entries ``w_values`` on the pattern."""
        self._set(w_values)
        return self.value(1.0)

    def solve_of(
        self, w_values: np.ndarray, rhs: np.ndarray, *, transpose: bool = False
    ) -> np.ndarray:
        """``(I - M)^{-1} rhs`` for ``M`` given by ``w_values`` (factorised once per ``M``)."""
        if not (self._factored_at == 1.0 and np.array_equal(self._w_values, w_values)):
            self._set(w_values)
        return self.solve(1.0, rhs, transpose=transpose)

    # ------------------------------------------------------------------ interface
    def value(self, rho: float) -> float:
        rho = float(rho)
        if rho not in self._values:
            if len(self._values) >= 64:
                self._values.pop(next(iter(self._values)))
            diagonal = self._factor_diagonal(rho)
            if np.any(diagonal == 0.0):
                raise ParameterSpaceError(f"I - rho W is singular at rho = {rho!r}.")
            self._values[rho] = float(np.sum(np.log(np.abs(diagonal))))
        return self._values[rho]

    def solve(self, rho: float, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        """``(I - rho W)^{-1} rhs`` (or with the transpose) from the factorisation at ``rho``.

        The factor of the latest evaluation is reused: after the ML search that is the one at
        the estimate, so the covariance's solves cost no new factorisation.
        """
        rho = float(rho)
        if self._factored_at != rho:
            self._factor_diagonal(rho)
        rhs = np.asfortranarray(rhs, dtype=np.float64)
        out = np.zeros_like(rhs, order="F")
        self._iparm[11] = 2 if transpose else 0  # 2: solve with the transpose
        try:
            self._call(_PHASE_SOLVE, self._data(rho), rhs, out)
        finally:
            self._iparm[11] = 0
        return np.ascontiguousarray(out)

    def release_factor(self) -> None:
        """Free the numerical factor (about 10 times the memory of W); the analysis is kept and
        the next value or solve factorises again. The values already computed stay cached."""
        if self._factored_at is not None:
            self._call(_PHASE_FREE_FACTOR, self._data(self._factored_at))
            self._factored_at = None

    def derivative(self, rho: float) -> float:
        h = DIFFERENCE_STEP
        return (self.value(rho + h) - self.value(rho - h)) / (2.0 * h)

    def derivative_error_bound(self, rho: float) -> float:
        """Truncation plus rounding error of the central difference (see the class notes)."""
        h = DIFFERENCE_STEP
        radius = self._bound
        margin = max(1.0 - (abs(rho) + h) * radius, 1e-12)
        third = 2.0 * self.n * radius**3 / margin**3
        rounding = 4.0 * np.finfo(float).eps * np.sqrt(self.n) * (abs(self.value(rho)) + self.n)
        return float(third * h * h / 6.0 + rounding / h)

    def __del__(self) -> None:
        # nothing to do when MKL is already gone (interpreter shutdown)
        with contextlib.suppress(Exception):
            self._call(_PHASE_RELEASE, self._data(0.0))


def _values_on_pattern(w: sp.csr_array, pattern: sp.csr_array) -> np.ndarray:
    """W's entries laid out on ``pattern`` (a superset of W's pattern, sorted indices)."""
    n = w.shape[0]
    w = sp.csr_array(w)
    w.sum_duplicates()
    w.sort_indices()
    key_w = np.repeat(np.arange(n, dtype=np.int64), np.diff(w.indptr)) * n + w.indices
    key_p = np.repeat(np.arange(n, dtype=np.int64), np.diff(pattern.indptr)) * n + pattern.indices
    values = np.zeros(pattern.nnz)
    values[np.searchsorted(key_p, key_w)] = w.data
    return values
