"""Normalisation and keyed hashing of personal data (orchestration/lib/privacy/hashing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.lib.privacy.hashing import (
    keyed_hash,
    normalise_email,
    normalise_national_id,
    normalise_phone,
)
from orchestration.lib.settings import DEV_PII_KEY, PII_KEY_ENV

E164 = "+8613812345678"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", E164),
        ("+8613812345678", E164),
        ("+86 138 1234 5678", E164),
        ("0086-13812345678", E164),
        ("0086 138-1234-5678", E164),
        ("86 13812345678", E164),
        ("138-1234-5678", E164),
        ("(138) 1234 5678", E164),
        ("+86 (138) 1234.5678", E164),
        ("  13812345678\t", E164),
        ("19912345678", "+8619912345678"),
        # invalid
        ("1381234567", None),  # too short
        ("138123456789", None),  # too long
        ("12812345678", None),  # second digit 2
        ("010-12345678", None),  # Beijing landline
        ("+852 9123 4567", None),  # Hong Kong
        ("+1 415 555 0100", None),  # US
        ("+87 13812345678", None),  # wrong country code
        ("138l2345678", None),  # letter l for 1
        ("１３８１２３４５６７８", None),  # full-width digits: not ASCII, rejected like in SQL
        ("", None),
        (None, None),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


def test_normalise_email_and_national_id():
    assert normalise_email("  Alice@Example.COM ") == "alice@example.com"
    assert normalise_email("not-an-email") is None
    assert normalise_email("") is None
    assert normalise_email(None) is None
    assert normalise_national_id(" 11010519491231002x ") == "11010519491231002X"
    assert normalise_national_id("1101051949123100") is None
    assert normalise_national_id(None) is None


def test_keyed_hash_is_hmac_sha256_hex():
    import hashlib
    import hmac

    h = keyed_hash(E164, b"k")
    assert h == hmac.new(b"k", E164.encode(), hashlib.sha256).hexdigest()
    assert len(h) == 64 and h == h.lower()
    assert keyed_hash(None, b"k") is None


def test_keyed_hash_default_key_comes_from_environment(monkeypatch):
    monkeypatch.delenv(PII_KEY_ENV, raising=False)
    assert keyed_hash(E164) == keyed_hash(E164, DEV_PII_KEY.encode())
    monkeypatch.setenv(PII_KEY_ENV, "prod-key")
    assert keyed_hash(E164) == keyed_hash(E164, b"prod-key")
    assert keyed_hash(E164) != keyed_hash(E164, DEV_PII_KEY.encode())


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
prefixes = st.sampled_from(["", "+86", "0086", "86", "+86 ", "0086-", "(+86) "])
separators = st.sampled_from(["", " ", "-", "  ", ".", "\t"])


@st.composite
def spellings(draw):
    """A mobile and one of its many human spellings."""
    digits = draw(mobiles)
    sep = draw(separators)
    body = digits[:3] + sep + digits[3:7] + draw(separators) + digits[7:]
    if draw(st.booleans()):
        body = "(" + digits[:3] + ")" + sep + digits[3:]
    return digits, draw(st.sampled_from(["", " "])) + draw(prefixes) + body + draw(
        st.sampled_from(["", " "])
    )


@given(spellings())
def test_every_spelling_of_a_number_gives_one_e164_and_one_hash(case):
    digits, spelling = case
    assert normalise_phone(spelling) == "+86" + digits
    assert keyed_hash(normalise_phone(spelling), b"k") == keyed_hash("+86" + digits, b"k")


@given(st.text(alphabet="0123456789+-() .86x\t", max_size=20))
def test_normalise_phone_is_idempotent(s):
    once = normalise_phone(s)
    assert normalise_phone(once) == once
    assert once is None or (once.startswith("+861") and len(once) == 14)


@given(st.text(max_size=30))
def test_normalise_email_and_id_are_idempotent(s):
    for f in (normalise_email, normalise_national_id):
        once = f(s)
        assert f(once) == once


# Printable keys: HMAC zero-pads short keys, so b"k" and b"k\x00" are the same key by design.
keys = st.from_regex(r"[A-Za-z0-9_-]{8,40}", fullmatch=True).map(str.encode)


@given(mobiles, keys, keys)
def test_different_key_gives_different_hash(digits, k1, k2):
    if k1 != k2:
        assert keyed_hash("+86" + digits, k1) != keyed_hash("+86" + digits, k2)


@given(mobiles, mobiles)
def test_different_numbers_give_different_hashes(a, b):
    if a != b:
        assert keyed_hash("+86" + a, b"k") != keyed_hash("+86" + b, b"k")
