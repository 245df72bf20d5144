"""Ready data-generating processes of studies: seeded, picklable callables ``seed -> (data, w)``.

A process holds what every replication shares (the weights, the regressors, the true
parameters) and draws only the innovations from the seed it is called with, so that a study can
ship it to its workers once and a replication is a pure function of its seed. The draws use the
simulators of :mod:`naeringsmiljo.simulate` (:func:`~naeringsmiljo.simulate.draw_spatial_lag`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo._options import ProcessKind, check_choice
from naeringsmiljo.design.cross_section import INTERCEPT
from naeringsmiljo.exceptions import InputTypeError, ParameterSpaceError, SpecificationError
from naeringsmiljo.simulate import SpatialLagParameters, draw_spatial_lag
from naeringsmiljo.weights.builders import knn
from naeringsmiljo.weights.logdet import AUTO_EIGEN_LIMIT
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: Name of the outcome column in the data a process returns.
OUTCOME = "y"


def _beta_series(beta: Any, x: pd.DataFrame) -> pd.Series:
    names = [INTERCEPT, *map(str, x.columns)]
    if isinstance(beta, pd.Series):
        beta = beta.to_dict()
    if isinstance(beta, Mapping):
        if sorted(beta) != sorted(names):
            raise SpecificationError(
                f"beta needs exactly the coefficients {names}, got {sorted(beta)}."
            )
        values = [float(beta[name]) for name in names]
    else:
        values = [float(b) for b in beta]
        if len(values) != len(names):
            raise SpecificationError(
                f"beta has {len(values)} values for the {len(names)} coefficients {names}."
            )
    return pd.Series(values, index=names, name="beta")


@dataclass(frozen=True, eq=False)
class _LinearProcess:
    w: SpatialWeights
    x: pd.DataFrame
    beta: pd.Series | Mapping[str, float] | Sequence[float]
    sigma: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.w, SpatialWeights):
            raise InputTypeError(f"w must be a SpatialWeights, got {type(self.w).__name__}.")
        if not isinstance(self.x, pd.DataFrame):
            raise InputTypeError(f"x must be a pandas DataFrame, got {type(self.x).__name__}.")
        if not self.x.index.equals(self.w.ids):
            raise SpecificationError("x must be indexed by the ids of w, in their order.")
        if OUTCOME in self.x.columns or INTERCEPT in self.x.columns:
            raise SpecificationError(f"x may not have a column {OUTCOME!r} or {INTERCEPT!r}.")
        object.__setattr__(self, "beta", _beta_series(self.beta, self.x))
        if not self.sigma > 0:
            raise SpecificationError(f"sigma must be positive, got {self.sigma}.")

    @property
    def coefficients(self) -> pd.Series:
        """``beta`` as a Series indexed by ``Intercept`` and the columns of ``x``."""
        return cast(pd.Series, self.beta)

    @property
    def formula(self) -> str:
        """``y ~ x1 + x2 + ...``: the regressors of the process."""
        return f"{OUTCOME} ~ " + " + ".join(map(str, self.x.columns))

    def _design(self) -> pd.DataFrame:
        design = self.x.astype(np.float64)
        design.insert(0, INTERCEPT, 1.0)
        return design

    def _check_interval(self, name: str, value: float) -> None:
        low, high = self.w.parameter_interval()
        if not low < value < high:
            raise ParameterSpaceError(
                f"{name} = {value} must lie in ({low:.4g}, {high:.4g}), where I - {name} W is "
                "invertible."
            )


@dataclass(frozen=True, eq=False)
class SARProcess(_LinearProcess):
    """The spatial lag process ``y = (I - rho W)^{-1} (X beta + eps)``, ``eps ~ N(0, sigma^2 I)``.

    LeSage & Pace (2009, eq. 2.3). ``W`` and ``X`` are held fixed; each call draws ``eps``.

    Parameters
    ----------
    w : SpatialWeights
        ``W``.
    x : pandas.DataFrame
        Regressors without the intercept, indexed by the ids of ``w`` in their order.
    beta : mapping or sequence of float
        ``Intercept`` and one coefficient per column of ``x`` (in that order for a sequence).
    sigma : float, default 1
        Standard deviation of ``eps``.
    rho : float, default 0.5
        Spatial autoregressive parameter, inside the interval of ``w``.

    Examples
    --------
    >>> import numpy as np
    >>> from naeringsmiljo.studies import knn_process
    >>> process = knn_process("SAR", n=30, rho=0.5, design_seed=1)
    >>> data, w = process(np.random.SeedSequence(7))
    >>> data.columns.tolist(), w.n, round(process.truth()["total_x1"], 6)
    (['x1', 'x2', 'y'], 30, 2.0)
    """

    rho: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_interval("rho", self.rho)

    def __call__(self, seed: Any) -> tuple[pd.DataFrame, SpatialWeights]:
        """Draw one data set from ``seed`` (anything ``numpy.random.default_rng`` takes)."""
        params = SpatialLagParameters(rho=self.rho, beta=self.coefficients, sigma=self.sigma)
        y = draw_spatial_lag(self._design(), self.w, params, np.random.default_rng(seed))
        return self.x.assign(**{OUTCOME: y.to_numpy()}), self.w

    def truth(self) -> dict[str, float]:
        """The true parameters by the names of the estimates and impacts.

        ``rho``, the coefficients, and the ``direct_<x>``, ``indirect_<x>`` and ``total_<x>``
        impacts (LeSage & Pace 2009, s. 2.7): the mean row sum of ``(I - rho W)^{-1}`` times
        ``beta`` for the total, its mean diagonal (from the eigenvalues of ``W``, up to
        ``AUTO_EIGEN_LIMIT`` units) times ``beta`` for the direct impact.
        """
        truth = {name: float(value) for name, value in self.coefficients.items()}
        truth["rho"] = float(self.rho)
        system = sp.identity(self.w.n, format="csc") - self.rho * sp.csc_matrix(self.w.sparse)
        total = float(np.mean(splu(system).solve(np.ones(self.w.n))))
        direct = None
        if self.w.n <= AUTO_EIGEN_LIMIT:
            direct = float(np.mean(np.real(1.0 / (1.0 - self.rho * self.w.eigenvalues()))))
        for name in map(str, self.x.columns):
            beta = float(self.coefficients[name])
            truth[f"total_{name}"] = beta * total
            if direct is not None:
                truth[f"direct_{name}"] = beta * direct
                truth[f"indirect_{name}"] = beta * (total - direct)
        return truth


@dataclass(frozen=True, eq=False)
class SEMProcess(_LinearProcess):
    """The spatial error process ``y = X beta + (I - lambda W)^{-1} eps``, ``eps ~ N(0, sigma^2 I)``.

    Anselin (1988, eq. 6.2). ``W`` and ``X`` are held fixed; each call draws ``eps``. The
    parameters are those of :class:`SARProcess` with ``lam`` (lambda) in place of ``rho``.
    """

    lam: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_interval("lambda", self.lam)

    def __call__(self, seed: Any) -> tuple[pd.DataFrame, SpatialWeights]:
        """Draw one data set from ``seed`` (anything ``numpy.random.default_rng`` takes)."""
        design = self._design()
        # The error (I - lambda W)^{-1} eps is the spatial lag process with beta = 0.
        error = SpatialLagParameters(rho=self.lam, beta=self.coefficients * 0.0, sigma=self.sigma)
        u = draw_spatial_lag(design, self.w, error, np.random.default_rng(seed)).to_numpy()
        y = design.to_numpy() @ self.coefficients.to_numpy() + u
        return self.x.assign(**{OUTCOME: y}), self.w

    def truth(self) -> dict[str, float]:
        """The true ``lambda`` and coefficients by the names of the estimates."""
        truth = {name: float(value) for name, value in self.coefficients.items()}
        truth["lambda"] = float(self.lam)
        return truth


def _lag_impacts(
    w: SpatialWeights, rho: float, beta: pd.Series, theta: Mapping[str, float], names: list[str]
) -> dict[str, float]:
    """True direct, indirect and total impacts of ``(I - rho W)^{-1} (beta_r I + theta_r W)``.

    LeSage & Pace (2009, s. 2.7): the total is the mean row sum, ``beta_r`` times that of
    ``(I - rho W)^{-1}`` plus ``theta_r`` times that of ``(I - rho W)^{-1} W``; the direct impact
    the mean diagonal, from the eigenvalues ``omega`` of ``W`` (``1/(1 - rho omega)`` and
    ``omega/(1 - rho omega)``), up to ``AUTO_EIGEN_LIMIT`` units.
    """
    system = splu(sp.identity(w.n, format="csc") - rho * sp.csc_matrix(w.sparse))
    ones = np.ones(w.n)
    total_b = float(np.mean(system.solve(ones)))
    total_t = float(np.mean(system.solve(w.sparse @ ones)))
    direct_b = direct_t = None
    if w.n <= AUTO_EIGEN_LIMIT:
        omega = w.eigenvalues()
        direct_b = float(np.mean(np.real(1.0 / (1.0 - rho * omega))))
        direct_t = float(np.mean(np.real(omega / (1.0 - rho * omega))))
    out: dict[str, float] = {}
    for name in names:
        b, t = float(beta[name]), float(theta.get(name, 0.0))
        out[f"total_{name}"] = b * total_b + t * total_t
        if direct_b is not None and direct_t is not None:
            out[f"direct_{name}"] = b * direct_b + t * direct_t
            out[f"indirect_{name}"] = out[f"total_{name}"] - out[f"direct_{name}"]
    return out


@dataclass(frozen=True, eq=False)
class SDMProcess(_LinearProcess):
    """The spatial Durbin process ``y = (I - rho W)^{-1} (X beta + W X theta + eps)``.

    LeSage & Pace (2009, eq. 2.35). ``W`` and ``X`` are held fixed; each call draws ``eps``.
    The parameters are those of :class:`SARProcess`, with ``theta``: one coefficient per column
    of ``x`` (a mapping by name or a sequence in column order), named ``W_<x>`` in the truth as
    in the estimates.
    """

    rho: float = 0.5
    theta: Mapping[str, float] | Sequence[float] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_interval("rho", self.rho)
        names = list(map(str, self.x.columns))
        theta = self.theta
        values = (
            [float(theta[name]) for name in names]
            if isinstance(theta, Mapping)
            else [float(t) for t in theta]
        )
        if len(values) != len(names):
            raise SpecificationError(
                f"theta has {len(values)} values for the {len(names)} regressors {names}."
            )
        object.__setattr__(self, "theta", dict(zip(names, values, strict=True)))

    def __call__(self, seed: Any) -> tuple[pd.DataFrame, SpatialWeights]:
        """Draw one data set from ``seed`` (anything ``numpy.random.default_rng`` takes)."""
        design = self._design()
        lagged = pd.DataFrame(
            self.w.sparse @ self.x.to_numpy(dtype=np.float64),
            index=self.x.index,
            columns=[f"W_{name}" for name in self.x.columns],
        )
        theta = cast(dict[str, float], self.theta)
        coefficients = pd.concat(
            [self.coefficients, pd.Series({f"W_{k}": v for k, v in theta.items()})]
        )
        params = SpatialLagParameters(rho=self.rho, beta=coefficients, sigma=self.sigma)
        y = draw_spatial_lag(
            pd.concat([design, lagged], axis=1), self.w, params, np.random.default_rng(seed)
        )
        return self.x.assign(**{OUTCOME: y.to_numpy()}), self.w

    def truth(self) -> dict[str, float]:
        """``rho``, the coefficients, ``W_<x>`` and the impacts of every regressor."""
        theta = cast(dict[str, float], self.theta)
        truth = {name: float(value) for name, value in self.coefficients.items()}
        truth |= {f"W_{name}": value for name, value in theta.items()}
        truth["rho"] = float(self.rho)
        names = list(map(str, self.x.columns))
        return truth | _lag_impacts(self.w, self.rho, self.coefficients, theta, names)


@dataclass(frozen=True, eq=False)
class SACProcess(_LinearProcess):
    """The process ``y = (I - rho W)^{-1} (X beta + (I - lambda W)^{-1} eps)`` (SAC).

    Kelejian & Prucha (1998); LeSage & Pace (2009, s. 2.12). One ``W`` for both terms, held
    fixed with ``X``; each call draws ``eps``.
    """

    rho: float = 0.5
    lam: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_interval("rho", self.rho)
        self._check_interval("lambda", self.lam)

    def __call__(self, seed: Any) -> tuple[pd.DataFrame, SpatialWeights]:
        """Draw one data set from ``seed`` (anything ``numpy.random.default_rng`` takes)."""
        design = self._design()
        error = SpatialLagParameters(rho=self.lam, beta=self.coefficients * 0.0, sigma=self.sigma)
        u = draw_spatial_lag(design, self.w, error, np.random.default_rng(seed)).to_numpy()
        system = sp.identity(self.w.n, format="csc") - self.rho * sp.csc_matrix(self.w.sparse)
        y = splu(system).solve(design.to_numpy() @ self.coefficients.to_numpy() + u)
        return self.x.assign(**{OUTCOME: y}), self.w

    def truth(self) -> dict[str, float]:
        """``rho``, ``lambda``, the coefficients and the impacts (those of the lag term)."""
        truth = {name: float(value) for name, value in self.coefficients.items()}
        truth["rho"], truth["lambda"] = float(self.rho), float(self.lam)
        names = list(map(str, self.x.columns))
        return truth | _lag_impacts(self.w, self.rho, self.coefficients, {}, names)


@dataclass(frozen=True)
class KnnDesign:
    """Fixed points and regressors of a simulated cross-section: what :func:`knn_process` draws.

    Attributes
    ----------
    w : SpatialWeights
        The row-standardised ``k``-nearest-neighbour matrix of ``n`` points uniform on the unit
        square.
    x : pandas.DataFrame
        ``x1, x2, ...``: independent standard normal regressors, indexed by the ids of ``w``.
    """

    w: SpatialWeights
    x: pd.DataFrame = field(repr=False)


def knn_design(n: int, *, k: int = 5, regressors: int = 2, design_seed: Any = 0) -> KnnDesign:
    """Draw ``n`` points uniform on the unit square, their kNN weights and normal regressors.

    The points are drawn first, then the regressors, from ``default_rng(design_seed)``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= k + 1:
        raise SpecificationError(f"n must be an integer above k + 1 = {k + 1}, got {n!r}.")
    rng = np.random.default_rng(design_seed)
    ids = pd.RangeIndex(int(n), name="id")
    points = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["east", "north"], index=ids)
    w = knn(points, k).row_standardize()
    columns = [f"x{j + 1}" for j in range(regressors)]
    x = pd.DataFrame(rng.standard_normal((n, regressors)), columns=columns, index=w.ids)
    return KnnDesign(w=w, x=x)


def knn_process(
    kind: str = "SAR",
    *,
    n: int = 100,
    k: int = 5,
    rho: float = 0.5,
    lam: float = 0.5,
    beta: Mapping[str, float] | Sequence[float] = (1.0, 1.0, -1.0),
    sigma: float = 1.0,
    design_seed: Any = 0,
    theta: Sequence[float] | None = None,
) -> SARProcess | SEMProcess | SDMProcess | SACProcess:
    """A SAR, SEM, SDM or SAC process on the kNN weights of random points, ``X`` held fixed.

    Made for a grid of design points: ``Study(dgp=knn_process, design={"n": [50, 100],
    "rho": [0.2, 0.5]}, ...)`` calls it once per point. The design (points, ``W``, ``X``) comes
    from ``design_seed`` by :func:`knn_design`, with ``len(beta) - 1`` regressors.

    Parameters
    ----------
    kind : {"SAR", "SEM", "SDM", "SAC"}
        The process: :class:`SARProcess` (uses ``rho``), :class:`SEMProcess` (``lam``),
        :class:`SDMProcess` (``rho`` and ``theta``, default 0.5 for every regressor) or
        :class:`SACProcess` (``rho`` and ``lam``).
    n, k : int
        Number of points and of neighbours.
    rho, lam : float
        The spatial parameter of the SAR or of the SEM process.
    beta : mapping or sequence of float
        ``Intercept`` first, then ``x1, x2, ...``.
    sigma : float
        Standard deviation of the innovations.
    design_seed : int, SeedSequence or Generator
        Seed of the design, held fixed over the replications.
    theta : sequence of float, optional
        Coefficients of ``W x1, W x2, ...`` of the SDM process.
    """
    check_choice("kind", kind, ProcessKind)
    regressors = len(beta) - 1
    design = knn_design(n, k=k, regressors=regressors, design_seed=design_seed)
    common = {"w": design.w, "x": design.x, "beta": _beta_series(beta, design.x), "sigma": sigma}
    if kind == "SAR":
        return SARProcess(**common, rho=rho)
    if kind == "SDM":
        return SDMProcess(**common, rho=rho, theta=tuple(theta or [0.5] * regressors))
    if kind == "SAC":
        return SACProcess(**common, rho=rho, lam=lam)
    return SEMProcess(**common, lam=lam)
