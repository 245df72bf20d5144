"""Monte Carlo studies and sweeps (naeringsmiljo.studies): identical results on every backend,
resumable stores, weights set up once, failures recorded, summaries checked by hand, bad input.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, norm

import naeringsmiljo as nm
from naeringsmiljo.exceptions import (
    ClusterError,
    InputTypeError,
    ParameterSpaceError,
    SpecificationError,
    StoreMismatchError,
)
from naeringsmiljo.inference.diagnostics import (
    common_factor_lr,
    common_factor_wald,
    likelihood_ratio,
)
from naeringsmiljo.studies import SARProcess, Study, Sweep, knn_design, knn_process, task_seed
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: The summary is arithmetic on the frame: only rounding separates it from the hand computation.
SUMMARY_RTOL = 1e-12
#: A scheduler that does not answer must be reported within seconds (timeout 2 s + start-up).
CONNECT_TIMEOUT = 2.0
CONNECT_LIMIT = 15.0

FORMULA = "y ~ x1 + x2"
MODELS = {
    "ML": (nm.SAR, FORMULA, {"method": "ml"}),
    "S2SLS": (nm.SAR, FORMULA, {"method": "gmm"}),
}
N = 50
REPLICATIONS = 12


def _study(replications: int = REPLICATIONS, seed: int = 14, rho: float = 0.5) -> Study:
    return Study(
        dgp=knn_process("SAR", n=N, rho=rho, design_seed=5),
        models=MODELS,
        replications=replications,
        seed=seed,
    )


def _without_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="seconds")


@pytest.fixture(scope="module")
def store_of_dask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask") / "results.parquet"


@pytest.fixture(scope="module")
def runs(store_of_dask: Path) -> dict[str, Any]:
    """The same study on the three backends (the process pools start once for the module)."""
    study = _study()
    return {
        "local 1": study.run(progress=False),
        "local 2": study.run(workers=2, progress=False),
        "dask 2": study.run(backend="dask", workers=2, progress=False, store=store_of_dask),
    }


# ---------------------------------------------------------------------- determinism


@pytest.mark.parametrize("backend", ["local 2", "dask 2"])
def test_every_backend_gives_the_same_frame_bit_for_bit(runs: dict[str, Any], backend: str) -> None:
    reference = runs["local 1"].draws
    assert len(reference) == REPLICATIONS * 2 * 4  # 2 models, 4 parameters each
    assert (reference["error"] == "").all()
    # Everything but the timings: estimates and standard errors to the last bit.
    pd.testing.assert_frame_equal(_without_time(runs[backend].draws), _without_time(reference))
    # the tasks ran in worker processes, not in this one; how many of the two workers took a
    # task depends on the scheduler (one that starts late may find the queue empty)
    workers = set(runs[backend].tasks["worker"])
    assert 1 <= len(workers) <= 2 and os.getpid() not in workers


def test_replication_seeds_are_children_of_the_study_seed() -> None:
    child = np.random.SeedSequence(14).spawn(1)[0].spawn(3)[2]
    assert task_seed(14, 0, 2).generate_state(4).tolist() == child.generate_state(4).tolist()
    process = knn_process("SAR", n=N, design_seed=5)
    draws = _study(replications=3).run(progress=False).draws
    data, w = process(child)
    fit = nm.SAR.from_formula(FORMULA, data, w).fit(method="ml")
    ml = draws[(draws["replication"] == 2) & (draws["model"] == "ML")]
    np.testing.assert_array_equal(ml["estimate"].to_numpy(), fit.params.to_numpy())


def test_weights_are_set_up_once_and_shipped_with_the_tasks(runs: dict[str, Any]) -> None:
    # The parent computes the eigenvalues and bounds of the one W before any task; no task on
    # any worker computes them again.
    for results in runs.values():
        assert results.prepared == 1
        assert len(results.tasks) == REPLICATIONS
        assert (results.tasks["setups"] == 0).all()


@dataclass(frozen=True)
class RebuiltWeights:
    """A process that builds a new W (without caches) for every draw: the counter's control."""

    process: SARProcess

    def __call__(self, seed: Any) -> tuple[pd.DataFrame, SpatialWeights]:
        data, w = self.process(seed)
        return data, SpatialWeights.from_sparse(w.sparse, ids=w.ids, transform="r")


def test_the_set_up_counter_counts_a_set_up_per_task_without_shared_weights() -> None:
    fresh = SpatialWeights.from_sparse(knn_design(N, design_seed=5).w.sparse, transform="r")
    design = knn_design(N, design_seed=5)
    shared = SARProcess(w=fresh, x=design.x, beta=(1.0, 1.0, -1.0), rho=0.5)
    models = {"ML": MODELS["ML"]}
    rebuilt = Study(RebuiltWeights(shared), models, replications=3, seed=1).run(progress=False)
    assert rebuilt.tasks["setups"].tolist() == [1, 1, 1]
    once = Study(shared, models, replications=3, seed=1).run(progress=False)
    assert once.tasks["setups"].tolist() == [0, 0, 0]
    pd.testing.assert_frame_equal(_without_time(once.draws), _without_time(rebuilt.draws))


# ---------------------------------------------------------------------- the store


def test_a_rerun_computes_only_the_missing_tasks(tmp_path: Path, runs: dict[str, Any]) -> None:
    store = tmp_path / "results.parquet"
    first = _study(replications=5).run(store=store, progress=False, chunksize=2)
    assert len(first.tasks) == 5 and first.outcome.stored == 0
    # The full study extends the interrupted one: 7 new tasks, the same frame as in one go.
    full = _study().run(store=store, progress=False, chunksize=2)
    assert full.outcome.stored == 5
    assert full.tasks["replication"].tolist() == list(range(5, REPLICATIONS))
    pd.testing.assert_frame_equal(_without_time(full.draws), _without_time(runs["local 1"].draws))
    # Lose one file of the store (a chunk of two tasks): only those two are computed again.
    parts = sorted(store.glob("part-*.parquet"))
    lost = pd.read_parquet(parts[1])["replication"].unique().tolist()
    parts[1].unlink()
    again = _study().run(store=store, progress=False, workers=2)
    assert again.tasks["replication"].tolist() == lost
    pd.testing.assert_frame_equal(_without_time(again.draws), _without_time(full.draws))
    assert len(_study().run(store=store, progress=False).tasks) == 0


def test_a_store_written_on_dask_is_read_back_by_a_local_run(
    runs: dict[str, Any], store_of_dask: Path
) -> None:
    again = _study().run(store=store_of_dask, progress=False)
    assert len(again.tasks) == 0 and again.outcome.stored == REPLICATIONS
    pd.testing.assert_frame_equal(again.draws, runs["dask 2"].draws)


def test_a_store_of_another_study_is_refused_naming_the_difference(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _study(replications=2).run(store=store, progress=False)
    before = sorted(p.name for p in store.iterdir())
    with pytest.raises(StoreMismatchError, match=r"seed: 14 vs 15"):
        _study(replications=2, seed=15).run(store=store, progress=False)
    with pytest.raises(StoreMismatchError, match=r"dgps\[0\]") as info:
        _study(replications=2, rho=0.3).run(store=store, progress=False)
    assert any("dgps[0]" in d for d in info.value.differences)
    grid = Study(knn_process, MODELS, 2, 14, design={"n": [N], "rho": [0.3]})
    with pytest.raises(StoreMismatchError, match=r"points"):
        grid.run(store=store, progress=False)
    assert sorted(p.name for p in store.iterdir()) == before


# ---------------------------------------------------------------------- failures


@dataclass(frozen=True)
class FlakyProcess:
    """Every third replication draws outside the parameter space."""

    process: SARProcess

    def __call__(self, seed: np.random.SeedSequence) -> tuple[pd.DataFrame, SpatialWeights]:
        if seed.spawn_key[-1] % 3 == 0:
            raise ParameterSpaceError("rho = 1.2 lies outside (-1, 1).")
        return self.process(seed)


def test_failures_are_recorded_counted_and_do_not_stop_the_study() -> None:
    models = {"ML": MODELS["ML"], "Typo": (nm.SAR, "y ~ x1 + x3", {"method": "ml"})}
    process = knn_process("SAR", n=N, design_seed=5)
    assert isinstance(process, SARProcess)
    results = Study(FlakyProcess(process), models, replications=6, seed=3).run(progress=False)
    draws = results.draws
    failed = draws[draws["error"] != ""]
    assert set(failed["error"]) == {"ParameterSpaceError", "FormulaError"}
    counts = results.failures.set_index(["model", "error"])["count"].to_dict()
    assert counts == {
        ("ML", "ParameterSpaceError"): 2,
        ("Typo", "FormulaError"): 4,
        ("Typo", "ParameterSpaceError"): 2,
    }
    summary = results.summary(truth=process.truth())
    rho = summary.set_index(["model", "parameter"]).loc[("ML", "rho")]
    assert (rho["replications"], rho["failures"]) == (4, 2)
    assert "x3" in failed.loc[failed["model"] == "Typo", "message"].iloc[-1]


# ---------------------------------------------------------------------- the summary


def test_summary_matches_a_hand_computation_on_the_frame(runs: dict[str, Any]) -> None:
    results = runs["local 1"]
    truth = {"rho": 0.5, "x1": 1.0}
    summary = results.summary(truth=truth, null={"x1": 0.8}).set_index(["model", "parameter"])
    assert set(summary.index.get_level_values("parameter")) == {"rho", "x1"}
    z = norm.ppf(0.975)
    draws = results.draws
    for (model, parameter), row in summary.iterrows():
        cell = draws[(draws["model"] == model) & (draws["parameter"] == parameter)]
        est, se = cell["estimate"].to_numpy(), cell["std_error"].to_numpy()
        r, theta = len(est), truth[parameter]
        covered = np.mean(np.abs(est - theta) <= z * se)
        rejected = np.mean(np.abs(est - (0.8 if parameter == "x1" else 0.0)) > z * se)
        mse = np.mean((est - theta) ** 2)
        hand = {
            "bias": np.mean(est) - theta,
            "bias_mcse": np.std(est, ddof=1) / np.sqrt(r),
            "rmse": np.sqrt(mse),
            "rmse_mcse": np.sqrt(np.var((est - theta) ** 2, ddof=1) / r) / (2 * np.sqrt(mse)),
            "coverage": covered,
            "coverage_mcse": np.sqrt(covered * (1 - covered) / r),
            "size": 1 - covered,
            "power": rejected,
            "power_mcse": np.sqrt(rejected * (1 - rejected) / r),
        }
        for key, value in hand.items():
            np.testing.assert_allclose(row[key], value, rtol=SUMMARY_RTOL, atol=0, err_msg=key)
        assert row["replications"] == REPLICATIONS and row["failures"] == 0


def test_lr_tests_match_a_hand_computation_on_the_frame() -> None:
    models = {
        "ML": MODELS["ML"],
        "ML, rho = 0": (nm.SAR, FORMULA, {"method": "ml", "fixed": {"rho": 0.0}}),
    }
    design = {"n": [N], "rho": [0.0, 0.4]}
    results = Study(knn_process, models, replications=REPLICATIONS, seed=4, design=design).run(
        progress=False
    )
    tests = results.lr_tests({"rho = 0": ("ML", "ML, rho = 0", 1)}).set_index("rho")
    fits = results.draws.drop_duplicates(["design", "replication", "model"])
    critical = chi2.ppf(0.95, 1)
    for rho in (0.0, 0.4):
        cell = fits[fits["rho"] == rho]
        lr = 2 * (
            cell.loc[cell["model"] == "ML", "loglik"].to_numpy()
            - cell.loc[cell["model"] == "ML, rho = 0", "loglik"].to_numpy()
        )
        rate = np.mean(lr > critical)
        row = tests.loc[rho]
        assert row["replications"] == REPLICATIONS and (lr >= 0).all()
        np.testing.assert_allclose(row["mean_lr"], lr.mean(), rtol=SUMMARY_RTOL, atol=0)
        assert row["rejection"] == rate
        np.testing.assert_allclose(
            row["rejection_mcse"], np.sqrt(rate * (1 - rate) / REPLICATIONS), rtol=SUMMARY_RTOL
        )
    with pytest.raises(SpecificationError, match="names models without fits"):
        results.lr_tests({"typo": ("ML", "ML0", 1)})


def test_summary_tables_and_the_processes_truth(runs: dict[str, Any]) -> None:
    results = runs["local 1"]
    summary = results.summary()  # the process states its truth
    assert summary.loc[summary["parameter"] == "rho", "truth"].tolist() == [0.5, 0.5]
    markdown = results.to_markdown()
    assert markdown.splitlines()[0].startswith("| Model | Parameter | Truth | R | Failed | Bias")
    latex = results.to_latex()
    assert r"\toprule" in latex and "S2SLS & rho & 0.500 & 12 & 0" in latex


def test_a_design_grid_labels_the_rows_by_its_factors() -> None:
    study = Study(
        knn_process,
        {"ML": MODELS["ML"]},
        replications=2,
        seed=9,
        design={"n": [30, 40], "rho": [0.2]},
    )
    results = study.run(progress=False)
    assert results.draws[["design", "n", "rho"]].drop_duplicates().values.tolist() == [
        [0, 30, 0.2],
        [1, 40, 0.2],
    ]
    assert results.summary()["n"].tolist() == [30] * 4 + [40] * 4


def test_progress_is_quiet_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _study(replications=2).run(progress=True)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- sweeps


SWEEP_FORMULAS = ["CRIME ~ INC + HOVAL", "CRIME ~ INC"]
SWEEP_MODELS = ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM")
#: LR statistics are differences of log-likelihoods: the sweep's and a direct fit's differ by
#: rounding at most.
LR_RTOL = 1e-12


def _sweep_weights() -> dict[str, SpatialWeights]:
    return {
        "rook": nm.datasets.columbus_weights("anselin").row_standardize(),
        "queen": nm.datasets.columbus_weights("queen").row_standardize(),
    }


@pytest.fixture(scope="module")
def sweeps() -> dict[str, Any]:
    """The same sweep on the three backends."""
    models = {name: nm.MODELS[name] for name in SWEEP_MODELS}
    sweep = Sweep(nm.datasets.columbus(), _sweep_weights(), models, SWEEP_FORMULAS)
    return {
        "local 1": sweep.run(progress=False),
        "local 2": sweep.run(workers=2, progress=False),
        "dask 2": sweep.run(backend="dask", workers=2, progress=False),
    }


def _assert_same_fit(a: Any, b: Any) -> None:
    assert a.model == b.model
    np.testing.assert_array_equal([a.loglik, a.aic, a.bic], [b.loglik, b.aic, b.bic])  # NaN: GMM
    pd.testing.assert_series_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_frame_equal(a.cov, b.cov, check_exact=True)
    pd.testing.assert_frame_equal(a.impacts().estimates, b.impacts().estimates, check_exact=True)


def test_a_sweep_compares_every_model_weights_and_formula(sweeps: dict[str, Any]) -> None:
    results = sweeps["local 1"]
    fits = results.fits
    assert len(fits) == 2 * 2 * len(SWEEP_MODELS) and (fits["error"] == "").all()
    keys = [(w, f, m) for w in ("rook", "queen") for f in SWEEP_FORMULAS for m in SWEEP_MODELS]
    assert list(results.results) == keys
    queen = _sweep_weights()["queen"]
    direct = nm.SEM.from_formula("CRIME ~ INC", nm.datasets.columbus(), queen).fit()
    row = fits[
        (fits["w"] == "queen") & (fits["model"] == "SEM") & (fits["formula"] == "CRIME ~ INC")
    ]
    assert row["loglik"].item() == direct.loglik and row["bic"].item() == direct.bic
    _assert_same_fit(results.results["queen", "CRIME ~ INC", "SEM"], direct)
    assert "| W | Formula | Model | N | Log-lik. | AIC | BIC | rho | lambda |" in results.overview()


@pytest.mark.parametrize("backend", ["local 2", "dask 2"])
def test_a_sweep_returns_the_same_fitted_results_on_every_backend(
    sweeps: dict[str, Any], backend: str
) -> None:
    reference, other = sweeps["local 1"], sweeps[backend]
    assert list(other.results) == list(reference.results)
    for key, fit in reference.results.items():
        _assert_same_fit(other.results[key], fit)
    pd.testing.assert_frame_equal(_without_time(other.draws), _without_time(reference.draws))
    pd.testing.assert_frame_equal(other.tests(), reference.tests())
    assert other.table(impacts=True) == reference.table(impacts=True)


def _caption_line(caption: str, format: str) -> str:
    if format == "markdown":
        return f"**{caption}**"
    if format == "latex":
        return "\\caption{" + caption.replace("~", "\\textasciitilde{}") + "}"
    return caption


@pytest.mark.parametrize("format", ["text", "markdown", "latex"])
def test_the_sweep_table_shows_every_fit_side_by_side(sweeps: dict[str, Any], format: str) -> None:
    # One panel per weights matrix and formula, in the sweep's order, captioned with them; its
    # log-likelihood row holds the log-likelihood of every model's fit, in the models' order.
    results = sweeps["local 1"]
    table = results.table(format, impacts=True, label="tab:sweep")
    lines = table.splitlines()
    groups = list(dict.fromkeys((w, f) for w, f, _ in results.results))
    starts = [lines.index(_caption_line(f"W {w}: {f}", format)) for w, f in groups]
    assert starts == sorted(starts) and len(groups) == 4
    for (w, formula), first, end in zip(groups, starts, [*starts[1:], len(lines)], strict=True):
        row = next(line for line in lines[first:end] if "Log-likelihood" in line)
        position = 0
        for model in SWEEP_MODELS:  # each found after the one before
            loglik = f"{results.results[w, formula, model].loglik:.3f}"
            position = row.index(loglik.replace("-", "$-$" if format == "latex" else "-"), position)
    for words in ("Direct impacts", "Indirect impacts", "Total impacts", "BIC"):
        assert table.count(words) == len(groups)
    if format == "latex":
        assert "\\label{tab:sweep-4}" in table and "\\label{tab:sweep-5}" not in table


def test_sweep_tests_equal_direct_calls_on_the_same_fits(sweeps: dict[str, Any]) -> None:
    results = sweeps["local 1"]
    tests = results.tests()
    # Per weights matrix and formula: OLS in the five others; SLX in SDM and SDEM; SAR in SDM;
    # SEM in SDEM; the common factor of the SDM by LR (against the SEM) and by Wald.
    lr = tests[tests["test"] == "LR"]
    pairs = set(zip(lr["restricted"], lr["unrestricted"], strict=True))
    assert pairs == {("OLS", m) for m in SWEEP_MODELS[1:]} | {
        ("SLX", "SDM"),
        ("SLX", "SDEM"),
        ("SAR", "SDM"),
        ("SEM", "SDEM"),
    }
    assert len(lr) == 4 * len(pairs) and (tests["reason"] == "").all()
    assert tests["test"].value_counts().to_dict() == {
        "LR": 4 * len(pairs),
        "Common factor (LR)": 4,
        "Common factor (Wald)": 4,
    }
    data, weights = nm.datasets.columbus(), _sweep_weights()
    for row in tests.itertuples(index=False):
        kept = results.results
        direct = {
            m: nm.MODELS[m].from_formula(row.formula, data, weights[row.w]).fit()
            for m in (row.restricted, row.unrestricted)
            if m
        }
        if row.test == "LR":
            calls = [
                likelihood_ratio(
                    kept[row.w, row.formula, row.restricted],
                    kept[row.w, row.formula, row.unrestricted],
                ),
                likelihood_ratio(direct[row.restricted], direct[row.unrestricted]),
            ]
        elif row.test == "Common factor (LR)":
            calls = [
                common_factor_lr(kept[row.w, row.formula, "SDM"], kept[row.w, row.formula, "SEM"]),
                common_factor_lr(direct["SDM"], direct["SEM"]),
            ]
        else:
            calls = [
                common_factor_wald(kept[row.w, row.formula, "SDM"]),
                common_factor_wald(direct["SDM"]),
            ]
        assert row.statistic == calls[0].statistic and row.pvalue == calls[0].pvalue
        for call in calls:
            assert row.df == call.df and row.null == call.null
            np.testing.assert_allclose(row.statistic, call.statistic, rtol=LR_RTOL, atol=0)
            np.testing.assert_allclose(row.pvalue, call.pvalue, rtol=LR_RTOL, atol=0)


def test_a_sweep_keeps_its_fits_in_the_store_and_leaves_failed_ones_out(tmp_path: Path) -> None:
    models = {"SAR": nm.SAR, "SDM": nm.SDM, "GMM": (nm.SAR, {"method": "gmm"})}
    sweep = Sweep(
        nm.datasets.columbus(),
        w={"rook": nm.datasets.columbus_weights("anselin").row_standardize()},
        models=models,
        formulas=["CRIME ~ INC + HOVAL", "CRIME ~ INC + TYPO"],
    )
    first = sweep.run(store=tmp_path / "sweep", progress=False, chunksize=2)
    assert len(first.results) == 3 and not any("TYPO" in key[1] for key in first.results)
    failed = first.fits[first.fits["error"] != ""]
    assert failed["error"].tolist() == ["FormulaError"] * 3
    assert "FormulaError" in first.overview() and "TYPO" not in first.table()
    # The LR test of the SAR in the SDM applies; that of the GMM fit carries its reason.
    tests = first.tests().set_index(["test", "restricted", "unrestricted"])
    assert tests.loc[("LR", "SAR", "SDM"), "reason"] == ""
    assert "maximum-likelihood" in tests.loc[("LR", "GMM", "SDM"), "reason"]
    assert np.isnan(tests.loc[("LR", "GMM", "SDM"), "statistic"])
    again = sweep.run(store=tmp_path / "sweep", progress=False)
    assert again.outcome.stored == 6 and len(again.tasks) == 0
    assert list(again.results) == list(first.results)
    for key, fit in first.results.items():
        _assert_same_fit(again.results[key], fit)
    pd.testing.assert_frame_equal(again.tests(), first.tests())


# ---------------------------------------------------------------------- bad input


def test_a_dgp_that_cannot_be_pickled_is_refused_before_any_task(tmp_path: Path) -> None:
    process = knn_process("SAR", n=N, design_seed=5)
    study = Study(lambda seed: process(seed), MODELS, replications=2, seed=1)
    with pytest.raises(InputTypeError, match="cannot be pickled.*lambda"):
        study.run(store=tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()


def test_an_address_that_does_not_answer_fails_fast_and_writes_nothing(tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(ClusterError, match="No Dask scheduler answered at 'tcp://127.0.0.1:9'"):
        _study(replications=2).run(
            backend="dask",
            address="tcp://127.0.0.1:9",
            store=tmp_path / "s",
            progress=False,
            connect_timeout=CONNECT_TIMEOUT,
        )
    assert time.perf_counter() - start < CONNECT_LIMIT
    assert not (tmp_path / "s").exists()


def test_a_cluster_given_by_address_gives_the_same_frame(runs: dict[str, Any]) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        results = _study().run(backend="dask", address=cluster.scheduler_address, progress=False)
        assert cluster.scheduler_address.startswith("inproc://")
    pd.testing.assert_frame_equal(
        _without_time(results.draws), _without_time(runs["local 1"].draws)
    )


def test_a_scheduler_without_workers_is_refused(tmp_path: Path) -> None:
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
        pytest.raises(ClusterError, match="has no workers"),
    ):
        _study(replications=2).run(
            backend="dask",
            address=cluster.scheduler_address,
            store=tmp_path / "s",
            progress=False,
            connect_timeout=1.0,
        )
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"backend": "spark"}, nm.exceptions.OptionError, "backend"),
        ({"workers": 0}, SpecificationError, "workers must be a positive integer"),
        ({"address": "tcp://127.0.0.1:9"}, SpecificationError, "use backend='dask'"),
    ],
)
def test_run_options_are_checked(arguments: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        _study(replications=1).run(progress=False, **arguments)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"dgp": 3}, InputTypeError, "dgp must be a callable"),
        ({"models": {"ML": nm.SAR}}, InputTypeError, r"must be \(ModelClass, formula\)"),
        ({"models": {"ML": (len, FORMULA)}}, InputTypeError, "must start with a model class"),
        ({"replications": 0}, SpecificationError, "at least 1"),
        ({"seed": -1}, InputTypeError, "non-negative integer"),
    ],
)
def test_study_arguments_are_checked(arguments: dict[str, Any], error: type, match: str) -> None:
    values = {
        "dgp": knn_process("SAR", n=N, design_seed=5),
        "models": MODELS,
        "replications": 2,
        "seed": 1,
    }
    with pytest.raises(error, match=match):
        Study(**(values | arguments))


@pytest.mark.parametrize("kind", ["SDM", "SAC"])
def test_sdm_and_sac_processes_draw_their_model_and_state_its_truth(kind: str) -> None:
    """The mean of the draws is the model's expectation ``A^{-1} (X beta + W X theta)`` (an
    error term has mean zero), and the true impacts are the mean diagonal and row sums of
    ``A^{-1} (beta_r I + theta_r W)`` computed densely."""
    from naeringsmiljo.studies import knn_process

    process = knn_process(kind, n=40, rho=0.4, lam=0.3, theta=(0.5, -0.2), design_seed=3)
    w = process.w.sparse.toarray()
    a_inv = np.linalg.inv(np.eye(40) - 0.4 * w)
    x = process.x.to_numpy()
    beta = np.array([1.0, 1.0, -1.0])
    theta = np.array([0.5, -0.2]) if kind == "SDM" else np.zeros(2)
    mean = a_inv @ (beta[0] + x @ beta[1:] + w @ x @ theta)
    draws = np.array([process(np.random.SeedSequence(s))[0]["y"] for s in range(400)])
    # 400 draws: the mean of each unit within 4.5 Monte Carlo standard errors (Bonferroni over 40)
    se = draws.std(axis=0, ddof=1) / np.sqrt(400)
    assert np.all(np.abs(draws.mean(axis=0) - mean) <= 4.5 * se)
    truth = process.truth()
    for j, name in enumerate(["x1", "x2"]):
        s_r = a_inv * beta[1 + j] + a_inv @ w * theta[j]
        # dense against sparse LU and eigenvalues: equal to rounding
        np.testing.assert_allclose(truth[f"total_{name}"], s_r.sum(axis=1).mean(), rtol=1e-10)
        np.testing.assert_allclose(truth[f"direct_{name}"], np.diag(s_r).mean(), rtol=1e-10)
