"""Turn a public retail transaction log into inbox files that follow the orders contract.

Input: one CSV line per invoice line, in the shape of the widely used "Online Retail" logs
(`Invoice`/`InvoiceNo`, `StockCode`, `Description`, `Quantity`, `InvoiceDate`, `Price`/`UnitPrice`,
`Customer ID`/`CustomerID`, `Country`). Output: `shop/orders` and `shop/order_items` files in the
inbox (docs/input_contract.md, "Bring your own orders"), timestamps written as ISO-8601 with the
log's zone converted to UTC (`Z`), so the shop source's declared zone does not matter.

Rules (also in the docs): an invoice is an order of status `paid`; lines without a customer,
cancellation invoices (number starting with `C`) and lines with a non-positive quantity or
price are not orders, and are counted in the report instead of being dropped silently.
Amounts are multiplied by `fx_rate` (default 1: the log's own currency is treated as CNY).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

ALIASES = {
    "invoice": ("Invoice", "InvoiceNo"),
    "stock_code": ("StockCode",),
    "quantity": ("Quantity",),
    "invoice_date": ("InvoiceDate",),
    "price": ("Price", "UnitPrice"),
    "customer": ("Customer ID", "CustomerID"),
}


@dataclass
class ImportReport:
    lines_read: int
    orders_written: int
    order_lines_written: int
    skipped_no_customer: int
    skipped_cancellation: int
    skipped_non_positive: int


def _column(header: list[str], name: str) -> str:
    for alias in ALIASES[name]:
        if alias in header:
            return alias
    raise ValueError(f"retail log has no column for {name}: tried {ALIASES[name]}")


def import_retail_log(
    log_csv: Path,
    inbox: Path,
    *,
    timezone: str = "Europe/London",
    fx_rate: float = 1.0,
    date_format: str | None = None,
) -> ImportReport:
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        "create table log as select * from read_csv(?, all_varchar = true, header = true)",
        [str(log_csv)],
    )
    header = [r[0] for r in conn.execute("describe log").fetchall()]
    c = {name: _column(header, name) for name in ALIASES}
    parse = (
        f"strptime(\"{c['invoice_date']}\", '{date_format}')"
        if date_format
        else f'cast("{c["invoice_date"]}" as timestamp)'
    )
    conn.execute(f"""
        create table lines as
        select
            trim("{c["invoice"]}") as invoice,
            trim("{c["stock_code"]}") as sku,
            try_cast("{c["quantity"]}" as integer) as quantity,
            try_cast("{c["price"]}" as decimal(18, 4)) * {fx_rate} as unit_price,
            nullif(regexp_replace(trim("{c["customer"]}"), '\\.0$', ''), '') as customer,
            timezone('{timezone}', {parse}) as ordered_at_tz,
            row_number() over () as log_line
        from log
    """)
    counts = conn.execute("""
        select
            count(*),
            count(*) filter (where customer is null),
            count(*) filter (where customer is not null and invoice like 'C%'),
            count(*) filter (where customer is not null and invoice not like 'C%'
                             and not (quantity > 0 and unit_price > 0))
        from lines
    """).fetchone()
    conn.execute("""
        create table kept as
        select *, row_number() over (partition by invoice order by log_line) as line_no
        from lines
        where customer is not null and invoice not like 'C%' and quantity > 0 and unit_price > 0
    """)
    stem = log_csv.stem
    orders_dir = inbox / "shop" / "orders"
    items_dir = inbox / "shop" / "order_items"
    orders_dir.mkdir(parents=True, exist_ok=True)
    items_dir.mkdir(parents=True, exist_ok=True)
    conn.execute(f"""
        copy (
            select
                invoice as order_id,
                'RL' || min(customer) as user_id,
                null as device_id,
                -- The session runs in UTC: an explicit Z makes the declared zone irrelevant.
                strftime(min(ordered_at_tz), '%Y-%m-%dT%H:%M:%SZ') as order_time,
                'paid' as status,
                'web' as channel,
                null as platform,
                null as region,
                null as receiver_phone,
                cast(sum(quantity * unit_price) as decimal(18, 2)) as items_amount_cny,
                0 as discount_cny,
                0 as coupon_cny,
                0 as shipping_fee_cny,
                cast(sum(quantity * unit_price) as decimal(18, 2)) as pay_amount_cny
            from kept group by invoice order by invoice
        ) to '{orders_dir / f"orders_{stem}.csv"}' (header, delimiter ',')
    """)
    conn.execute(f"""
        copy (
            select invoice as order_id, line_no, sku, 'retail' as category, null as brand,
                   quantity, cast(unit_price as decimal(18, 2)) as unit_price_cny,
                   0 as discount_cny
            from kept order by invoice, line_no
        ) to '{items_dir / f"order_items_{stem}.csv"}' (header, delimiter ',')
    """)
    counted = conn.execute("select count(distinct invoice), count(*) from kept").fetchone()
    n_orders, n_lines = counted
    return ImportReport(
        lines_read=counts[0],
        orders_written=n_orders,
        order_lines_written=n_lines,
        skipped_no_customer=counts[1],
        skipped_cancellation=counts[2],
        skipped_non_positive=counts[3],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.lib.importers.retail_log")
    parser.add_argument("log_csv", type=Path)
    parser.add_argument("--inbox", type=Path, required=True)
    parser.add_argument("--timezone", default="Europe/London")
    parser.add_argument("--fx-rate", type=float, default=1.0)
    parser.add_argument(
        "--date-format", default=None, help="strptime format, e.g. %%m/%%d/%%Y %%H:%%M"
    )
    args = parser.parse_args(argv)
    report = import_retail_log(
        args.log_csv,
        args.inbox,
        timezone=args.timezone,
        fx_rate=args.fx_rate,
        date_format=args.date_format,
    )
    print(json.dumps(asdict(report), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
