"""Sample-ratio mismatch check: one row per experiment.

Chi-square goodness of fit of the observed units per variant against the designed split
(seed experiment_variants, or an equal split when the experiment is not declared), with
scipy.stats.chisquare. Flagged when the p-value is below the seed threshold
(experiment_parameters.srm_p_value_threshold): the randomisation or the logging is broken and
the readouts of that experiment must not be trusted.

A dbt Python model (dbt-duckdb runs it in-process): the counts come from experiment_arm_stats
(portable SQL); only the distribution function is Python. See docs/measurement/experiments.md for
the Spark note.
"""

from __future__ import annotations

import math


def srm_test(observed: list[int], design: list[float]) -> tuple[float, float]:
    """(chi-square statistic, p-value) of observed counts against designed shares."""
    from scipy import stats

    total = sum(observed)
    expected = [s * total for s in design]
    if total == 0:
        return 0.0, 1.0
    if any(e == 0 and o > 0 for o, e in zip(observed, expected, strict=True)):
        return math.inf, 0.0  # units in a variant the design does not have
    kept = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0]
    if len(kept) < 2:
        return 0.0, 1.0
    res = stats.chisquare([o for o, _ in kept], [e for _, e in kept])
    return float(res.statistic), float(res.pvalue)


def _rows(rel) -> list[dict]:
    names = list(rel.columns)
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def model(dbt, session):
    import pyarrow as pa

    dbt.config(materialized="table")
    params = {r["parameter"]: r["value"] for r in _rows(dbt.ref("experiment_parameters"))}
    threshold = float(params["srm_p_value_threshold"])
    arms = [r for r in _rows(dbt.ref("experiment_arm_stats")) if r["metric"] == "conversion_rate"]
    by_exp: dict[str, list[dict]] = {}
    for r in sorted(arms, key=lambda r: (r["experiment_id"], r["variant"])):
        by_exp.setdefault(r["experiment_id"], []).append(r)
    out: dict[str, list] = {
        k: []
        for k in (
            "experiment_id",
            "variants",
            "units",
            "designed_split",
            "observed_split",
            "chi_square",
            "degrees_of_freedom",
            "p_value",
            "p_value_threshold",
            "is_srm_flagged",
        )
    }
    for exp, rs in by_exp.items():
        observed = [int(r["units"]) for r in rs]
        design = [float(r["design_share"]) for r in rs]
        chi2, p = srm_test(observed, design)
        out["experiment_id"].append(exp)
        out["variants"].append(len(rs))
        out["units"].append(sum(observed))
        out["designed_split"].append(
            " / ".join(f"{r['variant']} {s:.3f}" for r, s in zip(rs, design, strict=True))
        )
        out["observed_split"].append(
            " / ".join(f"{r['variant']} {float(r['observed_share']):.3f}" for r in rs)
        )
        out["chi_square"].append(chi2)
        out["degrees_of_freedom"].append(len(rs) - 1)
        out["p_value"].append(p)
        out["p_value_threshold"].append(threshold)
        out["is_srm_flagged"].append(p < threshold)
    schema = pa.schema(
        [
            ("experiment_id", pa.string()),
            ("variants", pa.int64()),
            ("units", pa.int64()),
            ("designed_split", pa.string()),
            ("observed_split", pa.string()),
            ("chi_square", pa.float64()),
            ("degrees_of_freedom", pa.int64()),
            ("p_value", pa.float64()),
            ("p_value_threshold", pa.float64()),
            ("is_srm_flagged", pa.bool_()),
        ]
    )
    return pa.table(out, schema=schema)
