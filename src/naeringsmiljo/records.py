"""What a fit did: a value object that every estimator fills and every results object keeps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FitRecord:
    """What ``fit`` did, kept in the results so that a replication can report it.

    Attributes
    ----------
    method : str
        ``"ml"``, ``"ols"`` or ``"gmm"`` (the moment estimators: spatial 2SLS, GM error and
        GS2SLS; ``optimizer`` says which).
    logdet : str or None
        Log-determinant method (``"eigen"``, ``"lu"``, ...), None without a spatial parameter.
    logdet_error : float
        Stated error bound of the log-determinants in the likelihood at the estimate (0 for
        the exact methods; see ``LogDeterminant.error_bound``).
    interval : tuple of float or None
        Interval searched for the first spatial parameter: ``(1/omega_min, 1/omega_max)`` of its
        weights.
    intervals : dict of str to tuple of float
        The interval of every spatial parameter, by name (``rho`` and ``lambda`` differ when the
        lag and the error have different weights).
    optimizer : str
        Search and refinement used.
    converged : bool
        Whether the score vanished at an interior point where the likelihood is curved: False
        for an estimate on the boundary of its interval (``boundary``) or on a flat likelihood.
    message : str
        Human-readable outcome.
    score : tuple of float
        Score of the concentrated log-likelihood at the estimate.
    evaluations : int
        Number of likelihood evaluations.
    boundary : tuple of str
        The spatial parameters whose estimate lies on (within rounding of) an end of its
        interval, or on an edge of the parameter space of a combined term; empty for an
        interior estimate. The likelihood then increases towards a singular ``I - rho W`` and
        the standard errors, which assume an interior maximum, do not apply.
    parameter_error : dict of str to float
        How far an approximate log-determinant's stated error can move each spatial estimate
        from the exact maximiser (empty for the exact methods).
    """

    method: str
    logdet: str | None = None
    logdet_error: float = 0.0
    interval: tuple[float, float] | None = None
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    optimizer: str = "closed form"
    converged: bool = True
    message: str = "closed-form solution"
    score: tuple[float, ...] = ()
    evaluations: int = 0
    boundary: tuple[str, ...] = ()
    parameter_error: dict[str, float] = field(default_factory=dict)
