"""Dirt injection: every kind hits about `rate` of its eligible rows; rate 0 leaves files clean.

Kinds: re-sent duplicate rows, late delivery (1-5 days), timestamp spellings, phone / e-mail /
region / gender spellings, malformed lines (extra corrupted copies placed just before the real
row, so the true records stay complete), re-delivered files (see writers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .catalog import Region
from .frame import BAD_NUMBER_COLUMN, PHONE_COLUMNS, Frame, take

# Timestamp format codes (rendered in writers.py).
TS_ISO_OFFSET, TS_ISO_Z, TS_NAIVE_SPACE, TS_NAIVE_T, TS_EPOCH_MS = 0, 1, 2, 3, 4
MAL_NONE, MAL_FIELDS, MAL_VALUE = 0, 1, 2  # CSV: field count / 'abc' number; JSONL: cut / array

# Cities with a well-known code; other provinces use <prefix>0100.
CITY_CODES = {
    "440000": ("440100", "440300"),
    "330000": ("330100", "330200"),
    "320000": ("320100", "320500"),
    "370000": ("370100", "370200"),
}


def phone_spelling(p: str, k: int) -> str:
    return (
        f"+86 {p[:3]} {p[3:7]} {p[7:]}",
        f"0086-{p}",
        f"{p[:3]}-{p[3:7]}-{p[7:]}",
        f"86 {p}",
        f"+86{p}",
        f"{p[:3]} {p[3:7]} {p[7:]}",
    )[k % 6]


def email_spelling(e: str, k: int) -> str:
    local, _, dom = e.partition("@")
    return (
        f"  {e.upper()}",
        f"{e[:1].upper()}{e[1:]} ",
        f" {local.upper()}@{dom}",
        f"{local.capitalize()}@{dom.upper()}  ",
    )[k % 4]


def region_spelling(code: str, k: int, regions: dict[str, Region]) -> str:
    r = regions[code]
    cities = CITY_CODES.get(code, (code[:2] + "0100",))
    return (cities[k % len(cities)], r.name_zh, r.short_zh, r.name_en)[k % 4]


GENDER_SPELLINGS = {"M": ("male", "男", "Male"), "F": ("female", "女", "FEMALE")}


@dataclass
class Dirty:
    """A frame expanded with dirt, in file order, plus what was injected."""

    table: pa.Table  # contract columns + __day, __seq, __mal, __f_<ts>, __off
    counts: Counter
    sql: dict[str, str]


def apply(
    frame: Frame, rng: np.random.Generator, rate: float, days: int, regions: dict[str, Region]
) -> Dirty:
    n = len(frame)
    counts: Counter = Counter()
    day = frame.day.copy()
    seq = np.arange(n, dtype=np.int64) * 4 + 1
    cols = dict(frame.cols)

    if rate > 0 and frame.late:
        hit = rng.random(n) < rate
        new = np.minimum(day + rng.integers(1, 6, n), days - 1)
        moved = hit & (new > day)
        day = np.where(moved, new, day)
        counts["late_arrival"] += int(moved.sum())

    if rate > 0:
        _spell(cols, rng, rate, regions, counts)

    fmts = {}
    local = frame.local_offset_ms is not None
    canonical = TS_NAIVE_SPACE if local else TS_ISO_OFFSET
    for c in frame.ts_columns:
        f = np.full(n, canonical, np.int8)
        if rate > 0:
            hit = rng.random(n) < rate
            if local:  # store-local stays naive
                f[hit] = TS_NAIVE_T
            else:
                f[hit] = rng.integers(TS_ISO_Z, TS_EPOCH_MS + 1, int(hit.sum()))
        valid = np.asarray(cols[c]) != np.iinfo(np.int64).min
        cols[c] = np.where(valid, np.asarray(cols[c]) // 1000 * 1000, cols[c])  # whole seconds
        counts["ts_format_variant"] += int(((f != canonical) & valid).sum())
        fmts[c] = f

    rows = [np.arange(n)]
    days_parts, seq_parts, mal_parts = [day], [seq], [np.zeros(n, np.int8)]
    if rate > 0 and frame.duplicates:
        d = np.flatnonzero(rng.random(n) < rate)
        rows.append(d)
        days_parts.append(np.minimum(day[d] + rng.integers(0, 3, len(d)), days - 1))
        seq_parts.append(seq[d] + 1)
        mal_parts.append(np.zeros(len(d), np.int8))
        counts["duplicate_row"] += len(d)
    if rate > 0:
        m = np.flatnonzero(rng.random(n) < rate)
        has_value_kind = frame.entity.format == "jsonl" or frame.entity.key in BAD_NUMBER_COLUMN
        kind = np.where(has_value_kind & (rng.random(len(m)) < 0.5), MAL_VALUE, MAL_FIELDS)
        rows.append(m)
        days_parts.append(day[m])
        seq_parts.append(seq[m] - 1)
        mal_parts.append(kind.astype(np.int8))
        fmt = frame.entity.format
        names = {
            ("csv", MAL_FIELDS): "malformed_field_count",
            ("csv", MAL_VALUE): "malformed_number",
            ("jsonl", MAL_FIELDS): "malformed_truncated_json",
            ("jsonl", MAL_VALUE): "malformed_not_object",
        }
        for k in (MAL_FIELDS, MAL_VALUE):
            if (kind == k).any():
                counts[names[(fmt, k)]] += int((kind == k).sum())

    src = np.concatenate(rows)
    all_day = np.concatenate(days_parts)
    all_seq = np.concatenate(seq_parts)
    order = np.lexsort((all_seq, all_day))
    idx = src[order]
    data = {}
    for c in frame.entity.columns:
        if c in cols:
            data[c] = _to_arrow(take(cols[c], idx), c in fmts)
        else:
            data[c] = pa.nulls(len(idx), pa.string())
    data["__day"] = pa.array(all_day[order].astype(np.int32))
    data["__seq"] = pa.array(all_seq[order])
    data["__mal"] = pa.array(np.concatenate(mal_parts)[order])
    for c, f in fmts.items():
        data[f"__f_{c}"] = pa.array(f[idx])
    if frame.local_offset_ms is not None:
        data["__off"] = pa.array(np.asarray(frame.local_offset_ms, dtype=np.int64)[idx])
    return Dirty(pa.table(data), counts, frame.sql)


def _to_arrow(col: np.ndarray | pa.Array, is_ts: bool) -> pa.Array:
    if isinstance(col, pa.Array | pa.ChunkedArray):
        return col
    if is_ts:
        return pa.array(col, mask=col == np.iinfo(np.int64).min)
    if col.dtype == object:
        return pa.array(col, type=pa.string())
    if col.dtype.kind == "f":
        return pa.array(col, mask=np.isnan(col))
    return pa.array(col)


def _spell(
    cols: dict, rng: np.random.Generator, rate: float, regions: dict[str, Region], counts: Counter
) -> None:
    """Replace about `rate` of non-null phone, e-mail, region and gender values by variants."""
    for c, col in list(cols.items()):
        if not isinstance(col, np.ndarray) or col.dtype != object:
            continue
        if c in PHONE_COLUMNS:
            fn, kind = (lambda v, k: phone_spelling(v, k)), "phone_spelling"
        elif c == "email":
            fn, kind = (lambda v, k: email_spelling(v, k)), "email_spelling"
        elif c == "region":
            fn, kind = (lambda v, k: region_spelling(v, k, regions)), "region_spelling"
        elif c == "gender":
            fn, kind = (lambda v, k: GENDER_SPELLINGS[v][k % 3]), "gender_spelling"
        else:
            continue
        # fromiter keeps the dtype boolean when the column is empty (np.array([]) is float).
        present = np.fromiter((v is not None and v != "" for v in col), dtype=bool, count=len(col))
        hit = np.flatnonzero(present & (rng.random(len(col)) < rate))
        if len(hit) == 0:
            continue
        ks = rng.integers(0, 12, len(hit))
        new = col.copy()
        new[hit] = np.array(
            [fn(col[i], int(k)) for i, k in zip(hit, ks, strict=True)], dtype=object
        )
        cols[c] = new
        counts[kind] += len(hit)
