"""CLI: python -m orchestration.lib.erasure --phone "+86 138 1234 5678" [--email ...]
[--id user_id:U00000001] [--dry-run]

Exit codes: 0 erased and verified (or dry run), 1 verification found the person, 2 bad input.
The output names tables, files and counts only, never the person's values.
"""

from __future__ import annotations

import argparse
import sys

from orchestration.lib.erasure.identify import NotAPerson
from orchestration.lib.erasure.run import erase


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m orchestration.lib.erasure", description=__doc__)
    ap.add_argument("--phone", action="append", default=[], help="phone, any spelling")
    ap.add_argument("--email", action="append", default=[], help="e-mail address")
    ap.add_argument(
        "--id",
        action="append",
        default=[],
        metavar="TYPE:VALUE",
        help="a known id of the person: user_id, device_id, openid, member_id or card_no",
    )
    ap.add_argument("--dry-run", action="store_true", help="report what would go; change nothing")
    args = ap.parse_args(argv)
    phones = [p for p in args.phone if p.strip()]
    emails = [e for e in args.email if e.strip()]
    ids = [tuple(i.split(":", 1)) for i in args.id if ":" in i]
    if len(ids) != len(args.id):
        ap.error("--id takes TYPE:VALUE, e.g. user_id:U00000001")
    if not phones and not emails and not ids:
        ap.error("give --phone, --email and/or --id")
    try:
        report = erase(phones, emails, dry_run=args.dry_run, ids=ids)
    except (NotAPerson, FileNotFoundError) as exc:
        print(f"erasure: {exc}", file=sys.stderr)
        return 2
    print(report.describe())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
