"""Attacks on the pseudonymised data, as an insider holding the database but not the key."""

from __future__ import annotations

import hashlib
import hmac
import random

import duckdb
import pyarrow.parquet as pq

from orchestration.lib.settings import DEV_PII_KEY
from tests.conftest import TEST_PII_KEY

# Mainland mobile number segments (MIIT allocations), as an attacker would enumerate them.
MOBILE_PREFIXES = [
    *range(130, 140),
    145,
    147,
    149,
    *range(150, 154),
    *range(155, 160),
    162,
    165,
    166,
    167,
    *range(170, 179),
    *range(180, 190),
    *range(190, 200),
]
SAMPLE_PER_PREFIX = 400


def _distinct_values(database, columns_where: str) -> set[str]:
    """Every distinct non-null value of the columns information_schema selects."""
    conn = duckdb.connect(str(database), read_only=True)
    try:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where {columns_where}"
        ).fetchall()
        values: set[str] = set()
        for schema, table, column in columns:
            rows = conn.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            values |= {v for (v,) in rows}
        return values
    finally:
        conn.close()


def _staged_phone_hashes(warehouse) -> set[str]:
    return _distinct_values(
        warehouse, "table_schema = 'staging' and column_name like '%phone_hash'"
    )


def _true_phones(inbox) -> list[str]:
    ids = pq.read_table(inbox / "_truth" / "identifiers.parquet").to_pylist()
    return sorted({r["id_value"] for r in ids if r["id_type"] == "phone"})


def _candidate_digests(e164: str, guessed_keys: list[bytes]) -> set[str]:
    national = e164.removeprefix("+86")
    out = set()
    for text in (e164, national, "86" + national, "0086" + national):
        data = text.encode()
        out.add(hashlib.sha256(data).hexdigest())
        out.add(hashlib.md5(data).hexdigest())
        out.add(hashlib.sha1(data).hexdigest())
        for key in guessed_keys:
            out.add(hmac.new(key, data, hashlib.sha256).hexdigest())
            out.add(hashlib.sha256(key + data).hexdigest())
            out.add(hashlib.sha256(data + key).hexdigest())
    return out


def test_dictionary_attack_over_mobile_prefixes_finds_nothing(pipeline_build):
    staged = _staged_phone_hashes(pipeline_build["warehouse"])
    assert len(staged) > 100

    rng = random.Random(20261125)
    dictionary = [
        f"+86{prefix}{rng.randrange(10**8):08d}"
        for prefix in MOBILE_PREFIXES
        for _ in range(SAMPLE_PER_PREFIX)
    ]
    # The worst case for us: the attacker's dictionary contains every real number.
    dictionary += _true_phones(pipeline_build["inbox"])
    guessed_keys = [b"", DEV_PII_KEY.encode(), b"secret", b"pepper", b"salt"]

    found = set()
    for e164 in dictionary:
        found |= _candidate_digests(e164, guessed_keys) & staged
    assert found == set()

    # Control: the same attack with the real key recovers the numbers, so the test can fail.
    keyed = {
        hmac.new(TEST_PII_KEY.encode(), p.encode(), hashlib.sha256).hexdigest()
        for p in _true_phones(pipeline_build["inbox"])
    }
    assert len(keyed & staged) >= 0.9 * len(staged)


def test_serving_file_holds_no_hash_of_a_known_number_without_the_key(pipeline_build):
    """BI users see only marts; even those carry no unkeyed digest of any real number."""
    values = _distinct_values(pipeline_build["serving"], "data_type = 'VARCHAR'")
    phones = _true_phones(pipeline_build["inbox"])
    unkeyed = set()
    for p in phones:
        unkeyed |= _candidate_digests(p, [b"", DEV_PII_KEY.encode()])
        unkeyed.add(p)
        unkeyed.add(p.removeprefix("+86"))
    assert values & unkeyed == set()
