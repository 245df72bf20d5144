"""Figures of :mod:`naeringsmiljo.plots`, rendered to PNG files with the Agg backend.

What is checked is what the figure says: the number of points and lines, their coordinates
(computed independently here from the data, the weights and the impacts), labels and titles.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import naeringsmiljo as nm
from naeringsmiljo import plots
from naeringsmiljo.exceptions import (
    IdMismatchError,
    InputTypeError,
    SpecificationError,
)

FORMULA = "CRIME ~ INC + HOVAL"
# Coordinates drawn are the computed floats themselves; matplotlib stores them unchanged.
EXACT_RTOL = 1e-12


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def columbus():
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights("anselin").row_standardize()
    return data, w, nm.SAR.from_formula(FORMULA, data, w).fit()


def _saved(ax, path) -> None:
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_does_not_import_matplotlib():
    code = "import sys, naeringsmiljo; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_moran_scatterplot_points_line_and_title(columbus, tmp_path):
    _, w, res = columbus
    ax = plots.moran_scatterplot(res.resid, w)
    _saved(ax, tmp_path / "moran.png")
    points = ax.collections[0].get_offsets()
    assert len(points) == 49
    e = res.resid.reindex(w.ids).to_numpy()
    z = (e - e.mean()) / e.std()
    np.testing.assert_allclose(points[:, 0], z, rtol=EXACT_RTOL)
    np.testing.assert_allclose(points[:, 1], w.sparse @ z, rtol=EXACT_RTOL)
    # Moran's I of the residuals of e on a constant: of e centred, as in the plot
    moran = nm.diagnostics.moran_test(e, np.ones((49, 1)), w.sparse).moran_i
    assert ax.get_title() == f"Moran's I = {moran:.4f}"
    assert ax.get_xlabel() == "resid (standardised)"
    assert ax.get_ylabel() == "spatial lag of resid"


def test_moran_scatterplot_aligns_by_id_and_accepts_ax(columbus):
    _, w, res = columbus
    _, ax = plt.subplots()
    shuffled = res.resid.sample(frac=1.0, random_state=1)
    returned = plots.moran_scatterplot(shuffled, w, ax=ax)
    assert returned is ax
    reference = plots.moran_scatterplot(res.resid, w)
    np.testing.assert_array_equal(
        ax.collections[0].get_offsets(), reference.collections[0].get_offsets()
    )
    with pytest.raises(IdMismatchError, match="missing"):
        plots.moran_scatterplot(res.resid.iloc[1:], w)


def test_plot_impacts_points_intervals_and_labels(columbus, tmp_path):
    _, _, res = columbus
    impacts = res.impacts()
    ax = plots.plot_impacts(impacts)
    _saved(ax, tmp_path / "impacts.png")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["INC", "HOVAL"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["direct", "indirect", "total"]
    assert ax.get_xlabel() == "impact (95% intervals)" and ax.get_title() == "Impacts, SAR"
    lines = [line for line in ax.get_lines() if line.get_marker() == "o"]  # the estimates
    for effect, line in zip(("direct", "indirect", "total"), lines, strict=True):
        np.testing.assert_allclose(
            line.get_xdata(), impacts.estimates[effect].to_numpy(), rtol=EXACT_RTOL
        )
    bars = [c for c in ax.collections if len(c.get_segments()) == 2]
    interval = impacts.conf_int(0.05)[("total", "lower")].to_numpy()
    lows = [segment[0][0] for segment in bars[2].get_segments()]
    np.testing.assert_allclose(lows, interval, rtol=EXACT_RTOL)


def test_plot_impacts_without_inference_draws_points_only(columbus):
    _, _, res = columbus
    ax = plots.plot_impacts(res.impacts(inference=None), effects=["total"])
    assert ax.get_xlabel() == "impact (no inference)"
    assert not ax.collections  # no interval bars
    with pytest.raises(SpecificationError, match="effects"):
        plots.plot_impacts(res.impacts(), effects=["spillover"])
    with pytest.raises(InputTypeError, match="Impacts"):
        plots.plot_impacts(res.impacts().estimates)


def test_plot_cumulative_impacts_by_order(columbus, tmp_path):
    _, _, res = columbus
    impacts = res.impacts(order=12)
    ax = plots.plot_cumulative_impacts(impacts, effect="indirect")
    _saved(ax, tmp_path / "cumulative.png")
    data_lines = [line for line in ax.get_lines() if line.get_label() in ("INC", "HOVAL")]
    assert [line.get_label() for line in data_lines] == ["INC", "HOVAL"]
    for line in data_lines:
        by_order = impacts.by_order["indirect"].xs(line.get_label(), level="variable")
        np.testing.assert_array_equal(line.get_xdata(), np.arange(13))
        np.testing.assert_allclose(line.get_ydata(), by_order.cumsum().to_numpy(), rtol=1e-12)
    assert ax.get_ylabel() == "cumulative indirect impact"
    assert ax.get_xlabel() == "order of neighbours (power of W)"
    one = plots.plot_cumulative_impacts(impacts, variables=["HOVAL"])
    assert [t.get_text() for t in one.get_legend().get_texts()] == ["HOVAL"]
    with pytest.raises(SpecificationError, match="No impacts of"):
        plots.plot_cumulative_impacts(impacts, variables=["AGE"])


def test_plot_cumulative_impacts_needs_orders(columbus):
    _, _, res = columbus
    without = dataclasses.replace(res.impacts(), by_order=None)  # as a sampler's might be
    with pytest.raises(SpecificationError, match="by order"):
        plots.plot_cumulative_impacts(without)
    with pytest.raises(SpecificationError, match="effect must be"):
        plots.plot_cumulative_impacts(res.impacts(), effect="spillover")


def test_plot_map_of_polygons_colours_each_unit(columbus, tmp_path):
    _, _, res = columbus
    geometry = nm.datasets.columbus_geometry()
    ax = plots.plot_map(res.resid, geometry, center=0.0, cmap="RdBu_r", title="Residuals")
    _saved(ax, tmp_path / "map.png")
    assert ax.get_title() == "Residuals"
    patches = ax.collections[0]
    assert len(patches.get_paths()) == 49
    colours = patches.get_facecolor()
    order = np.argsort(res.resid.reindex(geometry.index).to_numpy())
    # the most negative residual is the bluest, the largest the reddest
    assert colours[order[0]][2] > colours[order[0]][0]
    assert colours[order[-1]][0] > colours[order[-1]][2]
    colourbar = ax.figure.axes[-1]
    assert colourbar.get_ylabel() == "resid"
    low, high = colourbar.get_ylim()
    np.testing.assert_allclose(-low, high, rtol=1e-12)  # centred at zero


def test_plot_map_of_points_with_missing_units(columbus, tmp_path):
    data, _, res = columbus
    points = data.rename(columns={"X": "x", "Y": "y"})
    part = res.resid.iloc[:40]
    _, ax = plt.subplots()
    returned = plots.plot_map(part, points, ax=ax, legend=False, missing_color="black")
    assert returned is ax
    _saved(ax, tmp_path / "points.png")
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 49
    np.testing.assert_array_equal(offsets[:, 0], points["x"].to_numpy())
    black = np.all(ax.collections[0].get_facecolor()[:, :3] == 0.0, axis=1)
    assert black.sum() == 9  # the units without a value
    assert len(ax.figure.axes) == 1  # no colour bar


def test_plot_map_of_norway_municipalities(tmp_path):
    geometry = nm.datasets.norway_municipalities(geometry=True)
    values = pd.Series(np.arange(356.0), index=geometry.index, name="rank")
    ax = plots.plot_map(values, geometry, label="rank of the code")
    _saved(ax, tmp_path / "norway.png")
    assert len(ax.collections[0].get_paths()) >= 356  # multipolygons give several paths
    assert ax.figure.axes[-1].get_ylabel() == "rank of the code"


def test_plot_map_refuses_values_of_unknown_units(columbus):
    data, _, res = columbus
    geometry = nm.datasets.columbus_geometry()
    with pytest.raises(IdMismatchError, match="not among the units"):
        plots.plot_map(res.resid.rename(index=lambda i: i + 100), geometry)
    with pytest.raises(InputTypeError, match="geometry_frame"):
        plots.plot_map(res.resid, geometry.geometry.to_numpy())
    with pytest.raises(InputTypeError, match="neither a geometry column"):
        plots.plot_map(res.resid, data)
