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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from naeringsmiljo._options import TraceMethod
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


def exact_traces(weights: SpatialWeights, order: int) -> WeightsTraces:
    """Exact ``tr(W^k)/n``, accumulated over blocks of columns of the identity.

    ``tr(W^k) = sum_j e_j' W^k e_j``: a block of unit vectors is multiplied by W ``order + 1``
    times and the diagonal entries are summed, so memory is one ``n x block`` array.
    """
    _check_order(order)
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
    return WeightsTraces(
        traces=traces / n,
        sums=power_sums(w, order),
        std_errors=np.zeros(order + 2),
        probe_traces=None,
        method="exact",
        spectral_radius=_perron_root(weights),
    )


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
    """
    _check_order(order)
    if probes < 2:
        raise ValueError(f"Monte Carlo traces need at least 2 probes, got {probes}.")
    w = weights.sparse
    n = weights.n
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, size=(n, probes)).astype(np.float64) * 2.0 - 1.0
    per_probe = np.empty((probes, order + 2))
    per_probe[:, 0] = 1.0  # z'z = n exactly for Rademacher probes
    v = z
    for k in range(1, order + 2):
        v = w @ v
        per_probe[:, k] = np.einsum("ij,ij->j", z, v) / n
    per_probe[:, 1:3] = _low_traces(w)
    return WeightsTraces(
        traces=per_probe.mean(axis=0),
        sums=power_sums(w, order),
        std_errors=per_probe.std(axis=0, ddof=1) / np.sqrt(probes),
        probe_traces=per_probe,
        method="monte_carlo",
        spectral_radius=_perron_root(weights),
    )


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
    if method == "auto":
        method = "exact" if weights.n <= EXACT_TRACE_LIMIT else "monte_carlo"
    if method == "exact":
        return exact_traces(weights, order)
    if method == "monte_carlo":
        return monte_carlo_traces(weights, order, probes=probes, seed=seed)
    raise ValueError(f"Unknown trace method {method!r}; use 'exact', 'monte_carlo' or 'auto'.")


def _perron_root(weights: SpatialWeights) -> float:
    """Spectral radius of W: for a non-negative matrix (as every SpatialWeights is) it is the
    largest real eigenvalue (Perron-Frobenius), which the parameter interval already needs, so
    the cached eigenvalue bounds serve and no further eigenvalue problem is solved."""
    return max(weights.eigenvalue_bounds()[1], 0.0)


def _check_order(order: int) -> None:
    if int(order) != order or order < 1:
        raise ValueError(f"The series order must be a positive integer, got {order!r}.")
