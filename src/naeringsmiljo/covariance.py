"""Estimators of the covariance of ML estimates, as small objects with one method.

Every estimator returns the covariance of the full parameter vector ``(beta, rho, lambda,
sigma^2)`` (with the spatial parameters the model has), from which the results take the block of
the reported parameters. Keeping ``sigma^2`` in the inverse matters: it is correlated with rho and
lambda, and dropping it before inverting understates their variances.

A registry (:data:`COVARIANCES`) maps one canonical name to each class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from naeringsmiljo._options import DENSE_MATRIX_LIMIT
from naeringsmiljo.estimation.ml import ConcentratedLikelihood, MLEstimate


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

    @property
    def k(self) -> int:
        return int(self.lik.x.shape[1])

    @property
    def size(self) -> int:
        return self.k + int(self.has_rho) + int(self.has_lambda) + 1


def covariance_from_information(information: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Invert the block of the free parameters; fixed parameters get zero (co)variance."""
    cov = np.zeros_like(information)
    idx = np.flatnonzero(free)
    cov[np.ix_(idx, idx)] = _invert(information[np.ix_(idx, idx)])
    return cov


def _invert(information: np.ndarray) -> np.ndarray:
    try:
        factor = scipy.linalg.cho_factor(information)
        return scipy.linalg.cho_solve(factor, np.eye(information.shape[0]))
    except np.linalg.LinAlgError:
        return np.linalg.pinv(information)


@dataclass(frozen=True)
class InformationMatrix:
    """Inverse of the analytic (expected) information matrix.

    With ``A = I - rho W``, ``B = I - lambda W``, ``G_A = W A^{-1}``, ``G_B = W B^{-1}``,
    ``H = B G_A B^{-1}`` and ``m = B G_A X beta``, the non-zero blocks are (Anselin 1988, eq. 6.5
    and 6.23 for SAR and SEM; the joint model as in Lee & Liu 2010, and LeSage & Pace 2009, s. 3.2)

    .. math::

        I_{\\beta\\beta} = X'B'BX/\\sigma^2, \\quad I_{\\beta\\rho} = X'B'm/\\sigma^2,
        \\quad I_{\\rho\\rho} = \\mathrm{tr}(H^2) + \\mathrm{tr}(H'H) + m'm/\\sigma^2,

        I_{\\lambda\\lambda} = \\mathrm{tr}(G_B^2) + \\mathrm{tr}(G_B'G_B), \\quad
        I_{\\rho\\lambda} = \\mathrm{tr}(G_B H) + \\mathrm{tr}(G_B' H),

        I_{\\rho\\sigma^2} = \\mathrm{tr}(G_A)/\\sigma^2, \\quad
        I_{\\lambda\\sigma^2} = \\mathrm{tr}(G_B)/\\sigma^2, \\quad
        I_{\\sigma^2\\sigma^2} = n/(2\\sigma^4).

    The traces use dense ``n x n`` inverses, which suits the sample sizes of this covariance's
    users (regions, municipalities); it is the covariance of R spatialreg and spreg for SAR/SEM.
    """

    name: ClassVar[str] = "information"
    description: ClassVar[str] = "inverse of the analytic information matrix"

    def __call__(self, problem: MLProblem) -> np.ndarray:
        lik, est = problem.lik, problem.estimate
        n, k = lik.n, problem.k
        if n > DENSE_MATRIX_LIMIT:
            raise ValueError(
                f"The information-matrix covariance forms dense {n}x{n} matrices (limit "
                f"{DENSE_MATRIX_LIMIT} units). Use cov='hessian', which needs only sparse "
                "products and log-determinant derivatives."
            )
        w = lik.w.toarray()
        eye = np.eye(n)
        sigma2 = est.sigma2
        b = eye - est.lam * w
        bx = b @ lik.x
        blocks: dict[tuple[str, str], float | np.ndarray] = {}
        names = ["beta"]
        if problem.has_rho:
            g_a = np.linalg.solve((eye - est.rho * w).T, w.T).T  # W A^{-1}
            h = np.linalg.solve(b.T, (b @ g_a).T).T if problem.has_lambda else g_a
            m = b @ (g_a @ (lik.x @ est.beta))
            blocks["beta", "rho"] = bx.T @ m / sigma2
            blocks["rho", "rho"] = np.sum(h * h.T) + np.sum(h * h) + m @ m / sigma2
            blocks["rho", "sigma2"] = np.trace(g_a) / sigma2
            names.append("rho")
        if problem.has_lambda:
            g_b = np.linalg.solve(b.T, w.T).T  # W B^{-1}
            blocks["lambda", "lambda"] = np.sum(g_b * g_b.T) + np.sum(g_b * g_b)
            blocks["lambda", "sigma2"] = np.trace(g_b) / sigma2
            if problem.has_rho:
                blocks["rho", "lambda"] = np.sum(g_b * h.T) + np.sum(g_b * h)
            names.append("lambda")
        names.append("sigma2")
        blocks["beta", "beta"] = bx.T @ bx / sigma2
        blocks["sigma2", "sigma2"] = n / (2 * sigma2**2)
        sizes = {"beta": k, "rho": 1, "lambda": 1, "sigma2": 1}
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
    e = u - lam * (lik.w @ u)
    bx = lik.x - lam * lik.wx
    parts = [bx.T @ e / sigma2]
    if problem.has_rho:
        b_wy = lik.wy - lam * lik.wwy
        parts.append([lik._logdet_derivative(rho) + (b_wy @ e) / sigma2])
    if problem.has_lambda:
        parts.append([lik._logdet_derivative(lam) + ((lik.w @ u) @ e) / sigma2])
    parts.append([-lik.n / (2 * sigma2) + (e @ e) / (2 * sigma2**2)])
    return np.concatenate([np.ravel(p) for p in parts])


#: Canonical names of the ML covariance estimators.
COVARIANCES: dict[str, type] = {cls.name: cls for cls in (InformationMatrix, ObservedHessian)}


def least_squares_covariance(x: np.ndarray, resid: np.ndarray) -> tuple[np.ndarray, float]:
    """Classical OLS covariance ``s^2 (X'X)^{-1}`` with ``s^2 = e'e/(n-k)``."""
    n, k = x.shape
    s2 = float(resid @ resid) / (n - k)
    return s2 * _invert(x.T @ x), s2


# --------------------------------------------------------------------------- ML sandwich
@dataclass(frozen=True)
class Sandwich:
    """Quasi-ML sandwich ``H^{-1} (S'S) H^{-1}`` (White 1982) for ML fits.

    ``H`` is the observed Hessian (as :class:`ObservedHessian`) and ``S`` stacks the per-unit
    contributions to the score: ``x_i e_i / sigma^2`` for beta; for rho
    ``-(G_A)_ii + e_i (B W y)_i / sigma^2`` and for lambda ``-(G_B)_ii + e_i (W u)_i / sigma^2``,
    splitting each log-determinant derivative ``-tr(G)`` over its diagonal; and
    ``-1/(2 sigma^2) + e_i^2/(2 sigma^4)`` for sigma^2. The diagonals come from dense inverses,
    so the sandwich is limited to ``DENSE_MATRIX_LIMIT`` units.
    """

    name: ClassVar[str] = "sandwich"
    description: ClassVar[str] = "quasi-ML sandwich (observed Hessian, outer product of scores)"

    def __call__(self, problem: MLProblem) -> np.ndarray:
        """Returns the *inverse* of the sandwich, so that the caller's inversion yields it."""
        lik, est = problem.lik, problem.estimate
        n = lik.n
        if n > DENSE_MATRIX_LIMIT:
            raise ValueError(f"The sandwich covariance needs dense {n}x{n} inverses.")
        hessian = ObservedHessian()(problem)  # minus the Hessian
        w = lik.w.toarray()
        sigma2 = est.sigma2
        u = lik.y - est.rho * lik.wy - lik.x @ est.beta
        e = est.innovations
        parts = [(lik.x - est.lam * lik.wx) * (e / sigma2)[:, None]]
        if problem.has_rho:
            g_a = np.linalg.solve((np.eye(n) - est.rho * w).T, w.T).T
            parts.append((-np.diag(g_a) + e * (lik.wy - est.lam * lik.wwy) / sigma2)[:, None])
        if problem.has_lambda:
            g_b = np.linalg.solve((np.eye(n) - est.lam * w).T, w.T).T
            parts.append((-np.diag(g_b) + e * (lik.w @ u) / sigma2)[:, None])
        parts.append((-0.5 / sigma2 + e**2 / (2 * sigma2**2))[:, None])
        scores = np.hstack(parts)
        bread = _invert(hessian)
        return _invert(bread @ (scores.T @ scores) @ bread)


COVARIANCES[Sandwich.name] = Sandwich


# --------------------------------------------------------------------------- IV / 2SLS
@dataclass(frozen=True)
class IVProblem:
    """What 2SLS covariances need: instruments, regressors, residuals and the 2SLS pieces."""

    h: np.ndarray
    z: np.ndarray
    resid: np.ndarray

    @property
    def varb(self) -> np.ndarray:
        pz = self.h @ np.linalg.solve(self.h.T @ self.h, self.h.T @ self.z)
        return np.linalg.inv(pz.T @ self.z)

    @property
    def zthhthi(self) -> np.ndarray:
        return np.linalg.solve(self.h.T @ self.h, self.h.T @ self.z).T


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
    """
    n, k = problem.z.shape
    varb = problem.varb
    u = problem.resid
    if kind == "hom":
        sigma2 = float(u @ u) / (n - k if df_correction else n)
        return sigma2 * varb
    hu = problem.h * u[:, None]
    if kind == "het":
        middle = hu.T @ hu
        if df_correction:
            middle = middle * n / (n - k)
    elif kind == "hac":
        if kernel is None:
            raise ValueError("cov='hac' needs a kernel: hac_kernel(coordinates, bandwidth).")
        middle = hu.T @ (kernel @ hu)
    else:
        raise ValueError(f"Unknown 2SLS covariance {kind!r}; use 'hom', 'het' or 'hac'.")
    bread = varb @ problem.zthhthi
    return bread @ middle @ bread.T


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
        raise ValueError(f"Unknown kernel {kernel!r}; use one of {sorted(functions)}.")
    values = functions[kernel](z)
    off = sp.coo_array((values, (rows, cols)), shape=(n, n))
    return sp.csr_array(off + sp.identity(n, format="csr"))
