"""CSV lines -> raw columns.

Physical-line semantics: every physical line is one record. A quoted field that runs over the
end of its line (a quoted newline) rejects that line as 'unterminated quoted field', and the next
line is parsed on its own (it usually rejects as 'wrong field count'). This keeps `_line_number`
exact and `lines = landed + rejected` true; producers must not put newlines inside fields.

Fast path (DuckDB, vectorised): lines with no '"' and no '\\r' split on ','. Everything else goes
through Python's csv module, which gives the same answer on such lines.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from itertools import chain, islice

from orchestration.lib.contract import Entity

from .decode import RAW_LINE_CHARS, Reject

CSV_FIELD_LIMIT = 131072  # csv module default field_size_limit; longer lines take the slow path


@dataclass(frozen=True)
class CsvLayout:
    width: int
    index: tuple[int | None, ...]  # per declared column: its header position, None if absent
    extra: tuple[tuple[str, int], ...]  # (key in _extra, header position) of unknown columns
    missing_required: tuple[str, ...]


def read_header(entity: Entity, text: str) -> CsvLayout:
    """Match header names case-insensitively after trimming; unknown names go to _extra."""
    try:
        names = next(csv.reader([text]), [])
    except csv.Error:
        names = []
    declared = set(entity.columns)
    position: dict[str, int] = {}
    extra: list[tuple[str, int]] = []
    used: set[str] = set()
    for pos, name in enumerate(names):
        key = name.strip().lower()
        if key in declared and key not in position:
            position[key] = pos
            continue
        label = name.strip() or f"_col{pos + 1}"
        base, n = label, 2
        while label in used or label in declared:
            label, n = f"{base}_{n}", n + 1
        used.add(label)
        extra.append((label, pos))
    missing = tuple(c for c in entity.columns if c in entity.required and c not in position)
    return CsvLayout(
        width=len(names),
        index=tuple(position.get(c) for c in entity.columns),
        extra=tuple(extra),
        missing_required=missing,
    )


def is_blank(text: str) -> bool:
    return not text.strip(" \t")


class CsvParser:
    def __init__(self, entity: Entity, layout: CsvLayout) -> None:
        self.entity = entity
        self.layout = layout

    # -- fast path -------------------------------------------------------------------------
    def classify(self) -> tuple[str, dict[str, object]]:
        # With 2+ fields a line that splits into exactly that many holds a ',', so it is not
        # blank: the (costly) blank test is needed only for a one-column layout.
        blank = " AND trim(line, ' ' || chr(9)) <> ''" if self.layout.width < 2 else ""
        sql = (
            "SELECT row_no, (NOT contains(line, '\"') AND NOT contains(line, chr(13)) "
            f"AND length(line) <= {CSV_FIELD_LIMIT}{blank} "
            f"AND len(string_split(line, ',')) = {self.layout.width}) AS fast FROM _landing_lines"
        )
        return sql, {}

    def fast_select(self) -> tuple[str, dict[str, object]]:
        cols = [f"p[{i + 1}]" if i is not None else "NULL" for i in self.layout.index]
        params: dict[str, object] = {}
        if self.layout.extra:
            pairs = []
            for k, (label, pos) in enumerate(self.layout.extra):
                params[f"k{k}"] = label  # a parameter: header names may hold any character
                pairs.append(f"$k{k}, p[{pos + 1}]")
            cols.append(f"json_object({', '.join(pairs)})")
        else:
            cols.append("NULL")
        sql = (
            f"SELECT {', '.join(cols)}, line_no, _source_file, _file_sha256 FROM (SELECT line_no, "
            "_source_file, _file_sha256, string_split(line, ',') AS p "
            "FROM _landing_class WHERE fast)"
        )
        return sql, params

    # -- slow path -------------------------------------------------------------------------
    def parse(
        self, numbers: list[int], texts: list[str]
    ) -> tuple[list[list[str | None] | None], list[str | None] | None, list[int], list[Reject]]:
        """Parse lines with the csv module: (declared columns, _extra, line numbers, rejects)."""
        width = self.layout.width
        rows: list[list[str]] = []
        kept: list[int] = []
        rejects: list[Reject] = []
        n = len(texts)
        start = 0
        while start < n:
            # A sentinel '' makes an open quote on the last line visible as a two-line record.
            reader = csv.reader(chain(islice(texts, start, None), ("",)))
            prev = 0
            restart = n
            try:
                for row in reader:
                    i = start + prev
                    if i >= n:
                        break
                    if reader.line_num - prev > 1:
                        rejects.append((numbers[i], "unterminated quoted field", _raw(texts[i])))
                        restart = i + 1
                        break
                    prev = reader.line_num
                    text = texts[i]
                    if is_blank(text):
                        rejects.append((numbers[i], "blank line", _raw(text)))
                    elif len(row) != width:
                        reason = f"wrong field count: expected {width}, got {len(row)}"
                        rejects.append((numbers[i], reason, _raw(text)))
                    else:
                        rows.append(row)
                        kept.append(numbers[i])
            except csv.Error as exc:
                i = start + prev
                if i < n:
                    rejects.append((numbers[i], f"csv error: {exc}"[:200], _raw(texts[i])))
                    restart = i + 1
            start = restart
        by_pos = list(zip(*rows, strict=True)) if rows else [()] * width
        columns = [list(by_pos[i]) if i is not None else None for i in self.layout.index]
        extra = None
        if self.layout.extra and rows:
            labels = [label for label, _ in self.layout.extra]
            extra = [
                json.dumps(
                    dict(zip(labels, vals, strict=True)), ensure_ascii=False, separators=(",", ":")
                )
                for vals in zip(*(by_pos[pos] for _, pos in self.layout.extra), strict=True)
            ]
        return columns, extra, kept, rejects


def _raw(text: str) -> str:
    return text[:RAW_LINE_CHARS]
