"""Typed errors raised by naeringsmiljo.

Every error a user can trigger with bad input derives from :class:`NaeringsmiljoError`, so that a
script can catch the package's own errors without hiding programming mistakes. The subclasses also
derive from the built-in exception a generic caller would expect (``ValueError``, ``KeyError``).
"""

from __future__ import annotations


class NaeringsmiljoError(Exception):
    """Base class of every error raised deliberately by the package."""


class WeightsError(NaeringsmiljoError, ValueError):
    """A spatial weights matrix is malformed (shape, ids, negative weights)."""


class IdMismatchError(WeightsError):
    """The ids of the data and of the weights do not match.

    Attributes
    ----------
    missing_in_weights : tuple
        Ids present in the data but absent from the weights.
    missing_in_data : tuple
        Ids present in the weights but absent from the data.
    """

    def __init__(self, message: str, missing_in_weights: tuple = (), missing_in_data: tuple = ()):
        super().__init__(message)
        self.missing_in_weights = missing_in_weights
        self.missing_in_data = missing_in_data


class IslandError(WeightsError):
    """The weights contain units without neighbours and no island policy was chosen."""

    def __init__(self, message: str, islands: tuple = ()):
        super().__init__(message)
        self.islands = islands


class MissingDataError(NaeringsmiljoError, ValueError):
    """The data contain NaN or infinite values in variables the model uses."""

    def __init__(self, message: str, rows: tuple = ()):
        super().__init__(message)
        self.rows = rows


class UnbalancedPanelError(MissingDataError):
    """A panel misses (entity, time) pairs; the message lists them.

    Attributes
    ----------
    missing_pairs : tuple of (entity, time)
        The pairs absent from the data (or with missing values).
    """

    def __init__(self, message: str, missing_pairs: tuple = ()):
        super().__init__(message, rows=missing_pairs)
        self.missing_pairs = missing_pairs


class PanelStructureError(NaeringsmiljoError, ValueError):
    """The (entity, time) index of a panel is malformed: duplicated pairs, a time index that
    cannot be ordered, one period with panel effects, or an index that is not (entity, time)."""

    def __init__(self, message: str, rows: tuple = ()):
        super().__init__(message)
        self.rows = rows


class FormulaError(NaeringsmiljoError, KeyError):
    """A formula names a column that the data do not have, or cannot be parsed."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class SingularDesignError(NaeringsmiljoError, ValueError):
    """The design matrix (including spatially lagged regressors) is rank deficient.

    Attributes
    ----------
    columns : tuple of str
        Columns that are linear combinations of the others.
    """

    def __init__(self, message: str, columns: tuple = ()):
        super().__init__(message)
        self.columns = columns


class DegenerateDataError(NaeringsmiljoError, ValueError):
    """The data cannot identify the model: a constant outcome, an outcome the regressors
    reproduce exactly, or no more observations than parameters.

    Attributes
    ----------
    n : int
        Number of observations.
    k : int
        Number of parameters the data would have to identify (coefficients, and for the
        fit-entry check also the spatial parameters).
    """

    def __init__(self, message: str, n: int = 0, k: int = 0):
        super().__init__(message)
        self.n = n
        self.k = k


class OutcomeError(NaeringsmiljoError, ValueError):
    """The outcome is outside the model's family: a probit outcome that is not 0/1, a Tobit
    outcome below its censoring point.

    Attributes
    ----------
    rows : tuple
        Ids of the offending observations.
    """

    def __init__(self, message: str, rows: tuple = ()):
        super().__init__(message)
        self.rows = rows


class OptionError(NaeringsmiljoError, ValueError):
    """A string option (or a keyword name) is not one of those allowed; the message suggests the
    closest allowed value.

    Attributes
    ----------
    option : str
        The option's name (``"missing"``, ``"variant"``, ...).
    value : object
        The value given.
    allowed : tuple
        The values allowed.
    """

    def __init__(self, message: str, option: str = "", value: object = None, allowed: tuple = ()):
        super().__init__(message)
        self.option = option
        self.value = value
        self.allowed = allowed


class SpecificationError(NaeringsmiljoError, ValueError):
    """The arguments of a call do not specify a valid model, fit or computation: a value out of
    its range, a combination the method does not support, a term the model does not have."""


class InputTypeError(NaeringsmiljoError, TypeError):
    """An argument is of a type the function does not take (the message names the one to use)."""


class StoredResultsError(NaeringsmiljoError, ValueError):
    """A file given to :func:`naeringsmiljo.load` is not saved results of this package, or was
    saved in a format version this version cannot read."""


class ParameterSpaceError(NaeringsmiljoError, ValueError):
    """A spatial parameter lies outside the interval where I - rho W is invertible."""


class ClusterError(NaeringsmiljoError, ConnectionError):
    """A study's cluster cannot be reached or started (no scheduler answers at the address)."""


class StoreMismatchError(NaeringsmiljoError, ValueError):
    """A results store was written by a different study; mixing the two would corrupt both.

    Attributes
    ----------
    differences : tuple of str
        What differs between the study that wrote the store and this one.
    """

    def __init__(self, message: str, differences: tuple[str, ...] = ()):
        super().__init__(message)
        self.differences = differences


class ConvergenceWarning(UserWarning):
    """The optimiser stopped without meeting its convergence criterion."""


class IllConditionedWarning(UserWarning):
    """A design is nearly collinear: its condition number, after scaling the columns to unit
    length, is so large that estimates keep only a few significant digits."""


class SingularInformationWarning(UserWarning):
    """The information matrix (or the Hessian) is not positive definite at the estimate: the
    parameters are not all identified there, and their standard errors are reported as NaN."""


class WeightsWarning(UserWarning):
    """The weights of a spatial term are valid but change how its parameter reads.

    Raised when the lag of y or of the error uses weights that are not row-standardised: the
    parameter interval is then not ``(1/omega_min, 1)`` and the warning states the one that
    follows from the weights.
    """


class PriorError(SpecificationError):
    """A prior of a Bayesian fit is invalid: a covariance that is not symmetric positive definite,
    a hyperparameter out of its range, or a dimension that does not match the model.

    Attributes
    ----------
    argument : str
        The prior's field (``"beta_cov"``, ``"sigma2_shape"``, ...).
    """

    def __init__(self, message: str, argument: str = ""):
        super().__init__(message)
        self.argument = argument


class SamplerError(SpecificationError):
    """The settings of a sampler cannot give a posterior sample: burn-in not smaller than the
    draws, a thinning that keeps fewer than two draws, a non-positive count.

    Attributes
    ----------
    argument : str
        The offending option (``"burn"``, ``"draws"``, ``"thin"``, ``"chains"``).
    """

    def __init__(self, message: str, argument: str = ""):
        super().__init__(message)
        self.argument = argument


class MixingWarning(ConvergenceWarning):
    """A Markov chain has not mixed: the R-hat of a parameter exceeds the stated threshold, so
    its posterior summaries are unreliable (run longer chains or several chains)."""
