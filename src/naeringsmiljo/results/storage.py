"""Saving fitted results to a file and loading them back.

A file holds a pickle of a small header (what it is, the format version, the package version
that wrote it) and the results without their caches: the weights keep their matrix and ids
but no eigenvalues or traces, and an ML fit keeps its likelihood at the estimate (the arrays
and the log-determinant's own state), so that loaded results also switch their covariance
(``with_cov``). A likelihood that does not pickle (one on MKL PARDISO factorisations) is left
out; such loaded results give everything computed from the estimates and their covariance
(tables, impacts, diagnostics, summaries), and switching the covariance needs a refit.

Like every pickle, a file runs code when loaded: load only files you trust.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import replace
from typing import Any

from naeringsmiljo.exceptions import StoredResultsError
from naeringsmiljo.inference.channels import ChannelInference
from naeringsmiljo.weights.spatial_weights import pickled_without_caches

#: Identifies a file written by :func:`save_results`.
FILE_KIND = "naeringsmiljo results"
#: Version of the stored layout; raised when the fields of the results change incompatibly.
FORMAT_VERSION = 1


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("naeringsmiljo")
    except PackageNotFoundError:
        return "unknown"


def _storable(ml: Any) -> Any:
    """The ML state if it pickles (a likelihood on PARDISO factorisations does not), else None."""
    if ml is None or isinstance(ml, ChannelInference):
        return ml
    try:
        with pickled_without_caches():
            pickle.dumps(ml, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return ml


def save_results(results: Any, path: str | os.PathLike[str]) -> None:
    """Write ``results`` to ``path`` (see the module docstring for what is kept)."""
    ml = _storable(results.ml)
    header = {"kind": FILE_KIND, "format": FORMAT_VERSION, "package": _package_version()}
    with open(path, "wb") as stream, pickled_without_caches():
        pickle.dump((header, replace(results, ml=ml)), stream, protocol=pickle.HIGHEST_PROTOCOL)


def load(path: str | os.PathLike[str]) -> Any:
    """Load results written by ``results.save(path)``.

    Loading unpickles the file, which can run code: load only files you trust.

    Raises
    ------
    StoredResultsError
        If the file is not saved results of this package, or has another format version.
    """
    try:
        with open(path, "rb") as stream:
            stored = pickle.load(stream)
    except Exception as err:  # any failure to unpickle means the file is not ours (or damaged)
        raise StoredResultsError(
            f"{os.fspath(path)!r} is not a file of saved naeringsmiljo results ({err})."
        ) from err
    header = stored[0] if isinstance(stored, tuple) and len(stored) == 2 else None
    if not isinstance(header, dict) or header.get("kind") != FILE_KIND:
        raise StoredResultsError(
            f"{os.fspath(path)!r} is not a file of saved naeringsmiljo results "
            "(written by results.save)."
        )
    if header.get("format") != FORMAT_VERSION:
        raise StoredResultsError(
            f"{os.fspath(path)!r} holds results in format version {header.get('format')!r} "
            f"(written by naeringsmiljo {header.get('package')}); this version reads format "
            f"{FORMAT_VERSION}. Load it with that version and refit, or refit from the data."
        )
    return stored[1]
