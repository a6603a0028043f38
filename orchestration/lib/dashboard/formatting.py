"""How a value is shown (``display``) and carried raw in the DOM (``raw``) for each column kind.

Money: thousands separators, 2 decimals, the unit (CNY / 元) is in the column label. Shares and
rates: percent with 1 decimal. p-values and ``number`` (values in a KPI's or metric's own unit,
rates or CNY): 4 decimals. The browser test parses the shown text back
(``parse_display``) and compares it with the marts at the shown precision.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# Decimal places shown per kind; the browser test compares at half a unit of the last place.
DISPLAY_DECIMALS = {
    "int": 0,
    "cny": 2,
    "pct": 1,
    "signed_pct": 1,
    "prob": 4,
    "decimal": 2,
    "number": 4,
}
MISSING = "–"


def raw(value: object) -> str:
    """The exact value as text (data-value attribute)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def display(value: object, kind: str) -> str:
    if value is None:
        return MISSING
    if kind == "bool":
        return "yes 是" if value else "no 否"
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "int":
        return f"{int(value):,}"
    if kind in ("cny", "decimal"):
        return f"{Decimal(str(value)):,.2f}"
    if kind == "pct":
        return f"{float(value) * 100:.1f} %"
    if kind == "signed_pct":
        return f"{float(value) * 100:+.1f} %"
    if kind == "prob":
        return f"{float(value):.4f}"
    if kind == "number":
        return f"{float(value):,.4f}"
    return str(value)


def parse_display(text: str, kind: str) -> float | None:
    """Inverse of :func:`display` for numeric kinds (in the mart's unit: ratios, not percent)."""
    text = text.strip()
    if text == MISSING:
        return None
    number = float(text.replace(",", "").replace("%", "").strip())
    return number / 100 if kind in ("pct", "signed_pct") else number


def bar_width(value: object, largest: float) -> float:
    """Width in percent of a bar for ``value`` when the column's largest value fills the cell."""
    if value is None or largest <= 0:
        return 0.0
    return max(0.0, min(100.0, float(value) / largest * 100))
