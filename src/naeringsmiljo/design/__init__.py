"""Designs: a model's data aligned with the weights of its spatial terms.

A design gives the estimators y, X, lagged variables through :meth:`lag`, the numbers of units and
periods and the multiplicity of each log-determinant; estimators never multiply by a weights
matrix themselves. :class:`CrossSectionDesign` is the cross-section; a design that stacks periods
implements the same interface (:class:`Design`).
"""

from naeringsmiljo.design.base import Design
from naeringsmiljo.design.cross_section import (
    INTERCEPT,
    CrossSectionDesign,
    Durbin,
    check_outcome,
    check_rank,
    from_arrays,
    from_formula,
)
from naeringsmiljo.design.terms import LAG_PREFIX, SpatialTerm, SpatialTerms, TermKind

__all__ = [
    "INTERCEPT",
    "LAG_PREFIX",
    "CrossSectionDesign",
    "Design",
    "Durbin",
    "SpatialTerm",
    "SpatialTerms",
    "TermKind",
    "check_outcome",
    "check_rank",
    "from_arrays",
    "from_formula",
]
