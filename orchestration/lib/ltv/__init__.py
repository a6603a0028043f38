"""Customer lifetime value: BG/NBD + Gamma-Gamma with PyMC-Marketing (docs/activation/ltv.md)."""

from orchestration.lib.ltv.model import (
    BGNBD_PARAMETERS,
    GAMMA_GAMMA_PARAMETERS,
    PeriodFit,
    fit_bgnbd,
    fit_gamma_gamma,
    parameters,
    score_customers,
    simulate_future_value,
)

__all__ = [
    "BGNBD_PARAMETERS",
    "GAMMA_GAMMA_PARAMETERS",
    "PeriodFit",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "parameters",
    "score_customers",
    "simulate_future_value",
]
