"""What identifies one person: normalised phones and e-mails, their keyed hashes, linked ids.

The same terms drive deletion (SQL, RE2), inbox line filtering and byte verification (Python
``re``): one definition, so what is deleted is exactly what verification looks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Separators people put inside phone numbers (mirrors privacy.hashing.PHONE_SEPARATORS).
_SEP = r"[ \t().\-]*"
# An id is a whole token: not glued to letters, digits or '_' on either side.
_WORD = "0-9A-Za-z_"


def phone_pattern(national: str) -> str:
    """Regex body for an 11-digit mainland mobile in any spelling (+86 / 0086 / 86, separators)."""
    return rf"(?:(?:\+|00)?86{_SEP})?" + _SEP.join(national)


_META = set(r"\.^$|?*+()[]{}-#&~ /")


def _escape(value: str) -> str:
    """Escape for both RE2 and Python ``re``: a backslash before ASCII punctuation only."""
    return "".join("\\" + c if c in _META else c for c in value)


def _alternation(values: Iterable[str]) -> str:
    # Longest first, so a value that prefixes another never wins the alternation early.
    return "|".join(_escape(v) for v in sorted(set(values), key=lambda v: (-len(v), v)))


@dataclass
class PersonTerms:
    """Everything that refers to one person. ``ids`` maps an id type to its values."""

    phones: tuple[str, ...]  # national numbers, 11 digits
    emails: tuple[str, ...]  # normalised (trimmed, lower-case)
    hashes: set[str] = field(default_factory=set)
    ids: dict[str, set[str]] = field(default_factory=dict)

    def add(self, id_type: str, values: Iterable[str | None]) -> int:
        """Add non-empty values under ``id_type``; return how many were new."""
        have = self.ids.setdefault(id_type, set())
        before = len(have)
        have.update(v for v in values if v is not None and v.strip() != "")
        return len(have) - before

    def id_values(self) -> set[str]:
        return set().union(*self.ids.values()) if self.ids else set()

    def exact_terms(self) -> set[str]:
        """Values a column may equal exactly (compared with SQL ``IN``)."""
        e164 = {f"+86{p}" for p in self.phones}
        return self.id_values() | self.hashes | set(self.emails) | e164 | set(self.phones)

    def counts(self) -> dict[str, int]:
        """Number of identifiers per type: safe to log (no values)."""
        out = {"phone": len(self.phones), "email": len(self.emails), "hash": len(self.hashes)}
        out.update({k: len(v) for k, v in sorted(self.ids.items())})
        return out

    # -- patterns -------------------------------------------------------------------------
    def _parts(self) -> dict[str, str]:
        parts = {}
        if self.phones:
            parts["phone"] = "|".join(phone_pattern(p) for p in self.phones)
        if self.emails:
            parts["email"] = _alternation(self.emails)
        if self.hashes:
            parts["hash"] = _alternation(self.hashes)
        if ids := self.id_values():
            parts["id"] = _alternation(ids)
        return parts

    def sql_regex(self) -> str:
        """One RE2 pattern (no look-around in RE2): any term as a whole token inside a value."""
        alts = []
        for kind, body in self._parts().items():
            if kind == "phone":
                alts.append(f"(?:^|[^0-9])(?:{body})(?:$|[^0-9])")
            elif kind == "email":
                alts.append(f"(?i:{body})")
            else:
                alts.append(f"(?:^|[^{_WORD}])(?:{body})(?:$|[^{_WORD}])")
        return "|".join(alts) if alts else "(?!)"  # "(?!)" never used: terms are never empty

    def byte_patterns(self) -> dict[str, re.Pattern[bytes]]:
        """Per kind, a Python bytes pattern with look-around (for files and mmap'ed bytes)."""
        out = {}
        for kind, body in self._parts().items():
            if kind == "phone":
                pat = rf"(?<![0-9])(?:{body})(?![0-9])"
            elif kind == "email":
                pat = rf"(?i:{body})"
            else:
                pat = rf"(?<![{_WORD}])(?:{body})(?![{_WORD}])"
            out[kind] = re.compile(pat.encode("utf-8"))
        return out

    def line_pattern(self) -> re.Pattern[bytes]:
        """All kinds in one bytes pattern, for filtering inbox lines."""
        return re.compile(b"|".join(p.pattern for p in self.byte_patterns().values()))
