"""JSONL lines -> raw columns.

Each line must be one JSON object (RFC 8259: no NaN/Infinity, no trailing commas). Declared keys
become columns: strings unquoted, numbers/booleans/nested values as their JSON text, null as NULL.
Keys match exactly first, then case-insensitively after trimming; the rest go to `_extra`.

Fast path (DuckDB JSON functions, vectorised) for lines whose keys are all declared and that hold
nothing DuckDB reads more leniently or less exactly than the standard (NaN, trailing commas,
numbers of 16+ digits). The rest goes through Python's json module with number text kept as
delivered; DuckDB writes numbers in its own canonical form (e.g. 12.50 -> 12.5). A key repeated
in one object (RFC 8259 leaves this undefined): the fast path keeps the first value, the Python
path the last.
"""

from __future__ import annotations

import json
from typing import Any

from orchestration.lib.contract import Entity

from .decode import RAW_LINE_CHARS, Reject
from .parse_csv import is_blank

# Lines matching any of these take the Python path: what DuckDB's parser accepts but RFC 8259
# does not (trailing commas; NaN and Inf/Infinity in any case, signed or not), and decimals long
# enough to lose digits as doubles (integers of any length keep their digits). Separate patterns
# are much faster than one alternation; a false positive only costs the slower path.
SUSPICIOUS = (r",\s*[\]}]", r"\.[0-9]{15}")
# A bare NaN or Inf is a value, so it follows ':', '[' or ',' and optional whitespace; a word in
# a string ('infant_formula', 'info') does not, which used to send 6 % of real event lines to
# Python. The exact pattern is 4x slower than a plain 'inf'/'nan' search, so it runs only on the
# lines where one of those is found.
BARE_TOKEN_HINTS = (r"[Ii][Nn][Ff]", r"[Nn][Aa][Nn]")
BARE_TOKEN = r"[:\[,]\s*[+-]?([Ii][Nn][Ff]|[Nn][Aa][Nn])"


class _Num(str):
    """A JSON number kept as its text."""

    __slots__ = ()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decode = json.JSONDecoder(parse_int=_Num, parse_float=_Num, parse_constant=_no_constants).decode


def _dump(v: Any) -> str:
    """JSON text of a parsed value, numbers exactly as delivered."""
    if isinstance(v, _Num):
        return str.__str__(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, dict):
        return "{" + ",".join(f"{_dump(str(k))}:{_dump(x)}" for k, x in v.items()) + "}"
    return "[" + ",".join(_dump(x) for x in v) + "]"


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is str:
        return v
    if isinstance(v, _Num):
        return str.__str__(v)
    return _dump(v)


class JsonlParser:
    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.columns = entity.columns
        self.declared = frozenset(entity.columns)

    # -- fast path -------------------------------------------------------------------------
    def classify(self) -> tuple[str, dict[str, object]]:
        declared = ", ".join(f"'{c}'" for c in self.columns)  # contract names: plain identifiers
        # patterns inline (no parameters): quote-free, and DuckDB reads '\' literally in '...'
        suspicious = " ".join(f"AND NOT regexp_matches(line, '{rx}')" for rx in SUSPICIOUS)
        hint = " OR ".join(f"regexp_matches(line, '{rx}')" for rx in BARE_TOKEN_HINTS)
        suspicious += (
            f" AND NOT (CASE WHEN {hint} THEN regexp_matches(line, '{BARE_TOKEN}') ELSE false END)"
        )
        # JSON functions only on lines json_valid accepts (CASE evaluates THEN on those rows
        # alone): an error in a vector makes try() redo the whole vector row by row, which cost
        # 6x the parse on real files (2 % malformed lines). try() stays as a safety net.
        # Valid JSON whose first character after JSON whitespace is '{' is an object.
        objects_of_declared_keys = (
            "try(CASE WHEN json_valid(line) "
            "AND starts_with(ltrim(line, ' ' || chr(9) || chr(10) || chr(13)), '{') "
            f"THEN len(list_filter(json_keys(line), k -> k NOT IN ({declared}))) = 0 END)"
        )
        sql = (
            f"SELECT row_no, coalesce({objects_of_declared_keys} {suspicious}, false) AS fast "
            "FROM _landing_lines"
        )
        return sql, {}

    def fast_select(self) -> tuple[str, dict[str, object]]:
        # from_json parses each line once; VARCHAR fields give strings unquoted, numbers,
        # booleans and nested values as JSON text, null as NULL.
        struct = "{" + ", ".join(f'"{c}": "VARCHAR"' for c in self.columns) + "}"
        cols = ", ".join(f'v."{c}"' for c in self.columns)
        sql = (
            f"SELECT {cols}, NULL, line_no, _source_file, _file_sha256 FROM (SELECT line_no, "
            f"_source_file, _file_sha256, from_json(line, '{struct}') AS v "
            "FROM _landing_class WHERE fast)"
        )
        return sql, {}

    # -- slow path -------------------------------------------------------------------------
    def parse(
        self, numbers: list[int], texts: list[str]
    ) -> tuple[list[list[str | None] | None], list[str | None] | None, list[int], list[Reject]]:
        """Parse lines with the json module: (declared columns, _extra, line numbers, rejects)."""
        rows: list[list[str | None]] = []
        extras: list[str | None] = []
        kept: list[int] = []
        rejects: list[Reject] = []
        for number, text in zip(numbers, texts, strict=True):
            try:
                row, extra = self._parse_line(text)
            except _LineError as exc:
                rejects.append((number, str(exc), text[:RAW_LINE_CHARS]))
                continue
            rows.append(row)
            extras.append(extra)
            kept.append(number)
        by_col = list(zip(*rows, strict=True)) if rows else [()] * len(self.columns)
        columns: list[list[str | None] | None] = [list(c) for c in by_col]
        return columns, (extras if any(e is not None for e in extras) else None), kept, rejects

    def _parse_line(self, text: str) -> tuple[list[str | None], str | None]:
        if is_blank(text):
            raise _LineError("blank line")
        try:
            obj = _decode(text)
        except RecursionError:
            raise _LineError("invalid json: nesting too deep") from None
        except ValueError as exc:
            msg = getattr(exc, "msg", None) or str(exc)
            raise _LineError(f"invalid json: {msg}"[:200]) from None
        if type(obj) is not dict:
            raise _LineError("not a JSON object")
        values: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for k, v in obj.items():
            if k in self.declared:
                values[k] = v
            else:
                rest[k] = v
        extra: dict[str, Any] = {}
        for k, v in rest.items():
            key = k.strip().lower()
            if key in self.declared and key not in values:
                values[key] = v
            else:
                extra[k] = v
        try:
            row = [_text(values.get(c)) for c in self.columns]
            extra_text = _dump(extra) if extra else None
        except RecursionError:
            raise _LineError("invalid json: nesting too deep") from None
        if "\\u" in text or "\\U" in text:  # only escapes can produce lone surrogates
            try:
                for value in (*row, extra_text):
                    if value is not None:
                        value.encode("utf-8")
            except UnicodeEncodeError:
                raise _LineError("invalid json: lone surrogate escape") from None
        return row, extra_text


class _LineError(Exception):
    pass
