"""Customer lifetime value on a generated world, against the generator's ground truth.

One world (1,500 customers x 120 days), landed and built through dbt as of D (the last day) with
a 30-day holdout, then the LTV models alone as of D - 7, D - 1 and D again (refits every 7
days). Checked:

* backtest: the model fitted up to D - 30 predicts the holdout's total purchase days within 25 %
  of what the customers actually bought (Poisson noise alone is ~5 % here; the rest is honest
  model misfit: the generator's churn is a date, BG/NBD's a coin after each purchase, and a
  90-day calibration sees little dropout), and actual purchases and value rise with the
  predicted decile (Spearman >= 0.6 over the 10 deciles);
* P(alive): lower on average for persons the truth says churned before D than for the others,
  and among repeat customers it ranks them well (AUC >= 0.7);
* the incremental history: ltv_backtest_deciles and ltv_model_fits keep one set of rows per
  as-of date, and a re-run of D replaces its rows with identical ones;
* the refit schedule: as of D - 1 the run scores with the parameters fitted as of D - 7; a fit
  dated after the as-of date, or 7 days old, is refitted;
* customer_ltv covers exactly the customers with a counted purchase (independent Python count
  over fct_orders), its expected value is expected purchases x expected spend, and p10 <= p50 <=
  p90.

Run: ``.venv/bin/python -m pytest tests/integration/test_ltv_ground_truth.py -s``
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest
from scipy.stats import mannwhitneyu, spearmanr

from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START, SEED = 1500, 120, date(2026, 1, 1), 5
D = START + timedelta(days=DAYS - 1)
D_EARLIER = D - timedelta(days=7)
REFIT_DAYS = 7
D_REUSE = D_EARLIER + timedelta(days=REFIT_DAYS - 1)  # the last day that reuses D_EARLIER's fit
HOLDOUT_DAYS = 30
VARS = f"{{ltv_holdout_days: {HOLDOUT_DAYS}, ltv_refit_days: {REFIT_DAYS}}}"
LTV_TABLES = ("customer_ltv", "ltv_backtest_deciles", "ltv_model_fits")


def _rows(db, sql: str) -> list[dict]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def _build(proj, db, mp, as_of: date, select: str) -> None:
    mp.setenv("LAKEHOUSE_AS_OF_DATE", as_of.isoformat())
    build(
        proj,
        db,
        select,
        extra=(
            "--vars",
            VARS,
        ),
    )


def _state(db) -> dict:
    return {t: _rows(db, f"select * from marts.{t}") for t in LTV_TABLES}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ltv_gt")
    inbox, db, proj = landed_world(tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=SEED)
    ltv_only = "path:models/intermediate/activation/ltv path:models/marts/ltv"
    with pytest.MonkeyPatch.context() as mp:
        _build(proj, db, mp, D, "+path:models/marts/ltv")
        first = _state(db)
        _build(proj, db, mp, D_EARLIER, ltv_only)  # its fit is dated after: refitted
        earlier = _state(db)
        _build(proj, db, mp, D_REUSE, ltv_only)  # REFIT_DAYS - 1 days on: D_EARLIER's fit
        reused = _state(db)
        _build(proj, db, mp, D, ltv_only)  # REFIT_DAYS after D_EARLIER's fit: refitted
        rerun = _state(db)
    return {
        "db": db,
        "truth": inbox / "_truth",
        "first": first,
        "earlier": earlier,
        "reused": reused,
        "rerun": rerun,
    }


def test_backtest_total_purchases_near_actual(world):
    deciles = [r for r in world["first"]["ltv_backtest_deciles"] if r["as_of_date"] == D]
    assert len(deciles) == 10
    predicted = sum(r["predicted_purchases"] for r in deciles)
    actual = sum(r["actual_purchases"] for r in deciles)
    customers = sum(r["customers"] for r in deciles)
    print(
        f"\nholdout {HOLDOUT_DAYS} d, {customers} customers: "
        f"predicted {predicted:.1f}, actual {actual}"
    )
    assert actual >= 200, "too few holdout purchases for the test to mean anything"
    assert abs(predicted - actual) / actual <= 0.25


def test_backtest_actuals_rise_with_the_predicted_decile(world):
    deciles = sorted(
        (r for r in world["first"]["ltv_backtest_deciles"] if r["as_of_date"] == D),
        key=lambda r: r["prediction_decile"],
    )
    n = [r["prediction_decile"] for r in deciles]
    per_customer = [r["actual_purchases"] / r["customers"] for r in deciles]
    value = [float(r["actual_value_cny"]) / r["customers"] for r in deciles]
    rho_p, rho_v = spearmanr(n, per_customer).statistic, spearmanr(n, value).statistic
    print(f"\nper decile actual purchases/customer {np.round(per_customer, 3).tolist()}")
    print(f"Spearman decile vs actual purchases {rho_p:.3f}, vs actual value {rho_v:.3f}")
    assert rho_p >= 0.6 and rho_v >= 0.6
    # predicted purchases rise with the decile (the deciles are by predicted value)
    pred = [r["predicted_purchases"] / r["customers"] for r in deciles]
    assert spearmanr(n, pred).statistic >= 0.8


def _customer_person(db, truth) -> dict[str, str]:
    """customer_id -> the true person behind most of its orders (the generator's truth)."""
    rows = _rows(
        db,
        f"""
        with o as (
            select order_id, person_id from '{truth}/orders.parquet'
            union all
            select receipt_id, person_id from '{truth}/receipts.parquet'
        )
        select f.customer_id, o.person_id, count(*) as n
        from marts.fct_orders as f join o using (order_id)
        where f.customer_id is not null and o.person_id is not null
        group by 1, 2
        """,
    )
    best: dict[str, tuple[int, str]] = {}
    for r in rows:
        if r["customer_id"] not in best or r["n"] > best[r["customer_id"]][0]:
            best[r["customer_id"]] = (r["n"], r["person_id"])
    return {c: p for c, (_, p) in best.items()}


def test_p_alive_is_lower_for_churned_persons(world):
    db, truth = world["db"], world["truth"]
    persons = {
        r["person_id"]: r
        for r in _rows(db, f"select person_id, churned, churn_date from '{truth}/persons.parquet'")
    }
    owner = _customer_person(db, truth)
    groups: dict[bool, list[float]] = defaultdict(list)
    repeat: dict[bool, list[float]] = defaultdict(list)
    for r in world["first"]["customer_ltv"]:
        p = persons[owner[r["customer_id"]]]
        churned = bool(p["churned"]) and p["churn_date"] <= D
        groups[churned].append(r["p_alive"])
        if r["frequency"] > 0:
            repeat[churned].append(r["p_alive"])
    ch, al = np.array(groups[True]), np.array(groups[False])
    auc = mannwhitneyu(repeat[False], repeat[True]).statistic / (
        len(repeat[False]) * len(repeat[True])
    )
    print(
        f"\nP(alive) churned {ch.mean():.6f} (n {len(ch)}), "
        f"not churned {al.mean():.6f} (n {len(al)})"
    )
    print(f"AUC of P(alive) among repeat customers (not churned above churned): {auc:.3f}")
    assert len(ch) >= 30 and len(al) >= 30
    assert ch.mean() < al.mean()
    assert auc >= 0.7


def test_history_keeps_each_as_of_date_and_a_rerun_replaces_it(world):
    first, rerun = world["first"], world["rerun"]
    for table, per_date in (("ltv_backtest_deciles", 10), ("ltv_model_fits", 14)):
        dates = defaultdict(int)
        for r in rerun[table]:
            dates[r["as_of_date"]] += 1
        want = {D: per_date, D_EARLIER: per_date, D_REUSE: per_date}
        assert dict(dates) == want, (table, dict(dates))
        key = sorted(tuple(sorted(r.items())) for r in rerun[table] if r["as_of_date"] == D)
        assert key == sorted(tuple(sorted(r.items())) for r in first[table])
    assert sorted(map(lambda r: tuple(sorted(r.items())), rerun["customer_ltv"])) == sorted(
        map(lambda r: tuple(sorted(r.items())), first["customer_ltv"])
    )


def _fits(state, as_of: date) -> dict[tuple, tuple]:
    return {
        (r["fit_period"], r["model"], r["parameter"]): (
            r["fitted_as_of_date"],
            r["parameter_value"],
            r["fit_customers"],
        )
        for r in state["ltv_model_fits"]
        if r["as_of_date"] == as_of
    }


def test_parameters_are_refitted_every_refit_days_and_reused_in_between(world):
    """As of D_EARLIER + 6 the run scores with D_EARLIER's parameters (same values, fitted as of
    D_EARLIER, describing that fit's customers); a fit dated after the as-of date (D before
    D_EARLIER) or REFIT_DAYS old (D_EARLIER before D) is refitted. Also proves the vars reach the
    Python model: with the default not passed through, every run would refit."""
    at_earlier = _fits(world["earlier"], D_EARLIER)
    assert {v[0] for v in at_earlier.values()} == {D_EARLIER}
    assert {v[0] for v in _fits(world["first"], D).values()} == {D}
    at_reuse = _fits(world["reused"], D_REUSE)
    assert at_reuse == at_earlier and len(at_reuse) == 14
    assert {v[0] for v in _fits(world["rerun"], D).values()} == {D}
    # the backtest names the calibration fit it used
    backtest = {r["as_of_date"]: r for r in world["reused"]["ltv_backtest_deciles"]}
    assert backtest[D_REUSE]["fitted_as_of_date"] == D_EARLIER
    assert backtest[D_REUSE]["bgnbd_r"] == backtest[D_EARLIER]["bgnbd_r"]
    # the customers themselves are scored as of D_REUSE: T grows by the days in between
    ltv = {r["customer_id"]: r for r in world["reused"]["customer_ltv"]}
    before = {r["customer_id"]: r for r in world["earlier"]["customer_ltv"]}
    assert set(before) <= set(ltv) and before
    gap = (D_REUSE - D_EARLIER).days
    assert all(ltv[c]["t_days"] == before[c]["t_days"] + gap for c in before)


def test_customer_ltv_rows_and_identities(world):
    db = world["db"]
    net = defaultdict(lambda: defaultdict(float))
    for o in _rows(
        db,
        "select customer_id, order_date, net_amount_cny from marts.fct_orders "
        "where status = 'paid' and not is_fully_refunded and customer_id is not null",
    ):
        if o["order_date"] <= D:
            net[o["customer_id"]][o["order_date"]] += float(o["net_amount_cny"])
    buyers = {c: sorted(d for d, v in days.items() if v > 0) for c, days in net.items()}
    buyers = {c: days for c, days in buyers.items() if days}
    ltv = {r["customer_id"]: r for r in world["first"]["customer_ltv"]}
    assert set(ltv) == set(buyers)
    for c, days in buyers.items():
        r = ltv[c]
        assert r["frequency"] == len(days) - 1
        assert r["recency_days"] == (days[-1] - days[0]).days
        assert r["t_days"] == (D - days[0]).days
        assert float(r["predicted_value_1y_p10_cny"]) <= float(r["predicted_value_1y_p50_cny"])
        assert float(r["predicted_value_1y_p50_cny"]) <= float(r["predicted_value_1y_p90_cny"])
        expected = r["expected_purchases_365d"] * float(r["expected_spend_per_purchase_cny"])
        assert (
            abs(float(r["predicted_value_1y_cny"]) - expected)
            <= 0.01 + 0.005 * r["expected_purchases_365d"]
        )
        assert 0 < r["p_alive"] <= 1
        assert (
            r["expected_purchases_30d"]
            <= r["expected_purchases_90d"]
            <= r["expected_purchases_365d"]
        )
    # deciles: 10 = highest predicted value, sizes within one tie group of n/10
    by_decile = defaultdict(list)
    for r in ltv.values():
        by_decile[r["ltv_decile"]].append(float(r["predicted_value_1y_cny"]))
    assert sorted(by_decile) == list(range(1, 11))
    for k in range(1, 10):
        assert max(by_decile[k]) <= min(by_decile[k + 1])
    print(
        f"\ncustomer_ltv: {len(ltv)} customers, "
        f"decile sizes {[len(by_decile[k]) for k in range(1, 11)]}"
    )
