"""Instrumental-variable and generalised-moments estimators of spatial models.

* Spatial two-stage least squares for SAR and SDM (Kelejian & Prucha 1998), with instruments
  ``[X, WX, W^2X, ...]``.
* The Kelejian & Prucha (1999) moments for the spatial error parameter (``variant="kp99"``),
  followed by feasible GLS.
* The heteroskedasticity-robust two-moment GMM estimator of Arraiz, Drukker, Kelejian & Prucha
  (2010) (``variant="het"``) and the homoskedastic one of Drukker, Egger & Prucha (2013)
  (``variant="hom"``), with their joint covariance of ``(beta, lambda)`` as laid out by Anselin
  (2011, "GMM estimation of spatial error autocorrelation with and without heteroskedasticity").
* Generalised spatial two-stage least squares for SAC (Kelejian & Prucha 2010; Arraiz et al. 2010),
  heteroskedasticity-robust.

Every function computes on arrays and returns a frozen dataclass; the estimator modules
(:mod:`~naeringsmiljo.estimators.s2sls`, :mod:`~naeringsmiljo.estimators.gm_error`,
:mod:`~naeringsmiljo.estimators.gs2sls`) orchestrate. The moment problems are quartic polynomials in lambda (the moments are linear in
``(lambda, lambda^2)``), so they are minimised exactly through the real roots of their cubic
derivative rather than by a numerical optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import GMMVariant
from naeringsmiljo.estimators._gram_sums import Engine, GramSums, Renumbering
from naeringsmiljo.exceptions import SingularDesignError, SpecificationError
from naeringsmiljo.inference.covariance import IVInference, IVProblem
from naeringsmiljo.linalg import DesignFactor, InstrumentedDesign
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.spatial_weights import DENSE_EIGEN_LIMIT, register_preparer


# --------------------------------------------------------------------------- options
@dataclass(frozen=True)
class TwoStageOptions:
    """The options every estimator with a 2SLS step shares (spatial 2SLS, GS2SLS).

    Attributes
    ----------
    w_lags : int
        Spatial lags of X in the instruments beyond those in the model (R's default 2; spreg's 1).
    cov : {"hom", "het", "hac"}
        Covariance of the 2SLS estimates.
    df_correction : bool
        Divisor ``n - k`` (R ``stsls``) instead of ``n`` (spreg).
    hac_kernel : scipy sparse array, optional
        Kernel for ``cov="hac"`` (:func:`naeringsmiljo.inference.covariance.hac_kernel`).
    """

    w_lags: int = 2
    cov: Literal["hom", "het", "hac"] = "hom"
    df_correction: bool = False
    hac_kernel: Any = None

    def iv_covariance(self, iv: IVInference) -> np.ndarray:
        """The chosen 2SLS covariance of the coefficients."""
        return iv.covariance(self.cov, df_correction=self.df_correction, kernel=self.hac_kernel)

    @property
    def label(self) -> str:
        """The covariance's label in the results."""
        return f"2SLS, {self.cov}" + (" (divisor n-k)" if self.df_correction else "")


# --------------------------------------------------------------------------- instruments
def lag_columns(w: Any, x: np.ndarray) -> np.ndarray:
    """``W x``, one sparse product per column of a matrix ``x``: scipy's product with a block of
    columns (``csr_matvecs``) took 0.15 s for four columns at n = 1e6 with ten neighbours, four
    single products 0.11 s."""
    if x.ndim != 2 or not isinstance(w, sp.sparray | sp.spmatrix):
        return np.asarray(w @ x)
    return np.column_stack([w @ np.ascontiguousarray(x[:, j]) for j in range(x.shape[1])])


def spatial_lags(w: sp.csr_array, x: np.ndarray, orders: range) -> list[np.ndarray]:
    """``[W^s x for s in orders]`` by repeated sparse products (no powers of W are formed)."""
    lags, current, power = [], x, 0
    for order in orders:
        while power < order:
            current = lag_columns(w, current)
            power += 1
        lags.append(current)
    return lags


@dataclass(frozen=True)
class Instruments:
    """The instruments ``H`` of a 2SLS fit, their names, and their QR factor (computed once,
    for the check that no column repeats earlier ones and for every 2SLS step with ``H``)."""

    matrix: np.ndarray
    names: list[str]
    factor: DesignFactor


def instrument_matrix(
    x: np.ndarray,
    names: list[str],
    w: sp.csr_array,
    *,
    w_lags: int,
    endog: tuple[str, ...] = (),
    external: np.ndarray | None = None,
    lagged: list[str] | None = None,
    w_error: sp.csr_array | None = None,
    durbin_on_w: bool = True,
) -> Instruments:
    """Instruments ``H`` for spatial 2SLS/GS2SLS (Kelejian & Prucha 1998, s. 3).

    The exogenous columns of ``x`` (all but ``endog``), then spatial lags ``W^s q`` of the
    exogenous non-constant regressors and of the external instruments ``q``, for ``s = 1..w_lags``
    beyond the lag orders already in the model: a Durbin model holds ``WX`` as regressors, so its
    instruments start at ``W^2 X``. Lags identical to a regressor are not repeated. With
    ``w_lags=1`` and no Durbin terms this is spreg's default ``[X, WX]``; ``w_lags=2`` gives
    ``[X, WX, W^2X]``, R spatialreg's ``stsls`` default.

    With error weights ``M`` of their own (``w_error``, GS2SLS), their lags ``M q, M W q, ...,
    M W^(w_lags - 1) q`` are added: the instruments of Kelejian & Prucha (1998, s. 3) for
    ``W != M``, which span ``M X`` and ``M W X`` in the filtered regressors ``(I - lambda M) Z``.
    ``durbin_on_w`` says whether the lagged regressors of the model are lags by ``w``; when they
    use other weights (``w_durbin=``), ``W X`` is an instrument like in a model without them.
    Columns in the span of earlier ones (a lag by ``M`` equal to a Durbin regressor, say) are
    dropped, so that ``H'H`` is invertible; the QR factor that decides it is kept
    (:class:`Instruments`).
    """
    if w_lags < 1:
        raise SpecificationError(f"w_lags must be at least 1, got {w_lags}.")
    lagged = (lagged or []) if durbin_on_w else []
    base_names = [n for n in names if n != "Intercept" and not n.startswith("W_")]
    exog_base = [n for n in base_names if n not in endog]
    start = 2 if lagged else 1
    exog_cols = [j for j, n in enumerate(names) if n not in endog]
    columns = [x[:, exog_cols]]
    labels = [names[j] for j in exog_cols]
    to_lag = [x[:, [names.index(n) for n in exog_base]]] if exog_base else []
    lag_labels = list(exog_base)
    if external is not None:
        to_lag.append(external)
        columns.append(external)
        labels += [f"z{j}" for j in range(external.shape[1])]
        lag_labels += [f"z{j}" for j in range(external.shape[1])]
    if not to_lag:
        raise SingularDesignError("No exogenous regressor to lag: the model is not identified.")
    source = np.column_stack(to_lag)
    first = 1 if (lagged or external is not None) else start
    orders = range(first, start + w_lags)
    for order, block in zip(orders, spatial_lags(w, source, orders), strict=True):
        for j, label in enumerate(lag_labels):
            name = "W" + (f"^{order}" if order > 1 else "") + "_" + label
            if order == 1 and lagged and f"W_{label}" in names:
                continue  # already a regressor of the Durbin model
            columns.append(block[:, [j]])
            labels.append(name)
    if w_error is not None:
        orders = range(w_lags)
        for order, block in zip(orders, spatial_lags(w, source, orders), strict=True):
            filtered = w_error @ block
            for j, label in enumerate(lag_labels):
                columns.append(filtered[:, [j]])
                labels.append(
                    "M" + ("W" if order == 1 else f"W^{order}" if order else "") + f"_{label}"
                )
    h = np.column_stack(columns)
    # the factor of the 2SLS steps decides the rank as _independent_columns does (QR in the
    # order of the columns, the same tolerance); factored again only when a column goes
    factor = DesignFactor.of(h)
    if factor.full_rank:
        return Instruments(h, labels, factor)
    keep = sorted(int(j) for j in factor.perm[: factor.rank])
    kept = h[:, keep]
    return Instruments(kept, [labels[j] for j in keep], DesignFactor.of(kept))


def channel_instruments(
    x: np.ndarray, names: list[str], matrices: list[sp.csr_array], *, w_lags: int
) -> np.ndarray:
    """Instruments for a lag of y that combines several matrices (Lee & Liu 2010, s. 3;
    Badinger & Egger 2011): X, then ``W_{m_1} ... W_{m_s} X_b`` for every word of length
    ``s = 1..w_lags + 1`` over the matrices (of length 2 and more when X is already lagged by
    each matrix), ``X_b`` the non-constant regressors that are not lags; columns in the span
    of earlier ones are dropped. ``w_lags`` counts the orders as for one matrix.
    """
    if w_lags < 1:
        raise SpecificationError(f"w_lags must be at least 1, got {w_lags}.")
    base = [j for j, n in enumerate(names) if n != "Intercept" and not n.startswith("W_")]
    if not base:
        raise SingularDesignError("No exogenous regressor to lag: the model is not identified.")
    columns = [x]
    frontier = [x[:, base]]
    for _ in range(w_lags):
        frontier = [w @ block for block in frontier for w in matrices]
        columns += frontier
    h = np.column_stack(columns)
    return h[:, _independent_columns(h)]


def _independent_columns(h: np.ndarray) -> list[int]:
    """Indices of the columns of ``h`` not in the span of the earlier ones (order kept).

    QR without pivoting of the column-normalised matrix: ``|R_jj|`` is the part of column ``j``
    orthogonal to the columns before it; a column whose part is below the rank tolerance of
    :func:`naeringsmiljo.design.cross_section.check_rank` repeats earlier ones.
    """
    scale = np.linalg.norm(h, axis=0)
    nonzero = scale > 0
    scale[~nonzero] = 1.0
    r = np.linalg.qr(h / scale, mode="r")
    diag = np.abs(np.diag(r))
    tol = max(h.shape) * np.finfo(float).eps * 100
    return [j for j in range(h.shape[1]) if nonzero[j] and j < diag.size and diag[j] > tol]


# --------------------------------------------------------------------------- 2SLS
@dataclass(frozen=True)
class TwoStageFit:
    """A 2SLS fit ``delta = (Z'P_H Z)^{-1} Z'P_H y`` with its factored design; the pieces of
    its covariances come from the factors when asked for (the iterations of GS2SLS need none)."""

    delta: np.ndarray
    resid: np.ndarray
    design: InstrumentedDesign

    @property
    def varb(self) -> np.ndarray:
        """``(Z'H (H'H)^{-1} H'Z)^{-1}``."""
        return self.design.varb


def two_stage_least_squares(
    y: np.ndarray, z: np.ndarray, h: np.ndarray, instruments: DesignFactor | None = None
) -> TwoStageFit:
    """Two-stage least squares of ``y`` on ``z`` with instruments ``h``; ``instruments``, the
    factor of ``h`` from an earlier fit with the same ``h``, spares factoring it again."""
    if h.shape[1] < z.shape[1]:
        raise SingularDesignError(
            f"{h.shape[1]} instruments cannot identify {z.shape[1]} coefficients; "
            "raise w_lags or add instruments."
        )
    design = (
        InstrumentedDesign.of(h, z) if instruments is None else InstrumentedDesign.on(instruments, z)
    )
    if not design.instruments.full_rank:
        raise SingularDesignError(
            f"The instruments are collinear (rank {design.instruments.rank} of {h.shape[1]} "
            "columns): an endogenous regressor may also be an instrument, or the spatial lags "
            "of X may repeat X."
        )
    if not design.projected.full_rank:
        raise SingularDesignError(
            "The instruments do not identify the model: the projection P_H Z of the regressors "
            f"on the instruments has rank {design.projected.rank} of {z.shape[1]} (decided on "
            "equilibrated columns); the spatial lags of X may be collinear with X, or an "
            "endogenous regressor may also be an instrument."
        )
    design.projected.warn_if_ill_conditioned(
        [f"z{j}" for j in range(z.shape[1])], what="projection of the regressors on the instruments"
    )
    delta = design.coefficients(y)
    return TwoStageFit(delta, y - z @ delta, design)


# --------------------------------------------------------------------------- moments
@dataclass(frozen=True)
class Moments:
    """Moment conditions ``E[g - G p(lambda)] = 0`` linear in ``p = (lambda, lambda^2[, sigma^2])``."""

    big_g: np.ndarray
    small_g: np.ndarray


def kp99_moments(u: np.ndarray, w: sp.csr_array, tr_wtw: float) -> Moments:
    """The three moments of Kelejian & Prucha (1999, eq. 7) in ``(lambda, lambda^2, sigma^2)``."""
    n = u.shape[0]
    wu = w @ u
    wwu = w @ wu
    big_g = (
        np.array(
            [
                [2 * u @ wu, -(wu @ wu), n],
                [2 * wu @ wwu, -(wwu @ wwu), tr_wtw],
                [u @ wwu + wu @ wu, -(wu @ wwu), 0.0],
            ]
        )
        / n
    )
    small_g = np.array([u @ u, wu @ wu, u @ wu]) / n
    return Moments(big_g, small_g)


def two_moments(u: np.ndarray, w: Any, a1: Any, wu: np.ndarray | None = None) -> Moments:
    """The two quadratic moments ``E[e'A_1 e] = 0`` and ``E[e'W e] = 0`` with ``e = u - lambda W u``.

    ``A_1`` is symmetric: ``W'W - diag(W'W)`` for the heteroskedastic estimator (Arraiz et al.
    2010, eq. 8) or the scaled ``W'W - tr(W'W)/n I`` for the homoskedastic one (Drukker, Egger &
    Prucha 2013, eq. 5). ``w`` and ``a1`` need only products with vectors (``a1`` is an
    :class:`A1Operator` in the estimators, which never forms ``W'W``). ``wu``, ``W u`` when at
    hand.
    """
    wu = w @ u if wu is None else wu
    wwu = w @ wu
    if isinstance(a1, A1Operator) and a1.built_on(w):  # A_1 v = c (W'(W v) - D v), W v known
        a1u, a1wu = a1.lagged(u, wu), a1.lagged(wu, wwu)
    else:
        a1u, a1wu = a1 @ u, a1 @ wu
    return _two_moments(u, wu, wwu, a1u, a1wu)


def _two_moments(
    u: np.ndarray, wu: np.ndarray, wwu: np.ndarray, a1u: np.ndarray, a1wu: np.ndarray
) -> Moments:
    """:func:`two_moments` from ``u``, ``W u``, ``W^2 u``, ``A_1 u`` and ``A_1 W u``."""
    n = u.shape[0]
    big_g = (
        np.array(
            [
                [2 * wu @ a1u, -(wu @ a1wu)],
                [u @ wwu + wu @ wu, -(wu @ wwu)],
            ]
        )
        / n
    )
    small_g = np.array([u @ a1u, u @ wu]) / n
    return Moments(big_g, small_g)


def minimise_quartic(
    a: np.ndarray, b: np.ndarray, q: np.ndarray, bounds: tuple[float, float]
) -> float:
    """The exact minimiser over ``bounds`` of ``(a - B p)' Q (a - B p)``, ``p = (l, l^2)``.

    Setting the derivative to zero gives the cubic
    ``2 C22 l^3 + (C12 + 2 C21) l^2 + (C11 - 2 c2) l - c1 = 0`` with ``C = B'QB``, ``c = B'Qa``;
    the minimum is at one of its real roots inside the bounds or at a bound.
    """
    c = b.T @ q @ b
    c0 = b.T @ q @ a
    coefficients = [2 * c[1, 1], c[0, 1] + 2 * c[1, 0], c[0, 0] - 2 * c0[1], -c0[0]]
    roots = np.roots(coefficients)
    real = roots[np.abs(roots.imag) <= 1e-10 * np.maximum(1.0, np.abs(roots.real))].real
    candidates = [r for r in real if bounds[0] < r < bounds[1]] + list(bounds)

    def objective(value: float) -> float:
        r = a - b @ np.array([value, value * value])
        return float(r @ q @ r)

    return float(min(candidates, key=objective))


def solve_lambda(
    moments: Moments, bounds: tuple[float, float], weight: np.ndarray | None = None
) -> tuple[float, float | None]:
    """GMM estimate of lambda (and sigma^2 for the three KP99 moments), exact.

    With three moments, sigma^2 enters linearly and is concentrated out by projecting the moments
    off its column; the remaining problem is again a quartic in lambda.
    """
    big_g, small_g = moments.big_g, moments.small_g
    if not np.all(np.isfinite(big_g)) or np.linalg.matrix_rank(big_g[:, :2]) < 2:
        raise SingularDesignError(
            "The moment conditions do not identify lambda (their matrix G is rank deficient): "
            "the residuals have no spatial variation to work with (e.g. W u = 0)."
        )
    if weight is not None and np.linalg.cond(weight) > 1e13:
        raise SingularDesignError("The estimated variance of the moments is singular.")
    q = np.eye(len(small_g)) if weight is None else np.linalg.inv(weight)
    if big_g.shape[1] == 2:
        return minimise_quartic(small_g, big_g, q, bounds), None
    s_col = big_g[:, 2]
    projector = np.eye(3) - np.outer(s_col, s_col @ q) / (s_col @ q @ s_col)
    lam = minimise_quartic(projector @ small_g, projector @ big_g[:, :2], q, bounds)
    rest = small_g - big_g[:, :2] @ np.array([lam, lam * lam])
    sigma2 = float(s_col @ q @ rest / (s_col @ q @ s_col))
    return lam, sigma2


# --------------------------------------------------------------------------- W and A_1
@dataclass(frozen=True)
class A1Operator:
    """``A_1 = c (W'W - D)`` as products with vectors: ``c (W'(W v) - D v)``, ``W'W`` not formed.

    ``D = diag(W'W)`` (the column sums of squares of ``W``) and ``c = 1`` for the
    heteroskedastic moments (Arraiz et al. 2010, eq. 8); ``D = tr(W'W)/n I`` and
    ``c = 1/(1 + (tr(W'W)/n)^2)`` for the homoskedastic ones (Drukker, Egger & Prucha 2013,
    eq. 5). ``W'`` is the CSC view of the CSR ``W`` (no conversion). Only the moments'
    variances need entries of ``W'W``, in sums over its rows that never store it
    (:mod:`~naeringsmiljo.estimators._gram_sums`).
    """

    w: sp.csr_array
    shift: np.ndarray  # the diagonal D
    scale: float
    squares: np.ndarray  # diag(W'W), the column sums of squares of W

    @classmethod
    def of(cls, w: sp.csr_array, variant: Literal["het", "hom"]) -> A1Operator:
        """The ``A_1`` of the heteroskedastic or homoskedastic moments of ``w``."""
        w = sp.csr_array(w)
        n = w.shape[0]
        squares = np.bincount(w.indices, weights=w.data * w.data, minlength=n)
        if variant == "het":
            return cls(w, squares, 1.0, squares)
        t = float(squares.sum()) / n  # tr(W'W)/n = ||W||_F^2 / n
        return cls(w, np.full(n, t), 1.0 / (1.0 + t * t), squares)

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return self.lagged(v, self.w @ v)

    def built_on(self, w: Any) -> bool:
        """Whether this operator's ``W`` holds the same entries as ``w`` (shared arrays)."""
        data = getattr(w, "data", None)
        return (
            isinstance(data, np.ndarray)
            and self.w.shape == w.shape
            and self.w.data.size == data.size
            and np.shares_memory(self.w.data, data)
            and np.shares_memory(self.w.indices, w.indices)
        )

    def lagged(self, v: np.ndarray, wv: np.ndarray) -> np.ndarray:
        """``A_1 v`` when ``W v`` is at hand (``wv``): one product with ``W'`` only."""
        return self.scale * (self.w.T @ wv - self.shift * v)

    def diagonal(self) -> np.ndarray:
        """The diagonal of ``A_1`` (zero for the heteroskedastic moments)."""
        return self.scale * (self.squares - self.shift)

    def renumbered(self, renumbering: Renumbering) -> A1Operator:
        """This operator with the units in the order of ``renumbering`` (its ``P W P'``)."""
        return A1Operator(
            renumbering.w,
            renumbering.into(self.shift),
            self.scale,
            renumbering.into(self.squares),
        )


def a1_het(w: sp.csr_array) -> A1Operator:
    """``A_1 = W'W - diag(W'W)`` (Arraiz et al. 2010), as products with vectors."""
    return A1Operator.of(w, "het")


def a1_hom(w: sp.csr_array) -> A1Operator:
    """``A_1 = [1 + (tr(W'W)/n)^2]^{-1} (W'W - tr(W'W)/n I)`` (Drukker, Egger & Prucha 2013)."""
    return A1Operator.of(w, "hom")


def frobenius_sq(w: sp.csr_array) -> float:
    """``tr(W'W) = ||W||_F^2``, the sum of squares of the entries."""
    return float(np.sum(sp.csr_array(w).data ** 2))


# --------------------------------------------------------------------------- moment variances
@dataclass(frozen=True)
class HetVarianceMatrices:
    """What the variance of the heteroskedastic moments needs of ``W``, prepared once per fit.

    With ``E = diag(eps2)``, ``G = W'W``, ``A_1 = G - diag(G)`` and ``A_2 = W + W'``:
    ``tr(A_1 E A_1 E) = eps2'(G o G) eps2 - sum_i G_ii^2 eps2_i^2``,
    ``tr(A_1 E A_2 E) = 2 [eps2'(G o W) eps2 - sum_i G_ii W_ii eps2_i^2]`` and
    ``tr(A_2 E A_2 E) = 2 eps2'(W o W + W o W') eps2``. The three quadratic forms come from
    :class:`~naeringsmiljo.estimators._gram_sums.GramSums`, one pass over the rows of ``G``
    per vector ``eps2`` without storing ``G`` (compiled with numba when installed).
    """

    sums: GramSums
    diag_11: np.ndarray  # G_ii^2
    diag_12: np.ndarray  # G_ii W_ii

    @classmethod
    def of(
        cls,
        w: sp.csr_array,
        a1: A1Operator,
        engine: Engine = "auto",
        sums: GramSums | None = None,
    ) -> HetVarianceMatrices:
        """From ``W`` and the heteroskedastic ``A_1`` (:func:`a1_het`); ``sums``, ``W``
        prepared for the passes over ``G`` (:func:`cached_gram_sums`), when at hand."""
        w = sp.csr_array(w)
        d = a1.shift  # diag(W'W)
        return cls(sums or GramSums.of(w, engine), d * d, d * w.diagonal())


def het_moment_variance(
    matrices: HetVarianceMatrices, eps2: np.ndarray, a_vectors: np.ndarray | None = None
) -> np.ndarray:
    """Variance ``Psi`` of the two heteroskedastic moments (Arraiz et al. 2010, eq. 13):
    ``Psi_rs = tr(A_r E A_s E) / (2n)`` with ``A_1`` doubled as in their eq. 8, ``E =
    diag(eps2)``.

    ``eps2`` are the squared innovations ``(u - lambda W u)^2``. With endogenous regressors, the
    vectors ``a_1, a_2`` (``a_vectors``, n x 2) add ``a_r' diag(eps2) a_s / n``.
    """
    e2 = eps2 * eps2
    q_gg, q_gw, q_ww = matrices.sums(eps2)
    return _het_psi(
        q_gg - float(matrices.diag_11 @ e2),
        q_gw - float(matrices.diag_12 @ e2),
        q_ww,
        eps2,
        a_vectors,
    )


def _het_psi(
    t11: float, t12: float, q_ww: float, eps2: np.ndarray, a_vectors: np.ndarray | None
) -> np.ndarray:
    """``Psi`` from ``tr(A_1 E A_1 E)``, ``tr(A_1 E A_2 E) / 2`` and ``tr(A_2 E A_2 E) / 2``
    with ``A_1 = G - diag(G)`` and ``A_2 = W + W'`` (:class:`HetVarianceMatrices`)."""
    n = eps2.shape[0]
    psi = np.array([[4.0 * t11, 4.0 * t12], [4.0 * t12, 2.0 * q_ww]]) / (2.0 * n)
    if a_vectors is not None:
        psi = psi + (a_vectors.T * eps2) @ a_vectors / n
    return psi


@dataclass(frozen=True)
class HetMomentBasis:
    """``Psi`` at every ``lambda`` for fixed residuals ``u``, from one pass over ``G``.

    The squared innovations are a quadratic in ``lambda``: ``(u - lambda W u)^2 = V c`` with
    ``V = [u^2, u o Wu, (Wu)^2]`` and ``c = (1, -2 lambda, lambda^2)``, so each of the sums in
    ``Psi`` is ``c' (V' M V) c``. The efficiently weighted step and the covariance at the
    final ``lambda`` use the same ``u`` (steps 2b of Arraiz et al. 2010), so one pass
    (:meth:`~naeringsmiljo.estimators._gram_sums.GramSums.bilinear`, three vectors at once)
    serves both, where :func:`het_moment_variance` makes one per ``lambda``.
    """

    vectors: np.ndarray  # V, n x 3
    forms: np.ndarray  # V' M V for M = G o G, G o W, W o W + W o W' (3 x 3 x 3)
    diag_11: np.ndarray  # V' diag(G_ii^2) V
    diag_12: np.ndarray  # V' diag(G_ii W_ii) V

    @classmethod
    def of(cls, matrices: HetVarianceMatrices, u: np.ndarray, wu: np.ndarray) -> HetMomentBasis:
        """The basis of residuals ``u`` with ``W u`` given (``wu``)."""
        v = np.column_stack([u * u, u * wu, wu * wu])
        return cls(
            v,
            matrices.sums.bilinear(v),
            (v.T * matrices.diag_11) @ v,
            (v.T * matrices.diag_12) @ v,
        )

    def variance(self, lam: float, a_vectors: np.ndarray | None = None) -> np.ndarray:
        """``Psi`` at innovations ``u - lam W u`` (as :func:`het_moment_variance`)."""
        c = np.array([1.0, -2.0 * lam, lam * lam])
        q = self.forms @ c @ c  # c' (V' M V) c for each M
        return _het_psi(
            float(q[0] - c @ self.diag_11 @ c),
            float(q[1] - c @ self.diag_12 @ c),
            float(q[2]),
            self.vectors @ c,
            a_vectors,
        )


def projection_hp(design: InstrumentedDesign) -> np.ndarray:
    """``H P`` with ``P = n (H'H)^{-1} H'Z_s (Z_s'H (H'H)^{-1} H'Z_s)^{-1}`` (Arraiz et al. 2010,
    App. B): ``n P_H Z_s (Z_s'P_H Z_s)^{-1}``, from the factors of the instruments and of the
    filtered regressors ``Z_s`` in ``design`` (``P`` enters every formula only through
    ``H P``)."""
    return design.fitted_times(design.z.shape[0] * design.varb)


@dataclass(frozen=True)
class ResidualLags:
    """The products of one round's residuals ``u`` that the heteroskedastic GS2SLS needs.

    ``W u``, ``W^2 u``, ``W' u``, ``W'W u`` and ``W'W^2 u``: five sparse products give the two
    moments (:func:`two_moments`) and, for the innovations ``u - lambda W u`` at every
    ``lambda``, the vectors ``A_1 (u - lambda W u)`` and ``(W + W')(u - lambda W u)`` of the
    dependence of the moments on the 2SLS estimates (:meth:`a_vectors`): both are linear in
    ``lambda``, so the weighted step and the covariance at the estimate share them.
    """

    u: np.ndarray
    wu: np.ndarray
    wwu: np.ndarray
    wtu: np.ndarray  # W'u
    a1u: np.ndarray  # A_1 u
    a1wu: np.ndarray  # A_1 W u

    @classmethod
    def of(cls, w: sp.csr_array, a1: A1Operator, u: np.ndarray) -> ResidualLags:
        """The products of ``u`` with ``w`` and the ``A_1`` built on it (:class:`A1Operator`)."""
        wu = w @ u
        wwu = w @ wu
        if a1.built_on(w):  # A_1 v = c (W'(W v) - D v), W v known
            a1u, a1wu = a1.lagged(u, wu), a1.lagged(wu, wwu)
        else:
            a1u, a1wu = a1 @ u, a1 @ wu
        return cls(u, wu, wwu, w.T @ u, a1u, a1wu)

    def moments(self) -> Moments:
        """The two moments of :func:`two_moments`."""
        return _two_moments(self.u, self.wu, self.wwu, self.a1u, self.a1wu)

    def a_vectors(
        self, a1: A1Operator, hp: np.ndarray, zs: np.ndarray, lam: float
    ) -> np.ndarray:
        """``a_r = H P alpha_r`` at innovations ``u - lam W u`` (Arraiz et al. 2010, App. B):
        ``alpha_1 = -2/n Z_s' A_1 e`` and ``alpha_2 = -1/n Z_s' (W + W') e``, with
        ``W' W u = A_1 u / c + D u`` (``A_1 = c (W'W - D)``)."""
        n = hp.shape[0]
        a1_e = self.a1u - lam * self.a1wu
        wtwu = self.a1u / a1.scale + a1.shift * self.u
        a2_e = (self.wu - lam * self.wwu) + (self.wtu - lam * wtwu)
        alpha1 = (-2.0 / n) * (zs.T @ a1_e)
        alpha2 = (-1.0 / n) * (zs.T @ a2_e)
        return np.column_stack([hp @ alpha1, hp @ alpha2])


# --------------------------------------------------------------------------- estimators
@dataclass(frozen=True)
class GMMEstimate:
    """Result of a GMM/IV estimator: coefficients (with rho last among them when present),
    lambda, their joint covariance, and the residuals."""

    coefficients: np.ndarray
    lam: float | None
    cov: np.ndarray
    sigma2: float
    resid: np.ndarray  # u = y - Z delta
    innovations: np.ndarray  # e = u - lambda W u
    description: str
    iterations: int = 0
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    iv: IVInference | None = None  # a 2SLS fit's covariances, with its factors


def s2sls(
    y: np.ndarray, z: np.ndarray, h: np.ndarray, instruments: DesignFactor | None = None
) -> GMMEstimate:
    """Spatial 2SLS (Kelejian & Prucha 1998): ``z`` holds X (and WX) and Wy as its last column;
    ``instruments``, the factor of ``h`` when at hand (:class:`Instruments`)."""
    fit = two_stage_least_squares(y, z, h, instruments)
    n = y.shape[0]
    sigma2 = float(fit.resid @ fit.resid) / n
    return GMMEstimate(
        coefficients=fit.delta,
        lam=None,
        cov=sigma2 * fit.varb,
        sigma2=sigma2,
        resid=fit.resid,
        innovations=fit.resid,
        description="spatial two-stage least squares (Kelejian & Prucha 1998)",
        iv=IVInference(IVProblem.with_factors(h, z, fit.resid, fit.design)),
    )


def gm_error(
    y: np.ndarray,
    x: np.ndarray,
    w: sp.csr_array,
    *,
    variant: GMMVariant,
    bounds: tuple[float, float],
    max_iter: int = 1,
    tol: float = 1e-5,
    hom_traces: _HomTraces | None = None,
    gram: GramSums | None = None,
    a1: A1Operator | None = None,
    ols_resid: np.ndarray | None = None,
) -> GMMEstimate:
    """GMM for the spatial error model ``y = X beta + u, u = lambda W u + e``.

    ``kp99``: Kelejian & Prucha (1999): OLS residuals, three moments, FGLS; covariance of beta
    ``sigma^2 (X_s'X_s)^{-1}`` with ``sigma^2 = e'e/n``; no standard error for lambda (the
    estimator has none).
    ``het``/``hom``: OLS, unweighted GMM, then ``max_iter`` rounds of FGLS and efficiently
    weighted GMM (steps 1a-2b of Arraiz et al. 2010 / Drukker et al. 2013), and their joint
    covariance of ``(beta, lambda)``. ``hom_traces``, the constants of ``w`` in the
    homoskedastic variances (:func:`cached_hom_traces`), are computed here when not given, and
    so is ``gram``, ``w`` prepared for the heteroskedastic variances
    (:func:`cached_gram_sums`), ``a1``, the ``A_1`` of ``variant`` (:func:`cached_a1`), and
    ``ols_resid``, the OLS residuals of ``y`` on ``x`` (from the design's QR factor). The
    variances at the efficiently weighted step and at the estimate share the residuals ``u`` of
    the round's FGLS: one pass over ``W'W`` per round (:class:`HetMomentBasis`).

    The units are taken in the order given; the estimator
    (:class:`~naeringsmiljo.estimators.gm_error.GMError`) gives them in the renumbered order of
    the pass when it has one (:class:`~naeringsmiljo.estimators._gram_sums.Renumbering`), with
    ``w``, ``a1``, ``gram`` and ``hom_traces`` in that order too.
    """
    n = y.shape[0]
    u = DesignFactor.of(x).residuals(y) if ols_resid is None else ols_resid
    if variant == "kp99":
        wx, wy = lag_columns(w, x), w @ y
        tr_wtw = frobenius_sq(w)
        lam, _ = solve_lambda(kp99_moments(u, w, tr_wtw), bounds)
        xs, ys = x - lam * wx, y - lam * wy
        fgls = DesignFactor.of(xs)
        beta = fgls.coefficients(ys)
        u = y - x @ beta
        e = fgls.residuals(ys)
        sigma2 = float(e @ e) / n
        k = x.shape[1]
        cov = np.full((k + 1, k + 1), np.nan)
        cov[:k, :k] = sigma2 * fgls.inverse_gram()
        return GMMEstimate(
            beta,
            lam,
            cov,
            sigma2,
            u,
            e,
            "GM error model, Kelejian & Prucha (1999) moments, FGLS",
        )
    if a1 is None:
        a1 = a1_het(w) if variant == "het" else a1_hom(w)
    # the variances of the moments need sums over the entries of W'W (never stored)
    if gram is None and (variant == "het" or hom_traces is None):
        gram = GramSums.of(w)
    traces = None if variant == "het" else hom_traces or _hom_traces(w, a1, sums=gram)
    wx, wy = lag_columns(w, x), w @ y
    het_matrices = HetVarianceMatrices.of(w, a1, sums=gram) if variant == "het" else None
    moments = two_moments(u, w, a1)
    lam_old, _ = solve_lambda(moments, bounds)
    iterations, change = 0, np.inf
    basis: HetMomentBasis | None = None
    while iterations < max_iter and change > tol:
        xs, ys = x - lam_old * wx, y - lam_old * wy
        beta = DesignFactor.of(xs).coefficients(ys)
        u = y - x @ beta
        wu = w @ u
        if het_matrices is not None:
            basis = HetMomentBasis.of(het_matrices, u, wu)
            psi = basis.variance(lam_old)
        else:
            psi = _hom_moment_variance(traces, u - lam_old * wu)[0]
        moments = two_moments(u, w, a1, wu)
        lam, _ = solve_lambda(moments, bounds, psi)
        change, lam_old = abs(lam - lam_old), lam
        iterations += 1
    xs = x - lam * wx
    fgls = DesignFactor.of(xs)
    xtxi = fgls.inverse_gram()  # (X_s'X_s)^{-1} from the triangular factor
    e = u - lam * wu
    jac = moments.big_g @ np.array([1.0, 2.0 * lam])
    if basis is not None:
        psi = basis.variance(lam)  # the round's u: the same pass
        cov_beta = fgls.sandwich(e**2)
        cov_lam = 1.0 / (jac @ np.linalg.solve(psi, jac)) / n
        cross = np.zeros(x.shape[1])
        sigma2 = float(e @ e) / n
        description = "GM error model, heteroskedasticity-robust (Arraiz et al. 2010)"
    else:
        psi, sigma2, mu3 = _hom_moment_variance(traces, e)
        cov_beta = sigma2 * xtxi
        cov_lam = 1.0 / (jac @ np.linalg.solve(psi, jac)) / n
        p = n * xtxi
        psi_dl = mu3 * np.column_stack([x.T @ a1.diagonal(), np.zeros(x.shape[1])]) / n
        cross = p.T @ psi_dl @ np.linalg.solve(psi, jac) * cov_lam
        description = "GM error model, homoskedastic (Drukker, Egger & Prucha 2013)"
    k = x.shape[1]
    cov = np.zeros((k + 1, k + 1))
    cov[:k, :k] = cov_beta
    cov[k, k] = cov_lam
    cov[:k, k] = cov[k, :k] = cross
    return GMMEstimate(beta, lam, cov, sigma2, u, e, description, iterations)


@dataclass(frozen=True)
class _HomTraces:
    """The traces in the variance of the homoskedastic moments (constants of ``W``)."""

    tr11: float  # tr(A_1 A_1)
    tr12: float  # tr(A_1 (2 A_2)) = tr(A_1 (W + W')) = 2 tr(A_1 W)
    tr22: float  # 2 tr(A_2 A_2) = tr(W W) + tr(W'W)
    d1: np.ndarray  # diag(A_1)

    def renumbered(self, renumbering: Renumbering) -> _HomTraces:
        """The traces with ``diag(A_1)`` in the order of ``renumbering`` (the traces are
        invariant)."""
        return replace(self, d1=renumbering.into(self.d1))


def _hom_traces(
    w: sp.csr_array, a1: A1Operator, engine: Engine = "auto", sums: GramSums | None = None
) -> _HomTraces:
    """The traces from entries, ``A_1 = c (G - t I)`` with ``G = W'W`` not shifted or scaled:
    ``tr(A_1^2) = c^2 (||G||_F^2 - n t^2)`` (as ``tr(G) = n t``), ``tr(A_1 W) = c (sum(G o W) -
    t tr(W))`` and ``tr(W W) + tr(W'W) = sum(W o W') + sum(W o W)``: the sums of
    :class:`~naeringsmiljo.estimators._gram_sums.GramSums` with weights of one, ``G`` not
    stored."""
    w = sp.csr_array(w)
    n = w.shape[0]
    frobenius_g, sum_gw, sum_ww = (sums or GramSums.of(w, engine))()
    c, t = a1.scale, float(a1.shift[0])
    tr11 = c * c * (frobenius_g - n * t * t)
    tr12 = 2.0 * c * (sum_gw - t * float(w.diagonal().sum()))
    return _HomTraces(tr11, tr12, sum_ww, a1.diagonal())


#: The key of the homoskedastic traces in the weights' cache (``weights.release("gmm")``).
HOM_TRACES_KEY = "gmm_hom_traces"


def cached_hom_traces(weights: Any, sums: GramSums | None = None) -> _HomTraces:
    """The traces of :func:`_hom_traces` for ``weights`` (a ``SpatialWeights``), kept in its
    cache: constants of ``W``, so later homoskedastic fits on the same weights skip the pass over
    ``W'W``; :meth:`~naeringsmiljo.weights.SpatialWeights.release` with ``"gmm"`` drops them.
    ``sums``, ``W`` prepared for the pass (:func:`fit_gram_sums`), when at hand."""
    if HOM_TRACES_KEY not in weights._cache:
        w = weights.sparse
        weights._cache[HOM_TRACES_KEY] = _hom_traces(
            w, a1_hom(w), sums=sums or weights._cache.get(GRAM_SUMS_KEY)
        )
    traces: _HomTraces = weights._cache[HOM_TRACES_KEY]
    return traces


#: The key of ``W`` prepared for the passes over ``W'W`` in the weights' cache.
GRAM_SUMS_KEY = "gmm_gram_sums"
#: The stem of the keys of the moments' ``A_1`` (``"_het"``, ``"_hom"``) in the weights' cache.
A1_KEY = "gmm_a1"


def cached_gram_sums(weights: Any) -> GramSums | None:
    """``W`` of ``weights`` prepared for the passes over ``W'W`` (renumbered, with its
    transpose: :class:`~naeringsmiljo.estimators._gram_sums.GramSums`) when
    :meth:`~naeringsmiljo.weights.SpatialWeights.prepare` was called with ``gmm=True``, else
    None: fits then prepare it for themselves and do not keep it (it holds two copies of
    ``W`` and, prepared, the entries of ``W'W`` the passes weight by: about 780 MB at n = 1e6
    with ten neighbours, :meth:`GramSums.keeping_gram
    <naeringsmiljo.estimators._gram_sums.GramSums.keeping_gram>`)."""
    sums: GramSums | None = weights._cache.get(GRAM_SUMS_KEY)
    return sums


def fit_gram_sums(weights: Any, variant: GMMVariant) -> GramSums | None:
    """``W`` of ``weights`` prepared for the passes over ``W'W`` for one fit of ``variant``:
    the one kept by :meth:`SpatialWeights.prepare(gmm=True)
    <naeringsmiljo.weights.SpatialWeights.prepare>`, else one built for this fit and not kept
    when the fit makes a pass (``"het"``; ``"hom"`` until its constants are kept), else None.
    The fit then also runs its products in the renumbered order of the pass
    (:class:`~naeringsmiljo.estimators._gram_sums.Renumbering`)."""
    kept = cached_gram_sums(weights)
    if kept is not None or variant == "kp99":
        return kept
    if variant == "hom" and HOM_TRACES_KEY in weights._cache:
        return None  # no pass: renumbering for the products alone costs more than it saves
    return GramSums.of(weights.sparse)


def cached_a1(weights: Any, variant: Literal["het", "hom"]) -> A1Operator | None:
    """The ``A_1`` of ``variant`` for ``weights`` when :meth:`SpatialWeights.prepare
    <naeringsmiljo.weights.SpatialWeights.prepare>` kept it (``gmm=True``), else None."""
    a1: A1Operator | None = weights._cache.get(f"{A1_KEY}_{variant}")
    return a1


def prepare_gmm(weights: Any, gmm: bool = False) -> None:
    """The set-up of :meth:`SpatialWeights.prepare(gmm=True)
    <naeringsmiljo.weights.SpatialWeights.prepare>`: ``W`` prepared for the passes over
    ``W'W`` of the heteroskedastic moment variances, and the constants of the homoskedastic
    ones, kept on the weights until ``release("gmm")``, and the interval of the moment
    estimators (:func:`moment_interval`, kept with the bounds)."""
    if not gmm:
        return
    moment_interval(weights)
    if GRAM_SUMS_KEY not in weights._cache:
        weights._cache[GRAM_SUMS_KEY] = GramSums.of(weights.sparse).keeping_gram()
    for variant in ("het", "hom"):
        weights._cache.setdefault(f"{A1_KEY}_{variant}", A1Operator.of(weights.sparse, variant))
    cached_hom_traces(weights)


register_preparer("gmm", prepare_gmm)


def _hom_moment_variance(traces: _HomTraces | None, e: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Variance of the two homoskedastic moments (Drukker, Egger & Prucha 2013, eq. 13), with
    ``A_2 = (W + W')/2``; returns ``(Psi, sigma^2, mu_3)``."""
    assert traces is not None
    n = e.shape[0]
    e2 = e * e
    sigma2 = float(np.sum(e2)) / n
    mu3 = float(e2 @ e) / n
    mu4 = float(e2 @ e2) / n
    d1 = traces.d1
    psi = (
        np.array(
            [
                [
                    2 * sigma2**2 * traces.tr11 + (mu4 - 3 * sigma2**2) * (d1 @ d1),
                    sigma2**2 * traces.tr12,
                ],
                [sigma2**2 * traces.tr12, sigma2**2 * traces.tr22],
            ]
        )
        / n
    )
    return psi, sigma2, mu3


def gs2sls_het(
    y: np.ndarray,
    z: np.ndarray,
    h: np.ndarray,
    w: sp.csr_array,
    *,
    bounds: tuple[float, float],
    max_iter: int = 1,
    tol: float = 1e-5,
    gram: GramSums | None = None,
    a1: A1Operator | None = None,
    instruments: DesignFactor | None = None,
) -> GMMEstimate:
    """Generalised spatial 2SLS for SAC/SARAR, heteroskedasticity-robust (Kelejian & Prucha 2010;
    Arraiz et al. 2010, steps 1a-2b; covariance of App. B).

    ``z`` holds X and the endogenous columns (Wy last); ``h`` the instruments; ``gram``, ``w``
    prepared for the passes over ``W'W`` (:func:`cached_gram_sums`), ``a1`` (:func:`cached_a1`)
    and ``instruments``, the factor of ``h`` (:class:`Instruments`), when at hand. As in
    :func:`gm_error`, one pass per round serves the weighted step and the covariance.
    """
    n = y.shape[0]
    first = two_stage_least_squares(y, z, h, instruments)
    u = first.resid
    a1 = a1 or a1_het(w)
    het_matrices = HetVarianceMatrices.of(w, a1, sums=gram)  # W and W' prepared once
    moments = two_moments(u, w, a1)
    lam_old, _ = solve_lambda(moments, bounds)
    wz, wy = lag_columns(w, z), w @ y
    iterations, change = 0, np.inf
    while iterations < max_iter and change > tol:
        zs, ys = z - lam_old * wz, y - lam_old * wy
        fit = two_stage_least_squares(ys, zs, h, first.design.instruments)
        u = y - z @ fit.delta
        lags = ResidualLags.of(w, a1, u)
        basis = HetMomentBasis.of(het_matrices, u, lags.wu)
        a_vec = lags.a_vectors(a1, projection_hp(fit.design), zs, lam_old)
        psi = basis.variance(lam_old, a_vec)
        moments = lags.moments()
        lam, _ = solve_lambda(moments, bounds, psi)
        change, lam_old = abs(lam - lam_old), lam
        iterations += 1
    zs = z - lam * wz
    hp = projection_hp(InstrumentedDesign.on(first.design.instruments, zs))
    e = u - lam * lags.wu
    eps2 = e**2
    a_vec = lags.a_vectors(a1, hp, zs, lam)
    psi = basis.variance(lam, a_vec)  # the round's u: the same pass
    jac = moments.big_g @ np.array([1.0, 2.0 * lam])
    psi_inv_j = np.linalg.solve(psi, jac)
    omega_1 = psi_inv_j / (jac @ psi_inv_j)  # (J'Psi^-1 J)^-1 J'Psi^-1 as a vector
    # [P', 0; 0, omega_1'] Psi_full [P, 0; 0, omega_1] / n, with Psi_full's instrument blocks
    # H'diag(e^2)H / n and H'diag(e^2)a / n entering only through H P
    weighted = hp.T * eps2
    k = hp.shape[1]
    cov = np.empty((k + 1, k + 1))
    cov[:k, :k] = weighted @ hp / n**2
    cov[:k, k] = cov[k, :k] = weighted @ a_vec @ omega_1 / n**2
    cov[k, k] = omega_1 @ psi @ omega_1 / n
    return GMMEstimate(
        fit.delta,
        lam,
        cov,
        float(e @ e) / n,
        u,
        e,
        "generalised spatial 2SLS, heteroskedasticity-robust (Kelejian & Prucha 2010; "
        "Arraiz et al. 2010)",
        iterations,
    )


def renumbered_back(est: GMMEstimate, renumbering: Renumbering) -> GMMEstimate:
    """An estimate computed with the units in the order of ``renumbering``, its vectors and
    the arrays of ``extra`` (one row per unit) back in the units' given order."""
    return replace(
        est,
        resid=renumbering.back(est.resid),
        innovations=renumbering.back(est.innovations),
        extra={key: renumbering.back(value) for key, value in est.extra.items()},
    )


def gs2sls_kp99(
    y: np.ndarray,
    z: np.ndarray,
    h: np.ndarray,
    w: sp.csr_array,
    *,
    bounds: tuple[float, float],
    instruments: DesignFactor | None = None,
) -> GMMEstimate:
    """Generalised spatial 2SLS of Kelejian & Prucha (1998), homoskedastic.

    2SLS, the three Kelejian & Prucha (1999) moments on its residuals, then 2SLS of the spatially
    filtered model ``y - lambda W y`` on ``Z - lambda W Z`` with the same instruments (the span of
    ``[X, WX, W^2X]`` contains the filtered X, so this equals R spatialreg's ``gstsls``, which uses
    ``[X_s, WX, W^2X]``). The covariance is that of the second-step 2SLS, ``sigma^2 (Z_s'P_H
    Z_s)^{-1}`` with ``sigma^2 = e'e/n``; lambda has no standard error. ``instruments``, the
    factor of ``h`` when at hand (:class:`Instruments`).
    """
    n = y.shape[0]
    first = two_stage_least_squares(y, z, h, instruments)
    tr_wtw = frobenius_sq(w)
    lam, _ = solve_lambda(kp99_moments(first.resid, w, tr_wtw), bounds)
    zs, ys = z - lam * (w @ z), y - lam * (w @ y)
    second = two_stage_least_squares(ys, zs, h, first.design.instruments)
    u = y - z @ second.delta
    e = second.resid
    sigma2 = float(e @ e) / n
    k = z.shape[1]
    cov = np.full((k + 1, k + 1), np.nan)
    cov[:k, :k] = sigma2 * second.varb
    return GMMEstimate(
        second.delta,
        lam,
        cov,
        sigma2,
        u,
        e,
        "generalised spatial 2SLS, Kelejian & Prucha (1998/1999) moments, homoskedastic",
        extra={"h": h, "z": zs},
    )


def moment_results(
    problem: Any,
    est: GMMEstimate,
    *,
    interval: tuple[float, float],
    intervals: dict[str, tuple[float, float]],
    covariance: np.ndarray,
    cov_type: str,
    optimizer: str,
    iv: IVInference | None = None,
    variant: str | None = None,
) -> SpatialResults:
    """The results of any moment estimator (the parameter vector ends with rho, then lambda)."""
    names = problem.param_names
    values = np.concatenate([est.coefficients] + ([[est.lam]] if est.lam is not None else []))
    record = FitRecord(
        method="gmm",
        interval=interval,
        intervals=intervals,
        optimizer=optimizer + (f"; {est.iterations} iteration(s)" if est.iterations else ""),
        message="closed-form moments (exact roots)",
    )
    return SpatialResults(
        model=problem.name,
        params=pd.Series(values, index=names, name="estimate"),
        cov=pd.DataFrame(covariance, index=names, columns=names),
        sigma2=est.sigma2,
        loglik=float("nan"),
        spec=problem.spec,
        record=record,
        cov_type=cov_type,
        innovations=est.innovations,
        family=problem.family,
        iv=iv,
        variant=variant,
    )


def moment_interval(weights: Any) -> tuple[float, float]:
    """The parameter interval of a moment estimator, without eigenvalue computations where
    they cannot matter.

    The moment estimators search within ``(-1, 1)`` (:func:`bounds_of`). When the norm bound
    on the spectral radius is at most 1 (row-standardised weights), the interval from it,
    ``(-1/radius, 1/high)``, already contains ``(-1, 1)``, so a wider one from Lanczos bounds
    (about 1.8 s at n = 100,000) would leave the search unchanged: it is reported instead.
    Otherwise, and up to ``DENSE_EIGEN_LIMIT`` units, the default interval of the weights.
    """
    if weights.n > DENSE_EIGEN_LIMIT and weights.eigenvalue_bounds("norms")[0] >= -1.0:
        return tuple(weights.parameter_interval("norms"))
    return tuple(weights.parameter_interval())


def bounds_of(interval: tuple[float, float]) -> tuple[float, float]:
    """The search bounds of the moment estimators: the parameter interval within (-1, 1)."""
    return max(interval[0], -0.99999), min(interval[1], 0.99999)
