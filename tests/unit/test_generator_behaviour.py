"""The generated world behaves like the brief says: rhythms, sale peaks, skewed order values,
repurchase cycles, gendered categories, omni-channel persons, tags that follow behaviour.
Checked on the truth tables plus files, on one modest dataset (a couple of seconds)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib.generator import generate


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    out: Path = tmp_path_factory.mktemp("behaviour")
    generate(
        customers=3000, days=150, start="2025-10-01", seed=5, out=out, dirt_rate=0.0, progress=False
    )
    c = duckdb.connect()
    t = out / "_truth"
    for name in ("persons", "orders", "receipts", "events", "social_tags", "identifiers"):
        c.execute(f"create view {name} as select * from '{t / name}.parquet'")
    c.execute(
        f"create view items as select * from read_csv('{out}/shop/order_items/*.csv', "
        "all_varchar=true)"
    )
    c.execute(
        f"create view members as select * from read_csv('{out}/membership/members/*.csv',"
        " all_varchar=true)"
    )
    yield c
    c.close()


def one(c, sql: str):
    return c.execute(sql).fetchone()


def test_evening_peak_and_double_11(con):
    share_20_22 = one(
        con,
        "select avg((hour(order_time_utc + interval 8 hour) between 20 and 22)::int) from orders",
    )[0]
    assert share_20_22 > 0.3  # 3 of 24 hours hold a third of orders
    peak, typical = one(
        con,
        """
        with d as (select cast(order_time_utc + interval 8 hour as date) d, count(*) n
                   from orders group by 1)
        select max(n) filter (where d = date '2025-11-11'), median(n) from d""",
    )
    assert peak > 2.5 * typical


def test_order_values_are_skewed_with_both_tails(con):
    low, high, mean, median = one(
        con,
        """
        select avg((pay_amount_cny <= 50)::int), avg((pay_amount_cny >= 200)::int),
               avg(pay_amount_cny), median(pay_amount_cny) from orders where status = 'paid'""",
    )
    assert low > 0.05 and high > 0.2 and mean > 1.3 * median


def test_purchase_rates_are_heterogeneous_and_some_churn(con):
    cv, churned = one(
        con,
        "select stddev(noncyclic_rate_per_month) / "
        "avg(noncyclic_rate_per_month), avg(churned::int) from persons",
    )
    assert cv > 0.9 and 0.2 < churned < 0.5
    # Churned people stop buying: nothing after the churn date.
    after = one(
        con,
        """
        select count(*) from orders o join persons p using (person_id)
        where p.churned and o.order_time_utc + interval 8 hour >= p.churn_date + 1""",
    )[0]
    assert after == 0


def test_formula_repurchase_cycle_near_28_days(con):
    # Online-only parents: every formula purchase is an order, so the gaps show the cycle.
    gap = one(
        con,
        """
        with f as (
            select o.person_id, o.order_time_utc t from orders o join persons p using (person_id)
            where o.category = 'infant_formula' and o.status = 'paid' and not p.is_offline
              and p.has_baby),
        g as (select date_diff('day', lag(t) over (partition by person_id order by t), t) d
              from f)
        select median(d) from g where d is not null""",
    )[0]
    assert 24 <= gap <= 32


def test_gendered_categories(con):
    pads_f, razors_m = one(
        con,
        """
        select avg((p.true_gender = 'F')::int) filter (where i.category = 'sanitary_pads'),
               avg((p.true_gender = 'M')::int) filter (where i.category = 'razors')
        from items i join orders o using (order_id) join persons p using (person_id)""",
    )
    assert pads_f > 0.97 and razors_m > 0.8
    missing = one(con, "select avg((gender is null)::int) from members")[0]
    assert 0.2 < missing < 0.4


def test_omnichannel_and_acquisition_mix(con):
    both, channels, platforms = one(
        con,
        """
        select avg(shops_both::int), count(distinct acquisition_channel),
               count(distinct device_platform) from persons""",
    )
    assert 0.25 < both < 0.35 and channels == 5 and platforms == 4


def test_tags_follow_behaviour(con):
    mothers_with_baby, mothers_other = one(
        con,
        """
        select avg((t.person_id is not null)::int) filter (where p.has_baby and p.true_gender='F'),
               avg((t.person_id is not null)::int) filter (where not p.has_baby)
        from persons p left join (select distinct person_id from social_tags
                                  where tag = 'mothers_group_active') t using (person_id)""",
    )
    assert mothers_with_baby > 0.4 and mothers_other < 0.05


def test_behaviour_volume_per_active_person(con):
    per_person = one(
        con,
        """
        select count(*) / count(distinct person_id) * 365.0 / 150 from events""",
    )[0]
    assert 20 < per_person < 100
