"""Cart-recall latency: how long from a file dropped in the inbox to its row in
marts.cart_recall_triggers.

    latency = sensor pickup (up to the 60 s cadence) + queue (pool duckdb_writer) + fast-lane run

Three tools, all safe next to a running pipeline:

* ``drop_probe``: writes a one-session app events file (a view of an out-of-stock sku, then an
  add_cart, no pay) atomically into the inbox. Its device id starts with ``latency-probe-`` so
  consumers can filter probes out; use it on dev/staging, not on the production inbox.
* ``wait_for_fast_lane``: watches the Dagster instance (never the warehouse) for the fast-lane run
  started after the drop and reports pickup, queue and run seconds.
* ``trigger_latency_summary``: from the warehouse, percentiles of ``triggered_at - _loaded_at``
  (landing to trigger) over recent triggers. It opens DuckDB read-only: a reader blocks the
  writer, so run it between runs or against a copy.

CLI (under ``make dev`` / ``dagster dev``, with the inbox sensor switched on)::

    python -m orchestration.lib.latency probe [--timeout 600]
    python -m orchestration.lib.latency summary [--days 7]

See docs/operations.md ("Measuring trigger latency").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROBE_PREFIX = "latency-probe-"
FAST_LANE_TAG = ("lakehouse/lane", "fast")
SHANGHAI = timedelta(hours=8)


@dataclass(frozen=True)
class Probe:
    path: Path
    event_id: str
    device_id: str
    sku: str
    dropped_at: datetime  # UTC, aware


def probe_events(
    *,
    tag: str,
    at: datetime,
    sku: str = "PROBE-SKU-1",
    category: str = "probe",
    user_id: str | None = None,
    device_id: str | None = None,
    stock_status: str = "out_of_stock",
) -> list[dict]:
    """One session: view (with the given stock status), add_cart, nothing after. Contract fields
    only (docs/input_contract.md, app/events); times as ISO-8601 with the +08:00 offset."""
    device_id = device_id or f"{PROBE_PREFIX}{tag}"
    session_id = f"S-{PROBE_PREFIX}{tag}"

    def event(n: int, event_type: str, seconds: int, **extra) -> dict:
        when = (at + timedelta(seconds=seconds)).astimezone(UTC) + SHANGHAI
        return {
            "event_id": f"E-{PROBE_PREFIX}{tag}-{n}",
            "event_type": event_type,
            "event_time": when.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00",
            "user_id": user_id,
            "device_id": device_id,
            "openid": None,
            "platform": "ios",
            "channel": "app_store",
            "session_id": session_id,
            "sku": sku,
            "category": category,
            "price_cny": 99.0,
            "quantity": 1 if event_type == "add_cart" else None,
            "dwell_ms": 1200 if event_type == "view" else None,
            "search_query": None,
            "stock_status": stock_status,
            "error_code": None,
            "order_id": None,
            **extra,
        }

    return [event(1, "view", 0), event(2, "add_cart", 5)]


def write_events_file(inbox: Path, name: str, events: list[dict]) -> Path:
    """Write ``inbox/app/events/<name>`` atomically: a partial file is never seen by the sensor
    (it scans only *.jsonl, the temporary name ends in .part)."""
    folder = Path(inbox) / "app" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    part = folder / (name + ".part")
    part.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    os.replace(part, final)
    return final


def drop_probe(inbox: Path, *, at: datetime | None = None, **kwargs) -> Probe:
    """Drop a probe session whose add_cart must become an out_of_stock_alternative trigger."""
    dropped_at = datetime.now(UTC)
    tag = dropped_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    events = probe_events(tag=tag, at=at or dropped_at, **kwargs)
    path = write_events_file(inbox, f"latency_probe_{tag}.jsonl", events)
    cart = events[-1]
    return Probe(path, cart["event_id"], cart["device_id"], cart["sku"], dropped_at)


def find_trigger(warehouse: Path, event_id: str) -> dict | None:
    """The trigger row of ``event_id``, or None (also when the warehouse is busy or missing)."""
    import duckdb

    try:
        conn = duckdb.connect(str(warehouse), read_only=True)
    except (duckdb.IOException, duckdb.CatalogException):
        return None
    try:
        cur = conn.execute(
            "select * from marts.cart_recall_triggers where event_id = ?", [event_id]
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))
    except duckdb.CatalogException:
        return None
    finally:
        conn.close()


@dataclass(frozen=True)
class FastLaneTiming:
    run_id: str
    status: str
    pickup_seconds: float  # file dropped -> run created by the sensor
    queue_seconds: float  # run created -> run started (pool, run coordinator)
    run_seconds: float  # run started -> run ended
    total_seconds: float  # file dropped -> run ended (trigger committed)


def wait_for_fast_lane(
    probe: Probe, *, timeout: float = 600.0, poll: float = 2.0, instance=None
) -> FastLaneTiming | None:
    """Wait for the first fast-lane run created after the probe was dropped to finish."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    instance = instance or DagsterInstance.get()
    done = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = instance.get_run_records(
            filters=RunsFilter(tags=dict([FAST_LANE_TAG]), created_after=probe.dropped_at),
            limit=5,
            ascending=True,
        )
        for rec in records:
            if rec.dagster_run.status in done and rec.start_time and rec.end_time:
                created = rec.create_timestamp.timestamp()
                dropped = probe.dropped_at.timestamp()
                return FastLaneTiming(
                    run_id=rec.dagster_run.run_id,
                    status=rec.dagster_run.status.value,
                    pickup_seconds=round(created - dropped, 2),
                    queue_seconds=round(rec.start_time - created, 2),
                    run_seconds=round(rec.end_time - rec.start_time, 2),
                    total_seconds=round(rec.end_time - dropped, 2),
                )
        time.sleep(poll)
    return None


def trigger_latency_summary(warehouse: Path, days: int = 7) -> dict[str, object]:
    """Landing-to-trigger seconds (triggered_at - _loaded_at) over triggers of the last days."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        row = conn.execute(
            """
            with t as (
                select epoch(triggered_at) - epoch(_loaded_at) as s
                from marts.cart_recall_triggers
                where triggered_at >= (select max(triggered_at) from marts.cart_recall_triggers)
                    - to_days(cast(? as integer))
            )
            select count(*), quantile_cont(s, 0.5), quantile_cont(s, 0.95), max(s) from t
            """,
            [days],
        ).fetchone()
    n, p50, p95, worst = row
    rnd = lambda v: None if v is None else round(float(v), 2)  # noqa: E731
    return {"triggers": n, "p50_s": rnd(p50), "p95_s": rnd(p95), "max_s": rnd(worst)}


def main(argv: list[str] | None = None) -> int:
    from orchestration.lib.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m orchestration.lib.latency")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe", help="drop a probe cart file and time the fast lane")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument(
        "--verify",
        action="store_true",
        help="after the run, read the trigger row from the warehouse (opens it "
        "read-only for a moment: only when no other run is due)",
    )
    s = sub.add_parser("summary", help="landing-to-trigger percentiles from the warehouse")
    s.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "summary":
        print(json.dumps(trigger_latency_summary(settings.warehouse_path, args.days)))
        return 0
    probe = drop_probe(settings.inbox_dir)
    print(f"dropped {probe.path} at {probe.dropped_at.isoformat()}; waiting for the fast lane")
    timing = wait_for_fast_lane(probe, timeout=args.timeout)
    if timing is None:
        print("no fast-lane run finished in time: is the inbox_sensor on and the daemon up?")
        return 1
    print(json.dumps(asdict(timing)))
    if args.verify:
        row = find_trigger(settings.warehouse_path, probe.event_id)
        print(json.dumps({"trigger": row}, default=str))
        return 0 if row else 1
    return 0 if timing.status == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())
