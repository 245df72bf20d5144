"""Time every milieu measure on one million actors and five million ties.

The data are simulated once (seed below) in the schema of ``naeringsmiljo.microdata``:
356 regions with Zipf-distributed sizes and centres spread over a 400 km by 1,500 km
rectangle, actors scattered around their region's centre, NACE codes at five digits, and ties
of which 60 % stay within the region, spells of one to several years and about 15 % repeats
of an existing pair. Run from the repository root::

    python benchmarks/measures_benchmark.py [--actors 1000000] [--ties 5000000]

and it prints the seconds each step takes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from naeringsmiljo import SpatialWeights, measures
from naeringsmiljo.microdata import validate_actors, validate_ties

SEED = 20240604
N_REGIONS = 356
LOCAL_SHARE = 0.6
REPEAT_SHARE = 0.15


@dataclass(frozen=True)
class Timing:
    step: str
    seconds: float
    rows: int


def simulate(
    n_actors: int, n_ties: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Actors and ties in the microdata schema."""
    rank = np.arange(1, N_REGIONS + 1)
    region_share = (1.0 / rank) / np.sum(1.0 / rank)
    region = np.sort(rng.choice(N_REGIONS, size=n_actors, p=region_share))
    centre = np.column_stack(
        [rng.uniform(0, 400_000, N_REGIONS), rng.uniform(0, 1_500_000, N_REGIONS)]
    )
    spread = 1500.0 + 6000.0 * np.sqrt(region_share / region_share.max())
    xy = centre[region] + rng.normal(size=(n_actors, 2)) * spread[region, None]
    divisions = rng.choice(np.arange(1, 100), size=60, replace=False)
    codes = np.array(
        [
            f"{d:02d}.{g}{c}{s}"
            for d in divisions
            for g in range(1, 4)
            for c in range(1, 3)
            for s in range(2)
        ]
    )
    popularity = rng.dirichlet(np.full(len(codes), 0.5))
    actor_type = rng.choice(["firm", "knowledge", "public"], size=n_actors, p=[0.94, 0.02, 0.04])
    actors = pd.DataFrame(
        {
            "actor_id": np.arange(n_actors) + 10_000_000,
            "region": 3000 + region,
            "actor_type": actor_type,
            "industry": rng.choice(codes, size=n_actors, p=popularity),
            "size": np.floor(rng.lognormal(1.0, 1.4, n_actors)),
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )

    first = np.searchsorted(region, np.arange(N_REGIONS))
    count = np.bincount(region, minlength=N_REGIONS)
    a = rng.integers(0, n_actors, n_ties)
    local = rng.random(n_ties) < LOCAL_SHARE
    b = np.where(
        local,
        first[region[a]] + (rng.random(n_ties) * count[region[a]]).astype(np.int64),
        rng.integers(0, n_actors, n_ties),
    )
    clash = a == b
    b[clash] = (
        first[region[a[clash]]] + (b[clash] - first[region[a[clash]]] + 1) % count[region[a[clash]]]
    )
    repeat = np.flatnonzero(rng.random(n_ties) < REPEAT_SHARE)
    source = rng.integers(0, n_ties, repeat.size)
    a[repeat], b[repeat] = a[source], b[source]
    start = rng.integers(2008, 2021, n_ties)
    end = np.minimum(start + rng.geometric(0.5, n_ties) - 1, 2022)
    ties = pd.DataFrame(
        {
            "actor_a": a + 10_000_000,
            "actor_b": b + 10_000_000,
            "start": start,
            "end": end,
            "formal": rng.random(n_ties) < np.where(local, 0.25, 0.45),
            "kind": rng.choice(["value_chain", "joint_activity", "innovation_project"], n_ties),
        }
    )
    return actors, ties


def timed(step: str, function: Callable[[], object]) -> tuple[Timing, object]:
    begin = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - begin
    rows = len(result) if hasattr(result, "__len__") else getattr(result, "n", 0)
    return Timing(step, seconds, rows), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=1_000_000)
    parser.add_argument("--ties", type=int, default=5_000_000)
    parser.add_argument(
        "--exact-sample",
        type=int,
        default=100_000,
        help="actors in the sample for the exact (unpooled) co-location potential",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)

    begin = time.perf_counter()
    raw_actors, raw_ties = simulate(args.actors, args.ties, rng)
    print(
        f"simulated {len(raw_actors):,} actors and {len(raw_ties):,} ties "
        f"in {time.perf_counter() - begin:.1f} s"
    )

    timings: list[Timing] = []
    timing, actors = timed("validate_actors", lambda: validate_actors(raw_actors))
    timings.append(timing)
    timing, ties = timed("validate_ties", lambda: validate_ties(raw_ties, actors))
    timings.append(timing)
    areas = pd.Series(500.0, index=pd.Index(np.arange(N_REGIONS) + 3000, name="region"))
    sample = actors.sample(n=min(args.exact_sample, len(actors)), random_state=SEED)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("location_quotients", lambda: measures.location_quotients(actors)),
        ("location_quotients(level=5)", lambda: measures.location_quotients(actors, level=5)),
        ("specialisation", lambda: measures.specialisation(actors)),
        ("ellison_glaeser", lambda: measures.ellison_glaeser(actors)),
        ("density", lambda: measures.density(actors, areas)),
        (
            "colocation_potential(resolution=500)",
            lambda: measures.colocation_potential(actors, bandwidth=1000.0, resolution=500.0),
        ),
        (
            "colocation_potential(resolution=250)",
            lambda: measures.colocation_potential(actors, bandwidth=1000.0, resolution=250.0),
        ),
        (
            f"colocation_potential exact, {len(sample):,} actors",
            lambda: measures.colocation_potential(sample, bandwidth=1000.0),
        ),
        ("variety", lambda: measures.variety(actors)),
        ("actor_diversity", lambda: measures.actor_diversity(actors)),
        ("triple_helix", lambda: measures.triple_helix(actors)),
        (
            "triple_helix(by=region_group)",
            lambda: measures.triple_helix(
                actors,
                dimensions=("region", "industry_group", "size_class"),
                region_groups=lambda r: r // 10,
                by="region_group",
            ),
        ),
        ("collaboration", lambda: measures.collaboration(actors, ties)),
        (
            "collaboration(distance_band=50 km)",
            lambda: measures.collaboration(actors, ties, distance_band=50_000.0),
        ),
        (
            "collaboration_weights(intensity)",
            lambda: SpatialWeights.from_collaboration(actors, ties, value="intensity"),
        ),
    ]
    for step, function in steps:
        timing, _ = timed(step, function)
        timings.append(timing)
        print(f"  {step}: {timing.seconds:.2f} s", flush=True)

    width = max(len(t.step) for t in timings)
    print()
    print(f"{'step':<{width}}  {'seconds':>8}  {'result rows':>11}")
    for t in timings:
        print(f"{t.step:<{width}}  {t.seconds:8.2f}  {t.rows:>11,}")


if __name__ == "__main__":
    main()
