"""LTV scores: one row per customer x fit period of int_ltv_inputs.

Fits BG/NBD + Gamma-Gamma (PyMC-Marketing, maximum likelihood) separately on each fit period
('as_of': everything up to the as-of date; 'calibration': up to the as-of date minus the
holdout) and scores that period's customers. The fitting code is orchestration/lib/ltv (plain,
unit-tested Python); this model only moves data in and out. A dbt Python model: dbt-spark's
session method cannot run it (see docs/activation/ltv.md).
"""

import numpy as np
import pandas as pd

from orchestration.lib.ltv import BGNBD_PARAMETERS, GAMMA_GAMMA_PARAMETERS, score_customers

HORIZONS = {"expected_purchases_30d": 30, "expected_purchases_90d": 90, "expected_purchases_365d": 365}
VALUE_HORIZON_DAYS = 365
PERIODS = ("as_of", "calibration")

COLUMNS = {
    # 'string', not 'object': an empty object column reaches DuckDB as INTEGER (a warehouse
    # without customers yet, or `dbt run --empty` before the unit tests).
    "fit_period": "string",
    "customer_id": "string",
    "as_of_date": "datetime64[us]",
    "period_end_date": "datetime64[us]",
    "frequency": "int64",
    "recency_days": "int64",
    "t_days": "int64",
    "purchase_days": "int64",
    "avg_net_spend_cny": "float64",
    "holdout_days": "float64",
    "holdout_purchase_days": "float64",
    "holdout_net_spend_cny": "float64",
    "p_alive": "float64",
    **{name: "float64" for name in HORIZONS},
    "expected_spend_per_purchase_cny": "float64",
    "predicted_value_1y_cny": "float64",
    "predicted_value_1y_p10_cny": "float64",
    "predicted_value_1y_p50_cny": "float64",
    "predicted_value_1y_p90_cny": "float64",
    "expected_purchases_holdout": "float64",
    "predicted_value_holdout_cny": "float64",
    "fit_customers": "int64",
    "fit_repeat_customers": "int64",
    **{f"bgnbd_{k}": "float64" for k in BGNBD_PARAMETERS},
    **{f"gamma_gamma_{k}": "float64" for k in GAMMA_GAMMA_PARAMETERS},
}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})


def _score_period(inputs: pd.DataFrame, period: str, simulations: int, seed: int, min_repeat: int):
    rows = inputs[inputs["fit_period"] == period]
    if rows.empty:
        return None
    data = pd.DataFrame(
        {
            "customer_id": rows["customer_id"].to_numpy(),
            "frequency": rows["frequency"].to_numpy(dtype=np.int64),
            "recency": rows["recency_days"].to_numpy(dtype=np.int64),
            "T": rows["t_days"].to_numpy(dtype=np.int64),
            "spend_purchases": rows["purchase_days"].to_numpy(dtype=np.int64),
            "monetary_value": np.round(
                rows["net_spend_cny"].to_numpy(dtype=float) / rows["purchase_days"].to_numpy(), 6
            ),
        }
    )
    horizons = dict(HORIZONS)
    holdout_days = None
    if period == "calibration":
        holdout_days = int(rows["holdout_days"].iloc[0])
        horizons["expected_purchases_holdout"] = holdout_days
    fit = score_customers(
        data,
        horizons=horizons,
        value_horizon=VALUE_HORIZON_DAYS,
        simulations=simulations if period == "as_of" else 0,
        seed=seed,
        min_repeat_customers=min_repeat,
    )
    if fit is None:
        return None
    s = fit.scores
    meta = rows.drop_duplicates("customer_id").set_index("customer_id")
    out = pd.DataFrame(
        {
            "fit_period": period,
            "customer_id": s["customer_id"].to_numpy(),
            "frequency": s["frequency"].to_numpy(),
            "recency_days": s["recency"].to_numpy(),
            "t_days": s["T"].to_numpy(),
            "purchase_days": s["spend_purchases"].to_numpy(),
            "avg_net_spend_cny": s["monetary_value"].to_numpy(),
            "p_alive": s["p_alive"].to_numpy(),
            "expected_spend_per_purchase_cny": s["expected_spend_per_purchase"].to_numpy(),
            "predicted_value_1y_cny": s["predicted_value"].to_numpy(),
            "fit_customers": len(s),
            "fit_repeat_customers": int((s["frequency"] > 0).sum()),
        }
    )
    for name in HORIZONS:
        out[name] = s[name].to_numpy()
    for q in ("p10", "p50", "p90"):
        col = f"predicted_value_{q}"
        out[f"predicted_value_1y_{q}_cny"] = s[col].to_numpy() if col in s else np.nan
    if holdout_days is not None:
        out["expected_purchases_holdout"] = s["expected_purchases_holdout"].to_numpy()
        out["predicted_value_holdout_cny"] = (
            s["expected_purchases_holdout"].to_numpy() * s["expected_spend_per_purchase"].to_numpy()
        )
    else:
        out["expected_purchases_holdout"] = np.nan
        out["predicted_value_holdout_cny"] = np.nan
    for col in ("as_of_date", "period_end_date", "holdout_days", "holdout_purchase_days", "holdout_net_spend_cny"):
        out[col] = meta.loc[out["customer_id"], col].to_numpy()
    for k, v in fit.bgnbd.items():
        out[f"bgnbd_{k}"] = v
    for k, v in fit.gamma_gamma.items():
        out[f"gamma_gamma_{k}"] = v
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    simulations = int(dbt.config.get("ltv_simulations") or 500)
    seed = int(dbt.config.get("ltv_random_seed") or 42)
    min_repeat = int(dbt.config.get("ltv_min_repeat_customers") or 20)
    inputs = dbt.ref("int_ltv_inputs").df()
    parts = [_score_period(inputs, p, simulations, seed, min_repeat) for p in PERIODS]
    parts = [p for p in parts if p is not None]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)[list(COLUMNS)]
    for c, t in COLUMNS.items():
        if t.startswith("datetime"):
            out[c] = pd.to_datetime(out[c])
        else:
            out[c] = out[c].astype(t)
    return out
