"""The years of the simulated milieu (``simulate_milieu(..., panel=PanelSettings())``).

References: the drawn process itself (the reduced form of the two-way fixed-effects SDM is
checked against its structural equation), the one-period output of the same seed (unchanged by
the panel's own stream), ``milieu_design`` applied by hand to one year's actors and ties, a dense
computation of the true impacts, and the truth recorded in ``data/simulated/truth.json``: the
package's two-way FE SDM with the Lee-Yu correction must recover the true parameters and impacts
within their 95% intervals (one seeded draw here; coverage over redraws in the ``mc`` test).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from naeringsmiljo import SDM
from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.simulate import (
    MEASURES,
    MilieuSettings,
    PanelSDMParameters,
    PanelSettings,
    SimulatedMilieu,
    draw_panel_sdm,
    milieu_design,
    simulate_milieu,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "simulated"

# Full-repr floats read back from CSV are exact up to the last bit of the decimal conversion.
CSV_RTOL = 1e-12
# The reduced form is solved by sparse LU: the structural equation holds to rounding.
SOLVE_ATOL = 1e-10
# Dense inverse against eigenvalue traces for N = 356: both exact up to rounding.
IMPACT_ATOL = 1e-10
# 95% intervals (the criterion: the truth inside the interval of each parameter).
Z95 = 1.959964
# Coverage of 95% intervals over 100 redraws: binomial s.e. 2.2 points; accept 88%-100%
# (three standard errors below).
COVERAGE_LOW = 0.88


def _truth() -> dict:
    return json.loads((DATA / "truth.json").read_text())


def _settings(values: dict) -> MilieuSettings:
    def as_tuple(value):
        return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value

    return MilieuSettings(**{name: as_tuple(value) for name, value in values.items()})


def _panel_settings(truth: dict) -> PanelSettings:
    panel = truth["panel"]
    return PanelSettings(
        **panel["settings"],
        rho=panel["rho"],
        beta=panel["beta"],
        theta={name.removeprefix("W_"): value for name, value in panel["theta"].items()},
        sigma=panel["sigma"],
    )


@pytest.fixture(scope="module")
def shipped() -> SimulatedMilieu:
    """The economy of data/simulated with its years, simulated afresh from truth.json."""
    truth = _truth()
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
        panel=_panel_settings(truth),
    )


@pytest.fixture(scope="module")
def small() -> tuple[SimulatedMilieu, SimulatedMilieu]:
    """A small economy (5,000 actors, 2018-2022) without and with its years."""
    kwargs = {"n_actors": 5000, "years": (2018, 2022)}
    return simulate_milieu(7, **kwargs), simulate_milieu(7, **kwargs, panel=PanelSettings())


def _fit(sim: SimulatedMilieu, data: pd.DataFrame | None = None):
    frame = sim.panel if data is None else data
    model = SDM.from_formula(sim.panel_formula, frame, sim.weights, effects="twoways")
    return model.fit(bias_correction=True)


def _true_vector(params: PanelSDMParameters) -> pd.Series:
    return pd.concat([params.beta, params.theta, pd.Series({"rho": params.rho})])


# ---------------------------------------------------------------------- determinism


def test_one_period_output_is_unchanged_by_the_years(small):
    without, with_years = small
    for name in ("actors", "ties", "outcomes", "actor_outcomes", "design"):
        pd.testing.assert_frame_equal(getattr(without, name), getattr(with_years, name))
    pd.testing.assert_series_equal(without.params.beta, with_years.params.beta)
    assert without.panel is None and without.presence is None and without.panel_params is None


def test_same_seed_gives_identical_panels(small):
    _, first = small
    again = simulate_milieu(7, n_actors=5000, years=(2018, 2022), panel=PanelSettings())
    pd.testing.assert_frame_equal(first.panel, again.panel, check_exact=True)
    pd.testing.assert_frame_equal(first.presence, again.presence, check_exact=True)
    pd.testing.assert_series_equal(
        first.panel_params.region_effects, again.panel_params.region_effects, check_exact=True
    )
    other = simulate_milieu(8, n_actors=5000, years=(2018, 2022), panel=PanelSettings())
    assert not np.allclose(first.panel["innovations"], other.panel["innovations"])


def test_shipped_panel_files_are_the_recorded_simulation(shipped):
    truth = _truth()["panel"]
    panel = pd.read_csv(DATA / "panel.csv", dtype={"region": str}).set_index(["region", "year"])
    presence = pd.read_csv(DATA / "presence.csv")
    options = {"check_dtype": False, "check_exact": False, "rtol": CSV_RTOL, "atol": 0}
    pd.testing.assert_frame_equal(panel, shipped.panel, **options)
    pd.testing.assert_frame_equal(presence, shipped.presence, **options)
    params = shipped.panel_params
    assert truth["rho"] == params.rho and truth["sigma"] == params.sigma
    assert truth["beta"] == params.beta.to_dict() and truth["theta"] == params.theta.to_dict()
    np.testing.assert_allclose(
        list(truth["region_effects"].values()), params.region_effects.to_numpy(), rtol=CSV_RTOL
    )
    assert list(truth["region_effects"]) == params.region_effects.index.tolist()


# ---------------------------------------------------------------------- the process


def test_entry_exit_and_incumbents(shipped):
    presence = shipped.presence.merge(shipped.actors[["actor_id", "region"]], on="actor_id")
    first, last = shipped.years
    assert (presence["entry"] <= presence["exit"]).all()
    assert (
        presence["entry"].between(first, last).all() and presence["exit"].between(first, last).all()
    )
    late = (presence["entry"] > first).mean()
    exited = (presence["exit"] < last).mean()
    # About entry_share enter late and a geometric share exits: both happen, neither dominates.
    assert 0.10 < late < 0.20, late
    assert 0.05 < exited < 0.40, exited
    incumbents = presence.groupby("region").head(PanelSettings().incumbents)
    assert (incumbents["entry"] == first).all() and (incumbents["exit"] == last).all()
    counts = shipped.panel["n_actors"]
    assert (counts >= PanelSettings().incumbents).all()
    # Actors present in a year, counted from presence, equal the panel's n_actors.
    year = first + 3
    present = presence[(presence["entry"] <= year) & (year <= presence["exit"])]
    by_region = present.groupby("region").size()
    np.testing.assert_array_equal(
        counts.xs(year, level="year").reindex(by_region.index).to_numpy(), by_region.to_numpy()
    )


def test_year_measures_are_the_design_of_that_years_actors_and_ties(small):
    _, sim = small
    year = 2020
    spans = sim.presence.set_index("actor_id")
    present_ids = spans.index[(spans["entry"] <= year) & (year <= spans["exit"])]
    actors = sim.actors[sim.actors["actor_id"].isin(present_ids)]
    ties = sim.ties[
        (sim.ties["start"] <= year)
        & (year <= sim.ties["end"])
        & sim.ties["actor_a"].isin(present_ids)
        & sim.ties["actor_b"].isin(present_ids)
    ]
    expected = milieu_design(actors, ties, sim.weights.ids)[list(MEASURES)]
    got = sim.panel.xs(year, level="year")[list(MEASURES)]
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    # Ties persist: most ties active in 2020 were active in 2019 as well.
    persisting = (ties["start"] <= year - 1).mean()
    assert persisting > 0.5, persisting
    # The measures vary within municipalities over the years (fixed effects can be fitted).
    within = sim.panel[list(MEASURES)] - sim.panel[list(MEASURES)].groupby(
        level="region"
    ).transform("mean")
    assert (within.std() > 0.01).all(), within.std().to_dict()


def test_outcome_is_the_reduced_form_of_the_two_way_sdm(small):
    _, sim = small
    params = sim.panel_params
    rng = np.random.default_rng(3)
    y = draw_panel_sdm(sim.panel, sim.weights, params, rng)
    eps = params.sigma * np.random.default_rng(3).standard_normal((sim.weights.n, 5))
    regions = sim.panel.index.get_level_values("region").unique()
    w = sp.csr_array(sim.weights.reorder(regions).sparse)
    wide_y = y.unstack("year").reindex(regions).to_numpy()
    rhs = (
        params.region_effects.reindex(regions).to_numpy()[:, None] + params.year_effects.to_numpy()
    )
    for name in MEASURES:
        x = sim.panel[name].unstack("year").reindex(regions).to_numpy()
        rhs = rhs + params.beta[name] * x + params.theta[f"W_{name}"] * (w @ x)
    np.testing.assert_allclose(wide_y - params.rho * (w @ wide_y), rhs + eps, atol=SOLVE_ATOL)


def test_true_impacts_equal_a_dense_computation(small):
    _, sim = small
    params = sim.panel_params
    dense = sim.weights.sparse.toarray()
    inverse = np.linalg.inv(np.eye(sim.weights.n) - params.rho * dense)
    got = params.impacts(sim.weights)
    for name in MEASURES:
        s = inverse @ (
            params.beta[name] * np.eye(sim.weights.n) + params.theta[f"W_{name}"] * dense
        )
        direct, total = np.trace(s) / sim.weights.n, s.sum() / sim.weights.n
        np.testing.assert_allclose(
            got.loc[name, ["direct", "indirect", "total"]].to_numpy(dtype=float),
            [direct, total - direct, total],
            atol=IMPACT_ATOL,
        )


# ---------------------------------------------------------------------- recovery


def test_two_way_sdm_recovers_the_truth(shipped):
    """N = 356 municipalities x T = 8 years: every true rho, beta, theta and impact inside its
    95% interval (the Lee-Yu corrected ML; one seeded draw, so deterministic)."""
    result = _fit(shipped)
    truth = _true_vector(shipped.panel_params).reindex(result.params.index)
    z = (result.params - truth) / result.std_errors
    assert (z.abs() < Z95).all(), z.to_dict()
    impacts = result.impacts(inference="simulation", draws=1000, seed=5)
    true_impacts = shipped.panel_params.impacts(shipped.weights)
    zi = (impacts.estimates - true_impacts.loc[impacts.estimates.index]) / impacts.std_errors
    assert (zi.abs() < Z95).to_numpy().all(), zi.to_dict()
    # The direct ML (no correction) underestimates sigma^2 by about (T - 1) / T with both effects.
    direct = SDM.from_formula(
        shipped.panel_formula, shipped.panel, shipped.weights, effects="twoways"
    ).fit()
    assert direct.sigma2 < result.sigma2


@pytest.mark.mc
def test_two_way_sdm_interval_coverage_over_redrawn_outcomes(shipped):
    """100 redraws of the panel outcome on the shipped design; 95% intervals cover the truth."""
    truth = _true_vector(shipped.panel_params)
    covered = []
    for stream in np.random.SeedSequence([shipped.seed, 12]).spawn(100):
        y = draw_panel_sdm(
            shipped.panel, shipped.weights, shipped.panel_params, np.random.default_rng(stream)
        )
        result = _fit(shipped, shipped.panel.assign(innovations=y))
        half = Z95 * result.std_errors
        covered.append((result.params - truth.reindex(result.params.index)).abs() < half)
    coverage = pd.DataFrame(covered).mean()
    assert (coverage >= COVERAGE_LOW).all(), coverage.to_dict()


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"entry_share": 1.0}, SpecificationError, "entry_share and exit_rate"),
        ({"exit_rate": -0.1}, SpecificationError, "entry_share and exit_rate"),
        ({"incumbents": 0}, SpecificationError, "incumbents"),
        ({"rho": 1.0}, ParameterSpaceError, "panel rho = 1.0"),
        ({"sigma": 0.0}, SpecificationError, "sigma must be positive"),
        ({"beta": {"log_actors": 1.0}}, SpecificationError, "panel beta needs"),
        ({"theta": {"nope": 1.0}}, SpecificationError, "panel theta needs"),
    ],
)
def test_bad_panel_settings_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        PanelSettings(**kwargs)


def test_unbalanced_panel_is_refused(small):
    _, sim = small
    with pytest.raises(SpecificationError, match="not 356 x 5"):
        draw_panel_sdm(sim.panel.iloc[1:], sim.weights, sim.panel_params, np.random.default_rng(0))
