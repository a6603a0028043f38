"""CLI: python -m orchestration.lib.generator --customers N --days D --start YYYY-MM-DD ..."""

from __future__ import annotations

import argparse
import sys

from .core import generate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m orchestration.lib.generator",
        description="Write a synthetic inbox (and its truth) to --out.",
    )
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--start", default="2025-11-01", help="first day, YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default="data/inbox")
    p.add_argument("--dirt-rate", type=float, default=0.02)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    a = p.parse_args(argv)
    r = generate(a.customers, a.days, a.start, a.seed, a.out, a.dirt_rate, progress=not a.quiet)
    print(
        f"{sum(r.lines_written.values()):,} lines in {len(r.files):,} files "
        f"(+{len(r.redelivered)} re-deliveries), {r.bytes_written / 1e6:,.1f} MB, "
        f"{r.elapsed_s:,.1f} s -> {r.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
