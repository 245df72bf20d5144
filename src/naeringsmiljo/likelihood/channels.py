"""The Gaussian likelihood of models whose spatial terms combine several weights matrices.

The model is

.. math::

    A y = Z(\\gamma)\\beta + B^{-1}\\varepsilon, \\qquad
    A = I - \\sum_m \\delta^A_m W^A_m, \\qquad B = I - \\sum_l \\delta^B_l W^B_l,

where the coefficients ``delta`` of the matrices of each term are functions of its free
parameters (:class:`TermMap`): ``rho gamma_m`` for a convex combination
``rho W_c = rho sum_m gamma_m W_m`` (Debarsy & LeSage 2018; Hazir, LeSage & Autant-Bernard
2018), ``rho_m`` for separate lags (a higher-order lag, Lee & Liu 2010; Elhorst, Lacombe &
Piras 2012), ``rho`` for one matrix. ``Z(gamma) = [X, sum_m gamma_m W_m X_d]`` when the lags of
X use the combination (SDM, SDEM); otherwise ``Z = X``. ``beta`` and ``sigma^2`` are
concentrated out as in :mod:`naeringsmiljo.likelihood.gaussian`:

.. math::

    \\ell_c(\\theta) = -\\tfrac{n}{2}\\left(\\ln 2\\pi + 1 + \\ln\\hat\\sigma^2(\\theta)\\right)
        + \\ln|A| + \\ln|B|.

The log-determinants are exact, from sparse LU factorisations of ``A`` on the union of the
matrices' patterns, ordered once (:class:`CombinedLogDet`); their gradient in ``delta``,
``-tr(A^{-1} W_m)``, is a central difference of those values (relative error about 1e-10). The one-matrix likelihood (:class:`~naeringsmiljo.likelihood.gaussian.ConcentratedLikelihood`)
keeps its eigenvalue, Cholesky and trace machinery; this one is written for a parameter
vector of any length, which the one-matrix path's cross-product tricks do not allow.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.weights.logdet import AUTO_PARDISO_LIMIT, pardiso_available
from naeringsmiljo.weights.logdet.lu import fill_reducing_order
from naeringsmiljo.weights.logdet.pardiso import PardisoLogDet
from naeringsmiljo.weights.logdet.taylor import TraceLogDet

# Step of the central differences of the log-determinant in each coefficient. A complex-step
# derivative (the one-matrix path's) is exact to rounding but, perturbing one matrix of several,
# leaves entries whose imaginary parts shrink to subnormal numbers, which made SuperLU's complex
# factorisation 5 times slower than the four real ones of central differences at n = 10,000
# (0.7 s against 3.6 s). With h = 1e-5 the truncation error h^2 |f'|/6 and the rounding
# error eps |ln|A|| / h are both near 1e-10 of the derivative (measured against a complex step
# of 1e-20 on the benchmark problem of 1,000 units).
DIFFERENCE_STEP = 1e-5

_LOG_2PI = float(np.log(2.0 * np.pi))

TermShape = Literal["single", "convex", "separate"]
LogdetKind = Literal["exact", "monte_carlo"]


@dataclass(frozen=True)
class TermMap:
    """How the free parameters of one spatial term give the coefficient of each of its matrices.

    Free parameters: ``(rho,)`` for one matrix; ``(rho, gamma_1, ..., gamma_{M-1})`` for a
    convex combination (``gamma_M = 1 - sum`` is implied); ``(rho_1, ..., rho_M)`` for
    separate lags. Reported parameters: the same, with every ``gamma`` for a combination.
    """

    shape: TermShape
    size: int  # number of matrices

    @property
    def n_free(self) -> int:
        return self.size if self.shape != "single" else 1

    @property
    def n_reported(self) -> int:
        return self.size + 1 if self.shape == "convex" else self.n_free

    def mix(self, free: np.ndarray) -> np.ndarray:
        """``gamma`` (all M) of a convex combination; ones for the other shapes."""
        if self.shape != "convex":
            return np.ones(self.size)
        return np.append(free[1:], 1.0 - np.sum(free[1:]))

    def mix_jacobian(self) -> np.ndarray:
        """``d gamma / d free``, ``(M, n_free)`` (constant)."""
        jac = np.zeros((self.size, self.n_free))
        if self.shape == "convex":
            jac[:-1, 1:] = np.eye(self.size - 1)
            jac[-1, 1:] = -1.0
        return jac

    def coefficients(self, free: np.ndarray) -> np.ndarray:
        """``delta_m``, the coefficient of each matrix."""
        if self.shape == "convex":
            return free[0] * self.mix(free)
        return np.asarray(free, dtype=np.float64)

    def jacobian(self, free: np.ndarray) -> np.ndarray:
        """``d delta / d free``, ``(M, n_free)``."""
        if self.shape != "convex":
            return np.eye(self.size)
        jac = free[0] * self.mix_jacobian()
        jac[:, 0] = self.mix(free)
        return jac

    def curvature(self, weights: np.ndarray) -> np.ndarray:
        """``sum_m weights_m d^2 delta_m / d free d free'``: zero except the convex
        combination's ``rho gamma_m`` (bilinear, so only its ``(rho, gamma)`` pairs)."""
        out = np.zeros((self.n_free, self.n_free))
        if self.shape == "convex":
            cross = np.asarray(weights, dtype=np.float64) @ self.mix_jacobian()[:, 1:]
            out[0, 1:] = out[1:, 0] = cross
        return out

    def reported(self, free: np.ndarray) -> np.ndarray:
        if self.shape == "convex":
            return np.concatenate([free[:1], self.mix(free)])
        return np.asarray(free, dtype=np.float64)

    def reported_jacobian(self) -> np.ndarray:
        """``d reported / d free`` (constant: the reported parameters are linear in the free)."""
        if self.shape != "convex":
            return np.eye(self.n_free)
        jac = np.zeros((self.n_reported, self.n_free))
        jac[0, 0] = 1.0
        jac[1:, :] = self.mix_jacobian()
        return jac

    def free_from_reported(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        return values[:-1] if self.shape == "convex" else values


@dataclass
class CombinedLogDet:
    """Exact ``ln|I - sum_m delta_m W_m|`` and its gradient in ``delta``.

    A fill-reducing ordering of the union of the patterns is computed once
    (:func:`~naeringsmiljo.weights.logdet.lu.fill_reducing_order`) and every matrix is
    permuted once and laid on the union pattern, so that each evaluation is one numerical LU
    factorisation (SuperLU, natural order). Above ``AUTO_PARDISO_LIMIT`` units, when MKL
    PARDISO is installed, the union is analysed once by PARDISO (METIS ordering, symbolic
    factorisation) and each evaluation is one of its parallel numerical factorisations: 0.8 s
    against SuperLU's 6.6 s at n = 100,000 (``benchmarks/several_weights.py``). The gradient
    ``-tr(A^{-1} W_m)`` is a central difference in each coefficient (two factorisations per
    matrix; see ``DIFFERENCE_STEP``), without an inverse.
    """

    matrices: list[sp.csr_array]
    backend: Literal["auto", "superlu", "pardiso"] = "auto"
    _data: np.ndarray = field(init=False, repr=False)
    _pattern: sp.csc_array = field(init=False, repr=False)
    _identity: np.ndarray = field(init=False, repr=False)
    _recent: dict[tuple[float, ...], tuple[float, np.ndarray | None]] = field(
        init=False, default_factory=dict, repr=False
    )
    #: The Hessian of the latest expansion (or remembered estimate), by its ``delta``.
    _hessians: dict[tuple[float, ...], np.ndarray] = field(
        init=False, default_factory=dict, repr=False
    )
    factorisations: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        union = sp.csr_array(sum(abs(sp.csr_array(m)) for m in self.matrices))
        self._pardiso: PardisoLogDet | None = None
        if self.backend == "pardiso" or (
            self.backend == "auto" and union.shape[0] > AUTO_PARDISO_LIMIT and pardiso_available()
        ):
            self._pardiso = PardisoLogDet(union)
            self._pardiso_data = np.array([self._pardiso.pattern_values(m) for m in self.matrices])
            self._pattern = sp.csc_array(union)
            return
        order = fill_reducing_order(union)
        self._order = order
        n = union.shape[0]
        pattern = sp.csc_array(sp.identity(n, format="csr") + union[order][:, order])
        pattern.sort_indices()
        keys = _keys(pattern)
        data = np.zeros((len(self.matrices), pattern.nnz))
        for j, m in enumerate(self.matrices):
            ordered = sp.csc_array(sp.csr_array(m)[order][:, order])
            ordered.sum_duplicates()
            data[j, np.searchsorted(keys, _keys(ordered))] = ordered.data
        self._data = data
        self._pattern = pattern
        diag = np.zeros(pattern.nnz)
        rows = pattern.indices
        cols = np.repeat(np.arange(n), np.diff(pattern.indptr))
        diag[rows == cols] = 1.0
        self._identity = diag

    @property
    def n(self) -> int:
        return int(self._pattern.shape[0])

    def _log_abs_det(self, delta: np.ndarray) -> float:
        self.factorisations += 1 if self._pardiso is not None else 0
        if self._pardiso is not None:
            return self._pardiso.value_of(delta @ self._pardiso_data)
        return float(np.sum(np.log(np.abs(self._factor(self._a(delta))))))

    def solve(self, delta: np.ndarray, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        """``A^{-1} rhs`` (or ``A'^{-1} rhs``) at ``delta``, for the covariance's traces."""
        delta = np.asarray(delta, dtype=np.float64)
        if self._pardiso is not None:
            return self._pardiso.solve_of(delta @ self._pardiso_data, rhs, transpose=transpose)
        key = tuple(float(d) for d in delta)
        if getattr(self, "_solver_key", None) != key:  # one factor, kept for repeated solves
            matrix = sp.csc_array(
                (self._a(delta), self._pattern.indices, self._pattern.indptr),
                shape=self._pattern.shape,
            )
            self._solver = splu(matrix, permc_spec="NATURAL")
            self._solver_key = key
        lu = self._solver
        order = self._order
        permuted = np.asarray(rhs)[order]
        out = np.empty_like(np.asarray(rhs, dtype=np.float64))
        out[order] = lu.solve(permuted, trans="T" if transpose else "N")
        return out

    def _factor(self, values: np.ndarray) -> np.ndarray:
        matrix = sp.csc_array(
            (values, self._pattern.indices, self._pattern.indptr), shape=self._pattern.shape
        )
        self.factorisations += 1
        try:
            lu = splu(matrix, permc_spec="NATURAL")
        except RuntimeError as err:
            raise ParameterSpaceError(
                "I - sum_m delta_m W_m is singular at these parameters."
            ) from err
        return lu.U.diagonal()

    def _a(self, delta: np.ndarray) -> np.ndarray:
        return self._identity - delta @ self._data

    def value(self, delta: np.ndarray) -> float:
        key = tuple(float(d) for d in delta)
        if key not in self._recent:
            self._remember(key, self._log_abs_det(np.asarray(delta, dtype=np.float64)), None)
        return self._recent[key][0]

    def value_and_gradient(self, delta: np.ndarray) -> tuple[float, np.ndarray]:
        """``ln|A|`` and ``d ln|A| / d delta_m = -tr(A^{-1} W_m)``, by central differences.

        Each derivative takes two real factorisations at ``delta +- h e_m``; near the edge of
        the parameter space (``sum |delta| -> 1``) the step shrinks to stay inside it.
        """
        delta = np.asarray(delta, dtype=np.float64)
        key = tuple(float(d) for d in delta)
        cached = self._recent.get(key)
        if cached is not None and cached[1] is not None:
            return cached[0], cached[1]
        value = self.value(delta)
        room = 1.0 - float(np.sum(np.abs(delta)))
        h = min(DIFFERENCE_STEP, room / 4) if room > 0 else DIFFERENCE_STEP
        grad = np.empty(len(self.matrices))
        for j in range(len(self.matrices)):
            step = np.zeros_like(delta)
            step[j] = h
            grad[j] = (self._plain(delta + step) - self._plain(delta - step)) / (2 * h)
        self._remember(key, value, grad)
        return value, grad

    def value_gradient_hessian(
        self,
        delta: np.ndarray,
        previous: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """``ln|A|``, its gradient (as :meth:`value_and_gradient`) and its Hessian in ``delta``.

        The Hessian ``-tr(A^{-1} W_i A^{-1} W_j)`` reuses the gradient's values for its diagonal
        (second differences) and takes one more factorisation per pair of matrices for the
        cross terms (``M (M - 1) / 2``): ``1 + 2M + M(M - 1)/2`` factorisations in all, 6 for two
        matrices. The rounding of the second differences, about ``4 eps |ln|A|| / h^2``, is near
        1e-6 of the Hessian: ample for Newton steps, whose root is set by the gradient alone.

        ``previous``: ``(delta_0, gradient, Hessian)`` at an earlier exact centre. For two
        matrices within :data:`SECANT_REACH` of it the cross term comes from the change of the
        gradient instead of a factorisation (:func:`_secant_cross_term`), 5 factorisations.
        """
        delta = np.asarray(delta, dtype=np.float64)
        value = self.value(delta)
        size = len(self.matrices)
        room = 1.0 - float(np.sum(np.abs(delta)))
        h = min(DIFFERENCE_STEP, room / 4) if room > 0 else DIFFERENCE_STEP
        ups, downs = np.empty(size), np.empty(size)
        for j in range(size):
            step = np.zeros_like(delta)
            step[j] = h
            ups[j], downs[j] = self._plain(delta + step), self._plain(delta - step)
        grad = (ups - downs) / (2 * h)
        hess = np.diag((ups - 2.0 * value + downs) / h**2)
        cross = (
            _secant_cross_term(delta, grad, np.diag(hess), previous)
            if size == 2 and previous is not None
            else None
        )
        if cross is not None:
            hess[0, 1] = hess[1, 0] = cross
        else:
            for i, j in itertools.combinations(range(size), 2):
                step = np.zeros_like(delta)
                step[[i, j]] = h
                hess[i, j] = hess[j, i] = (
                    self._plain(delta + step) - ups[i] - ups[j] + value
                ) / h**2
        self._remember(tuple(float(d) for d in delta), value, grad)
        self._hessians = {tuple(float(d) for d in delta): hess}
        return value, grad, hess

    def remember(self, delta: np.ndarray, grad: np.ndarray, hess: np.ndarray) -> bool:
        """Keep ``grad`` and ``hess`` as the derivatives at ``delta``, whose value is known.

        For the estimate of a search that ends with a step below 1e-6 from an exact centre:
        its expansion's derivatives there are exact to about 1e-12 (the gradient) and 1e-6
        (the Hessian), and the covariance and the impacts then need no factorisation but the
        one of the value (whose factor PARDISO keeps for their solves). False, and nothing
        kept, when the value at ``delta`` is not known.
        """
        key = tuple(float(d) for d in delta)
        if key not in self._recent:
            return False
        self._recent[key] = (self._recent[key][0], np.array(grad, dtype=np.float64))
        self._hessians = {key: np.array(hess, dtype=np.float64)}
        return True

    def known_hessian(self, delta: np.ndarray) -> np.ndarray | None:
        """The Hessian at ``delta`` from the latest expansion there, or None."""
        return self._hessians.get(tuple(float(d) for d in delta))

    def _plain(self, delta: np.ndarray) -> float:
        """``ln|A|`` without touching the cache of the evaluated points."""
        return self._log_abs_det(delta)

    def _remember(self, key: tuple[float, ...], value: float, grad: np.ndarray | None) -> None:
        if len(self._recent) >= 16:
            self._recent.pop(next(iter(self._recent)))
        self._recent[key] = (value, grad)


def _keys(matrix: sp.csc_array) -> np.ndarray:
    """Linear position ``col * n + row`` of every stored entry of a CSC matrix with sorted indices."""
    matrix.sort_indices()
    n = matrix.shape[0]
    cols = np.repeat(np.arange(matrix.shape[1], dtype=np.int64), np.diff(matrix.indptr))
    return cols * n + matrix.indices.astype(np.int64)


#: Largest change of a coefficient from the previous exact centre over which the cross term of
#: the Hessian is taken from the change of the gradient (:func:`_secant_cross_term`).
SECANT_REACH = 0.05
#: Below this change of the coefficients the previous cross term is kept as it is: the change
#: of the gradient would be dominated by its rounding (about 1e-10 relative).
SECANT_FLOOR = 1e-6


def _secant_cross_term(
    delta: np.ndarray,
    grad: np.ndarray,
    diagonal: np.ndarray,
    previous: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> float | None:
    """The cross term ``H_12`` at ``delta`` from the gradients at ``delta`` and an earlier centre.

    Along the step ``s = delta - delta_0`` the change of the gradient is the mean Hessian times
    ``s``; with the Hessian linear along the step (the trapezoidal rule, error ``O(|s|^3)``)
    ``g - g_0 = (H_0 + H) s / 2``, so ``H s = 2 (g - g_0) - H_0 s``: two equations whose only
    unknown, the diagonal of ``H`` being known from the second differences, is ``H_12``, solved
    by least squares. Its error is ``O(|s|^2)`` relative, about 1e-4 at the largest step used
    (:data:`SECANT_REACH`); below :data:`SECANT_FLOOR` the earlier cross term is kept. None when
    ``delta`` lies too far from the earlier centre.
    """
    start, g0, h0 = previous
    s = delta - start
    reach = float(np.max(np.abs(s)))
    if reach > SECANT_REACH:
        return None
    if reach < SECANT_FLOOR:
        return float(h0[0, 1])
    r = 2.0 * (grad - g0) - h0 @ s
    return float(
        (s[1] * (r[0] - diagonal[0] * s[0]) + s[0] * (r[1] - diagonal[1] * s[1])) / (s @ s)
    )


_LogDet = CombinedLogDet | TraceLogDet


@dataclass(frozen=True)
class _Centre:
    term: TermMap
    where: slice
    delta: np.ndarray
    value: float
    grad: np.ndarray
    hess: np.ndarray
    #: A trace series standing in for the quadratic (a model of the term's log-determinant over
    #: the whole parameter space, for the first step of a search), or None.
    series: TraceLogDet | None = None


@dataclass(frozen=True)
class LogdetExpansion:
    """``ln|A| + ln|B|`` as a quadratic in each term's coefficients ``delta`` about a centre
    (or as a trace series), composed exactly with ``delta(theta)``: its value, gradient and
    Hessian in ``theta``."""

    n_free: int
    centres: tuple[_Centre, ...]

    def at(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        total = 0.0
        grad = np.zeros(self.n_free)
        hess = np.zeros((self.n_free, self.n_free))
        for c in self.centres:
            free = theta[c.where]
            delta = c.term.coefficients(free)
            if c.series is not None:
                value, slope, curvature = c.series.value_gradient_hessian(delta)
            else:
                step = delta - c.delta
                slope = c.grad + c.hess @ step
                value, curvature = c.value + c.grad @ step + 0.5 * step @ c.hess @ step, c.hess
            jac = c.term.jacobian(free)
            total += value
            grad[c.where] += slope @ jac
            hess[c.where, c.where] += jac.T @ curvature @ jac + c.term.curvature(slope)
        return total, grad, hess


@dataclass(frozen=True)
class Profile:
    """The likelihood's pieces at one parameter vector."""

    beta: np.ndarray
    innovations: np.ndarray  # e = B(Ay - Z beta)
    errors: np.ndarray  # u = Ay - Z beta
    sigma2: float
    z: np.ndarray  # Z(gamma)
    bz: np.ndarray  # B Z


@dataclass
class ChannelLikelihood:
    """Concentrated and full log-likelihood of a model with combined weights.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome.
    x : numpy.ndarray
        Regressors that do not depend on the mix (with any lags of X that have fixed weights).
    lag, error : list of sparse arrays
        The matrices of the lag of y and of the error term (empty when the model has none).
    lag_map, error_map : TermMap or None
        How each term's free parameters give its matrices' coefficients.
    durbin : list of numpy.ndarray
        ``W_m X_d`` for each matrix of the combined term when the lags of X enter as
        ``W_c X theta`` (convex combinations of SDM and SDEM); empty otherwise.
    """

    y: np.ndarray
    x: np.ndarray
    lag: list[sp.csr_array]
    error: list[sp.csr_array]
    lag_map: TermMap | None
    error_map: TermMap | None
    durbin: list[np.ndarray] = field(default_factory=list)
    evaluations: int = 0
    #: ``"exact"`` (sparse LU) or ``"monte_carlo"`` (:class:`TraceLogDet`, a stated error).
    logdet: LogdetKind = "exact"
    #: Log-determinants of the lag and the error term built elsewhere (a one-matrix fit that
    #: reuses the combined term's trace series), or None to build them here.
    prebuilt: tuple[_LogDet | None, _LogDet | None] | None = None
    #: The trace series built by :meth:`series_expansion`, by ``(order, probes, seed)``.
    _series: dict[tuple[int, int, int], LogdetExpansion] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.n = int(self.y.shape[0])
        self.lag_y = [w @ self.y for w in self.lag]
        self.lag_logdet: _LogDet | None
        self.error_logdet: _LogDet | None
        if self.prebuilt is not None:
            self.lag_logdet, self.error_logdet = self.prebuilt
        else:
            self.lag_logdet = self._logdet(self.lag) if self.lag else None
            self.error_logdet = self._logdet(self.error) if self.error else None
        if self.durbin and (self.mix_map is None or self.mix_map.shape != "convex"):
            raise SpecificationError("Lags of X with the mix need a convex combination.")

    def _logdet(self, matrices: list[sp.csr_array]) -> _LogDet:
        if self.logdet == "monte_carlo":
            return TraceLogDet(matrices)
        return CombinedLogDet(matrices)

    # ---------------------------------------------------------------- parameters
    @property
    def n_lag(self) -> int:
        return self.lag_map.n_free if self.lag_map else 0

    @property
    def n_free(self) -> int:
        return self.n_lag + (self.error_map.n_free if self.error_map else 0)

    @property
    def mix_map(self) -> TermMap | None:
        """The combined term whose mix lags X (the lag of y's, else the error's)."""
        for m in (self.lag_map, self.error_map):
            if m is not None and m.shape == "convex":
                return m
        return None

    @property
    def mix_slice(self) -> slice:
        if self.lag_map is not None and self.lag_map.shape == "convex":
            return slice(0, self.n_lag)
        return slice(self.n_lag, self.n_free)

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return theta[: self.n_lag], theta[self.n_lag :]

    def coefficients(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lag, err = self.split(theta)
        d_a = self.lag_map.coefficients(lag) if self.lag_map else np.zeros(0)
        d_b = self.error_map.coefficients(err) if self.error_map else np.zeros(0)
        return d_a, d_b

    def jacobians(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``d delta^A / d theta`` and ``d delta^B / d theta`` over the whole vector."""
        lag, err = self.split(theta)
        j_a = np.zeros((len(self.lag), self.n_free))
        j_b = np.zeros((len(self.error), self.n_free))
        if self.lag_map:
            j_a[:, : self.n_lag] = self.lag_map.jacobian(lag)
        if self.error_map:
            j_b[:, self.n_lag :] = self.error_map.jacobian(err)
        return j_a, j_b

    @property
    def n_beta(self) -> int:
        return int(self.x.shape[1]) + (self.durbin[0].shape[1] if self.durbin else 0)

    # ---------------------------------------------------------------- pieces
    def design(self, theta: np.ndarray) -> np.ndarray:
        """``Z(gamma)``: X, then the lags of X with the current mix."""
        if not self.durbin:
            return self.x
        gamma = self.mix_map.mix(theta[self.mix_slice])  # type: ignore[union-attr]
        lagged = sum(g * d for g, d in zip(gamma, self.durbin, strict=True))
        return np.column_stack([self.x, lagged])

    def design_derivatives(self, theta: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """``(dZ/d theta_j) beta`` for every free parameter, ``(n, n_free)``."""
        out = np.zeros((self.n, self.n_free))
        if not self.durbin:
            return out
        theta_x = beta[self.x.shape[1] :]
        jac = self.mix_map.mix_jacobian()  # type: ignore[union-attr]
        pieces = np.column_stack([d @ theta_x for d in self.durbin])  # W_m X_d theta
        out[:, self.mix_slice] = pieces @ jac
        return out

    def filter_error(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``B v``."""
        _, d_b = self.coefficients(theta)
        out = np.array(v, dtype=np.float64, copy=True)
        for d, w in zip(d_b, self.error, strict=True):
            out -= d * (w @ v)
        return out

    def filter_lag(self, theta: np.ndarray) -> np.ndarray:
        """``A y``."""
        d_a, _ = self.coefficients(theta)
        out = self.y.copy()
        for d, wy in zip(d_a, self.lag_y, strict=True):
            out -= d * wy
        return out

    def residuals(
        self, theta: np.ndarray, beta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``e = B(Ay - Z beta)``, ``u = Ay - Z beta``, ``Z`` and ``B Z`` at given beta."""
        z = self.design(theta)
        u = self.filter_lag(theta) - z @ beta
        return self.filter_error(theta, u), u, z, self.filter_error(theta, z)

    def profile(self, theta: np.ndarray) -> Profile:
        z = self.design(theta)
        bz = self.filter_error(theta, z)
        ay = self.filter_lag(theta)
        by = self.filter_error(theta, ay)
        factor = DesignFactor.of(bz)
        beta = factor.coefficients(by)
        e = factor.residuals(by)
        u = ay - z @ beta
        return Profile(beta, e, u, float(e @ e) / self.n, z, bz)

    def logdets(self, theta: np.ndarray, *, gradient: bool = False) -> tuple[float, np.ndarray]:
        """``ln|A| + ln|B|`` and (when asked) its gradient in ``theta``."""
        d_a, d_b = self.coefficients(theta)
        total = 0.0
        grad = np.zeros(self.n_free)
        j_a, j_b = self.jacobians(theta) if gradient else (None, None)
        for logdet, d, jac in ((self.lag_logdet, d_a, j_a), (self.error_logdet, d_b, j_b)):
            if logdet is None:
                continue
            if gradient:
                value, g = logdet.value_and_gradient(d)
                grad += g @ jac
            else:
                value = logdet.value(d)
            total += value
        return total, grad

    def logdet_expansion(
        self, theta: np.ndarray | None = None, previous: LogdetExpansion | None = None
    ) -> LogdetExpansion:
        """The second-order expansion of ``ln|A| + ln|B|`` in the coefficients ``delta``.

        About the coefficients at ``theta`` (:meth:`CombinedLogDet.value_gradient_hessian`:
        ``1 + 2M + M(M - 1)/2`` factorisations per term, one fewer for two matrices near the
        centre of the ``previous`` expansion), or, with ``theta`` None, about ``delta = 0``,
        where it is exact and costs no factorisation: ``ln|I| = 0``, gradient ``-tr(W_m)``,
        Hessian ``-tr(W_a W_b)`` (sparse sums).
        """
        earlier = {
            c.where.start: c for c in (previous.centres if previous else ()) if c.series is None
        }
        centres = []
        for logdet, term, where, mats in (
            (self.lag_logdet, self.lag_map, slice(0, self.n_lag), self.lag),
            (self.error_logdet, self.error_map, slice(self.n_lag, self.n_free), self.error),
        ):
            if logdet is None or term is None:
                continue
            if theta is None:
                delta = np.zeros(len(mats))
                grad = -np.array([float(w.diagonal().sum()) for w in mats])
                hess = -np.array(
                    [
                        [float(sp.csr_array(a).multiply(sp.csr_array(b).T).sum()) for b in mats]
                        for a in mats
                    ]
                )
                value = 0.0
            else:
                delta = term.coefficients(theta[where])
                if isinstance(logdet, CombinedLogDet):
                    before = earlier.get(where.start)
                    value, grad, hess = logdet.value_gradient_hessian(
                        delta, None if before is None else (before.delta, before.grad, before.hess)
                    )
                else:
                    value, grad, hess = logdet.value_gradient_hessian(delta)
            centres.append(_Centre(term, where, delta, value, grad, hess))
        return LogdetExpansion(self.n_free, tuple(centres))

    def series_expansion(self, order: int, probes: int, seed: int = 0) -> LogdetExpansion:
        """A model of ``ln|A| + ln|B|`` over the whole parameter space from the trace series
        (:class:`~naeringsmiljo.weights.logdet.taylor.TraceLogDet`, orders 1 and 2 exact, the
        rest from ``probes`` Rademacher probes; no factorisation, and no product of two
        matrices, which orders 3 and 4 would need), for the first step of the exact search: its
        maximiser lies within about 1e-4 of the exact one on 10-nearest-neighbour weights at
        ``sum |delta| = 0.5`` (against 1e-2 for the exact quadratic at ``delta = 0``). Built
        once per ``(order, probes, seed)``."""
        key = (order, probes, seed)
        if key in self._series:
            return self._series[key]
        centres = []
        for term, where, mats in (
            (self.lag_map, slice(0, self.n_lag), self.lag),
            (self.error_map, slice(self.n_lag, self.n_free), self.error),
        ):
            if term is None or not mats:
                continue
            zero = np.zeros(len(mats))
            series = TraceLogDet(mats, order=order, probes=probes, exact_order=2, seed=seed)
            centres.append(
                _Centre(term, where, zero, 0.0, zero, np.zeros((zero.size,) * 2), series)
            )
        self._series[key] = LogdetExpansion(self.n_free, tuple(centres))
        return self._series[key]

    def remember_expansion(self, expansion: LogdetExpansion, theta: np.ndarray) -> None:
        """Keep the derivatives of ``expansion`` at ``theta`` as the log-determinants' there
        (:meth:`CombinedLogDet.remember`), for an estimate within 1e-6 of its exact centre."""
        for c in expansion.centres:
            if c.series is not None:
                continue
            lag = self.lag_map is not None and c.where.start == 0
            logdet = self.lag_logdet if lag else self.error_logdet
            if not isinstance(logdet, CombinedLogDet):
                continue
            delta = c.term.coefficients(theta[c.where])
            logdet.remember(delta, c.grad + c.hess @ (delta - c.delta), c.hess)

    def concentrated(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The likelihood without its log-determinants, ``-n/2 (ln 2 pi + 1 + ln sigma^2)``,
        and its gradient (envelope theorem): no factorisation, a least-squares fit."""
        prof = self.profile(theta)
        value = -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(prof.sigma2))
        quadratic = self._quadratic_score(theta, prof.beta, prof.innovations, prof.errors)
        return float(value), quadratic / prof.sigma2

    # ---------------------------------------------------------------- likelihoods
    def value(self, theta: np.ndarray) -> float:
        """The concentrated log-likelihood."""
        self.evaluations += 1
        sigma2 = self.profile(theta).sigma2
        return -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + self.logdets(theta)[0]

    def value_and_score(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The concentrated log-likelihood and its gradient (envelope theorem: beta fixed)."""
        self.evaluations += 1
        prof = self.profile(theta)
        logdet, grad = self.logdets(theta, gradient=True)
        value = -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(prof.sigma2)) + logdet
        quadratic = self._quadratic_score(theta, prof.beta, prof.innovations, prof.errors)
        return float(value), grad + quadratic / prof.sigma2

    def _quadratic_score(
        self, theta: np.ndarray, beta: np.ndarray, e: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """``-e' de/d theta_j`` (times sigma^2), beta held fixed."""
        j_a, j_b = self.jacobians(theta)
        # de/d theta_j = -sum_l J^B_lj W^B_l u - B(sum_m J^A_mj W^A_m y + dZ/d theta_j beta)
        be = e
        out = np.zeros(self.n_free)
        if self.lag:
            b_lag_y = np.column_stack([self.filter_error(theta, wy) for wy in self.lag_y])
            out += (be @ b_lag_y) @ j_a
        if self.error:
            w_u = np.column_stack([w @ u for w in self.error])
            out += (be @ w_u) @ j_b
        if self.durbin:
            out += be @ self.filter_error(theta, self.design_derivatives(theta, beta))
        return out

    def full_value(self, beta: np.ndarray, theta: np.ndarray, sigma2: float) -> float:
        """The log-likelihood at ``(beta, theta, sigma^2)``."""
        e = self.residuals(theta, beta)[0]
        return float(
            -0.5 * self.n * (_LOG_2PI + np.log(sigma2))
            + self.logdets(theta)[0]
            - (e @ e) / (2.0 * sigma2)
        )

    def full_score(self, beta: np.ndarray, theta: np.ndarray, sigma2: float) -> np.ndarray:
        """Score of the log-likelihood in ``(beta, theta, sigma^2)``."""
        e, u, _, bz = self.residuals(theta, beta)
        grad = self.logdets(theta, gradient=True)[1]
        spatial = grad + self._quadratic_score(theta, beta, e, u) / sigma2
        return np.concatenate(
            [
                bz.T @ e / sigma2,
                spatial,
                [-self.n / (2.0 * sigma2) + (e @ e) / (2.0 * sigma2**2)],
            ]
        )
