"""Step 3: measures of the milieu in the 356 Norwegian municipalities (simulated microdata).

The shipped simulated milieu economy (``data/simulated``: actors, ties, regional outcomes) is
validated with :mod:`naeringsmiljo.microdata`, and every measure of the package is computed for
every municipality:

- co-location: Krugman's specialisation and the share of employment in divisions with a
  location quotient above one, actors and employment per km², the distance-decayed
  co-location potential (Gaussian kernel, 2 km bandwidth, actors pooled in 500 m cells);
- collaboration: ties per actor, the share of local ties, the share of formal agreements among
  the distant ties (beyond 50 km), the persistence of partner pairs and the share of repeat
  partners;
- diversity: total entropy, related and unrelated variety of firm employment (Frenken, Van Oort &
  Verburg 2007), the entropy of the actor types, and the triple-helix mutual information of
  municipality, industry and size class within each county (Strand & Leydesdorff 2013).

The four regressors of the simulated outcome are recomputed from the microdata and must equal
those shipped in ``outcomes.csv``: the measures are the design of step 4. Outputs: the tables
``measures_summary`` and ``measures_triple_helix`` and the figure ``measures_map``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo import diagnostics, measures
from replication.latex import num, tabular

#: Distance beyond which a tie leaving the municipality counts as distant (metres).
DISTANT_TIE_M = 50_000.0
#: Co-location potential: Gaussian kernel bandwidth and pooling cell side (metres). A quarter
#: of the bandwidth kept regional means within 0.15 % of the exact sums in the benchmarks.
POTENTIAL_BANDWIDTH_M = 2_000.0
POTENTIAL_RESOLUTION_M = 500.0
#: The regressors of the simulated outcome equation (``data/simulated/truth.json``).
DESIGN = ("log_actors", "local_share", "related_variety", "unrelated_variety")

#: Region-level measures of the summary table: column, label, construct.
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("log_actors", "Log number of actors", "Co-location"),
    ("actors_per_km2", "Actors per km$^2$", "Co-location"),
    ("employment_per_km2", "Employment per km$^2$", "Co-location"),
    ("log_potential", "Log co-location potential", "Co-location"),
    ("krugman", "Krugman specialisation", "Co-location"),
    ("lq_share", "Employment share with LQ $>1$", "Co-location"),
    ("ties_per_actor", "Ties per actor", "Collaboration"),
    ("local_share", "Local share of ties", "Collaboration"),
    ("formal_share_distant", "Formal share of distant ties", "Collaboration"),
    ("persistence", "Persistence of partner pairs (years)", "Collaboration"),
    ("repeat_partner_share", "Repeat-partner share", "Collaboration"),
    ("entropy", "Industry entropy (bits)", "Diversity"),
    ("related_variety", "Related variety (bits)", "Diversity"),
    ("unrelated_variety", "Unrelated variety (bits)", "Diversity"),
    ("actor_diversity", "Actor-type entropy (bits)", "Diversity"),
)

#: The four mapped measures: column, panel title.
MAPPED = (
    ("log_potential", "Log co-location potential"),
    ("local_share", "Local share of ties"),
    ("related_variety", "Related variety (bits)"),
    ("actor_diversity", "Actor-type entropy (bits)"),
)

#: Municipalities whose values are reported: Oslo, Bergen, Trondheim, Utsira.
REPORTED_REGIONS = {"oslo": "0301", "bergen": "4601", "trondheim": "5001", "utsira": "1151"}


@dataclass(frozen=True)
class Milieu:
    """The validated simulated microdata, their municipality outcomes and the municipalities."""

    data: nm.microdata.Microdata
    municipalities: pd.DataFrame

    @property
    def actors(self) -> pd.DataFrame:
        return self.data.actors

    @property
    def ties(self) -> pd.DataFrame:
        return self.data.ties

    @property
    def outcomes(self) -> pd.DataFrame:
        assert self.data.outcomes is not None
        return self.data.outcomes.set_index("region").loc[self.municipalities.index]


def load_milieu(root: Path) -> Milieu:
    """Read and validate ``data/simulated`` against the 6-nearest-neighbour municipality weights."""
    folder = Path(root) / "data" / "simulated"
    actors = pd.read_csv(folder / "actors.csv", dtype={"region": str, "industry": str})
    ties = pd.read_csv(folder / "ties.csv")
    outcomes = pd.read_csv(folder / "outcomes.csv", dtype={"region": str})
    weights = nm.datasets.norway_weights("knn", k=6)
    data = nm.microdata.Microdata.from_frames(
        actors, ties, outcomes, weights=weights, outcome_level="region"
    )
    return Milieu(data, nm.datasets.norway_municipalities())


def region_measures(milieu: Milieu) -> pd.DataFrame:
    """Every region-level measure of the milieu, one row per municipality (sorted codes)."""
    actors, ties = milieu.actors, milieu.ties
    regions = milieu.municipalities.index
    firms = actors[actors["actor_type"] == "firm"]

    dense = measures.density(actors, milieu.municipalities["area_km2"])
    potential = measures.colocation_potential(
        actors,
        distance_decay="gaussian",
        bandwidth=POTENTIAL_BANDWIDTH_M,
        resolution=POTENTIAL_RESOLUTION_M,
    )
    quotients = measures.location_quotients(actors, level=2, weight="size")
    employment = pd.crosstab(
        actors["region"],
        actors["industry"].str.replace(".", "").str[:2],
        actors["size"],
        aggfunc="sum",
    ).fillna(0.0)
    employment = employment.loc[quotients.index, quotients.columns]
    lq_share = (employment * (quotients > 1.0)).sum(axis=1) / employment.sum(axis=1)
    profile = measures.collaboration(actors, ties, distance_band=DISTANT_TIE_M)
    variety = measures.variety(firms, group_digits=2, weight="size")
    types = measures.actor_diversity(actors)

    frame = pd.DataFrame(
        {
            "n_actors": dense["n_actors"],
            "log_actors": np.log(dense["n_actors"].astype(np.float64)),
            "actors_per_km2": dense["actors_per_km2"],
            "employment_per_km2": dense["employment_per_km2"],
            "potential": potential["colocation_potential"],
            "krugman": measures.specialisation(actors, level=2)["krugman"],
            "lq_share": lq_share,
            "ties_per_actor": profile["ties_per_actor"],
            "local_share": profile["local_share"],
            "formal_share_distant": profile["formal_share_distant"],
            "persistence": profile["persistence"],
            "repeat_partner_share": profile["repeat_partner_share"],
            "entropy": variety["entropy"],
            "related_variety": variety["related"],
            "unrelated_variety": variety["unrelated"],
            "actor_diversity": types["entropy"],
        }
    ).reindex(regions)
    frame["log_potential"] = np.log(frame["potential"])
    frame.index.name = "region"
    return frame


def check_design(frame: pd.DataFrame, outcomes: pd.DataFrame) -> float:
    """Largest absolute gap between the recomputed regressors and those of ``outcomes.csv``."""
    gap = (frame[list(DESIGN)].fillna(0.0) - outcomes[list(DESIGN)]).abs().to_numpy().max()
    if not gap <= 1e-10:
        raise AssertionError(f"The measures do not reproduce the simulated design (gap {gap}).")
    return float(gap)


def triple_helix_by_county(milieu: Milieu) -> pd.DataFrame:
    """Triple-helix mutual information (municipality, 2-digit industry, size class) by county."""
    counties = milieu.municipalities["county_code"]
    within = measures.triple_helix(
        milieu.actors,
        dimensions=("region", "industry_group", "size_class"),
        by="region_group",
        region_groups=counties.to_dict(),
    )
    names = milieu.municipalities.drop_duplicates("county_code").set_index("county_code")
    within.insert(0, "county", names.loc[within.index, "county_name"].to_numpy())
    return within


def moran_of(values: pd.Series, w: nm.SpatialWeights) -> Any:
    """Moran's I of one measure under the weights (intercept-only regression)."""
    y = values.to_numpy(dtype=np.float64)
    return diagnostics.moran_test(y, np.ones((len(y), 1)), w.sparse)


# ---------------------------------------------------------------------- tables and figure


def latex_number(value: float | None, digits: int = 3) -> str:
    """A number for a table cell (math mode, true minus); ``--`` when missing or not finite."""
    if value is None or not math.isfinite(value):
        return "--"
    return num(float(value), digits)


def latex_count(value: float) -> str:
    """An integer with thousands separated by a LaTeX comma group."""
    return f"{int(value):,}".replace(",", "{,}")


def noted_tabular(
    align: str, header: list[list[str]], body: list[list[str] | str], note: str
) -> str:
    """A booktabs tabular followed by its note, a footnote-size paragraph beneath it.

    The note is set after the tabular rather than in a spanning column, so that a long note
    does not widen a narrow table.
    """
    return (
        tabular(align, header, body)
        + "\n\\par\\smallskip\n{\\footnotesize\\raggedright "
        + note
        + "\\par}"
    )


def summary_table(frame: pd.DataFrame, w: nm.SpatialWeights) -> tuple[str, dict[str, float]]:
    """Booktabs table of the measures (mean, s.d., range, Moran's I) and its numbers."""
    body: list[list[str] | str] = []
    numbers: dict[str, float] = {}
    previous = None
    for column, label, construct in MEASURES:
        values = frame[column].dropna()
        test = moran_of(values, w) if len(values) == len(frame) else None
        if previous is not None and construct != previous:
            body.append(r"\addlinespace")
        shown = construct if construct != previous else ""
        previous = construct
        stats = [values.mean(), values.std(), values.min(), values.median(), values.max()]
        moran = [latex_number(test.moran_i), latex_number(test.statistic, 2)] if test else ["", ""]
        body.append([shown, label, *(latex_number(v) for v in stats), *moran])
        numbers[f"mean_{column}"] = float(values.mean())
        if test is not None:
            numbers[f"moran_{column}"] = float(test.moran_i)
    header = [
        ["Construct", "Measure", "Mean", "S.d.", "Min", "Median", "Max", "Moran's $I$", "$z$"]
    ]
    note = (
        "356 municipalities, simulated microdata. Moran's $I$ under the row-standardised "
        "6-nearest-neighbour weights, $z$ its standard deviate. Industry measures weighted by "
        "employment, over firms (variety) or all actors (co-location). Co-location potential: "
        f"Gaussian kernel with a {POTENTIAL_BANDWIDTH_M / 1000:g}~km bandwidth, actors pooled in "
        f"{POTENTIAL_RESOLUTION_M:g}~m cells. Distant ties join actors more than "
        f"{DISTANT_TIE_M / 1000:g}~km apart."
    )
    return noted_tabular("llrrrrrrr", header, body, note), numbers


def triple_helix_table(within: pd.DataFrame, national: pd.DataFrame) -> str:
    """Booktabs table of the triple-helix mutual information by county."""
    body: list[list[str] | str] = [
        [
            str(code),
            str(row["county"]),
            latex_count(row["n_actors"]),
            latex_number(row["T"]),
            latex_number(row["contribution"]),
        ]
        for code, row in within.iterrows()
    ]
    total = national.iloc[0]
    body += [
        r"\midrule",
        ["", "Norway", latex_count(total["n_actors"]), latex_number(total["T"]), ""],
    ]
    header = [["Code", "County", "Actors", "$T$ (bits)", r"Share $\times T$"]]
    note = (
        "Mutual information $T = H_G + H_T + H_O - H_{GT} - H_{GO} - H_{TO} + H_{GTO}$ of the "
        "actors over municipality ($G$), 2-digit industry ($T$) and size class ($O$), within "
        "each county; negative values indicate synergy. Share: the county's share of the actors. "
        "Oslo is a single municipality, so its $T$ is zero."
    )
    return noted_tabular("llrrr", header, body, note)


def measures_map(frame: pd.DataFrame) -> Any:
    """Four maps of the municipalities, one measure each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shapes = nm.datasets.norway_municipalities(geometry=True)
    shapes = shapes.join(frame[[column for column, _ in MAPPED]])
    fig, axes = plt.subplots(2, 2, figsize=(7.5, 9.0))
    for ax, (column, title) in zip(axes.ravel(), MAPPED, strict=True):
        shapes.plot(
            column=column,
            ax=ax,
            cmap="viridis",
            linewidth=0.1,
            edgecolor="white",
            legend=True,
            legend_kwds={"shrink": 0.6},
            missing_kwds={"color": "lightgrey"},
        )
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
        ax.set_aspect("equal")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- the step


def run(ctx: Any) -> dict[str, float]:
    """Compute, tabulate and map the measures; return the checked numbers."""
    milieu = load_milieu(ctx.root)
    frame = region_measures(milieu)
    gap = check_design(frame, milieu.outcomes)
    w = nm.datasets.norway_weights("knn", k=6).row_standardize()

    table, summary = summary_table(frame, w)
    ctx.write_table("measures_summary", table)
    within = triple_helix_by_county(milieu)
    national = measures.triple_helix(
        milieu.actors, dimensions=("region", "industry_group", "size_class")
    )
    ctx.write_table("measures_triple_helix", triple_helix_table(within, national))
    ctx.save_figure("measures_map", measures_map(frame))

    numbers = {f"s03.{key}": value for key, value in summary.items()}
    numbers["s03.n_actors"] = float(len(milieu.actors))
    numbers["s03.n_ties"] = float(len(milieu.ties))
    numbers["s03.design_gap"] = gap
    numbers["s03.triple_helix_norway"] = float(national["T"].iloc[0])
    numbers["s03.triple_helix_min_county"] = float(within["T"].min())
    for name, code in REPORTED_REGIONS.items():
        for column in ("log_potential", "local_share", "related_variety", "actor_diversity"):
            numbers[f"s03.{name}_{column}"] = float(frame.at[code, column])
    return numbers
