"""Traces of powers of the weights matrix, for impacts computed as power series.

The spatial multiplier expands as ``(I - rho W)^{-1} = sum_k rho^k W^k`` when ``|rho| r < 1``,
with ``r`` the spectral radius of W, so the averages the impacts need (LeSage & Pace 2009,
s. 2.7 and ch. 4) are power series in rho whose coefficients depend on W alone:

.. math::

    t_k = \\mathrm{tr}(W^k)/n, \\qquad s_k = \\mathbf{1}'W^k\\mathbf{1}/n .

They are computed once per weights matrix and then evaluated for any rho in O(order) operations,
which is what makes simulated inference on large samples affordable.

``s_k`` is always exact (``order`` sparse matrix-vector products). ``t_k`` is either exact,
accumulated over blocks of unit vectors so that no dense ``n x n`` matrix is formed (cost
``order * nnz(W) * n``, for moderate n), or estimated by the stochastic trace estimator
(Hutchinson 1989, *Commun. Statist. Simul. Comput.* 18:1059-1076; Barry & Pace 1999,
*Linear Algebra Appl.* 289:41-54): with independent Rademacher probes ``z_j``,

.. math::

    \\hat t_k = \\frac{1}{m}\\sum_{j=1}^m z_j' W^k z_j / n ,

unbiased, with a Monte Carlo standard error estimated from the spread over the ``m`` probes.
``t_1`` and ``t_2 = sum_ij w_ij w_ji / n`` are cheap and always exact, as in LeSage & Pace
(2009, ch. 4); they carry most of the weight of the series.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from naeringsmiljo._options import TraceMethod, check_choice
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: ``traces="auto"`` computes exact traces up to this many units and estimates them above: the
#: exact traces cost ``order * nnz(W) * n`` operations (about 2e9 at n = 2,000 with 6 neighbours).
EXACT_TRACE_LIMIT = 2000

# The exact traces propagate blocks of unit vectors; a block holds at most this many numbers
# (32 MB), so memory stays O(n) per column and no n-by-n array is formed for large n.
_BLOCK_ENTRIES = 4_000_000


@dataclass(frozen=True, eq=False)
class WeightsTraces:
    """Power traces ``t_k = tr(W^k)/n`` and power sums ``s_k = 1'W^k 1/n``, ``k = 0..order+1``.

    Attributes
    ----------
    traces : numpy.ndarray
        ``t_0 .. t_{order+1}`` (``t_0 = 1``). The direct impact of an SDM term needs one power
        more than the series order, hence ``order + 2`` entries.
    sums : numpy.ndarray
        ``s_0 .. s_{order+1}``, exact.
    std_errors : numpy.ndarray
        Monte Carlo standard error of each ``t_k``; zero where it is exact.
    probe_traces : numpy.ndarray or None
        The per-probe estimates (``probes x (order + 2)``) of the Monte Carlo traces, from which
        the error of any linear combination of the traces follows; None when exact.
    method : str
        ``"exact"``, ``"eigen"`` (from the eigenvalues) or ``"monte_carlo"``.
    spectral_radius : float
        Largest eigenvalue modulus ``r`` of W: the series converge for ``|rho| < 1/r`` and
        ``|t_k| <= r^k`` bounds their tails.
    """

    traces: np.ndarray
    sums: np.ndarray
    std_errors: np.ndarray
    probe_traces: np.ndarray | None
    method: str
    spectral_radius: float

    @property
    def order(self) -> int:
        """Highest power of rho in the truncated series ``sum_{k=0}^{order} rho^k t_k``."""
        return int(self.traces.size) - 2

    @property
    def probes(self) -> int:
        """Number of Monte Carlo probes (0 when the traces are exact)."""
        return 0 if self.probe_traces is None else int(self.probe_traces.shape[0])

    def truncated(self, order: int) -> WeightsTraces:
        """The same traces up to power ``order + 1`` (``order`` at most :attr:`order`).

        The traces of each power come from the same probes whatever the highest order, so a
        prefix equals what a computation to the lower order would have given.
        """
        _check_order(order)
        if order > self.order:
            raise SpecificationError(f"Traces of order {self.order} cannot be extended to {order}.")
        if order == self.order:
            return self
        size = order + 2
        return WeightsTraces(
            traces=self.traces[:size].copy(),
            sums=self.sums[:size].copy(),
            std_errors=self.std_errors[:size].copy(),
            probe_traces=None if self.probe_traces is None else self.probe_traces[:, :size].copy(),
            method=self.method,
            spectral_radius=self.spectral_radius,
        )

    def series_error(self, coefficients: np.ndarray) -> float:
        """Monte Carlo standard error of ``sum_k c_k t_k`` (zero for exact traces).

        The traces of all powers come from the same probes, so the error of a combination is
        the spread of the per-probe combinations, not a sum of the separate errors.
        """
        if self.probe_traces is None:
            return 0.0
        values = self.probe_traces[:, : coefficients.size] @ coefficients
        return float(np.std(values, ddof=1) / np.sqrt(values.size))

    def tail_factor(self, rho: np.ndarray | float) -> np.ndarray:
        """Bound on ``sum_{k > order} |rho|^k |t_k|``: ``(|rho| r)^(order+1) / (1 - |rho| r)``.

        Follows from ``|t_k| = |sum_i omega_i^k| / n <= r^k``. Infinite where the series diverges.
        """
        q = np.abs(np.asarray(rho, dtype=float)) * self.spectral_radius
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(q < 1.0, q ** (self.order + 1) / (1.0 - np.minimum(q, 1.0)), np.inf)


def power_sums(w: sp.sparray, order: int) -> np.ndarray:
    """Exact ``s_k = 1'W^k 1/n`` for ``k = 0..order+1`` by repeated sparse products."""
    n = w.shape[0]
    sums = np.empty(order + 2)
    v = np.ones(n)
    sums[0] = 1.0
    for k in range(1, order + 2):
        v = w @ v
        sums[k] = v.sum() / n
    return sums


def _low_traces(w: sp.sparray) -> tuple[float, float]:
    """Exact ``tr(W)/n`` and ``tr(W^2)/n = sum_ij w_ij w_ji / n`` without forming ``W^2``."""
    n = w.shape[0]
    return float(w.diagonal().sum()) / n, float(w.multiply(w.T).sum()) / n


def _cached_low_traces(weights: SpatialWeights) -> tuple[float, float]:
    return transpose_facts(weights)["low"]


def transpose_facts(weights: SpatialWeights) -> dict:
    """What needs ``W'``, from one transposition (cached on the weights): ``"symmetric"`` (as
    :attr:`SpatialWeights.is_symmetric`), ``"low"`` (exact ``tr(W)/n``, ``tr(W^2)/n``) and,
    above :data:`LOCALITY_LIMIT` units, ``"perm"``: the reverse Cuthill-McKee order of the
    pattern of ``W + W'``."""
    facts = weights._cache.get(_FACTS_KEY)
    if facts is None:
        w = sp.csr_array(weights.sparse)
        n = w.shape[0]
        wt = sp.csr_array(w.T)
        diff = w - wt
        scale = np.max(np.abs(w.data), initial=0.0)
        symmetric = bool(diff.nnz == 0 or np.max(np.abs(diff.data)) <= 1e-12 * scale)
        del diff
        facts = {
            "symmetric": symmetric,
            "low": (float(w.diagonal().sum()) / n, float(w.multiply(wt).sum()) / n),
        }
        if n > LOCALITY_LIMIT:
            from scipy.sparse.csgraph import reverse_cuthill_mckee

            pattern = sp.csr_array(w + wt)
            facts["perm"] = reverse_cuthill_mckee(pattern, symmetric_mode=True).astype(np.intp)
        weights._cache[_FACTS_KEY] = facts
    return facts


def exact_traces(weights: SpatialWeights, order: int) -> WeightsTraces:
    """Exact ``tr(W^k)/n``, accumulated over blocks of columns of the identity.

    ``tr(W^k) = sum_j e_j' W^k e_j``: a block of unit vectors is multiplied by W ``order + 1``
    times and the diagonal entries are summed, so memory is one ``n x block`` array.
    """
    _check_order(order)
    key = trace_key("exact", 0, None)
    cached = cached_traces(weights, key, order)
    if cached is not None:
        return cached
    w = weights.sparse
    n = weights.n
    block = int(np.clip(_BLOCK_ENTRIES // n, 1, n))
    traces = np.zeros(order + 2)
    traces[0] = n
    for start in range(0, n, block):
        cols = np.arange(start, min(start + block, n))
        rows = np.arange(cols.size)
        v = np.zeros((n, cols.size))
        v[cols, rows] = 1.0
        for k in range(1, order + 2):
            v = w @ v
            traces[k] += v[cols, rows].sum()
    result = WeightsTraces(
        traces=traces / n,
        sums=power_sums(w, order),
        std_errors=np.zeros(order + 2),
        probe_traces=None,
        method="exact",
        spectral_radius=_perron_root(weights),
    )
    return store_traces(weights, key, result)


def eigen_traces(weights: SpatialWeights, eigenvalues: np.ndarray, order: int) -> WeightsTraces:
    """Exact ``tr(W^k)/n = mean(omega_i^k)`` from the eigenvalues of W (small n)."""
    _check_order(order)
    powers = np.power.outer(np.asarray(eigenvalues), np.arange(order + 2))
    return WeightsTraces(
        traces=np.real(powers.mean(axis=0)),
        sums=power_sums(weights.sparse, order),
        std_errors=np.zeros(order + 2),
        probe_traces=None,
        method="eigen",
        spectral_radius=float(np.max(np.abs(eigenvalues))),
    )


def monte_carlo_traces(
    weights: SpatialWeights,
    order: int,
    *,
    probes: int = 50,
    seed: int | np.random.SeedSequence | None = None,
) -> WeightsTraces:
    """Stochastic estimates of ``tr(W^k)/n`` (Hutchinson 1989; Barry & Pace 1999).

    Parameters
    ----------
    weights : SpatialWeights
        The weights matrix.
    order : int
        Highest series order; traces are estimated up to power ``order + 1``.
    probes : int
        Number of Rademacher probe vectors ``m``; the standard error falls as ``1/sqrt(m)``.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the probes (``numpy.random.default_rng(seed)``).

    Returns
    -------
    WeightsTraces
        With ``std_errors`` and ``probe_traces`` describing the Monte Carlo error; ``t_0``,
        ``t_1`` and ``t_2`` are exact.

    Notes
    -----
    The result depends on ``(weights, probes, seed)`` and the order only, so it is cached on
    the weights (:func:`cached_traces`) when the seed is explicit and served, as a prefix, to
    any later request of the same or a lower order: the covariance of a fit and its impacts
    share one computation.
    """
    _check_order(order)
    if probes < 2:
        raise SpecificationError(f"Monte Carlo traces need at least 2 probes, got {probes}.")
    key = trace_key("monte_carlo", probes, seed)
    cached = cached_traces(weights, key, order)
    if cached is not None:
        return cached
    powers = ProbePowers(weights, probes, seed)
    for _ in range(order + 1):
        powers.step()
    return store_traces(weights, key, powers.traces())


#: Rows of the probe draws generated at a time by :func:`probe_signs` (bounded temporaries).
_DRAW_ROWS = 65_536


def probe_signs(n: int, probes: int, seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """The ``n x probes`` Rademacher draws of ``default_rng(seed)`` as 0/1 in ``int8``.

    Drawn in blocks of rows: the stream is the same as one ``integers(0, 2, (n, probes))``
    call (one 64-bit draw per entry, in row order), without its ``8 n probes``-byte temporary
    (400 MB at n = 1e6 with 50 probes).
    """
    rng = np.random.default_rng(seed)
    signs = np.empty((n, probes), dtype=np.int8)
    for start in range(0, n, _DRAW_ROWS):
        stop = min(start + _DRAW_ROWS, n)
        signs[start:stop] = rng.integers(0, 2, size=(stop - start, probes))
    return signs


def combined_traces(parts: list[WeightsTraces]) -> WeightsTraces:
    """Monte Carlo traces of disjoint blocks of probes (same order) as one estimate."""
    if len(parts) == 1:
        return parts[0]
    per_probe = np.vstack([p.probe_traces for p in parts if p.probe_traces is not None])
    first = parts[0]
    return WeightsTraces(
        traces=per_probe.mean(axis=0),
        sums=first.sums,
        std_errors=per_probe.std(axis=0, ddof=1) / np.sqrt(per_probe.shape[0]),
        probe_traces=per_probe,
        method=first.method,
        spectral_radius=first.spectral_radius,
    )


class ProbePowers:
    """The powers ``W^k Z`` of a block of Rademacher probes ``Z`` (``n x probes``), one at a time.

    Each :meth:`step` is one sparse-times-dense block product (no per-vector loop) into a
    preallocated buffer, and records the per-probe traces ``z_j'W^k z_j / n`` and the exact sum
    ``1'W^k 1 / n``. Above :data:`LOCALITY_LIMIT` units the rows
    and columns of W are first permuted by reverse Cuthill-McKee (cached on the weights): the
    quantities computed here are invariant under a simultaneous permutation, and the banded
    order keeps the rows that a product gathers in cache (about 10x faster on kNN weights of
    randomly ordered points at n = 1e6). The probes are drawn in the original order of the units
    from ``numpy.random.default_rng(seed)``, so they do not depend on the permutation.

    Callers needing more than traces (Hutchinson norms, series of ``W^k Z``) read :attr:`v`
    after each step: ``W^k Z`` in the permuted order, valid until the next step.
    """

    def __init__(
        self,
        weights: SpatialWeights,
        probes: int,
        seed: int | np.random.SeedSequence | None,
        *,
        signs: np.ndarray | None = None,
    ) -> None:
        if probes < 2:
            raise SpecificationError(f"Monte Carlo traces need at least 2 probes, got {probes}.")
        self.weights = weights
        self.n = n = weights.n
        perm, self._w = _locality(weights)
        if signs is None:
            signs = probe_signs(n, probes, seed)
        self.probes = probes = signs.shape[1]
        if perm is not None:
            signs = signs[perm]
        self.z = np.empty((n, probes))
        np.multiply(signs, 2.0, out=self.z)
        self.z -= 1.0
        del signs
        self._buffers = [np.empty_like(self.z), np.empty_like(self.z)]
        #: ``W^k Z`` (permuted order) for the current ``k``; valid until the next step.
        self.v = self.z
        self._ones = np.ones(n)
        self.k = 0
        self._traces = [np.ones(probes)]  # z'z = n exactly for Rademacher probes
        self._sums = [1.0]

    def step(self) -> np.ndarray:
        """Advance to ``W^(k+1) Z``; returns it (a reused buffer, C-contiguous)."""
        out = self._buffers[self.k % 2]
        _block_product(self._w, self.v, out)
        self.v = out
        self.k += 1
        self._ones = self._w @ self._ones
        self._traces.append(np.einsum("ij,ij->j", self.z, out) / self.n)
        self._sums.append(float(self._ones.sum()) / self.n)
        return out

    def traces(self) -> WeightsTraces:
        """Monte Carlo traces of order ``k - 1`` (powers up to ``k``), ``t_1, t_2`` exact."""
        if self.k < 2:
            raise SpecificationError("At least two powers are needed for traces of order 1.")
        per_probe = np.column_stack(self._traces)
        per_probe[:, 1:3] = _cached_low_traces(self.weights)
        return WeightsTraces(
            traces=per_probe.mean(axis=0),
            sums=np.array(self._sums),
            std_errors=per_probe.std(axis=0, ddof=1) / np.sqrt(self.probes),
            probe_traces=per_probe,
            method="monte_carlo",
            spectral_radius=_perron_root(self.weights),
        )


#: Above this many units :class:`ProbePowers` permutes W to a banded order first (the
#: permutation costs about one block product and is cached on the weights).
LOCALITY_LIMIT = 20_000

_LOCALITY_KEY = "traces:locality"
_FACTS_KEY = "traces:transpose"
_TRACES_KEY = "traces:powers"


def _locality(weights: SpatialWeights) -> tuple[np.ndarray | None, sp.csr_array]:
    """Reverse Cuthill-McKee permutation of W and the permuted matrix (cached), or None and W."""
    if weights.n <= LOCALITY_LIMIT:
        return None, weights.sparse
    cached = weights._cache.get(_LOCALITY_KEY)
    if cached is None:
        perm = transpose_facts(weights).get("perm")
        if perm is None:  # LOCALITY_LIMIT lowered after the facts were cached
            from scipy.sparse.csgraph import reverse_cuthill_mckee

            pattern = sp.csr_array(weights.sparse + weights.sparse.T)
            perm = reverse_cuthill_mckee(pattern, symmetric_mode=True).astype(np.intp)
        permuted = _permute(sp.csr_array(weights.sparse), perm)
        cached = (perm, permuted)
        weights._cache[_LOCALITY_KEY] = cached
    return cached


def _permute(w: sp.csr_array, perm: np.ndarray) -> sp.csr_array:
    """``P W P'`` (row ``i`` of the result is row ``perm[i]`` of W) by gathering the rows, in
    O(nnz) without the column fancy-indexing of scipy."""
    n = w.shape[0]
    inverse = np.empty(n, dtype=np.intp)
    inverse[perm] = np.arange(n)
    lengths = np.diff(w.indptr)[perm]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    gather = np.repeat(w.indptr[perm].astype(np.int64) - indptr[:-1], lengths)
    gather += np.arange(gather.size)
    indices = inverse[w.indices[gather]]
    index_type = np.int32 if max(n, indptr[-1]) < np.iinfo(np.int32).max else np.int64
    out = sp.csr_array(
        (w.data[gather], indices.astype(index_type), indptr.astype(index_type)), shape=w.shape
    )
    out.sort_indices()
    return out


#: :func:`axpy` works through blocks of this many numbers (2 MB temporaries).
_AXPY_ENTRIES = 262_144


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += a x`` in place, through blocks of rows, without a temporary ``n x p`` array.

    scipy's BLAS ``daxpy`` did the same without temporaries but took 15 ms for 5e4 numbers
    on a loaded 2-core machine (its thread pool's start-up), 50 times numpy's blocked update.
    """
    if a == 0.0:
        return
    width = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    rows = max(1, _AXPY_ENTRIES // max(width, 1))
    for start in range(0, x.shape[0], rows):
        y[start : start + rows] += a * x[start : start + rows]


#: Block products of at least this many numbers are split by rows over the available CPUs
#: (scipy's kernel releases the GIL; each thread zeroes and fills its own rows).
_THREADED_ENTRIES = 2_000_000
_POOL: list = []


def _threads() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def _block_product(w: sp.csr_array, v: np.ndarray, out: np.ndarray) -> None:
    """``out = W v`` for a C-contiguous block ``v``, into a preallocated ``out``.

    Writing into a reused buffer avoids the page faults of a fresh ``n x p`` array per product,
    which cost as much as the product itself at n = 1e6; large blocks are split by rows over
    threads. Falls back to ``W @ v`` if scipy's kernel is not available under its usual name.
    """
    p = v.shape[1]
    rows = w.shape[0]
    try:
        from scipy.sparse import _sparsetools

        def part(bounds: tuple[int, int]) -> None:
            a, b = bounds
            target = out[a:b]
            target.fill(0.0)
            _sparsetools.csr_matvecs(
                b - a,
                w.shape[1],
                p,
                w.indptr[a : b + 1],
                w.indices,
                w.data,
                v.ravel(),
                target.ravel(),
            )

        threads = _threads() if rows * p >= _THREADED_ENTRIES else 1
        if threads == 1:
            part((0, rows))
            return
        if not _POOL:
            from concurrent.futures import ThreadPoolExecutor

            _POOL.append(ThreadPoolExecutor(max_workers=threads))
        cuts = np.linspace(0, rows, threads + 1).astype(int)
        list(_POOL[0].map(part, itertools.pairwise(cuts)))
    except (ImportError, AttributeError, TypeError, ValueError):
        out[...] = w @ v


def trace_key(method: str, probes: int, seed: int | np.random.SeedSequence | None) -> tuple | None:
    """Cache key of traces: exact traces have one; Monte Carlo traces one per probe count and
    explicit seed (``None`` seeds draw fresh entropy and are never cached)."""
    if method == "exact":
        return ("exact",)
    if seed is None or not isinstance(seed, int | np.integer | np.random.SeedSequence):
        return None
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    entropy = sequence.entropy
    if isinstance(entropy, list | tuple | np.ndarray):
        entropy = tuple(int(e) for e in entropy)
    else:
        entropy = int(entropy)  # type: ignore[arg-type]
    return (method, int(probes), entropy, tuple(sequence.spawn_key), sequence.pool_size)


def cached_traces(weights: SpatialWeights, key: tuple | None, order: int) -> WeightsTraces | None:
    """Traces of ``order`` cached on ``weights`` under ``key`` (a prefix of a higher order)."""
    if key is None:
        return None
    found = weights._cache.get(_TRACES_KEY, {}).get(key)
    if found is None or found.order < order:
        return None
    return found.truncated(order)


def cached_order(weights: SpatialWeights, key: tuple | None) -> int:
    """Highest order cached under ``key`` (0 if none)."""
    if key is None:
        return 0
    found = weights._cache.get(_TRACES_KEY, {}).get(key)
    return 0 if found is None else found.order


def store_traces(
    weights: SpatialWeights, key: tuple | None, traces: WeightsTraces
) -> WeightsTraces:
    """Cache ``traces`` under ``key`` unless a higher order is cached already; returns them."""
    if key is not None:
        store = weights._cache.setdefault(_TRACES_KEY, {})
        if key not in store or store[key].order < traces.order:
            store[key] = traces
    return traces


def trace_powers(
    weights: SpatialWeights,
    order: int,
    *,
    method: TraceMethod = "auto",
    probes: int = 50,
    seed: int | np.random.SeedSequence | None = None,
) -> WeightsTraces:
    """Power traces of ``weights`` up to ``order + 1``, exact or estimated.

    Parameters
    ----------
    weights : SpatialWeights
        The weights matrix.
    order : int
        Highest series order (traces up to power ``order + 1``).
    method : {"auto", "exact", "monte_carlo"}
        :func:`exact_traces` or :func:`monte_carlo_traces`; ``"auto"`` is exact for
        ``n <= EXACT_TRACE_LIMIT`` and Monte Carlo above.
    probes : int
        Probe vectors of the Monte Carlo estimator.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the Monte Carlo probes.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> w = datasets.columbus_weights("anselin").row_standardize()
    >>> tr = trace_powers(w, 10)
    >>> round(float(tr.traces[1]), 12), round(float(tr.sums[5]), 12)  # tr(W) = 0; W^5 1 = 1
    (0.0, 1.0)
    """
    check_choice("method", method, TraceMethod, context="(trace method)")
    if method == "auto":
        method = "exact" if weights.n <= EXACT_TRACE_LIMIT else "monte_carlo"
    if method == "exact":
        return exact_traces(weights, order)
    return monte_carlo_traces(weights, order, probes=probes, seed=seed)


def _perron_root(weights: SpatialWeights) -> float:
    """Spectral radius of W: for a non-negative matrix (as every SpatialWeights is) it is the
    largest real eigenvalue (Perron-Frobenius), which the parameter interval already needs, so
    the cached eigenvalue bounds serve and no further eigenvalue problem is solved."""
    return max(weights.eigenvalue_bounds()[1], 0.0)


def _check_order(order: int) -> None:
    if int(order) != order or order < 1:
        raise SpecificationError(f"The series order must be a positive integer, got {order!r}.")
