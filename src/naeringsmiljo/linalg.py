"""Least squares, ranks and covariances that do not depend on the units of the columns.

Research data are badly scaled: coordinates in metres, money in kroner, a trend surface with
``E**2`` next to a constant. Every estimator of the package solves its least-squares problems
here, on the *column-equilibrated* design ``X D^{-1}`` (``D`` the column norms), by a
Householder QR (Golub & Van Loan 2013, s. 5.2 and 5.3). That makes three things
independent of a change of units in any column:

* the estimates and their covariances (a rescaled column changes ``D`` and nothing else);
* the rank, decided on the equilibrated design with the stated tolerance :data:`RANK_TOLERANCE`;
* the condition number reported to the user (:data:`CONDITION_WARNING`), which then measures
  collinearity rather than units (Belsley, Kuh & Welsch 1980, ch. 3, scale the columns to unit
  length for the same reason).

Cross-products ``X'X`` are never formed: their condition number is the square of the design's,
so that a design that is merely ill-conditioned (``x3 = x1 + 1e-8 z``, condition ~1e8) would
lose every digit. Covariances come from the triangular factor, ``(X'X)^{-1} = D^{-1} P R^{-1}
R^{-T} P' D^{-1}``, and an information matrix whose leading block is a Gram matrix ``X'X /
sigma^2`` is inverted through its Schur complement with that factor
(:func:`invert_information`). Nothing here falls back to a pseudo-inverse: a singular problem
is an error or a recorded warning with NaN standard errors.

numpy's ``lstsq`` (an SVD with a relative cut-off) is not used: on an unscaled design its cut-off
is relative to the largest column and silently drops the direction of a small one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from naeringsmiljo.exceptions import IllConditionedWarning, SingularDesignError, SpecificationError

#: A unit column of the equilibrated design whose QR diagonal ``|R_jj|`` (its distance from the
#: span of the columns before it) falls below ``RANK_TOLERANCE * max(n, k)`` is a linear
#: combination of them. The factor 100 above LAPACK's ``max(n, k) eps`` leaves room for
#: the rounding of lagged columns ``W x``, which are themselves computed.
RANK_TOLERANCE = 100 * float(np.finfo(float).eps)

#: Condition number of the equilibrated design above which a warning states it. Two unit
#: columns then have a correlation within about ``1 / (2 kappa^2) = 5e-15`` of one: nearly
#: collinear by any statistical standard. Estimates computed here still keep about
#: ``16 - log10(kappa)`` = 9 significant digits; cross-product formulas would keep 2.
CONDITION_WARNING = 1e7


def column_scale(x: np.ndarray) -> np.ndarray:
    """Euclidean norms of the columns of ``x`` (1 for a zero column, so that it stays zero)."""
    scale = np.linalg.norm(x, axis=0)
    return np.where(scale > 0, scale, 1.0)


@dataclass(frozen=True)
class DesignFactor:
    """QR of a column-equilibrated matrix: ``X D^{-1} P = Q R``, ``P`` moving dependent columns last.

    Build it with :meth:`of`; the methods then solve least-squares problems in ``X`` and give
    ``(X'X)^{-1}`` in the original units.

    Attributes
    ----------
    q : numpy.ndarray
        ``n x r`` orthonormal columns spanning the retained columns of ``X``.
    r : numpy.ndarray
        ``r x r`` upper-triangular factor of the retained columns.
    perm : numpy.ndarray
        Column order: ``perm[:rank]`` are the retained columns, the dependent ones follow.
    scale : numpy.ndarray
        Column norms ``D`` of ``X``.
    rank : int
        Numerical rank decided with :data:`RANK_TOLERANCE`.
    condition : float
        2-norm condition number of the retained equilibrated columns (``inf`` when a column
        is dropped).
    collinear : tuple of int
        The columns that make up the most nearly collinear direction (loadings of at least a
        tenth of the largest in the right singular vector of the smallest singular value).
    """

    q: np.ndarray
    r: np.ndarray
    perm: np.ndarray
    scale: np.ndarray
    rank: int
    condition: float
    collinear: tuple[int, ...] = ()

    @classmethod
    def of(cls, x: np.ndarray) -> DesignFactor:
        """Factor ``x`` (``n x k``, ``n >= 1``); dependent columns are kept out of ``q, r``.

        Householder QR in the order of the columns: ``|R_jj|`` is the distance of the unit
        column ``j`` from the span of the columns before it, and a column within
        ``RANK_TOLERANCE * max(n, k)`` of that span repeats them (it is named, and the others are
        factored again without it). numpy's LAPACK is used rather than scipy's pivoted QR: the
        two libraries bundle separate BLAS thread pools, and on a small machine the idle
        threads of one slow the dense solves of the other.
        """
        x = np.asarray(x, dtype=float)
        if x.ndim != 2:
            raise SpecificationError(f"a design matrix is two-dimensional, got shape {x.shape}.")
        n, k = x.shape
        scale = column_scale(x)
        if k == 0:
            return cls(np.zeros((n, 0)), np.zeros((0, 0)), np.arange(0), scale, 0, 1.0)
        # in Fortran order, which LAPACK works in: numpy's QR then copies it faster (0.02 s of
        # 0.13 at n = 1e6, k = 4), the factors bit for bit the same
        unit = np.divide(x, scale, order="F")
        q, r = np.linalg.qr(unit)
        diag = np.abs(np.diag(r)) if n >= k else np.abs(np.diag(r, k=0))
        independent = np.zeros(k, dtype=bool)
        independent[: diag.size] = diag > RANK_TOLERANCE * max(n, k)
        kept = np.flatnonzero(independent)
        perm = np.concatenate([kept, np.flatnonzero(~independent)])
        rank = kept.size
        if rank < k:
            q, r = np.linalg.qr(unit[:, kept]) if rank else (np.zeros((n, 0)), np.zeros((0, 0)))
            return cls(q, r, perm, scale, rank, np.inf)
        _, sv, vt = np.linalg.svd(r)
        condition = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
        # the columns that make up the direction of the smallest singular value
        loading = np.abs(vt[-1])
        collinear = tuple(int(j) for j in np.flatnonzero(loading >= 0.1 * loading.max()))
        return cls(q, r, perm, scale, rank, condition, collinear)

    @property
    def full_rank(self) -> bool:
        return self.rank == self.scale.size

    def dependent(self, names: Sequence[str]) -> list[str]:
        """Names of the columns taken as linear combinations of the others."""
        return [names[j] for j in self.perm[self.rank :]]

    def require_full_rank(self, names: Sequence[str], *, what: str = "The design") -> None:
        """Raise :class:`SingularDesignError` naming the dependent columns."""
        if self.full_rank:
            return
        dependent = self.dependent(names)
        raise SingularDesignError(
            f"{what} is rank deficient (rank {self.rank} of {self.scale.size} columns, decided "
            f"on the column-equilibrated matrix with tolerance {RANK_TOLERANCE:.1e} x max(n, k)); "
            f"{dependent} are linear combinations of other columns.",
            columns=tuple(dependent),
        )

    def warn_if_ill_conditioned(self, names: Sequence[str], *, what: str = "design") -> None:
        """Warn with :class:`IllConditionedWarning` when the condition number is large."""
        if self.full_rank and self.condition > CONDITION_WARNING:
            warnings.warn(
                f"The {what} is nearly collinear: condition number {self.condition:.2g} after "
                f"scaling its columns to unit length; the most nearly collinear columns are "
                f"{[names[j] for j in self.collinear]}. The standard errors of those columns are inflated accordingly, and estimates keep "
                f"about {max(0.0, 16 - np.log10(self.condition)):.0f} significant digits; "
                "the collinearity, not the units of the columns, causes this.",
                IllConditionedWarning,
                stacklevel=3,
            )

    def _to_original(self, c: np.ndarray) -> np.ndarray:
        """Coefficients of the retained columns, mapped to all columns in units of ``X``."""
        k = self.scale.size
        full = np.zeros((k,) + c.shape[1:])
        full[self.perm[: self.rank]] = c
        return full / (self.scale if full.ndim == 1 else self.scale[:, None])

    def coefficients(self, b: np.ndarray) -> np.ndarray:
        """Least-squares coefficients of ``b`` (a vector or the columns of a matrix) on ``X``."""
        return self._to_original(np.linalg.solve(self.r, self.q.T @ b))

    def residuals(self, b: np.ndarray) -> np.ndarray:
        """``b - X coefficients(b)``, computed as ``b - Q Q' b``."""
        return b - self.q @ (self.q.T @ b)

    def root_solve_transposed(self, b: np.ndarray) -> np.ndarray:
        """``G^{-T} b`` with ``G = R P' D`` the square root of ``X'X = G'G`` (full rank only)."""
        scaled = b[self.perm] / (
            self.scale[self.perm] if b.ndim == 1 else self.scale[self.perm, None]
        )
        return np.linalg.solve(self.r.T, scaled)

    def root_solve(self, c: np.ndarray) -> np.ndarray:
        """``G^{-1} c`` with ``G = R P' D`` (full rank only)."""
        return self._to_original(np.linalg.solve(self.r, c))

    def sandwich(self, weights: np.ndarray) -> np.ndarray:
        """``(X'X)^{-1} X' diag(weights) X (X'X)^{-1}`` as ``G^{-1} Q' diag(weights) Q G^{-T}``
        (the White covariance with ``weights = e^2``), without cross-products of ``X``."""
        meat = (self.q.T * weights) @ self.q
        return self.root_solve(self.root_solve(meat).T)

    def inverse_gram(self) -> np.ndarray:
        """``(X'X)^{-1}`` from the triangular factor, in the units of ``X`` (full rank only)."""
        r_inv = np.linalg.solve(self.r, np.eye(self.rank))
        inner = self._to_original(r_inv)  # G^{-1}
        return inner @ inner.T


def invert_symmetric(matrix: np.ndarray) -> np.ndarray | None:
    """Inverse of a small symmetric positive-definite matrix, or None when it is not one.

    The matrix is scaled to unit diagonal first (Jacobi scaling, exact in floating point up to
    rounding), so that the units of the parameters do not decide whether Cholesky succeeds.
    """
    if matrix.size == 0:
        return matrix.copy()
    diag = np.diag(matrix)
    if not np.all(np.isfinite(matrix)) or np.any(diag <= 0):
        return None
    d = 1.0 / np.sqrt(diag)
    try:
        lower = np.linalg.cholesky(matrix * np.outer(d, d))
    except np.linalg.LinAlgError:
        return None
    lower_inv = np.linalg.solve(lower, np.eye(matrix.shape[0]))
    return (lower_inv.T @ lower_inv) * np.outer(d, d)


def invert_information(
    matrix: np.ndarray, gram: DesignFactor | None = None, weight: float = 1.0
) -> np.ndarray | None:
    """Inverse of a symmetric information matrix whose leading block is ``weight X'X``.

    With ``gram`` (the factor of ``X``, full rank), the leading ``k x k`` block of ``matrix``
    is replaced by ``weight X'X`` in factored form and the inverse follows from the Schur
    complement ``S = C - B' A^{-1} B`` of the remaining (spatial and variance) block:

    .. math::

        \\begin{pmatrix} A & B \\\\ B' & C \\end{pmatrix}^{-1} =
        \\begin{pmatrix} A^{-1} + A^{-1} B S^{-1} B' A^{-1} & -A^{-1} B S^{-1} \\\\
        -S^{-1} B' A^{-1} & S^{-1} \\end{pmatrix},

    with ``A^{-1} = G^{-1} G^{-T} / weight`` from the triangular factor, so that an
    ill-conditioned design costs its condition number once, not squared. Without ``gram`` the
    matrix is inverted by :func:`invert_symmetric`. Returns None when the matrix (or ``S``) is
    not positive definite.
    """
    if gram is None or not gram.full_rank:
        return invert_symmetric(matrix)
    k = gram.scale.size
    b = matrix[:k, k:]
    y = gram.root_solve_transposed(b) / np.sqrt(weight)  # (weight G'G)^{-1/2} B
    s_inv = invert_symmetric(matrix[k:, k:] - y.T @ y)
    if s_inv is None:
        return None
    a_inv_b = gram.root_solve(y) / np.sqrt(weight)  # A^{-1} B
    out = np.empty_like(matrix)
    out[:k, :k] = gram.inverse_gram() / weight + a_inv_b @ s_inv @ a_inv_b.T
    out[:k, k:] = -a_inv_b @ s_inv
    out[k:, :k] = out[:k, k:].T
    out[k:, k:] = s_inv
    return out


@dataclass(frozen=True)
class InstrumentedDesign:
    """Two-stage least squares factored: instruments ``H`` and the projected design ``P_H Z``.

    ``H = Q_H R_H`` (equilibrated) and ``Q_H'Z`` factored again, so that
    ``(Z'P_H Z)^{-1}`` and the 2SLS coefficients come from triangular factors, and the
    identification check (the rank of ``Q_H'Z``) does not depend on the units of the columns.
    """

    instruments: DesignFactor
    projected: DesignFactor
    z: np.ndarray
    qtz: np.ndarray  # Q_H'Z, the coordinates of P_H Z in the basis Q_H

    @classmethod
    def of(cls, h: np.ndarray, z: np.ndarray) -> InstrumentedDesign:
        return cls.on(DesignFactor.of(h), z)

    @classmethod
    def on(cls, instruments: DesignFactor, z: np.ndarray) -> InstrumentedDesign:
        """With the instruments already factored (the same ``H``, other regressors ``Z``)."""
        qtz = instruments.q.T @ z
        return cls(instruments, DesignFactor.of(qtz), z, qtz)

    def coefficients(self, y: np.ndarray) -> np.ndarray:
        """``(Z'P_H Z)^{-1} Z'P_H y``."""
        return self.projected.coefficients(self.instruments.q.T @ y)

    @property
    def varb(self) -> np.ndarray:
        """``(Z'P_H Z)^{-1}``."""
        return self.projected.inverse_gram()

    @property
    def fitted(self) -> np.ndarray:
        """``P_H Z``: the first-stage fitted regressors, ``Q_H Q_H' Z``."""
        return self.instruments.q @ self.qtz

    def fitted_times(self, m: np.ndarray) -> np.ndarray:
        """``P_H Z m`` for a small matrix ``m``: one product with the n rows of ``Q_H``."""
        return self.instruments.q @ (self.qtz @ m)

    def sandwich(self, middle: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``V (P_H Z)' M (P_H Z) V`` with ``V = (Z'P_H Z)^{-1}``: the 2SLS sandwich, with
        ``middle`` applying ``M`` (``diag(u^2)``, a HAC kernel) to the columns of a matrix.

        Written with the fitted regressors rather than ``Z'H (H'H)^{-1} H'MH (H'H)^{-1} H'Z``,
        whose cross-products of the instruments square their condition number.
        """
        fitted = self.fitted
        varb = self.varb
        return varb @ (fitted.T @ middle(fitted)) @ varb

    @property
    def zthhthi(self) -> np.ndarray:
        """``Z'H (H'H)^{-1}``: the transposed first-stage coefficients."""
        return self.instruments.coefficients(self.z).T
