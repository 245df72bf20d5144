"""Priors and sampler settings of the Bayesian estimators (LeSage & Pace 2009, s. 5.2).

The priors are the conjugate normal-inverse-gamma pair of LeSage's ``sar_g`` and R's
``spatialreg::spBreg_*``, ``beta ~ N(c, T)`` and ``sigma^2 ~ IG(nu, d0)``, independent of each
other, with ``Beta(a, a)`` on the interval of each spatial parameter and, for the
heteroskedastic variant, ``r / v_i ~ chi^2(r)`` independently (LeSage 1997). Every estimator
that samples (the Gaussian models here, the probit and Tobit models beside them) takes the same
:class:`Priors` and :class:`SamplerSettings`, and checks them here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from naeringsmiljo.exceptions import PriorError, SamplerError

#: R-hat above this value is a :class:`~naeringsmiljo.exceptions.MixingWarning` and a line of the
#: summary (Vehtari, Gelman, Simpson, Carpenter & Buerkner 2021 recommend 1.01).
RHAT_THRESHOLD = 1.01


@dataclass(frozen=True)
class Priors:
    """Priors of a Bayesian spatial regression.

    Parameters
    ----------
    beta_mean : float or sequence of float, optional
        ``c``, the prior mean of the coefficients (a scalar applies to every coefficient);
        zero when ``beta_cov`` is given and this is not.
    beta_cov : float or array, optional
        ``T``, the prior covariance of the coefficients: a scalar (``T = t I``), a vector (its
        diagonal) or a ``k x k`` symmetric positive-definite matrix. None (the default) is the
        flat prior, the limit ``T -> infinity`` that R spatialreg approximates by ``1e12 I``
        (which, unlike the flat prior, depends on the units of the regressors).
    sigma2_shape, sigma2_scale : float
        ``nu`` and ``d0`` of ``sigma^2 ~ IG(nu, d0)``, density proportional to
        ``sigma^{-2(nu + 1)} exp(-d0 / sigma^2)``; both zero (the default, R's and LeSage's) give
        the improper ``1 / sigma^2``.
    rho_a : float
        ``a`` of the ``Beta(a, a)`` prior of every spatial parameter, rescaled to its interval
        ``(1/omega_min, 1/omega_max)`` (LeSage & Pace 2009, eq. 5.17); 1 is uniform, LeSage's
        and R's default 1.01 nearly so.
    rho_log_density : callable, optional
        A log prior density of the spatial parameters used instead of the Beta: a function of an
        array of values returning an array of log densities (unnormalised is fine for sampling;
        the log-marginal likelihood needs it normalised on the interval).
    v_r : float
        ``r`` of the prior ``r / v_i ~ chi^2(r)`` of the unit variances of the heteroskedastic
        variant (LeSage 1997; small ``r`` allows fat tails, large ``r`` approaches homoskedastic
        errors; LeSage's default 4).

    Raises
    ------
    PriorError
        When ``beta_cov`` is not symmetric positive definite, or a hyperparameter is out of range.
    """

    beta_mean: float | Sequence[float] | np.ndarray | None = None
    beta_cov: float | Sequence[float] | np.ndarray | None = None
    sigma2_shape: float = 0.0
    sigma2_scale: float = 0.0
    rho_a: float = 1.01
    rho_log_density: Callable[[np.ndarray], np.ndarray] | None = field(default=None, compare=False)
    v_r: float = 4.0

    def __post_init__(self) -> None:
        for name in ("sigma2_shape", "sigma2_scale"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise PriorError(f"Priors.{name} must be finite and >= 0, got {value!r}.", name)
        for name in ("rho_a", "v_r"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise PriorError(f"Priors.{name} must be finite and > 0, got {value!r}.", name)
        if self.beta_mean is not None and self.beta_cov is None:
            raise PriorError(
                "Priors.beta_mean needs beta_cov: the flat prior has no mean.", "beta_mean"
            )
        if self.beta_cov is not None:
            cov = np.asarray(self.beta_cov, dtype=float)
            if cov.ndim == 2:
                _check_positive_definite(cov)
            elif not np.all(np.isfinite(cov)) or np.any(cov <= 0):
                raise PriorError(
                    f"Priors.beta_cov as variances must be finite and > 0, got {cov!r}.",
                    "beta_cov",
                )

    def describe(self) -> str:
        """One line: the prior of each block."""
        beta = (
            "beta flat"
            if self.beta_cov is None
            else f"beta ~ N(c, T) (c = {self.beta_mean if self.beta_mean is not None else 0})"
        )
        sigma = (
            "sigma^2 ~ 1/sigma^2"
            if self.sigma2_shape == 0 and self.sigma2_scale == 0
            else f"sigma^2 ~ IG({self.sigma2_shape:g}, {self.sigma2_scale:g})"
        )
        spatial = (
            "spatial parameters: user log density"
            if self.rho_log_density is not None
            else f"spatial parameters ~ Beta({self.rho_a:g}, {self.rho_a:g}) on their interval"
        )
        return f"{beta}; {sigma}; {spatial}"

    @property
    def flat_beta(self) -> bool:
        """Whether the coefficients have the flat prior."""
        return self.beta_cov is None

    def beta_prior(self, names: Sequence[str]) -> BetaPrior | None:
        """The normal prior of the coefficients ``names``, None when flat.

        Raises
        ------
        PriorError
            When ``beta_mean`` or ``beta_cov`` does not have one entry per coefficient.
        """
        if self.beta_cov is None:
            return None
        k = len(names)
        mean = np.zeros(k) if self.beta_mean is None else np.asarray(self.beta_mean, dtype=float)
        if mean.ndim == 0:
            mean = np.full(k, float(mean))
        if mean.shape != (k,):
            raise PriorError(
                f"Priors.beta_mean has {mean.size} entries; the model has {k} coefficients "
                f"({', '.join(names)}).",
                "beta_mean",
            )
        cov = np.asarray(self.beta_cov, dtype=float)
        if cov.ndim == 0:
            cov = np.full(k, float(cov))
        if cov.ndim == 1:
            cov = np.diag(cov)
        if cov.shape != (k, k):
            raise PriorError(
                f"Priors.beta_cov has shape {cov.shape}; the model has {k} coefficients "
                f"({', '.join(names)}).",
                "beta_cov",
            )
        # The precision's root U (U'U = T^{-1}) from the Cholesky factor T = L L': U = L^{-1}.
        factor = np.linalg.cholesky(cov)
        root = np.linalg.solve(factor, np.eye(k))
        return BetaPrior(mean, cov, root)

    def spatial_log_density(
        self, values: np.ndarray, interval: tuple[float, float]
    ) -> np.ndarray:
        """Log prior density of a spatial parameter at ``values`` in ``interval``.

        ``Beta(a, a)`` rescaled to the interval, normalised (LeSage & Pace 2009, eq. 5.17):
        ``(rho - low)^(a-1) (high - rho)^(a-1) / (B(a, a) (high - low)^(2a-1))``; or
        :attr:`rho_log_density`.
        """
        values = np.asarray(values, dtype=float)
        if self.rho_log_density is not None:
            return np.asarray(self.rho_log_density(values), dtype=float)
        low, high = interval
        a = self.rho_a
        return (
            (a - 1.0) * (np.log(values - low) + np.log(high - values))
            - special.betaln(a, a)
            - (2.0 * a - 1.0) * np.log(high - low)
        )


def _check_positive_definite(cov: np.ndarray) -> None:
    if cov.shape[0] != cov.shape[1] or not np.all(np.isfinite(cov)):
        raise PriorError(
            f"Priors.beta_cov must be a finite square matrix, got shape {cov.shape}.", "beta_cov"
        )
    if not np.allclose(cov, cov.T, rtol=1e-12, atol=0.0):
        raise PriorError("Priors.beta_cov is not symmetric.", "beta_cov")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(cov)[0])
        raise PriorError(
            f"Priors.beta_cov is not positive definite (smallest eigenvalue {smallest:.3g}).",
            "beta_cov",
        ) from None


@dataclass(frozen=True)
class BetaPrior:
    """The normal prior ``N(mean, cov)`` of the coefficients, with ``root`` such that
    ``root' root = cov^{-1}``."""

    mean: np.ndarray
    cov: np.ndarray
    root: np.ndarray


@dataclass(frozen=True)
class SamplerSettings:
    """How many draws a sampler makes, keeps and from which seed.

    ``draws`` counts every iteration of a chain, the first ``burn`` discarded (R spatialreg's
    ``ndraw`` and ``nomit``); every ``thin``-th of the rest is kept. ``chains`` independent
    chains run from the child streams of ``numpy.random.SeedSequence(seed)``.

    Raises
    ------
    SamplerError
        For ``burn >= draws``, fewer than two kept draws, or a non-positive count.
    """

    draws: int
    burn: int
    thin: int = 1
    chains: int = 1
    seed: int | Sequence[int] | None = 0

    def __post_init__(self) -> None:
        for name, low in (("draws", 2), ("burn", 0), ("thin", 1), ("chains", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < low:
                raise SamplerError(f"{name} must be an integer >= {low}, got {value!r}.", name)
        if self.burn >= self.draws:
            raise SamplerError(
                f"burn = {self.burn} discards every one of the draws = {self.draws}; the burn-in "
                "must be smaller than the draws (which count it).",
                "burn",
            )
        if self.kept < 2:
            raise SamplerError(
                f"draws = {self.draws}, burn = {self.burn}, thin = {self.thin} keep "
                f"{self.kept} draw(s) per chain; at least 2 are needed.",
                "thin",
            )
        if self.seed is None:  # fresh entropy, recorded so that the chains can be rerun
            object.__setattr__(self, "seed", int(np.random.SeedSequence().entropy))  # type: ignore[arg-type]

    @property
    def kept(self) -> int:
        """Draws kept per chain."""
        return len(range(self.burn, self.draws, self.thin))

    def chain_streams(self) -> list[np.random.SeedSequence]:
        """One independent seed sequence per chain."""
        return list(np.random.SeedSequence(self.seed).spawn(self.chains))

    def recorded_seed(self) -> int | tuple[int, ...]:
        """The seed as passed (the fresh entropy drawn when None was passed)."""
        if isinstance(self.seed, int | np.integer):
            return int(self.seed)
        return tuple(int(s) for s in self.seed or ())
