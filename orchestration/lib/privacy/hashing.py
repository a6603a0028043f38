"""Normalisation and keyed hashing of personal data.

The SQL macros in ``dbt_project/macros/privacy/`` (``normalise_phone_e164``,
``normalise_email``, ``normalise_national_id``) mirror these functions exactly; the unit test
``tests/unit/test_privacy_sql_parity.py`` runs both on the same inputs and demands equal output,
so a value normalised in Python (e.g. a marketer's suppression list) hashes to the same
``*_hash`` as the value staged by dbt.

Only ASCII characters are recognised on purpose: RE2 (DuckDB) and Spark's regex engine disagree
with Python's ``re`` on what ``\\s`` and ``\\d`` mean for non-ASCII characters (full-width digits,
ideographic spaces), so the patterns spell out ``[0-9]`` and the separator set explicitly.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from orchestration.lib.settings import pii_key

# Characters people put inside phone numbers: spaces, tabs, dashes, parentheses, dots.
PHONE_SEPARATORS = re.compile(r"[ \t\r\n().\-]")
# Optional country prefix (+86, 0086, 86) then a mainland mobile: 1, a second digit 3-9, 9 digits.
MAINLAND_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
EMAIL = re.compile(r"[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+")
NATIONAL_ID = re.compile(r"[0-9]{17}[0-9X]")


def normalise_phone(value: str | None) -> str | None:
    """A mainland mobile number in E.164 (``+8613812345678``), or None when it is not one.

    Accepts ``+86 138 1234 5678``, ``0086-13812345678``, ``(138) 1234-5678``, ``8613812345678``.
    Landlines, non-mainland numbers, too short / too long and non-digit garbage give None.
    Idempotent: ``normalise_phone(normalise_phone(x)) == normalise_phone(x)``.
    """
    if value is None:
        return None
    compact = PHONE_SEPARATORS.sub("", value)
    match = MAINLAND_MOBILE.fullmatch(compact)
    return f"+86{match.group(1)}" if match else None


def normalise_email(value: str | None) -> str | None:
    """Trimmed, lower-cased e-mail address, or None when empty or not shaped like one."""
    if value is None:
        return None
    email = value.strip(" \t\r\n").lower()
    return email if EMAIL.fullmatch(email) else None


def normalise_national_id(value: str | None) -> str | None:
    """Trimmed, upper-cased 18-character resident ID number, or None when not shaped like one."""
    if value is None:
        return None
    nid = value.strip(" \t\r\n").upper()
    return nid if NATIONAL_ID.fullmatch(nid) else None


def keyed_hash(value: str | None, key: bytes | None = None) -> str | None:
    """HMAC-SHA256(key, value) as 64 lower-case hex characters; None stays None.

    ``key`` defaults to :func:`orchestration.lib.settings.pii_key` (environment variable
    ``LAKEHOUSE_PII_KEY``). Pass already-normalised values: the hash is of the exact string.
    """
    if value is None:
        return None
    if key is None:
        key = pii_key()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
