"""The models of the package: each one declares its spatial terms, default lags and method."""

from __future__ import annotations

from naeringsmiljo.models.base import SpatialModel


class OLS(SpatialModel):
    """Linear regression without spatial terms (the benchmark of every specification search)."""

    default_method = "ols"
    description = "y = X beta + e"


class SLX(SpatialModel):
    """Spatial lag of X (Halleck Vega & Elhorst 2015): ``y = X beta + W X theta + e``."""

    default_durbin = True
    default_method = "ols"
    description = "y = X beta + W X theta + e"


class SAR(SpatialModel):
    """Spatial autoregressive (spatial lag) model (Anselin 1988, ch. 6): ``y = rho W y + X beta + e``."""

    terms = ("y",)
    description = "y = rho W y + X beta + e"


class SDM(SpatialModel):
    """Spatial Durbin model (LeSage & Pace 2009, s. 2.2): ``y = rho W y + X beta + W X theta + e``."""

    terms = ("y",)
    default_durbin = True
    description = "y = rho W y + X beta + W X theta + e"


class SEM(SpatialModel):
    """Spatial error model (Anselin 1988, ch. 6): ``y = X beta + u, u = lambda W u + e``."""

    terms = ("error",)
    description = "y = X beta + u, u = lambda W u + e"


class SDEM(SpatialModel):
    """Spatial Durbin error model (LeSage & Pace 2009): ``y = X beta + W X theta + u, u = lambda W u + e``."""

    terms = ("error",)
    default_durbin = True
    description = "y = X beta + W X theta + u, u = lambda W u + e"


class SAC(SpatialModel):
    """Spatial autoregressive combined model (Kelejian & Prucha 1998; LeSage & Pace 2009 'SAC').

    ``y = rho W y + X beta + u, u = lambda W u + e``.
    """

    terms = ("y", "error")
    description = "y = rho W y + X beta + u, u = lambda W u + e"


class GNS(SpatialModel):
    """General nesting spatial model (Elhorst 2014, s. 2.3).

    ``y = rho W y + X beta + W X theta + u, u = lambda W u + e``; weakly identified in practice
    (Elhorst 2014, s. 2.7), but the nest that every other model restricts.
    """

    terms = ("y", "error")
    default_durbin = True
    description = "y = rho W y + X beta + W X theta + u, u = lambda W u + e"


MODELS: dict[str, type[SpatialModel]] = {
    cls.__name__: cls for cls in (OLS, SLX, SAR, SDM, SEM, SDEM, SAC, GNS)
}


class SARProbit(SpatialModel):
    """Spatial autoregressive probit (LeSage & Pace 2009, s. 10.1; LeSage et al. 2011).

    ``z = rho W z + X beta + e``, ``e ~ N(0, I)``, ``y = 1(z > 0)``; fitted by the latent
    Gibbs sampler (``fit(method="bayes")``), with impacts on the probabilities.
    """

    terms = ("y",)
    family = "binary"
    default_method = "bayes"
    description = "y = 1(z > 0), z = rho W z + X beta + e"


class SEMProbit(SpatialModel):
    """Probit with a spatial error (LeSage & Pace 2009, s. 10.2; LeSage's ``semp_g``).

    ``z = X beta + u, u = lambda W u + e``, ``e ~ N(0, I)``, ``y = 1(z > 0)``.
    """

    terms = ("error",)
    family = "binary"
    default_method = "bayes"
    description = "y = 1(z > 0), z = X beta + u, u = lambda W u + e"


class SARTobit(SpatialModel):
    """Spatial autoregressive Tobit (LeSage & Pace 2009, s. 10.3; LeSage's ``sart_g``).

    ``z = rho W z + X beta + e``, ``e ~ N(0, sigma^2 I)``, ``y = max(z, 0)``.
    """

    terms = ("y",)
    family = "censored"
    default_method = "bayes"
    description = "y = max(z, 0), z = rho W z + X beta + e"


class SARPoisson(SpatialModel):
    """Poisson counts with a spatial autoregressive latent log-rate (LeSage & Pace 2009, s. 10.4
    for the latent-variable approach; the log-rate drawn by Metropolis-Hastings).

    ``z = rho W z + X beta + e``, ``e ~ N(0, sigma^2 I)``, ``y_i ~ Poisson(exp(z_i))``.
    """

    terms = ("y",)
    family = "count"
    default_method = "bayes"
    description = "y ~ Poisson(exp(z)), z = rho W z + X beta + e"


LATENT_MODELS: dict[str, type[SpatialModel]] = {
    cls.__name__: cls for cls in (SARProbit, SEMProbit, SARTobit, SARPoisson)
}
