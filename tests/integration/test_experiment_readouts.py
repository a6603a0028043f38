"""Experiment readouts against the generator's planted effects and an independent recomputation.

One world (1,500 customers x 60 days, seed 11; every experiment enrols 10,000 units whatever the
world's size), plus a user-supplied export written here in the contract format (an experiment
the seeds do not declare). Only the experiments source is landed and only the experiments models
are built. Checked:

* the true effect of every experiment x metric x variant is inside its 95 % interval, plain and
  after CUPED (12 + 12 intervals: about one miss is expected on an arbitrary world, so this
  fixed seed is one where none misses; tests/unit/test_experiment_statistics.py checks the
  95 % coverage itself over hundreds of replicates);
* every large effect (|true| >= 4 standard errors) is significant, the A/A is not;
* CUPED narrows every interval; the planted SRM is flagged, no other experiment is;
* every statistic is recomputed from the staged rows with plain numpy / scipy: windows and
  per-unit outcomes, Welch (scipy.stats.ttest_ind), two-proportion z, CUPED on per-unit adjusted
  values, Beta-Binomial probability by Monte Carlo, chi-square;
* the user-supplied export lands and reads out (equal designed split, `control` as control).

Run: ``.venv/bin/python -m pytest tests/integration/test_experiment_readouts.py -s``
"""

from __future__ import annotations

import csv
import math
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from orchestration.lib.landing import land_source
from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START, SEED = 1500, 60, date(2026, 3, 1), 11
SELECT = "+path:models/marts/measurement/experiments"
BYO = "byo_checkout_button"  # the user-supplied experiment, not declared in the seeds
BYO_UNITS = 600
WINDOW, PRE = 14, 28  # seeds/experiment_parameters.csv


def _rows(db, sql: str) -> list[dict]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def _write_user_export(inbox) -> dict:
    """A user's own export: 600 units alternating control / treatment, on device ids, naive
    local times; treatment units 0, 2, 4, ... of each ten convert. Returns what it wrote."""
    a_dir, o_dir = inbox / "experiments" / "assignments", inbox / "experiments" / "outcomes"
    a_dir.mkdir(parents=True, exist_ok=True)
    o_dir.mkdir(parents=True, exist_ok=True)
    t0 = datetime(2026, 4, 10, 9, 0, 0)
    assignments, outcomes = [], []
    for i in range(BYO_UNITS):
        variant = "control" if i % 2 == 0 else "green_button"
        unit = f"byo-device-{i:04d}"
        at = t0 + timedelta(minutes=i)
        assignments.append([BYO, variant, "device_id", unit, at.strftime("%Y-%m-%d %H:%M:%S")])
        converts = (i % 10 < 3) if variant == "control" else (i % 10 < 6)
        if converts:
            ev = at + timedelta(days=2)
            value = f"{100 + i % 7 * 10:.2f}"
            outcomes.append(
                [f"byo-{i}", BYO, unit, "order", ev.strftime("%Y-%m-%d %H:%M:%S"), value]
            )
        # an event after the window never counts
        outcomes.append(
            [f"byo-late-{i}", BYO, unit, "order", (at + timedelta(days=20)).isoformat(), "999.00"]
        )
    with open(a_dir / "assignments_byo.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["experiment_id", "variant", "unit_type", "unit_id", "assigned_time"])
        w.writerows(assignments)
    with open(o_dir / "outcomes_byo.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["event_id", "experiment_id", "unit_id", "event_type", "event_time", "value_cny"]
        )
        w.writerows(outcomes)
    return {"assignments": assignments, "outcomes": outcomes}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("experiment_readouts")
    inbox, db, proj = landed_world(
        tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=SEED, land=False
    )
    byo = _write_user_export(inbox)
    report = land_source(db, inbox, "experiments")
    assert not report.errors
    build(proj, db, SELECT)
    truth = pq.read_table(inbox / "_truth" / "experiments.parquet").to_pylist()
    arms = pq.read_table(inbox / "_truth" / "experiment_arms.parquet").to_pylist()
    readouts = _rows(db, "select * from marts.experiment_readouts")
    return {
        "db": db,
        "byo": byo,
        "truth": truth,
        "arms": arms,
        "readouts": {(r["experiment_id"], r["metric"], r["variant"]): r for r in readouts},
        "srm": {
            r["experiment_id"]: r for r in _rows(db, "select * from marts.experiment_srm_checks")
        },
        "arm_stats": _rows(db, "select * from marts.experiment_arm_stats"),
    }


def _paired(world) -> list[tuple[dict, dict]]:
    out = []
    for t in world["truth"]:
        r = world["readouts"][(t["experiment_id"], t["metric"], t["variant"])]
        assert r["control_variant"] == t["control_variant"]
        out.append((t, r))
    return out


def test_every_planted_effect_is_read_out(world):
    keys = {(t["experiment_id"], t["metric"], t["variant"]) for t in world["truth"]}
    ours = {k for k in world["readouts"] if k[0] != BYO}
    assert ours == keys and len(keys) == 12


def test_true_effect_inside_the_95_percent_interval(world):
    print("\nexperiment x metric x variant: true effect, plain [ci], cuped [ci]")
    misses = []
    for t, r in _paired(world):
        e = t["true_effect"]
        print(
            f"  {t['experiment_id']:28s} {t['metric']:21s} {t['variant']:13s} true {e:+9.4f}  "
            f"plain {r['absolute_lift']:+9.4f} [{r['ci_low']:+9.4f}, {r['ci_high']:+9.4f}]  "
            f"cuped {r['cuped_absolute_lift']:+9.4f} "
            f"[{r['cuped_ci_low']:+9.4f}, {r['cuped_ci_high']:+9.4f}]"
        )
        assert r["confidence_level"] == pytest.approx(0.95)
        if not r["ci_low"] <= e <= r["ci_high"]:
            misses.append(("plain", t["experiment_id"], t["metric"], t["variant"]))
        if not r["cuped_ci_low"] <= e <= r["cuped_ci_high"]:
            misses.append(("cuped", t["experiment_id"], t["metric"], t["variant"]))
    assert not misses


def test_large_effects_significant_and_aa_not(world):
    large = 0
    for t, r in _paired(world):
        if t["is_aa"]:
            assert t["true_effect"] == 0
            assert not r["is_significant"] and not r["is_cuped_significant"], r
            assert 0.05 < r["probability_to_beat_control"] < 0.95, r
        elif abs(t["true_effect"]) >= 4 * r["standard_error"]:
            large += 1
            assert r["is_significant"] and r["p_value"] < 0.05, r
            assert r["is_cuped_significant"], r
            # the posterior agrees on the direction
            p = r["probability_to_beat_control"]
            assert p > 0.99 if t["true_effect"] > 0 else p < 0.01, r
    print(f"\nlarge effects (>= 4 SE): {large}, all significant; A/A not significant")
    assert large >= 4


def test_cuped_narrows_every_interval(world):
    reductions = []
    for _, r in _paired(world):
        plain = r["ci_high"] - r["ci_low"]
        cuped = r["cuped_ci_high"] - r["cuped_ci_low"]
        assert cuped < plain, r
        reductions.append(r["cuped_variance_reduction"])
    print(f"\nCUPED variance reduction: min {min(reductions):.1%}, max {max(reductions):.1%}")
    assert np.median(reductions) > 0.05


def test_planted_srm_flagged_and_no_other(world):
    planted = {t["experiment_id"] for t in world["truth"] if t["has_planted_srm"]}
    flagged = {e for e, r in world["srm"].items() if r["is_srm_flagged"]}
    print(
        "\n"
        + "\n".join(
            f"  {e:28s} p={r['p_value']:.2e} {r['observed_split']}"
            for e, r in sorted(world["srm"].items())
        )
    )
    assert planted == {"coupon_banner_srm"}
    assert flagged == planted
    for (exp, _, _), r in world["readouts"].items():
        assert r["is_srm_flagged"] == (exp in planted)
    # units per arm = the units the generator delivered (duplicates removed in staging)
    units = {(r["experiment_id"], r["variant"]): r["units"] for r in world["arm_stats"]}
    for a in world["arms"]:
        assert units[(a["experiment_id"], a["variant"])] == a["units_delivered"], a


def _units_recomputed(world) -> dict[str, dict[str, np.ndarray]]:
    """Per experiment: variant, converted, revenue, pre-period events and revenue per unit,
    from the staged rows, windows applied in Python."""
    a = _rows(
        world["db"],
        "select experiment_id, variant, unit_id, assigned_at "
        "from staging.stg_experiments__assignments",
    )
    o = _rows(
        world["db"],
        "select experiment_id, unit_id, event_at, value_cny from staging.stg_experiments__outcomes",
    )
    events: dict[tuple[str, str], list] = {}
    for e in o:
        events.setdefault((e["experiment_id"], e["unit_id"]), []).append(e)
    per: dict[str, dict[str, list]] = {}
    for u in a:
        d = per.setdefault(
            u["experiment_id"], {k: [] for k in ("variant", "y_c", "y_r", "x_c", "x_r")}
        )
        at = u["assigned_at"]
        post = [
            e
            for e in events.get((u["experiment_id"], u["unit_id"]), [])
            if at <= e["event_at"] < at + timedelta(days=WINDOW)
        ]
        pre = [
            e
            for e in events.get((u["experiment_id"], u["unit_id"]), [])
            if at - timedelta(days=PRE) <= e["event_at"] < at
        ]
        d["variant"].append(u["variant"])
        d["y_c"].append(1.0 if post else 0.0)
        d["y_r"].append(float(sum(e["value_cny"] or 0 for e in post)))
        d["x_c"].append(float(len(pre)))
        d["x_r"].append(float(sum(e["value_cny"] or 0 for e in pre)))
    return {k: {c: np.array(v) for c, v in d.items()} for k, d in per.items()}


def _welch_ci(y_t, y_c, conf=0.95):
    a, b = y_c.var(ddof=1) / len(y_c), y_t.var(ddof=1) / len(y_t)
    df = (a + b) ** 2 / (a**2 / (len(y_c) - 1) + b**2 / (len(y_t) - 1))
    half = stats.t.ppf(0.5 + conf / 2, df) * math.sqrt(a + b)
    d = y_t.mean() - y_c.mean()
    return d - half, d + half


def test_statistics_recomputed_independently(world):
    units = _units_recomputed(world)
    rng = np.random.default_rng(0)
    checked = 0
    for (exp, metric, variant), r in world["readouts"].items():
        d = units[exp]
        y = d["y_c"] if metric == "conversion_rate" else d["y_r"]
        x = d["x_c"] if metric == "conversion_rate" else d["x_r"]
        c, t = d["variant"] == r["control_variant"], d["variant"] == variant
        assert (c.sum(), t.sum()) == (r["units_control"], r["units_variant"])
        assert y[c].mean() == pytest.approx(r["mean_control"], rel=1e-9, abs=1e-12)
        assert y[t].mean() == pytest.approx(r["mean_variant"], rel=1e-9, abs=1e-12)
        theta = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1) if x.var() > 0 else 0.0
        adj = y - theta * (x - x.mean())
        if metric == "conversion_rate":
            n_c, n_t, k_c, k_t = c.sum(), t.sum(), y[c].sum(), y[t].sum()
            p = (k_c + k_t) / (n_c + n_t)
            z = (k_t / n_t - k_c / n_c) / math.sqrt(p * (1 - p) * (1 / n_c + 1 / n_t))
            assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6, abs=1e-12)
            se = math.sqrt(
                (k_c / n_c) * (1 - k_c / n_c) / n_c + (k_t / n_t) * (1 - k_t / n_t) / n_t
            )
            diff = k_t / n_t - k_c / n_c
            assert r["ci_low"] == pytest.approx(diff - 1.959963984540054 * se, rel=1e-6)
            draws_t = rng.beta(1 + k_t, 1 + n_t - k_t, 200_000)
            draws_c = rng.beta(1 + k_c, 1 + n_c - k_c, 200_000)
            assert r["probability_to_beat_control"] == pytest.approx(
                (draws_t > draws_c).mean(), abs=0.006
            )
            cse = math.sqrt(adj[c].var(ddof=1) / n_c + adj[t].var(ddof=1) / n_t)
            cd = adj[t].mean() - adj[c].mean()
            assert r["cuped_ci_low"] == pytest.approx(
                cd - 1.959963984540054 * cse, rel=1e-6, abs=1e-9
            )
            assert r["cuped_p_value"] == pytest.approx(
                2 * stats.norm.sf(abs(cd / cse)), rel=1e-6, abs=1e-12
            )
        else:
            res = stats.ttest_ind(y[t], y[c], equal_var=False)
            assert r["p_value"] == pytest.approx(res.pvalue, rel=1e-6, abs=1e-12)
            lo, hi = _welch_ci(y[t], y[c])
            assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-6)
            diff, se = (
                y[t].mean() - y[c].mean(),
                math.sqrt(y[t].var(ddof=1) / t.sum() + y[c].var(ddof=1) / c.sum()),
            )
            assert r["probability_to_beat_control"] == pytest.approx(
                stats.norm.cdf(diff / se), abs=1e-9
            )
            cres = stats.ttest_ind(adj[t], adj[c], equal_var=False)
            assert r["cuped_p_value"] == pytest.approx(cres.pvalue, rel=1e-6, abs=1e-12)
            assert (r["cuped_ci_low"], r["cuped_ci_high"]) == pytest.approx(
                _welch_ci(adj[t], adj[c]), rel=1e-6
            )
        assert r["cuped_theta"] == pytest.approx(theta, rel=1e-6, abs=1e-12)
        checked += 1
    for exp, r in world["srm"].items():
        d = units[exp]
        variants = sorted(set(d["variant"]))
        observed = np.array([(d["variant"] == v).sum() for v in variants], dtype=float)
        design = {
            a["variant"]: a["design_share"] for a in world["arms"] if a["experiment_id"] == exp
        }
        shares = np.array([design.get(v, 1 / len(variants)) for v in variants])
        expected = shares * observed.sum()
        chi2 = ((observed - expected) ** 2 / expected).sum()
        assert r["chi_square"] == pytest.approx(chi2, rel=1e-9)
        assert r["p_value"] == pytest.approx(
            stats.chi2.sf(chi2, len(variants) - 1), rel=1e-6, abs=1e-300
        )
    print(f"\nrecomputed {checked} readouts and {len(world['srm'])} SRM checks")
    assert checked == 14


def test_user_supplied_export_lands_and_reads_out(world):
    conv = world["readouts"][(BYO, "conversion_rate", "green_button")]
    rev = world["readouts"][(BYO, "revenue_per_unit_cny", "green_button")]
    assert conv["control_variant"] == "control"
    assert (conv["units_control"], conv["units_variant"]) == (BYO_UNITS // 2, BYO_UNITS // 2)
    # written: control (even i) converts at i % 10 in (0, 2): 2 of 5; green (odd i) at 1, 3, 5
    assert conv["mean_control"] == pytest.approx(2 / 5)
    assert conv["mean_variant"] == pytest.approx(3 / 5)
    assert conv["is_significant"] and conv["probability_to_beat_control"] > 0.99
    # revenue counts the in-window order only, never the day-20 one
    values = {}
    for row in world["byo"]["outcomes"]:
        if not row[0].startswith("byo-late"):
            values[row[2]] = float(row[5])
    ctrl = [values.get(f"byo-device-{i:04d}", 0.0) for i in range(0, BYO_UNITS, 2)]
    assert rev["mean_control"] == pytest.approx(np.mean(ctrl))
    srm = world["srm"][BYO]
    assert srm["designed_split"] == "control 0.500 / green_button 0.500"
    assert not srm["is_srm_flagged"] and srm["p_value"] == pytest.approx(1.0)
