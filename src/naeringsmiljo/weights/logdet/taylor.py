"""``ln|I - sum_m delta_m W_m|`` for several weights matrices from traces of their products.

The Taylor series of the log-determinant (Martin 1993; Barry & Pace 1999; for combinations of
weights matrices Debarsy & LeSage 2018, s. 3) is

.. math::

    \\ln|I - W_\\delta| = -\\sum_{k \\ge 1} \\frac{1}{k}\\,\\mathrm{tr}(W_\\delta^k), \\qquad
    W_\\delta = \\sum_m \\delta_m W_m, \\qquad
    \\mathrm{tr}(W_\\delta^k) = \\sum_{|\\alpha| = k} c_{k\\alpha}\\,\\delta^\\alpha,

a polynomial in the coefficients whose coefficient ``c_{k alpha}`` is the sum of the traces of
all products of ``k`` matrices with ``alpha_m`` factors ``W_m``. They depend on the matrices
alone and are computed once; every value, gradient and Hessian is then a polynomial evaluation.

* Orders up to ``exact_order`` (at most 4) are exact: ``tr(W_a) ``, ``tr(W_a W_b)`` as sums of
  elementwise products, ``tr(W_a W_b W_c)`` and ``tr(W_a W_b W_c W_d)`` from the sparse products
  ``W_a W_b``.
* Higher orders up to ``order`` are estimated with Rademacher probes ``z`` (Hutchinson 1989):
  ``z' V_{k alpha}`` with ``V_{k alpha} = sum_m W_m V_{k-1, alpha - e_m}``, ``V_0 = z``, which
  costs about ``order^2`` products of a matrix with a block of probes for two matrices, and no
  factorisation (memory ``O(order n)`` per probe).

**Stated error.** With row-standardised matrices every eigenvalue of ``W_delta`` lies in the disc
of radius ``s = sum_m |delta_m|``, so ``|tr(W_delta^k)| <= n s^k`` and the truncation after
``order = K`` terms is at most ``n s^{K+1} / ((K + 1)(1 - s))`` in the value and
``n s^K / (1 - s)`` in each derivative ``d/d delta_m``. The estimated orders carry a
standard error from the spread of the per-probe values; :meth:`TraceLogDet.error_bound` states
truncation plus ``confidence`` standard errors, for the value and the gradient. How an error in
the gradient of the log-determinant moves the estimates is in
:func:`naeringsmiljo.estimators.ml_channels.stated_parameter_error`.

References
----------
Barry, R. P., & Pace, R. K. (1999). Monte Carlo estimates of the log determinant of large sparse
matrices. Linear Algebra and its Applications, 289(1-3), 41-54.
Debarsy, N., & LeSage, J. P. (2018). Flexible dependence modeling using convex combinations of
different types of connectivity structures. Regional Science and Urban Economics, 69, 48-68.
Hutchinson, M. F. (1989). A stochastic estimator of the trace of the influence matrix for
Laplacian smoothing splines. Communications in Statistics - Simulation and Computation, 18(3),
1059-1076.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError

#: Terms of the series (powers of ``W_delta``): the truncation of the gradient is below 1e-3
#: for ``n <= 1e6`` where ``sum |delta_m| <= 0.5``.
DEFAULT_ORDER = 30
#: Rademacher probes of the estimated orders.
DEFAULT_PROBES = 16
#: Orders computed exactly from sparse products.
DEFAULT_EXACT_ORDER = 4
#: Standard errors of the estimated orders added to the truncation bound in the stated error.
CONFIDENCE = 3.0
#: Probes propagated together (a block of columns; memory ``order * n * batch`` numbers).
BATCH = 4


def _monomials(size: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent vectors ``alpha`` with ``|alpha| = degree`` over ``size`` variables."""
    return [a for a in itertools.product(range(degree + 1), repeat=size) if sum(a) == degree]


def _counts(word: tuple[int, ...], size: int) -> tuple[int, ...]:
    return tuple(word.count(m) for m in range(size))


@dataclass
class TraceLogDet:
    """Taylor-series ``ln|I - sum_m delta_m W_m|`` with exact low orders and estimated high ones.

    Parameters
    ----------
    matrices : list of sparse arrays
        The ``W_m`` (row-standardised: the error bound uses ``|tr(W_delta^k)| <= n s^k``).
    order, probes, exact_order : int
        Terms of the series, Rademacher probes, and orders computed exactly (at most 4);
        ``-1``: :data:`DEFAULT_ORDER`, :data:`DEFAULT_PROBES`, :data:`DEFAULT_EXACT_ORDER`.
    seed : int
        Seed of the probes.
    """

    matrices: list[sp.csr_array]
    order: int = -1
    probes: int = -1
    exact_order: int = -1
    seed: int = 0
    factorisations: int = field(init=False, default=0)

    name = "monte_carlo"

    def __post_init__(self) -> None:
        # -1: the module's defaults at construction (a study can set them for a whole run)
        self.order = DEFAULT_ORDER if self.order < 0 else self.order
        self.probes = DEFAULT_PROBES if self.probes < 0 else self.probes
        self.exact_order = DEFAULT_EXACT_ORDER if self.exact_order < 0 else self.exact_order
        if not 1 <= self.exact_order <= 4:
            raise SpecificationError(f"exact_order must lie in 1..4, got {self.exact_order}.")
        if self.order < self.exact_order:
            raise SpecificationError(
                f"order ({self.order}) must be at least exact_order ({self.exact_order})."
            )
        if self.order > self.exact_order and self.probes < 2:
            raise SpecificationError(
                f"The estimated orders need at least 2 probes, got {self.probes}."
            )
        self.matrices = [sp.csr_array(m, dtype=np.float64) for m in self.matrices]
        size = len(self.matrices)
        self.n = int(self.matrices[0].shape[0])
        self._monos = [_monomials(size, k) for k in range(self.order + 1)]
        self._index = [{a: j for j, a in enumerate(m)} for m in self._monos]
        # exponents per order, for polynomial evaluation: (n_mono, size)
        self._powers = [np.array(m, dtype=np.int64).reshape(-1, size) for m in self._monos]
        self._mean = [np.zeros(len(m)) for m in self._monos]
        # per-probe deviations of the estimated orders: (probes, n_mono) per order
        self._spread: list[np.ndarray | None] = [None] * (self.order + 1)
        self._exact()
        if self.order > self.exact_order:
            self._estimate()

    # ------------------------------------------------------------------ coefficients
    def _exact(self) -> None:
        w = self.matrices
        size = len(w)
        wt = [m.T.tocsr() for m in w]
        for a in range(size):
            self._mean[1][self._index[1][_counts((a,), size)]] += float(w[a].diagonal().sum())
        if self.exact_order < 2:
            return
        for a, b in itertools.product(range(size), repeat=2):
            self._mean[2][self._index[2][_counts((a, b), size)]] += float(
                w[a].multiply(wt[b]).sum()
            )
        if self.exact_order < 3:
            return
        products = {
            (a, b): sp.csr_array(w[a] @ w[b]) for a, b in itertools.product(range(size), repeat=2)
        }
        for (a, b), p in products.items():
            for c in range(size):
                j = self._index[3][_counts((a, b, c), size)]
                self._mean[3][j] += float(p.multiply(wt[c]).sum())
        if self.exact_order < 4:
            return
        transposed = {key: p.T.tocsr() for key, p in products.items()}
        for (a, b), p in products.items():
            for (c, d), q in transposed.items():
                j = self._index[4][_counts((a, b, c, d), size)]
                self._mean[4][j] += float(p.multiply(q).sum())

    def _estimate(self) -> None:
        size = len(self.matrices)
        # A stream of its own (spawn key): probes drawn from the stream that also drew the data
        # or the coordinates behind W (``default_rng(seed)``) would follow W's structure.
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1,)))
        start = self.exact_order + 1
        values = [np.zeros((self.probes, len(m))) for m in self._monos]
        for first in range(0, self.probes, BATCH):
            cols = min(BATCH, self.probes - first)
            z = rng.integers(0, 2, size=(self.n, cols)).astype(np.float64) * 2.0 - 1.0
            level = {(0,) * size: z}
            for k in range(1, self.order + 1):
                nxt: dict[tuple[int, ...], np.ndarray] = {}
                for alpha, v in level.items():
                    for m in range(size):
                        beta = tuple(a + (i == m) for i, a in enumerate(alpha))
                        wv = self.matrices[m] @ v
                        if beta in nxt:
                            nxt[beta] += wv
                        else:
                            nxt[beta] = wv
                level = nxt
                if k >= start:
                    for beta, v in level.items():
                        values[k][first : first + cols, self._index[k][beta]] = np.einsum(
                            "ij,ij->j", z, v
                        )
        for k in range(start, self.order + 1):
            self._mean[k] = values[k].mean(axis=0)
            self._spread[k] = values[k] - self._mean[k]

    def vertex(self, m: int) -> TraceLogDet:
        """The series of ``ln|I - delta W_m|`` alone, from the same coefficients and probes.

        Its coefficients are those of the monomials ``delta_m^k``: the one-matrix likelihood of
        a likelihood-ratio test then carries the same approximation as the combined one, and
        nothing is computed again.
        """
        single = TraceLogDet.__new__(TraceLogDet)
        single.matrices = [self.matrices[m]]
        single.order, single.probes, single.exact_order = self.order, self.probes, self.exact_order
        single.seed, single.factorisations, single.n = self.seed, 0, self.n
        single._monos = [[(k,)] for k in range(self.order + 1)]
        single._index = [{(k,): 0} for k in range(self.order + 1)]
        single._powers = [np.array([[k]], dtype=np.int64) for k in range(self.order + 1)]
        size = len(self.matrices)
        picks = [
            self._index[k][tuple(k * (i == m) for i in range(size))] for k in range(self.order + 1)
        ]
        single._mean = [self._mean[k][[j]] for k, j in enumerate(picks)]
        single._spread = [
            None if spread is None else spread[:, [j]]
            for spread, j in zip(self._spread, picks, strict=True)
        ]
        return single

    # ------------------------------------------------------------------ evaluation
    def _series(self, delta: np.ndarray, spread: bool = False) -> tuple:
        """Value, gradient and Hessian of ``-sum_k tr(W_delta^k)/k`` (or, with ``spread``, the
        per-probe deviations of value and gradient)."""
        delta = np.asarray(delta, dtype=np.float64)
        size = delta.size
        value = 0.0
        grad = np.zeros(size)
        hess = np.zeros((size, size))
        dev_v = np.zeros(self.probes)
        dev_g = np.zeros((self.probes, size))
        for k in range(1, self.order + 1):
            powers = self._powers[k]
            mono = np.prod(delta[None, :] ** powers, axis=1)
            # d/d delta_m of delta^alpha = alpha_m delta^(alpha - e_m)
            d_mono = np.empty((powers.shape[0], size))
            for m in range(size):
                lowered = powers.copy()
                lowered[:, m] = np.maximum(lowered[:, m] - 1, 0)
                d_mono[:, m] = powers[:, m] * np.prod(delta[None, :] ** lowered, axis=1)
            coef = self._mean[k] / k
            value -= float(coef @ mono)
            grad -= coef @ d_mono
            if not spread:
                for m, l in itertools.product(range(size), repeat=2):
                    lowered = powers.copy()
                    lowered[:, m] -= 1
                    lowered[:, l] -= 1
                    factor = powers[:, m] * (powers[:, l] - (m == l))
                    ok = np.all(lowered >= 0, axis=1)
                    term = np.where(
                        ok, factor * np.prod(delta[None, :] ** np.maximum(lowered, 0), axis=1), 0.0
                    )
                    hess[m, l] -= float(coef @ term)
            spread_k = self._spread[k]
            if spread and spread_k is not None:
                dev_v -= spread_k @ mono / k
                dev_g -= spread_k @ d_mono / k
        if spread:
            return dev_v, dev_g
        return value, grad, hess

    def _check(self, delta: np.ndarray) -> None:
        if float(np.sum(np.abs(delta))) >= 1.0:
            raise ParameterSpaceError(
                "The trace series of ln|I - sum delta_m W_m| needs sum |delta_m| < 1."
            )

    def value(self, delta: np.ndarray) -> float:
        self._check(delta)
        return float(self._series(delta)[0])

    def value_and_gradient(self, delta: np.ndarray) -> tuple[float, np.ndarray]:
        self._check(delta)
        value, grad, _ = self._series(delta)
        return float(value), grad

    def value_gradient_hessian(self, delta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        self._check(delta)
        value, grad, hess = self._series(delta)
        return float(value), grad, hess

    def error_bound(self, delta: np.ndarray) -> tuple[float, np.ndarray]:
        """Stated error of the value and of each ``d/d delta_m``: the truncation bound plus
        :data:`CONFIDENCE` standard errors of the estimated orders."""
        delta = np.asarray(delta, dtype=np.float64)
        s = float(np.sum(np.abs(delta)))
        if s >= 1.0:
            return float("inf"), np.full(delta.size, np.inf)
        k = self.order
        value = self.n * s ** (k + 1) / ((k + 1) * (1.0 - s))
        grad = np.full(delta.size, self.n * s**k / (1.0 - s))
        if self.order > self.exact_order:
            dev_v, dev_g = self._series(delta, spread=True)
            scale = CONFIDENCE / np.sqrt(self.probes * (self.probes - 1))
            value += scale * float(np.sqrt(np.sum(dev_v**2)))
            grad = grad + scale * np.sqrt(np.sum(dev_g**2, axis=0))
        return float(value), grad

    def solve(self, delta: np.ndarray, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        """``(I - W_delta)^{-1} rhs`` by the Neumann series ``sum_k W_delta^k rhs`` (no
        factorisation), to a relative change of 1e-12."""
        delta = np.asarray(delta, dtype=np.float64)
        self._check(delta)
        combined = sp.csr_array(sum(d * w for d, w in zip(delta, self.matrices, strict=True)))
        if transpose:
            combined = combined.T.tocsr()
        out = np.array(rhs, dtype=np.float64, copy=True)
        term = out.copy()
        scale = float(np.max(np.abs(out))) or 1.0
        for _ in range(100_000):
            term = combined @ term
            out += term
            if float(np.max(np.abs(term))) <= 1e-12 * scale:
                break
        return out
