"""Iterative bootstrap bias correction of fixed-effects spatial panels by ML.

``fit(bias_correction="bootstrap", replications=B, seed=s)`` corrects the ML estimates of the
Lee-Yu transformation approach (static or dynamic fixed-effects panels with a spatial lag of
``y``) by the iterative bootstrap of Everaert & Pozzi (2007, J. Econ. Dynamics & Control 31,
s. 3), written there for the non-spatial dynamic panel and applied here to the spatial one (the
analytic alternative is Yu, de Jong & Lee 2008,
:func:`naeringsmiljo.inference.dynamic.bias_correction`).

The corrected estimate ``theta~`` solves ``m(theta~) = theta^``: the mean ``m(theta)`` of the
ML estimates over ``B`` samples simulated from the model at ``theta`` equals the ML estimate
``theta^`` of the data. It targets the whole bias of the estimator at the sample's ``N`` and
``T`` (the Nickell bias of order ``1/T``, its ``O(1/T^2)`` remainder that the analytic
correction leaves, and the ordinary ``O(1/n)`` bias of ML in ``rho`` and ``sigma^2``), not only
its first-order term, to the extent that the simulated process reproduces the bias of the
data's. In a dynamic panel with T = 5 it leaves ``tau`` about 0.016 short
(``benchmarks/results/panel_bootstrap_dynamic.md``). The initial condition explains that
shortfall (``panel_bootstrap_dynamic_stationary.md``, 200 replications): with
``bootstrap_start="stationary"`` the ``tau`` bias goes from -0.014 and -0.024 (entity, two-way
effects) to +0.007 and -0.004 (within 2 MC s.e.), eight of the ten design-parameter cells meet
both the bias and the coverage criterion (``rho`` with entity effects and ``eta`` with two-way
effects stay at +2.1 and +2.8 MC s.e.), and more fits reach the edge of the stable region (in 43
against 15 of the 200 replications). At 1,000 replications
(``panel_bootstrap_dynamic_stationary_1000.md``) the stationary start leaves ``tau`` +0.006 and
+0.005 (3.1 and 2.2 MC s.e.), ``rho`` +0.008 (3.6, entity effects), ``beta`` +0.007 (2.9,
entity) and ``eta`` +0.009 (2.6, two-way): about a tenth of a standard deviation, with
coverage in the binomial band in eight of ten cells. The observed start, which assumes nothing
about the periods before the sample, stays the default.
The samples are drawn from

.. math::

    y_t = (I - \\rho W)^{-1}\\left(\\tau y_{t-1} + \\eta W y_{t-1} + X_t\\beta
          + \\hat\\mu(\\theta) + \\hat\\xi_t(\\theta) + \\sigma z_t\\right),
    \\qquad z_t \\sim N(0, I_N),

conditional on the observed first period (``tau = eta = 0`` for a static panel), or, with
``bootstrap_start="stationary"`` in a dynamic panel, from a first period drawn from the process
at ``theta``: a burn-in of ``BURN_IN = 50`` periods started at the steady-state mean
``((1 - tau) I - (rho + eta) W)^{-1} f_bar``, ``f_bar = mean_t(f_t)`` the mean over the
observed periods of ``f_t``, the period's fixed effects plus the contribution of its exogenous
regressors. The burn-in's shocks are ``f_bar + sqrt(sigma^2 + v) u_s``, ``u_s ~ N(0, I_N)``
drawn after the sample periods' (so these are the same for either start): the innovations plus
the unobserved pre-sample regressors' deviation from each entity's mean, with ``v`` the pooled
within-entity variance of ``x_it' beta``, drawn independently of the sample's regressors as the
pre-sample regressors of the data are. (Cycling the observed ``f_t`` through the burn-in
instead makes ``y_0`` a function of the sample's last regressors, a dependence the data do not
have: in the Monte Carlo it biased ``beta`` upwards by 5 MC s.e.) Started at the mean, the burn-in only has to
accumulate the innovations' covariance, short by a factor ``modulus^100`` of the process's
stability modulus, ``(tau + eta) / (1 - rho)`` with row-standardised ``W`` (2e-15 at the 0.71
of ``tau = 0.4, eta = 0.1, rho = 0.3``, below 1e-6 at 0.87): exact enough, and simpler than
solving the ``N x N`` Lyapunov equation of the stationary covariance. With the observed start,
``y_0`` is fixed across samples and not drawn around the fixed effects at ``theta`` as the
data's is around the true ones; the stationary start removes that difference. Either way the
fixed effects ``mu(theta)``, ``xi_t(theta)`` are those of the data at ``theta``: the part of the
residuals ``y_t - rho W y_t - tau y_{t-1} - eta W y_{t-1} - X_t beta`` that the within
transformation removes. The same draws ``z`` serve every ``theta`` (common random numbers), so
``m`` is a smooth deterministic function and the fixed-point iteration
``theta_{j+1} = theta_j + (theta^ - m(theta_j))`` converges (Everaert & Pozzi 2007, s. 3.2); a
step that leaves the parameter space (an unstable process, ``rho`` outside its interval,
``sigma^2 <= 0``) is halved.

Covariance: ``theta~ = m^{-1}(theta^)``, so by the delta method its covariance is
``J^{-1} V J^{-T}``, with ``V`` the covariance of the bootstrap estimates at ``theta~`` (the
finite-sample covariance of the ML estimator there) and ``J = dm/dtheta`` at ``theta~`` by
forward differences on the common draws (step a tenth of each bootstrap standard error). The
information matrix at either estimate ignores ``J``, whose ``tau`` entry falls short of one by
the slope of the Nickell bias (about ``1/T``): the corrected estimator varies more than the ML
one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from naeringsmiljo.design.panel import FIXED_EFFECTS, PanelDesign, period_product, within
from naeringsmiljo.exceptions import OptionError, SpecificationError
from naeringsmiljo.inference.dynamic import DynamicCoefficients, stability_modulus

__all__ = [
    "BOOTSTRAP_STARTS",
    "BootstrapCorrection",
    "PanelProcess",
    "bootstrap_correction",
    "check_bootstrap",
]

#: Convergence of the fixed point: every ``|theta^ - m(theta)|`` below this fraction of the
#: parameter's bootstrap standard error (1e-3: the correction is then exact to a thousandth of
#: the sampling noise, far below the ``1/sqrt(B)`` Monte Carlo error of ``m`` itself).
FIXED_POINT_TOL = 1e-3
#: Iterations of the fixed point before the correction is reported as not converged (it
#: contracts by the bias's slope, about ``1/T`` for ``tau``: a handful suffice).
MAX_ITERATIONS = 50
#: Forward-difference step of the Jacobian, in bootstrap standard errors of the parameter.
JACOBIAN_STEP = 0.1
#: Fewest replications accepted: the covariance of the bootstrap estimates must be of full rank
#: and its standard errors accurate to about 10%.
MIN_REPLICATIONS = 50

#: The first period of the samples of a dynamic panel: the observed one, or a draw after a
#: burn-in started at the steady-state mean (module docstring).
BOOTSTRAP_STARTS = ("observed", "stationary")
#: Burn-in periods of ``bootstrap_start="stationary"``: started at the steady-state mean, the
#: mean is already right and only the accumulated innovations' covariance is short, by a factor
#: ``modulus^(2 * 50)`` (below 1e-6 at stability modulus 0.87); only near the unit root would it
#: be visibly short.
BURN_IN = 50

#: One fit of a simulated sample: within-transformed ``y`` and ``X`` to the estimates
#: ``(beta, rho, sigma^2)`` in the order of the parameters.
Refit = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BootstrapCorrection:
    """The outcome of the iterative bootstrap correction.

    Attributes
    ----------
    estimate : numpy.ndarray
        The corrected parameters followed by ``sigma^2``.
    cov : numpy.ndarray
        Their covariance ``J^{-1} V J^{-T}`` (module docstring).
    ml : numpy.ndarray
        The ML estimates that were corrected.
    replications, seed : int
        Samples per evaluation of ``m`` and the seed of their draws.
    iterations : int
        Evaluations of ``m`` by the fixed-point iteration.
    converged : bool
        Whether the fixed point was reached within ``MAX_ITERATIONS``.
    outside : bool
        The iteration stopped because every shorter step towards the fixed point left the
        parameter space (an unstable process, ``rho`` at the end of its interval): the fixed
        point lies beyond its edge, and the estimate is the last admissible iterate.
    jacobian : numpy.ndarray
        ``dm/dtheta`` at the corrected estimate.
    """

    estimate: np.ndarray
    cov: np.ndarray
    ml: np.ndarray
    replications: int
    seed: int
    iterations: int
    converged: bool
    jacobian: np.ndarray
    outside: bool = False

    @property
    def label(self) -> str:
        return (
            f"iterative bootstrap (Everaert & Pozzi 2007), B = {self.replications}, "
            f"seed {self.seed}, delta method J^-1 V J^-T"
        )

    @property
    def message(self) -> str:
        state = "converged" if self.converged else "did not converge"
        where = (
            " (its fixed point lies outside the parameter space: an unstable process or rho "
            "beyond its interval; the last admissible iterate is reported)"
            if self.outside
            else ""
        )
        return f"bootstrap bias correction {state} after {self.iterations} iterations{where}"


def check_bootstrap(spec: object, replications: int | None, seed: int | None) -> tuple[int, int]:
    """The replications and seed of a bootstrap correction of ``spec``, or a clear error."""
    if not isinstance(spec, PanelDesign) or spec.effects not in FIXED_EFFECTS:
        effects = getattr(spec, "effects", None)
        raise SpecificationError(
            "bias_correction='bootstrap' corrects fixed-effects panels (effects='entity', "
            f"'time' or 'twoways'); this model has {'no panel' if effects is None else effects!r}"
            " effects."
        )
    if spec.terms.error is not None or spec.terms.combined is not None:
        raise SpecificationError(
            "bias_correction='bootstrap' simulates models with a spatial lag of y (SAR, SDM) "
            "or none (SLX); this model has a spatial error term or combined weights."
        )
    if seed is None:
        raise OptionError(
            "bias_correction='bootstrap' needs an explicit seed= (an int) for its draws.",
            option="seed",
            value=None,
        )
    count = 200 if replications is None else int(replications)
    if count < MIN_REPLICATIONS:
        raise OptionError(
            f"replications={count} is too few for the bootstrap correction; give at least "
            f"{MIN_REPLICATIONS}.",
            option="replications",
            value=count,
        )
    return count, int(seed)


@dataclass(frozen=True)
class PanelProcess:
    """The process of a fixed-effects panel design at given parameters, for simulation.

    ``theta`` is the vector of the design's coefficients (``exog_names``, with ``tau`` and
    ``eta`` of a dynamic panel), ``rho`` when the model has a spatial lag of ``y``, and
    ``sigma^2``.
    """

    spec: PanelDesign
    names: list[str]
    interval: tuple[float, float] | None
    start: str = "observed"

    @property
    def burn_in(self) -> int:
        """Leading burn-in periods of the innovations ``z`` (0 unless a stationary start)."""
        return BURN_IN if self.start == "stationary" and self._lags else 0

    @property
    def _has_rho(self) -> bool:
        return "rho" in self.names

    @property
    def _lags(self) -> dict[str, int]:
        return {n: self.names.index(n) for n in self.spec.dynamic_names}

    def _matrix(self) -> sp.csr_array:
        return (
            self.spec.weights.sparse
            if self.spec.terms.lag is None
            else (self.spec.term_weights("y").sparse)
        )

    def admissible(self, theta: np.ndarray) -> bool:
        """``sigma^2 > 0``, ``rho`` inside its interval and a stable dynamic process."""
        if not theta[-1] > 0 or not np.all(np.isfinite(theta)):
            return False
        if self._has_rho and self.interval is not None:
            low, high = self.interval
            if not low < theta[self.names.index("rho")] < high:
                return False
        if self._lags:
            c = DynamicCoefficients.of(theta[:-1], self.names)
            return bool(stability_modulus(c.tau, c.eta, c.rho, self.spec.weights)[0] < 1.0)
        return True

    def _effects(self, theta: np.ndarray) -> np.ndarray:
        """The fixed effects at ``theta``: what the within transformation removes from the
        residuals of the raw data (stacked by period)."""
        spec, n = self.spec, self.spec.n_units
        k = len(spec.exog_names)
        residual = spec.raw_y - spec.raw_x @ theta[:k]
        if self._has_rho:
            rho = theta[self.names.index("rho")]
            residual = residual - rho * period_product(self._matrix(), spec.raw_y, n)
        return residual - within(residual, n, spec.effects)

    def simulate(self, theta: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The within-transformed outcome (``NT x B``) and regressors (one ``NT x k`` matrix
        per sample) of ``B`` samples at ``theta``; ``z`` holds the ``(burn_in + T) x N x B``
        standard normal innovations, the burn-in's first."""
        spec, n = self.spec, self.spec.n_units
        burn = self.burn_in
        z_burn, z = z[:burn], z[burn:]
        periods, _, count = z.shape
        k = len(spec.exog_names)
        lags = self._lags
        static = [j for j in range(k) if j not in lags.values()]
        fixed = (spec.raw_x[:, static] @ theta[static] + self._effects(theta)).reshape(periods, n)
        rhs = fixed[:, :, None] + np.sqrt(theta[-1]) * z
        matrix = self._matrix()
        if self._has_rho:
            rho = theta[self.names.index("rho")]
            factor = spla.splu(sp.csc_matrix(sp.identity(n) - rho * matrix))

            def solve(v: np.ndarray) -> np.ndarray:
                return np.asarray(factor.solve(v))
        else:

            def solve(v: np.ndarray) -> np.ndarray:
                return v

        if not lags:
            y = solve(rhs.transpose(1, 0, 2).reshape(n, periods * count))
            y_raw = y.reshape(n, periods, count).transpose(1, 0, 2).reshape(periods * n, count)
            return within(y_raw, n, spec.effects), [spec.x] * count
        assert spec.initial_y is not None
        tau = theta[lags["tau"]] if "tau" in lags else 0.0
        eta = theta[lags["eta"]] if "eta" in lags else 0.0
        simulated = np.empty((periods + 1, n, count))
        if burn:
            simulated[0] = self._stationary_start(fixed, z_burn, theta, tau, eta, matrix, solve)
        else:
            simulated[0] = spec.initial_y[:, None]
        for t in range(periods):
            previous = simulated[t]
            simulated[t + 1] = solve(rhs[t] + tau * previous + eta * (matrix @ previous))
        y_raw = simulated[1:].reshape(periods * n, count)
        previous_raw = simulated[:-1].reshape(periods * n, count)
        columns = {
            "tau": within(previous_raw, n, spec.effects),
            "eta": within(period_product(matrix, previous_raw, n), n, spec.effects),
        }
        designs = []
        for b in range(count):
            x = spec.x.copy()
            for name, j in lags.items():
                x[:, j] = columns[name][:, b]
            designs.append(x)
        return within(y_raw, n, spec.effects), designs

    def _stationary_start(
        self,
        fixed: np.ndarray,
        z_burn: np.ndarray,
        theta: np.ndarray,
        tau: float,
        eta: float,
        matrix: sp.csr_array,
        solve: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """The first period (``N x B``) of a stationary start.

        From the steady state ``((1 - tau) I - (rho + eta) W)^{-1} f_bar`` of the mean
        ``f_bar = mean_t(f_t)`` of the fixed effects and the regressors' contribution,
        ``burn_in`` periods of the process with shocks ``f_bar + sqrt(sigma^2 + v) z``: the
        innovations plus the unobserved pre-sample regressors' variation around each entity's
        mean, drawn independently of the sample's regressors with ``v`` their pooled
        within-entity variance (module docstring).
        """
        n = self.spec.n_units
        rho = theta[self.names.index("rho")] if self._has_rho else 0.0
        system = sp.csc_matrix((1.0 - tau) * sp.identity(n) - (rho + eta) * matrix)
        mean_shock = fixed.mean(axis=0)
        steady = spla.spsolve(system, mean_shock)
        current = np.repeat(np.asarray(steady)[:, None], z_burn.shape[2], axis=1)
        scale = np.sqrt(theta[-1] + self._regressor_variance(theta))
        for s in range(z_burn.shape[0]):
            shock = mean_shock[:, None] + scale * z_burn[s]
            current = solve(shock + tau * current + eta * (matrix @ current))
        return current

    def _regressor_variance(self, theta: np.ndarray) -> float:
        """Pooled within-entity variance of the exogenous regressors' contribution ``x'beta``
        (divisor ``N (T - 1)``): the variance of the pre-sample periods' regressor shocks."""
        n = self.spec.n_units
        periods = self.spec.raw_x.shape[0] // n
        lags = set(self._lags.values())
        static = [j for j in range(len(self.spec.exog_names)) if j not in lags]
        contribution = self.spec.raw_x[:, static] @ theta[static]
        deviation = within(contribution, n, "entity")
        return float(deviation @ deviation) / (n * (periods - 1))


def _mean_map(process: PanelProcess, refit: Refit, theta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The ML estimates of the ``B`` samples simulated at ``theta`` (rows)."""
    y, xs = process.simulate(theta, z)
    return np.vstack([refit(y[:, b], xs[b]) for b in range(y.shape[1])])


def bootstrap_correction(
    process: PanelProcess, refit: Refit, ml: np.ndarray, replications: int, seed: int
) -> BootstrapCorrection:
    """The iterative bootstrap correction of the ML estimates ``ml`` (module docstring).

    Parameters
    ----------
    process : PanelProcess
        The design's process, to simulate samples at a parameter vector.
    refit : callable
        The ML estimator applied to a simulated sample (the same likelihood as the data's).
    ml : numpy.ndarray
        The data's ML estimates, parameters followed by ``sigma^2``.
    replications : int
        Samples ``B`` per evaluation of the mean map.
    seed : int
        Seed of the ``T x N x B`` normal draws (``numpy.random.SeedSequence(seed)``), shared
        by every evaluation.
    """
    spec = process.spec
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    z = rng.standard_normal((spec.n_periods, spec.n_units, replications))
    if process.burn_in:
        # drawn after the sample periods' innovations, which stay those of the observed start
        burn = rng.standard_normal((process.burn_in, spec.n_units, replications))
        z = np.concatenate([burn, z])
    theta = ml.copy()
    converged = outside = False
    iterations = 0
    draws = _mean_map(process, refit, theta, z)
    while True:
        iterations += 1
        gap = ml - draws.mean(axis=0)
        scale = draws.std(axis=0, ddof=1)
        if np.all(np.abs(gap) <= FIXED_POINT_TOL * scale):
            converged = True
            break
        if iterations >= MAX_ITERATIONS:
            break
        step = gap
        for _ in range(30):
            if process.admissible(theta + step):
                break
            step = step / 2.0
        else:
            outside = True
            break
        theta = theta + step
        draws = _mean_map(process, refit, theta, z)
    mean = draws.mean(axis=0)
    scale = draws.std(axis=0, ddof=1)
    p = len(theta)
    jacobian = np.eye(p)
    for j in range(p):
        h = JACOBIAN_STEP * scale[j]
        if not h > 0:
            continue
        shifted = theta.copy()
        shifted[j] += h
        if not process.admissible(shifted):
            shifted[j] -= 2.0 * h
            h = -h
        jacobian[:, j] = (_mean_map(process, refit, shifted, z).mean(axis=0) - mean) / h
    v = np.cov(draws, rowvar=False)
    inverse = np.linalg.solve(jacobian, np.eye(p))
    cov = inverse @ v @ inverse.T
    return BootstrapCorrection(
        estimate=theta,
        cov=0.5 * (cov + cov.T),
        ml=ml,
        replications=replications,
        seed=seed,
        iterations=iterations,
        converged=converged,
        jacobian=jacobian,
        outside=outside,
    )
