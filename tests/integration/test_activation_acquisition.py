"""The lookalike seed and its quality report on the activation world, against a Python reading
of the rule and the generator's ground truth.

* lookalike_seed_audience holds exactly the customers with a counted purchase whose LTV decile
  is in the top `lookalike_top_ltv_deciles` or whose RFM segment is `lookalike_rfm_segment`,
  with the right seed_reason and the features of int_activation__customer_features;
* lookalike_seed_feature_index and lookalike_seed_summary equal counts, shares, indexes and means
  recomputed from the seed and the base;
* the seed's persons (mapped through their user ids to the generator's persons) truly buy more
  often and churn less than the base's: the seed is the best customers, not just labelled so.
"""

from __future__ import annotations

import csv
from statistics import mean

import duckdb
import pytest

from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.activation_world import rows

FEATURES = (
    "region_code",
    "age_band",
    "gender",
    "top_category",
    "acquisition_channel",
    "acquisition_platform",
)


def _param(name: str) -> str:
    with open(PROJECT_ROOT / "seeds" / "acquisition_parameters.csv", newline="") as f:
        return {r["parameter"]: r["value"] for r in csv.DictReader(f)}[name]


@pytest.fixture(scope="module")
def marts(activation_world) -> dict:
    db = activation_world["db"]
    return {
        "seed": rows(db, "select * from marts.lookalike_seed_audience"),
        "index": rows(db, "select * from marts.lookalike_seed_feature_index"),
        "summary": rows(db, "select * from marts.lookalike_seed_summary"),
        "rfm": rows(db, "select * from marts.customer_rfm"),
        "ltv": rows(db, "select * from marts.customer_ltv"),
        "features": rows(db, "select * from intermediate.int_activation__customer_features"),
    }


def expected_seed(marts) -> dict[str, str]:
    top = int(_param("lookalike_top_ltv_deciles"))
    segment = _param("lookalike_rfm_segment")
    decile = {r["customer_id"]: r["ltv_decile"] for r in marts["ltv"]}
    out = {}
    for r in marts["rfm"]:
        if not r["has_purchased"]:
            continue
        d = decile.get(r["customer_id"])
        by_ltv = d is not None and d > 10 - top
        by_rfm = r["rfm_segment_code"] == segment
        if by_ltv and by_rfm:
            out[r["customer_id"]] = "top_ltv_and_rfm_segment"
        elif by_ltv:
            out[r["customer_id"]] = "top_ltv"
        elif by_rfm:
            out[r["customer_id"]] = "rfm_segment"
    return out


def test_seed_is_the_rule(marts):
    expected = expected_seed(marts)
    actual = {r["customer_id"]: r["seed_reason"] for r in marts["seed"]}
    assert len(actual) == len(marts["seed"])
    assert actual == expected
    reasons = set(expected.values())
    print(f"\nseed {len(expected)} customers, reasons {sorted(reasons)}")
    assert {"top_ltv", "rfm_segment"} <= reasons | {"top_ltv_and_rfm_segment"}
    features = {r["customer_id"]: r for r in marts["features"]}
    for r in marts["seed"]:
        assert all(r[f] == features[r["customer_id"]][f] for f in FEATURES)


def test_feature_index_is_recomputed(marts):
    base = {r["customer_id"] for r in marts["rfm"] if r["has_purchased"]}
    seed = {r["customer_id"] for r in marts["seed"]}
    feats = [r for r in marts["features"] if r["customer_id"] in base]
    got = {(r["feature"], r["feature_value"]): r for r in marts["index"]}
    expected_keys = {(f, r[f]) for f in FEATURES for r in feats}
    assert set(got) == expected_keys
    for f in FEATURES:
        for value in {r[f] for r in feats}:
            n_base = sum(r[f] == value for r in feats)
            n_seed = sum(r[f] == value and r["customer_id"] in seed for r in feats)
            row = got[(f, value)]
            assert (row["seed_customers"], row["base_customers"]) == (n_seed, n_base)
            assert row["base_share"] == pytest.approx(n_base / len(feats))
            assert row["seed_share"] == pytest.approx(n_seed / len(seed))
            assert row["seed_index"] == pytest.approx(
                100 * (n_seed / len(seed)) / (n_base / len(feats))
            )


def test_summary_is_recomputed(marts):
    (summary,) = marts["summary"]
    base = [r for r in marts["rfm"] if r["has_purchased"]]
    seed = {r["customer_id"] for r in marts["seed"]}
    value = {r["customer_id"]: float(r["predicted_value_1y_cny"]) for r in marts["ltv"]}
    assert summary["seed_customers"] == len(seed)
    assert summary["base_customers"] == len(base)
    seed_value = mean(value[c] for c in seed if c in value)
    base_value = mean(value[r["customer_id"]] for r in base if r["customer_id"] in value)
    assert float(summary["seed_mean_predicted_value_1y_cny"]) == pytest.approx(seed_value, abs=0.01)
    assert float(summary["base_mean_predicted_value_1y_cny"]) == pytest.approx(base_value, abs=0.01)
    assert summary["predicted_value_lift"] == pytest.approx(seed_value / base_value, rel=1e-3)
    seed_spend = mean(float(r["net_spend_cny"]) for r in base if r["customer_id"] in seed)
    assert float(summary["seed_mean_net_spend_cny"]) == pytest.approx(seed_spend, abs=0.01)
    assert summary["meets_min_seed_size"] == (len(seed) >= int(_param("lookalike_min_seed_size")))


def test_seed_persons_are_truly_better_customers(activation_world, marts):
    """Through user ids (plain identifiers) to the generator's persons: the seed's true purchase
    rate is higher and its true churn lower than the base's."""
    db, truth = activation_world["db"], activation_world["inbox"] / "_truth" / "persons.parquet"
    conn = duckdb.connect(str(db), read_only=True)
    try:
        person_of = dict(
            conn.execute(
                f"""
                select r.customer_id, min(p.person_id)
                from intermediate.int_identifiers_resolved as r
                inner join read_parquet('{truth}') as p
                    on r.identifier_key = 'user_id:' || p.user_id
                group by r.customer_id
                """
            ).fetchall()
        )
        persons = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                f"select person_id, purchase_rate_per_month, churned from read_parquet('{truth}')"
            ).fetchall()
        }
    finally:
        conn.close()
    seed = {r["customer_id"] for r in marts["seed"]}
    base = {r["customer_id"] for r in marts["rfm"] if r["has_purchased"]}

    def stats(ids):
        ps = [persons[person_of[c]] for c in ids if c in person_of]
        return len(ps), mean(p[0] for p in ps), mean(float(p[1]) for p in ps)

    n_seed, seed_rate, seed_churn = stats(seed)
    n_rest, rest_rate, rest_churn = stats(base - seed)
    print(
        f"\nseed: {n_seed} persons, true rate {seed_rate:.2f}/month, churned {seed_churn:.1%}; "
        f"rest of base: {n_rest}, {rest_rate:.2f}/month, churned {rest_churn:.1%}"
    )
    assert n_seed >= 30 and n_rest >= 30
    assert seed_rate > rest_rate
    assert seed_churn < rest_churn
