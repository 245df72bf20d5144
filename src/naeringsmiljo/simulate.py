"""A seeded generator of a milieu economy on the 356 Norwegian municipalities (2020-2023).

:func:`simulate_milieu` places actors (firms, knowledge institutions, public bodies) in the
municipalities, gives them industries with regional specialisation, lets them form collaborations
whose probability decays with distance, computes region-level milieu measures from these
microdata, and draws a regional innovation outcome from a spatial-lag process with known
parameters

.. math::

    y = (I - \\rho W)^{-1} (X \\beta + \\varepsilon), \\qquad
    \\varepsilon \\sim N(0, \\sigma^2 I),

so that estimators can be checked against the truth (the data-generating process of the spatial
lag model, LeSage & Pace 2009, eq. 2.3). A second outcome, ``innovations_mixed``, is drawn from
the same model with a convex combination of the geographic ``W`` and the collaboration network
between the municipalities (Debarsy & LeSage 2018),

.. math::

    y_{mix} = (I - \\rho_{mix} W_c)^{-1} (X \\beta + \\varepsilon_{mix}), \\qquad
    W_c = \\gamma W_{geo} + (1 - \\gamma) W_{collab},

so that the weight of geography against collaboration, ``gamma``, can be estimated and checked.
Every draw of the microdata and of ``innovations`` comes from one ``numpy.random.Generator``
seeded by the ``seed`` argument, in a fixed order; ``eps_mix`` comes from a stream of its own
derived from the same seed (:data:`MIXED_STREAM`). The same seed and arguments give identical
frames.

The microdata follow the package's actor/tie schema:

- actors: ``actor_id`` (int, unique), ``region`` (4-digit municipality code), ``actor_type``
  (``"firm"``, ``"knowledge"``, ``"public"``), ``industry`` (SN2007/NACE code such as
  ``"62.010"``), ``size`` (employment), ``x``, ``y`` (EPSG:25833 metres);
- ties: ``actor_a`` (the actor that sought the tie), ``actor_b``, ``start``, ``end`` (years,
  ``start <= end``), ``formal`` (bool), ``kind`` (``"value_chain"``, ``"joint_activity"``,
  ``"innovation_project"``). Ties are undirected; the order of the two actors carries no meaning
  in the measures.

Nothing here is calibrated to Norwegian registers: the municipalities' masses are random draws,
not their populations. The generator is a test bed for the measures and estimators.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo import measures
from naeringsmiljo.datasets.norway import norway_municipalities, norway_weights
from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.weights.builders import collaboration_weights
from naeringsmiljo.weights.spatial_weights import SpatialWeights

ActorType = Literal["firm", "knowledge", "public"]
TieKind = Literal["value_chain", "joint_activity", "innovation_project"]

ACTOR_TYPES: tuple[ActorType, ...] = ("firm", "knowledge", "public")
TIE_KINDS: tuple[TieKind, ...] = ("value_chain", "joint_activity", "innovation_project")

#: Region-level regressors of the outcome equation, in the order of :attr:`SimulatedMilieu.design`.
MEASURES: tuple[str, ...] = ("log_actors", "local_share", "related_variety", "unrelated_variety")

#: The two matrices of the mixed outcome, in the order of :attr:`ConvexLagParameters.gamma`.
CHANNELS: tuple[str, ...] = ("geo", "collab")

#: Second entropy word of the seed of the mixed outcome's stream,
#: ``SeedSequence([seed, MIXED_STREAM])``: distinct from the main stream ``SeedSequence(seed)``
#: and from its children, and non-zero (``SeedSequence([seed, 0])`` equals ``SeedSequence(seed)``,
#: since the entropy is padded with zeros).
MIXED_STREAM: int = zlib.crc32(b"innovations_mixed")

#: Second entropy word of the seed of the firms' innovation flag, ``SeedSequence([seed,
#: INNOVATED_STREAM])``: its own stream, so that adding the flag changed no earlier draw.
INNOVATED_STREAM: int = zlib.crc32(b"innovated")

#: True coefficients of the firms' innovation probit (latent index per firm): the firm's log
#: employment and two milieu measures of its municipality.
DEFAULT_FIRM_BETA: Mapping[str, float] = {
    "Intercept": -1.0,
    "log_size": 0.3,
    "local_share": 0.8,
    "related_variety": 0.6,
}
#: Second entropy word of the seed of the panel's stream, ``SeedSequence([seed, PANEL_STREAM])``:
#: the entry and exit of actors, the fixed effects and the innovations of the panel outcome are
#: drawn from it, so that asking for the panel leaves every other draw as it was.
PANEL_STREAM: int = zlib.crc32(b"innovations_panel")

#: Default coefficients of the outcome equation (the outcome is a log rate per 1,000 employees).
DEFAULT_BETA: Mapping[str, float] = {
    "Intercept": -1.0,
    "log_actors": 0.5,
    "local_share": 1.0,
    "related_variety": 0.5,
    "unrelated_variety": 0.3,
}


@dataclass(frozen=True)
class IndustryGroup:
    """A 2-digit SN2007 (NACE Rev. 2) division and the 5-digit sub-industries drawn within it.

    Attributes
    ----------
    code : str
        Two-digit division, e.g. ``"62"``.
    label : str
        Short English description.
    actor_type : {"firm", "knowledge", "public"}
        The type of actor that belongs to this division.
    weight : float
        National share of the division among actors of its type (before specialisation).
    subindustries : tuple of str
        Five-digit codes (``"62.010"``); drawn with region-specific shares around equal ones.
    """

    code: str
    label: str
    actor_type: ActorType
    weight: float
    subindustries: tuple[str, ...]


#: The industry hierarchy of the simulation. Codes follow the format and, as far as they go, the
#: divisions of Statistics Norway's SN2007 (NACE Rev. 2 with a fifth national digit); the
#: simulation uses only the hierarchy, not the meaning of the codes.
INDUSTRIES: tuple[IndustryGroup, ...] = (
    IndustryGroup("03", "fishing and aquaculture", "firm", 0.06, ("03.111", "03.211", "03.212")),
    IndustryGroup("06", "oil and gas extraction", "firm", 0.01, ("06.100", "06.200")),
    IndustryGroup("09", "oil and gas support services", "firm", 0.02, ("09.101", "09.109")),
    IndustryGroup("10", "food products", "firm", 0.04, ("10.110", "10.209", "10.710")),
    IndustryGroup("25", "fabricated metal products", "firm", 0.05, ("25.110", "25.620")),
    IndustryGroup("28", "machinery", "firm", 0.03, ("28.220", "28.290")),
    IndustryGroup("30", "ships and other transport equipment", "firm", 0.02, ("30.111", "30.120")),
    IndustryGroup("41", "construction of buildings", "firm", 0.14, ("41.200",)),
    IndustryGroup("46", "wholesale trade", "firm", 0.10, ("46.690", "46.900")),
    IndustryGroup("47", "retail trade", "firm", 0.16, ("47.111", "47.710")),
    IndustryGroup("55", "accommodation", "firm", 0.05, ("55.101", "55.102")),
    IndustryGroup("62", "computer programming and consultancy", "firm", 0.10,
                  ("62.010", "62.020", "62.030", "62.090")),
    IndustryGroup("70", "management consultancy", "firm", 0.08, ("70.220",)),
    IndustryGroup("71", "architecture and engineering", "firm", 0.14,
                  ("71.111", "71.121", "71.129")),
    IndustryGroup("72", "research and development", "knowledge", 0.6,
                  ("72.110", "72.190", "72.200")),
    IndustryGroup("85", "higher education", "knowledge", 0.4, ("85.421", "85.422")),
    IndustryGroup("84", "public administration", "public", 0.7, ("84.110", "84.120", "84.130")),
    IndustryGroup("86", "health services", "public", 0.3, ("86.101", "86.211")),
)  # fmt: skip

#: Probabilities of the three kinds of tie (value chain, joint activity, innovation project) by
#: whether the tie is formal and whether a knowledge actor takes part: formal ties with knowledge
#: actors are mostly projects, formal business ties mostly supply contracts, informal ties mostly
#: joint activities (networks, shared facilities, events).
KIND_PROBABILITIES: Mapping[tuple[bool, bool], tuple[float, float, float]] = {
    (True, True): (0.10, 0.10, 0.80),
    (True, False): (0.60, 0.10, 0.30),
    (False, True): (0.10, 0.60, 0.30),
    (False, False): (0.35, 0.60, 0.05),
}


@dataclass(frozen=True)
class MilieuSettings:
    """The behavioural parameters of the micro level (all documented defaults).

    Attributes
    ----------
    type_shares : tuple of float
        Probabilities that an actor is a firm, a knowledge institution or a public body.
    mass_sigma : float
        Municipality mass ``m_r = exp(sigma z_r)``, ``z_r ~ N(0, 1)``: a heavy-tailed population
        proxy. Actors per municipality are ``min_actors`` plus a multinomial share of the rest
        with probabilities proportional to ``m_r``.
    min_actors : int
        Actors in every municipality at least (at least 2, so that local partners exist).
    spread : float
        Actors lie uniformly in a disc around the municipality's point with radius
        ``spread * sqrt(area / pi)`` (the disc of the municipality's area, shrunk).
    specialisation : float
        Standard deviation ``tau`` of the log-odds by which a municipality favours a division.
    specialisation_rho : float
        Spatial autocorrelation ``psi`` of those log-odds: for each division,
        ``eta = (I - psi W)^{-1} e`` with ``e ~ N(0, I)``, rescaled to standard deviation ``tau``,
        so neighbouring municipalities share specialisations.
    subindustry_concentration : float
        Dirichlet concentration of the sub-industry shares within a division in each
        municipality (``alpha`` times equal shares); small values give low related variety.
    size_lognormal : tuple of (float, float)
        ``(mu, sigma)`` of the log-normal employment of firms, knowledge and public actors;
        employment is ``1 + floor`` of the draw (whole persons, at least one).
    tie_rate : float
        Mean number of ties an average actor seeks over the whole period.
    activity : tuple of float
        Relative propensity of firms, knowledge and public actors to seek ties.
    size_elasticity : float
        Seeking and attracting ties scale with ``size ** size_elasticity``.
    affinity : tuple of tuple of float
        Relative attraction of a partner type (columns: firm, knowledge, public) for a seeker
        type (rows).
    decay_km : float
        Length of the exponential distance decay of partner choice: a partner municipality at
        distance ``d`` is chosen with probability proportional to its actors times
        ``exp(-d / decay_km) + long_range``, times ``home_bias`` for the seeker's own.
    long_range : float
        Distance-independent part of partner choice (the national and global pipelines).
    home_bias : float
        Extra attraction of the seeker's own municipality (shared meeting places and
        institutions of the local milieu).
    formal_logit : tuple of float
        ``(a, b, c)``: a tie is formal with probability
        ``logistic(a + b ln(1 + d / 10 km) + c [a knowledge actor takes part])``, ``d`` the
        distance between the two actors; distant ties are mostly formal.
    persistence_local : float
        Probability that an informal tie within a municipality lasts one more year (mean
        duration ``1 / (1 - p)`` years): local milieus keep their informal ties for years.
    persistence_distant : float
        The same for informal ties between municipalities.
    project_years : float
        Formal ties last ``1 + Poisson(project_years)`` years (projects and contracts).
    """

    type_shares: tuple[float, float, float] = (0.85, 0.04, 0.11)
    mass_sigma: float = 1.2
    min_actors: int = 5
    spread: float = 0.5
    specialisation: float = 1.0
    specialisation_rho: float = 0.7
    subindustry_concentration: float = 2.0
    size_lognormal: tuple[tuple[float, float], ...] = ((1.0, 1.3), (3.5, 1.0), (3.0, 1.2))
    tie_rate: float = 1.5
    activity: tuple[float, float, float] = (1.0, 3.0, 1.5)
    size_elasticity: float = 0.25
    affinity: tuple[tuple[float, float, float], ...] = (
        (1.0, 2.0, 0.7),
        (2.0, 1.0, 1.0),
        (0.7, 1.0, 0.5),
    )
    decay_km: float = 25.0
    long_range: float = 0.002
    home_bias: float = 2.0
    formal_logit: tuple[float, float, float] = (-1.5, 1.0, 0.5)
    persistence_local: float = 0.8
    persistence_distant: float = 0.5
    project_years: float = 1.0

    def __post_init__(self) -> None:
        if not np.isclose(sum(self.type_shares), 1.0) or min(self.type_shares) < 0:
            raise SpecificationError(
                f"type_shares must be probabilities summing to 1: {self.type_shares}"
            )
        if self.min_actors < 2:
            raise SpecificationError(f"min_actors must be at least 2, got {self.min_actors}.")
        for name in ("persistence_local", "persistence_distant"):
            if not 0 <= getattr(self, name) < 1:
                raise SpecificationError(f"{name} must lie in [0, 1), got {getattr(self, name)}.")
        if not -1 < self.specialisation_rho < 1:
            raise SpecificationError(
                f"specialisation_rho must lie in (-1, 1): {self.specialisation_rho}"
            )
        if self.decay_km <= 0 or self.home_bias <= 0:
            raise SpecificationError("decay_km and home_bias must be positive.")
        if self.long_range < 0 or self.tie_rate < 0:
            raise SpecificationError("long_range and tie_rate must be non-negative.")


@dataclass(frozen=True)
class SpatialLagParameters:
    """True parameters of the outcome equation ``y = (I - rho W)^{-1} (X beta + eps)``.

    Attributes
    ----------
    rho : float
        Spatial autoregressive parameter.
    beta : pandas.Series
        Coefficients, indexed by the columns of the design (``Intercept`` and :data:`MEASURES`).
    sigma : float
        Standard deviation of the innovations ``eps``.
    """

    rho: float
    beta: pd.Series
    sigma: float


@dataclass(frozen=True)
class ConvexLagParameters:
    """True parameters of the mixed outcome, a spatial lag of a convex combination of weights.

    .. math::

        y = (I - \\rho W_c)^{-1} (X \\beta + \\varepsilon), \\qquad
        W_c = \\gamma W_{geo} + (1 - \\gamma) W_{collab},

    the convex combination of connectivity structures of Debarsy & LeSage (2018).

    Attributes
    ----------
    rho : float
        Spatial autoregressive parameter of ``W_c``.
    gamma : pandas.Series
        Weights of the matrices, indexed by :data:`CHANNELS` (``geo``, ``collab``): non-negative,
        summing to one.
    beta : pandas.Series
        Coefficients, indexed by the columns of the design.
    sigma : float
        Standard deviation of the innovations.
    """

    rho: float
    gamma: pd.Series
    beta: pd.Series
    sigma: float


@dataclass(frozen=True)
class RegionalEffectParameters:
    """True parameters of the firms' innovation flag (Smith & LeSage 2004).

    ``innovated_i = 1(x_i' beta + theta_{r(i)} + e_i > 0)``, ``e_i ~ N(0, 1)``, with regional
    effects ``theta = (I - rho W)^{-1} u``, ``u ~ N(0, sigma_theta^2 I)`` over the
    municipalities.

    Attributes
    ----------
    beta : pandas.Series
        Coefficients of ``Intercept``, ``log_size`` and the municipality's ``local_share`` and
        ``related_variety``.
    rho : float
        Spatial autoregressive parameter of the regional effects.
    sigma_theta : float
        Standard deviation of ``u``.
    theta : pandas.Series
        The regional effects drawn, by municipality code.
    """

    beta: pd.Series
    rho: float
    sigma_theta: float
    theta: pd.Series


@dataclass(frozen=True)
class PanelSettings:
    """The years of the milieu: entry and exit of actors and the panel outcome's parameters.

    The outcome of the panel is a two-way fixed-effects spatial Durbin model over the years of
    ``simulate_milieu``'s ``years`` (Elhorst 2014, eq. 3.1 with ``W X theta``),

    .. math::

        y_t = \\rho W y_t + X_t \\beta + W X_t \\theta + \\mu + \\xi_t \\iota
              + \\varepsilon_t, \\qquad \\varepsilon_t \\sim N(0, \\sigma^2 I),

    with ``X_t`` the milieu measures (:data:`MEASURES`) of year ``t``, computed from the actors
    present and the ties active in that year.

    Attributes
    ----------
    entry_share : float
        Share of the actors that enter after the first year (in a year drawn uniformly among the
        later ones); the others are present from the first year.
    exit_rate : float
        Yearly probability that a present actor exits after its first year (a geometric
        lifetime); an actor that exits is absent from the next year on.
    incumbents : int
        The first ``incumbents`` actors of each municipality (by ``actor_id``) are present in
        every year, so that no municipality is ever empty (at most ``min_actors``).
    rho : float
        True spatial autoregressive parameter, in (-1, 1).
    beta, theta : mapping of str to float, optional
        True coefficients of :data:`MEASURES` and of their spatial lags (``W_<measure>``);
        :data:`DEFAULT_PANEL_BETA` and :data:`DEFAULT_PANEL_THETA` when omitted.
    sigma : float
        Standard deviation of the innovations.
    region_sd : float
        Standard deviation of the part of the region effects ``mu`` independent of the design.
    region_loading : float
        The region effects load on the municipality's mean ``log_actors`` over the years
        (standardised), so that they are correlated with the regressors: fixed, not random,
        effects.
    year_trend, year_sd : float
        The year effects ``xi_t`` are a linear trend (per year, centred) plus normal shocks.
    """

    entry_share: float = 0.15
    exit_rate: float = 0.03
    incumbents: int = 2
    rho: float = 0.3
    beta: Mapping[str, float] | None = None
    theta: Mapping[str, float] | None = None
    sigma: float = 0.2
    region_sd: float = 0.3
    region_loading: float = 0.3
    year_trend: float = 0.05
    year_sd: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.entry_share < 1 or not 0 <= self.exit_rate < 1:
            raise SpecificationError(
                f"entry_share and exit_rate must lie in [0, 1), got {self.entry_share} and "
                f"{self.exit_rate}."
            )
        if self.incumbents < 1:
            raise SpecificationError(f"incumbents must be at least 1, got {self.incumbents}.")
        if not -1.0 < self.rho < 1.0:
            raise ParameterSpaceError(
                f"panel rho = {self.rho} must lie in (-1, 1) for the row-standardised W."
            )
        if not self.sigma > 0 or self.region_sd < 0 or self.year_sd < 0:
            raise SpecificationError("sigma must be positive, region_sd and year_sd >= 0.")
        for name, values in (("beta", self.beta), ("theta", self.theta)):
            if values is not None and set(values) != set(MEASURES):
                raise SpecificationError(
                    f"panel {name} needs exactly the coefficients {list(MEASURES)}, got "
                    f"{sorted(values)}."
                )


#: Default coefficients of the measures in the panel outcome.
DEFAULT_PANEL_BETA: Mapping[str, float] = {
    "log_actors": 0.5,
    "local_share": 1.0,
    "related_variety": 0.5,
    "unrelated_variety": 0.3,
}

#: Default coefficients of the spatial lags of the measures in the panel outcome.
DEFAULT_PANEL_THETA: Mapping[str, float] = {
    "log_actors": -0.2,
    "local_share": 0.5,
    "related_variety": 0.3,
    "unrelated_variety": 0.0,
}


@dataclass(frozen=True)
class PanelSDMParameters:
    """True parameters of the panel outcome, a two-way fixed-effects spatial Durbin model.

    Attributes
    ----------
    rho : float
        Spatial autoregressive parameter.
    beta : pandas.Series
        Coefficients of :data:`MEASURES`.
    theta : pandas.Series
        Coefficients of their spatial lags, indexed ``W_<measure>`` (the names of the package's
        SDM).
    sigma : float
        Standard deviation of the innovations.
    region_effects : pandas.Series
        ``mu``, indexed by municipality code.
    year_effects : pandas.Series
        ``xi_t``, indexed by year.
    """

    rho: float
    beta: pd.Series
    theta: pd.Series
    sigma: float
    region_effects: pd.Series
    year_effects: pd.Series

    def impacts(self, weights: SpatialWeights) -> pd.DataFrame:
        """The true direct, indirect and total impacts of the measures (LeSage & Pace 2009).

        With ``S_k = (I - rho W)^{-1} (beta_k I + theta_k W)``: direct ``tr(S_k) / N``, total
        ``(beta_k + theta_k) / (1 - rho)`` (W row-standardised), indirect the difference. The
        traces come from the eigenvalues of ``W`` (dense; the 356 municipalities).
        """
        eig = np.linalg.eigvals(weights.sparse.toarray())
        multiplier = 1.0 / (1.0 - self.rho * eig)
        rows = {}
        for name in MEASURES:
            b, t = float(self.beta[name]), float(self.theta[f"W_{name}"])
            direct = float(np.real(np.sum(multiplier * (b + t * eig)))) / weights.n
            total = (b + t) / (1.0 - self.rho)
            rows[name] = {"direct": direct, "indirect": total - direct, "total": total}
        return pd.DataFrame.from_dict(rows, orient="index")


@dataclass(frozen=True, eq=False)
class SimulatedMilieu:
    """A simulated milieu economy and the truth behind its outcome.

    Attributes
    ----------
    actors : pandas.DataFrame
        One row per actor (schema in the module docstring).
    ties : pandas.DataFrame
        One row per collaboration (schema in the module docstring).
    outcomes : pandas.DataFrame
        One row per municipality, sorted by ``region``: ``innovations`` (the spatial-lag outcome,
        the log of the expected number of innovations per 1,000 employees), ``innovation_count``
        (Poisson with mean ``employment / 1000 * exp(innovations)``), ``employment``,
        ``n_actors``, ``n_ties`` (ties touching the municipality) and the
        measures of :attr:`design`.
    actor_outcomes : pandas.DataFrame or None
        ``actor_id``, ``innovations``: each municipality's ``innovation_count``
        allocated to its actors (multinomial, probabilities proportional to employment, doubled
        for knowledge actors).
    weights : SpatialWeights
        The row-standardised ``W`` of the outcome equation (ids = municipality codes).
    params : SpatialLagParameters
        The true ``rho``, ``beta`` and ``sigma``.
    seed : int
        The seed the data were drawn with.
    design : pandas.DataFrame
        The region-level ``X`` of the outcome equation, indexed by municipality code in the
        order of ``weights.ids``: ``Intercept`` and :data:`MEASURES`.
    settings : MilieuSettings
        The micro-level parameters used.
    years : tuple of int
        First and last year of the period.
    collaboration_weights : SpatialWeights or None
        The row-standardised collaboration network of the mixed outcome (ids as ``weights``;
        see :func:`collaboration_network`).
    mixed_params : ConvexLagParameters or None
        The true ``rho``, ``gamma``, ``beta`` and ``sigma`` of ``innovations_mixed``.
    firms : pandas.DataFrame or None
        One row per firm: ``actor_id``, ``region``, ``log_size`` (log employment), the
        municipality's ``local_share`` and ``related_variety``, and ``innovated`` (0/1, whether
        the firm introduced a new product), drawn by :func:`draw_firm_innovation`.
    firm_params : RegionalEffectParameters or None
        The truth behind ``innovated``.
    panel : pandas.DataFrame or None
        With ``panel=`` settings: one row per municipality and year, indexed by
        (``region``, ``year``) in the order of the municipalities and then the years:
        ``innovations`` (the panel outcome), ``n_actors`` (present that year), ``n_ties``
        (active ties touching the municipality) and the measures of :data:`MEASURES` of that
        year.
    presence : pandas.DataFrame or None
        With ``panel=``: ``actor_id``, ``entry`` and ``exit`` (first and last year present).
    panel_params : PanelSDMParameters or None
        With ``panel=``: the true two-way fixed-effects SDM of the panel outcome.
    """

    actors: pd.DataFrame
    ties: pd.DataFrame
    outcomes: pd.DataFrame
    actor_outcomes: pd.DataFrame | None
    weights: SpatialWeights
    params: SpatialLagParameters
    seed: int
    design: pd.DataFrame
    settings: MilieuSettings
    years: tuple[int, int]
    collaboration_weights: SpatialWeights | None = None
    mixed_params: ConvexLagParameters | None = None
    firms: pd.DataFrame | None = None
    firm_params: RegionalEffectParameters | None = None
    panel: pd.DataFrame | None = None
    presence: pd.DataFrame | None = None
    panel_params: PanelSDMParameters | None = None

    @property
    def firm_formula(self) -> str:
        """The formula of the firms' innovation probit, for ``RegionalProbit.from_formula``."""
        return "innovated ~ log_size + local_share + related_variety"

    @property
    def formula(self) -> str:
        """The formula of the true model, e.g. for ``SAR.from_formula``."""
        return "innovations ~ " + " + ".join(MEASURES)

    @property
    def mixed_formula(self) -> str:
        """The formula of the mixed outcome's model."""
        return "innovations_mixed ~ " + " + ".join(MEASURES)

    @property
    def panel_formula(self) -> str:
        """The formula of the panel outcome's model, for ``SDM.from_formula(..., effects=...)``."""
        return "innovations ~ " + " + ".join(MEASURES)

    @property
    def mixed_weights(self) -> dict[str, SpatialWeights]:
        """The matrices of the mixed outcome by name, for ``SAR.from_formula(..., w=...)``."""
        if self.collaboration_weights is None:
            raise SpecificationError("This simulation has no mixed outcome.")
        return {"geo": self.weights, "collab": self.collaboration_weights}


def simulate_milieu(
    seed: int,
    *,
    n_actors: int = 20_000,
    years: tuple[int, int] = (2015, 2022),
    rho: float = 0.4,
    beta: Mapping[str, float] | None = None,
    sigma: float = 0.5,
    k: int = 6,
    settings: MilieuSettings | None = None,
    allocate_to_actors: bool = True,
    mixed_rho: float = 0.6,
    mixed_gamma: float = 0.6,
    firm_rho: float = 0.6,
    firm_sigma_theta: float = 0.5,
    panel: PanelSettings | None = None,
) -> SimulatedMilieu:
    """Simulate actors, ties and a spatial-lag innovation outcome on the Norwegian municipalities.

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator`` behind every draw (no global state is used).
    n_actors : int, default 20,000
        Number of actors.
    years : (int, int), default (2015, 2022)
        First and last year in which ties can be active.
    rho : float, default 0.4
        True spatial autoregressive parameter, in (-1, 1).
    beta : mapping, optional
        True coefficients of ``Intercept`` and each of :data:`MEASURES`; :data:`DEFAULT_BETA` when
        omitted.
    sigma : float, default 0.5
        Standard deviation of the innovations of the outcome equation.
    k : int, default 6
        ``W`` of the outcome equation (and of the specialisation field) is the row-standardised
        ``k``-nearest-neighbour matrix of the municipalities' points.
    settings : MilieuSettings, optional
        Micro-level parameters (defaults documented in :class:`MilieuSettings`).
    allocate_to_actors : bool, default True
        Also allocate the regional innovation counts to actors.
    mixed_rho : float, default 0.6
        True spatial autoregressive parameter of ``innovations_mixed``, in (-1, 1).
    mixed_gamma : float, default 0.6
        True weight of the geographic ``W`` in the combination of ``innovations_mixed``, in
        [0, 1]; the collaboration network gets ``1 - mixed_gamma``.
    firm_rho : float, default 0.6
        True spatial autoregressive parameter of the firms' regional effects, in (-1, 1).
    firm_sigma_theta : float, default 0.5
        Standard deviation of the innovations of the firms' regional effects.
    panel : PanelSettings, optional
        Also follow the milieu over every year of ``years`` (step 6 below): actors enter and
        exit, ties are active in their years, and a panel outcome is drawn from a two-way
        fixed-effects spatial Durbin model. ``None`` (the default) draws nothing of it.

    Returns
    -------
    SimulatedMilieu

    Notes
    -----
    The steps, each drawing from the same generator in this order:

    1. municipality masses and actor counts; actor types, industries (specialised), sizes and
       coordinates;
    2. ties: each actor seeks ``Poisson(tie_rate * activity * size^e / mean)`` partners; a
       partner municipality is chosen by distance-decayed gravity, a partner actor in it by
       size and type affinity; the tie's formality rises with distance, its kind depends on
       formality and the partners' types, its start is uniform over the years and its duration
       depends on formality and locality;
    3. the measures of :data:`MEASURES` for every municipality, computed from the microdata
       with :mod:`naeringsmiljo.measures` (:func:`milieu_design`): ``log_actors`` (log number
       of actors: co-location), ``local_share`` (share of the ties touching the municipality
       that stay within it; 0 without ties), ``related_variety`` and ``unrelated_variety``
       (Frenken, Van Oort & Verburg 2007, in bits, over the employment of firms by 5-digit
       industry within and across 2-digit divisions; 0 without firms);
    4. ``y = (I - rho W)^{-1} (X beta + eps)`` with ``eps ~ N(0, sigma^2 I)``
       (:func:`draw_spatial_lag`), the innovation counts and their allocation to actors;
    5. from the stream ``SeedSequence([seed, MIXED_STREAM])``, the mixed outcome
       ``innovations_mixed = (I - mixed_rho W_c)^{-1} (X beta + eps_mix)`` with
       ``W_c = mixed_gamma W + (1 - mixed_gamma) W_collab`` (Debarsy & LeSage 2018), ``W_collab``
       the row-standardised collaboration network of :func:`collaboration_network`. Its own
       stream leaves every draw of steps 1-4 as it was without the mixed outcome, whatever
       ``allocate_to_actors``;
    6. from the stream ``SeedSequence([seed, INNOVATED_STREAM])``, each firm's ``innovated``
       flag (:func:`draw_firm_innovation`), equally independent of the earlier draws.
    7. with ``panel=``, from the stream ``SeedSequence([seed, PANEL_STREAM])``: each actor's
       entry and exit years (:func:`draw_presence`); each year's measures from the actors
       present and the ties active (both actors present, ``start <= year <= end``:
       ties persist over their years) (:func:`milieu_panel`); region and year effects and
       the outcome ``y_t = (I - rho W)^{-1} (X_t beta + W X_t theta + mu + xi_t + eps_t)``
       (:func:`draw_panel_sdm`). Steps 1-6 are unchanged by it.

    Examples
    --------
    >>> from naeringsmiljo.simulate import simulate_milieu
    >>> sim = simulate_milieu(seed=1, n_actors=3000)
    >>> sim.actors.shape[0], sim.outcomes.shape[0], sim.params.rho
    (3000, 356, 0.4)
    >>> sim.mixed_params.gamma.to_dict()
    {'geo': 0.6, 'collab': 0.4}
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SpecificationError(f"seed must be a non-negative integer, got {seed!r}.")
    settings = MilieuSettings() if settings is None else settings
    first, last = (int(y) for y in years)
    if first > last:
        raise SpecificationError(f"years must be (first, last) with first <= last, got {years}.")
    regions = norway_municipalities()
    if n_actors < settings.min_actors * len(regions):
        raise SpecificationError(
            f"n_actors = {n_actors} is below min_actors * municipalities = "
            f"{settings.min_actors * len(regions)}."
        )
    weights = norway_weights("knn", k=k).row_standardize()
    params = _true_parameters(rho, beta, sigma)
    mixed_params = _mixed_parameters(mixed_rho, mixed_gamma, params)

    rng = np.random.default_rng(int(seed))
    actors = _draw_actors(rng, regions, weights, n_actors, settings)
    ties = _draw_ties(rng, actors, regions, (first, last), settings)
    design = milieu_design(actors, ties, regions.index)
    innovations = draw_spatial_lag(design, weights, params, rng)

    employment = actors.groupby("region")["size"].sum().reindex(regions.index, fill_value=0.0)
    counts = rng.poisson(employment.to_numpy() / 1000.0 * np.exp(innovations.to_numpy()))
    n_ties = measures.collaboration(actors, ties)["n_ties"].reindex(regions.index, fill_value=0)
    outcomes = pd.DataFrame(
        {
            "region": regions.index.to_numpy(),
            "innovations": innovations.to_numpy(),
            "innovation_count": counts.astype(np.int64),
            "employment": employment.to_numpy(),
            "n_actors": actors.groupby("region").size().reindex(regions.index).to_numpy(),
            "n_ties": n_ties.to_numpy(dtype=np.int64),
        }
    )
    for name in MEASURES:
        outcomes[name] = design[name].to_numpy()
    actor_outcomes = (
        _allocate(rng, actors, pd.Series(counts, index=regions.index))
        if allocate_to_actors
        else None
    )

    collaboration = collaboration_network(actors, ties, weights)
    mixed = draw_convex_lag(
        design,
        {"geo": weights, "collab": collaboration},
        mixed_params,
        np.random.default_rng(np.random.SeedSequence([int(seed), MIXED_STREAM])),
    )
    outcomes["innovations_mixed"] = mixed.to_numpy()
    if not -1.0 < firm_rho < 1.0:
        raise ParameterSpaceError(f"firm_rho = {firm_rho} must lie in (-1, 1).")
    if not firm_sigma_theta > 0:
        raise SpecificationError(f"firm_sigma_theta must be positive, got {firm_sigma_theta}.")
    firms, firm_params = draw_firm_innovation(
        actors,
        design,
        weights,
        pd.Series(DEFAULT_FIRM_BETA, name="beta"),
        firm_rho,
        firm_sigma_theta,
        np.random.default_rng(np.random.SeedSequence([int(seed), INNOVATED_STREAM])),
    )
    panel_frame = presence = panel_params = None
    if panel is not None:
        panel_rng = np.random.default_rng(np.random.SeedSequence([int(seed), PANEL_STREAM]))
        presence = draw_presence(panel_rng, actors, (first, last), panel)
        panel_frame = milieu_panel(actors, ties, presence, regions.index)
        panel_params = _panel_parameters(panel_rng, panel_frame, panel)
        panel_frame.insert(
            0, "innovations", draw_panel_sdm(panel_frame, weights, panel_params, panel_rng)
        )
    return SimulatedMilieu(
        actors=actors,
        ties=ties,
        outcomes=outcomes,
        actor_outcomes=actor_outcomes,
        weights=weights,
        params=params,
        seed=int(seed),
        design=design,
        settings=settings,
        years=(first, last),
        collaboration_weights=collaboration,
        mixed_params=mixed_params,
        firms=firms,
        firm_params=firm_params,
        panel=panel_frame,
        presence=presence,
        panel_params=panel_params,
    )


def draw_spatial_lag(
    design: pd.DataFrame,
    weights: SpatialWeights,
    params: SpatialLagParameters,
    rng: np.random.Generator,
) -> pd.Series:
    """Draw ``y = (I - rho W)^{-1} (X beta + eps)``, ``eps ~ N(0, sigma^2 I)``.

    The reduced form of the spatial lag model (LeSage & Pace 2009, eq. 2.3; Anselin 1988,
    eq. 6.1), solved by sparse LU rather than by forming the inverse.

    Parameters
    ----------
    design : pandas.DataFrame
        ``X``, indexed by unit id; its columns are matched to ``params.beta`` by name.
    weights : SpatialWeights
        ``W``; aligned to the design by id.
    params : SpatialLagParameters
        True ``rho``, ``beta`` and ``sigma``.
    rng : numpy.random.Generator
        Source of ``eps`` (one standard normal draw per unit, in the order of the design).

    Returns
    -------
    pandas.Series
        ``y``, indexed like the design, named ``innovations``.
    """
    w = weights.reorder(design.index)
    x = design[list(params.beta.index)].to_numpy(dtype=np.float64)
    signal = x @ params.beta.to_numpy(dtype=np.float64)
    eps = params.sigma * rng.standard_normal(len(design))
    system = sp.identity(w.n, format="csc") - params.rho * sp.csc_matrix(w.sparse)
    y = splu(system).solve(signal + eps)
    return pd.Series(y, index=design.index, name="innovations")


def draw_firm_innovation(
    actors: pd.DataFrame,
    design: pd.DataFrame,
    weights: SpatialWeights,
    beta: pd.Series,
    rho: float,
    sigma_theta: float,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, RegionalEffectParameters]:
    """Draw each firm's innovation flag from a probit with autoregressive regional effects.

    Smith & LeSage (2004): ``innovated_i = 1(x_i' beta + theta_{r(i)} + e_i > 0)`` with
    ``theta = (I - rho W)^{-1} u``, ``u ~ N(0, sigma_theta^2 I)`` over the municipalities and
    ``e_i ~ N(0, 1)``; ``x_i`` holds ``Intercept``, the firm's ``log_size`` and its
    municipality's measures named in ``beta``. Draws ``u`` (one per municipality, in the order
    of ``design``) and then ``e`` (one per firm, in the order of ``actors``) from ``rng``.
    """
    w = weights.reorder(design.index)
    system = sp.identity(w.n, format="csc") - rho * sp.csc_matrix(w.sparse)
    theta = splu(system).solve(sigma_theta * rng.standard_normal(w.n))
    theta_by_region = pd.Series(theta, index=design.index, name="theta")
    firms = actors.loc[actors["actor_type"] == "firm", ["actor_id", "region", "size"]]
    frame = pd.DataFrame(
        {
            "actor_id": firms["actor_id"].to_numpy(),
            "region": firms["region"].to_numpy(),
            "log_size": np.log(firms["size"].to_numpy()),
        }
    )
    regional = [name for name in beta.index if name not in ("Intercept", "log_size")]
    for name in regional:
        frame[name] = design[name].reindex(frame["region"]).to_numpy()
    x = np.column_stack([np.ones(len(frame)), frame[list(beta.index[1:])].to_numpy()])
    latent = (
        x @ beta.to_numpy()
        + theta_by_region.reindex(frame["region"]).to_numpy()
        + rng.standard_normal(len(frame))
    )
    frame["innovated"] = (latent > 0).astype(np.int64)
    return frame, RegionalEffectParameters(beta, float(rho), float(sigma_theta), theta_by_region)


def collaboration_network(
    actors: pd.DataFrame, ties: pd.DataFrame, geographic: SpatialWeights
) -> SpatialWeights:
    """The row-standardised collaboration network between the units of ``geographic``.

    The symmetric counts of ties between the actors of two municipalities over the whole period
    (:func:`naeringsmiljo.weights.collaboration_weights` with ``value="count"``), row-standardised.
    A municipality without any tie to another (an island of the network) is linked to its
    geographic neighbours instead, with the weights of its row of ``geographic``: its lag in
    the combination is then the geographic lag whatever ``gamma``, and every row of ``W_c`` sums
    to one, so that ``|rho| < 1`` keeps ``I - rho W_c`` invertible (with an empty row it would
    sum to ``gamma``). The shipped economy has no such municipality.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        The simulated microdata.
    geographic : SpatialWeights
        The row-standardised geographic ``W``; its ids fix the units and their order.

    Returns
    -------
    SpatialWeights
        Row-standardised, with the ids of ``geographic``.
    """
    counts = collaboration_weights(actors, ties, value="count", regions=geographic.ids)
    lonely = np.diff(counts.sparse.indptr) == 0
    matrix = sp.csr_array(counts.sparse) + sp.diags_array(lonely.astype(np.float64)) @ sp.csr_array(
        geographic.sparse
    )
    return SpatialWeights.from_sparse(matrix, ids=geographic.ids).row_standardize()


def draw_convex_lag(
    design: pd.DataFrame,
    weights: Mapping[str, SpatialWeights],
    params: ConvexLagParameters,
    rng: np.random.Generator,
) -> pd.Series:
    """Draw ``y = (I - rho W_c)^{-1} (X beta + eps)`` with ``W_c = sum_m gamma_m W_m``.

    The reduced form of the spatial lag model whose weights are a convex combination of
    connectivity structures (Debarsy & LeSage 2018), solved by sparse LU as in
    :func:`draw_spatial_lag`.

    Parameters
    ----------
    design : pandas.DataFrame
        ``X``, indexed by unit id; its columns are matched to ``params.beta`` by name.
    weights : mapping of str to SpatialWeights
        Row-standardised matrices named as ``params.gamma``; aligned to the design by id.
    params : ConvexLagParameters
        True ``rho``, ``gamma``, ``beta`` and ``sigma``.
    rng : numpy.random.Generator
        Source of ``eps`` (one standard normal draw per unit, in the order of the design).

    Returns
    -------
    pandas.Series
        ``y``, indexed like the design, named ``innovations_mixed``.
    """
    if set(weights) != set(params.gamma.index):
        raise SpecificationError(
            f"weights are named {sorted(weights)}, gamma {sorted(params.gamma.index)}."
        )
    combined = sp.csr_array((len(design), len(design)))
    for name in params.gamma.index:
        combined = combined + float(params.gamma[name]) * sp.csr_array(
            weights[name].reorder(design.index).sparse
        )
    w_c = SpatialWeights.from_sparse(combined, ids=design.index)
    lag = SpatialLagParameters(rho=params.rho, beta=params.beta, sigma=params.sigma)
    return draw_spatial_lag(design, w_c, lag, rng).rename("innovations_mixed")


def milieu_design(actors: pd.DataFrame, ties: pd.DataFrame, regions: pd.Index) -> pd.DataFrame:
    """The region-level design: ``Intercept`` and :data:`MEASURES`, indexed by ``regions``.

    Computed with :mod:`naeringsmiljo.measures`, so that the measures of the package applied to
    the simulated microdata give exactly the regressors of the outcome equation:

    - ``log_actors``: the log number of actors in the region (co-location);
    - ``local_share``: :func:`naeringsmiljo.measures.collaboration`'s share of the ties touching
      the region whose two actors both lie in it (0 for a region without ties);
    - ``related_variety``, ``unrelated_variety``: :func:`naeringsmiljo.measures.variety` of the
      region's firms, by employment, 5-digit industries grouped by their 2-digit division
      (Frenken, Van Oort & Verburg 2007, in bits; 0 for a region without firms).
    """
    n_actors = actors.groupby("region").size().reindex(regions, fill_value=0)
    if (n_actors == 0).any():
        empty = n_actors.index[n_actors == 0].tolist()[:10]
        raise SpecificationError(f"Regions without actors have no design: {empty}.")
    profile = measures.collaboration(actors, ties).reindex(regions)
    firms = actors[actors["actor_type"] == "firm"]
    variety = measures.variety(firms, group_digits=2, weight="size").reindex(regions)
    return pd.DataFrame(
        {
            "Intercept": 1.0,
            "log_actors": np.log(n_actors.to_numpy(dtype=np.float64)),
            "local_share": profile["local_share"].fillna(0.0).to_numpy(),
            "related_variety": variety["related"].fillna(0.0).to_numpy(),
            "unrelated_variety": variety["unrelated"].fillna(0.0).to_numpy(),
        },
        index=pd.Index(regions, name="region"),
    )


# ---------------------------------------------------------------------- the steps


def _true_parameters(
    rho: float, beta: Mapping[str, float] | None, sigma: float
) -> SpatialLagParameters:
    names = ("Intercept", *MEASURES)
    beta = dict(DEFAULT_BETA if beta is None else beta)
    missing = [n for n in names if n not in beta]
    unknown = [n for n in beta if n not in names]
    if missing or unknown:
        raise SpecificationError(
            f"beta needs exactly the coefficients {list(names)}; missing {missing}, "
            f"unknown {unknown}."
        )
    if not sigma > 0:
        raise SpecificationError(f"sigma must be positive, got {sigma}.")
    # W is row-standardised, so its spectral radius is 1 and |rho| < 1 keeps I - rho W
    # invertible (the exact lower bound 1 / omega_min would need all eigenvalues).
    if not -1.0 < rho < 1.0:
        raise ParameterSpaceError(f"rho = {rho} must lie in (-1, 1) for the row-standardised W.")
    series = pd.Series([float(beta[n]) for n in names], index=list(names), name="beta")
    return SpatialLagParameters(rho=float(rho), beta=series, sigma=float(sigma))


def _mixed_parameters(
    rho: float, gamma: float, params: SpatialLagParameters
) -> ConvexLagParameters:
    # W_c is row-standardised for any gamma in [0, 1] (a convex combination of row-standardised
    # matrices), so |rho| < 1 keeps I - rho W_c invertible, as for the single W.
    if not -1.0 < rho < 1.0:
        raise ParameterSpaceError(
            f"mixed_rho = {rho} must lie in (-1, 1) for the row-standardised combination."
        )
    if not 0.0 <= gamma <= 1.0:
        raise ParameterSpaceError(
            f"mixed_gamma = {gamma} must lie in [0, 1]: it is the weight of the geographic W "
            "in a convex combination."
        )
    mix = pd.Series([float(gamma), 1.0 - float(gamma)], index=list(CHANNELS), name="gamma")
    return ConvexLagParameters(rho=float(rho), gamma=mix, beta=params.beta, sigma=params.sigma)


def _specialisation(
    rng: np.random.Generator, weights: SpatialWeights, n_groups: int, settings: MilieuSettings
) -> np.ndarray:
    """Log-odds ``(n_regions, n_groups)``: a spatially autocorrelated field per division."""
    system = sp.identity(weights.n, format="csc") - settings.specialisation_rho * sp.csc_matrix(
        weights.sparse
    )
    field = splu(system).solve(rng.standard_normal((weights.n, n_groups)))
    field = (field - field.mean(axis=0)) / field.std(axis=0)
    return settings.specialisation * field


def _draw_actors(
    rng: np.random.Generator,
    regions: pd.DataFrame,
    weights: SpatialWeights,
    n_actors: int,
    settings: MilieuSettings,
) -> pd.DataFrame:
    n_regions = len(regions)
    mass = np.exp(settings.mass_sigma * rng.standard_normal(n_regions))
    extra = rng.multinomial(n_actors - settings.min_actors * n_regions, mass / mass.sum())
    per_region = settings.min_actors + extra
    region_of = np.repeat(np.arange(n_regions), per_region)
    type_of = rng.choice(len(ACTOR_TYPES), size=n_actors, p=np.asarray(settings.type_shares))

    groups = INDUSTRIES
    log_odds = _specialisation(rng, weights.reorder(regions.index), len(groups), settings)
    industry = np.empty(n_actors, dtype=object)
    for t, actor_type in enumerate(ACTOR_TYPES):
        members = [g for g, group in enumerate(groups) if group.actor_type == actor_type]
        base = np.log([groups[g].weight for g in members])
        # Only firms specialise by place; knowledge and public actors follow national shares.
        odds = base + (log_odds[:, members] if actor_type == "firm" else np.zeros((n_regions, 1)))
        probs = np.exp(odds - odds.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        chosen = np.flatnonzero(type_of == t)
        cumulative = probs[region_of[chosen]].cumsum(axis=1)
        pick = (cumulative < rng.random(len(chosen))[:, None]).sum(axis=1)
        group_of = np.asarray(members)[np.minimum(pick, len(members) - 1)]
        for g in members:
            subs = groups[g].subindustries
            in_group = chosen[group_of == g]
            if len(subs) == 1:
                industry[in_group] = subs[0]
                continue
            shares = rng.dirichlet(
                np.full(len(subs), settings.subindustry_concentration / len(subs)), size=n_regions
            )
            cumulative = shares[region_of[in_group]].cumsum(axis=1)
            pick = (cumulative < rng.random(len(in_group))[:, None]).sum(axis=1)
            industry[in_group] = np.asarray(subs)[np.minimum(pick, len(subs) - 1)]

    mu = np.array([m for m, _ in settings.size_lognormal])[type_of]
    sd = np.array([s for _, s in settings.size_lognormal])[type_of]
    size = 1.0 + np.floor(np.exp(mu + sd * rng.standard_normal(n_actors)))

    radius = settings.spread * np.sqrt(regions["area_km2"].to_numpy() * 1e6 / np.pi)[region_of]
    distance = radius * np.sqrt(rng.random(n_actors))
    angle = 2.0 * np.pi * rng.random(n_actors)
    x = regions["x"].to_numpy()[region_of] + distance * np.cos(angle)
    y = regions["y"].to_numpy()[region_of] + distance * np.sin(angle)

    return pd.DataFrame(
        {
            "actor_id": np.arange(1, n_actors + 1, dtype=np.int64),
            "region": regions.index.to_numpy()[region_of],
            "actor_type": np.asarray(ACTOR_TYPES, dtype=object)[type_of],
            "industry": industry,
            "size": size,
            "x": x.round(1),
            "y": y.round(1),
        }
    ).astype({"region": "str", "actor_type": "str", "industry": "str"})


def _draw_ties(
    rng: np.random.Generator,
    actors: pd.DataFrame,
    regions: pd.DataFrame,
    years: tuple[int, int],
    settings: MilieuSettings,
) -> pd.DataFrame:
    type_code = pd.Series(range(len(ACTOR_TYPES)), index=list(ACTOR_TYPES))
    types = type_code.loc[actors["actor_type"]].to_numpy()
    region_of = regions.index.get_indexer(actors["region"])
    size_term = actors["size"].to_numpy() ** settings.size_elasticity

    # Seekers: each actor seeks a Poisson number of partners over the period.
    propensity = np.asarray(settings.activity)[types] * size_term
    rate = settings.tie_rate * propensity / propensity.mean()
    seeker = np.repeat(np.arange(len(actors)), rng.poisson(rate))

    # Partner municipality: actors there times distance decay (a gravity rule).
    xy = regions[["x", "y"]].to_numpy()
    distance_km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1e3
    counts = np.bincount(region_of, minlength=len(regions)).astype(np.float64)
    attraction = counts[None, :] - np.eye(len(regions))  # the seeker is no partner of itself
    decay = np.exp(-distance_km / settings.decay_km) + settings.long_range
    gravity = attraction * decay * np.where(np.eye(len(regions), dtype=bool), settings.home_bias, 1)
    gravity /= gravity.sum(axis=1, keepdims=True)
    seeker_region = region_of[seeker]
    cumulative = gravity[seeker_region].cumsum(axis=1)
    partner_region = (cumulative < rng.random(len(seeker))[:, None]).sum(axis=1)
    partner_region = np.minimum(partner_region, len(regions) - 1)

    # Partner actor within the municipality: size and type affinity.
    affinity = np.asarray(settings.affinity)
    partner = np.empty(len(seeker), dtype=np.int64)
    order = np.argsort(region_of, kind="stable")
    starts = np.searchsorted(region_of[order], np.arange(len(regions) + 1))
    for r in range(len(regions)):
        members = order[starts[r] : starts[r + 1]]
        for t in range(len(ACTOR_TYPES)):
            chosen = np.flatnonzero((partner_region == r) & (types[seeker] == t))
            if not len(chosen):
                continue
            pull = size_term[members] * affinity[t, types[members]]
            partner[chosen] = _draw_excluding(rng, members, pull, seeker[chosen])

    # Formality rises with the distance between the two actors.
    coordinates = actors[["x", "y"]].to_numpy()
    gap_km = np.hypot(*(coordinates[seeker] - coordinates[partner]).T) / 1e3
    knowledge = (types[seeker] == 1) | (types[partner] == 1)
    a, b, c = settings.formal_logit
    p_formal = 1.0 / (1.0 + np.exp(-(a + b * np.log1p(gap_km / 10.0) + c * knowledge)))
    formal = rng.random(len(seeker)) < p_formal

    kind = np.empty(len(seeker), dtype=object)
    uniform = rng.random(len(seeker))
    for (is_formal, has_knowledge), probs in KIND_PROBABILITIES.items():
        chosen = (formal == is_formal) & (knowledge == has_knowledge)
        pick = np.searchsorted(np.cumsum(probs), uniform[chosen], side="right")
        kind[chosen] = np.asarray(TIE_KINDS, dtype=object)[np.minimum(pick, len(TIE_KINDS) - 1)]

    # Timing: informal ties persist year to year (longer within a municipality); formal ties are
    # projects and contracts of 1 + Poisson(project_years) years.
    first, last = years
    start = rng.integers(first, last + 1, size=len(seeker))
    local = region_of[seeker] == region_of[partner]
    persistence = np.where(local, settings.persistence_local, settings.persistence_distant)
    informal_years = rng.geometric(1.0 - persistence)
    formal_years = 1 + rng.poisson(settings.project_years, size=len(seeker))
    duration = np.where(formal, formal_years, informal_years)
    end = np.minimum(start + duration - 1, last)

    ids = actors["actor_id"].to_numpy()
    ties = pd.DataFrame(
        {
            "actor_a": ids[seeker],
            "actor_b": ids[partner],
            "start": start.astype(np.int64),
            "end": end.astype(np.int64),
            "formal": formal,
            "kind": kind,
        }
    ).astype({"kind": "str"})
    return ties.drop_duplicates(ignore_index=True)


def _draw_excluding(
    rng: np.random.Generator, members: np.ndarray, pull: np.ndarray, seekers: np.ndarray
) -> np.ndarray:
    """Draw one member per seeker with probability proportional to ``pull``, never the seeker."""
    cumulative = np.cumsum(pull) / pull.sum()
    pick = members[
        np.minimum(np.searchsorted(cumulative, rng.random(len(seekers))), len(members) - 1)
    ]
    while np.any(clash := pick == seekers):
        redraw = np.searchsorted(cumulative, rng.random(int(clash.sum())))
        pick[clash] = members[np.minimum(redraw, len(members) - 1)]
    return pick


def _allocate(rng: np.random.Generator, actors: pd.DataFrame, counts: pd.Series) -> pd.DataFrame:
    """Split each region's count over its actors, proportionally to employment (knowledge x2)."""
    pull = actors["size"].to_numpy() * np.where(actors["actor_type"] == "knowledge", 2.0, 1.0)
    allocated = np.zeros(len(actors), dtype=np.int64)
    positions = pd.RangeIndex(len(actors)).groupby(actors["region"].to_numpy())
    for region in counts.index:
        members = np.asarray(positions[region])
        share = pull[members] / pull[members].sum()
        allocated[members] = rng.multinomial(int(counts[region]), share)
    return pd.DataFrame({"actor_id": actors["actor_id"].to_numpy(), "innovations": allocated})


# ---------------------------------------------------------------------- the years


def draw_presence(
    rng: np.random.Generator,
    actors: pd.DataFrame,
    years: tuple[int, int],
    settings: PanelSettings,
) -> pd.DataFrame:
    """Entry and exit years of the actors: a share enters late, present actors exit at a rate.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the draws (the panel's own stream in :func:`simulate_milieu`): one uniform
        per actor for late entry, one integer per actor for its entry year, one geometric
        lifetime per actor, in the order of ``actors``.
    actors : pandas.DataFrame
        The actors (``actor_id``, ``region``), as :func:`simulate_milieu` draws them.
    years : (int, int)
        First and last year of the panel.
    settings : PanelSettings
        ``entry_share``, ``exit_rate`` and ``incumbents``.

    Returns
    -------
    pandas.DataFrame
        ``actor_id``, ``entry``, ``exit``: the actor is present in the years
        ``entry <= year <= exit``. The first ``incumbents`` actors of each municipality are
        present throughout.
    """
    first, last = years
    n = len(actors)
    late = rng.random(n) < settings.entry_share
    entry_year = rng.integers(first + 1, last + 1, size=n) if last > first else np.full(n, first)
    entry = np.where(late, entry_year, first)
    # numpy's geometric needs p > 0: with no exit the lifetime outlasts the panel.
    lifetime = (
        rng.geometric(settings.exit_rate, size=n)
        if settings.exit_rate > 0
        else np.full(n, last - first + 1)
    )
    exit_ = np.minimum(entry + lifetime - 1, last)
    rank = actors.groupby("region").cumcount().to_numpy()
    incumbent = rank < settings.incumbents
    entry = np.where(incumbent, first, entry)
    exit_ = np.where(incumbent, last, exit_)
    return pd.DataFrame(
        {
            "actor_id": actors["actor_id"].to_numpy(),
            "entry": entry.astype(np.int64),
            "exit": exit_.astype(np.int64),
        }
    )


def milieu_panel(
    actors: pd.DataFrame, ties: pd.DataFrame, presence: pd.DataFrame, regions: pd.Index
) -> pd.DataFrame:
    """The milieu measures of every municipality and year, from the actors and ties of the year.

    In year ``t`` the actors present are those with ``entry <= t <= exit`` and the ties active
    those with ``start <= t <= end`` whose two actors are present; :func:`milieu_design` then
    gives the year's measures.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        The microdata.
    presence : pandas.DataFrame
        ``actor_id``, ``entry``, ``exit`` (:func:`draw_presence`).
    regions : pandas.Index
        The municipalities, in the order of the rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``region``, ``year``), the municipalities in the order of ``regions`` and the
        years ascending within each: ``n_actors``, ``n_ties`` and :data:`MEASURES`.
    """
    spans = presence.set_index("actor_id").reindex(actors["actor_id"])
    if spans.isna().any().any():
        raise SpecificationError("presence must give entry and exit for every actor.")
    first, last = int(spans["entry"].min()), int(spans["exit"].max())
    entry = spans["entry"].to_numpy()
    exit_ = spans["exit"].to_numpy()
    tie_a = spans.loc[ties["actor_a"]]
    tie_b = spans.loc[ties["actor_b"]]
    frames = []
    for year in range(first, last + 1):
        present = (entry <= year) & (year <= exit_)
        year_actors = actors[present]
        active = (
            (ties["start"].to_numpy() <= year)
            & (year <= ties["end"].to_numpy())
            & (tie_a["entry"].to_numpy() <= year)
            & (year <= tie_a["exit"].to_numpy())
            & (tie_b["entry"].to_numpy() <= year)
            & (year <= tie_b["exit"].to_numpy())
        )
        year_ties = ties[active]
        design = milieu_design(year_actors, year_ties, regions)
        n_ties = measures.collaboration(year_actors, year_ties)["n_ties"].reindex(
            regions, fill_value=0
        )
        frame = pd.DataFrame(
            {
                "region": regions.to_numpy(),
                "year": year,
                "n_actors": year_actors.groupby("region").size().reindex(regions).to_numpy(),
                "n_ties": n_ties.to_numpy(dtype=np.int64),
            }
        )
        for name in MEASURES:
            frame[name] = design[name].to_numpy()
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    order = np.lexsort(
        (panel["year"].to_numpy(), np.tile(np.arange(len(regions)), last - first + 1))
    )
    return panel.iloc[order].set_index(["region", "year"])


def _panel_parameters(
    rng: np.random.Generator, panel: pd.DataFrame, settings: PanelSettings
) -> PanelSDMParameters:
    """True coefficients and drawn region and year effects of the panel outcome."""
    beta = dict(DEFAULT_PANEL_BETA if settings.beta is None else settings.beta)
    theta = dict(DEFAULT_PANEL_THETA if settings.theta is None else settings.theta)
    regions = panel.index.get_level_values("region").unique()
    years = panel.index.get_level_values("year").unique()
    size = panel["log_actors"].groupby(level="region", sort=False).mean().reindex(regions)
    loading = (size - size.mean()) / size.std(ddof=0)
    mu = settings.region_loading * loading.to_numpy() + settings.region_sd * rng.standard_normal(
        len(regions)
    )
    centred = np.arange(len(years)) - (len(years) - 1) / 2.0
    xi = settings.year_trend * centred + settings.year_sd * rng.standard_normal(len(years))
    return PanelSDMParameters(
        rho=float(settings.rho),
        beta=pd.Series([float(beta[m]) for m in MEASURES], index=list(MEASURES), name="beta"),
        theta=pd.Series(
            [float(theta[m]) for m in MEASURES], index=[f"W_{m}" for m in MEASURES], name="theta"
        ),
        sigma=float(settings.sigma),
        region_effects=pd.Series(mu, index=pd.Index(regions, name="region"), name="mu"),
        year_effects=pd.Series(xi, index=pd.Index(years, name="year"), name="xi"),
    )


def draw_panel_sdm(
    panel: pd.DataFrame,
    weights: SpatialWeights,
    params: PanelSDMParameters,
    rng: np.random.Generator,
) -> pd.Series:
    """Draw ``y_t = (I - rho W)^{-1} (X_t beta + W X_t theta + mu + xi_t + eps_t)`` for each year.

    The reduced form of the two-way fixed-effects spatial Durbin model (Elhorst 2014, ch. 3;
    Lee & Yu 2010), one sparse LU of ``I - rho W`` solving all years at once.

    Parameters
    ----------
    panel : pandas.DataFrame
        Indexed by (``region``, ``year``), balanced, with the columns of :data:`MEASURES`.
    weights : SpatialWeights
        ``W`` over the municipalities; aligned to the panel by id.
    params : PanelSDMParameters
        True ``rho``, ``beta``, ``theta``, ``sigma`` and the effects (indexed by region and
        year).
    rng : numpy.random.Generator
        Source of ``eps``: one standard normal ``(N, T)`` array, municipalities by years.

    Returns
    -------
    pandas.Series
        ``y``, indexed like ``panel``, named ``innovations``.
    """
    regions = panel.index.get_level_values("region").unique()
    years = panel.index.get_level_values("year").unique()
    n, t = len(regions), len(years)
    if len(panel) != n * t:
        raise SpecificationError(f"the panel has {len(panel)} rows, not {n} x {t}.")
    w = sp.csr_array(weights.reorder(regions).sparse)
    wide = {
        m: panel[m].unstack("year").reindex(index=regions, columns=years).to_numpy()
        for m in MEASURES
    }
    signal = np.zeros((n, t))
    for m in MEASURES:
        signal += float(params.beta[m]) * wide[m] + float(params.theta[f"W_{m}"]) * (w @ wide[m])
    signal += params.region_effects.reindex(regions).to_numpy()[:, None]
    signal += params.year_effects.reindex(years).to_numpy()[None, :]
    eps = params.sigma * rng.standard_normal((n, t))
    system = sp.identity(n, format="csc") - params.rho * sp.csc_matrix(w)
    y = splu(system).solve(signal + eps)
    index = pd.MultiIndex.from_product([regions, years], names=["region", "year"])
    return pd.Series(y.ravel(), index=index, name="innovations").reindex(panel.index)
