"""Render feeds to daily drop files: DuckDB formats every line from Arrow in one vectorised
pass, then each day's file is written as one contiguous slice of the Arrow string buffer."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.lib.contract import Entity

from .dirt import MAL_FIELDS, MAL_NONE, MAL_VALUE, Dirty
from .frame import BAD_NUMBER_COLUMN

BATCH_ROWS = 500_000


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "threads": "2",
            "memory_limit": "4GB",
            "preserve_insertion_order": "true",
        }
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _ts_expr(c: str, local: bool) -> str:
    f = f'"__f_{c}"'
    shifted = f'epoch_ms("{c}" + "__off")' if local else f'epoch_ms("{c}" + 28800000)'
    return (
        f"CASE {f} WHEN 0 THEN strftime({shifted}, '%Y-%m-%dT%H:%M:%S') || '+08:00' "
        f"WHEN 1 THEN strftime(epoch_ms(\"{c}\"), '%Y-%m-%dT%H:%M:%SZ') "
        f"WHEN 2 THEN strftime({shifted}, '%Y-%m-%d %H:%M:%S') "
        f"WHEN 3 THEN strftime({shifted}, '%Y-%m-%dT%H:%M:%S') "
        f'ELSE CAST("{c}" AS VARCHAR) END'
    )


def _value_exprs(ent: Entity, schema: pa.Schema, json: bool, sql: dict[str, str]) -> dict[str, str]:
    """SQL per contract column: VARCHAR for CSV; typed (numbers stay numbers) for JSON."""
    local = "__off" in schema.names
    out = {}
    for c in ent.columns:
        t = schema.field(c).type
        q = f'"{c}"'
        if c in sql:
            out[c] = sql[c].format(q)
        elif f"__f_{c}" in schema.names:
            out[c] = _ts_expr(c, local)
        elif pa.types.is_floating(t):
            out[c] = f"round({q}, 2)" if json else f"printf('%.2f', {q})"
        elif pa.types.is_integer(t):
            out[c] = q if json else f"CAST({q} AS VARCHAR)"
        else:
            out[c] = f"CAST({q} AS VARCHAR)"
    return out


def line_sql(ent: Entity, schema: pa.Schema, sql: dict[str, str]) -> str:
    """SELECT producing (line, __day, __seq) in the table's row order."""
    if ent.format == "jsonl":
        vals = _value_exprs(ent, schema, True, sql)
        good = "to_json(struct_pack(" + ", ".join(f'"{c}" := {v}' for c, v in vals.items()) + "))"
        line = (
            f"CASE __mal WHEN {MAL_NONE} THEN g "
            f"WHEN {MAL_FIELDS} THEN left(g, greatest(length(g) // 2, 2)) "
            f"ELSE '[' || g || ']' END"
        )
        inner = f"SELECT CAST({good} AS VARCHAR) AS g, __mal, __day, __seq FROM t"
        return f"SELECT {line} || chr(10) AS line, __day, __seq FROM ({inner})"
    vals = _value_exprs(ent, schema, False, sql)
    fields = []
    for c, v in vals.items():
        t = schema.field(c).type
        if c in sql:
            pass
        elif pa.types.is_string(t) or pa.types.is_dictionary(t) or pa.types.is_large_string(t):
            v = (
                f"CASE WHEN contains({v}, ',') OR contains({v}, '\"') OR contains({v}, chr(10)) "
                f"THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END"
            )
        fields.append(f"coalesce({v}, '')")
    good = " || ',' || ".join(fields)
    short = " || ',' || ".join(fields[:-1])
    bad_col = BAD_NUMBER_COLUMN.get(ent.key)
    if bad_col:
        i = list(ent.columns).index(bad_col)
        bad = " || ',' || ".join("'abc'" if j == i else f for j, f in enumerate(fields))
    else:
        bad = short
    line = (
        f"CASE __mal WHEN {MAL_NONE} THEN {good} "
        f"WHEN {MAL_FIELDS} THEN (CASE WHEN __seq % 3 = 0 THEN {good} || ',1' ELSE {short} END) "
        f"WHEN {MAL_VALUE} THEN {bad} END"
    )
    return f"SELECT {line} || chr(10) AS line, __day, __seq FROM t"


def write_entity(
    con: duckdb.DuckDBPyConnection, dirty: Dirty, ent: Entity, out: Path, start: dt.date
) -> list[Path]:
    """Write one file per delivery day that has rows; returns the paths in write order.

    A day file that already exists (an earlier customer chunk wrote it) is appended to."""
    folder = out / ent.source / ent.name
    folder.mkdir(parents=True, exist_ok=True)
    header = (",".join(ent.columns) + "\n").encode() if ent.format == "csv" else b""
    con.register("t", dirty.table)
    paths: list[Path] = []
    fh = None
    current = -1
    last_seq = None
    try:
        sql = line_sql(ent, dirty.table.schema, dirty.sql)
        reader = con.execute(sql).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            lines = batch.column(0)
            if not pa.types.is_string(lines.type):
                lines = lines.cast(pa.string())
            days = batch.column(1).to_numpy()
            seqs = batch.column(2).to_numpy()
            _check_order(days, seqs, current, last_seq)
            last_seq = (int(days[-1]), int(seqs[-1])) if len(days) else last_seq
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
                lines.offset : lines.offset + len(lines) + 1
            ]
            data = memoryview(lines.buffers()[2]) if lines.buffers()[2] is not None else b""
            cuts = np.flatnonzero(np.diff(days)) + 1
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(days)], strict=True):
                d = int(days[a])
                if d != current:
                    if fh:
                        fh.close()
                    date = (start + dt.timedelta(days=d)).strftime("%Y%m%d")
                    path = folder / f"{ent.name}_{date}.{ent.format}"
                    new = not path.exists()
                    fh = open(path, "wb" if new else "ab")  # noqa: SIM115 - closed below
                    if new:
                        fh.write(header)
                    paths.append(path)
                    current = d
                fh.write(data[offsets[a] : offsets[b]])
    finally:
        if fh:
            fh.close()
        con.unregister("t")
    return paths


def _check_order(
    days: np.ndarray, seqs: np.ndarray, current: int, last: tuple[int, int] | None
) -> None:
    key_ok = np.all((np.diff(days) > 0) | ((np.diff(days) == 0) & (np.diff(seqs) > 0)))
    if not key_ok or (last is not None and len(days) and (int(days[0]), int(seqs[0])) <= last):
        raise RuntimeError("DuckDB did not preserve row order; files would not be deterministic")


def redeliver(rng: np.random.Generator, files: list[Path], rate: float) -> list[tuple[Path, Path]]:
    """Copy about `rate` of the files byte for byte under a `_resend` name (at least one)."""
    if rate <= 0 or not files:
        return []
    k = max(1, int(round(rate * len(files))))
    picks = sorted(rng.choice(len(files), min(k, len(files)), replace=False))
    pairs = []
    for i in picks:
        src = files[i]
        name = src.name.split(".", 1)
        dst = src.with_name(f"{name[0]}_resend.{name[1]}")
        shutil.copyfile(src, dst)
        pairs.append((src, dst))
    return pairs
