"""Find everything that identifies the person, starting from a phone and/or an e-mail.

1. Seed: ids the request names (e.g. the account ``user_id``) and the keyed hashes of the
   normalised phone / e-mail; rows that carry them (``phone_hash``, ``email_hash`` outside raw;
   ``phone`` / ``email`` in raw, normalised in SQL) give the person's own ids (user_id,
   device_id, openid, member_id, card_no) and national-ID hash. A phone seen only as an order's
   receiver phone identifies no account (gifts): name the account with ``--id`` then.
2. Expand: with ``int_identifiers_resolved`` the whole resolved customer cluster (and its
   customer_id, plus earlier customer_ids from any table keyed by ``identifier_key``); without
   it, a bounded walk over rows that carry two identity columns. Identifiers the over-merge
   guard excluded (shared devices, counter phones) are never expanded: they belong to many.
3. Orders: order / receipt ids of every row that refers to the person join the set, until no
   new ones appear (so order items, payments, refunds and shipments of those orders go too).
   Gift orders whose receiver phone is the person's are included; the giver's ids are not.
"""

from __future__ import annotations

import duckdb

from orchestration.lib.erasure.catalog import Table, find, lit, q, tables
from orchestration.lib.erasure.match import RAW_SCHEMA, content_predicate, register_values
from orchestration.lib.erasure.terms import PersonTerms
from orchestration.lib.privacy.hashing import (
    keyed_hash,
    normalise_email,
    normalise_national_id,
    normalise_phone,
)

# Identity columns -> id type (as in int_identifiers_resolved).
ID_COLUMNS = {
    "user_id": "user_id",
    "device_id": "device_id",
    "openid": "openid",
    "member_id": "member_id",
    "card_no": "card_no",
    "member_card_no": "card_no",
}
ID_TYPES = frozenset(ID_COLUMNS.values())
# Hash columns that identify their row's owner. receiver_phone_hash does not: gifts.
OWNER_HASH_COLUMNS = ("phone_hash", "email_hash", "national_id_hash")
ORDER_COLUMNS = ("order_id", "receipt_id")
GUARD_TABLES = ("identity_excluded_identifiers", "int_identity_guard")
MIN_ID_LENGTH = 4  # shorter values ('0', 'NA') are placeholders, never expanded
MAX_ROUNDS = 5


class NotAPerson(ValueError):
    """Neither a valid phone nor a valid e-mail was given."""


def seed_terms(
    phones: list[str],
    emails: list[str],
    key: bytes | None = None,
    ids: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
) -> PersonTerms:
    """Terms from what the request gives: phones, e-mails and known ids ((id_type, value))."""
    e164 = [normalise_phone(p) for p in phones]
    mails = [normalise_email(e) for e in emails]
    bad = [p for p, n in zip(phones, e164, strict=True) if n is None]
    bad += [e for e, n in zip(emails, mails, strict=True) if n is None]
    bad += [f"{t}:{v}" for t, v in ids if t not in ID_TYPES or len(v.strip()) < MIN_ID_LENGTH]
    if bad or not (phones or emails or ids):
        raise NotAPerson(f"{len(bad)} value(s) are not a mainland mobile, e-mail address or id")
    terms = PersonTerms(
        phones=tuple(sorted({p[3:] for p in e164 if p})),
        emails=tuple(sorted({e for e in mails if e})),
    )
    terms.hashes = {keyed_hash(v, key) for v in [*e164, *mails] if v}
    for id_type, value in ids:
        terms.add(id_type, [value.strip()])
    return terms


def _seed_condition(t: Table, terms: PersonTerms) -> str | None:
    """Rows that carry the person's own phone / e-mail (not a receiver phone)."""
    if t.schema == RAW_SCHEMA:
        parts = []
        if "phone" in t.columns and terms.phones:
            nums = ", ".join(lit(x + p) for p in terms.phones for x in ("", "86", "0086"))
            parts.append(f"regexp_replace(phone, '[^0-9]', '', 'g') in ({nums})")
        if "email" in t.columns and terms.emails:
            parts.append(f"lower(trim(email)) in ({', '.join(lit(e) for e in terms.emails)})")
        return " or ".join(parts) or None
    cols = [c for c in OWNER_HASH_COLUMNS if c in t.columns]
    return " or ".join(f"{q(c)} in (select v from __erasure_hashes)" for c in cols) or None


def _add_row_ids(terms: PersonTerms, key: bytes | None, cols: list[str], rows) -> int:
    new = 0
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            if value is None:
                continue
            value = str(value).strip()
            if col in ID_COLUMNS and len(value) >= MIN_ID_LENGTH:
                new += terms.add(ID_COLUMNS[col], [value])
            elif col in OWNER_HASH_COLUMNS and value not in terms.hashes:
                terms.hashes.add(value)
                new += 1
            elif col == "national_id" and (nid := normalise_national_id(value)):
                new += terms.add("national_id", [value, nid])
                terms.hashes.add(keyed_hash(nid, key))
    return new


def _seed(conn, all_tables: list[Table], terms: PersonTerms, key: bytes | None) -> None:
    register_values(conn, "__erasure_hashes", terms.hashes)
    for t in all_tables:
        cond = _seed_condition(t, terms)
        cols = [c for c in (*ID_COLUMNS, *OWNER_HASH_COLUMNS, "national_id") if c in t.columns]
        if cond and cols:
            sel = ", ".join(q(c) for c in cols)
            rows = conn.execute(f"select distinct {sel} from {t.ref} where {cond}").fetchall()
            _add_row_ids(terms, key, cols, rows)


def _excluded(conn, all_tables: list[Table]) -> set[str]:
    out: set[str] = set()
    for name in GUARD_TABLES:
        if g := find(all_tables, name, "id_value"):
            rows = conn.execute(f"select distinct id_value from {g.ref}").fetchall()
            out |= {r[0] for r in rows}
    return out


def _expand_resolved(conn, resolved: Table, terms: PersonTerms) -> None:
    register_values(conn, "__erasure_ids", terms.id_values() | terms.hashes)
    rows = conn.execute(
        f"""select id_type, id_value, customer_id from {resolved.ref}
            where customer_id in (select customer_id from {resolved.ref}
                                  where id_value in (select v from __erasure_ids))"""
    ).fetchall()
    for id_type, id_value, customer_id in rows:
        terms.add("customer_id", [customer_id])
        if id_type.endswith("_hash"):
            terms.hashes.add(id_value)
        else:
            terms.add(id_type, [id_value])


def _expand_walk(conn, all_tables: list[Table], terms: PersonTerms, excluded: set[str]) -> None:
    """No resolved identity yet: follow rows carrying two identity columns, a few hops."""
    for _ in range(MAX_ROUNDS):
        register_values(conn, "__erasure_ids", terms.id_values() - excluded)
        new = 0
        for t in all_tables:
            cols = [c for c in ID_COLUMNS if c in t.columns]
            if len(cols) < 2:
                continue
            cond = " or ".join(f"trim({q(c)}) in (select v from __erasure_ids)" for c in cols)
            rows = conn.execute(
                f"select distinct {', '.join(map(q, cols))} from {t.ref} where {cond}"
            ).fetchall()
            new += _add_row_ids(terms, None, cols, rows)
        terms.ids = {k: v - excluded for k, v in terms.ids.items()}
        if not new:
            return


def _earlier_customer_ids(conn, all_tables: list[Table], terms: PersonTerms) -> None:
    """customer_ids the person's identifiers had before (merges, splits): history tables."""
    keys = {f"{t}:{v}" for t, vals in terms.ids.items() for v in vals}
    keys |= {f"{t}:{h}" for t in OWNER_HASH_COLUMNS for h in terms.hashes}
    register_values(conn, "__erasure_keys", keys)
    for t in all_tables:
        cols = [c for c in t.columns if c.endswith("customer_id")]
        if "identifier_key" in t.columns and cols:
            for row in conn.execute(
                f"select distinct {', '.join(map(q, cols))} from {t.ref} "
                "where identifier_key in (select v from __erasure_keys)"
            ).fetchall():
                terms.add("customer_id", row)


def _expand_orders(conn, all_tables: list[Table], terms: PersonTerms) -> None:
    for _ in range(MAX_ROUNDS):
        regex, new = terms.sql_regex(), 0
        for t in all_tables:
            cols = [c for c in ORDER_COLUMNS if c in t.columns]
            pred = content_predicate(t, terms, regex)
            if not cols or not pred:
                continue
            for row in conn.execute(
                f"select distinct {', '.join(map(q, cols))} from {t.ref} where {pred}"
            ).fetchall():
                new += terms.add("order_id", [v for v in row if v and len(v) >= MIN_ID_LENGTH])
        if not new:
            return


def identify(
    conn: duckdb.DuckDBPyConnection,
    phones: list[str],
    emails: list[str],
    key: bytes | None = None,
    ids: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
) -> PersonTerms:
    """All identifiers of the person in the warehouse ``conn`` (read-only use)."""
    terms = seed_terms(phones, emails, key, ids)
    all_tables = tables(conn)
    _seed(conn, all_tables, terms, key)
    excluded = _excluded(conn, all_tables) - terms.hashes
    terms.ids = {k: v - excluded for k, v in terms.ids.items()}
    resolved = find(all_tables, "int_identifiers_resolved", "id_type", "id_value", "customer_id")
    if resolved is not None:
        _expand_resolved(conn, resolved, terms)
    else:
        _expand_walk(conn, all_tables, terms, excluded)
    _earlier_customer_ids(conn, all_tables, terms)
    terms.ids = {k: {v for v in vals if v not in excluded} for k, vals in terms.ids.items()}
    _expand_orders(conn, all_tables, terms)
    for name in ("__erasure_hashes", "__erasure_ids", "__erasure_keys"):
        conn.unregister(name)
    return terms
