"""The statistics of experiment_readouts (the dbt Python model's functions) over many simulated
experiments with a known effect, no dbt involved:

* the 95 % intervals (plain and CUPED, conversion and revenue) cover the true effect in 95 % of
  replicates (within the binomial noise of 400 replicates);
* an A/A comparison is significant in about 5 % of replicates, never much more;
* the closed-form Beta-Binomial probability to beat control equals a Monte Carlo estimate;
* the SRM check: p-values of correct randomisations are uniform enough (few below 0.001) and a
  53/47 split of 10,000 units on a 50/50 design is flagged.

Run: ``.venv/bin/python -m pytest tests/unit/test_experiment_statistics.py -s``
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from orchestration.lib.settings import PROJECT_ROOT

MODELS = PROJECT_ROOT / "dbt_project" / "models" / "marts" / "measurement" / "experiments"
REPLICATES = 400
N = 3000  # units per arm


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, MODELS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


readouts = _load("experiment_readouts")
srm = _load("experiment_srm_checks")


def _arm_stats(y: np.ndarray, x: np.ndarray, arm: np.ndarray, theta: float, x_mean: float, a):
    m = arm == a
    adj = y[m] - theta * x[m]
    return {
        "units": int(m.sum()),
        "sum_value": float(y[m].sum()),
        "mean_value": float(y[m].mean()),
        "variance_value": float(y[m].var(ddof=1)),
        "cuped_mean_value": float(y[m].mean() - theta * (x[m].mean() - x_mean)),
        "cuped_variance_value": float(adj.var(ddof=1)),
        "cuped_theta": theta,
    }


def _simulate(rng, lift_hazard: float, lift_value: float):
    """One experiment of 2N units shaped like the generator's: engagement drives both the
    pre-period events and the outcome. Returns per-metric (control, treatment) stats and the
    true (finite-population) effects."""
    n = 2 * N
    e = rng.gamma(0.4, 1 / 0.4, n)
    s = rng.lognormal(-0.125, 0.5, n)
    arm = rng.permutation(np.r_[np.zeros(N, int), np.ones(N, int)])
    h = 0.2
    x_events = rng.poisson(8 * h * e).astype(float)
    x_rev = rng.gamma(np.maximum(2 * x_events, 1e-12), 50 * s) * (x_events > 0)
    p0, p1 = 1 - np.exp(-h * e), 1 - np.exp(-h * e * (1 + lift_hazard))
    p = np.where(arm == 1, p1, p0)
    conv = rng.random(n) < p
    value = rng.gamma(2.0, 50 * s * np.where(arm == 1, 1 + lift_value, 1.0)) * conv
    truth = {
        "conversion_rate": float((p1 - p0).mean()),
        # an order's value is Gamma(2, 50 s (1 + lift)): mean 100 s (1 + lift)
        "revenue_per_unit_cny": float((100 * s * (p1 * (1 + lift_value) - p0)).mean()),
    }
    out = {}
    for metric, y, x in (
        ("conversion_rate", conv.astype(float), x_events),
        ("revenue_per_unit_cny", value, x_rev),
    ):
        theta = float(np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1))
        xm = float(x.mean())
        out[metric] = (_arm_stats(y, x, arm, theta, xm, 0), _arm_stats(y, x, arm, theta, xm, 1))
    return out, truth


def test_intervals_cover_the_true_effect_95_percent():
    rng = np.random.default_rng(20261204)
    hits = {
        (m, k): 0 for m in ("conversion_rate", "revenue_per_unit_cny") for k in ("plain", "cuped")
    }
    narrower = 0
    for _ in range(REPLICATES):
        stats_, truth = _simulate(rng, 0.3, 0.1)
        for metric, (c, t) in stats_.items():
            r = readouts.readout(c, t, metric, 0.95)
            hits[(metric, "plain")] += r["ci_low"] <= truth[metric] <= r["ci_high"]
            hits[(metric, "cuped")] += r["cuped_ci_low"] <= truth[metric] <= r["cuped_ci_high"]
            narrower += r["cuped_standard_error"] < r["standard_error"]
    coverage = {k: v / REPLICATES for k, v in hits.items()}
    print(
        "\ncoverage of the 95 % intervals:",
        {f"{m}/{k}": round(v, 3) for (m, k), v in coverage.items()},
    )
    # 400 replicates: the standard error of a 95 % coverage is 1.1 points
    for k, v in coverage.items():
        assert 0.92 <= v <= 0.98, (k, v)
    assert narrower == 2 * REPLICATES


def test_aa_false_positive_rate_is_about_five_percent():
    rng = np.random.default_rng(7)
    significant = {"plain": 0, "cuped": 0}
    for _ in range(REPLICATES):
        stats_, truth = _simulate(rng, 0.0, 0.0)
        assert truth["conversion_rate"] == 0
        for metric, (c, t) in stats_.items():
            r = readouts.readout(c, t, metric, 0.95)
            significant["plain"] += r["p_value"] < 0.05
            significant["cuped"] += r["cuped_p_value"] < 0.05
    rates = {k: v / (2 * REPLICATES) for k, v in significant.items()}
    print("\nA/A significant share:", rates)
    for v in rates.values():
        assert 0.02 <= v <= 0.08


@pytest.mark.parametrize(
    ("x_c", "n_c", "x_t", "n_t"),
    [(30, 100, 40, 100), (480, 4000, 520, 4000), (3, 50, 1, 60), (0, 10, 0, 10)],
)
def test_beta_binomial_closed_form_equals_monte_carlo(x_c, n_c, x_t, n_t):
    rng = np.random.default_rng(1)
    draws = 400_000
    mc = (rng.beta(1 + x_t, 1 + n_t - x_t, draws) > rng.beta(1 + x_c, 1 + n_c - x_c, draws)).mean()
    assert readouts.prob_beta_beats(x_c, n_c, x_t, n_t) == pytest.approx(mc, abs=0.004)


def test_srm_check_flags_a_53_47_split_and_rarely_a_fair_one():
    chi2, p = srm.srm_test([5300, 4700], [0.5, 0.5])
    assert chi2 == pytest.approx(36.0) and p < 0.001
    rng = np.random.default_rng(3)
    pvals = [
        srm.srm_test(
            list(np.bincount(rng.choice(3, 10_000, p=[0.4, 0.4, 0.2]), minlength=3)),
            [0.4, 0.4, 0.2],
        )[1]
        for _ in range(2000)
    ]
    assert np.mean(np.array(pvals) < 0.001) < 0.005
    assert 0.4 < np.mean(pvals) < 0.6  # uniform under a correct randomisation
    assert srm.srm_test([10, 5], [1.0, 0.0])[1] == 0.0  # units in an undesigned variant
