"""Elhorst (2014), *Spatial Econometrics: From Cross-Sectional Data to Spatial Panels*, Springer,
Tables 2.2 and 2.3 (pp. 21-22): Columbus crime, CRIME ~ INC + HOVAL, W = Anselin's contiguity
(R spdep ``COL.nb``), row-standardised, ML for every spatial model.

Transcribed as printed. Printing conventions: the intercept is divided by 100; log-likelihoods of
the spatial models equal the Gaussian log-likelihood + 49 ln(100) (data scaled by 1/100), those of
OLS and SLX a further n/2 = 24.5 lower. Each entry is ``(estimate, t-value)``.
"""

TABLE_2_2: dict[str, dict[str, tuple[float, float]]] = {
    "OLS": {"Intercept": (0.686, 14.49), "INC": (-1.597, -4.78), "HOVAL": (-0.274, -2.65)},
    "SAR": {
        "Intercept": (0.451, 6.28),
        "INC": (-1.031, -3.38),
        "HOVAL": (-0.266, -3.01),
        "rho": (0.431, 3.66),
    },
    "SEM": {
        "Intercept": (0.599, 11.32),
        "INC": (-0.942, -2.85),
        "HOVAL": (-0.302, -3.34),
        "lambda": (0.562, 4.19),
    },
    "SLX": {
        "Intercept": (0.750, 11.32),
        "INC": (-1.109, -2.97),
        "HOVAL": (-0.290, -2.86),
        "W_INC": (-1.371, -2.44),
        "W_HOVAL": (0.192, 0.96),
    },
    "SAC": {
        "Intercept": (0.478, 4.83),
        "INC": (-1.026, -3.14),
        "HOVAL": (-0.282, -3.13),
        "rho": (0.368, 1.87),
        "lambda": (0.166, 0.56),
    },
    "SDM": {
        "Intercept": (0.428, 3.38),
        "INC": (-0.914, -2.76),
        "HOVAL": (-0.294, -3.29),
        "W_INC": (-0.520, -0.92),
        "W_HOVAL": (0.246, 1.37),
        "rho": (0.426, 2.73),
    },
    "SDEM": {
        "Intercept": (0.735, 8.37),
        "INC": (-1.052, -3.29),
        "HOVAL": (-0.276, -3.02),
        "W_INC": (-1.157, -2.00),
        "W_HOVAL": (0.112, 0.56),
        "lambda": (0.425, 2.69),
    },
    "GNS": {
        "Intercept": (0.509, 0.75),
        "INC": (-0.951, -2.16),
        "HOVAL": (-0.286, -2.87),
        "W_INC": (-0.693, -0.41),
        "W_HOVAL": (0.208, 0.73),
        "rho": (0.315, 0.33),
        "lambda": (0.154, 0.15),
    },
}

R2 = {
    "OLS": 0.552,
    "SAR": 0.652,
    "SEM": 0.651,
    "SLX": 0.609,
    "SAC": 0.651,
    "SDM": 0.665,
    "SDEM": 0.663,
    "GNS": 0.651,
}

LOGLIK = {
    "OLS": 13.776,
    "SAR": 43.263,
    "SEM": 42.273,
    "SLX": 17.075,
    "SAC": 43.419,
    "SDM": 44.260,
    "SDEM": 44.069,
    "GNS": 44.311,
}

# Table 2.3: (direct INC, direct HOVAL, indirect INC, indirect HOVAL) point estimates; the
# t-values come from simulation and are checked with the inference work, not here.
TABLE_2_3: dict[str, dict[tuple[str, str], float]] = {
    "OLS": {("INC", "direct"): -1.597, ("HOVAL", "direct"): -0.274},
    "SAR": {
        ("INC", "direct"): -1.086,
        ("HOVAL", "direct"): -0.280,
        ("INC", "indirect"): -0.727,
        ("HOVAL", "indirect"): -0.188,
    },
    "SEM": {("INC", "direct"): -0.942, ("HOVAL", "direct"): -0.302},
    "SLX": {
        ("INC", "direct"): -1.109,
        ("HOVAL", "direct"): -0.290,
        ("INC", "indirect"): -1.371,
        ("HOVAL", "indirect"): 0.192,
    },
    "SAC": {
        ("INC", "direct"): -1.063,
        ("HOVAL", "direct"): -0.292,
        ("INC", "indirect"): -0.560,
        ("HOVAL", "indirect"): -0.154,
    },
    "SDM": {
        ("INC", "direct"): -1.024,
        ("HOVAL", "direct"): -0.279,
        ("INC", "indirect"): -1.477,
        ("HOVAL", "indirect"): 0.195,
    },
    "SDEM": {
        ("INC", "direct"): -1.052,
        ("HOVAL", "direct"): -0.276,
        ("INC", "indirect"): -1.157,
        ("HOVAL", "indirect"): 0.112,
    },
    "GNS": {
        ("INC", "direct"): -1.032,
        ("HOVAL", "direct"): -0.277,
        ("INC", "indirect"): -1.369,
        ("HOVAL", "indirect"): 0.163,
    },
}
