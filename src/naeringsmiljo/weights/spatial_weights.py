"""The :class:`SpatialWeights` value object: a sparse matrix that knows the ids of its units."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import Transform, check_choice
from naeringsmiljo.exceptions import IdMismatchError, InputTypeError, WeightsError
from naeringsmiljo.weights.symmetry import symmetrized, symmetrizing_scale

BoundsMethod = Literal["auto", "dense", "lanczos", "norms"]

_TRANSFORM_NAMES: dict[str, str] = {
    "o": "original",
    "r": "row-standardised",
    "b": "binary",
    "d": "doubly standardised (weights sum to one)",
    "s": "divided by the spectral radius",
}

#: Above this many units the eigenvalue bounds are found by a sparse (Lanczos) solver instead of
#: computing every eigenvalue densely: all eigenvalues of a non-symmetric 1,000 x 1,000 matrix
#: take 0.26 s on a loaded 2-core machine, Lanczos 0.008 s (0.055 s at n = 10,000). The same as
#: the dense eigenvalue limit of ``logdet="auto"``, which reuses the eigenvalues. An estimate
#: that lands at the lower end of a Lanczos interval is refitted on the exact interval
#: (:meth:`SpatialWeights.parameter_interval`, ``method="dense"``, up to ``DENSE_MATRIX_LIMIT``).
DENSE_EIGEN_LIMIT = 300
#: Above this many units ``eigenvalue_bounds()`` by default takes the lower end from the matrix
#: norms (``-1`` for row-standardised weights) instead of Lanczos: at n = 1e6 with a random unit
#: order each product ``W x`` misses the cache and Lanczos needs ~100 of them (30 s measured).
LANCZOS_EIGEN_LIMIT = 200_000
#: Relative residual at which ARPACK stops in the Lanczos bounds; the bounds subtract (add) the
#: actual residual norm, so a looser tolerance widens them slightly but keeps them safe.
LANCZOS_TOL = 1e-6


def _frozen_csr(matrix: sp.csr_array) -> sp.csr_array:
    """Return ``matrix`` with its buffers marked read-only, so the weights stay immutable."""
    matrix = sp.csr_array(matrix, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    for buffer in (matrix.data, matrix.indices, matrix.indptr):
        buffer.flags.writeable = False
    return matrix


def _describe_ids(ids: Iterable[Hashable], limit: int = 10) -> str:
    ids = list(ids)
    shown = ", ".join(repr(i) for i in ids[:limit])
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return f"{shown}{more}"


def check_ids(ids: pd.Index, what: str = "The weights") -> None:
    """Refuse missing ids and ids of mixed types (``1`` and ``"1"``), naming examples.

    A NaN id matches no unit of the data, and ids of mixed types neither sort nor match the
    data's ids reliably (``1 != "1"``); both are almost always an error in reading the data.
    """
    if isinstance(ids, pd.MultiIndex):
        return
    if ids.hasnans:
        raise WeightsError(
            f"{what} have missing ids (NaN or None) at position(s) "
            f"{_describe_ids(np.flatnonzero(ids.isna()).tolist())}; every unit needs an id."
        )
    if ids.dtype == object and pd.api.types.infer_dtype(ids, skipna=False) in (
        "mixed",
        "mixed-integer",
    ):
        by_type: dict[str, list[Hashable]] = {}
        for value in ids:
            by_type.setdefault(type(value).__name__, []).append(value)
        examples = "; ".join(
            f"{name}: {_describe_ids(values, 3)}" for name, values in by_type.items()
        )
        raise WeightsError(
            f"{what} have ids of mixed types ({examples}); 1 and '1' are different ids. Convert "
            "them to one type (e.g. ids.astype(str))."
        )


def _self_loops(matrix: sp.csr_array, ids: pd.Index) -> None:
    """Refuse a non-zero diagonal: a unit is not its own neighbour in a spatial lag."""
    diagonal = matrix.diagonal()
    loops = np.flatnonzero(diagonal != 0)
    if loops.size:
        raise WeightsError(
            f"Self-links (non-zero diagonal) of {loops.size} unit(s) to themselves, ids "
            f"{_describe_ids(ids[loops])}. A spatial lag averages the neighbours, not the unit "
            "itself; remove the diagonal, or pass self_loops=True if it is meant."
        )


def as_spatial_weights(value: Any, name: str = "w") -> Any:
    """``value`` as :class:`SpatialWeights` where it is libpysal weights; other values unchanged.

    A libpysal ``W`` or ``Graph`` is converted by :meth:`SpatialWeights.from_libpysal` (its ids
    kept). A bare numpy array or scipy sparse matrix is refused: it has no unit ids to align
    the data by, and position is not identity.

    Raises
    ------
    InputTypeError
        For a numpy array or a scipy sparse matrix, naming the constructor that gives it ids.
    """
    if type(value).__module__.split(".")[0] == "libpysal":
        return SpatialWeights.from_libpysal(value)
    if isinstance(value, np.ndarray) or sp.issparse(value):
        raise InputTypeError(
            f"{name} is a {type(value).__name__} without unit ids; the data are aligned with "
            "the weights by id, not by position. Wrap it with "
            "SpatialWeights.from_sparse(matrix, ids=...), the ids in the order of its rows."
        )
    return value


@dataclass(frozen=True, eq=False, repr=False)
class SpatialWeights:
    """An immutable spatial weights matrix with the ids of its units.

    Row ``i`` and column ``i`` of :attr:`sparse` belong to the unit ``ids[i]``; models use the ids
    to align the weights with the data and never rely on the order of rows alone.

    Parameters
    ----------
    sparse : scipy.sparse array
        The ``n`` by ``n`` weights matrix (stored as CSR, float64, read-only).
    ids : pandas.Index
        Unique unit ids, in the order of the rows and columns.
    transform : {"o", "r", "b", "d", "s"}
        The transform the matrix carries: original weights, row-standardised, binary, doubly
        standardised or divided by its spectral radius.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from naeringsmiljo import SpatialWeights
    >>> w = SpatialWeights.from_edges(
    ...     pd.DataFrame({"i": ["a", "b", "b", "c"], "j": ["b", "a", "c", "b"]}),
    ...     source="i", target="j")
    >>> w.row_standardize().sparse.toarray()
    array([[0. , 1. , 0. ],
           [0.5, 0. , 0.5],
           [0. , 1. , 0. ]])
    """

    sparse: sp.csr_array
    ids: pd.Index
    transform: str = "o"
    _cache: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        matrix = self.sparse
        if not sp.issparse(matrix):
            raise WeightsError("SpatialWeights needs a scipy sparse matrix; use from_sparse().")
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise WeightsError(f"The weights matrix must be square, got shape {matrix.shape}.")
        ids = pd.Index(self.ids)
        check_ids(ids)
        if len(ids) != matrix.shape[0]:
            raise WeightsError(
                f"{len(ids)} ids were given for a {matrix.shape[0]}x{matrix.shape[0]} matrix."
            )
        if ids.has_duplicates:
            raise WeightsError(
                f"Duplicate ids in the weights: {_describe_ids(ids[ids.duplicated()])}."
            )
        check_choice("transform", self.transform, Transform)
        matrix = _frozen_csr(matrix)
        if not np.all(np.isfinite(matrix.data)):
            raise WeightsError("The weights matrix contains NaN or infinite values.")
        if np.any(matrix.data < 0):
            raise WeightsError("The weights matrix contains negative weights.")
        object.__setattr__(self, "sparse", matrix)
        object.__setattr__(self, "ids", ids)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle the matrix, ids and transform, and the caches (eigenvalues, bounds, traces)
        unless pickled inside :func:`pickled_without_caches`: sent to another process (a study's
        worker), the weights keep what has been computed; saved to a file, they do not. The
        unpickled matrix is read-only again."""
        cache = (
            {
                key: value
                for key, value in self._cache.items()
                if not getattr(value, "process_local", False)  # PARDISO's analysis
            }
            if _PICKLE_CACHES.get()
            else {}
        )
        return (_restore, (self.sparse, self.ids, self.transform, cache))

    # ------------------------------------------------------------------ cached set-ups
    def prepare(
        self, *, logdet: str | None = "auto", interval: bool = True, gmm: bool = False
    ) -> SpatialWeights:
        """Compute the set-ups that ML fits on these weights reuse, and keep them here.

        Every fit on the same weights object (a Monte Carlo study, a sweep over
        specifications, bootstrap refits) then starts from them: the parameter interval
        (eigenvalue bounds, :meth:`parameter_interval`) and the set-up of the log-determinant
        method ``logdet`` (as :func:`naeringsmiljo.weights.logdet.make_logdet` chooses it for
        ``"auto"``): the eigenvalues up to ``AUTO_EIGEN_LIMIT`` units, the fill-reducing
        ordering and reordered matrix of the SuperLU and Cholesky-type methods, or MKL
        PARDISO's analysis (ordering and symbolic factorisation). Fits also leave the SuperLU
        orderings and the traces of powers of W here by themselves; ``prepare`` does it ahead,
        for example before the weights are sent to the workers of a study
        (:class:`naeringsmiljo.studies.Study` calls it).

        The caches travel with the weights when they are pickled (to another process), except
        PARDISO's analysis, which lives in MKL's memory and is set up again there; weights
        saved inside :func:`pickled_without_caches` carry none. :meth:`release` frees them.

        Parameters
        ----------
        logdet : str or None, default "auto"
            The log-determinant method whose set-up is kept: ``"auto"``, ``"eigen"``,
            ``"lu"``, ``"cholesky"`` or ``"pardiso"`` (the exact methods), or None for none
            (weights for the moment estimators only).
        interval : bool, default True
            Whether to compute the parameter interval.
        gmm : bool, default False
            Whether to prepare the moment estimators' set-ups: ``W`` renumbered and transposed
            for the passes over ``W'W`` in the variances of the heteroskedastic GM error and
            GS2SLS moments, with the entries of ``W'W`` those passes weight by kept (with
            numba: about 780 MB in all at n = 1e6 with ten neighbours, and a pass then takes
            a third of the time; without ``gmm=True`` every such fit prepares its own, without
            the entries, and drops it), and the constants of the homoskedastic variances
            (which fits keep by themselves).

        Returns
        -------
        SpatialWeights
            The weights themselves, prepared.

        Examples
        --------
        >>> from naeringsmiljo.datasets import columbus_weights
        >>> w = columbus_weights().prepare()
        >>> sorted(w.prepared())
        ['bounds', 'eigenvalues']
        >>> w.release()
        >>> w.prepared()
        ()
        """
        if interval:
            self.parameter_interval()
        options: dict[str, Any] = {"logdet": logdet, "gmm": gmm}
        for name, preparer in _PREPARERS.items():
            preparer(self, **{name: options[name]})
        return self

    def prepared(self) -> tuple[str, ...]:
        """The names of the set-ups cached on the weights (see :meth:`prepare`)."""
        return tuple(self._cache)

    def release(self, *kinds: str) -> None:
        """Drop cached set-ups: all of them, or those whose name starts with one of ``kinds``
        (``"logdet"``, ``"eigenvalues"``, ``"bounds"``, ``"traces"``, ``"covariance"``,
        ``"gmm"``: the set-ups of the moment estimators, :meth:`prepare` with ``gmm=True``).

        Frees their memory (PARDISO's analysis included, once no fit holds it); later fits
        compute again what they need."""
        for key in list(self._cache):
            if not kinds or any(key.startswith(kind) for kind in kinds):
                del self._cache[key]

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_sparse(
        cls,
        matrix: Any,
        ids: Sequence[Hashable] | pd.Index | None = None,
        transform: Transform = "o",
        *,
        self_loops: bool = False,
    ) -> SpatialWeights:
        """Wrap a sparse (or dense) square matrix; ``ids`` default to ``0..n-1``.

        Every constructor validates the same way: a square, finite, non-negative matrix; unique
        ids, none missing and all of one type; and no unit linked to itself (a non-zero
        diagonal) unless ``self_loops=True`` says it is meant.

        Raises
        ------
        WeightsError
            Naming what is wrong (the ids of the self-loops, examples of each type of id, ...).
        """
        check_choice("transform", transform, Transform)
        matrix = sp.csr_array(matrix)
        if ids is None:
            ids = pd.RangeIndex(matrix.shape[0])
        return cls._validated(matrix, pd.Index(ids), transform, self_loops=self_loops)

    @classmethod
    def _validated(
        cls, matrix: sp.csr_array, ids: pd.Index, transform: str, *, self_loops: bool
    ) -> SpatialWeights:
        """The one validation path of the constructors (see :meth:`from_sparse`)."""
        weights = cls(matrix, ids, transform)
        if not self_loops:
            _self_loops(weights.sparse, weights.ids)
        return weights

    @classmethod
    def from_libpysal(cls, w: Any, *, self_loops: bool = False) -> SpatialWeights:
        """Convert a libpysal ``W`` or ``Graph``, keeping its ids and its transform.

        The ids are ``W.id_order`` or ``Graph.unique_ids``, in the order of the sparse matrix;
        validated as in :meth:`from_sparse` (``self_loops`` as there).
        """
        from libpysal import graph, weights

        if isinstance(w, graph.Graph):
            transform, ids = str(getattr(w, "transformation", "O")).lower(), w.unique_ids
        elif isinstance(w, weights.W):
            transform, ids = str(w.transform).lower(), w.id_order
        else:
            raise InputTypeError(f"Expected a libpysal W or Graph, got {type(w).__name__}.")
        return cls._validated(
            sp.csr_array(w.sparse),
            pd.Index(ids),
            transform if transform in _TRANSFORM_NAMES else "o",
            self_loops=self_loops,
        )

    def to_libpysal(self) -> Any:
        """The weights as a libpysal ``W``, with the same ids in the same order.

        The transform is carried over where libpysal knows it by the same name (``"r"``,
        ``"b"``: ``W.transform``, re-applied to weights that already have it, so unchanged to
        rounding); other transforms come back as libpysal's original ``"O"`` with the same
        weights. :meth:`from_libpysal` converts back.
        """
        from libpysal.weights import W

        matrix, ids = self.sparse, self.ids.tolist()
        neighbors: dict[Any, list[Any]] = {}
        values: dict[Any, list[float]] = {}
        for i, unit in enumerate(ids):
            row = slice(matrix.indptr[i], matrix.indptr[i + 1])
            neighbors[unit] = [ids[j] for j in matrix.indices[row]]
            values[unit] = matrix.data[row].tolist()
        w = W(neighbors, values, id_order=ids, silence_warnings=True)
        if self.transform in ("r", "b"):
            w.transform = self.transform.upper()
        return w

    def to_graph(self) -> Any:
        """The weights as a libpysal ``Graph``, with the same ids in the same order.

        The transform is recorded as ``Graph.transformation`` where libpysal has it (``"r"``,
        ``"b"``, ``"d"``), else ``"O"``; the weights are the same. Units without neighbours
        become libpysal's isolates. :meth:`from_libpysal` converts back.
        """
        from libpysal.graph import Graph

        graph = Graph.from_sparse(self.sparse, ids=np.asarray(self.ids.tolist(), dtype=object))
        transformation = self.transform.upper() if self.transform in ("r", "b", "d") else "O"
        return Graph(graph.adjacency, transformation=transformation, is_sorted=True)

    @classmethod
    def from_edges(
        cls,
        frame: pd.DataFrame,
        *,
        source: str,
        target: str,
        weight: str | None = None,
        ids: Sequence[Hashable] | pd.Index | None = None,
        symmetric: bool = False,
        self_loops: bool = False,
    ) -> SpatialWeights:
        """Build weights from an edge list (one row per directed link).

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per link ``source -> target``; duplicated links are summed.
        source, target : str
            Columns holding the unit ids.
        weight : str, optional
            Column holding the weight of each link; 1 for every link when omitted.
        ids : sequence, optional
            All unit ids in the desired order, including units without links. Defaults to the
            sorted union of the ids in ``source`` and ``target``.
        symmetric : bool, default False
            Add the reverse of every link (a link listed once becomes an undirected one).
        self_loops : bool, default False
            Accept links of a unit to itself (validated as in :meth:`from_sparse`).
        """
        for column in (source, target) + ((weight,) if weight else ()):
            if column not in frame.columns:
                raise WeightsError(f"The edge frame has no column {column!r}.")
        absent = frame[[source, target]].isna().any(axis=1).to_numpy()
        if absent.any():
            raise WeightsError(
                f"{int(absent.sum())} edge(s) lack a {source!r} or {target!r} id, rows "
                f"{_describe_ids(frame.index[absent])}; an edge needs both ends."
            )
        src = frame[source].to_numpy()
        dst = frame[target].to_numpy()
        values = np.ones(len(frame)) if weight is None else frame[weight].to_numpy(dtype=np.float64)
        if ids is None:
            index = pd.Index(pd.unique(np.concatenate([src, dst])))
            check_ids(index, "The edges")
            index = index.sort_values()
        else:
            index = pd.Index(ids)
            check_ids(index, "The ids given")
        rows, cols = index.get_indexer(src), index.get_indexer(dst)
        unknown = np.concatenate([src[rows < 0], dst[cols < 0]])
        if unknown.size:
            raise IdMismatchError(
                f"Edges refer to ids not among the given ids: {_describe_ids(pd.unique(unknown))}.",
                missing_in_weights=tuple(pd.unique(unknown)),
            )
        n = len(index)
        matrix = sp.coo_array((values, (rows, cols)), shape=(n, n)).tocsr()
        if symmetric:
            matrix = matrix + matrix.T
        return cls._validated(sp.csr_array(matrix), index, "o", self_loops=self_loops)

    @classmethod
    def from_collaboration(
        cls, actors: pd.DataFrame, ties: pd.DataFrame, **kwargs: Any
    ) -> SpatialWeights:
        """Relational weights between regions from their actors' collaboration ties.

        See :func:`naeringsmiljo.weights.collaboration_weights` for the options
        (``value``, ``symmetric``, ``max_distance``, ``regions``, ``year``) and the formulas.
        """
        from naeringsmiljo.weights.relational import collaboration_matrix

        matrix, ids = collaboration_matrix(actors, ties, **kwargs)
        return cls.from_sparse(matrix, ids=ids)

    # ------------------------------------------------------------------ properties
    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.sparse.shape[0])

    @property
    def nnz(self) -> int:
        """Number of non-zero weights (directed links)."""
        return int(self.sparse.nnz)

    @property
    def cardinalities(self) -> pd.Series:
        """Number of neighbours of each unit, indexed by id."""
        return pd.Series(np.diff(self.sparse.indptr), index=self.ids, name="cardinality")

    @property
    def islands(self) -> pd.Index:
        """Ids of the units without any neighbour (an empty row)."""
        return self.ids[np.diff(self.sparse.indptr) == 0]

    @property
    def is_symmetric(self) -> bool:
        """Whether the matrix equals its transpose (to rounding); computed once (1.4 s at n = 1e6)."""
        if "is_symmetric" not in self._cache:
            diff = self.sparse - self.sparse.T
            self._cache["is_symmetric"] = bool(
                diff.nnz == 0
                or np.max(np.abs(diff.data)) <= 1e-12 * np.max(np.abs(self.sparse.data))
            )
        return self._cache["is_symmetric"]

    @property
    def transform_name(self) -> str:
        """A readable name of the transform."""
        return _TRANSFORM_NAMES[self.transform]

    def describe(self) -> str:
        """One line describing the weights, used in model summaries."""
        card = self.cardinalities
        return (
            f"{self.n} units, {self.nnz} links, {self.transform_name}; "
            f"neighbours min/mean/max {card.min()}/{card.mean():.2f}/{card.max()}, "
            f"{len(self.islands)} islands"
        )

    def __repr__(self) -> str:
        return f"SpatialWeights({self.describe()})"

    def equals(self, other: SpatialWeights, *, atol: float = 0.0) -> bool:
        """Same ids in the same order and the same weights (to ``atol``)."""
        if not self.ids.equals(other.ids):
            return False
        diff = self.sparse - other.sparse
        return diff.nnz == 0 or float(np.max(np.abs(diff.data))) <= atol

    # ------------------------------------------------------------------ transforms
    def _with(
        self, matrix: sp.csr_array, transform: str, ids: pd.Index | None = None
    ) -> SpatialWeights:
        return SpatialWeights(sp.csr_array(matrix), self.ids if ids is None else ids, transform)

    def row_standardize(self) -> SpatialWeights:
        """Divide each row by its sum (rows of islands stay zero)."""
        sums = np.asarray(self.sparse.sum(axis=1)).ravel()
        scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
        return self._with(sp.diags_array(scale) @ self.sparse, "r")

    def binary(self) -> SpatialWeights:
        """Set every non-zero weight to one."""
        matrix = self.sparse.copy()
        matrix.data = np.ones_like(matrix.data)
        return self._with(matrix, "b")

    def doubly_standardize(self) -> SpatialWeights:
        """Divide every weight by the sum of all weights."""
        return self._with(self.sparse / self.sparse.sum(), "d")

    def spectral_normalize(self) -> SpatialWeights:
        """Divide by the spectral radius, so the largest eigenvalue modulus is one.

        The usual normalisation of inverse-distance weights, which keeps the relative weights
        (and so the model's meaning) unlike row-standardisation (Kelejian & Prucha 2010).
        """
        radius = self.spectral_radius()
        return self._with(self.sparse / radius, "s")

    def transformed(self, transform: Transform) -> SpatialWeights:
        """Apply a transform by its one-letter name (``"o"`` keeps the matrix as it is)."""
        check_choice("transform", transform, Transform)
        match transform:
            case "r":
                return self.row_standardize()
            case "b":
                return self.binary()
            case "d":
                return self.doubly_standardize()
            case "s":
                return self.spectral_normalize()
        return self

    # ------------------------------------------------------------------ alignment
    def reorder(self, ids: Sequence[Hashable] | pd.Index) -> SpatialWeights:
        """Return the same weights with rows and columns in the order of ``ids``.

        Raises
        ------
        IdMismatchError
            If ``ids`` is not exactly the set of ids of the weights; the message names the ids
            missing on each side.
        """
        ids = pd.Index(ids)
        if ids.has_duplicates:
            raise IdMismatchError(f"Duplicate ids: {_describe_ids(ids[ids.duplicated()])}.")
        missing_in_weights = ids.difference(self.ids, sort=False)
        missing_in_data = self.ids.difference(ids, sort=False)
        if len(missing_in_weights) or len(missing_in_data):
            parts = []
            if len(missing_in_weights):
                parts.append(
                    f"{len(missing_in_weights)} id(s) of the data are not in the weights: "
                    f"{_describe_ids(missing_in_weights)}"
                )
            if len(missing_in_data):
                parts.append(
                    f"{len(missing_in_data)} id(s) of the weights are not in the data: "
                    f"{_describe_ids(missing_in_data)}"
                )
            raise IdMismatchError(
                "The ids of the data and of the weights differ; " + "; ".join(parts) + ".",
                missing_in_weights=tuple(missing_in_weights),
                missing_in_data=tuple(missing_in_data),
            )
        if ids.equals(self.ids):
            return self
        order = self.ids.get_indexer(ids)
        return SpatialWeights(self.sparse[order][:, order], ids, self.transform)

    def subset(self, ids: Sequence[Hashable] | pd.Index) -> SpatialWeights:
        """Keep the units ``ids`` (in that order) and re-apply the transform.

        Re-applying the transform after dropping units keeps its meaning: a row-standardised matrix
        stays row-standardised (as R spdep's ``subset.listw`` does).
        """
        ids = pd.Index(ids)
        unknown = ids.difference(self.ids, sort=False)
        if len(unknown):
            raise IdMismatchError(
                f"Cannot subset: ids not in the weights: {_describe_ids(unknown)}.",
                missing_in_weights=tuple(unknown),
            )
        order = self.ids.get_indexer(ids)
        kept = SpatialWeights(self.sparse[order][:, order], ids, "o")
        return kept.transformed(self.transform)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ spectrum
    def eigenvalues(self) -> np.ndarray:
        """All eigenvalues of the matrix, computed densely once and cached (small n only).

        When ``W`` is similar to a symmetric matrix (``diag(d) W`` symmetric, as for a
        row-standardised symmetric contiguity matrix), the eigenvalues are those of
        ``D^{1/2} W D^{-1/2}`` and come from the symmetric solver: real by construction, more
        accurate, and several times faster than the general one (LeSage & Pace 2009, s. 4.1).
        """
        if "eigenvalues" not in self._cache:
            scale = symmetrizing_scale(self.sparse)
            if scale is not None:
                values = np.linalg.eigvalsh(symmetrized(self.sparse, scale).toarray())
            else:
                values = np.linalg.eigvals(self.sparse.toarray())
            if np.max(np.abs(values.imag), initial=0.0) <= 1e-10 * max(1.0, np.max(np.abs(values))):
                values = values.real
            values.flags.writeable = False
            self._cache["eigenvalues"] = values
        return self._cache["eigenvalues"]

    def eigenvalue_bounds(self, method: BoundsMethod = "auto") -> tuple[float, float]:
        """Bounds ``(low, high)`` on the real parts of the eigenvalues of the matrix.

        Every eigenvalue ``lambda`` of ``W`` has ``low <= Re(lambda) <= high``, so the interval
        from :meth:`parameter_interval` is safe: ``I - rho W`` is invertible inside it. Real
        parts follow the convention of R spdep and LeSage & Pace (2009, s. 4.1).

        Parameters
        ----------
        method : {"auto", "dense", "lanczos", "norms"}, default "auto"
            ``"dense"``: every eigenvalue (LAPACK), both ends exact; the default for
            ``n <= DENSE_EIGEN_LIMIT``. ``"lanczos"``: ARPACK's Lanczos on a symmetric matrix
            ``H`` with ``lambda_min(H) <= Re(lambda)`` for every eigenvalue of ``W``: the
            symmetric ``D^{1/2} W D^{-1/2}`` when ``W`` is similar to one (row-standardised
            contiguity; ``low`` is then the smallest eigenvalue less the residual norm of its
            Ritz vector, ~1e-6 relative), otherwise the symmetric part ``(W + W')/2``, whose
            smallest eigenvalue bounds the real parts from below (field of values; measured
            ~5% below the true end for 10-nearest-neighbour weights); the default for
            ``DENSE_EIGEN_LIMIT < n <= LANCZOS_EIGEN_LIMIT``. ``"norms"``: ``low`` is
            ``-min(max row sum, max column sum)``, a bound on every ``|lambda|`` that costs one
            pass over the weights (``-1`` for row-standardised weights, the interval lower end
            of R spatialreg's sparse methods); the default above ``LANCZOS_EIGEN_LIMIT``.

        Returns
        -------
        tuple of float
            ``(low, high)``. With equal row sums ``s`` (row-standardised weights) ``high = s``
            is exact for every method: ``W 1 = s 1`` and no eigenvalue of a non-negative matrix
            exceeds its largest row sum. With unequal row sums the sparse methods take ``high``
            from Lanczos (largest Ritz value plus its residual norm), capped by the norm bound.

        Notes
        -----
        The Lanczos ends are bounds provided the Ritz value converged to the extreme eigenvalue
        of ``H`` rather than to an interior one: the residual norm ``r`` of a Ritz pair
        ``(theta, x)`` puts an eigenvalue within ``r`` of ``theta``, and ARPACK's implicitly
        restarted Lanczos targets the extreme end. A run that does not converge falls back to
        the norm bound. Results are cached per method.
        """
        check_choice("method", method, BoundsMethod, context="(eigenvalue bounds method)")
        if method == "auto":
            if self.n <= DENSE_EIGEN_LIMIT:
                method = "dense"
            elif self.n <= LANCZOS_EIGEN_LIMIT:
                method = "lanczos"
            else:
                method = "norms"
        key = "bounds" if method == "dense" else f"bounds:{method}"
        if key not in self._cache:
            if method == "dense":
                real = np.real(self.eigenvalues())
                bounds = (float(real.min()), float(real.max()))
            else:
                bounds = _safe_eigenvalue_bounds(self.sparse, lower=method)
            self._cache[key] = bounds
        return self._cache[key]

    def parameter_interval(self, method: BoundsMethod = "auto") -> tuple[float, float]:
        """Open interval ``(1/low, 1/high)`` inside which ``I - rho W`` is invertible.

        ``low`` and ``high`` come from :meth:`eigenvalue_bounds` (see there for ``method``):
        the interval is the exact ``(1/omega_min, 1/omega_max)`` for the dense method and a
        safe sub-interval of it otherwise. For a row-standardised matrix the upper end is 1
        exactly; the lower end depends on the matrix and is often far below -1 (Anselin 1988,
        p. 78; LeSage & Pace 2009, s. 4.1), but above ``LANCZOS_EIGEN_LIMIT`` units it is -1 by
        default, as in R spatialreg's sparse methods and spreg's bounded search; pass
        ``method="lanczos"`` for a wider (still safe) interval.
        """
        low, high = self.eigenvalue_bounds(method)
        if low >= 0 or high <= 0:
            raise WeightsError(
                "The weights have no eigenvalues of both signs; the spatial parameter interval is "
                "unbounded. Is the matrix empty or triangular?"
            )
        return 1.0 / low, 1.0 / high

    def spectral_radius(self) -> float:
        """Largest eigenvalue modulus."""
        if self.n <= DENSE_EIGEN_LIMIT:
            return float(np.max(np.abs(self.eigenvalues())))
        from scipy.sparse.linalg import eigs

        value = eigs(self.sparse, k=1, which="LM", return_eigenvectors=False, tol=1e-10)
        return float(np.abs(value[0]))

    def lag(self, values: np.ndarray) -> np.ndarray:
        """Spatial lag ``W @ values`` (values already in the order of :attr:`ids`)."""
        return self.sparse @ values


def _sparse_eigenvalue_bounds(matrix: sp.csr_array, symmetric: bool) -> tuple[float, float]:
    """Extreme real eigenvalues by ARPACK (Lanczos when symmetric, Arnoldi otherwise).

    Estimates, not bounds (a Ritz value of a non-symmetric matrix may lie on either side), so
    :meth:`SpatialWeights.eigenvalue_bounds` does not use them; they are kept to show, in the
    tests, how far inside the true interval the safe bounds lie.

    When every row sums to the same ``s`` (a row-standardised matrix), the largest eigenvalue is
    ``s`` exactly: ``W 1 = s 1``, and no eigenvalue of a non-negative matrix exceeds its largest
    row sum. Arnoldi needs that end most: the eigenvalues crowd towards it, and ``which="LR"``
    took 200 s on 10-nearest-neighbour weights with n = 1e5, against 13 s for ``"SR"``.
    """
    from scipy.sparse.linalg import eigs, eigsh

    sums = np.asarray(matrix.sum(axis=1)).ravel()
    equal_sums = sums.size > 0 and float(np.ptp(sums)) <= 1e-12 * float(np.max(np.abs(sums)))
    if symmetric:
        low = eigsh(matrix, k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0]
        if equal_sums:
            return float(low), float(sums[0])
        high = eigsh(matrix, k=1, which="LA", return_eigenvectors=False, tol=1e-10)[0]
        return float(low), float(high)
    low = eigs(matrix, k=1, which="SR", return_eigenvectors=False, tol=1e-10)[0]
    if equal_sums:
        return float(np.real(low)), float(sums[0])
    high = eigs(matrix, k=1, which="LR", return_eigenvectors=False, tol=1e-10)[0]
    return float(np.real(low)), float(np.real(high))


def _row_sums(matrix: sp.csr_array, values: np.ndarray) -> np.ndarray:
    """The sums by row of ``values`` laid out as ``matrix.data`` (zero for an empty row)."""
    out = np.zeros(matrix.shape[0])
    filled = np.diff(matrix.indptr) > 0
    if filled.any():  # reduceat over the starts of the non-empty rows only
        out[filled] = np.add.reduceat(values, matrix.indptr[:-1][filled])
    return out


def _norm_bound(matrix: sp.csr_array) -> tuple[float, np.ndarray]:
    """``min(max absolute row sum, max absolute column sum)``, and the row sums.

    Both norms bound the spectral radius, hence every ``|lambda|`` and every real part. The row
    sums are reductions of the CSR data by row, without copying the matrix (as ``abs(W)``
    would, index arrays included).
    """
    matrix = sp.csr_array(matrix)
    magnitudes = np.abs(matrix.data)
    sums, rows = _row_sums(matrix, matrix.data), _row_sums(matrix, magnitudes)
    columns = np.bincount(matrix.indices, weights=magnitudes, minlength=matrix.shape[0])
    return float(min(np.max(rows, initial=0.0), np.max(columns, initial=0.0))), sums


def _bounding_symmetric(matrix: sp.csr_array) -> sp.csr_array:
    """A symmetric ``H`` with ``lambda_min(H) <= Re(lambda) <= lambda_max(H)`` for ``W``'s spectrum.

    ``D^{1/2} W D^{-1/2}`` (same spectrum) when ``W`` is similar to a symmetric matrix by a
    diagonal scaling, else the symmetric part ``(W + W')/2``: for an eigenpair ``W x = lambda x``
    with ``|x| = 1``, ``Re(lambda) = Re(x* W x) = x* H x``, inside ``H``'s extreme eigenvalues.
    """
    # A diagonal scaling keeps the sparsity pattern, so in-degrees equal to out-degrees are
    # necessary; the check is one pass and spares symmetrizing_scale's transposes (4 s at n=1e6).
    out_degree = np.diff(matrix.indptr)
    in_degree = np.bincount(matrix.indices, minlength=matrix.shape[0])
    if np.array_equal(out_degree, in_degree):
        scale = symmetrizing_scale(matrix)
        if scale is not None:
            return symmetrized(matrix, scale)
    return sp.csr_array(0.5 * (matrix + matrix.T))


def _lanczos_bound(h: sp.csr_array, which: Literal["SA", "LA"]) -> float | None:
    """Smallest (``"SA"``) or largest (``"LA"``) eigenvalue of a symmetric ``h``, moved outwards
    by the residual norm of its Ritz vector; None when ARPACK does not converge."""
    from contextlib import nullcontext

    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    try:  # one BLAS thread: ARPACK's n-by-ncv updates ran 5x slower on 2 busy cores
        from threadpoolctl import threadpool_limits

        threads: Any = threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        threads = nullcontext()
    n = h.shape[0]
    v0 = np.random.default_rng(0).standard_normal(n)  # reproducible, unlike ARPACK's own
    try:
        with threads:
            _, vectors = eigsh(
                h, k=1, which=which, tol=LANCZOS_TOL, v0=v0, ncv=min(n - 1, 20), maxiter=5000
            )
    except ArpackNoConvergence:
        return None
    x = vectors[:, 0] / np.linalg.norm(vectors[:, 0])
    hx = h @ x
    theta = float(x @ hx)  # Rayleigh quotient of the normalised Ritz vector
    residual = float(np.linalg.norm(hx - theta * x))
    return theta - residual if which == "SA" else theta + residual


def _safe_eigenvalue_bounds(
    matrix: sp.csr_array, lower: Literal["lanczos", "norms"]
) -> tuple[float, float]:
    """``(low, high)`` with ``low <= Re(lambda) <= high`` for every eigenvalue of ``matrix``.

    ``high`` is the common row sum when all row sums are equal (exact), else Lanczos on the
    bounding symmetric matrix capped by the norm bound. ``low`` is ``-norm bound`` for
    ``lower="norms"``, else the larger of that and the Lanczos bound. See
    :meth:`SpatialWeights.eigenvalue_bounds`.
    """
    radius, sums = _norm_bound(matrix)
    equal_sums = sums.size > 0 and float(np.ptp(sums)) <= 1e-12 * float(np.max(np.abs(sums)))
    h = None
    if equal_sums:
        high = float(sums[0])
    else:
        h = _bounding_symmetric(matrix)
        upper = _lanczos_bound(h, "LA")
        high = radius if upper is None else min(upper, radius)
    low = -radius
    if lower == "lanczos" and matrix.shape[0] > 2:
        h = _bounding_symmetric(matrix) if h is None else h
        bound = _lanczos_bound(h, "SA")
        if bound is not None:
            low = max(low, bound)
    return low, high


#: Set-ups that :meth:`SpatialWeights.prepare` runs, by the name of their keyword argument,
#: registered by the modules that own them (the log-determinants register ``"logdet"``), so
#: that the weights need not import the methods built on them.
_PREPARERS: dict[str, Callable[..., None]] = {}


def register_preparer(name: str, preparer: Callable[..., None]) -> None:
    """Register a set-up run by :meth:`SpatialWeights.prepare` with keyword ``name``."""
    _PREPARERS[name] = preparer


#: Whether pickled weights carry their caches (see :func:`pickled_without_caches`).
_PICKLE_CACHES: ContextVar[bool] = ContextVar("naeringsmiljo_pickle_caches", default=True)


@contextmanager
def pickled_without_caches() -> Iterator[None]:
    """Within the block, pickled weights carry their matrix, ids and transform only."""
    token = _PICKLE_CACHES.set(False)
    try:
        yield
    finally:
        _PICKLE_CACHES.reset(token)


def _restore(
    matrix: sp.csr_array, ids: pd.Index, transform: str, cache: dict[str, Any]
) -> SpatialWeights:
    """Unpickle weights (see :meth:`SpatialWeights.__reduce__`)."""
    weights = SpatialWeights(matrix, ids, transform)
    for value in cache.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # as when computed
    weights._cache.update(cache)
    return weights
