"""LTV scores: one row per customer x fit period of int_ltv_inputs.

Fits BG/NBD + Gamma-Gamma (PyMC-Marketing, maximum likelihood) separately on each fit period
('as_of': everything up to the as-of date; 'calibration': up to the as-of date minus the
holdout) and scores that period's customers. The population parameters are refitted when the
last fit (read from this table before it is replaced) is var ltv_refit_days or more days old,
or dated after the as-of date; in between, customers are scored daily with them.
The fitting code is orchestration/lib/ltv (plain, unit-tested Python); this model only moves
data in and out. A dbt Python model: dbt-spark's session method cannot run it (see
docs/activation/ltv.md).
"""

from datetime import timedelta

import numpy as np
import pandas as pd

from orchestration.lib.ltv import BGNBD_PARAMETERS, GAMMA_GAMMA_PARAMETERS, score_customers

HORIZONS = {
    "expected_purchases_30d": 30,
    "expected_purchases_90d": 90,
    "expected_purchases_365d": 365,
}
VALUE_HORIZON_DAYS = 365
PERIODS = ("as_of", "calibration")

COLUMNS = {
    # 'string', not 'object': an empty object column reaches DuckDB as INTEGER (a warehouse
    # without customers yet, or `dbt run --empty` before the unit tests).
    "fit_period": "string",
    "customer_id": "string",
    "as_of_date": "datetime64[us]",
    "period_end_date": "datetime64[us]",
    # the as-of date of the data the parameters were fitted on (= as_of_date on a refit)
    "fitted_as_of_date": "datetime64[us]",
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


def _earlier_fits(session, this, as_of, refit_days: int, holdout_days) -> dict[str, dict]:
    """fit_period -> the fit in this model's table (the last run's) when it is at most
    refit_days - 1 days older than as_of and not newer; a calibration fit only for the same
    holdout length. Each: fitted_as_of_date, bgnbd, gamma_gamma, fit_customers,
    fit_repeat_customers."""
    if refit_days <= 0:
        return {}
    has_column = session.execute(
        "select count(*) from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? and column_name = 'fitted_as_of_date'",
        [this.database, this.schema, this.identifier],
    ).fetchone()[0]
    if not has_column:
        return {}
    params = [f"bgnbd_{k}" for k in BGNBD_PARAMETERS]
    params += [f"gamma_gamma_{k}" for k in GAMMA_GAMMA_PARAMETERS]
    rows = session.execute(
        "select distinct fit_period, fitted_as_of_date, holdout_days, fit_customers, "
        f"fit_repeat_customers, {', '.join(params)} from {this!r} "
        "where fitted_as_of_date <= ? and fitted_as_of_date > ?",
        [as_of, as_of - timedelta(days=refit_days)],
    ).fetchall()
    out = {}
    for period, fitted_on, fit_holdout_days, customers, repeat, *values in rows:
        if period == "calibration" and fit_holdout_days != holdout_days:
            continue
        out[period] = {
            "fitted_as_of_date": fitted_on,
            "bgnbd": dict(zip(BGNBD_PARAMETERS, values[: len(BGNBD_PARAMETERS)], strict=True)),
            "gamma_gamma": dict(
                zip(GAMMA_GAMMA_PARAMETERS, values[len(BGNBD_PARAMETERS) :], strict=True)
            ),
            "fit_customers": customers,
            "fit_repeat_customers": repeat,
        }
    return out


def _score_period(
    inputs: pd.DataFrame, period: str, simulations: int, seed: int, min_repeat: int, earlier
):
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
        fitted=(earlier["bgnbd"], earlier["gamma_gamma"]) if earlier else None,
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
    for col in (
        "as_of_date",
        "period_end_date",
        "holdout_days",
        "holdout_purchase_days",
        "holdout_net_spend_cny",
    ):
        out[col] = meta.loc[out["customer_id"], col].to_numpy()
    if not fit.refitted:  # scored with an earlier run's fit: describe that fit
        out["fitted_as_of_date"] = pd.Timestamp(earlier["fitted_as_of_date"])
        out["fit_customers"] = earlier["fit_customers"]
        out["fit_repeat_customers"] = earlier["fit_repeat_customers"]
    else:
        out["fitted_as_of_date"] = out["as_of_date"]
    for k, v in fit.bgnbd.items():
        out[f"bgnbd_{k}"] = v
    for k, v in fit.gamma_gamma.items():
        out[f"gamma_gamma_{k}"] = v
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    # Each dbt.config.get must be a direct argument of a call (or a statement): dbt's parser
    # finds the keys to pass by walking call arguments only, and a key it does not find
    # silently reads as the default (tests/unit/test_python_models.py guards every Python
    # model; tests/integration/test_ltv_ground_truth.py sees ltv_refit_days arrive).
    simulations = int(dbt.config.get("ltv_simulations", 500))
    seed = int(dbt.config.get("ltv_random_seed", 42))
    min_repeat = int(dbt.config.get("ltv_min_repeat_customers", 20))
    refit_days = int(dbt.config.get("ltv_refit_days", 7))
    inputs = dbt.ref("int_ltv_inputs").df()
    earlier = {}
    if not inputs.empty:
        as_of = pd.Timestamp(inputs["as_of_date"].iloc[0]).date()
        calibration = inputs.loc[inputs["fit_period"] == "calibration", "holdout_days"]
        holdout_days = float(calibration.iloc[0]) if len(calibration) else None
        earlier = _earlier_fits(session, dbt.this, as_of, refit_days, holdout_days)
    parts = [
        _score_period(inputs, p, simulations, seed, min_repeat, earlier.get(p)) for p in PERIODS
    ]
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
