"""Progress bars for long work (studies, large fits), with tqdm, quiet off a terminal.

tqdm draws on standard error; a bar is silent when not asked for, when standard error is not a
terminal (a log file, a batch job, a notebook's captured stream), or when tqdm is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class _Silent:
    """A bar that shows nothing (the interface of tqdm that the package uses)."""

    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        """Nothing to close."""


def progress_bar(*, total: int | None, desc: str, unit: str, enabled: bool = True) -> Any:
    """A tqdm bar with ``update(n)`` and ``close()``, or a silent one (see the module)."""
    if not enabled or not sys.stderr.isatty():
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - a dependency of the package
        return _Silent()
    return tqdm(total=total, desc=desc, unit=unit, smoothing=0.1, file=sys.stderr)


#: Whether the work of the fit in progress shows bars (set by ``fit(progress=True)``).
_FIT_PROGRESS: ContextVar[bool] = ContextVar("naeringsmiljo_fit_progress", default=False)


@contextmanager
def fit_progress(enabled: bool) -> Iterator[None]:
    """Within the block, the inner loops of a fit (covariance probes) show bars if enabled."""
    token = _FIT_PROGRESS.set(enabled)
    try:
        yield
    finally:
        _FIT_PROGRESS.reset(token)


def inner_bar(*, total: int | None, desc: str, unit: str) -> Any:
    """A bar for an inner loop of a fit, shown when the fit asked for progress."""
    return progress_bar(total=total, desc=desc, unit=unit, enabled=_FIT_PROGRESS.get())
