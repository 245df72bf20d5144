"""Loader of the simulated milieu economy shipped in ``data/simulated``.

One draw of :func:`naeringsmiljo.simulate.simulate_milieu` (seed 2024, all defaults) on the 356
Norwegian municipalities: actors, collaboration ties, municipality outcomes drawn from a
spatial-lag model with known parameters, and the outcome split over the actors. How the files
were made and what every column holds: ``data/simulated/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from naeringsmiljo.datasets._files import data_dir

#: Column types of the files: codes (municipality "0301", industry "62.010") stay strings, so
#: that leading and trailing zeros survive.
_DTYPES: dict[str, dict[str, Any]] = {
    "actors": {
        "actor_id": "int64",
        "region": str,
        "actor_type": str,
        "industry": str,
        "size": "float64",
        "x": "float64",
        "y": "float64",
    },
    "ties": {
        "actor_a": "int64",
        "actor_b": "int64",
        "start": "int64",
        "end": "int64",
        "formal": bool,
        "kind": str,
    },
    "outcomes": {"region": str},
    "actor_outcomes": {"actor_id": "int64", "innovations": "int64"},
    "panel": {"region": str, "year": "int64"},
    "presence": {"actor_id": "int64", "entry": "int64", "exit": "int64"},
}


@dataclass(frozen=True)
class SimulatedMilieu:
    """The simulated milieu economy: microdata, outcomes and the parameters that made them.

    Attributes
    ----------
    actors : pandas.DataFrame
        One row per actor: ``actor_id``, ``region`` (4-digit municipality code, a string),
        ``actor_type``, ``industry`` (SN2007 code such as ``"62.010"``, a string), ``size``
        (employment), ``x``, ``y`` (EPSG:25833 metres).
    ties : pandas.DataFrame
        One row per tie: ``actor_a``, ``actor_b``, ``start``, ``end`` (years), ``formal``
        (bool), ``kind``.
    outcomes : pandas.DataFrame
        One row per municipality, indexed by its code (``region``, a string, in the order of
        :func:`naeringsmiljo.datasets.norway_municipalities`): the outcome ``innovations``, its
        regressors and ``innovations_mixed``.
    actor_outcomes : pandas.DataFrame
        ``actor_id`` and ``innovations``: each municipality's count split over its actors.
    truth : dict
        The seed, the settings and the true parameters (``truth.json``; the panel outcome's
        two-way fixed-effects SDM under ``panel``).
    panel : pandas.DataFrame
        The years 2015-2022: one row per municipality and year, indexed by (``region``,
        ``year``): the panel outcome ``innovations``, ``n_actors``, ``n_ties`` and the year's
        measures.
    presence : pandas.DataFrame
        ``actor_id``, ``entry``, ``exit``: the first and last year each actor is present.
    """

    actors: pd.DataFrame
    ties: pd.DataFrame
    outcomes: pd.DataFrame
    actor_outcomes: pd.DataFrame
    truth: dict[str, Any] = field(repr=False)
    panel: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    presence: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)


def simulated_milieu() -> SimulatedMilieu:
    """The simulated milieu economy of ``data/simulated``, with codes kept as strings.

    The outcome equation was drawn with the row-standardised 6 nearest municipalities
    (``datasets.norway_weights("knn", k=6).row_standardize()``); ``truth`` holds its
    parameters.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> milieu = datasets.simulated_milieu()
    >>> milieu.outcomes.index[:2].tolist(), milieu.actors["industry"].iloc[0]
    (['0301', '1101'], '71.111')
    >>> milieu.truth["rho"]
    0.4
    """
    folder = data_dir("simulated", "outcomes.csv", "simulated milieu")
    frames = {
        name: pd.read_csv(folder / f"{name}.csv", dtype=dtypes) for name, dtypes in _DTYPES.items()
    }
    return SimulatedMilieu(
        actors=frames["actors"],
        ties=frames["ties"],
        outcomes=frames["outcomes"].set_index("region"),
        actor_outcomes=frames["actor_outcomes"],
        truth=json.loads((folder / "truth.json").read_text("utf-8")),
        panel=frames["panel"].set_index(["region", "year"]),
        presence=frames["presence"],
    )
