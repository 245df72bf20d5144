"""Collection of the doctests in ``src``: the compiled loops of the moment variances import
numba (an optional dependency, the ``fast`` extra), so they are not collected without it."""

import importlib.util

collect_ignore = (
    [] if importlib.util.find_spec("numba") else ["src/naeringsmiljo/estimators/_gram_loops.py"]
)
