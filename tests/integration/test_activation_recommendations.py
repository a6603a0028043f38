"""The recommendation marts on a generated world, against independent Python recomputations.

One world (1,200 customers x 75 days), built through dbt once with the house seeds, except
that the test widens two knobs so a small world exercises them: sku rules need 2 baskets
(instead of 3) at a lift of 1.0, and carts count for 30 days (instead of 3). Checked:

* product_association_rules: baskets, counts, support, confidence, lift, ranks and the kept
  rules are exactly what Python computes from fct_orders / fct_order_lines;
* the generator's planted association (baby households buy formula and diapers:
  persons.has_baby raises both affinities) is the top category rule both ways;
* home_recommendations and checkout_addon_suggestions equal a Python reading of their rules
  on the resolved app events, the order lines and the seeds;
* both audiences are registered: their members are the models' customers and offers.

Run: ``.venv/bin/python -m pytest tests/integration/test_activation_recommendations.py -s``
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START = 1200, 75, date(2026, 3, 1)
SELECT = ["+path:models/marts/activation/recommendations", "+audience_members"]
LOCAL = timedelta(hours=8)  # Asia/Shanghai, the reporting zone (no DST)
SKU_THRESHOLDS = {"min_support_count": "2", "min_confidence": "0.0500", "min_lift": "1.0000"}
PARAMETERS = {"checkout_cart_window_days": "30"}


def _rows(db, sql: str) -> list[dict]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def _read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_csv(path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("activation_recommendations")
    inbox, db, proj = landed_world(tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=7)
    seeds = tmp / "seeds"
    thresholds = _read_csv(seeds / "association_rule_thresholds.csv")
    for r in thresholds:
        if r["level"] == "sku":
            r.update(SKU_THRESHOLDS)
    _write_csv(seeds / "association_rule_thresholds.csv", thresholds)
    params = _read_csv(seeds / "recommendation_parameters.csv")
    for r in params:
        r["value"] = PARAMETERS.get(r["parameter"], r["value"])
    _write_csv(seeds / "recommendation_parameters.csv", params)
    build(proj, db, *SELECT)
    seed = {name: _read_csv(seeds / f"{name}.csv") for name in (
        "association_rule_thresholds", "recommendation_parameters", "complementary_categories",
        "checkout_addon_thresholds",
    )}  # fmt: skip
    return {"db": db, "truth": inbox / "_truth", "seed": seed}


def _param(world, name: str) -> int:
    return int(
        {r["parameter"]: r["value"] for r in world["seed"]["recommendation_parameters"]}[name]
    )


# --- independent recomputation -------------------------------------------------------------


@pytest.fixture(scope="module")
def expected(world):
    db = world["db"]
    orders = _rows(db, "select * from marts.fct_orders")
    lines = _rows(db, "select * from marts.fct_order_lines")
    as_of = max(o["order_date"] for o in orders)
    first_day = as_of - timedelta(days=_param(world, "rules_window_days") - 1)
    counted = {
        o["order_id"]: o
        for o in orders
        if o["status"] == "paid" and not o["is_fully_refunded"]
        and first_day <= o["order_date"] <= as_of
    }  # fmt: skip

    # Items: the latest sale's price, baskets holding the sku.
    baskets: dict[str, dict[str, set]] = {"sku": defaultdict(set), "category": defaultdict(set)}
    last_sale: dict[str, tuple] = {}
    category_of: dict[str, str] = {}
    for ln in lines:
        o = counted.get(ln["order_id"])
        if o is None or ln["sku"] is None:
            continue
        baskets["sku"][ln["order_id"]].add(ln["sku"])
        if ln["category"] is not None:
            baskets["category"][ln["order_id"]].add(ln["category"])
        category_of[ln["sku"]] = ln["category"]
        key = (o["ordered_at"], ln["order_id"])
        if ln["sku"] not in last_sale or key > last_sale[ln["sku"]][0]:
            last_sale[ln["sku"]] = (key, ln["unit_price_cny"])
    n_baskets = len(baskets["sku"])
    sku_baskets: dict[str, int] = defaultdict(int)
    for items in baskets["sku"].values():
        for s in items:
            sku_baskets[s] += 1
    items = {
        s: {"category": category_of[s], "price": last_sale[s][1], "basket_count": sku_baskets[s]}
        for s in last_sale
    }

    # Rules.
    rules = {}
    thresholds = {r["level"]: r for r in world["seed"]["association_rule_thresholds"]}
    for level, by_order in baskets.items():
        n_item: dict[str, int] = defaultdict(int)
        n_pair: dict[tuple, int] = defaultdict(int)
        for its in by_order.values():
            for a in its:
                n_item[a] += 1
                for c in its:
                    if c != a:
                        n_pair[(a, c)] += 1
        t = thresholds[level]
        kept = defaultdict(list)
        for (a, c), nac in n_pair.items():
            conf = nac / n_item[a]
            lift = (nac * n_baskets) / (n_item[a] * n_item[c])
            if (
                nac >= int(t["min_support_count"])
                and conf >= float(t["min_confidence"])
                and lift >= float(t["min_lift"])
            ):
                kept[a].append((-lift, -conf, -nac, c, nac, conf, lift))
        for a, rs in kept.items():
            for rank, (_, _, _, c, nac, conf, lift) in enumerate(
                sorted(rs)[: int(t["max_rules_per_antecedent"])], 1
            ):
                rules[(level, a, c)] = {
                    "rule_rank": rank, "basket_count": n_baskets,
                    "antecedent_basket_count": n_item[a], "consequent_basket_count": n_item[c],
                    "pair_basket_count": nac, "support": nac / n_baskets,
                    "confidence": conf, "lift": lift,
                }  # fmt: skip
    return {
        "as_of": as_of,
        "orders": orders,
        "lines": lines,
        "items": items,
        "rules": rules,
        "n_baskets": n_baskets,
    }


def _local(ts) -> date:
    return (ts + LOCAL).date()


def expected_home(world, exp) -> dict[str, list[tuple]]:
    """customer -> [(sku, source, because_of_sku)] in rank order."""
    as_of, items, rules = exp["as_of"], exp["items"], exp["rules"]
    first_view = as_of - timedelta(days=_param(world, "home_view_window_days") - 1)
    first_bought = as_of - timedelta(days=_param(world, "home_bought_exclusion_days") - 1)
    per_cat, max_items = _param(world, "home_items_per_category"), _param(world, "home_max_items")
    events = _rows(
        world["db"],
        "select customer_id, sku, category, event_at from intermediate.int_app_events_resolved "
        "where event_type = 'view' and sku is not null",
    )
    views: dict[tuple, dict] = {}
    for e in events:
        if not first_view <= _local(e["event_at"]) <= as_of:
            continue
        v = views.setdefault((e["customer_id"], e["sku"]), {"category": None, "at": e["event_at"]})
        v["at"] = max(v["at"], e["event_at"])
        v["category"] = max(filter(None, [v["category"], e["category"]]), default=None)
    cat_views: dict[tuple, tuple] = {}
    for (cust, sku), v in views.items():
        if v["category"] is None:
            continue
        k = (cust, v["category"])
        best = cat_views.get(k)
        if best is None or (v["at"], _neg(sku)) > (best[1], _neg(best[0])):
            cat_views[k] = (sku, v["at"])
    sellers = defaultdict(list)
    for s, it in items.items():
        sellers[it["category"]].append((-it["basket_count"], s))
    best_sellers = {c: [s for _, s in sorted(v)[:per_cat]] for c, v in sellers.items()}
    sku_rules, cat_rules = defaultdict(list), defaultdict(list)
    for (level, a, c), r in rules.items():
        (sku_rules if level == "sku" else cat_rules)[a].append((c, r["lift"]))
    complements = defaultdict(list)
    for r in world["seed"]["complementary_categories"]:
        complements[r["category"]].append((r["complement_category"], int(r["priority"])))

    cands = defaultdict(list)  # customer -> (order key, sku, source, because)
    for (cust, sku), v in views.items():
        for c, lift in sku_rules[sku]:
            cands[cust].append(((1, -lift, 0, _neg_ts(v["at"])), c, "sku_rule", sku))
    for (cust, cat), (sku, at) in cat_views.items():
        for c, lift in cat_rules[cat]:
            for s in best_sellers.get(c, []):
                cands[cust].append(((2, -lift, 0, _neg_ts(at)), s, "category_rule", sku))
        for c, prio in complements[cat]:
            for s in best_sellers.get(c, []):
                cands[cust].append(((3, 0, prio, _neg_ts(at)), s, "complement_seed", sku))
    bought = {
        (o["customer_id"], ln["sku"])
        for o_id, o in ((o["order_id"], o) for o in exp["orders"])
        if o["customer_id"] and o["status"] == "paid" and not o["is_fully_refunded"]
        and first_bought <= o["order_date"] <= as_of
        for ln in exp["lines_by_order"].get(o_id, [])
    }  # fmt: skip
    out = {}
    for cust, cs in cands.items():
        best: dict[str, tuple] = {}
        for key, sku, source, because in cs:
            if (cust, sku) in views or (cust, sku) in bought or sku not in items:
                continue
            full = (key, because)
            if sku not in best or full < best[sku][0]:
                best[sku] = (full, source, because)
        ranked = sorted(
            best.items(),
            key=lambda kv: (*kv[1][0][0], -items[kv[0]]["basket_count"], kv[0]),
        )
        if ranked:
            out[cust] = [(s, src, bec) for s, (_, src, bec) in ranked[:max_items]]
    return out


def _neg(s: str) -> tuple:
    return tuple(-ord(ch) for ch in s) + (1,)


def _neg_ts(ts) -> float:
    return -ts.timestamp()


def expected_checkout(world, exp) -> dict[str, list[tuple]]:
    """customer -> [(session, threshold_code, gap, sku, excess, source)] in rank order."""
    as_of, items, rules = exp["as_of"], exp["items"], exp["rules"]
    first = as_of - timedelta(days=_param(world, "checkout_cart_window_days") - 1)
    max_sugg = _param(world, "checkout_max_suggestions")
    events = _rows(
        world["db"],
        "select r.event_id, r.customer_id, r.session_id, r.event_type, r.event_at, r.sku, "
        "r.category, r.quantity, s.price_cny from intermediate.int_app_events_resolved as r "
        "join staging.stg_app__events as s using (event_id) "
        "where r.event_type in ('add_cart', 'remove_cart', 'pay') and r.session_id is not null",
    )
    events = [e for e in events if first <= _local(e["event_at"]) <= as_of]
    paid_sessions = {e["session_id"] for e in events if e["event_type"] == "pay"}
    lines: dict[tuple, dict] = {}
    for e in events:
        if e["event_type"] == "pay" or e["sku"] is None:
            continue
        k = (e["customer_id"], e["session_id"], e["sku"])
        ln = lines.setdefault(k, {"qty": 0, "last_add": None, "price_key": None, "cat": None})
        q = e["quantity"] if e["quantity"] is not None else 1
        ln["cat"] = max(filter(None, [ln["cat"], e["category"]]), default=None)
        if e["event_type"] == "add_cart":
            ln["qty"] += q
            pk = (e["event_at"], e["event_id"])
            if ln["price_key"] is None or pk > ln["price_key"]:
                ln["price_key"], ln["price"] = pk, e["price_cny"]
            ln["last_add"] = max(filter(None, [ln["last_add"], e["event_at"]]))
        else:
            ln["qty"] -= q
    carts: dict[tuple, dict] = {}
    for (cust, sess, sku), ln in lines.items():
        if ln["qty"] <= 0 or ln["price_key"] is None:
            continue
        c = carts.setdefault((cust, sess), {"value": Decimal(0), "at": ln["last_add"], "lines": {}})
        c["value"] += ln["qty"] * ln["price"]
        c["at"] = max(c["at"], ln["last_add"])
        c["lines"][sku] = ln["cat"]
    paid_orders = defaultdict(list)
    for o in exp["orders"]:
        if o["status"] == "paid" and o["customer_id"] and o["order_date"] <= as_of:
            paid_orders[o["customer_id"]].append(o["ordered_at"])
    latest: dict[str, tuple] = {}
    for (cust, sess), c in carts.items():
        if sess in paid_sessions or any(t >= c["at"] for t in paid_orders[cust]):
            continue
        if cust not in latest or (c["at"], sess) > (latest[cust][1]["at"], latest[cust][0]):
            latest[cust] = (sess, c)
    thresholds = sorted(
        world["seed"]["checkout_addon_thresholds"], key=lambda t: Decimal(t["threshold_cny"])
    )
    complements = defaultdict(set)
    for r in world["seed"]["complementary_categories"]:
        complements[r["category"]].add(r["complement_category"])
    out = {}
    for cust, (sess, c) in latest.items():
        t = next(
            (
                t for t in thresholds
                if Decimal(t["threshold_cny"]) > c["value"]
                and Decimal(t["threshold_cny"]) - c["value"] <= Decimal(t["max_gap_cny"])
            ),
            None,
        )  # fmt: skip
        if t is None:
            continue
        gap = Decimal(t["threshold_cny"]) - c["value"]
        cart_cats = set(c["lines"].values())
        ranked = []
        for s, it in items.items():
            excess = it["price"] - gap
            if s in c["lines"] or it["price"] < gap or excess > Decimal(t["max_excess_cny"]):
                continue
            sources, lifts = [], []
            for a in c["lines"]:
                if ("sku", a, s) in rules:
                    sources.append(1)
                    lifts.append(rules[("sku", a, s)]["lift"])
            for a in cart_cats:
                if ("category", a, it["category"]) in rules:
                    sources.append(2)
                    lifts.append(rules[("category", a, it["category"])]["lift"])
                if it["category"] in complements[a]:
                    sources.append(3)
            source = min(sources, default=9)
            lift = max(lifts, default=0.0)
            ranked.append(((source == 9, excess, -lift, -it["basket_count"], s), s, excess, source))
        ranked.sort()
        names = {1: "sku_rule", 2: "category_rule", 3: "complement_seed", 9: "none"}
        if ranked:
            out[cust] = [
                (sess, t["threshold_code"], gap, s, ex, names[src])
                for _, s, ex, src in ranked[:max_sugg]
            ]
    return out


# --- tests -----------------------------------------------------------------------------------


def test_association_rules_equal_python_counts(world, expected):
    actual = {
        (r["rule_level"], r["antecedent"], r["consequent"]): r
        for r in _rows(world["db"], "select * from marts.product_association_rules")
    }
    assert set(actual) == set(expected["rules"])
    for key, exp in expected["rules"].items():
        got = actual[key]
        assert {k: got[k] for k in exp} == exp, key
        assert got["as_of_date"] == expected["as_of"]
    levels = defaultdict(int)
    for level, _, _ in actual:
        levels[level] += 1
    assert levels["category"] >= 2 and levels["sku"] >= 20, levels
    print(f"\n{expected['n_baskets']} baskets; rules kept: {dict(levels)}")


def test_planted_association_is_the_top_category_rule(world, expected):
    """Baby households (truth: persons.has_baby) buy both formula and diapers: the generator's
    only planted category association. It must be the first rule of both antecedents."""
    rules = _rows(
        world["db"],
        "select * from marts.product_association_rules where rule_level = 'category' "
        "order by lift desc",
    )
    by_key = {(r["antecedent"], r["consequent"]): r for r in rules}
    for a, c in (("infant_formula", "baby_diapers"), ("baby_diapers", "infant_formula")):
        r = by_key.get((a, c))
        assert r is not None, (a, c, rules)
        assert r["rule_rank"] == 1 and r["lift"] > 1.2, r
    # The truth confirms the mechanism: the pair's baskets belong to baby households.
    conn = duckdb.connect()
    truth = world["truth"]
    shares = conn.execute(
        f"""
        select avg(case when p.has_baby then 1.0 else 0.0 end)
        from read_parquet('{truth}/orders.parquet') as o
        join read_parquet('{truth}/persons.parquet') as p using (person_id)
        where o.category = 'infant_formula'
        """
    ).fetchone()[0]
    assert shares > 0.9, shares
    print(
        "\ncategory rules: "
        + "; ".join(
            f"{r['antecedent']}->{r['consequent']} n={r['pair_basket_count']} "
            f"conf={r['confidence']:.3f} lift={r['lift']:.3f}"
            for r in rules
        )
        + f"\nformula orders placed by baby households (truth): {shares:.1%}"
    )


def test_home_recommendations_equal_python(world, expected):
    expected["lines_by_order"] = defaultdict(list)
    for ln in expected["lines"]:
        expected["lines_by_order"][ln["order_id"]].append(ln)
    want = expected_home(world, expected)
    rows = _rows(
        world["db"],
        "select * from marts.home_recommendations order by customer_id, recommendation_rank",
    )
    got = defaultdict(list)
    for r in rows:
        got[r["customer_id"]].append(
            (r["recommended_sku"], r["recommendation_source"], r["because_of_sku"])
        )
        assert r["offer_code"] == f"home_complement:{r['recommended_sku']}"
    assert dict(got) == want
    sources = defaultdict(int)
    for recs in want.values():
        for _, src, _ in recs:
            sources[src] += 1
    assert len(want) >= 50 and sources["category_rule"] and sources["complement_seed"], sources
    print(f"\nhome: {len(want)} customers, {len(rows)} rows, by source {dict(sources)}")


def test_checkout_addons_equal_python(world, expected):
    want = expected_checkout(world, expected)
    rows = _rows(
        world["db"],
        "select * from marts.checkout_addon_suggestions order by customer_id, suggestion_rank",
    )
    got = defaultdict(list)
    for r in rows:
        got[r["customer_id"]].append(
            (r["session_id"], r["threshold_code"], r["gap_cny"], r["suggested_sku"],
             r["excess_cny"], r["association_source"])
        )  # fmt: skip
        assert r["cart_value_cny"] + r["gap_cny"] == r["threshold_cny"]
    assert dict(got) == want
    thresholds = {s[0][1] for s in want.values()}
    assert len(want) >= 10 and len(thresholds) == 2, (len(want), thresholds)
    print(f"\ncheckout add-ons: {len(want)} carts, {len(rows)} rows, thresholds {thresholds}")


def test_audiences_carry_the_recommendations(world):
    db = world["db"]
    for code, model in (
        ("home_complements", "home_recommendations"),
        ("checkout_addon", "checkout_addon_suggestions"),
    ):
        src = {
            (r["customer_id"], r["offer_code"]) for r in _rows(db, f"select * from marts.{model}")
        }
        members = {
            (r["customer_id"], r["offer_code"])
            for r in _rows(
                db, f"select * from marts.audience_members where audience_code = '{code}'"
            )
        }
        assert src and members == src, code
