"""Customer lifetime value: BG/NBD (purchases, P(alive)) + Gamma-Gamma (spend per purchase),
fitted by maximum likelihood with PyMC-Marketing's CLV module, plus a vectorised Monte Carlo of
each customer's predictive distribution of future net value.

The likelihoods and the MAP fit are the library's. The closed-form predictions (P(alive),
expected purchases, expected spend) are the library's formulas restated on plain arrays, so that
scoring with parameters fitted earlier needs no PyMC (the unit tests hold them equal to the
library's). What is ours: flat priors (so MAP = the maximum-likelihood estimates of the papers),
deterministic input order, and the Monte Carlo of the value distribution (p10/p50/p90), which the
unit tests check against the closed forms.

Time is in days throughout (frequency = repeat purchase days, recency and T in days).
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, hyp2f1

log = logging.getLogger(__name__)

BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")
# Columns that fully determine a customer's predictions: sorting by them (customer_id last)
# makes the fit and the Monte Carlo independent of row order and of the ids themselves.
INPUT_KEY = ["frequency", "recency", "T", "spend_purchases", "monetary_value"]


def _clv():
    """Import PyMC-Marketing lazily (about 6 s) and quietly (ArviZ announces its refactor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        from pymc_extras.prior import Prior
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    return Prior, BetaGeoModel, GammaGammaModel


def _map_fit(model, data: pd.DataFrame) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data=data, method="map", progressbar=False)
    post = model.fit_result
    return {k: float(post[k].values.reshape(-1)[0]) for k in post.data_vars}


def fit_bgnbd(data: pd.DataFrame):
    """Fit BG/NBD by maximum likelihood (flat priors + MAP). data: customer_id, frequency,
    recency, T. Returns the fitted BetaGeoModel."""
    prior, beta_geo, _ = _clv()
    model = beta_geo(model_config={k: prior("HalfFlat") for k in BGNBD_PARAMETERS})
    _map_fit(model, data[["customer_id", "frequency", "recency", "T"]].reset_index(drop=True))
    return model


def fit_gamma_gamma(data: pd.DataFrame):
    """Fit Gamma-Gamma by maximum likelihood. data: customer_id, frequency (number of purchases
    the mean is over, > 0), monetary_value (mean spend per purchase, > 0)."""
    prior, _, gamma_gamma = _clv()
    model = gamma_gamma(model_config={k: prior("HalfFlat") for k in GAMMA_GAMMA_PARAMETERS})
    _map_fit(model, data[["customer_id", "frequency", "monetary_value"]].reset_index(drop=True))
    return model


def parameters(model, names: tuple[str, ...]) -> dict[str, float]:
    post = model.fit_result
    return {k: float(post[k].values.reshape(-1)[0]) for k in names}


def probability_alive(bgnbd: dict[str, float], frequency, recency, T) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T) (Fader, Hardie & Lee 2008; BetaGeoModel's formula): 1 without
    a repeat purchase (dropout happens only right after a purchase)."""
    r, alpha, a, b = (bgnbd[k] for k in BGNBD_PARAMETERS)
    x, t_x, t_obs = (np.asarray(c, dtype=float) for c in (frequency, recency, T))
    log_div = (r + x) * np.log((alpha + t_obs) / (alpha + t_x)) + np.log(
        a / (b + np.maximum(x, 1) - 1)
    )
    return np.where(x == 0, 1.0, expit(-log_div))


def expected_purchases(bgnbd: dict[str, float], frequency, recency, T, t: float) -> np.ndarray:
    """BG/NBD E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10;
    BetaGeoModel.expected_purchases)."""
    r, alpha, a, b = (bgnbd[k] for k in BGNBD_PARAMETERS)
    x, t_x, t_obs = (np.asarray(c, dtype=float) for c in (frequency, recency, T))
    numerator = 1 - ((alpha + t_obs) / (alpha + t_obs + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + t_obs + t)
    )
    numerator *= (a + b + x - 1) / (a - 1)
    denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + t_obs) / (alpha + t_x)) ** (r + x)
    return numerator / denominator


def expected_spend(gamma_gamma: dict[str, float], purchases, mean_spend) -> np.ndarray:
    """Gamma-Gamma E[spend per purchase | n purchases with mean mbar] (Fader & Hardie 2013;
    GammaGammaModel.expected_customer_spend): the own mean shrunk to the population mean."""
    p, q, v = (gamma_gamma[k] for k in GAMMA_GAMMA_PARAMETERS)
    n, mbar = np.asarray(purchases, dtype=float), np.asarray(mean_spend, dtype=float)
    weight = p * n / (p * n + q - 1)
    return (1 - weight) * (v * p / (q - 1)) + weight * mbar


def simulate_future_value(
    *,
    p_alive: np.ndarray,
    frequency: np.ndarray,
    T: np.ndarray,
    spend_purchases: np.ndarray,
    monetary_value: np.ndarray,
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float],
    horizon: float,
    simulations: int,
    rng: np.random.Generator,
    chunk_elements: int = 2_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of each customer's future purchases and net value over `horizon` days.

    Per customer and draw, from the individual posteriors given the MAP population parameters:
    alive at T ~ Bernoulli(P(alive)); if alive, lambda ~ Gamma(r + x, alpha + T) and
    p ~ Beta(a, b + x) (the posterior of an alive BG/NBD customer); purchases in (T, T + horizon]
    = min(Poisson(lambda * horizon), Geometric(p)) (the customer drops out right after a purchase
    with probability p); nu ~ Gamma(p_gg * n + q, v + n * mbar) (the Gamma-Gamma posterior of
    the spend scale given n purchases with mean mbar) and the value of k purchases is
    Gamma(k * p_gg, nu). Returns (purchases, value), each (customers, simulations).
    Parameter uncertainty of the population fit is not included (MAP).
    The per-customer reference: scoring uses :func:`value_quantiles`, which the unit tests hold
    equal to quantiles of these draws."""
    r, alpha, a, b = (bgnbd[k] for k in BGNBD_PARAMETERS)
    pg, q, v = (gamma_gamma[k] for k in GAMMA_GAMMA_PARAMETERS)
    m = len(p_alive)
    purchases = np.zeros((m, simulations), dtype=np.int64)
    value = np.zeros((m, simulations), dtype=float)
    step = max(1, chunk_elements // max(simulations, 1))
    for lo in range(0, m, step):
        sl = slice(lo, min(m, lo + step))
        shape = (sl.stop - sl.start, simulations)
        # Only the draws that need them are simulated (the same distribution, fewer variates):
        # purchase counts for the alive draws, spend for the draws with a purchase.
        alive = rng.random(shape) < p_alive[sl, None]
        rows, _ = np.nonzero(alive)
        x = frequency[sl].astype(float)[rows]
        lam = rng.gamma(r + x, 1.0 / (alpha + T[sl].astype(float)[rows]))
        drop = rng.beta(a, b + x)
        poisson = rng.poisson(lam * horizon)
        geometric = rng.geometric(np.clip(drop, 1e-12, 1.0))
        k = np.zeros(shape, dtype=np.int64)
        k[alive] = np.minimum(poisson, geometric)
        bought = k > 0
        rows, _ = np.nonzero(bought)
        xs = spend_purchases[sl].astype(float)[rows]
        nu = rng.gamma(pg * xs + q, 1.0 / (v + xs * monetary_value[sl][rows]))
        val = np.zeros(shape, dtype=float)
        val[bought] = rng.gamma(k[bought] * pg, 1.0 / nu)
        purchases[sl] = k
        value[sl] = val
    return purchases, value


def value_quantiles(
    *,
    p_alive: np.ndarray,
    frequency: np.ndarray,
    T: np.ndarray,
    spend_purchases: np.ndarray,
    monetary_value: np.ndarray,
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float],
    horizon: float,
    simulations: int,
    quantiles: tuple[float, ...],
    rng: np.random.Generator,
    chunk_elements: int = 2_000_000,
) -> np.ndarray:
    """Quantiles of each customer's future net value over `horizon` days: an array
    (len(quantiles), customers). The distribution is :func:`simulate_future_value`'s, computed
    with far fewer draws by two exact identities:

    * value = (v + n mbar) x W, where W = Gamma(k p_gg, 1) / Gamma(p_gg n + q, 1) depends on
      (x, T, n) only (lambda, the dropout p and k depend on x and T; the Gamma-Gamma posterior
      on n): the quantiles of value are (v + n mbar) x the quantiles of W;
    * value is 0 with probability 1 - P(alive) and an alive customer's value otherwise, so its
      q-quantile is 0 when q <= 1 - P(alive) and else the alive value's quantile at level
      (q - (1 - P(alive))) / P(alive): t_x enters through P(alive) only.

    So `simulations` draws are made per distinct (x, T, n) of alive customers (5,336 types for
    68,810 customers at bench scale m), in sorted type order: a customer's quantiles depend on
    its inputs only. Empirical quantiles interpolate linearly (numpy's default)."""
    r, alpha, a, b = (bgnbd[k] for k in BGNBD_PARAMETERS)
    pg, q, v = (gamma_gamma[k] for k in GAMMA_GAMMA_PARAMETERS)
    # float, not int: the model allows fractional time (CDNOW counts weeks)
    x, t_obs, n = (np.asarray(c, dtype=float) for c in (frequency, T, spend_purchases))
    types, customer_type = np.unique(np.stack([x, t_obs, n], axis=1), axis=0, return_inverse=True)
    customer_type = customer_type.reshape(-1)
    g = len(types)
    alive_value = np.zeros((g, simulations), dtype=float)  # W of an alive customer, sorted
    step = max(1, chunk_elements // max(simulations, 1))
    for lo in range(0, g, step):
        sl = slice(lo, min(g, lo + step))
        tx, tt, tn = (types[sl, j][:, None] for j in range(3))
        shape = (sl.stop - sl.start, simulations)
        lam = rng.gamma(r + tx, 1.0 / (alpha + tt), size=shape)
        drop = rng.beta(a, b + tx, size=shape)
        k = np.minimum(rng.poisson(lam * horizon), rng.geometric(np.clip(drop, 1e-12, 1.0)))
        bought = k > 0
        rows, _ = np.nonzero(bought)
        w = np.zeros(shape, dtype=float)
        w[bought] = rng.gamma(k[bought] * pg) / rng.gamma(pg * tn[rows, 0] + q)
        w.sort(axis=1)
        alive_value[sl] = w
    p_alive = np.asarray(p_alive, dtype=float)
    scale = v + n * np.asarray(monetary_value, dtype=float)
    out = np.zeros((len(quantiles), len(x)), dtype=float)
    for i, qv in enumerate(quantiles):
        level = (qv - (1.0 - p_alive)) / np.where(p_alive > 0, p_alive, 1.0)
        has_value = (p_alive > 0) & (level > 0)
        position = np.clip(level, 0.0, 1.0) * (simulations - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, simulations - 1)
        low = alive_value[customer_type, below]
        high = alive_value[customer_type, above]
        quantile = low + (position - below) * (high - low)
        out[i] = np.where(has_value, scale * quantile, 0.0)
    return out


@dataclass
class PeriodFit:
    """Predictions of one fit period, one row per customer, and the fitted parameters."""

    scores: pd.DataFrame
    bgnbd: dict[str, float] = field(default_factory=dict)
    gamma_gamma: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    refitted: bool = True  # False: scored with the parameters passed in


def score_customers(
    data: pd.DataFrame,
    *,
    horizons: dict[str, float],
    value_horizon: float,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    simulations: int = 500,
    seed: int = 42,
    min_repeat_customers: int = 20,
    fitted: tuple[dict[str, float], dict[str, float]] | None = None,
) -> PeriodFit | None:
    """Score every customer of `data` with BG/NBD + Gamma-Gamma: fitted on `data`, or with
    `fitted` = (BG/NBD, Gamma-Gamma) parameters of an earlier fit (then PyMC is not needed).

    data: customer_id, frequency (repeat purchase days), recency, T (days), spend_purchases
    (purchase days the spend mean is over, >= 1), monetary_value (mean net spend per purchase
    day, > 0). horizons: output name -> days for expected purchases. value_horizon: days of the
    value prediction (expected value = expected purchases x expected spend, and the Monte Carlo
    quantiles when simulations > 0). Returns None when a fit is needed and fewer than
    `min_repeat_customers` customers have a repeat purchase (the model cannot be identified), or
    when the predictions are not finite."""
    repeat = int((data["frequency"] > 0).sum())
    if fitted is None and repeat < min_repeat_customers:
        log.warning(
            "LTV: %d customers with a repeat purchase (< %d): no fit", repeat, min_repeat_customers
        )
        return None
    t0 = time.perf_counter()
    df = data.sort_values([*INPUT_KEY, "customer_id"], kind="mergesort").reset_index(drop=True)
    if fitted is None:
        bg_params = parameters(fit_bgnbd(df), BGNBD_PARAMETERS)
        t1 = time.perf_counter()
        spend_data = df.assign(frequency=df["spend_purchases"])
        gg_fit = fit_gamma_gamma(spend_data[["customer_id", "frequency", "monetary_value"]])
        gg_params = parameters(gg_fit, GAMMA_GAMMA_PARAMETERS)
    else:
        bg_params, gg_params = dict(fitted[0]), dict(fitted[1])
        t1 = time.perf_counter()
    t2 = time.perf_counter()

    rfm = (df["frequency"], df["recency"], df["T"])
    out = df.copy()
    out["p_alive"] = probability_alive(bg_params, *rfm)
    for name, days in horizons.items():
        out[name] = expected_purchases(bg_params, *rfm, days)
    spend = expected_spend(gg_params, df["spend_purchases"], df["monetary_value"])
    out["expected_spend_per_purchase"] = spend
    expected_value_purchases = expected_purchases(bg_params, *rfm, value_horizon)
    out["expected_purchases_value_horizon"] = expected_value_purchases
    out["predicted_value"] = expected_value_purchases * spend
    predicted = out[["p_alive", *horizons, "expected_spend_per_purchase", "predicted_value"]]
    if not np.isfinite(predicted.to_numpy(dtype=float)).all():
        # A degenerate MAP fit (e.g. r and alpha running off to infinity on a few weeks of
        # data) whose predictions are NaN: no fit, as when the model cannot be identified.
        log.warning("LTV: the fit gives non-finite predictions (BG/NBD %s): no fit", bg_params)
        return None
    t3 = time.perf_counter()

    if simulations > 0:
        qs = value_quantiles(
            p_alive=out["p_alive"].to_numpy(),
            frequency=df["frequency"].to_numpy(),
            T=df["T"].to_numpy(),
            spend_purchases=df["spend_purchases"].to_numpy(),
            monetary_value=df["monetary_value"].to_numpy(dtype=float),
            bgnbd=bg_params,
            gamma_gamma=gg_params,
            horizon=value_horizon,
            simulations=simulations,
            quantiles=quantiles,
            rng=np.random.default_rng(seed),
        )
        for qv, row in zip(quantiles, qs, strict=True):
            out[f"predicted_value_p{round(qv * 100):02d}"] = row
    t4 = time.perf_counter()
    seconds = {"bgnbd_fit": t1 - t0, "gamma_gamma_fit": t2 - t1, "predict": t3 - t2}
    seconds["simulate"] = t4 - t3
    log.info(
        "LTV: %d customers, %s BG/NBD %s, Gamma-Gamma %s, seconds %s",
        len(df),
        "fitted" if fitted is None else "earlier fit",
        {k: round(v, 4) for k, v in bg_params.items()},
        {k: round(v, 4) for k, v in gg_params.items()},
        {k: round(v, 2) for k, v in seconds.items()},
    )
    return PeriodFit(
        scores=out,
        bgnbd=bg_params,
        gamma_gamma=gg_params,
        seconds=seconds,
        refitted=fitted is None,
    )
