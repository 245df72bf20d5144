"""Where the shipped data files are: inside an installed wheel, or the repository's ``data/``."""

from __future__ import annotations

from pathlib import Path


def data_dir(folder: str, marker: str, what: str) -> Path:
    """The folder ``folder`` of the shipped data, found by its file ``marker``.

    A wheel carries the files in ``naeringsmiljo/datasets/_data/<folder>`` (``pyproject.toml``,
    ``force-include``); an editable install reads them from the repository's ``data/<folder>``.

    Raises
    ------
    FileNotFoundError
        Naming ``what`` is missing, when neither place has the files.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / folder, here.parents[2] / "data" / folder):
        if (candidate / marker).exists():
            return candidate
    raise FileNotFoundError(f"The {what} data files are missing from this installation.")
