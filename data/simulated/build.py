"""Write the simulated milieu economy of this folder with ``naeringsmiljo.simulate``.

Run from the repository root with the package installed:

    python data/simulated/build.py

Writes ``actors.csv``, ``ties.csv``, ``outcomes.csv`` (one row per municipality),
``actor_outcomes.csv`` (the regional innovation counts allocated to actors) and ``truth.json``
(the seed, every argument of the simulation, the true parameters of the outcome equations, with
the mix of geographic and collaboration weights of ``innovations_mixed`` under ``mixed``, and the
versions of the package and of numpy), and the years of the milieu: ``panel.csv`` (one row per
municipality and year, the panel outcome ``innovations`` and the year's measures),
``presence.csv`` (each actor's entry and exit year) and the true two-way fixed-effects SDM under
``panel`` in ``truth.json``. ``tests/test_simulate.py`` checks that the files equal a
fresh simulation from ``truth.json``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

import naeringsmiljo
from naeringsmiljo.simulate import (
    MIXED_STREAM,
    PANEL_STREAM,
    MilieuSettings,
    PanelSettings,
    simulate_milieu,
)

HERE = Path(__file__).resolve().parent

SEED = 2024
N_ACTORS = 20_000
YEARS = (2015, 2022)
K = 6


def main() -> None:
    settings = MilieuSettings()
    panel = PanelSettings()
    sim = simulate_milieu(SEED, n_actors=N_ACTORS, years=YEARS, k=K, settings=settings, panel=panel)
    sim.actors.to_csv(HERE / "actors.csv", index=False)
    sim.ties.to_csv(HERE / "ties.csv", index=False)
    sim.outcomes.to_csv(HERE / "outcomes.csv", index=False)
    assert sim.actor_outcomes is not None
    sim.actor_outcomes.to_csv(HERE / "actor_outcomes.csv", index=False)
    assert sim.mixed_params is not None
    assert sim.panel is not None and sim.presence is not None and sim.panel_params is not None
    sim.panel.to_csv(HERE / "panel.csv")
    sim.presence.to_csv(HERE / "presence.csv", index=False)
    truth_panel = sim.panel_params
    truth = {
        "seed": SEED,
        "n_actors": N_ACTORS,
        "years": list(YEARS),
        "k": K,
        "rho": sim.params.rho,
        "beta": sim.params.beta.to_dict(),
        "sigma": sim.params.sigma,
        "formula": sim.formula,
        "weights": f"{K} nearest municipalities by their points (EPSG:25833), row-standardised",
        "settings": dataclasses.asdict(settings),
        "mixed": {
            "outcome": "innovations_mixed",
            "formula": sim.mixed_formula,
            "rho": sim.mixed_params.rho,
            "gamma": sim.mixed_params.gamma.to_dict(),
            "weights": {
                "geo": "the weights of innovations (above)",
                "collab": (
                    "symmetric counts of ties between the actors of two municipalities, "
                    "2015-2022, row-standardised; a municipality without ties to another is "
                    "linked to its geographic neighbours"
                ),
            },
            "stream": f"SeedSequence([{SEED}, {MIXED_STREAM}])",
        },
        "panel": {
            "outcome": "innovations of panel.csv",
            "model": "two-way fixed-effects SDM: y_t = rho W y_t + X_t beta + W X_t theta + mu "
            "+ xi_t + eps_t, W the weights of innovations (above)",
            "formula": sim.panel_formula,
            "years": list(YEARS),
            "settings": {
                k: v
                for k, v in dataclasses.asdict(panel).items()
                if k not in ("beta", "theta", "rho", "sigma")
            },
            "rho": truth_panel.rho,
            "beta": truth_panel.beta.to_dict(),
            "theta": truth_panel.theta.to_dict(),
            "sigma": truth_panel.sigma,
            "region_effects": truth_panel.region_effects.to_dict(),
            "year_effects": {str(k): v for k, v in truth_panel.year_effects.items()},
            "stream": f"SeedSequence([{SEED}, {PANEL_STREAM}])",
        },
        "naeringsmiljo_version": naeringsmiljo.__version__,
        "numpy_version": np.__version__,
    }
    (HERE / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
    print(
        f"{len(sim.actors)} actors, {len(sim.ties)} ties, {len(sim.outcomes)} municipalities; "
        f"formal share {sim.ties['formal'].mean():.3f}; panel {len(sim.panel)} rows"
    )


if __name__ == "__main__":
    main()
