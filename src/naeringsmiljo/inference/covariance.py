"""Estimators of the covariance of ML estimates, as small objects with one method.

Every estimator returns the covariance of the full parameter vector ``(beta, rho, lambda,
sigma^2)`` (with the spatial parameters the model has), from which the results take the block of
the reported parameters. Keeping ``sigma^2`` in the inverse matters: it is correlated with rho and
lambda, and dropping it before inverting understates their variances.

A registry (:data:`COVARIANCES`) maps one canonical name to each class.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol, cast

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo._options import (
    DENSE_MATRIX_LIMIT,
    InformationPath,
    SandwichInnovations,
    TraceMethod,
    check_choice,
)
from naeringsmiljo._progress import inner_bar
from naeringsmiljo.design.panel import period_product
from naeringsmiljo.exceptions import SingularInformationWarning, SpecificationError
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood, MLEstimate
from naeringsmiljo.linalg import (
    DesignFactor,
    InstrumentedDesign,
    invert_information,
    invert_symmetric,
)
from naeringsmiljo.weights.spatial_weights import SpatialWeights
from naeringsmiljo.weights.traces import (
    EXACT_TRACE_LIMIT,
    ProbePowers,
    WeightsTraces,
    _locality,
    axpy,
    cached_order,
    combined_traces,
    probe_signs,
    store_traces,
    trace_key,
    trace_powers,
    transpose_facts,
)


class CovarianceEstimator(Protocol):
    """Interface: ``name`` and ``__call__(problem) -> information matrix``.

    The information matrix (not its inverse) is returned so that parameters held fixed can be
    removed before inverting; :func:`covariance_from_information` does the inversion.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def __call__(self, problem: MLProblem) -> np.ndarray: ...


@dataclass(frozen=True)
class MLProblem:
    """What a covariance estimator needs: the likelihood, the estimate, and which parameters are free."""

    lik: ConcentratedLikelihood
    estimate: MLEstimate
    has_rho: bool
    has_lambda: bool
    #: The weights of ``lik.w`` with their cached eigenvalue bounds (built from ``lik.w`` if None).
    weights: SpatialWeights | None = None
    #: The weights of ``lik.w_error`` when the error term has its own (None: ``weights``).
    error_weights: SpatialWeights | None = None

    @property
    def shared_weights(self) -> bool:
        """Whether the lag and the error terms use the same weights."""
        return self.lik.same_weights or not (self.has_rho and self.has_lambda)

    @property
    def k(self) -> int:
        return int(self.lik.x.shape[1])

    @property
    def size(self) -> int:
        return self.k + int(self.has_rho) + int(self.has_lambda) + 1

    def gram(self) -> DesignFactor:
        """The factor of ``BX`` at the estimate: the information's beta block is
        ``(BX)'(BX) / sigma^2``."""
        return self.lik.design_factor(self.estimate.lam if self.has_lambda else 0.0)


def covariance_from_information(
    information: np.ndarray,
    free: np.ndarray,
    gram: DesignFactor | None = None,
    weight: float = 1.0,
    meat: np.ndarray | None = None,
) -> np.ndarray:
    """Invert the block of the free parameters; fixed parameters get zero (co)variance.

    ``gram`` is the factor of ``BX`` at the estimate and ``weight`` is ``1 / sigma^2``: the
    leading block of ``information`` is then ``weight (BX)'(BX)``, inverted through the
    triangular factor (:func:`naeringsmiljo.linalg.invert_information`), so that a nearly
    collinear design does not lose its digits twice. With ``meat`` the result is the sandwich
    ``H^{-1} meat H^{-1}`` of the free block. A matrix that is not positive definite gives NaN
    (co)variances and a :class:`SingularInformationWarning`, never a pseudo-inverse.
    """
    cov = np.zeros_like(information)
    idx = np.flatnonzero(free)
    block = information[np.ix_(idx, idx)]
    k = gram.scale.size if gram is not None else 0
    use_gram = gram if gram is not None and np.all(free[:k]) else None
    inverse = invert_information(block, use_gram, weight)
    if inverse is None:
        warnings.warn(
            "The information matrix is not positive definite at the estimate: the parameters "
            "are not all identified there (a flat or degenerate likelihood); standard errors "
            "are reported as NaN.",
            SingularInformationWarning,
            stacklevel=3,
        )
        inverse = np.full_like(block, np.nan)
    elif meat is not None:
        inverse = inverse @ meat[np.ix_(idx, idx)] @ inverse
    cov[np.ix_(idx, idx)] = inverse
    return cov


def _invert(information: np.ndarray) -> np.ndarray:
    """Inverse of a small positive-definite matrix (NaN when it is not one)."""
    inverse = invert_symmetric(information)
    return np.full_like(information, np.nan) if inverse is None else inverse


@dataclass(frozen=True)
class InformationAccuracy:
    """How the sparse information matrix was computed, and the Monte Carlo error of its traces.

    Attributes
    ----------
    traces : dict of str to float
        The traces entering the matrix (``"tr(G_A)"``, ``"tr(G_A'G_A)"``, ...), not divided by n.
    std_errors : dict of str to float
        Monte Carlo standard error of each trace: the standard error of the probe mean for the
        Hutchinson estimates, of the series of Monte Carlo traces of ``W^k`` for the others;
        zero where the trace is exact.
    truncation_bound : float
        Bound on the truncation error of any trace series (same units as the traces).
    series_order : int
        Highest power of the spatial parameters kept in the series.
    trace_method : str
        How the traces of ``W^k`` were obtained (``"exact"`` or ``"monte_carlo"``).
    probes : int
        Rademacher probes of the Hutchinson estimates (0 when W is symmetric, so all are exact).
    seed : int
        Seed of the probes.
    replicates : numpy.ndarray or None
        Leave-one-probe-out information matrices (``probes x p x p``), for the jackknife error of
        anything computed from the matrix; None when nothing is random.
    """

    traces: dict[str, float]
    std_errors: dict[str, float]
    truncation_bound: float
    series_order: int
    trace_method: str
    probes: int
    seed: int
    replicates: np.ndarray | None = field(default=None, repr=False)

    @property
    def relative_error(self) -> float:
        """Largest relative Monte Carlo standard error of a trace (0 when all are exact)."""
        return max(
            (se / abs(self.traces[name]) for name, se in self.std_errors.items() if se > 0),
            default=0.0,
        )

    def std_error_accuracy(self, free: np.ndarray | None = None) -> np.ndarray:
        """Jackknife Monte Carlo standard error of each parameter's standard error.

        ``free`` marks the estimated parameters (all by default); fixed ones get zero.
        """
        if self.replicates is None:
            return np.zeros(0 if free is None else free.size)
        m, p, _ = self.replicates.shape
        free = np.ones(p, dtype=bool) if free is None else free
        ses = np.array(
            [np.sqrt(np.diag(covariance_from_information(r, free))) for r in self.replicates]
        )
        return np.sqrt((m - 1) / m * np.sum((ses - ses.mean(axis=0)) ** 2, axis=0))

    def describe(self) -> str:
        stochastic = [name for name, se in self.std_errors.items() if se > 0]
        if not stochastic:
            errors = "all traces exact"
        else:
            errors = "; ".join(
                f"{name} relative s.e. {self.std_errors[name] / abs(self.traces[name]):.2g}"
                for name in stochastic
            )
        probes = f", {self.probes} Hutchinson probes (seed {self.seed})" if self.probes else ""
        return (
            f"sparse: {self.trace_method} traces of W^k, series to order {self.series_order}"
            f" (truncation <= {self.truncation_bound:.1g}){probes}; {errors}"
        )


@dataclass(frozen=True)
class Information:
    """An information matrix, its label for the results, and the accuracy of a sparse path."""

    matrix: np.ndarray
    label: str
    accuracy: InformationAccuracy | None = None
    #: For a sandwich: the variance of the score, so that the covariance is
    #: ``matrix^{-1} meat matrix^{-1}`` (``matrix`` is then the observed information).
    meat: np.ndarray | None = None


def evaluate_information(estimator: CovarianceEstimator, problem: MLProblem) -> Information:
    """Call any covariance estimator; those with an ``evaluate`` method describe their path."""
    evaluate = getattr(estimator, "evaluate", None)
    if evaluate is not None:
        return evaluate(problem)
    return Information(estimator(problem), estimator.description)


#: ``InformationMatrix(path="auto")`` forms dense ``n x n`` inverses up to this many units and
#: uses the sparse path (Monte Carlo traces of ``W^k`` and Hutchinson norms, with their stated
#: error) above: at n = 3,000 the dense path took 1.0 s, the sparse one 0.035 s, and their
#: standard errors differed by 0.05% (SAR) to 0.14% (SEM), inside the stated error
#: (tests/test_covariance_speed.py). Exact traces of ``W^k`` cost ``order * nnz(W) * n`` and
#: were slower than the dense inverse between 500 and 2,000 units, so the sparse path takes
#: Monte Carlo traces there too. ``path="dense"`` stays available up to ``DENSE_MATRIX_LIMIT``.
AUTO_DENSE_INFORMATION_LIMIT = 400

# The series of the traces are truncated where their tail bound, on the scale of tr(W^k)/n,
# falls below this; far below any Monte Carlo error and below the 1e-8 that exact paths agree to.
_SERIES_TOLERANCE = 1e-13
_MAX_SERIES_ORDER = 2000
# Probe vectors are solved in blocks of at most this many numbers (32 MB).
_BLOCK_ENTRIES = 4_000_000
#: The probe pass of the sparse information matrix holds four ``n x block`` arrays; above this
#: many numbers per array (200 MB) its probes are processed in blocks (:func:`_probe_pass`):
#: at n = 1e6 two blocks of 25 probes instead of one of 50.
_PROBE_BLOCK_ENTRIES = 25_000_000


def _series_order(q: float, scale: float) -> int:
    """Smallest K with ``scale * sum_{k >= K} (k + 1) q^k <= _SERIES_TOLERANCE``.

    ``sum_{k >= K} (k + 1) q^k = q^K ((K + 1)(1 - q) + q) / (1 - q)^2`` bounds the tails of
    every series below, whose coefficients of ``t_{k+1}`` or ``t_{k+2}`` are at most
    ``(k + 1) q^k / r^k`` in absolute value, ``q = max(|rho|, |lambda|) r``.
    """
    if q == 0.0:
        return 1
    for order in range(1, _MAX_SERIES_ORDER + 1):
        if scale * _tail(q, order) <= _SERIES_TOLERANCE:
            return order
    raise SpecificationError(
        f"The trace series of the information matrix need more than {_MAX_SERIES_ORDER} terms "
        f"at |parameter| x spectral radius = {q:.6g}; use cov='hessian'."
    )


def _tail(q: float, order: int) -> float:
    return q**order * ((order + 1) * (1 - q) + q) / (1 - q) ** 2


def _factor(w: sp.csr_array, value: float) -> Any:
    """Sparse LU of ``I - value W`` (None for the identity)."""
    if value == 0.0:
        return None
    a = sp.csc_array(sp.identity(w.shape[0], format="csc") - value * w)
    return splu(a)


def _solve(lu: Any, rhs: np.ndarray) -> np.ndarray:
    return rhs if lu is None else lu.solve(rhs)


def sparse_information(
    problem: MLProblem, *, probes: int = 50, seed: int = 0, traces: TraceMethod = "auto"
) -> Information:
    """The information matrix of :class:`InformationMatrix` without ``n x n`` matrices.

    Traces, with ``t_k = tr(W^k)/n`` from :mod:`naeringsmiljo.weights.traces`:

    .. math::

        \\mathrm{tr}(G_A) = n\\sum_k \\rho^k t_{k+1}, \\quad
        \\mathrm{tr}(G_A^2) = n\\sum_k (k+1)\\rho^k t_{k+2}, \\quad
        \\mathrm{tr}(G_B H) = \\mathrm{tr}(W^2 A^{-1}B^{-1})
            = n\\sum_k t_{k+2} \\sum_{j=0}^{k} \\rho^j\\lambda^{k-j},

    and ``tr(H^2) = tr(G_A^2)``: ``W``, ``A^{-1}`` and ``B^{-1}`` commute, so ``H = G_A``. The
    norms ``tr(H'H)``, ``tr(G_B'G_B)`` and ``tr(G_B'H)`` are Hutchinson (1989) estimates with
    Rademacher probes ``z``: ``E[||G_A z||^2] = tr(H'H)`` and ``E[(G_B z)'(G_A z)] =
    tr(G_B'H)``. When W is symmetric the matrices are symmetric and the norms equal the exact
    series of the squares.

    One pass of block products ``W^k Z`` over the probes (:class:`naeringsmiljo.weights.traces.ProbePowers`)
    gives both the Monte Carlo traces of ``W^k`` and ``G_A Z = sum_k rho^k W^(k+1) Z`` (and
    ``G_B Z``): no factorisation, no per-vector loop. The traces are cached on the weights under
    the seed, so the trace impacts of the fit reuse them. The series stop at the first order
    where the bound on the truncation error of every Monte Carlo quantity is below
    ``_TRUNCATION_SHARE`` (a tenth) of its Monte Carlo standard error, and that of every exact
    quantity below ``_SERIES_TOLERANCE`` of its scale; the bound is reported. The truncation
    bounds of the norms use ``||W^k z||_inf <= ||W||_inf^k``; when ``max(|rho|, |lambda|)
    ||W||_inf >= 1`` (weights that are not row-standardised) the norms and ``m`` come from
    solves with a sparse LU of ``A`` (and ``B``) instead, as does ``m = B W A^{-1} X beta``
    otherwise by the same Neumann series (to 1e-13 relative).
    """
    lik, est = problem.lik, problem.estimate
    if not problem.shared_weights:
        return _two_weights_information(problem, probes=probes, seed=seed)
    if lik.deflated:
        raise SpecificationError(
            "The information matrix of the Lee-Yu transformation approach with time effects is "
            f"computed with dense matrices (up to {DENSE_MATRIX_LIMIT} entities); use "
            "cov='hessian' for more entities."
        )
    w = sp.csr_array(lik.w)
    # traces of the NT x NT matrices I_T ⊗ (.): the periods times the traces over the units
    periods = lik.multiplicity
    n = w.shape[0] * periods
    sigma2 = est.sigma2
    rho = est.rho if problem.has_rho else 0.0
    lam = est.lam if problem.has_lambda else 0.0
    weights = problem.weights if problem.weights is not None else SpatialWeights.from_sparse(w)
    symmetric, row_norm = _structure(weights)
    trace_stream, probe_stream = np.random.SeedSequence(seed).spawn(2)
    check_choice("traces", traces, TraceMethod)
    method = traces
    if method == "auto":
        method = (
            "exact"
            if w.shape[0] <= min(EXACT_TRACE_LIMIT, AUTO_DENSE_INFORMATION_LIMIT)
            else "monte_carlo"
        )
    if not symmetric and probes < 2:
        raise SpecificationError(f"The Hutchinson estimates need at least 2 probes, got {probes}.")

    radius = max(weights.eigenvalue_bounds()[1], 0.0)
    q = max(abs(rho), abs(lam)) * radius
    if q >= 1.0:
        raise SpecificationError(
            f"The trace series of the information matrix diverge at |parameter| x spectral "
            f"radius = {q:.6g} >= 1; use cov='hessian'."
        )
    scale = max(radius, 1.0) ** 2
    exact_order = _series_order(q, scale)
    neumann = max(abs(rho), abs(lam)) * row_norm < 1.0

    norms = []  # (name, square of which trace when W is symmetric)
    if problem.has_rho:
        norms.append(("tr(H'H)", "tr(G_A^2)"))
    if problem.has_lambda:
        norms.append(("tr(G_B'G_B)", "tr(G_B^2)"))
    if problem.has_rho and problem.has_lambda:
        norms.append(("tr(G_B'H)", "tr(G_B H)"))

    def series_for(order: int) -> dict[str, np.ndarray]:
        return _series_coefficients(problem, rho, lam, order)

    def probe_pass(series: Any, names: Sequence[str]) -> _PassResult:
        # One pass of the shared probes; only the series and the norms asked for vary.
        return _probe_pass(
            weights, probes, trace_stream, series, w.shape[0] * scale, q, rho, lam, names, row_norm
        )

    per_probe = None
    norm_bound = 0.0
    if method == "exact" or symmetric or not neumann:
        powers = None
        if method == "monte_carlo":
            key = trace_key("monte_carlo", probes, trace_stream)
            if symmetric and cached_order(weights, key) >= exact_order:
                powers = trace_powers(
                    weights, exact_order, method=method, probes=probes, seed=trace_stream
                )
            elif symmetric:
                powers = probe_pass(series_for, ()).traces
        if powers is None:
            powers = trace_powers(
                weights, exact_order, method=method, probes=probes, seed=trace_stream
            )
        if not symmetric:
            if neumann:
                result = probe_pass(None, [name for name, _ in norms])
                per_probe, norm_bound = result.norms, periods * result.norm_bound
            else:
                per_probe = _hutchinson(
                    w, _factor(w, rho), _factor(w, lam), lam, problem, probes, probe_stream
                )
    else:
        result = probe_pass(series_for, [name for name, _ in norms])
        powers, per_probe, norm_bound = result.traces, result.norms, periods * result.norm_bound
    order = powers.order
    series = series_for(order)

    def series_value(t: np.ndarray, name: str) -> float:
        return float(n * (series[name] @ t))

    def trace_values(t: np.ndarray, hutchinson: np.ndarray | None) -> dict[str, float]:
        values = {name: series_value(t, name) for name in series}
        for j, (name, twin) in enumerate(norms):
            values[name] = values[twin] if hutchinson is None else periods * float(hutchinson[j])
        return values

    beta_part = _beta_blocks(problem, weights, w, rho, lam, row_norm)

    def matrix(values: dict[str, float]) -> np.ndarray:
        blocks = dict(beta_part)
        if problem.has_rho:
            blocks["rho", "rho"] = values["tr(G_A^2)"] + values["tr(H'H)"] + blocks.pop("mm")
            blocks["rho", "sigma2"] = values["tr(G_A)"] / sigma2
        if problem.has_lambda:
            blocks["lambda", "lambda"] = values["tr(G_B^2)"] + values["tr(G_B'G_B)"]
            blocks["lambda", "sigma2"] = values["tr(G_B)"] / sigma2
        if problem.has_rho and problem.has_lambda:
            blocks["rho", "lambda"] = values["tr(G_B H)"] + values["tr(G_B'H)"]
        # The only string key, "mm", was popped above: every key left is a pair.
        return _assemble(problem, cast(dict[tuple[str, str], float | np.ndarray], blocks))

    t = powers.traces
    hutchinson = None if per_probe is None else per_probe.mean(axis=0)
    values = trace_values(t, hutchinson)
    std_errors = {name: n * powers.series_error(c) for name, c in series.items()}
    for j, (name, twin) in enumerate(norms):
        std_errors[name] = (
            std_errors[twin]
            if per_probe is None
            else periods * float(per_probe[:, j].std(ddof=1) / np.sqrt(per_probe.shape[0]))
        )
    replicates = None
    if per_probe is not None or powers.probe_traces is not None:
        m = probes if per_probe is None else per_probe.shape[0]
        replicates = np.array(
            [
                matrix(
                    trace_values(
                        _leave_out(powers.probe_traces, j, t),
                        None if hutchinson is None else _leave_out(per_probe, j, hutchinson),
                    )
                )
                for j in range(m)
            ]
        )
    truncation = n * scale * _tail(q, order) if q > 0 else 0.0
    accuracy = InformationAccuracy(
        traces=values,
        std_errors=std_errors,
        truncation_bound=float(max(truncation, norm_bound)),
        series_order=order,
        trace_method=powers.method,
        probes=0 if per_probe is None else probes,
        seed=seed,
        replicates=replicates,
    )
    label = f"inverse of the analytic information matrix ({accuracy.describe()})"
    return Information(matrix(values), label, accuracy)


def _two_weights_information(problem: MLProblem, *, probes: int, seed: int) -> Information:
    """The information matrix of SAC/GNS with different lag and error weights, at large n.

    The trace series of the one-matrix path need ``W_1 = W_2``. Here every trace is a
    Hutchinson (1989) estimate with Rademacher probes ``z``, from sparse LU solves with
    ``A = I - rho W_1`` and ``B = I - lambda W_2`` (no ``n x n`` matrix):
    ``tr(M) = E[z'Mz]`` for ``G_A``, ``G_A^2``, ``G_B``, ``G_B^2`` and ``G_B H``, and
    ``tr(M'N) = E[(Mz)'(Nz)]`` for the norms; ``m = B G_A X beta`` takes one solve. The Monte
    Carlo standard error of each trace and leave-one-probe-out replicates of the matrix are
    reported as on the one-matrix path.
    """
    lik, est = problem.lik, problem.estimate
    if probes < 2:
        raise SpecificationError(f"The Hutchinson estimates need at least 2 probes, got {probes}.")
    w1, w2 = sp.csr_array(lik.w), sp.csr_array(lik.w_error)
    n, sigma2 = lik.n, est.sigma2
    lu_a, lu_b = _factor(w1, est.rho), _factor(w2, est.lam)

    def g_a(v: np.ndarray) -> np.ndarray:
        return w1 @ _solve(lu_a, v)

    def g_b(v: np.ndarray) -> np.ndarray:
        return w2 @ _solve(lu_b, v)

    def h(v: np.ndarray) -> np.ndarray:  # B G_A B^{-1} v
        inner = g_a(_solve(lu_b, v))
        return inner - est.lam * (w2 @ inner)

    names = [
        "tr(G_A)",
        "tr(G_A^2)",
        "tr(H'H)",
        "tr(G_B)",
        "tr(G_B^2)",
        "tr(G_B'G_B)",
        "tr(G_B H)",
        "tr(G_B'H)",
    ]
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    block = int(np.clip(_BLOCK_ENTRIES // n, 1, probes))
    rows = []
    bar = inner_bar(total=probes, desc="information matrix: probes", unit="probe")
    for start in range(0, probes, block):
        bar.update(min(block, probes - start))
        z = rng.integers(0, 2, size=(n, min(block, probes - start))).astype(np.float64) * 2 - 1
        az, bz, hz = g_a(z), g_b(z), h(z)

        def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.einsum("ij,ij->j", a, b)

        rows.append(
            np.column_stack(
                [
                    dot(z, az),
                    dot(z, g_a(az)),
                    dot(hz, hz),
                    dot(z, bz),
                    dot(z, g_b(bz)),
                    dot(bz, bz),
                    dot(z, g_b(hz)),
                    dot(bz, hz),
                ]
            )
        )
    bar.close()
    per_probe = np.vstack(rows)
    bx = lik.x - est.lam * lik.wx
    inner = g_a(lik.x @ est.beta)
    m = inner - est.lam * (w2 @ inner)

    def matrix(t: np.ndarray) -> np.ndarray:
        v = dict(zip(names, t, strict=True))
        blocks: dict[tuple[str, str], float | np.ndarray] = {
            ("beta", "beta"): bx.T @ bx / sigma2,
            ("beta", "rho"): bx.T @ m / sigma2,
            ("rho", "rho"): v["tr(G_A^2)"] + v["tr(H'H)"] + float(m @ m) / sigma2,
            ("rho", "sigma2"): v["tr(G_A)"] / sigma2,
            ("lambda", "lambda"): v["tr(G_B^2)"] + v["tr(G_B'G_B)"],
            ("lambda", "sigma2"): v["tr(G_B)"] / sigma2,
            ("rho", "lambda"): v["tr(G_B H)"] + v["tr(G_B'H)"],
            ("sigma2", "sigma2"): n / (2 * sigma2**2),
        }
        return _assemble(problem, blocks)

    mean = per_probe.mean(axis=0)
    total = per_probe.sum(axis=0)
    count = per_probe.shape[0]
    replicates = np.array([matrix((total - row) / (count - 1)) for row in per_probe])
    errors = per_probe.std(axis=0, ddof=1) / np.sqrt(count)
    accuracy = InformationAccuracy(
        traces=dict(zip(names, map(float, mean), strict=True)),
        std_errors=dict(zip(names, map(float, errors), strict=True)),
        truncation_bound=0.0,
        series_order=0,
        trace_method="hutchinson",
        probes=probes,
        seed=seed,
        replicates=replicates,
    )
    label = (
        "inverse of the analytic information matrix (sparse, two weights matrices: "
        f"Hutchinson traces with {probes} probes and sparse LU solves, seed {seed})"
    )
    return Information(matrix(mean), label, accuracy)


def _series_converge(problem: MLProblem) -> bool:
    """Whether the trace series of :func:`sparse_information` converge at the estimate:
    ``max(|rho|, |lambda|)`` times the largest eigenvalue bound below 1 (not so for a negative
    parameter below ``-1`` on row-standardised weights; the dense path serves those up to
    ``DENSE_MATRIX_LIMIT`` units)."""
    est = problem.estimate
    weights = problem.weights
    if weights is None:
        weights = SpatialWeights.from_sparse(sp.csr_array(problem.lik.w))
    rho = est.rho if problem.has_rho else 0.0
    lam = est.lam if problem.has_lambda else 0.0
    radius = max(weights.eigenvalue_bounds()[1], 0.0)
    return max(abs(rho), abs(lam)) * radius < 1.0


def _structure(weights: SpatialWeights) -> tuple[bool, float]:
    """Whether W is symmetric, and ``||W||_inf`` (largest absolute row sum); cached."""
    key = "covariance:structure"
    if key not in weights._cache:
        w = weights.sparse
        row_norm = float(np.max(np.abs(w).sum(axis=1), initial=0.0))
        weights._cache[key] = (transpose_facts(weights)["symmetric"], row_norm)
    return weights._cache[key]


def _series_coefficients(
    problem: MLProblem, rho: float, lam: float, order: int
) -> dict[str, np.ndarray]:
    """Coefficients of ``t_0 .. t_{order+1}`` in the trace series (divided by n)."""
    k = np.arange(order)

    def first(value: float) -> np.ndarray:  # coefficients of t_j in tr(W (I - value W)^{-1})/n
        c = np.zeros(order + 2)
        c[1 : order + 1] = value**k
        return c

    def square(value: float) -> np.ndarray:  # ... in tr(W^2 (I - value W)^{-2})/n
        c = np.zeros(order + 2)
        c[2:] = (k + 1) * value**k
        return c

    series: dict[str, np.ndarray] = {}
    if problem.has_rho:
        series["tr(G_A)"] = first(rho)
        series["tr(G_A^2)"] = square(rho)
    if problem.has_lambda:
        series["tr(G_B)"] = first(lam)
        series["tr(G_B^2)"] = square(lam)
    if problem.has_rho and problem.has_lambda:
        c = np.zeros(order + 2)
        c[2:] = [np.sum(rho ** np.arange(j + 1) * lam ** (j - np.arange(j + 1))) for j in k]
        series["tr(G_B H)"] = c
    return series


#: The series of Monte Carlo quantities stop where their truncation bound falls below this share
#: of their Monte Carlo standard error: a bias of at most a tenth of the stated error, reported
#: in ``InformationAccuracy.truncation_bound``.
_TRUNCATION_SHARE = 0.1


@dataclass(frozen=True)
class _PassResult:
    traces: WeightsTraces
    norms: np.ndarray | None
    norm_bound: float


def _probe_pass(
    weights: SpatialWeights,
    probes: int,
    seed: np.random.SeedSequence,
    series_for: Any,
    series_scale: float,
    q: float,
    rho: float,
    lam: float,
    norm_names: Sequence[str],
    row_norm: float,
    *,
    min_order: int = 2,
) -> _PassResult:
    """Monte Carlo traces of ``W^k`` and the Hutchinson norms from one pass of block products.

    ``series_for(order)`` gives the coefficients of the Monte Carlo trace series whose
    truncation decides the order (None: the traces are exact elsewhere and ``min_order`` is
    the order they need). The per-probe accumulators ``G_A Z`` and ``G_B Z`` are Neumann series
    whose remainder after ``k`` powers has ``||.||_inf <= c (|v| c)^k / (1 - |v| c)``,
    ``c = ||W||_inf``; the bound on the resulting error of each norm is carried as
    ``norm_bound`` (units of the traces).

    When ``n x probes`` exceeds :data:`_PROBE_BLOCK_ENTRIES`, the probes are processed in
    blocks, so that the pass holds four ``n x block`` arrays instead of four ``n x probes``
    ones (1.6 GB at n = 1e6 with 50 probes): the first block decides the order by the rule
    above with its own Monte Carlo error, and the others run to that order. The probes are the
    same draws as in one block.
    """
    n = weights.n
    blocks = (
        1
        if n * probes <= _PROBE_BLOCK_ENTRIES
        else max(1, probes // max(2, _PROBE_BLOCK_ENTRIES // n))
    )
    signs = probe_signs(n, probes, seed)
    key = trace_key("monte_carlo", probes, seed)
    bar = inner_bar(total=None, desc="information matrix: powers of W on the probes", unit="power")
    parts: list[WeightsTraces] = []
    norms: list[np.ndarray] = []
    bound = 0.0
    order: int | None = None
    for columns in np.array_split(np.arange(probes), blocks):  # each of at least 2 probes
        powers = ProbePowers(weights, probes, seed, signs=signs[:, columns])
        part_norms, part_bound, order = _probe_block(
            powers,
            bar,
            series_for,
            series_scale,
            q,
            rho,
            lam,
            norm_names,
            row_norm,
            min_order=min_order,
            order=order,
        )
        parts.append(powers.traces())
        if part_norms is not None:
            norms.append(part_norms)
        bound = max(bound, part_bound)
        del powers
    bar.close()
    traces = store_traces(weights, key, combined_traces(parts))
    return _PassResult(traces, np.vstack(norms) if norms else None, bound)


def _probe_block(
    powers: ProbePowers,
    bar: Any,
    series_for: Any,
    series_scale: float,
    q: float,
    rho: float,
    lam: float,
    norm_names: Sequence[str],
    row_norm: float,
    *,
    min_order: int,
    order: int | None,
) -> tuple[np.ndarray | None, float, int]:
    """Powers of one block of probes: to the order the stopping rule of :func:`_probe_pass`
    reaches (``order`` None), or to ``order``. Returns the per-probe norms, their truncation
    bound and the order."""
    n, probes = powers.n, powers.probes
    acc_a = np.zeros((n, probes)) if "tr(H'H)" in norm_names else None
    acc_b = np.zeros((n, probes)) if "tr(G_B'G_B)" in norm_names else None
    norms = None
    bound = 0.0
    norms_done = not norm_names
    while True:
        v = powers.step()
        bar.update(1)
        k = powers.k
        if k > _MAX_SERIES_ORDER + 1:
            raise SpecificationError(
                f"The trace series of the information matrix need more than "
                f"{_MAX_SERIES_ORDER} terms at |parameter| x spectral radius = {q:.6g}; use "
                "cov='hessian'."
            )
        # after k powers: G_A Z = sum_{j < k} rho^j W^(j+1) Z; the norms stop accumulating
        # (and their bound is fixed) once their own truncation is below their criterion
        if not norms_done:
            if acc_a is not None:
                axpy(rho ** (k - 1), v, acc_a)
            if acc_b is not None:
                axpy(lam ** (k - 1), v, acc_b)
        current = k - 1
        if order is not None:  # a later block: the first block's order, norms to the same k
            if current < order:
                continue
            if not norms_done:
                norms, bound, _ = _norms(acc_a, acc_b, norm_names, rho, lam, row_norm, k)
            return norms, bound, current
        if current < max(min_order, 2):
            continue
        if not norms_done:
            norms, bound, bounds = _norms(acc_a, acc_b, norm_names, rho, lam, row_norm, k)
            norms_done = all(
                limit
                <= max(
                    _TRUNCATION_SHARE * float(norms[:, j].std(ddof=1) / np.sqrt(probes)),
                    1e-13 * abs(norms[:, j].mean()),
                )
                for j, limit in enumerate(bounds)
            )
        done = norms_done
        if series_for is not None and done:
            partial = powers.traces()
            truncation = series_scale * _tail(q, current) if q > 0 else 0.0
            for c in series_for(current).values():
                se = n * partial.series_error(c)
                if truncation > max(_TRUNCATION_SHARE * se, series_scale * _SERIES_TOLERANCE):
                    done = False
                    break
        if done:
            return norms, bound, current


def _norms(
    acc_a: np.ndarray | None,
    acc_b: np.ndarray | None,
    names: Sequence[str],
    rho: float,
    lam: float,
    c: float,
    k: int,
) -> tuple[np.ndarray, float, list[float]]:
    """Per-probe norms and the bound on their truncation error (each, and the largest)."""
    first = acc_a if acc_a is not None else acc_b
    if first is None:
        raise SpecificationError(
            "The per-probe norms need at least one accumulator (acc_a or acc_b)."
        )
    n = first.shape[0]

    def tail(value: float) -> float:  # ||remainder||_inf of sum_j value^j W^(j+1) z
        x = abs(value) * c
        return c * x**k / (1.0 - x)

    size_a = np.sqrt(np.einsum("ij,ij->j", acc_a, acc_a)) if acc_a is not None else None
    size_b = np.sqrt(np.einsum("ij,ij->j", acc_b, acc_b)) if acc_b is not None else None
    root = np.sqrt(n)
    columns, bounds = [], []
    if "tr(H'H)" in names:
        if size_a is None:
            raise SpecificationError("The norm tr(H'H) needs the accumulator acc_a.")
        e = root * tail(rho)
        columns.append(size_a**2)
        bounds.append(float(np.max(2 * size_a * e + e**2)))
    if "tr(G_B'G_B)" in names:
        if size_b is None:
            raise SpecificationError("The norm tr(G_B'G_B) needs the accumulator acc_b.")
        e = root * tail(lam)
        columns.append(size_b**2)
        bounds.append(float(np.max(2 * size_b * e + e**2)))
    if "tr(G_B'H)" in names:
        if acc_a is None or acc_b is None or size_a is None or size_b is None:
            raise SpecificationError("The norm tr(G_B'H) needs both accumulators acc_a and acc_b.")
        ea, eb = root * tail(rho), root * tail(lam)
        columns.append(np.einsum("ij,ij->j", acc_b, acc_a))
        bounds.append(float(np.max(size_b * ea + size_a * eb + ea * eb)))
    return np.column_stack(columns), max(bounds), bounds


def _leave_out(per_probe: np.ndarray | None, j: int, mean: np.ndarray) -> np.ndarray:
    """Mean without probe ``j`` (the mean itself when nothing is random)."""
    if per_probe is None:
        return mean
    m = per_probe.shape[0]
    return (m * per_probe.mean(axis=0) - per_probe[j]) / (m - 1)


def _hutchinson(
    w: sp.csr_array,
    lu_a: Any,
    lu_b: Any,
    lam: float,
    problem: MLProblem,
    probes: int,
    seed: np.random.SeedSequence,
) -> np.ndarray:
    """Per-probe ``||Hz||^2``, ``||G_B z||^2`` and ``(G_B z)'(Hz)`` (those the model needs)."""
    if probes < 2:
        raise SpecificationError(f"The Hutchinson estimates need at least 2 probes, got {probes}.")
    n = w.shape[0]
    rng = np.random.default_rng(seed)
    block = int(np.clip(_BLOCK_ENTRIES // n, 1, probes))
    rows = []
    bar = inner_bar(total=probes, desc="information matrix: probes", unit="probe")
    for start in range(0, probes, block):
        bar.update(min(block, probes - start))
        size = min(block, probes - start)
        z = rng.integers(0, 2, size=(n, size)).astype(np.float64) * 2.0 - 1.0
        u = _solve(lu_b, z)
        columns = []
        if problem.has_rho:
            ga = w @ _solve(lu_a, u)
            h = ga - lam * (w @ ga)
            columns.append(np.einsum("ij,ij->j", h, h))
        if problem.has_lambda:
            gb = w @ u
            columns.append(np.einsum("ij,ij->j", gb, gb))
        if problem.has_rho and problem.has_lambda:
            columns.append(np.einsum("ij,ij->j", gb, h))
        rows.append(np.column_stack(columns))
    bar.close()
    return np.vstack(rows)


def _beta_blocks(
    problem: MLProblem,
    weights: SpatialWeights,
    w: sp.csr_array,
    rho: float,
    lam: float,
    row_norm: float,
) -> dict[tuple[str, str] | str, float | np.ndarray]:
    """Blocks without traces: ``X'B'BX``, ``X'B'm``, ``n/(2 sigma^4)`` and ``m'm`` (key "mm")."""
    lik, est = problem.lik, problem.estimate
    sigma2 = est.sigma2
    bx = lik.x - lam * lik.wx
    blocks: dict[tuple[str, str] | str, float | np.ndarray] = {
        ("beta", "beta"): bx.T @ bx / sigma2,
        ("sigma2", "sigma2"): lik.n / (2 * sigma2**2),
    }
    if problem.has_rho:
        xb = lik.x @ est.beta
        units = w.shape[0]
        if xb.shape[0] == units:
            g = _lag_multiplier(weights, w, rho, xb, row_norm)
        else:  # a panel: the periods as the columns of an N x T matrix
            periods = xb.shape[0] // units
            g = _lag_multiplier(weights, w, rho, xb.reshape(periods, units).T, row_norm)
            g = _projected(lik, np.ascontiguousarray(g.T).reshape(-1))
        m = g - lam * lik.error_lag(g)
        blocks["beta", "rho"] = bx.T @ m / sigma2
        blocks["mm"] = float(m @ m) / sigma2
    return blocks


def _lag_multiplier(
    weights: SpatialWeights, w: sp.csr_array, rho: float, x: np.ndarray, row_norm: float
) -> np.ndarray:
    """``W (I - rho W)^{-1} x``: the Neumann series ``sum_k rho^k W^(k+1) x`` summed until its
    remainder is below 1e-13 of ``||x||_inf`` (``||W^k||_inf <= ||W||_inf^k``), in the banded
    order of the units, when ``|rho| ||W||_inf < 1``; a sparse LU solve otherwise."""
    ratio = abs(rho) * row_norm
    if ratio >= 1.0:
        return w @ _solve(_factor(w, rho), x)
    perm, wp = _locality(weights)
    v = x if perm is None else x[perm]
    total = np.zeros_like(v)
    scale = float(np.max(np.abs(x), initial=0.0))
    k = 0
    while True:
        v = wp @ v
        total += rho**k * v
        k += 1
        # remainder sum_{j >= k} rho^j W^(j+1) x
        if row_norm * ratio**k / (1.0 - ratio) * scale <= 1e-13 * max(scale, 1e-300) or not scale:
            break
        if k > 100_000:
            raise SpecificationError("The Neumann series of W (I - rho W)^{-1} x did not converge.")
    if perm is None:
        return total
    out = np.empty_like(total)
    out[perm] = total
    return out


@dataclass(frozen=True)
class InformationMatrix:
    """Inverse of the analytic (expected) information matrix.

    With ``A = I - rho W_1``, ``B = I - lambda W_2``, ``G_A = W_1 A^{-1}``,
    ``G_B = W_2 B^{-1}``, ``H = B G_A B^{-1}`` and ``m = B G_A X beta``, the non-zero blocks are
    (Anselin 1988, eq. 6.5, for the general model with two matrices, and eq. 6.23 for SEM; Lee &
    Liu 2010; LeSage & Pace 2009, s. 3.2). Nothing assumes that ``W_1`` and ``W_2`` commute:
    ``tr(G_A^2) = tr(H^2)`` by similarity, and the cross term ``E[e' W_2 W_1 y] / sigma^2 =
    tr(W_2 G_A B^{-1}) = tr(G_B H)``.

    .. math::

        I_{\\beta\\beta} = X'B'BX/\\sigma^2, \\quad I_{\\beta\\rho} = X'B'm/\\sigma^2,
        \\quad I_{\\rho\\rho} = \\mathrm{tr}(H^2) + \\mathrm{tr}(H'H) + m'm/\\sigma^2,

        I_{\\lambda\\lambda} = \\mathrm{tr}(G_B^2) + \\mathrm{tr}(G_B'G_B), \\quad
        I_{\\rho\\lambda} = \\mathrm{tr}(G_B H) + \\mathrm{tr}(G_B' H),

        I_{\\rho\\sigma^2} = \\mathrm{tr}(G_A)/\\sigma^2, \\quad
        I_{\\lambda\\sigma^2} = \\mathrm{tr}(G_B)/\\sigma^2, \\quad
        I_{\\sigma^2\\sigma^2} = n/(2\\sigma^4).

    Two paths compute the same matrix. The dense path forms ``n x n`` inverses; it is the
    covariance of R spatialreg and spreg for SAR/SEM and is used by default up to
    ``AUTO_DENSE_INFORMATION_LIMIT`` units (on request up to ``DENSE_MATRIX_LIMIT``). The sparse path (:func:`sparse_information`) forms no ``n x n`` matrix: the traces
    of ``G_A``, ``G_A^2 = H^2``, ``G_B``, ``G_B^2`` and ``G_B H = W^2 A^{-1} B^{-1}`` are power
    series in the traces of ``W^k`` (as the trace impacts use), the Frobenius norms
    ``tr(H'H)``, ``tr(G_B'G_B)`` and ``tr(G_B'H)`` are estimated with Hutchinson probes (exact,
    as the series, when W is symmetric), and ``m`` takes one sparse LU solve.

    Assumptions: independent, identically distributed *normal* innovations. The matrix is the
    variance of the score only then: with non-normal iid innovations the variance of the score
    adds terms in the third and fourth moments (Lee 2004, eq. 3.4), and with heteroskedastic
    ones the quadratic forms have other variances, so the intervals of rho, lambda and sigma^2
    (and of beta where the variances follow the regressors) can be too narrow or too wide; use
    :class:`Sandwich`.

    Parameters
    ----------
    path : {"auto", "dense", "sparse"}
        ``"auto"``: dense up to ``AUTO_DENSE_INFORMATION_LIMIT`` (400) units, sparse above
        (dense up to ``DENSE_MATRIX_LIMIT`` units where the trace series diverge: a parameter
        below ``-1`` on row-standardised weights); ``"dense"`` is possible up to
        ``DENSE_MATRIX_LIMIT`` units.
    probes : int
        Rademacher probes of the Hutchinson estimates and of Monte Carlo traces of ``W^k``.
    seed : int
        Seed of the probes (``numpy.random.SeedSequence`` entropy); fixed by default so that
        the covariance of a fit is reproducible.
    traces : {"auto", "exact", "monte_carlo"}
        Traces of ``W^k`` for the sparse path (see :func:`naeringsmiljo.weights.traces.trace_powers`).
    """

    name: ClassVar[str] = "information"
    description: ClassVar[str] = "inverse of the analytic information matrix"

    path: InformationPath = "auto"
    probes: int = 50
    seed: int = 0
    traces: TraceMethod = "auto"

    def __call__(self, problem: MLProblem) -> np.ndarray:
        return self.evaluate(problem).matrix

    def evaluate(self, problem: MLProblem) -> Information:
        """The information matrix with a description of how it was computed."""
        check_choice("path", self.path, InformationPath)
        # the size of the n x n matrices the dense path forms: the weights' units (a panel's
        # entities), not the stacked observations
        n = problem.lik.w.shape[0]
        sparse = self.path == "sparse" or (
            self.path == "auto"
            and n > AUTO_DENSE_INFORMATION_LIMIT
            and (n > DENSE_MATRIX_LIMIT or _series_converge(problem))
        )
        if not sparse:
            if n > DENSE_MATRIX_LIMIT:
                raise SpecificationError(
                    f"The dense information matrix forms {n}x{n} matrices (limit "
                    f"{DENSE_MATRIX_LIMIT} units); use path='sparse' or 'auto'."
                )
            return Information(self._dense(problem), f"{self.description} (dense)", None)
        return sparse_information(problem, probes=self.probes, seed=self.seed, traces=self.traces)

    def _dense(self, problem: MLProblem) -> np.ndarray:
        lik, est = problem.lik, problem.estimate
        units = lik.w.shape[0]
        periods = lik.multiplicity
        w1 = lik.w.toarray()
        w2 = w1 if lik.same_weights else lik.w_error.toarray()  # type: ignore[union-attr]
        eye = np.eye(units)
        sigma2 = est.sigma2
        b = eye - est.lam * w2
        bx = lik.x - est.lam * lik.wx

        def effective(a: np.ndarray) -> np.ndarray:
            """``a`` on the space the transformation leaves: ``J a J`` when the constant is
            removed (``J = I - 11'/N``; Lee & Yu 2010, s. 4), else ``a``."""
            if not lik.deflated:
                return a
            centred = a - a.mean(axis=0, keepdims=True)
            return centred - centred.mean(axis=1, keepdims=True)

        blocks: dict[tuple[str, str], float | np.ndarray] = {}
        if problem.has_rho:
            g_a = np.linalg.solve((eye - est.rho * w1).T, w1.T).T  # W_1 A^{-1}
            h = np.linalg.solve(b.T, (b @ g_a).T).T if problem.has_lambda else g_a
            m = _projected(lik, _by_period(b @ g_a, lik.x @ est.beta))
            g_eff, h_eff = effective(g_a), effective(h)
            blocks["beta", "rho"] = bx.T @ m / sigma2
            blocks["rho", "rho"] = (
                periods * (np.sum(h_eff * h_eff.T) + np.sum(h_eff * h_eff)) + m @ m / sigma2
            )
            blocks["rho", "sigma2"] = periods * np.trace(g_eff) / sigma2
        if problem.has_lambda:
            g_b = effective(np.linalg.solve(b.T, w2.T).T)  # W_2 B^{-1}
            blocks["lambda", "lambda"] = periods * (np.sum(g_b * g_b.T) + np.sum(g_b * g_b))
            blocks["lambda", "sigma2"] = periods * np.trace(g_b) / sigma2
            if problem.has_rho:
                # G_B H = W_2 G_A B^{-1}: no commuting of W_1 and W_2 is assumed
                blocks["rho", "lambda"] = periods * (np.sum(g_b * h_eff.T) + np.sum(g_b * h_eff))
        blocks["beta", "beta"] = bx.T @ bx / sigma2
        blocks["sigma2", "sigma2"] = lik.n / (2 * sigma2**2)
        return _assemble(problem, blocks)


def _by_period(matrix: Any, v: np.ndarray) -> np.ndarray:
    """``(I_T ⊗ M) v`` for a vector stacked by period (``M v`` for a cross-section)."""
    units = matrix.shape[0]
    if v.shape[0] == units:
        return np.asarray(matrix @ v)
    return period_product(matrix, v, units)


def _projected(lik: ConcentratedLikelihood, v: np.ndarray) -> np.ndarray:
    """``v`` after the design's within transformation (panels with fixed effects), else ``v``.

    The lag operator of a demeaned panel is ``Q (I_T ⊗ W)``; on demeaned data its multiplier
    ``G x`` equals ``Q (I_T ⊗ W A^{-1}) x`` (``Q W Q = Q W`` for row-standardised W)."""
    return v if lik.project is None else lik.project(v)


def _assemble(problem: MLProblem, blocks: dict[tuple[str, str], float | np.ndarray]) -> np.ndarray:
    """The symmetric information matrix in the order ``(beta, rho, lambda, sigma^2)``."""
    names = ["beta"] + ["rho"] * problem.has_rho + ["lambda"] * problem.has_lambda + ["sigma2"]
    sizes = {"beta": problem.k, "rho": 1, "lambda": 1, "sigma2": 1}
    offsets = dict(zip(names, np.cumsum([0] + [sizes[n] for n in names[:-1]]), strict=True))
    info = np.zeros((problem.size, problem.size))
    for (r, c), value in blocks.items():
        rows = slice(offsets[r], offsets[r] + sizes[r])
        cols = slice(offsets[c], offsets[c] + sizes[c])
        info[rows, cols] = np.reshape(value, (sizes[r], sizes[c]))
        info[cols, rows] = info[rows, cols].T
    return info


@dataclass(frozen=True)
class ObservedHessian:
    """Inverse of the observed information: the negative Hessian of the full log-likelihood.

    The Hessian is a central difference of the analytic score (the log-determinant's derivative
    is exact, see :mod:`naeringsmiljo.weights.logdet`), with relative step ``1e-5``. This is the
    covariance R spatialreg reports for ``sacsarlm`` (its ``fdHess`` differences the
    log-likelihood itself) and, for n >= 1500 with sparse methods, for its other models.

    Assumptions: those of :class:`InformationMatrix` (iid normal innovations); the observed and
    the expected information agree asymptotically then, and differ in finite samples. Under
    non-normal or heteroskedastic innovations the observed Hessian is still the right *bread*
    of the sandwich (:class:`Sandwich`), not a covariance by itself.
    """

    name: ClassVar[str] = "hessian"
    description: ClassVar[str] = "inverse of the numerical Hessian of the log-likelihood"

    step: float = 1e-5

    def __call__(self, problem: MLProblem) -> np.ndarray:
        est = problem.estimate
        theta = np.concatenate(
            [est.beta]
            + ([[est.rho]] if problem.has_rho else [])
            + ([[est.lam]] if problem.has_lambda else [])
            + [[est.sigma2]]
        )
        hessian = np.empty((theta.size, theta.size))
        for j in range(theta.size):
            h = self.step * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            hessian[:, j] = (_full_score(problem, up) - _full_score(problem, down)) / (2 * h)
        hessian = 0.5 * (hessian + hessian.T)
        return -hessian


def _full_score(problem: MLProblem, theta: np.ndarray) -> np.ndarray:
    """Score of the unconcentrated log-likelihood in ``(beta, rho, lambda, sigma^2)``."""
    lik = problem.lik
    k = problem.k
    beta = theta[:k]
    pos = k
    rho = lam = 0.0
    if problem.has_rho:
        rho = theta[pos]
        pos += 1
    if problem.has_lambda:
        lam = theta[pos]
        pos += 1
    sigma2 = theta[pos]
    u = lik.y - rho * lik.wy - lik.x @ beta
    w2u = lik.error_lag(u)
    e = u - lam * w2u
    bx = lik.x - lam * lik.wx
    parts = [bx.T @ e / sigma2]
    if problem.has_rho:
        b_wy = lik.wy - lam * lik.wwy
        parts.append([lik.logdet_derivative(rho) + (b_wy @ e) / sigma2])
    if problem.has_lambda:
        parts.append([lik.logdet_derivative(lam, error=True) + (w2u @ e) / sigma2])
    parts.append([-lik.n / (2 * sigma2) + (e @ e) / (2 * sigma2**2)])
    return np.concatenate([np.ravel(p) for p in parts])


#: Canonical names of the ML covariance estimators.
COVARIANCES: dict[str, type[CovarianceEstimator]] = {
    cls.name: cls for cls in (InformationMatrix, ObservedHessian)
}


def covariance_estimator(kind: str | CovarianceEstimator) -> CovarianceEstimator:
    """The ML covariance estimator named ``kind`` (or ``kind`` itself when it is one)."""
    if isinstance(kind, str):
        if kind not in COVARIANCES:
            raise SpecificationError(f"Unknown ML covariance {kind!r}; use {sorted(COVARIANCES)}.")
        return COVARIANCES[kind]()
    return kind


@dataclass(frozen=True)
class MLInference:
    """What an ML fit keeps to compute and switch its covariance without refitting.

    Attributes
    ----------
    problem : MLProblem
        The likelihood at the estimate.
    free : numpy.ndarray
        Which entries of ``(beta, rho, lambda, sigma^2)`` were estimated (fixed ones get zero
        variance).
    information : Information
        The information matrix of the current covariance, its label and, for the sparse path,
        the accuracy of its traces.
    jacobian : numpy.ndarray, optional
        The reported estimate is a smooth map ``g`` of the ML estimate (the Yu-de Jong-Lee
        correction of a dynamic panel, :class:`naeringsmiljo.inference.dynamic.CorrectionMap`)
        and this is its Jacobian ``J = dg/dtheta'`` at the ML estimate: the covariance is then
        the delta method's ``J V J'``, ``V`` that of the ML estimate. It is kept when the
        covariance estimator is switched (the estimate does not change).
    jacobian_label : str
        What the Jacobian is of, added to :attr:`label`.
    """

    problem: MLProblem
    free: np.ndarray
    information: Information
    jacobian: np.ndarray | None = None
    jacobian_label: str = ""

    @classmethod
    def evaluate(
        cls, problem: MLProblem, free: np.ndarray, kind: str | CovarianceEstimator
    ) -> MLInference:
        return cls(problem, free, evaluate_information(covariance_estimator(kind), problem))

    def with_estimator(self, kind: str | CovarianceEstimator) -> MLInference:
        """The same fit with another covariance estimator (and the same :attr:`jacobian`)."""
        switched = MLInference.evaluate(self.problem, self.free, kind)
        return replace(switched, jacobian=self.jacobian, jacobian_label=self.jacobian_label)

    def with_jacobian(self, jacobian: np.ndarray, label: str) -> MLInference:
        """The covariance of ``g(theta_hat)`` by the delta method, ``J`` the Jacobian of ``g``."""
        return replace(self, jacobian=jacobian, jacobian_label=label)

    @property
    def label(self) -> str:
        if self.jacobian is None:
            return self.information.label
        return f"{self.information.label}; {self.jacobian_label}"

    @property
    def information_accuracy(self) -> InformationAccuracy | None:
        return self.information.accuracy

    def covariance(self) -> np.ndarray:
        """Covariance of ``(beta, rho, lambda, sigma^2)`` (zero rows for fixed parameters);
        ``J V J'`` with a :attr:`jacobian`."""
        cov = self.ml_covariance()
        if self.jacobian is None:
            return cov
        return np.asarray(self.jacobian @ cov @ self.jacobian.T)

    def ml_covariance(self) -> np.ndarray:
        """Covariance of the ML estimate itself (without the :attr:`jacobian`)."""
        return covariance_from_information(
            self.information.matrix,
            self.free,
            self.problem.gram(),
            1.0 / self.problem.estimate.sigma2,
            self.information.meat,
        )


def least_squares_covariance(x: np.ndarray, resid: np.ndarray) -> tuple[np.ndarray, float]:
    """Classical OLS covariance ``s^2 (X'X)^{-1}`` with ``s^2 = e'e/(n-k)``, ``(X'X)^{-1}`` from
    the triangular factor of the equilibrated design (:class:`naeringsmiljo.linalg.DesignFactor`)."""
    n, k = x.shape
    s2 = float(resid @ resid) / (n - k)
    return s2 * DesignFactor.of(x).inverse_gram(), s2


# --------------------------------------------------------------------------- ML sandwich
@dataclass(frozen=True)
class LinearQuadraticScore:
    """The ML score at the estimate as linear-quadratic forms in the innovations.

    Component ``j`` of the score of the Gaussian log-likelihood of
    :mod:`naeringsmiljo.likelihood.gaussian`, at the true parameters, is

    .. math::

        s_j = a_j'\\varepsilon + \\varepsilon' P_j \\varepsilon - \\sigma^2 \\mathrm{tr}(P_j),

    with (``A = I - rho W_1``, ``B = I - lambda W_2``, ``G_A = W_1 A^{-1}``,
    ``G_B = W_2 B^{-1}``, ``H = B G_A B^{-1}``) for beta ``a = B X / sigma^2``, ``P = 0``; for
    rho ``a = B G_A X beta / sigma^2``, ``P = H / sigma^2``; for lambda ``a = 0``,
    ``P = G_B / sigma^2``; for sigma^2 ``a = 0``, ``P = I / (2 sigma^4)`` (Lee 2004, eq. 3.3,
    with a second matrix as in Anselin 1988, ch. 6). Only the symmetric part of ``P_j`` enters
    the form, so ``quadratic`` holds ``(P_j + P_j')/2`` for rho and lambda.

    Attributes
    ----------
    linear : numpy.ndarray
        ``n x p``: the columns ``a_j``.
    diagonal : numpy.ndarray
        ``n x p``: the diagonals of the ``P_j`` (zero for beta).
    quadratic : dict of int to numpy.ndarray
        The symmetric parts of the ``P_j`` with off-diagonal entries (rho and lambda), by
        parameter position.
    innovations : numpy.ndarray
        The innovations ``e = B(A y - X beta)`` at the estimate.
    sigma2 : float
        ``e'e / n``.
    """

    linear: np.ndarray
    diagonal: np.ndarray
    quadratic: dict[int, np.ndarray]
    innovations: np.ndarray
    sigma2: float


def linear_quadratic_score(problem: MLProblem) -> LinearQuadraticScore:
    """The score of ``problem`` at its estimate as linear-quadratic forms (dense, O(n^3)).

    See :class:`LinearQuadraticScore`. The matrices are dense ``n x n``, so the number of units
    is limited to ``DENSE_MATRIX_LIMIT``; a design that stacks periods is not supported.
    """
    lik, est = problem.lik, problem.estimate
    n = lik.n
    if n > DENSE_MATRIX_LIMIT:
        raise SpecificationError(
            f"The sandwich covariance forms dense {n}x{n} matrices (limit "
            f"{DENSE_MATRIX_LIMIT} units)."
        )
    if lik.multiplicity != 1 or lik.w.shape[0] != n:
        raise SpecificationError("The sandwich covariance is implemented for cross-sections only.")
    sigma2 = est.sigma2
    eye = np.eye(n)
    w1 = lik.w.toarray()
    w2 = w1 if lik.same_weights else lik.w_error.toarray()  # type: ignore[union-attr]
    b = eye - est.lam * w2
    linear = [b @ lik.x / sigma2]
    diagonal = [np.zeros((n, problem.k))]
    quadratic: dict[int, np.ndarray] = {}
    position = problem.k
    if problem.has_rho:
        g_a = np.linalg.solve((eye - est.rho * w1).T, w1.T).T  # W_1 A^{-1}
        h = np.linalg.solve(b.T, (b @ g_a).T).T if problem.has_lambda else g_a  # B G_A B^{-1}
        linear.append((b @ (g_a @ (lik.x @ est.beta)))[:, None] / sigma2)
        diagonal.append(np.diag(h)[:, None] / sigma2)
        quadratic[position] = (h + h.T) / (2 * sigma2)
        position += 1
    if problem.has_lambda:
        g_b = np.linalg.solve(b.T, w2.T).T  # W_2 B^{-1}
        linear.append(np.zeros((n, 1)))
        diagonal.append(np.diag(g_b)[:, None] / sigma2)
        quadratic[position] = (g_b + g_b.T) / (2 * sigma2)
    linear.append(np.zeros((n, 1)))
    diagonal.append(np.full((n, 1), 0.5 / sigma2**2))
    return LinearQuadraticScore(
        np.hstack(linear), np.hstack(diagonal), quadratic, est.innovations, sigma2
    )


def score_variance(score: LinearQuadraticScore, innovations: SandwichInnovations) -> np.ndarray:
    """Estimated covariance matrix of the score vector, a vector of linear-quadratic forms.

    For independent innovations with variances ``sigma_i^2``, third moments ``mu3_i`` and
    fourth moments ``mu4_i``, and symmetric ``P_j`` (Kelejian & Prucha 2001, Lemma A.1; 2010,
    Lemma 2),

    .. math::

        \\mathrm{Cov}(s_j, s_l) = \\sum_i E[d_{ji} d_{li}]
            + 2\\sum_{i \\ne k} P_{j,ik} P_{l,ik}\\, \\sigma_i^2 \\sigma_k^2,
        \\qquad d_{ji} = a_{ji}\\varepsilon_i + P_{j,ii}(\\varepsilon_i^2 - \\sigma^2),

    the unit-by-unit part of the forms and their cross-unit part. ``"heteroskedastic"``
    estimates the first sum by ``sum_i d_i d_i'`` at the residuals (White's outer product) and
    ``sigma_i^2 sigma_k^2`` by ``e_i^2 e_k^2`` (Kelejian & Prucha 2010, s. 4); where the
    variances differ, ``E[d_i]`` need not be zero and the outer product adds
    ``sum_i E[d_i] E[d_i]'``, which errs on the side of wide intervals. ``"iid"`` uses one
    variance, ``sigma^2 = e'e/n``, and the sample third and fourth moments of the residuals:
    the Gaussian information matrix plus Lee's (2004, eq. 3.4) terms in ``mu3`` and
    ``mu4 - 3 sigma^4``.
    """
    a, q, e, sigma2 = score.linear, score.diagonal, score.innovations, score.sigma2
    if innovations == "heteroskedastic":
        squares = e**2
        units = a * e[:, None] + q * (squares - sigma2)[:, None]
        omega = units.T @ units
        pair_weights = np.outer(squares, squares)
    elif innovations == "iid":
        mu3 = float(np.mean(e**3))
        mu4 = float(np.mean(e**4))
        omega = sigma2 * (a.T @ a) + mu3 * (a.T @ q + q.T @ a) + (mu4 - sigma2**2) * (q.T @ q)
        pair_weights = np.full((e.size, e.size), sigma2**2)
    else:
        check_choice("innovations", innovations, SandwichInnovations)
    np.fill_diagonal(pair_weights, 0.0)
    positions = sorted(score.quadratic)
    for j in positions:
        for m in positions:
            if m >= j:
                cross = 2.0 * float(np.sum(score.quadratic[j] * score.quadratic[m] * pair_weights))
                omega[j, m] += cross
                if m != j:
                    omega[m, j] += cross
    return omega


@dataclass(frozen=True)
class Sandwich:
    """Quasi-ML covariance ``H^{-1} Omega H^{-1}`` with the score variance of linear-quadratic forms.

    ``H`` is the observed information (minus the Hessian, :class:`ObservedHessian`) and
    ``Omega`` the estimated variance of the score (:func:`score_variance`), whose rho and lambda
    components are linear-quadratic forms in the innovations (:class:`LinearQuadraticScore`).
    The outer product of per-unit scores (White 1982) is not a consistent estimate of that
    variance: the quadratic forms ``e'Pe`` couple every pair of units, and their variance has
    the cross-unit terms ``sum_{i != k} (P_ik^2 + P_ik P_ki) sigma_i^2 sigma_k^2``, of which a
    per-unit outer product captures only the first.

    Assumptions. Independent innovations with finite fourth moments, the model's mean and
    spatial structure correctly specified, and:

    * ``innovations="heteroskedastic"`` (default): unit-specific variances (Kelejian & Prucha
      2010). The Gaussian ML estimator is then consistent only when the variances are
      asymptotically unrelated to the diagonals of ``G_A`` (rho) and ``G_B`` (lambda): the
      expected score of rho is ``sum_i (G_A)_ii (sigma_i^2 - mean sigma^2) / sigma^2`` (Lin &
      Lee 2010, s. 2). That holds when the diagonals are constant (for instance equal-sized
      groups with equal weights, or ``W`` with the same number of neighbours on a torus) or when
      the variances vary with something unrelated to the network position, such as a regressor
      drawn independently of ``W``. Otherwise ML is inconsistent and no covariance repairs it:
      use the heteroskedasticity-robust moment estimators (``method="gmm"``: GM error and
      GS2SLS ``variant="het"``, Arraiz et al. 2010; Lin & Lee 2010 for SAR).
    * ``innovations="iid"``: identically distributed, not necessarily normal (Lee 2004,
      Theorem 3.2); robust to skewness and kurtosis, not to heteroskedasticity.

    Dense ``n x n`` inverses, O(n^3) time and 8 n^2 bytes a matrix: limited to
    ``DENSE_MATRIX_LIMIT`` units and to cross-sections.

    Attributes
    ----------
    innovations : {"heteroskedastic", "iid"}
        What the variance of the score assumes of the innovations (see above).
    step : float
        Relative step of the central differences of the observed Hessian.
    """

    name: ClassVar[str] = "sandwich"
    description: ClassVar[str] = "quasi-ML sandwich (observed Hessian, variance of the score)"

    innovations: SandwichInnovations = "heteroskedastic"
    step: float = 1e-5

    def __call__(self, problem: MLProblem) -> np.ndarray:
        """Returns the *inverse* of the sandwich, so that the caller's inversion yields it."""
        information = self.evaluate(problem)
        free = np.ones(problem.size, dtype=bool)
        gram, weight = problem.gram(), 1.0 / problem.estimate.sigma2
        return _invert(
            covariance_from_information(information.matrix, free, gram, weight, information.meat)
        )

    def evaluate(self, problem: MLProblem) -> Information:
        """The inverse sandwich with a label naming the assumption on the innovations."""
        label = {
            "heteroskedastic": "heteroskedastic innovations",
            "iid": "iid non-normal innovations",
        }.get(self.innovations, self.innovations)
        omega = score_variance(linear_quadratic_score(problem), self.innovations)
        hessian = ObservedHessian(step=self.step)(problem)
        return Information(hessian, f"{self.description}, {label}", meat=omega)


COVARIANCES[Sandwich.name] = Sandwich


# --------------------------------------------------------------------------- IV / 2SLS
@dataclass(frozen=True)
class IVProblem:
    """What 2SLS covariances need: instruments, regressors, residuals and the 2SLS pieces."""

    h: np.ndarray
    z: np.ndarray
    resid: np.ndarray

    @classmethod
    def with_factors(
        cls, h: np.ndarray, z: np.ndarray, resid: np.ndarray, factored: InstrumentedDesign
    ) -> IVProblem:
        """The problem with the factors its 2SLS fit already computed (not factorised again)."""
        problem = cls(h, z, resid)
        object.__setattr__(problem, "_factored", factored)
        return problem

    @property
    def factored(self) -> InstrumentedDesign:
        if not hasattr(self, "_factored"):
            object.__setattr__(self, "_factored", InstrumentedDesign.of(self.h, self.z))
        return self._factored  # type: ignore[attr-defined]

    @property
    def varb(self) -> np.ndarray:
        """``(Z'P_H Z)^{-1}`` from triangular factors."""
        return self.factored.varb

    @property
    def zthhthi(self) -> np.ndarray:
        """``Z'H (H'H)^{-1}``."""
        return self.factored.zthhthi


@dataclass(frozen=True)
class IVInference:
    """What a 2SLS fit keeps to switch its covariance without refitting."""

    problem: IVProblem

    def covariance(
        self, kind: str, *, df_correction: bool = False, kernel: sp.csr_array | None = None
    ) -> np.ndarray:
        """The 2SLS covariance ``kind`` of the coefficients (see :func:`iv_covariance`)."""
        return iv_covariance(self.problem, kind, df_correction=df_correction, kernel=kernel)


def iv_covariance(
    problem: IVProblem,
    kind: str,
    *,
    df_correction: bool = False,
    kernel: sp.csr_array | None = None,
) -> np.ndarray:
    """Covariance of 2SLS estimates: ``"hom"``, ``"het"`` (White) or ``"hac"``.

    ``hom``: ``sigma^2 (Z'P_H Z)^{-1}`` with ``sigma^2 = e'e/n`` (spreg's ``GM_Lag``) or
    ``e'e/(n-k)`` when ``df_correction`` (R spatialreg's ``stsls``). ``het``: the White sandwich
    ``V Z'H(H'H)^{-1} [sum_i u_i^2 h_i h_i'] (H'H)^{-1}H'Z V``. ``hac``: Kelejian & Prucha (2007)
    spatial HAC, ``sum_ij K_ij u_i u_j h_i h_j'`` in the middle, with the kernel matrix ``K``
    (see :func:`hac_kernel`).

    Assumptions (Kelejian & Prucha 1998, 2007; the 2SLS estimates are consistent in all three
    cases): ``hom`` independent innovations with one variance; ``het`` independent innovations
    with unit-specific variances (White 1980); ``hac`` innovations that may also be spatially
    correlated, with a correlation that decays with the distance the kernel measures and
    vanishes beyond its bandwidth. The ``n x n`` kernel is sparse; the cost is that of the
    kernel's non-zero entries.
    """
    n, k = problem.z.shape
    varb = problem.varb
    u = problem.resid
    if kind == "hom":
        sigma2 = float(u @ u) / (n - k if df_correction else n)
        return sigma2 * varb
    if kind == "het":
        scale = n / (n - k) if df_correction else 1.0
        return problem.factored.sandwich(lambda v: v * (scale * u**2)[:, None])
    if kind == "hac":
        if kernel is None:
            raise SpecificationError(
                "cov='hac' needs a kernel: hac_kernel(coordinates, bandwidth)."
            )
        kmat = kernel
        return problem.factored.sandwich(lambda v: u[:, None] * (kmat @ (u[:, None] * v)))
    raise SpecificationError(f"Unknown 2SLS covariance {kind!r}; use 'hom', 'het' or 'hac'.")


def hac_kernel(
    coordinates: np.ndarray,
    bandwidth: float | np.ndarray,
    *,
    kernel: str = "triangular",
) -> sp.csr_array:
    """Kernel weights ``K_ij = k(d_ij / bandwidth)`` for the spatial HAC (Kelejian & Prucha 2007).

    ``bandwidth`` is one distance or one per unit (adaptive bandwidths, e.g. the distance to the
    k-th nearest neighbour). Kernels: ``triangular`` ``1 - z``, ``epanechnikov`` ``1 - z^2``,
    ``bisquare`` ``(1 - z^2)^2`` and ``uniform``, all zero for ``z >= 1`` and one on the diagonal.
    Pairs are found by a k-d tree within the bandwidth (no dense distance matrix).
    """
    from scipy.spatial import cKDTree

    from naeringsmiljo.exceptions import WeightsError

    coordinates = np.asarray(coordinates, dtype=np.float64)
    n = coordinates.shape[0]
    bw = np.broadcast_to(np.asarray(bandwidth, dtype=np.float64), (n,))
    if np.any(~(bw > 0)):
        raise WeightsError("HAC bandwidths must be positive.")
    tree = cKDTree(coordinates)
    pairs = tree.sparse_distance_matrix(tree, float(bw.max()), output_type="coo_matrix")
    rows, cols, dist = pairs.row, pairs.col, pairs.data
    z = dist / bw[rows]
    keep = (z < 1) & (rows != cols)
    rows, cols, z = rows[keep], cols[keep], z[keep]
    if rows.size == 0:
        raise WeightsError(
            "The HAC bandwidth leaves every unit without neighbours; the estimator would be the "
            "White covariance. Increase the bandwidth."
        )
    functions = {
        "triangular": lambda t: 1 - t,
        "epanechnikov": lambda t: 1 - t**2,
        "bisquare": lambda t: (1 - t**2) ** 2,
        "uniform": lambda t: np.ones_like(t),
    }
    if kernel not in functions:
        raise SpecificationError(f"Unknown kernel {kernel!r}; use one of {sorted(functions)}.")
    values = functions[kernel](z)
    off = sp.coo_array((values, (rows, cols)), shape=(n, n))
    return sp.csr_array(off + sp.identity(n, format="csr"))
