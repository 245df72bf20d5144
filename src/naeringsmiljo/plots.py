"""Figures of fitted models: maps of unit values, impacts with intervals, cumulative impacts by
order of neighbours, and Moran scatterplots.

Every function draws on a matplotlib ``Axes`` (a new figure unless ``ax=`` is given) and returns
it, so that figures can be combined, restyled and saved with matplotlib's own calls.
matplotlib (the ``plot`` extra) is imported when a function is called, not with the package;
maps of polygons need geopandas (the ``geo`` extra).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import naeringsmiljo as nm
>>> from naeringsmiljo import plots
>>> data = nm.datasets.columbus()
>>> w = nm.datasets.columbus_weights("anselin").row_standardize()
>>> res = nm.SAR.from_formula("CRIME ~ INC + HOVAL", data, w).fit()
>>> ax = plots.plot_impacts(res.impacts())
>>> ax = plots.moran_scatterplot(res.resid, w)
>>> ax.get_title()
"Moran's I = 0.0380"
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from naeringsmiljo.exceptions import IdMismatchError, InputTypeError, SpecificationError
from naeringsmiljo.inference.impacts import Impacts
from naeringsmiljo.weights.spatial_weights import SpatialWeights, _describe_ids

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The effects of an impacts object, in the order they are drawn.
EFFECTS = ("direct", "indirect", "total")


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots()
    return new


def _by_id(values: Any, ids: pd.Index, what: str) -> pd.Series:
    """``values`` as a float Series in the order of ``ids``: a Series is aligned by its index
    (ids it has and ``ids`` lacks are an error), an array is taken in the order of ``ids``."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputTypeError(
                f"{what} must be one column of values; select it (frame['column'])."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        unknown = values.index.difference(ids, sort=False)
        if len(unknown):
            raise IdMismatchError(
                f"{what} has values for ids that are not among the units: "
                f"{_describe_ids(unknown)}.",
                missing_in_weights=tuple(unknown),
            )
        return values.reindex(ids).astype(np.float64)
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.shape[0] != len(ids):
        raise SpecificationError(
            f"{what} has shape {array.shape}; give one value per unit ({len(ids)}), or a "
            "pandas Series indexed by unit id."
        )
    return pd.Series(array, index=ids)


def plot_map(
    values: Any,
    geometry_frame: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    cmap: str = "viridis",
    center: float | None = None,
    legend: bool = True,
    missing_color: str = "lightgrey",
) -> Axes:
    """A map of one value per unit: a measure, residuals, per-unit impacts, scenario effects.

    Parameters
    ----------
    values : pandas.Series or array-like
        One value per unit. A Series is matched to the units of ``geometry_frame`` by its index
        (unit ids); units without a value are drawn in ``missing_color``. An array is taken in
        the order of ``geometry_frame``'s rows.
    geometry_frame : geopandas.GeoDataFrame or pandas.DataFrame
        The units, indexed by id: polygons (or points) of a GeoDataFrame, e.g.
        ``datasets.norway_municipalities(geometry=True)``; or a frame whose columns ``x`` and
        ``y`` are coordinates, drawn as points.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title, label : str, optional
        Title of the axes, and label of the colour bar (default the name of ``values``).
    cmap : str
        A matplotlib colour map; with ``center`` a diverging one suits (``"RdBu_r"``).
    center : float, optional
        A value to put at the middle of the colour map (0 for residuals or effects), so that
        values above and below it get opposite colours.
    legend : bool
        Draw a colour bar.
    missing_color : str
        Colour of units without a value.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize, TwoSlopeNorm

    if not isinstance(geometry_frame, pd.DataFrame):
        raise InputTypeError(
            "geometry_frame must be a geopandas GeoDataFrame or a pandas DataFrame with columns "
            f"x and y, indexed by unit id; got {type(geometry_frame).__name__}."
        )
    series = _by_id(values, geometry_frame.index, "values")
    ax = _axes(ax)
    finite = series[np.isfinite(series)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm: Normalize
    if center is not None:
        spread = max(abs(low - center), abs(high - center)) or 1.0
        norm = TwoSlopeNorm(vcenter=center, vmin=center - spread, vmax=center + spread)
    else:
        norm = Normalize(vmin=low, vmax=high if high > low else low + 1.0)
    colormap = plt.get_cmap(cmap)
    colours = [colormap(norm(v)) if np.isfinite(v) else missing_color for v in series.to_numpy()]
    if hasattr(geometry_frame, "geometry") and "geometry" in geometry_frame:
        geometry_frame.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.2)
    elif {"x", "y"} <= set(geometry_frame.columns):
        ax.scatter(geometry_frame["x"], geometry_frame["y"], c=colours, s=12)
    else:
        raise InputTypeError(
            "geometry_frame has neither a geometry column (a GeoDataFrame) nor columns x and y."
        )
    ax.set_aspect("equal")
    ax.set_axis_off()
    if legend:
        mappable = plt.cm.ScalarMappable(norm=norm, cmap=colormap)
        colourbar = ax.figure.colorbar(mappable, ax=ax, shrink=0.7)
        colourbar.set_label(label if label is not None else str(series.name or ""))
    if title is not None:
        ax.set_title(title)
    return ax


def _check_impacts(impacts: Any) -> Impacts:
    if not isinstance(impacts, Impacts):
        raise InputTypeError(
            f"Expected the Impacts of results.impacts(), got {type(impacts).__name__}."
        )
    return impacts


def plot_impacts(
    impacts: Impacts,
    *,
    effects: Sequence[str] = EFFECTS,
    alpha: float = 0.05,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Direct, indirect and total impacts of each regressor with their ``1 - alpha`` intervals.

    One row per regressor and effect, estimates as points and intervals as horizontal bars
    (``impacts.conf_int(alpha)``; points only when the impacts have no inference), with a
    vertical line at zero.

    Parameters
    ----------
    impacts : Impacts
        From ``results.impacts()``.
    effects : sequence of {"direct", "indirect", "total"}
        The effects drawn, in this order.
    alpha : float
        Significance level of the intervals (0.05: 95% intervals).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title of the axes.

    Returns
    -------
    matplotlib Axes
    """
    impacts = _check_impacts(impacts)
    unknown = [e for e in effects if e not in EFFECTS]
    if unknown or not effects:
        raise SpecificationError(f"effects must be among {list(EFFECTS)}, got {list(effects)}.")
    ax = _axes(ax)
    estimates = impacts.estimates
    intervals = impacts.conf_int(alpha) if impacts.std_errors is not None else None
    names = list(estimates.index)
    height = 0.8 / len(effects)
    for j, effect in enumerate(effects):
        position = np.arange(len(names)) + (j - (len(effects) - 1) / 2) * height
        point = estimates[effect].to_numpy()
        if intervals is not None:
            lower = point - intervals[(effect, "lower")].to_numpy()
            upper = intervals[(effect, "upper")].to_numpy() - point
            ax.errorbar(
                point, position, xerr=np.vstack([lower, upper]), fmt="o", capsize=3, label=effect
            )
        else:
            ax.plot(point, position, "o", label=effect)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(np.arange(len(names)), names)
    ax.invert_yaxis()
    coverage = f"{100 * (1 - alpha):g}% intervals" if intervals is not None else "no inference"
    ax.set_xlabel(f"impact ({coverage})")
    ax.legend()
    ax.set_title(title if title is not None else f"Impacts, {impacts.model}")
    return ax


def plot_cumulative_impacts(
    impacts: Impacts,
    *,
    effect: str = "total",
    variables: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Impacts accumulated over the orders of neighbours ``W^0, W^1, ...`` (LeSage & Pace 2009,
    s. 2.7.3): how much of an impact comes from the unit itself, its neighbours, theirs, ...

    One line per regressor, ``impacts.cumulative()[effect]`` against the order; the last point
    is the impact (up to the truncation of the series).

    Parameters
    ----------
    impacts : Impacts
        From ``results.impacts()`` of a model with a lag of y or of X (``by_order`` present).
    effect : {"direct", "indirect", "total"}
        The effect drawn.
    variables : sequence of str, optional
        The regressors drawn (default all).
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title of the axes.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    SpecificationError
        If the impacts have no decomposition by order, or for an unknown effect or regressor.
    """
    impacts = _check_impacts(impacts)
    if effect not in EFFECTS:
        raise SpecificationError(f"effect must be one of {list(EFFECTS)}, got {effect!r}.")
    if impacts.by_order is None:
        raise SpecificationError(
            f"These {impacts.model} impacts have no decomposition by order of neighbours."
        )
    cumulative = impacts.cumulative()[effect]
    available = list(dict.fromkeys(cumulative.index.get_level_values("variable")))
    chosen = available if variables is None else list(variables)
    unknown = [v for v in chosen if v not in available]
    if unknown:
        raise SpecificationError(f"No impacts of {unknown}; available: {available}.")
    ax = _axes(ax)
    for name in chosen:
        series = cumulative.xs(name, level="variable")
        ax.plot(series.index.to_numpy(), series.to_numpy(), marker=".", label=name)
    ax.set_xlabel("order of neighbours (power of W)")
    ax.set_ylabel(f"cumulative {effect} impact")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.legend()
    ax.set_title(title if title is not None else f"Cumulative {effect} impacts, {impacts.model}")
    return ax


def moran_scatterplot(
    values: Any,
    w: SpatialWeights,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Moran scatterplot: standardised values against their spatial lag (Anselin 1996).

    The values are centred and divided by their standard deviation (``z``); the plot shows
    ``W z`` against ``z`` with the least-squares line through the origin, whose slope
    ``z'Wz / z'z`` is Moran's I when the weights sum to ``n`` (row-standardised weights
    without islands). The title states Moran's I, ``(n / S_0) z'Wz / z'z``.

    Parameters
    ----------
    values : pandas.Series or array-like
        One value per unit of ``w``: a Series indexed by unit id (aligned by id; every unit of
        ``w`` needs a value), or an array in the order of ``w.ids``.
    w : SpatialWeights
        The weights of the spatial lag.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title of the axes (default: Moran's I).

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(w, SpatialWeights):
        raise InputTypeError(f"w must be a SpatialWeights, got {type(w).__name__}.")
    series = _by_id(values, w.ids, "values")
    if not np.all(np.isfinite(series.to_numpy())):
        missing = series.index[~np.isfinite(series.to_numpy())]
        raise IdMismatchError(
            f"values are missing (or not finite) for units of the weights: "
            f"{_describe_ids(missing)}.",
            missing_in_data=tuple(missing),
        )
    x = series.to_numpy()
    spread = x.std()
    if spread == 0:
        raise SpecificationError("values are constant; their Moran scatterplot is a point.")
    z = (x - x.mean()) / spread
    lag = np.asarray(w.sparse @ z)
    slope = float(z @ lag / (z @ z))
    moran = slope * w.n / float(w.sparse.sum())
    ax = _axes(ax)
    ax.scatter(z, lag, s=14, alpha=0.8)
    line = np.array([z.min(), z.max()])
    ax.plot(line, slope * line, color="black", linewidth=1.0)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    name = str(series.name) if series.name is not None else "values"
    ax.set_xlabel(f"{name} (standardised)")
    ax.set_ylabel(f"spatial lag of {name}")
    ax.set_title(title if title is not None else f"Moran's I = {moran:.4f}")
    return ax
