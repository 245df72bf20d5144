"""Log-determinants ``ln|I - rho W|`` and their derivatives, the costly part of spatial ML.

Each method is a small class with the interface :class:`LogDeterminant`: ``value(rho)``,
``derivative(rho)`` (``-tr(W (I - rho W)^{-1})``, consistent with the value, so that the
estimators can solve the score equation), and ``error_bound(rho)`` /
``derivative_error_bound(rho)``, the stated error (zero for the exact methods).

Exact: :class:`EigenLogDet` (dense eigenvalues), :class:`SparseLULogDet` (sparse LU),
:class:`CholeskyLogDet` (W similar to a symmetric matrix), :class:`PardisoLogDet` (MKL PARDISO's
parallel LU, optional, for large n). Approximate, with a stated error:
:class:`ChebyshevLogDet` (Pace & LeSage 2004), :class:`MonteCarloLogDet` (Barry & Pace 1999),
:class:`SplineLogDet` (exact values on a grid, interpolated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from naeringsmiljo._options import LogDetMethod, check_choice
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.weights.logdet.base import LogDeterminant, symmetrizing_scale
from naeringsmiljo.weights.logdet.chebyshev import ChebyshevLogDet
from naeringsmiljo.weights.logdet.cholesky import CholeskyLogDet
from naeringsmiljo.weights.logdet.eigen import EigenLogDet
from naeringsmiljo.weights.logdet.lu import SparseLULogDet
from naeringsmiljo.weights.logdet.monte_carlo import MonteCarloLogDet
from naeringsmiljo.weights.logdet.pardiso import PardisoLogDet, pardiso_available
from naeringsmiljo.weights.logdet.spline import SplineLogDet
from naeringsmiljo.weights.spatial_weights import SpatialWeights, register_preparer

__all__ = [
    "AUTO_EIGEN_LIMIT",
    "ChebyshevLogDet",
    "CholeskyLogDet",
    "EigenLogDet",
    "LogDeterminant",
    "MonteCarloLogDet",
    "PardisoLogDet",
    "SparseLULogDet",
    "SplineLogDet",
    "make_logdet",
    "pardiso_available",
    "prepare_logdet",
]

#: ``logdet="auto"`` uses dense eigenvalues up to this many units and sparse factorisations above:
#: the eigenvalues of a non-symmetric W cost O(n^3) once (0.26 s at n = 1,000 with 10 neighbours,
#: 0.017 s at 300), a sparse LU about 1e-3 s per value there, and the values-only search needs
#: five to eight values (benchmarks/speed.py).
AUTO_EIGEN_LIMIT = 300

#: Above this many units ``logdet="auto"`` takes MKL PARDISO when it is installed. Both searches
#: now use values only (five to eight factorisations), so the choice is the faster
#: factorisation: on 10-nearest-neighbour weights (2 cores, loaded) SuperLU in its reused
#: ordering took 0.10 / 0.36 / 1.6 s per value at n = 1e4 / 3e4 / 1e5 and PARDISO 0.31 / 0.52 /
#: 0.74 s (benchmarks/speed.py measures both at each size).
AUTO_PARDISO_LIMIT = 50_000


def _exact_sparse(
    weights: SpatialWeights, method: str, *, derivatives: bool = False
) -> LogDeterminant:
    """The exact sparse method for ``weights``, from the weights' cache when prepared before.

    The SuperLU methods keep their fill-reducing ordering and reordered matrix (O(nnz(W))
    memory) on the weights (:meth:`SpatialWeights.prepare`), so that repeated fits on the same
    weights skip the ordering; PARDISO's analysis lives in MKL's memory and is kept only when
    asked for (``weights.prepare(logdet="pardiso")``).
    """
    if (
        method == "auto"
        and weights.n > AUTO_PARDISO_LIMIT
        and not derivatives
        and pardiso_available()
    ):
        prepared = weights._cache.get(PREPARED_KEY + "pardiso")
        if prepared is not None:
            return prepared
        return PardisoLogDet(weights.sparse)  # before the symmetry search: 4-14 s at n = 1e6
    scale = _cached_scale(weights)
    if method == "cholesky":
        if scale is None:
            raise SpecificationError(
                "logdet='cholesky' needs W = D^{-1} C with C symmetric (a symmetric matrix or a "
                "row-standardised symmetric binary one); use 'lu'."
            )
        return _cached(weights, "cholesky", lambda: CholeskyLogDet(weights.sparse, scale))
    if method == "auto" and scale is not None:
        return _cached(weights, "cholesky", lambda: CholeskyLogDet(weights.sparse, scale))
    return _cached(weights, "lu", lambda: SparseLULogDet(weights.sparse))


#: Prefix of the cache keys of the prepared log-determinants on the weights (``key + method``).
PREPARED_KEY = "logdet:"


def _cached_scale(weights: SpatialWeights) -> Any:
    """:func:`symmetrizing_scale` of the weights, computed once per weights object."""
    key = PREPARED_KEY + "symmetrizing_scale"
    if key not in weights._cache:
        weights._cache[key] = symmetrizing_scale(weights.sparse)
    return weights._cache[key]


def _cached(
    weights: SpatialWeights, name: str, build: Callable[[], SparseLULogDet | CholeskyLogDet]
) -> LogDeterminant:
    """The SuperLU-based method ``name`` of the weights: built once (its ordering), then a fresh
    copy per fit that shares the ordered matrix and keeps its own recent factorisations."""
    key = PREPARED_KEY + name
    prepared = weights._cache.get(key)
    if prepared is None:
        prepared = build()
        weights._cache[key] = prepared
    return prepared.fresh()


def make_logdet(
    weights: SpatialWeights,
    method: LogDetMethod = "auto",
    *,
    tolerance: float = 0.0,
    seed: int = 0,
    derivatives: bool = False,
) -> LogDeterminant:
    """Choose and build a log-determinant method for ``weights``.

    Parameters
    ----------
    weights : SpatialWeights
        The weights matrix W.
    method : {"auto", "eigen", "lu", "cholesky", "pardiso", "chebyshev", "monte_carlo", "spline"}
        ``"auto"`` takes dense eigenvalues for ``n <= AUTO_EIGEN_LIMIT``; above, MKL PARDISO for
        ``n > AUTO_PARDISO_LIMIT`` when installed (``pip install naeringsmiljo[fast]``), else exact
        sparse Cholesky when W is similar to a symmetric matrix and sparse LU otherwise; with a
        ``tolerance > 0`` it takes the spline of those exact values instead when the spline's
        stated error stays below ``tolerance`` over the inner 98% of the parameter interval
        (the spline costs ``2 * points - 1`` exact evaluations, wasted if it falls short).
    tolerance : float, default 0
        Largest acceptable error of ``ln|I - rho W|`` for ``"auto"``; 0 asks for an exact method.
    seed : int, default 0
        Seed of the random probes of ``"chebyshev"`` and ``"monte_carlo"``.
    derivatives : bool, default False
        Whether the caller needs many exact derivatives (the joint search over rho and lambda
        of SAC and GNS). ``"auto"`` then keeps to SuperLU, whose complex-step derivative is
        exact, instead of PARDISO, whose derivative is a central difference of two values.
    """
    check_choice("method", method, LogDetMethod, context="(log-determinant method)")
    if method == "auto":
        if weights.n <= AUTO_EIGEN_LIMIT:
            return EigenLogDet(weights.eigenvalues())
        exact = _exact_sparse(weights, "auto", derivatives=derivatives)
        if tolerance > 0:
            spline = SplineLogDet(exact, weights.parameter_interval())
            low, high = weights.parameter_interval()
            margin = 0.01 * (high - low)
            inner = spline.grid[(spline.grid > low + margin) & (spline.grid < high - margin)]
            if max(spline.error_bound(r) for r in inner) <= tolerance:
                return spline
        return exact
    if method == "eigen":
        return EigenLogDet(weights.eigenvalues())
    if method == "lu":
        return _cached(weights, "lu", lambda: SparseLULogDet(weights.sparse))
    if method == "cholesky":
        return _exact_sparse(weights, "cholesky")
    if method == "pardiso":
        if not pardiso_available():
            raise ImportError(
                "logdet='pardiso' needs MKL PARDISO: pip install pypardiso (x86-64 Linux or "
                "Windows), or use 'lu'."
            )
        prepared = weights._cache.get(PREPARED_KEY + "pardiso")
        return prepared if prepared is not None else PardisoLogDet(weights.sparse)
    if method == "spline":
        return SplineLogDet(_exact_sparse(weights, "auto"), weights.parameter_interval())
    if method == "chebyshev":
        return ChebyshevLogDet(weights, seed=seed)
    return MonteCarloLogDet(weights, seed=seed)


#: The methods whose set-up :func:`prepare_logdet` keeps on the weights.
PREPARED_METHODS = ("auto", "eigen", "lu", "cholesky", "pardiso")


def prepare_logdet(weights: SpatialWeights, logdet: str | None = "auto") -> None:
    """Keep the set-up of the exact log-determinant ``logdet`` on ``weights``.

    What :meth:`SpatialWeights.prepare` runs: the eigenvalues (``"eigen"``, and ``"auto"`` up
    to ``AUTO_EIGEN_LIMIT`` units), the ordering of the SuperLU methods (``"lu"``,
    ``"cholesky"``, ``"auto"`` without PARDISO) or PARDISO's analysis (``"pardiso"``, ``"auto"``
    above ``AUTO_PARDISO_LIMIT`` units when MKL loads). :func:`make_logdet` then starts from
    them. ``None`` keeps none (weights prepared for the moment estimators only).
    """
    if logdet is None:
        return
    check_choice("logdet", logdet, Literal["auto", "eigen", "lu", "cholesky", "pardiso"])
    if logdet == "eigen" or (logdet == "auto" and weights.n <= AUTO_EIGEN_LIMIT):
        weights.eigenvalues()
        return
    use_pardiso = logdet == "pardiso" or (
        logdet == "auto" and weights.n > AUTO_PARDISO_LIMIT and pardiso_available()
    )
    if use_pardiso:
        key = PREPARED_KEY + "pardiso"
        if key not in weights._cache:
            weights._cache[key] = make_logdet(weights, "pardiso")
        return
    make_logdet(weights, logdet)  # type: ignore[arg-type]  # keeps the ordering on the weights


register_preparer("logdet", prepare_logdet)
