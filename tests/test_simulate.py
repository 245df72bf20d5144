"""The simulated milieu economy (naeringsmiljo.simulate) and the dataset in data/simulated.

The reference of the outcome equation is its own truth: the SAR estimator must recover the
parameters the data were drawn with (one seeded draw here, coverage over redraws in the ``mc``
test).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from naeringsmiljo import SAR, SpatialWeights
from naeringsmiljo.exceptions import ParameterSpaceError
from naeringsmiljo.simulate import (
    INDUSTRIES,
    MEASURES,
    MIXED_STREAM,
    MilieuSettings,
    SimulatedMilieu,
    SpatialLagParameters,
    collaboration_network,
    draw_convex_lag,
    draw_spatial_lag,
    milieu_design,
    simulate_milieu,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "simulated"

# Ties counted as "distant" join actors more than this far apart.
DISTANT_KM = 50.0
# One seeded draw of n = 356 municipalities: each estimate must lie within this many standard
# errors of the truth (a correct estimator fails this for one of six parameters with
# probability about 6 * 0.0027 = 1.6%; the seeds below are fixed, so the test is deterministic).
RECOVERY_Z = 3.0
# Coverage of 95% intervals over 200 redraws: binomial standard error 1.5 points; ML at n = 356
# under-covers slightly (about 93% here), so accept 88%-99%.
COVERAGE_RANGE = (0.88, 0.99)
# The CSV files hold floats written with full repr precision; reading them back is exact up to
# the last bit of the decimal conversion.
CSV_RTOL = 1e-12
# Sample standard deviation of 356 normal innovations: standard error sigma / sqrt(2 n), 3.7%;
# 15% is four standard errors.
SIGMA_RTOL = 0.15
# Entropy identities hold to rounding.
ENTROPY_ATOL = 1e-12
# The reduced form is solved by sparse LU; (I - rho W) y reproduces X beta + eps to rounding.
SOLVE_ATOL = 1e-10
# Row sums of a row-standardised matrix are one to rounding (a division per row).
ROW_SUM_ATOL = 1e-12
# The mix of the shipped economy: the criterion is that the true gamma (and rho) lie
# inside the 95% intervals. One seeded draw, so the test is deterministic; a correct estimator
# would miss for a given parameter with probability 5% over seeds (the shipped draw has
# z = -0.33 for gamma_geo and -1.26 for rho). The other coefficients use RECOVERY_Z.
MIX_LEVEL = 0.95

ACTOR_DTYPES = {
    "actor_id": "int64",
    "region": "str",
    "actor_type": "str",
    "industry": "str",
    "size": "float64",
    "x": "float64",
    "y": "float64",
}
TIE_DTYPES = {
    "actor_a": "int64",
    "actor_b": "int64",
    "start": "int64",
    "end": "int64",
    "formal": "bool",
    "kind": "str",
}


def _truth() -> dict:
    return json.loads((DATA / "truth.json").read_text())


def _settings(values: dict) -> MilieuSettings:
    def as_tuple(value):
        return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value

    return MilieuSettings(**{name: as_tuple(value) for name, value in values.items()})


def _from_truth(truth: dict) -> SimulatedMilieu:
    return simulate_milieu(
        truth["seed"],
        n_actors=truth["n_actors"],
        years=tuple(truth["years"]),
        rho=truth["rho"],
        beta=truth["beta"],
        sigma=truth["sigma"],
        k=truth["k"],
        settings=_settings(truth["settings"]),
        mixed_rho=truth["mixed"]["rho"],
        mixed_gamma=truth["mixed"]["gamma"]["geo"],
    )


@pytest.fixture(scope="module")
def small() -> SimulatedMilieu:
    """A small economy (6,000 actors) for the properties of the microdata."""
    return simulate_milieu(11, n_actors=6000)


@pytest.fixture(scope="module")
def shipped() -> SimulatedMilieu:
    """The economy of data/simulated (20,000 actors, seed 2024), simulated afresh."""
    return _from_truth(_truth())


def _pair_frame(sim: SimulatedMilieu) -> pd.DataFrame:
    """Each tie with the regions of its actors and the distance between them (km)."""
    actors = sim.actors.set_index("actor_id")
    a = actors.loc[sim.ties["actor_a"]]
    b = actors.loc[sim.ties["actor_b"]]
    return pd.DataFrame(
        {
            "same_region": a["region"].to_numpy() == b["region"].to_numpy(),
            "km": np.hypot(
                a["x"].to_numpy() - b["x"].to_numpy(), a["y"].to_numpy() - b["y"].to_numpy()
            )
            / 1e3,
            "formal": sim.ties["formal"].to_numpy(),
            "years": (sim.ties["end"] - sim.ties["start"] + 1).to_numpy(),
        }
    )


# ---------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_frames(small):
    again = simulate_milieu(11, n_actors=6000)
    pd.testing.assert_frame_equal(again.actors, small.actors)
    pd.testing.assert_frame_equal(again.ties, small.ties)
    pd.testing.assert_frame_equal(again.outcomes, small.outcomes)
    pd.testing.assert_frame_equal(again.actor_outcomes, small.actor_outcomes)
    pd.testing.assert_frame_equal(again.design, small.design)
    assert again.weights.equals(small.weights)


def test_different_seeds_differ(small):
    other = simulate_milieu(12, n_actors=6000)
    assert not other.actors["region"].equals(small.actors["region"])
    assert not np.allclose(other.actors["x"], small.actors["x"])
    assert not np.allclose(other.outcomes["innovations"], small.outcomes["innovations"])
    assert len(other.ties) != len(small.ties) or not other.ties.equals(small.ties)


# ---------------------------------------------------------------------- schema
def test_actor_schema(small):
    actors = small.actors
    assert actors.dtypes.astype(str).to_dict() == ACTOR_DTYPES
    assert len(actors) == 6000 and actors["actor_id"].is_unique
    assert set(actors["actor_type"]) == {"firm", "knowledge", "public"}
    assert actors["industry"].str.fullmatch(r"\d\d\.\d\d\d").all()
    assert (actors["size"] >= 1).all() and (actors["size"] == np.floor(actors["size"])).all()
    regions = small.weights.ids
    assert set(actors["region"]) == set(regions)
    assert actors.groupby("region").size().min() >= MilieuSettings().min_actors


def test_industries_belong_to_their_actor_type(small):
    owner = {sub: group.actor_type for group in INDUSTRIES for sub in group.subindustries}
    assert (small.actors["industry"].map(owner) == small.actors["actor_type"]).all()


def test_tie_schema(small):
    ties = small.ties
    assert ties.dtypes.astype(str).to_dict() == TIE_DTYPES
    ids = set(small.actors["actor_id"])
    assert ties["actor_a"].isin(ids).all() and ties["actor_b"].isin(ids).all()
    assert (ties["actor_a"] != ties["actor_b"]).all()
    assert (ties["start"] <= ties["end"]).all()
    assert ties["start"].min() >= 2015 and ties["end"].max() <= 2022
    assert set(ties["kind"]) == {"value_chain", "joint_activity", "innovation_project"}
    assert not ties.duplicated().any()


def test_outcome_schema(small):
    outcomes = small.outcomes
    assert list(outcomes.columns[:2]) == ["region", "innovations"]
    assert outcomes.columns[-1] == "innovations_mixed"
    assert outcomes["region"].tolist() == small.weights.ids.tolist()
    assert set(MEASURES) <= set(outcomes.columns)
    assert outcomes["innovation_count"].dtype == np.int64
    assert list(small.design.columns) == ["Intercept", *MEASURES]
    assert small.design.index.equals(small.weights.ids)
    assert list(small.actor_outcomes.columns) == ["actor_id", "innovations"]


def test_frames_pass_the_microdata_validators(small):
    from naeringsmiljo.microdata import Microdata

    Microdata.from_frames(small.actors, small.ties, small.outcomes, weights=small.weights)
    Microdata.from_frames(small.actors, small.ties, small.actor_outcomes)


# ---------------------------------------------------------------------- mechanisms
def test_distant_ties_are_mostly_formal_local_ones_mostly_informal(small):
    pairs = _pair_frame(small)
    local = pairs.loc[pairs["same_region"], "formal"].mean()
    distant = pairs.loc[pairs["km"] > DISTANT_KM, "formal"].mean()
    assert local < 0.5 < distant
    assert distant - local > 0.3


def test_local_informal_ties_last_longer(small):
    pairs = _pair_frame(small)
    informal = pairs[~pairs["formal"]]
    local = informal.loc[informal["same_region"], "years"].mean()
    distant = informal.loc[~informal["same_region"], "years"].mean()
    assert local > distant + 0.5


def test_partner_choice_decays_with_distance(small):
    """Ties are far shorter than pairs of actors drawn at random (no distance decay)."""
    km = _pair_frame(small)["km"]
    xy = small.actors[["x", "y"]].to_numpy()
    rng = np.random.default_rng(0)
    a, b = rng.integers(len(xy), size=(2, 20_000))
    random_km = np.hypot(*(xy[a] - xy[b]).T) / 1e3
    assert km.median() < 0.1 * np.median(random_km)
    assert (km < 25).mean() > 0.5


def test_regional_specialisation(small):
    """Neighbouring municipalities share specialisations: their division shares correlate."""
    firms = small.actors[small.actors["actor_type"] == "firm"]
    shares = pd.crosstab(firms["region"], firms["industry"].str[:2], normalize="index")
    shares = shares.reindex(small.weights.ids)
    lagged = small.weights.sparse @ shares.to_numpy()
    centred = shares.to_numpy() - shares.to_numpy().mean(axis=0)
    lag_centred = lagged - lagged.mean(axis=0)
    correlation = (centred * lag_centred).sum(axis=0) / np.sqrt(
        (centred**2).sum(axis=0) * (lag_centred**2).sum(axis=0)
    )
    assert np.median(correlation) > 0.2


def test_counts_are_allocated_to_actors(small):
    per_region = (
        small.actor_outcomes.merge(small.actors[["actor_id", "region"]], on="actor_id")
        .groupby("region")["innovations"]
        .sum()
    )
    np.testing.assert_array_equal(
        per_region.reindex(small.outcomes["region"]).to_numpy(),
        small.outcomes["innovation_count"].to_numpy(),
    )


# ---------------------------------------------------------------------- the design
def test_design_on_a_hand_computed_fixture():
    actors = pd.DataFrame(
        {
            "actor_id": [1, 2, 3, 4, 5],
            "region": ["A", "A", "A", "A", "B"],
            "actor_type": ["firm", "firm", "firm", "public", "firm"],
            "industry": ["62.010", "62.020", "47.111", "84.110", "62.010"],
            "size": [1.0, 1.0, 2.0, 50.0, 3.0],
        }
    )
    ties = pd.DataFrame(
        {
            "actor_a": [1, 2, 3],
            "actor_b": [2, 5, 4],
            "start": [2015, 2016, 2017],
            "end": [2015, 2018, 2017],
            "formal": [False, True, False],
        }
    )
    design = milieu_design(actors, ties, pd.Index(["A", "B"]))
    # Firm employment shares in A: 62.010 .25, 62.020 .25, 47.111 .5; divisions 62 and 47 at .5:
    # UV = 1 bit, RV = .5 * H(.5, .5) = .5 bit. B has one industry: both zero.
    np.testing.assert_allclose(design["unrelated_variety"], [1.0, 0.0], rtol=0, atol=ENTROPY_ATOL)
    np.testing.assert_allclose(design["related_variety"], [0.5, 0.0], rtol=0, atol=ENTROPY_ATOL)
    # Ties touching A: 1-2 and 3-4 (local) and 2-5 (to B): 2/3. The one tie touching B leaves it.
    np.testing.assert_allclose(design["local_share"], [2 / 3, 0.0], rtol=0, atol=ENTROPY_ATOL)
    np.testing.assert_allclose(design["log_actors"], np.log([4.0, 1.0]), rtol=0, atol=ENTROPY_ATOL)
    assert (design["Intercept"] == 1.0).all()


def test_unrelated_plus_related_variety_is_total_entropy(small):
    firms = small.actors[small.actors["actor_type"] == "firm"]
    employment = firms.groupby(["region", "industry"])["size"].sum()
    p = employment / employment.groupby(level="region").transform("sum")
    entropy = (-p * np.log2(p)).groupby(level="region").sum().reindex(small.design.index)
    total = small.design["unrelated_variety"] + small.design["related_variety"]
    np.testing.assert_allclose(total, entropy, rtol=0, atol=ENTROPY_ATOL)


def test_draw_spatial_lag_is_the_reduced_form(small):
    params = small.params
    y = draw_spatial_lag(small.design, small.weights, params, np.random.default_rng(5))
    eps = params.sigma * np.random.default_rng(5).standard_normal(len(y))
    w = small.weights.sparse
    lhs = y.to_numpy() - params.rho * (w @ y.to_numpy())
    rhs = small.design.to_numpy() @ params.beta.to_numpy() + eps
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=SOLVE_ATOL)


def test_outcome_innovations_have_the_true_sigma(small):
    params = small.params
    y = small.outcomes["innovations"].to_numpy()
    eps = (
        y
        - params.rho * (small.weights.sparse @ y)
        - small.design.to_numpy() @ params.beta.to_numpy()
    )
    np.testing.assert_allclose(eps.std(), params.sigma, rtol=SIGMA_RTOL, atol=0)


# ---------------------------------------------------------------------- the mixed outcome
def test_mixed_outcome_is_the_convex_reduced_form(small):
    """(I - rho W_c) y_mix = X beta + eps_mix, eps_mix from the stream of the seed."""
    params = small.mixed_params
    eps = params.sigma * np.random.default_rng(
        np.random.SeedSequence([small.seed, MIXED_STREAM])
    ).standard_normal(len(small.design))
    w_c = params.gamma["geo"] * small.weights.sparse + params.gamma["collab"] * (
        small.collaboration_weights.sparse
    )
    y = small.outcomes["innovations_mixed"].to_numpy()
    lhs = y - params.rho * (w_c @ y)
    rhs = small.design.to_numpy() @ params.beta.to_numpy() + eps
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=SOLVE_ATOL)


def test_mixed_outcome_leaves_the_other_draws_alone(small):
    """Its own stream: the mix changes only innovations_mixed, and the actors' allocation does
    not change it."""
    other = simulate_milieu(11, n_actors=6000, mixed_rho=0.2, mixed_gamma=1.0)
    pd.testing.assert_frame_equal(other.actors, small.actors)
    pd.testing.assert_frame_equal(other.ties, small.ties)
    pd.testing.assert_frame_equal(other.actor_outcomes, small.actor_outcomes)
    columns = [c for c in small.outcomes.columns if c != "innovations_mixed"]
    pd.testing.assert_frame_equal(other.outcomes[columns], small.outcomes[columns])
    assert not np.allclose(other.outcomes["innovations_mixed"], small.outcomes["innovations_mixed"])
    unallocated = simulate_milieu(11, n_actors=6000, allocate_to_actors=False)
    pd.testing.assert_series_equal(
        unallocated.outcomes["innovations_mixed"], small.outcomes["innovations_mixed"]
    )


def test_gamma_one_is_the_geographic_lag_of_the_same_innovations(small):
    design, params = small.design, small.mixed_params
    geographic = draw_convex_lag(
        design,
        small.mixed_weights,
        type(params)(params.rho, pd.Series({"geo": 1.0, "collab": 0.0}), params.beta, params.sigma),
        np.random.default_rng(3),
    )
    single = draw_spatial_lag(
        design,
        small.weights,
        SpatialLagParameters(params.rho, params.beta, params.sigma),
        np.random.default_rng(3),
    )
    np.testing.assert_allclose(geographic.to_numpy(), single.to_numpy(), rtol=0, atol=SOLVE_ATOL)


def test_collaboration_network_is_row_standardised_with_islands_linked_to_neighbours():
    actors = pd.DataFrame(
        {
            "actor_id": [1, 2, 3, 4, 5],
            "region": ["A", "A", "B", "C", "C"],
            "actor_type": "firm",
            "industry": "62.010",
            "size": 1.0,
        }
    )
    # A-B twice, A-C once, and one tie within C (not a link). D has no actors, hence no tie to
    # another region: an island of the network, linked to its geographic neighbours B and C.
    ties = pd.DataFrame(
        {"actor_a": [1, 2, 1, 4], "actor_b": [3, 3, 5, 5], "year": 2020, "formal": True}
    )
    geographic = SpatialWeights.from_sparse(
        np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]], dtype=float),
        ids=["A", "B", "C", "D"],
    ).row_standardize()
    network = collaboration_network(actors, ties, geographic)
    assert network.ids.tolist() == ["A", "B", "C", "D"]
    expected = np.array(
        [[0, 2 / 3, 1 / 3, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0.5, 0.5, 0]], dtype=float
    )
    np.testing.assert_allclose(network.sparse.toarray(), expected, rtol=0, atol=ROW_SUM_ATOL)


def test_shipped_collaboration_network(shipped):
    network = shipped.collaboration_weights
    assert network.ids.equals(shipped.weights.ids)
    assert len(network.islands) == 0
    np.testing.assert_allclose(network.sparse.sum(axis=1), 1.0, rtol=0, atol=ROW_SUM_ATOL)


def test_truth_records_the_mix(shipped):
    mixed = _truth()["mixed"]
    assert mixed["outcome"] == "innovations_mixed"
    assert mixed["formula"] == shipped.mixed_formula
    assert mixed["rho"] == shipped.mixed_params.rho
    assert mixed["gamma"] == shipped.mixed_params.gamma.to_dict()
    assert sum(mixed["gamma"].values()) == 1.0
    assert mixed["stream"] == f"SeedSequence([{shipped.seed}, {MIXED_STREAM}])"


# ---------------------------------------------------------------------- recovery
def _true_vector(params: SpatialLagParameters) -> pd.Series:
    return pd.concat([params.beta, pd.Series({"rho": params.rho})])


def test_sar_recovers_the_true_parameters(shipped):
    """n = 356 municipalities, 20,000 actors, seed 2024 (the shipped dataset)."""
    data = shipped.outcomes.set_index("region")
    result = SAR.from_formula(shipped.formula, data, shipped.weights).fit()
    truth = _true_vector(shipped.params)
    z = (result.params - truth.reindex(result.params.index)) / result.std_errors
    assert (z.abs() < RECOVERY_Z).all(), z.to_dict()


def test_sar_recovers_the_true_parameters_other_settings():
    """n = 356, 4,000 actors, seed 1, a stronger spatial dependence and other coefficients."""
    beta = {
        "Intercept": 0.5,
        "log_actors": 0.3,
        "local_share": -0.5,
        "related_variety": 1.0,
        "unrelated_variety": 0.2,
    }
    sim = simulate_milieu(1, n_actors=4000, rho=0.6, beta=beta, sigma=0.3)
    data = sim.outcomes.set_index("region")
    result = SAR.from_formula(sim.formula, data, sim.weights).fit()
    truth = _true_vector(sim.params)
    z = (result.params - truth.reindex(result.params.index)) / result.std_errors
    assert (z.abs() < RECOVERY_Z).all(), z.to_dict()


@pytest.mark.mc
def test_sar_interval_coverage_over_redrawn_outcomes(shipped):
    """200 redraws of the outcome on the shipped design; 95% intervals cover the truth."""
    data = shipped.outcomes.set_index("region")
    truth = _true_vector(shipped.params)
    covered = []
    # Streams spawned from the simulation's seed never repeat the draws behind the design (a
    # redraw seeded like the simulation would make eps equal to the municipalities' masses).
    for stream in np.random.SeedSequence(shipped.seed).spawn(200):
        y = draw_spatial_lag(
            shipped.design, shipped.weights, shipped.params, np.random.default_rng(stream)
        )
        redrawn = data.assign(innovations=y.reindex(data.index).to_numpy())
        result = SAR.from_formula(shipped.formula, redrawn, shipped.weights).fit()
        half = 1.959964 * result.std_errors
        covered.append((result.params - truth.reindex(result.params.index)).abs() < half)
    coverage = pd.DataFrame(covered).mean()
    low, high = COVERAGE_RANGE
    assert coverage.between(low, high).all(), coverage.to_dict()


def test_convex_sar_recovers_the_true_mix(shipped):
    """SAR with w = {geo, collab} on innovations_mixed of the shipped economy (seed 2024)."""
    data = shipped.outcomes.set_index("region")
    result = SAR.from_formula(shipped.mixed_formula, data, w=shipped.mixed_weights).fit()
    params = shipped.mixed_params
    truth = pd.concat(
        [params.beta, pd.Series({"rho": params.rho}), params.gamma.add_prefix("gamma_")]
    )
    interval = result.conf_int(alpha=1 - MIX_LEVEL)
    for name in ("rho", "gamma_geo", "gamma_collab"):
        low, high = interval.loc[name]
        assert low < truth[name] < high, (name, truth[name], (low, high))
    z = (result.params - truth.reindex(result.params.index)) / result.std_errors
    assert (z.abs() < RECOVERY_Z).all(), z.to_dict()
    # Both matrices matter in truth; neither alone should fit as well.
    assert (result.vertex_tests["pvalue"] < 1 - MIX_LEVEL).all(), result.vertex_tests


# ---------------------------------------------------------------------- the shipped dataset
def test_shipped_files_are_the_recorded_simulation(shipped):
    truth = _truth()
    assert truth["formula"] == shipped.formula
    assert truth["beta"] == shipped.params.beta.to_dict()
    actors = pd.read_csv(DATA / "actors.csv", dtype={"region": str, "industry": str})
    ties = pd.read_csv(DATA / "ties.csv")
    outcomes = pd.read_csv(DATA / "outcomes.csv", dtype={"region": str})
    actor_outcomes = pd.read_csv(DATA / "actor_outcomes.csv")
    options = {"check_dtype": False, "check_exact": False, "rtol": CSV_RTOL, "atol": 0}
    pd.testing.assert_frame_equal(actors, shipped.actors, **options)
    pd.testing.assert_frame_equal(ties, shipped.ties, **options)
    pd.testing.assert_frame_equal(outcomes, shipped.outcomes, **options)
    pd.testing.assert_frame_equal(actor_outcomes, shipped.actor_outcomes, **options)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seed": -1}, ValueError, "seed must be"),
        ({"seed": 1.5}, ValueError, "seed must be"),
        ({"seed": 1, "rho": 1.0}, ParameterSpaceError, "rho = 1.0"),
        ({"seed": 1, "beta": {"Intercept": 1.0}}, ValueError, "missing"),
        ({"seed": 1, "sigma": 0.0}, ValueError, "sigma must be positive"),
        ({"seed": 1, "n_actors": 1000}, ValueError, "below min_actors"),
        ({"seed": 1, "years": (2022, 2015)}, ValueError, "first <= last"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_milieu(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mixed_gamma": -0.1}, "mixed_gamma = -0.1 must lie in"),
        ({"mixed_gamma": 1.5}, "mixed_gamma = 1.5 must lie in"),
        ({"mixed_gamma": float("nan")}, "mixed_gamma = nan"),
        ({"mixed_rho": 1.0}, "mixed_rho = 1.0 must lie in"),
        ({"mixed_rho": -1.2}, "mixed_rho = -1.2"),
    ],
)
def test_bad_mix_raises(kwargs, message):
    with pytest.raises(ParameterSpaceError, match=message):
        simulate_milieu(1, **kwargs)


def test_draw_convex_lag_needs_the_named_matrices(small):
    with pytest.raises(ValueError, match="weights are named"):
        draw_convex_lag(
            small.design, {"geo": small.weights}, small.mixed_params, np.random.default_rng(0)
        )


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="type_shares"):
        MilieuSettings(type_shares=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="min_actors"):
        MilieuSettings(min_actors=1)
