"""Realtime lane: a fresh add_cart dropped in the inbox becomes a cart_recall_triggers row through
the inbox sensor's fast lane, without rebuilding anything else.

Builds a small warehouse once (landing + dbt models, no data tests, to keep it short), then drops
one app events file with four sessions (an out-of-stock cart, a cart whose session hit a
checkout error, a cart priced above the view before it, a cart that was paid), evaluates the
real inbox_sensor with the cursor that has already seen the initial files, and executes its
fast-lane run request in process. Prints the measured file-drop-to-trigger latency (sensor
evaluation + run; under the daemon add up to the 60 s sensor cadence and any queue wait).
Timings are reported, never asserted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from orchestration.lib.latency import find_trigger, probe_events, write_events_file
from tests.integration.test_incremental_equivalence import dbt_build, land

CUSTOMERS, DAYS, START, SEED = 150, 10, "2026-01-01", 3


def _resolved_user(warehouse) -> tuple[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select id_value, customer_id from intermediate.int_identifiers_resolved "
            "where id_type = 'user_id' order by identifier_key limit 1"
        ).fetchone()


def _trigger_count(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute("select count(*) from marts.cart_recall_triggers").fetchone()[0]


@pytest.mark.slow
def test_fresh_cart_becomes_trigger_through_the_fast_lane(tmp_path):
    from dagster import AssetKey, DagsterInstance, SkipReason, build_sensor_context

    from orchestration.definitions import defs
    from orchestration.defs.automation.sensors import FAST_LANE_KEYS, inbox_sensor
    from orchestration.lib.generator import generate
    from orchestration.lib.inbox_scan import InboxCursor, new_inbox_files
    from orchestration.lib.settings import load_settings

    settings = load_settings()  # the per-test data dir of tests/conftest.py
    generate(
        customers=CUSTOMERS,
        days=DAYS,
        start=START,
        seed=SEED,
        out=settings.inbox_dir,
        dirt_rate=0.02,
        progress=False,
    )
    land(settings.data_dir, datetime.now(UTC))
    build_s = dbt_build(settings.data_dir, tmp_path / "dbt")
    warehouse = settings.warehouse_path
    before = _trigger_count(warehouse)
    user_id, customer_id = _resolved_user(warehouse)
    # the daemon's cursor after it handled the initial delivery
    _, cursor = new_inbox_files(settings.inbox_dir, InboxCursor())

    # ---- the drop: four sessions in one new file, just after the generated period
    at = datetime.fromisoformat(START).replace(tzinfo=UTC) + timedelta(days=DAYS, hours=2)
    oos = probe_events(tag="oos", at=at, user_id=user_id, sku="RT-OOS-1")
    friction = probe_events(tag="friction", at=at, sku="RT-FRICTION-1", stock_status="in_stock")
    friction.append(
        {
            **friction[-1],
            "event_id": "E-rt-friction-err",
            "event_type": "checkout_start",
            "error_code": "payment_timeout",
        }
    )
    price = probe_events(tag="price", at=at, sku="RT-PRICE-1", stock_status="in_stock")
    price[1]["price_cny"] = 119.0  # viewed at 99.0, carted at 119.0: a price rise
    # a view after the cart does not count as the viewed price (it would give 79.0)
    later = probe_events(
        tag="price", at=at + timedelta(seconds=60), sku="RT-PRICE-1", stock_status="in_stock"
    )[0]
    price.append({**later, "event_id": "E-rt-price-later-view", "price_cny": 79.0})
    paid = probe_events(tag="paid", at=at, sku="RT-PAID-1", stock_status="in_stock")
    paid.append(
        {
            **paid[-1],
            "event_id": "E-rt-paid-pay",
            "event_type": "pay",
            "sku": None,
            "order_id": "O-RT-PAID",
        }
    )
    t_drop = time.monotonic()
    write_events_file(
        settings.inbox_dir, "events_20260111_realtime.jsonl", oos + friction + price + paid
    )

    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, cursor=cursor.dumps(), repository_def=defs.get_repository_def()
        )
        result = inbox_sensor(context)
        t_sensor = time.monotonic()
        lanes = {r.tags["lakehouse/lane"]: r for r in result.run_requests}
        assert set(lanes) == {"fast", "full"}
        fast = lanes["fast"]
        assert set(fast.asset_selection) == set(FAST_LANE_KEYS)
        assert fast.run_key.startswith("fast-")

        job = defs.resolve_implicit_global_asset_job_def()
        run = job.execute_in_process(
            instance=instance, asset_selection=fast.asset_selection, tags=fast.tags
        )
        t_run = time.monotonic()
        assert run.success
        materialized = {e.asset_key for e in run.get_asset_materialization_events()}
        # only the fast lane ran: identity, orders and the other marts were not rebuilt
        assert materialized == set(FAST_LANE_KEYS)
        assert AssetKey(["intermediate", "int_identifiers_resolved"]) not in materialized

        row = find_trigger(warehouse, oos[-1]["event_id"])
        t_seen = time.monotonic()

        # the next tick sees nothing new; a second fast-lane run appends nothing
        again = inbox_sensor(
            build_sensor_context(
                instance=instance, cursor=result.cursor, repository_def=defs.get_repository_def()
            )
        )
        assert isinstance(again, SkipReason)
        count_after_first = _trigger_count(warehouse)
        rerun = job.execute_in_process(instance=instance, asset_selection=fast.asset_selection)
        assert rerun.success
        assert _trigger_count(warehouse) == count_after_first

    assert row is not None, "no trigger for the fresh out-of-stock cart"
    assert row["trigger_reason"] == "out_of_stock" and row["has_out_of_stock"]
    assert row["user_id"] == user_id and row["customer_id"] == customer_id
    assert row["sku"] == "RT-OOS-1"
    friction_row = find_trigger(warehouse, friction[1]["event_id"])
    assert friction_row is not None and friction_row["trigger_reason"] == "friction"
    assert friction_row["has_checkout_error"] and not friction_row["has_out_of_stock"]
    price_row = find_trigger(warehouse, price[1]["event_id"])
    assert price_row is not None and price_row["trigger_reason"] == "price"
    assert float(price_row["viewed_price_cny"]) == 99.0
    assert float(price_row["cart_price_cny"]) == 119.0
    assert friction_row["customer_id"] is None  # a brand-new device: not resolvable yet
    assert find_trigger(warehouse, paid[1]["event_id"]) is None  # paid: no recall
    assert count_after_first == before + 3

    landed_to_trigger = (row["triggered_at"] - row["_loaded_at"]).total_seconds()
    print(
        f"\nbase build {build_s:.1f}s; file drop -> trigger visible {t_seen - t_drop:.1f}s "
        f"(sensor evaluation {t_sensor - t_drop:.1f}s, fast-lane run {t_run - t_sensor:.1f}s, "
        f"landing -> triggered_at {landed_to_trigger:.1f}s); under the daemon add up to the "
        "60 s sensor cadence and queue wait"
    )
