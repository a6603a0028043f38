"""A/B readouts: one row per experiment x metric x treatment variant (each against the control).

Inputs are the sufficient statistics of experiment_arm_stats (portable SQL: units, means, sample
variances, CUPED-adjusted means and variances); this model only applies the distributions, with
scipy.stats:

* conversion_rate: two-proportion z-test (pooled standard error for the p-value, unpooled for
  the interval); probability to beat control from Beta(1 + conversions, 1 + non-conversions)
  posteriors (uniform priors), exact closed form (Miller's sum of beta functions);
* revenue_per_unit_cny: Welch's t-test (Welch-Satterthwaite degrees of freedom); probability to
  beat control from the normal approximation of the difference (flat prior);
* CUPED: the same test on the CUPED-adjusted means and variances (theta from the pre-period
  covariate, see experiment_arm_stats); z for conversion, Welch t for revenue.

Intervals are for the absolute difference variant - control at confidence_level
(seed experiment_parameters); significant = p-value < 1 - confidence_level. The SRM flag of the
experiment (experiment_srm_checks) is carried so nobody reads a broken experiment.
"""

from __future__ import annotations

import math

CONVERSION = "conversion_rate"


def two_proportion(x_c: float, n_c: int, x_t: float, n_t: int, conf: float) -> dict:
    from scipy import stats

    p_c, p_t = x_c / n_c, x_t / n_t
    diff = p_t - p_c
    pooled = (x_c + x_t) / (n_c + n_t)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    z = stats.norm.ppf(0.5 + conf / 2)
    p_value = 2 * stats.norm.sf(abs(diff) / se_pooled) if se_pooled > 0 else 1.0
    return {"diff": diff, "se": se, "ci_low": diff - z * se, "ci_high": diff + z * se, "p": p_value}


def z_test(m_c: float, v_c: float, n_c: int, m_t: float, v_t: float, n_t: int, conf: float) -> dict:
    """Normal test of a difference of means with unpooled variances (CUPED on rates)."""
    from scipy import stats

    diff = m_t - m_c
    se = math.sqrt(v_c / n_c + v_t / n_t)
    z = stats.norm.ppf(0.5 + conf / 2)
    p_value = 2 * stats.norm.sf(abs(diff) / se) if se > 0 else 1.0
    return {"diff": diff, "se": se, "ci_low": diff - z * se, "ci_high": diff + z * se, "p": p_value}


def welch(m_c: float, v_c: float, n_c: int, m_t: float, v_t: float, n_t: int, conf: float) -> dict:
    from scipy import stats

    diff = m_t - m_c
    a, b = v_c / n_c, v_t / n_t
    se = math.sqrt(a + b)
    if se == 0:
        return {"diff": diff, "se": 0.0, "ci_low": diff, "ci_high": diff, "p": 1.0, "df": None}
    df = (a + b) ** 2 / (a**2 / (n_c - 1) + b**2 / (n_t - 1))
    t = stats.t.ppf(0.5 + conf / 2, df)
    p_value = 2 * stats.t.sf(abs(diff) / se, df)
    return {
        "diff": diff,
        "se": se,
        "ci_low": diff - t * se,
        "ci_high": diff + t * se,
        "p": p_value,
        "df": df,
    }


def prob_beta_beats(x_c: float, n_c: int, x_t: float, n_t: int) -> float:
    """P(p_t > p_c) for p ~ Beta(1 + x, 1 + n - x): exact sum over the treatment's alpha."""
    import numpy as np
    from scipy.special import betaln

    a_c, b_c = 1 + x_c, 1 + n_c - x_c
    a_t, b_t = 1 + x_t, 1 + n_t - x_t
    i = np.arange(int(round(a_t)), dtype=np.float64)
    terms = betaln(a_c + i, b_c + b_t) - np.log(b_t + i) - betaln(1 + i, b_t) - betaln(a_c, b_c)
    return float(np.clip(np.exp(terms).sum(), 0.0, 1.0))


def prob_normal_beats(diff: float, se: float) -> float:
    from scipy import stats

    return float(stats.norm.cdf(diff / se)) if se > 0 else float(diff > 0)


def readout(control: dict, treat: dict, metric: str, conf: float) -> dict:
    """The readout of one treatment arm against the control, from experiment_arm_stats rows."""
    n_c, n_t = int(control["units"]), int(treat["units"])
    m_c, m_t = float(control["mean_value"]), float(treat["mean_value"])
    v_c, v_t = float(control["variance_value"]), float(treat["variance_value"])
    cm_c, cm_t = float(control["cuped_mean_value"]), float(treat["cuped_mean_value"])
    cv_c, cv_t = float(control["cuped_variance_value"]), float(treat["cuped_variance_value"])
    if metric == CONVERSION:
        x_c, x_t = float(control["sum_value"]), float(treat["sum_value"])
        plain = two_proportion(x_c, n_c, x_t, n_t, conf)
        method = "two_proportion_z"
        prob = prob_beta_beats(x_c, n_c, x_t, n_t)
        cuped = z_test(cm_c, cv_c, n_c, cm_t, cv_t, n_t, conf)
    else:
        plain = welch(m_c, v_c, n_c, m_t, v_t, n_t, conf)
        method = "welch_t"
        prob = prob_normal_beats(plain["diff"], plain["se"])
        cuped = welch(cm_c, cv_c, n_c, cm_t, cv_t, n_t, conf)
    return {
        "units_control": n_c,
        "units_variant": n_t,
        "mean_control": m_c,
        "mean_variant": m_t,
        "absolute_lift": plain["diff"],
        "relative_lift": plain["diff"] / m_c if m_c else None,
        "standard_error": plain["se"],
        "ci_low": plain["ci_low"],
        "ci_high": plain["ci_high"],
        "p_value": plain["p"],
        "test_method": method,
        "probability_to_beat_control": prob,
        "cuped_theta": float(treat["cuped_theta"]),
        "cuped_absolute_lift": cuped["diff"],
        "cuped_standard_error": cuped["se"],
        "cuped_ci_low": cuped["ci_low"],
        "cuped_ci_high": cuped["ci_high"],
        "cuped_p_value": cuped["p"],
    }


COLUMNS = (
    ("experiment_id", "string"),
    ("metric", "string"),
    ("variant", "string"),
    ("control_variant", "string"),
    ("units_control", "int64"),
    ("units_variant", "int64"),
    ("mean_control", "float64"),
    ("mean_variant", "float64"),
    ("absolute_lift", "float64"),
    ("relative_lift", "float64"),
    ("standard_error", "float64"),
    ("ci_low", "float64"),
    ("ci_high", "float64"),
    ("confidence_level", "float64"),
    ("p_value", "float64"),
    ("test_method", "string"),
    ("is_significant", "bool_"),
    ("probability_to_beat_control", "float64"),
    ("cuped_theta", "float64"),
    ("cuped_absolute_lift", "float64"),
    ("cuped_standard_error", "float64"),
    ("cuped_ci_low", "float64"),
    ("cuped_ci_high", "float64"),
    ("cuped_p_value", "float64"),
    ("is_cuped_significant", "bool_"),
    ("cuped_variance_reduction", "float64"),
    ("is_srm_flagged", "bool_"),
)


def _rows(rel) -> list[dict]:
    names = list(rel.columns)
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def model(dbt, session):
    import pyarrow as pa

    dbt.config(materialized="table")
    params = {r["parameter"]: r["value"] for r in _rows(dbt.ref("experiment_parameters"))}
    conf = float(params["confidence_level"])
    srm = {
        r["experiment_id"]: bool(r["is_srm_flagged"])
        for r in _rows(dbt.ref("experiment_srm_checks"))
    }
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in _rows(dbt.ref("experiment_arm_stats")):
        groups.setdefault((r["experiment_id"], r["metric"]), []).append(r)
    out: dict[str, list] = {name: [] for name, _ in COLUMNS}
    for (exp, metric), arms in sorted(groups.items()):
        controls = [a for a in arms if a["is_control"]]
        if len(controls) != 1:
            continue  # no (or an ambiguous) control: nothing to compare against
        control = controls[0]
        for treat in sorted((a for a in arms if not a["is_control"]), key=lambda a: a["variant"]):
            if int(treat["units"]) < 2 or int(control["units"]) < 2:
                continue
            r = readout(control, treat, metric, conf)
            var_plain = r["standard_error"] ** 2
            r.update(
                experiment_id=exp,
                metric=metric,
                variant=treat["variant"],
                control_variant=control["variant"],
                confidence_level=conf,
                is_significant=r["p_value"] < 1 - conf,
                is_cuped_significant=r["cuped_p_value"] < 1 - conf,
                cuped_variance_reduction=(
                    1 - r["cuped_standard_error"] ** 2 / var_plain if var_plain > 0 else 0.0
                ),
                is_srm_flagged=srm.get(exp, False),
            )
            for name, _ in COLUMNS:
                out[name].append(r[name])
    schema = pa.schema([(name, getattr(pa, t)()) for name, t in COLUMNS])
    return pa.table(out, schema=schema)
