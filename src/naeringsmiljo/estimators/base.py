"""The interface of every estimator, its typed options, and the registry that finds it.

A model orchestrates: ``Model.fit(method=..., **options)`` looks the estimator up by name in
:data:`ESTIMATORS`, validates the options against the estimator's options dataclass
(:func:`parse_options`: an unknown option or a value outside a ``Literal`` is an error that lists
what is valid) and calls ``estimator.fit(problem, options)``. An estimator is one module with an
options dataclass and a class registered with :func:`register`; adding one touches no other
estimator and no model.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from naeringsmiljo._options import check_choice, check_names, literal_values
from naeringsmiljo.design.base import Design
from naeringsmiljo.design.outcomes import Family as Family
from naeringsmiljo.exceptions import DegenerateDataError, SpecificationError
from naeringsmiljo.results.spatial import SpatialResults

class FitProblem(Protocol):
    """What an estimator is given: the model's name, design and outcome family."""

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> Design: ...

    @property
    def family(self) -> str: ...

    @property
    def spatial_params(self) -> list[str]: ...

    @property
    def param_names(self) -> list[str]: ...


class Estimator(Protocol):
    """An estimator: a registry name, an options type, the families it fits, and ``fit``."""

    name: ClassVar[str]
    options_type: ClassVar[type]
    families: ClassVar[tuple[str, ...]]

    def check(self, problem: FitProblem) -> None:
        """Raise ``ValueError`` naming the reason when the estimator cannot fit ``problem``."""
        ...

    def fit(self, problem: FitProblem, options: Any) -> SpatialResults: ...


#: Estimators by registry name (``"ols"``, ``"ml"``, ``"s2sls"``, ``"gm_error"``, ``"gs2sls"``).
ESTIMATORS: dict[str, type[Estimator]] = {}

#: Estimators by registry name and outcome family: one method name (``"bayes"``) may be served
#: by one estimator for Gaussian outcomes and another for binary or censored ones.
FAMILY_ESTIMATORS: dict[tuple[str, str], type[Estimator]] = {}

#: Names that choose an estimator from the model's terms (``"gmm"``: the moment estimator that
#: fits the model: spatial 2SLS, GM error or GS2SLS).
ALIASES: dict[str, Callable[[FitProblem], str]] = {}

E = TypeVar("E", bound=type)


def register(cls: E) -> E:
    """Class decorator adding an estimator to :data:`ESTIMATORS` under its ``name``, and to
    :data:`FAMILY_ESTIMATORS` under its name and each of its families."""
    ESTIMATORS.setdefault(cls.name, cls)  # type: ignore[attr-defined]
    for family in cls.families:  # type: ignore[attr-defined]
        FAMILY_ESTIMATORS[(cls.name, family)] = cls  # type: ignore[attr-defined]
    return cls


def resolve(method: str, problem: FitProblem) -> Estimator:
    """The estimator registered as ``method`` (or chosen by the alias ``method``)."""
    check_choice("method", method, sorted([*ESTIMATORS, *ALIASES]))
    if method in ALIASES:
        method = ALIASES[method](problem)
    estimator = FAMILY_ESTIMATORS.get((method, problem.family), ESTIMATORS[method])()
    if problem.family not in estimator.families:
        raise SpecificationError(
            f"The {method!r} estimator fits the families {list(estimator.families)}; "
            f"{problem.name} declares the {problem.family!r} family."
        )
    estimator.check(problem)
    check_degrees_of_freedom(problem)
    return estimator


def check_degrees_of_freedom(problem: FitProblem) -> None:
    """Raise :class:`DegenerateDataError` unless ``n > k + p``.

    ``k`` coefficients and ``p`` free spatial parameters leave ``n - k - p`` residual degrees of
    freedom for sigma^2. With none, a spatial parameter can zero the residuals (``n - k`` of
    them span ``n - k`` dimensions, and each spatial parameter removes one): sigma^2 = 0 and the
    likelihood is infinite, or the moment equations are solved exactly. The design has already
    checked ``n > k``; a convex mix of ``m`` matrices has ``m - 1`` free weights.
    """
    spec = problem.spec
    n, k = spec.nobs, len(spec.exog_names)
    p = len(problem.spatial_params)
    combined = spec.terms.combined
    if combined is not None and combined.combine == "convex":
        p -= 1
    if n <= k + p:
        raise DegenerateDataError(
            f"{problem.name}: n = {n} observations for k = {k} coefficients and {p} spatial "
            f"parameter(s): no residual degrees of freedom are left (n - k - {p} = "
            f"{n - k - p}); the fit needs n > k + {p}.",
            n=n,
            k=k + p,
        )


def parse_options(options_type: type, given: Mapping[str, Any], method: str) -> Any:
    """Build ``options_type`` from ``given``, naming the valid options and values on error.

    Every field of the options dataclass whose type is a ``Literal`` (or a union containing
    one and no ``str``) is checked against its values, so that a misspelt value fails here
    instead of deep inside the estimator. An unknown option or value raises
    :class:`~naeringsmiljo.exceptions.OptionError` suggesting the closest valid one
    (:func:`naeringsmiljo._options.check_choice`, as every public function's options).
    """
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    check_names(given, fields, f"The {method!r} estimator takes")
    hints = typing.get_type_hints(options_type)
    for name, value in given.items():
        if literal_values(hints[name]) is not None:
            doc = fields[name].metadata.get("doc")
            where = (f"({doc}) " if doc else "") + f"of the {method!r} estimator"
            check_choice(name, value, hints[name], context=where)
    return options_type(**given)


def refuse_combined_weights(problem: FitProblem) -> None:
    """The check of an estimator that does not read the channels of a combined term."""
    if problem.spec.terms.combined is not None:
        raise SpecificationError(
            f"{problem.name} combines several weights matrices; fit it by method='ml' "
            "(spatial 2SLS takes a combined lag of y without an error term)."
        )
