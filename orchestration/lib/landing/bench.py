"""Landing throughput on generated clean files: ``python -m orchestration.lib.landing.bench``.

Writes a 1M-line JSONL (app/events) and CSV (shop/orders) file to a temporary directory, lands
each into a fresh DuckDB file and prints lines/s by wall and by CPU time (the CPU figure is
steadier on a shared machine). Options: --lines N, --keep DIR.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from .loader import land_source


def write_events(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            row = {
                "event_id": f"e{i:010d}",
                "event_type": "view",
                "event_time": "2026-06-18T20:15:03+08:00",
                "user_id": f"u{i % 50000}",
                "device_id": f"d{i % 90000}",
                "openid": None,
                "platform": "ios",
                "channel": "douyin",
                "session_id": f"s{i // 7}",
                "sku": f"SKU{i % 3000}",
                "category": "美妆",
                "price_cny": 129.5,
                "quantity": 1,
                "dwell_ms": 5300,
                "search_query": None,
                "stock_status": "in_stock",
                "error_code": None,
                "order_id": None,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_orders(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "order_id,user_id,device_id,order_time,status,channel,platform,region,"
            "receiver_phone,items_amount_cny,discount_cny,coupon_cny,shipping_fee_cny,"
            "pay_amount_cny\n"
        )
        for i in range(n):
            f.write(
                f"o{i:010d},u{i % 50000},d{i % 90000},2026-06-18 20:15:03,paid,app,ios,440000,"
                f"1381234{i % 10000:04d},100.00,5.00,0.00,10.00,105.00\n"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="landing-bench-"))
    inbox = root / "inbox"
    cases = [
        ("app", inbox / "app/events/bench.jsonl", write_events),
        ("shop", inbox / "shop/orders/bench.csv", write_orders),
    ]
    try:
        _run(root, inbox, cases, args.lines)
    finally:
        if not args.keep:  # ~0.5 GB of generated files
            shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, inbox: Path, cases, lines: int) -> None:
    for source, path, write in cases:
        write(path, lines)
        mb = path.stat().st_size / 1e6
        start, cpu = time.perf_counter(), time.process_time()
        report = land_source(root / f"{source}.duckdb", inbox, source)
        secs, cpu = time.perf_counter() - start, time.process_time() - cpu
        t = report.totals()
        print(
            f"{path.name}: {t['lines']:,} lines ({mb:.0f} MB) in {secs:.2f} s = "
            f"{t['lines'] / secs:,.0f} lines/s ({cpu:.2f} CPU s = {t['lines'] / cpu:,.0f} "
            f"lines/CPU s), landed {t['rows_landed']:,}, rejected {t['rows_rejected']:,}"
        )


if __name__ == "__main__":
    main()
