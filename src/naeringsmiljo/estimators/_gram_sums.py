"""Weighted sums over the entries of ``G = W'W`` without forming ``G``.

The variances of the two quadratic moments of the GM error and GS2SLS estimators (Arraiz,
Drukker, Kelejian & Prucha 2010, eq. 13; Drukker, Egger & Prucha 2013, eq. 13) need, for a
vector ``s`` (the squared innovations, or ones for the homoskedastic constants), three scalars:

* ``q_GG = s'(G o G) s = sum_ij G_ij^2 s_i s_j``,
* ``q_GW = s'(G o W) s = sum_ij G_ij W_ij s_i s_j``,
* ``q_WW = s'(W o W + W o W') s = sum_ij (W_ij^2 + W_ij W_ji) s_i s_j``.

``G`` has about ``k^2`` entries per row for ``k`` neighbours (1e8 at n = 1e6, k = 10): forming it
with a general sparse product and then its Hadamard products took 9 s and several GB there, for
three numbers. Here row ``i`` of ``G`` is accumulated (Gustavson's method: the sum over the
entries ``W_ki`` of column ``i`` of ``W`` of ``W_ki`` times row ``k`` of ``W``) into a dense
accumulator with a list of the touched columns, reduced into the three sums, and reset: about
``nnz(G)`` multiply-adds and ``O(n)`` memory per thread, ``G`` never stored. No sparse library
offers such a fused product-and-reduction (they return the product), so the loop is written
here and compiled with numba when it is installed (the ``fast`` extra); rows are split into a
fixed number of blocks run in parallel, whose partial sums are added in block order, so the
result does not depend on the number of threads. Without numba the same sums come from the
explicit ``G`` with scipy (:func:`gram_sums_scipy`), equal to rounding.

The accumulator is read at the columns of the neighbours of the neighbours of unit ``i``: in
the order the units come in (random, say) each such read misses the cache, and one pass took 4 s
at n = 1e6. The units are therefore renumbered first by a breadth-first search over the links of
``W`` (the sums do not depend on the numbering), which keeps the reads within a narrow band:
about 15 products ``W x`` per pass there, and as much again, once per fit, for the
renumbering and the transposition.

The compiled functions are built at their first call, not at import, and cached on disk
(``cache=True``): the first call in a fresh environment compiles them (3 to 7 s on two busy
cores), later processes import numba and load them (0.4 to 0.5 s).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from naeringsmiljo.exceptions import SpecificationError, WeightsError

Engine = Literal["auto", "numba", "scipy"]

#: Row blocks of the compiled reduction: fixed, so that the order of the additions (and the
#: rounding) does not depend on the number of threads; a few per core for balance.
N_BLOCKS = 16


#: ``engine="auto"`` compiles from this many entries of ``W`` on (n = 20,000 with ten
#: neighbours): below, scipy's explicit ``G`` takes under 0.2 s, less than importing numba and
#: loading the compiled loops from the disk cache (about 0.5 s, once per process).
COMPILED_MIN_NNZ = 200_000


#: Compiled calls one at a time: numba's fallback threading layer (workqueue, where neither
#: OpenMP nor TBB is found) aborts on parallel launches from several threads at once.
_LAUNCH = threading.Lock()


def numba_available() -> bool:
    """Whether numba can be imported (the compiled path of :func:`gram_sums`)."""
    return importlib.util.find_spec("numba") is not None


@functools.cache
def _compiled() -> Any:
    """The module of compiled loops, or None when numba is installed but fails to import.

    Importing it imports numba; each loop is compiled at its first call and cached on disk.
    numba probes the ``coverage`` package at import, which a script's directory can shadow (a
    ``coverage.py`` of the user's beside it): the scipy path then serves, with a warning.
    """
    try:
        from naeringsmiljo.estimators import _gram_loops
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party import
        warnings.warn(
            f"numba failed to import ({type(exc).__name__}: {exc}); the moment variances use "
            "scipy's sparse product W'W instead (same numbers, slower, more memory at large n).",
            stacklevel=3,
        )
        return None
    return _gram_loops


# --------------------------------------------------------------------------- the interface
@dataclass(frozen=True)
class GramSums:
    """``W`` (canonical CSR) and ``W'`` prepared once, then :meth:`__call__` per vector ``s``.

    ``engine="auto"`` uses numba when it is installed and ``W`` has at least
    :data:`COMPILED_MIN_NNZ` entries, else scipy; ``"numba"`` and ``"scipy"`` force one (the
    tests compare them).
    """

    w: sp.csr_array  # W as given (canonical CSR): the scipy path's matrix, and the shape
    engine: Literal["numba", "scipy"]
    permuted: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # CSR arrays of P W P' (numba)
    transposed: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # those of its transpose
    order: np.ndarray | None  # the renumbering of the units (numba; None in its own order)
    kept: tuple[np.ndarray, ...] | None = None  # G's values that do not depend on s (kept)

    @classmethod
    def of(cls, w: Any, engine: Engine = "auto") -> GramSums:
        """Prepare square ``w`` (any sparse format; duplicates summed, as in sparse products)."""
        w = sp.csr_array(w, dtype=np.float64)
        if w.shape[0] != w.shape[1]:
            raise WeightsError(f"W must be square, got shape {w.shape}.")
        if not w.has_canonical_format:
            w = w.copy()
            w.sum_duplicates()  # also sorts the column indices
        if engine == "auto":
            engine = "numba" if w.nnz >= COMPILED_MIN_NNZ and numba_available() else "scipy"
        loops = None if engine == "scipy" else _compiled()
        if loops is None:
            return cls(w, "scipy", None, None, None)
        # the loop's accesses follow the links of W: units renumbered by a breadth-first search
        # keep them within a narrow band (the sums do not depend on the numbering); W's own
        # index arrays are read as they are (no 64-bit copies)
        with _LAUNCH:
            order, indptr, indices, data, transposed = loops.prepare(w.indptr, w.indices, w.data)
        return cls(w, "numba", (indptr, indices, data), transposed, order)

    def keeping_gram(self) -> GramSums:
        """This object with the values of the pass that do not depend on the vectors kept:
        the squares of the entries of ``G`` right of its diagonal (about 15 per unit with ten
        neighbours: 185 MB at n = 1e6) and, on the entries of ``W`` and ``W'``, the products
        the sums weight them by (240 MB there). A pass then streams them instead of
        accumulating each row of ``G`` again: 0.05 s against 0.33 s at n = 1e6, with the same
        numbers to the last bit (the same terms added in the same order). Computing them
        takes two passes. The scipy path and an object that keeps them are returned as
        they are. For weights used in many fits (:meth:`SpatialWeights.prepare(gmm=True)
        <naeringsmiljo.weights.SpatialWeights.prepare>`)."""
        if self.engine == "scipy" or self.kept is not None:
            return self
        assert self.permuted is not None and self.transposed is not None
        with _LAUNCH:
            kept = _compiled().keep_gram(*self.permuted, *self.transposed, N_BLOCKS)
        return replace(self, kept=tuple(kept))

    @functools.cached_property
    def renumbering(self) -> Renumbering | None:
        """The units in this object's breadth-first order (:class:`Renumbering`), or None on
        the scipy path (no renumbering there). Built at the first call and kept (it shares
        the arrays of ``P W P'`` with this object)."""
        if self.engine == "scipy" or self.order is None:
            return None
        assert self.permuted is not None
        indptr, indices, data = self.permuted
        n = self.w.shape[0]
        inverse = np.empty(n, dtype=np.int64)
        inverse[self.order] = np.arange(n)
        w = sp.csr_array((data, indices, indptr), shape=self.w.shape)
        return Renumbering(self.order, inverse, w, replace(self, w=w, order=None))

    def __call__(self, s: np.ndarray | None = None) -> tuple[float, float, float]:
        """``(s'(G o G)s, s'(G o W)s, s'(W o W + W o W')s)``; ``s`` of ones when None."""
        n = self.w.shape[0]
        s = np.ones(n) if s is None else np.asarray(s, dtype=np.float64)
        if s.shape != (n,):
            raise SpecificationError(f"s must have shape ({n},), got {s.shape}.")
        q = self.bilinear(s[:, None])[:, 0, 0]
        return float(q[0]), float(q[1]), float(q[2])

    def bilinear(self, s: np.ndarray) -> np.ndarray:
        """The bilinear forms ``S' M S`` (``3 x m x m``) of the columns of ``s`` (``n x m``)
        with ``M`` each of ``G o G``, ``G o W`` and ``W o W + W o W'``, in one pass over the
        rows of ``G``: the sums for every vector ``S c`` follow as ``c' (S' M S) c``."""
        n = self.w.shape[0]
        s = np.asarray(s, dtype=np.float64)
        if s.ndim != 2 or s.shape[0] != n:
            raise SpecificationError(f"s must have shape ({n}, m), got {s.shape}.")
        if self.engine == "scipy":
            return gram_bilinear_scipy(self.w, s)
        assert self.permuted is not None and self.transposed is not None
        if self.order is not None:  # None: ``s`` already in the renumbered order
            s = np.take(s, self.order, axis=0)
        with _LAUNCH:
            if self.kept is None:
                parts = _compiled().gram_sums(*self.permuted, *self.transposed, s, N_BLOCKS)
            else:
                indptr, indices, _ = self.permuted
                t_indptr, t_indices, _ = self.transposed
                parts = _compiled().kept_gram_sums(
                    indptr, indices, t_indptr, t_indices, *self.kept, s, N_BLOCKS
                )
        return np.asarray(parts.sum(axis=0))


@dataclass(frozen=True)
class Renumbering:
    """The units renumbered by the breadth-first search of :class:`GramSums`, for whole fits.

    In that order the neighbours of a unit, and their neighbours, sit at nearby positions, so
    a product ``W x`` reads ``x`` within a narrow band: 0.010 s against 0.026 s in the order of
    random points at n = 1e6 with ten neighbours (2.6 times faster; ``W' x`` alike). The
    moment estimators that make a pass move their data into this order once (:meth:`into`,
    a gather of the rows), run every product there, and move the residuals back
    (:meth:`back`). The renumbering is deterministic and estimates do not depend on it: a fit
    in this order differs from one in the given order by rounding only (sums taken in another
    order). Heteroskedastic GM error and GS2SLS fits always run in it on the compiled path;
    a homoskedastic fit does when the pass is at hand (prepared weights, or the first fit,
    which computes the constants of ``W``), and a later one on unprepared weights, which
    reuses the kept constants and makes no pass, runs in the given order.
    """

    order: np.ndarray  # position r holds unit order[r]
    inverse: np.ndarray  # unit i sits at position inverse[i]
    w: sp.csr_array  # P W P'
    gram: GramSums  # the sums of vectors given in this order

    def into(self, a: np.ndarray) -> np.ndarray:
        """The rows of ``a`` (one per unit, in the given order) in the renumbered order."""
        return np.take(a, self.order, axis=0)

    def back(self, a: np.ndarray) -> np.ndarray:
        """The rows of ``a`` (in the renumbered order) back in the units' given order."""
        return np.take(a, self.inverse, axis=0)


def gram_bilinear_scipy(w: sp.csr_array, s: np.ndarray) -> np.ndarray:
    """``S' M S`` for the three matrices from the explicit ``G = W'W`` (scipy's sparse
    product): the reference of the compiled loop, and the path without numba (memory of order
    ``nnz(G)``)."""
    w = sp.csr_array(w)
    g = sp.csr_array(sp.csr_array(w.T) @ w)
    g_g = sp.csr_array((g.data * g.data, g.indices, g.indptr), shape=g.shape)
    g_w = sp.csr_array(g.multiply(w))
    w_w = sp.csr_array((w.data * w.data, w.indices, w.indptr), shape=w.shape)
    a2 = sp.csr_array(w_w + w.multiply(sp.csr_array(w.T)))
    return np.stack([s.T @ (m @ s) for m in (g_g, g_w, a2)])


def gram_sums_scipy(w: sp.csr_array, s: np.ndarray) -> tuple[float, float, float]:
    """The three sums for one vector ``s`` from the explicit ``G`` (:func:`gram_bilinear_scipy`)."""
    q = gram_bilinear_scipy(w, np.asarray(s, dtype=np.float64)[:, None])[:, 0, 0]
    return float(q[0]), float(q[1]), float(q[2])


def gram_sums(
    w: Any, s: np.ndarray | None = None, engine: Engine = "auto"
) -> tuple[float, float, float]:
    """``(s'(G o G)s, s'(G o W)s, s'(W o W + W o W')s)`` with ``G = W'W`` (see the module)."""
    return GramSums.of(w, engine)(s)
