"""Running the tasks of a study: in this process, on a local process pool or on Dask, with a
resumable Parquet store and a progress bar.

The shared payload (data-generating processes with their weights and cached set-ups, or the
data of a sweep) is pickled once and sent to each worker once: by the initializer of a
``ProcessPoolExecutor``, or scattered to every Dask worker (``Client.scatter(...,
broadcast=True)``). The tasks then travel as keys only. Finished chunks of tasks are written to
the store as one Parquet file each, atomically (written under a temporary name, then renamed), so
that an interrupted study leaves whole chunks and a rerun computes only the missing tasks. Tasks
that send back a fitted results object (those of a sweep) also leave a pickle of those objects
beside the chunk's Parquet file, so that a rerun returns them without fitting again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import StudyBackend, check_choice
from naeringsmiljo._progress import progress_bar
from naeringsmiljo.exceptions import (
    ClusterError,
    InputTypeError,
    SpecificationError,
    StoreMismatchError,
)
from naeringsmiljo.studies.tasks import TaskKey, TaskResult, describe_json, run_chunk

#: Seconds to wait for a Dask scheduler given by address before giving up: long enough for a
#: scheduler on another machine of a local network, short enough to fail while the user waits.
CONNECT_TIMEOUT = 5.0

#: Name of the file in a store that records which study wrote it.
FINGERPRINT_FILE = "study.json"

#: Tasks per chunk at most: a chunk is one message to a worker and one file of the store.
MAX_CHUNK = 25


@dataclass(frozen=True)
class Plan:
    """Everything the runner needs: the task function, the shared payload, the task keys.

    Attributes
    ----------
    function : callable
        A module-level function ``(payload, key) -> TaskResult``.
    payload : object
        Shared by every task; pickled once per worker.
    keys : tuple
        The tasks, in the order of the results.
    key_columns : tuple of str
        The columns of the rows that hold a task's key.
    fingerprint : dict
        A JSON description of the study; a store written by another one is refused.
    dtypes : dict
        The dtype of every column of the results, so that rows from the store and rows just
        computed make the same frame.
    """

    function: Callable[[Any, TaskKey], TaskResult]
    payload: Any
    keys: tuple[TaskKey, ...]
    key_columns: tuple[str, ...]
    fingerprint: dict[str, Any]
    dtypes: dict[str, str]


@dataclass(frozen=True)
class RunOutcome:
    """The results of a run and how it went.

    Attributes
    ----------
    draws : pandas.DataFrame
        The rows of every task of the plan (from the store or just computed), in task order.
    tasks : pandas.DataFrame
        One row per task computed by this run: its key, ``seconds``, ``setups`` (cached
        set-ups of the weights the task had to compute itself) and ``worker`` (process id).
    stored : int
        Tasks found in the store and not computed again.
    seconds : float
        Wall-clock time of the run.
    fitted : dict
        The fitted results object of each task that sends one back (a sweep's), by task key in
        plan order, whether computed by this run or read from the store; none for a study.
    """

    draws: pd.DataFrame
    tasks: pd.DataFrame
    stored: int
    seconds: float
    fitted: dict[TaskKey, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------- checks


def check_picklable(value: Any, what: str) -> bytes:
    """Pickle ``value`` or refuse it, before any task is submitted, saying why."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise InputTypeError(
            f"{what} cannot be pickled, so it cannot be sent to the workers ({exc}). Use a "
            "function defined at the top level of a module, a functools.partial of one, or an "
            "instance of a class defined at the top level (such as "
            "naeringsmiljo.studies.SARProcess), not a lambda or a nested function."
        ) from exc


def normalise(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Give ``frame`` the columns of ``dtypes``, in that order and with those dtypes."""
    frame = frame.reindex(columns=list(dtypes))
    return frame.astype(dtypes).reset_index(drop=True)


# ---------------------------------------------------------------------- the store


class ParquetStore:
    """A directory of Parquet files, one per finished chunk, and the study's fingerprint."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise SpecificationError(
                f"The store {str(self.path)!r} is a file; a store is a directory of Parquet "
                "files (give a new path)."
            )

    def _parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def check(self, fingerprint: dict[str, Any]) -> None:
        """Refuse a store written by another study, naming what differs."""
        meta = self.path / FINGERPRINT_FILE
        if meta.exists():
            stored = json.loads(meta.read_text(encoding="utf-8"))
            ours = json.loads(describe_json(fingerprint))
            differences = tuple(_differences(stored, ours))
            if differences:
                raise StoreMismatchError(
                    f"The store {str(self.path)!r} was written by a different study; its results "
                    "cannot be mixed with this one's. Differences (the store's, then this "
                    "study's): " + "; ".join(differences[:5]) + ". Use another store.",
                    differences=differences,
                )
        elif self._parts():
            raise StoreMismatchError(
                f"The store {str(self.path)!r} holds results without a {FINGERPRINT_FILE}; "
                "refusing to mix them with this study's. Use another store."
            )

    def open(self, fingerprint: dict[str, Any]) -> None:
        """Create the store and its fingerprint (after :meth:`check`)."""
        self.path.mkdir(parents=True, exist_ok=True)
        meta = self.path / FINGERPRINT_FILE
        if not meta.exists():
            _atomic_write(meta, describe_json(fingerprint).encode())

    def read(self, dtypes: dict[str, str]) -> pd.DataFrame:
        """Every stored row."""
        parts = self._parts()
        if not parts:
            return normalise(pd.DataFrame(columns=list(dtypes)), dtypes)
        return normalise(pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True), dtypes)

    def read_fitted(self, keys: set[TaskKey]) -> dict[TaskKey, Any]:
        """The stored results objects of the tasks ``keys`` (those whose rows are stored).

        They are pickles: open only a store you wrote yourself (as with any pickle)."""
        fitted: dict[TaskKey, Any] = {}
        for part in sorted(self.path.glob("part-*.pickle")) if self.path.is_dir() else []:
            objects = pickle.loads(part.read_bytes())
            fitted |= {key: value for key, value in objects.items() if key in keys}
        return fitted

    def write(
        self,
        frame: pd.DataFrame,
        first: int,
        keys: Sequence[TaskKey],
        fitted: dict[TaskKey, Any] | None = None,
    ) -> None:
        """Write the rows of one finished chunk as a file of its own, and its results objects
        (when the tasks send them back) as a pickle beside it, written first: a chunk whose
        Parquet file exists has its pickle."""
        digest = hashlib.sha256(repr(list(keys)).encode()).hexdigest()[:12]
        target = self.path / f"part-{first:08d}-{digest}.parquet"
        if fitted:
            blob = pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)
            _atomic_write(target.with_suffix(".pickle"), blob)
        tmp = target.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _differences(stored: Any, ours: Any, path: str = "") -> Iterator[str]:
    if isinstance(stored, dict) and isinstance(ours, dict):
        for key in sorted(set(stored) | set(ours)):
            where = f"{path}.{key}" if path else str(key)
            if key not in stored or key not in ours:
                yield f"{where}: {_short(stored.get(key))} vs {_short(ours.get(key))}"
            else:
                yield from _differences(stored[key], ours[key], where)
    elif isinstance(stored, list) and isinstance(ours, list) and len(stored) == len(ours):
        for i, (a, b) in enumerate(zip(stored, ours, strict=True)):
            yield from _differences(a, b, f"{path}[{i}]")
    elif stored != ours:
        yield f"{path}: {_short(stored)} vs {_short(ours)}"


def _short(value: Any) -> str:
    text = "absent" if value is None else json.dumps(value, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------- backends

_SHARED: Any = None


def _install(blob: bytes) -> None:
    """Initializer of a pool worker: unpickle the shared payload once."""
    global _SHARED
    _SHARED = pickle.loads(blob)


def _run_installed(
    function: Callable[[Any, TaskKey], TaskResult], keys: list[TaskKey]
) -> list[TaskResult]:
    return run_chunk(function, _SHARED, keys)


def _chunks(keys: Sequence[TaskKey], size: int) -> list[list[TaskKey]]:
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def _local(
    plan: Plan, chunks: list[list[TaskKey]], workers: int, blob: bytes
) -> Iterator[list[TaskResult]]:
    if workers == 1:
        for chunk in chunks:
            yield run_chunk(plan.function, plan.payload, chunk)
        return
    # spawn: a fresh interpreter per worker, as on macOS and Windows and as Dask's workers;
    # forking a process that runs threads (a Dask client, BLAS) can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_install, initargs=(blob,)
    ) as pool:
        futures = [pool.submit(_run_installed, plan.function, chunk) for chunk in chunks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def connect(address: str | None, workers: int | None, timeout: float) -> tuple[Any, Any]:
    """A Dask client: of a new ``LocalCluster`` (``address=None``) or of the scheduler at
    ``address``, which must answer within ``timeout`` seconds."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "backend='dask' needs dask.distributed: pip install 'naeringsmiljo[distributed]'."
        ) from exc
    if address is None:
        cluster = LocalCluster(
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"No Dask scheduler answered at {address!r} within {timeout:g} s ({exc}). Start one "
            "(`dask scheduler`, then `dask worker <address>` on each machine) or leave "
            "address=None for a LocalCluster."
        ) from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ClusterError(
            f"The Dask scheduler at {address!r} has no workers (none joined within "
            f"{timeout:g} s); start some with `dask worker {address}`."
        ) from exc
    return client, None


def _dask(plan: Plan, chunks: list[list[TaskKey]], client: Any) -> Iterator[list[TaskResult]]:
    from distributed import as_completed as dask_completed

    shared = client.scatter(plan.payload, broadcast=True, hash=False)
    futures = [
        client.submit(run_chunk, plan.function, shared, chunk, pure=False) for chunk in chunks
    ]
    try:
        for future in dask_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)


# ---------------------------------------------------------------------- the run


def execute(
    plan: Plan,
    *,
    backend: StudyBackend = "local",
    address: str | None = None,
    workers: int | None = None,
    store: str | os.PathLike[str] | None = None,
    progress: bool = True,
    chunksize: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> RunOutcome:
    """Run the tasks of ``plan`` that are not in ``store`` and return every task's rows.

    The order of the checks keeps a bad run from touching anything: the payload must pickle,
    the cluster must answer, and the store must belong to this study before a file is written.
    """
    check_choice("backend", backend, StudyBackend)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise SpecificationError(f"workers must be a positive integer, got {workers!r}.")
    if address is not None and backend != "dask":
        raise SpecificationError("address= names a Dask scheduler; use backend='dask'.")
    if chunksize is not None and (not isinstance(chunksize, int) or chunksize < 1):
        raise SpecificationError(f"chunksize must be a positive integer, got {chunksize!r}.")
    start = time.perf_counter()
    blob = check_picklable(plan.payload, "The study's shared data (its DGP, models and weights)")
    parquet = ParquetStore(store) if store is not None else None
    if parquet is not None:
        parquet.check(plan.fingerprint)

    client = cluster = None
    if backend == "dask":
        client, cluster = connect(address, workers, connect_timeout)
    try:
        stored = pd.DataFrame()
        done: set[TaskKey] = set()
        fitted: dict[TaskKey, Any] = {}
        if parquet is not None:
            parquet.open(plan.fingerprint)
            stored = parquet.read(plan.dtypes)
            done = set(_keys_of(stored, plan.key_columns))
            fitted = parquet.read_fitted(done)
        position = {key: i for i, key in enumerate(plan.keys)}
        pending = [key for key in plan.keys if key not in done]
        n_workers = workers or (len(client.scheduler_info()["workers"]) if client else 1)
        size = chunksize or max(1, min(MAX_CHUNK, math.ceil(len(pending) / (4 * n_workers))))
        chunks = _chunks(pending, size)
        if backend == "dask":
            results = _dask(plan, chunks, client)
        else:
            results = _local(plan, chunks, workers or 1, blob)
        bar = progress_bar(total=len(pending), desc="study", unit="task", enabled=progress)
        new: list[pd.DataFrame] = []
        computed: list[TaskResult] = []
        try:
            for chunk in results:
                frame = normalise(pd.DataFrame([row for r in chunk for row in r.rows]), plan.dtypes)
                objects = {r.key: r.fitted for r in chunk if r.fitted is not None}
                if parquet is not None and len(chunk):
                    parquet.write(frame, position[chunk[0].key], [r.key for r in chunk], objects)
                fitted |= objects
                new.append(frame)
                computed += chunk
                bar.update(len(chunk))
        finally:
            bar.close()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    draws = _assemble([stored, *new], plan, position)
    tasks = pd.DataFrame(
        [
            dict(zip(plan.key_columns, r.key, strict=True))
            | {"seconds": r.seconds, "setups": r.setups, "worker": r.worker}
            for r in sorted(computed, key=lambda r: position[r.key])
        ],
        columns=[*plan.key_columns, "seconds", "setups", "worker"],
    )
    n_stored = sum(1 for key in plan.keys if key in done)
    ordered = {key: fitted[key] for key in plan.keys if key in fitted}
    return RunOutcome(draws, tasks, n_stored, time.perf_counter() - start, ordered)


def _keys_of(frame: pd.DataFrame, columns: Sequence[str]) -> Iterable[TaskKey]:
    if frame.empty:
        return []
    unique = frame[list(columns)].drop_duplicates()
    return (tuple(_plain(v) for v in row) for row in unique.itertuples(index=False))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _assemble(frames: list[pd.DataFrame], plan: Plan, position: dict[TaskKey, int]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return normalise(pd.DataFrame(columns=list(plan.dtypes)), plan.dtypes)
    frame = pd.concat(frames, ignore_index=True)
    keys = [
        tuple(_plain(v) for v in row)
        for row in frame[list(plan.key_columns)].itertuples(index=False)
    ]
    order = np.array([position.get(key, -1) for key in keys], dtype=np.int64)
    # Rows of tasks outside the plan (a store of a longer study) are left out; within a task the
    # rows keep the order the task wrote them in (a stable sort).
    keep = order >= 0
    frame = frame[keep].iloc[np.argsort(order[keep], kind="stable")]
    return normalise(frame, plan.dtypes)
