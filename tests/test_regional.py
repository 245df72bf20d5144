"""Actors nested in regions with autoregressive regional effects (Smith & LeSage 2004).

Reference: recovery of the truth of the simulated economy's firm innovation flag
(:func:`naeringsmiljo.simulate.draw_firm_innovation`: firm-level beta, the regional rho and the
variance of the regional effects' innovations) within 95% posterior intervals (slow); the
linear model's regional-effect draw against the exact conditional posterior; then the
alignment of actors to regions by id, bad input and reproducibility.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from naeringsmiljo import RegionalLinear, RegionalProbit, SpatialWeights
from naeringsmiljo.exceptions import IdMismatchError, OutcomeError, SpecificationError
from naeringsmiljo.simulate import simulate_milieu


def _grid_weights(side: int) -> SpatialWeights:
    """Rook contiguity on a side x side lattice, row-standardised, ids "r0", "r1", ..."""
    m = side * side
    rows, cols = [], []
    for i in range(side):
        for j in range(side):
            for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                a, b = i + di, j + dj
                if 0 <= a < side and 0 <= b < side:
                    rows.append(i * side + j)
                    cols.append(a * side + b)
    links = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(m, m))
    ids = pd.Index([f"r{k}" for k in range(m)])
    return SpatialWeights.from_sparse(links, ids=ids).row_standardize()


def _actors(w: SpatialWeights, per_region: int, seed: int, *, binary: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    m = w.n
    system = (sp.identity(m, format="csc") - 0.5 * sp.csc_matrix(w.sparse)).tocsc()
    theta = sp.linalg.spsolve(system, 0.6 * rng.standard_normal(m))
    region = np.repeat(np.arange(m), per_region)
    x = rng.standard_normal(region.size)
    z = 0.2 + 0.8 * x + theta[region] + rng.standard_normal(region.size)
    return pd.DataFrame(
        {
            "region": w.ids[region],
            "x": x,
            "y": (z > 0).astype(float) if binary else z,
        },
        index=pd.Index([f"a{i}" for i in range(region.size)], name="actor"),
    )


@pytest.mark.slow
def test_regional_probit_recovers_the_simulated_economy() -> None:
    sim = simulate_milieu(seed=2024)
    firms = sim.firms.set_index("actor_id")
    res = RegionalProbit.from_formula(sim.firm_formula, firms, sim.weights).fit(
        draws=5000, burn=1000, seed=1
    )
    truth = pd.concat(
        [
            sim.firm_params.beta,
            pd.Series({"rho": sim.firm_params.rho, "sigma2_theta": sim.firm_params.sigma_theta**2}),
        ]
    )
    ci = res.conf_int(0.05).loc[truth.index]
    assert ((ci["lower"] <= truth) & (truth <= ci["upper"])).all(), pd.concat([ci, truth], axis=1)
    # the regional effects follow the truth (a posterior mean of 356 effects from ~48 firms each)
    corr = np.corrcoef(res.regional_effects, sim.firm_params.theta.reindex(sim.weights.ids))[0, 1]
    assert corr > 0.6


def test_regional_probit_on_a_lattice_is_near_the_truth() -> None:
    w = _grid_weights(8)
    actors = _actors(w, 25, 3, binary=True)
    res = RegionalProbit.from_formula("y ~ x", actors, w, region="region").fit(
        draws=700, burn=200, seed=4
    )
    # one data set of 1,600 actors: the actor-level slope within 4 posterior s.d.
    assert abs(res.params["x"] - 0.8) < 4 * res.std_errors["x"]
    assert res.regional_effects is not None and res.regional_effects.index.equals(w.ids)
    assert set(res.params.index) == {"Intercept", "x", "rho", "sigma2_theta"}


def test_regional_probit_impacts_match_a_dense_computation() -> None:
    """Direct, indirect and total impacts on Pr(y = 1) against a dense, draw-by-draw finite
    difference of Pr(y_i = 1) = Phi(x_i'beta / s_i), s_i^2 = 1 + sigma2_theta [(B'B)^-1]_rr,
    with (B'B)^-1 from a dense inverse and the n x m Jacobian of every actor's probability with
    respect to every region's measure (Smith & LeSage 2004)."""
    from scipy.stats import norm

    w = _grid_weights(5)
    actors = _actors(w, 12, 11, binary=True)
    rng = np.random.default_rng(12)
    measure = pd.Series(rng.standard_normal(w.n), index=w.ids)
    actors["m"] = measure.reindex(actors["region"]).to_numpy()
    res = RegionalProbit.from_formula("y ~ x + m", actors, w).fit(draws=260, burn=60, seed=5)
    imp = res.impacts(draws=None)

    spec = res.spec
    region = np.asarray(spec.region)
    dense_w = w.reorder(spec.weights.ids).sparse.toarray()
    names = list(spec.exog_names)
    x = np.asarray(spec.x, dtype=float)
    col_x, col_m = names.index("x"), names.index("m")
    h = 1e-6
    expected = []
    for _, draw in res.sample.iterrows():
        b_matrix = np.eye(w.n) - draw["rho"] * dense_w
        variance = np.diag(np.linalg.inv(b_matrix.T @ b_matrix))
        scale = np.sqrt(1.0 + draw["sigma2_theta"] * variance[region])
        beta = draw[names].to_numpy(dtype=float)

        def prob(design: np.ndarray, scale: np.ndarray = scale, beta: np.ndarray = beta):
            return norm.cdf(design @ beta / scale)

        # Jacobian of every actor's probability with respect to every region's measure
        jacobian = np.empty((x.shape[0], w.n))
        for q in range(w.n):
            up, down = x.copy(), x.copy()
            up[region == q, col_m] += h
            down[region == q, col_m] -= h
            jacobian[:, q] = (prob(up) - prob(down)) / (2 * h)
        direct_m = np.mean(jacobian[np.arange(x.shape[0]), region])
        total_m = np.mean(jacobian.sum(axis=1))
        up, down = x.copy(), x.copy()
        up[:, col_x] += h
        down[:, col_x] -= h
        total_x = np.mean((prob(up) - prob(down)) / (2 * h))
        expected.append([total_x, 0.0, total_x, direct_m, total_m - direct_m, total_m])
    expected_frame = np.asarray(expected)
    got = imp.simulated  # (draws, regressors, effects)
    assert list(imp.estimates.index) == ["x", "m"]
    # central differences with h = 1e-6 carry rounding errors of order 1e-10 / 1e-6 = 1e-10..1e-9
    # in each derivative; both sides use exact inverses, so nothing else separates them
    np.testing.assert_allclose(got[:, 0, :], expected_frame[:, :3], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got[:, 1, :], expected_frame[:, 3:], rtol=1e-5, atol=1e-7)
    # no spillovers: a region's measure moves only its own actors' probabilities
    assert np.all(got[:, :, 1] == 0.0)
    pd.testing.assert_frame_equal(
        imp.estimates,
        pd.DataFrame(got.mean(axis=0), index=["x", "m"], columns=imp.estimates.columns),
    )


def test_regional_linear_has_no_impacts_to_decompose() -> None:
    w = _grid_weights(4)
    actors = _actors(w, 10, 13, binary=False)
    res = RegionalLinear.from_formula("y ~ x", actors, w).fit(draws=60, burn=10, seed=2)
    with pytest.raises(SpecificationError, match="no spatial multiplier"):
        res.impacts()


def test_regional_linear_fits_and_keeps_sigma2_auxiliary() -> None:
    w = _grid_weights(6)
    actors = _actors(w, 20, 5, binary=False)
    res = RegionalLinear.from_formula("y ~ x", actors, w).fit(draws=600, burn=100, seed=2)
    assert "sigma2" not in res.params.index
    assert abs(res.sigma2 - 1.0) < 0.2  # 720 actors: s.d. of the error variance ~0.06
    assert abs(res.params["x"] - 0.8) < 4 * res.std_errors["x"]


def test_actors_are_aligned_to_regions_by_id_not_position() -> None:
    w = _grid_weights(5)
    actors = _actors(w, 10, 7, binary=True)
    model = RegionalProbit.from_formula("y ~ x", actors, w)
    shuffled = actors.sample(frac=1.0, random_state=1)
    reordered = w.reorder(w.ids[::-1])
    other = RegionalProbit.from_formula("y ~ x", shuffled, reordered)
    # each actor's region code is the same whatever the row order of actors and weights
    mine = pd.Series(model.spec.weights.ids[model.spec.region], index=model.spec.ids)
    theirs = pd.Series(other.spec.weights.ids[other.spec.region], index=other.spec.ids)
    pd.testing.assert_series_equal(mine.sort_index(), theirs.sort_index())


def test_same_seed_gives_identical_draws() -> None:
    w = _grid_weights(4)
    model = RegionalProbit.from_formula("y ~ x", _actors(w, 10, 8, binary=True), w)
    a = model.fit(draws=60, burn=10, seed=3).sample
    b = model.fit(draws=60, burn=10, seed=3).sample
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_actor_in_a_region_not_in_w_is_named() -> None:
    w = _grid_weights(4)
    actors = _actors(w, 5, 9, binary=True)
    actors.loc["a3", "region"] = "elsewhere"
    with pytest.raises(IdMismatchError, match="elsewhere") as info:
        RegionalProbit.from_formula("y ~ x", actors, w)
    assert info.value.missing_in_weights == ("elsewhere",)
    assert "a3" in str(info.value)


def test_probit_outcome_not_binary_names_the_actors() -> None:
    w = _grid_weights(4)
    actors = _actors(w, 5, 10, binary=True)
    actors.loc["a7", "y"] = 3.0
    with pytest.raises(OutcomeError, match="a7"):
        RegionalProbit.from_formula("y ~ x", actors, w)


def test_simulated_firms_leave_earlier_draws_unchanged() -> None:
    """The innovation flag has its own seed stream: the region outcome is as it was."""
    sim = simulate_milieu(seed=3, n_actors=3000)
    again = simulate_milieu(seed=3, n_actors=3000, firm_rho=0.1, firm_sigma_theta=2.0)
    pd.testing.assert_frame_equal(sim.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(sim.actors, again.actors)
    assert not sim.firms["innovated"].equals(again.firms["innovated"])
    assert set(sim.firms["innovated"].unique()) == {0, 1}
