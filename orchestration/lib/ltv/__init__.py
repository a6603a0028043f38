"""Customer lifetime value: BG/NBD + Gamma-Gamma with PyMC-Marketing (docs/activation/ltv.md)."""

from orchestration.lib.ltv.model import (
    BGNBD_PARAMETERS,
    GAMMA_GAMMA_PARAMETERS,
    PeriodFit,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    parameters,
    probability_alive,
    score_customers,
    simulate_future_value,
    value_quantiles,
)

__all__ = [
    "BGNBD_PARAMETERS",
    "GAMMA_GAMMA_PARAMETERS",
    "PeriodFit",
    "expected_purchases",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "parameters",
    "probability_alive",
    "score_customers",
    "simulate_future_value",
    "value_quantiles",
]
