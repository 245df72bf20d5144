"""The microdata schema: clean frames pass with normalised dtypes, bad ones raise
:class:`MicrodataError` naming the offending rows, and nothing is dropped silently."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from naeringsmiljo import SpatialWeights
from naeringsmiljo.exceptions import NaeringsmiljoError, OptionError
from naeringsmiljo.microdata import (
    Microdata,
    MicrodataError,
    link_ties,
    validate_actors,
    validate_outcomes,
    validate_ties,
)


@pytest.fixture
def actors() -> pd.DataFrame:
    """Five actors in three municipalities; row labels 10..14 differ from the actor ids."""
    return pd.DataFrame(
        {
            "actor_id": ["f1", "f2", "u1", "k1", "f3"],
            "region": ["0301", "0301", "5001", "5001", "4601"],
            "actor_type": ["firm", "firm", "knowledge", "public", "firm"],
            "industry": ["62.01", "62", "85.422", "84.11", "10.2"],
            "size": [12, 0, 950.5, 30, 4],
            "x": [262_000.0, 263_500.0, 270_000.0, 271_000.0, -30_000.0],
            "y": [6_650_000.0, 6_651_000.0, 7_040_000.0, 7_041_000.0, 6_730_000.0],
            "founded": [1999, 2015, 1910, 1837, 2001],
        },
        index=pd.Index([10, 11, 12, 13, 14]),
    )


@pytest.fixture
def ties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "actor_a": ["f1", "f1", "u1", "f3"],
            "actor_b": ["f2", "u1", "k1", "f1"],
            "year": [2019, 2020, 2020, 2021],
            "formal": [True, False, True, False],
            "kind": ["value_chain", "innovation_project", "joint_activity", None],
        },
        index=pd.Index([100, 101, 102, 103]),
    )


@contextlib.contextmanager
def raises_naming(rows: list, match: str) -> Iterator[pytest.ExceptionInfo[MicrodataError]]:
    """Expect a MicrodataError matching ``match`` whose ``rows`` and message name ``rows``."""
    with pytest.raises(MicrodataError, match=match) as info:
        yield info
    assert set(info.value.rows) == set(rows), info.value.rows
    for row in rows:
        assert repr(row) in str(info.value)


# ---------------------------------------------------------------------------------- actors
def test_clean_actors_pass_with_normalised_dtypes(actors) -> None:
    raw = actors.copy()
    raw["industry"] = raw["industry"].astype("category")
    raw["region"] = raw["region"].astype("category")
    out = validate_actors(raw)
    assert list(out.columns[:7]) == [
        "actor_id",
        "region",
        "actor_type",
        "industry",
        "size",
        "x",
        "y",
    ]
    assert "founded" in out.columns
    assert out.index.equals(actors.index)
    assert pd.api.types.is_string_dtype(out["industry"]) and out["industry"].tolist() == list(
        actors["industry"]
    )
    assert not isinstance(out["region"].dtype, pd.CategoricalDtype)
    assert out["size"].dtype == np.float64 and out["x"].dtype == np.float64
    pd.testing.assert_frame_equal(
        raw,
        actors.assign(
            industry=actors["industry"].astype("category"),
            region=actors["region"].astype("category"),
        ),
    )  # the input is left as it was


def test_actors_without_coordinates_are_valid(actors) -> None:
    out = validate_actors(actors.drop(columns=["x", "y"]))
    assert "x" not in out.columns and len(out) == len(actors)


@pytest.mark.parametrize(
    ("change", "rows", "match"),
    [
        (
            lambda f: f.assign(actor_id=["f1", "f2", "u1", "f1", "f3"]),
            [10, 13],
            "duplicated actor_id",
        ),
        (lambda f: f.assign(size=[12, -1, 950.5, 30, -0.5]), [11, 14], "negative size"),
        (lambda f: f.assign(size=[12, 0, np.inf, 30, 4]), [12], "infinite"),
        (lambda f: f.assign(size=[12, 0, "many", 30, 4]), [12], "non-numeric"),
        (
            lambda f: f.assign(industry=["62.01", "6a", "62.", ".62", "62..01"]),
            [11, 12, 13, 14],
            "malformed industry",
        ),
        (
            lambda f: f.assign(industry=["62.01", " 62", "85.422", "84.11", "10-2"]),
            [11, 14],
            "malformed industry",
        ),
        (lambda f: f.assign(industry=[62, 62, 85, 84, 10]), [10, 11, 12, 13, 14], "non-string"),
        (
            lambda f: f.assign(actor_type=["firm", 1, "knowledge", "public", "firm"]),
            [11],
            "non-string",
        ),
        (lambda f: f.assign(region=["0301", None, "5001", "5001", np.nan]), [11, 14], "missing"),
        (lambda f: f.assign(size=[12, 0, np.nan, 30, 4]), [12], "missing value"),
        (lambda f: f.assign(x=[1.0, np.nan, 2.0, 3.0, 4.0]), [11], "missing value"),
        (lambda f: f.assign(y=[1.0, 2.0, 3.0, np.inf, 5.0]), [13], "infinite"),
    ],
)
def test_bad_actors_raise_naming_rows(actors, change, rows, match) -> None:
    with raises_naming(rows, match):
        validate_actors(change(actors))


@pytest.mark.parametrize("column", ["actor_id", "region", "actor_type", "industry", "size"])
def test_missing_actor_column_is_named(actors, column) -> None:
    with pytest.raises(MicrodataError, match=f"'{column}'") as info:
        validate_actors(actors.drop(columns=[column]))
    assert info.value.rows == ()


def test_one_coordinate_only_raises(actors) -> None:
    with pytest.raises(MicrodataError, match="only 'x'"):
        validate_actors(actors.drop(columns=["y"]))


def test_regions_absent_from_the_weights_raise(actors) -> None:
    weights = SpatialWeights.from_edges(
        pd.DataFrame({"i": ["0301"], "j": ["5001"]}), source="i", target="j", symmetric=True
    )
    with raises_naming([14], "absent from the weights") as info:
        validate_actors(actors, weights=weights)
    assert "4601" in str(info.value)


def test_all_problems_are_reported_together(actors) -> None:
    bad = actors.assign(size=[12, -1, 950.5, 30, 4], industry=["62.01", "62", "x", "84.11", "10.2"])
    with raises_naming([11, 12], "negative size") as info:
        validate_actors(bad)
    assert "malformed industry" in str(info.value)


def test_microdata_error_is_a_package_value_error(actors) -> None:
    with pytest.raises(MicrodataError) as info:
        validate_actors(actors.assign(size=-1.0))
    assert isinstance(info.value, NaeringsmiljoError) and isinstance(info.value, ValueError)


def test_message_shortens_long_row_lists() -> None:
    n = 25
    frame = pd.DataFrame(
        {"actor_id": range(n), "region": 1, "actor_type": "firm", "industry": "62", "size": -1.0}
    )
    with pytest.raises(MicrodataError, match="and 15 more") as info:
        validate_actors(frame)
    assert len(info.value.rows) == n


# ---------------------------------------------------------------------------------- ties
def test_clean_ties_pass_with_normalised_dtypes(actors, ties) -> None:
    raw = ties.assign(formal=[1, 0, 1, 0], year=[2019.0, 2020.0, 2020.0, 2021.0])
    out = validate_ties(raw, validate_actors(actors))
    assert out.index.equals(ties.index)
    assert out["formal"].dtype == bool and out["formal"].tolist() == [True, False, True, False]
    assert out["year"].dtype == np.int64
    assert pd.api.types.is_string_dtype(out["kind"]) and out["kind"].isna().tolist() == [
        False,
        False,
        False,
        True,
    ]


def test_spells_are_valid(actors) -> None:
    spells = pd.DataFrame(
        {"actor_a": ["f1"], "actor_b": ["f2"], "start": [2015], "end": [2018], "formal": [True]}
    )
    out = validate_ties(spells, actors)
    assert out[["start", "end"]].dtypes.tolist() == [np.int64, np.int64]


@pytest.mark.parametrize(
    ("change", "rows", "match"),
    [
        (lambda t: t.assign(actor_b=["f2", "zz", "k1", "f1"]), [101], "not among the actors"),
        (lambda t: t.assign(actor_a=["f1", "f1", "qq", "ww"]), [102, 103], "not among the actors"),
        (lambda t: t.assign(actor_b=["f1", "u1", "u1", "f1"]), [100, 102], "self-tie"),
        (lambda t: t.assign(year=[2019, 2020.5, 2020, 2021]), [101], "non-integer year"),
        (lambda t: t.assign(formal=[True, "yes", False, True]), [101], "neither True/False"),
        (lambda t: t.assign(formal=[1, 0, 2, 1]), [102], "neither True/False"),
        (lambda t: t.assign(formal=[True, None, False, True]), [101], "missing value"),
        (lambda t: t.assign(actor_a=["f1", None, "u1", "f3"]), [101], "missing value"),
        (lambda t: t.assign(kind=["value_chain", 3, None, "x"]), [101], "non-string"),
    ],
)
def test_bad_ties_raise_naming_rows(actors, ties, change, rows, match) -> None:
    with raises_naming(rows, match):
        validate_ties(change(ties), actors)


def test_start_after_end_raises(actors) -> None:
    spells = pd.DataFrame(
        {
            "actor_a": ["f1", "f1", "u1"],
            "actor_b": ["f2", "u1", "k1"],
            "start": [2015, 2019, 2020],
            "end": [2018, 2017, 2020],
            "formal": [True, False, True],
        },
        index=["t1", "t2", "t3"],
    )
    with raises_naming(["t2"], "start > end"):
        validate_ties(spells, actors)


def test_ties_need_years(actors, ties) -> None:
    with pytest.raises(MicrodataError, match="'year' column or both 'start' and 'end'"):
        validate_ties(ties.drop(columns=["year"]), actors)
    with pytest.raises(MicrodataError, match="either 'year' or 'start' and 'end'"):
        validate_ties(ties.assign(start=2019, end=2020), actors)
    with pytest.raises(MicrodataError, match="'formal'"):
        validate_ties(ties.drop(columns=["formal"]), actors)


# ---------------------------------------------------------------------------------- outcomes
def test_outcomes_per_actor_and_per_region(actors) -> None:
    per_actor = pd.DataFrame({"patents": [1, 0], "actor_id": ["f1", "u1"], "new": [True, False]})
    out = validate_outcomes(per_actor, actors=actors)
    assert list(out.columns) == ["actor_id", "patents", "new"]
    assert out["patents"].dtype == np.float64 and out["new"].tolist() == [1.0, 0.0]
    per_region = pd.DataFrame({"region": ["0301", "4601"], "innovations": [3.0, np.nan]})
    out = validate_outcomes(per_region, actors=actors, level="region")
    assert np.isnan(out["innovations"].iloc[1])  # missing outcomes are kept for the model


@pytest.mark.parametrize(
    ("frame", "level", "rows", "match"),
    [
        (
            pd.DataFrame({"actor_id": ["f1", "f1", "u1"], "patents": [1, 2, 3]}),
            "actor",
            [0, 1],
            "duplicated actor_id",
        ),
        (
            pd.DataFrame({"actor_id": ["f1", "nobody"], "patents": [1, 2]}),
            "actor",
            [1],
            "not among the actors",
        ),
        (
            pd.DataFrame({"actor_id": ["f1", "u1"], "patents": [1, "two"]}),
            "actor",
            [1],
            "non-numeric",
        ),
        (
            pd.DataFrame({"region": ["0301", "9999"], "patents": [1, 2]}),
            "region",
            [1],
            "not among the actors",
        ),
        (
            pd.DataFrame({"region": ["0301", "5001"], "patents": [1, np.inf]}),
            "region",
            [1],
            "infinite",
        ),
    ],
)
def test_bad_outcomes_raise_naming_rows(actors, frame, level, rows, match) -> None:
    with raises_naming(rows, match):
        validate_outcomes(frame, actors=actors, level=level)


def test_outcomes_need_an_outcome_and_a_known_level(actors) -> None:
    with pytest.raises(MicrodataError, match="no outcome column"):
        validate_outcomes(pd.DataFrame({"actor_id": ["f1"]}))
    with pytest.raises(OptionError, match="level='firm' is not one of"):
        validate_outcomes(pd.DataFrame({"actor_id": ["f1"], "y": [1]}), level="firm")
    with pytest.raises(MicrodataError, match="'region'"):
        validate_outcomes(pd.DataFrame({"actor_id": ["f1"], "y": [1]}), level="region")


# ---------------------------------------------------------------------------------- bundle
def test_microdata_from_frames_validates_everything(actors, ties) -> None:
    outcomes = pd.DataFrame({"region": ["0301", "5001"], "patents": [2, 5]})
    data = Microdata.from_frames(actors, ties, outcomes)
    assert data.outcome_level == "region"
    assert data.ties["formal"].dtype == bool
    assert repr(data) == "Microdata(5 actors in 3 regions, 4 ties, 2 region outcome rows)"
    with raises_naming([101], "not among the actors"):
        Microdata.from_frames(actors, ties.assign(actor_b=["f2", "zz", "k1", "f1"]))
    with raises_naming([0], "not among the actors"):
        Microdata.from_frames(actors, ties, pd.DataFrame({"actor_id": ["zz"], "patents": [1]}))
    with pytest.raises(MicrodataError, match="negative size"):
        Microdata.from_frames(actors.assign(size=-1.0), ties)
    assert Microdata.from_frames(actors, ties).outcome_level is None


def test_microdata_is_frozen(actors, ties) -> None:
    data = Microdata.from_frames(actors, ties)
    with pytest.raises(AttributeError):
        data.actors = actors  # type: ignore[misc]


# ---------------------------------------------------------------------------------- linking
def test_link_ties_resolves_positions_regions_and_years(actors, ties) -> None:
    linked = link_ties(validate_actors(actors), validate_ties(ties, actors))
    assert list(linked.regions) == ["0301", "4601", "5001"]
    np.testing.assert_array_equal(linked.a, [0, 0, 2, 4])
    np.testing.assert_array_equal(linked.b, [1, 2, 3, 0])
    np.testing.assert_array_equal(linked.region_a, [0, 0, 2, 1])
    np.testing.assert_array_equal(linked.local, [True, False, True, False])
    in_2020 = link_ties(actors, ties, year=2020)
    np.testing.assert_array_equal(in_2020.tie_rows, [1, 2])
    from_2020 = link_ties(actors, ties, year=(2020, 2030))
    np.testing.assert_array_equal(from_2020.tie_rows, [1, 2, 3])
    with pytest.raises(MicrodataError, match="ends before it starts"):
        link_ties(actors, ties, year=(2021, 2019))
