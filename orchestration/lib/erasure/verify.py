"""Prove the person is gone: every table of every schema, the serving copy, and raw bytes.

Two independent checks, both using the same terms as deletion:

* SQL: every text column of every base table of the warehouse and of the serving file, and
  every Parquet file under the serving directory, must have no value mentioning a term.
* Bytes: the warehouse file (and WAL), every file under the serving directory and every file in
  the inbox source folders (``.gz`` decompressed) must not contain a term. DuckDB and Parquet
  compress column data, so the byte check is a backstop (it sees free blocks, footers and
  plain pages); the SQL check is the authoritative one.

Findings name the place and the kind of term (phone, email, hash, id), never the value.
"""

from __future__ import annotations

import gzip
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.contract import SOURCES
from orchestration.lib.erasure.catalog import Table, lit, tables
from orchestration.lib.erasure.match import content_predicate
from orchestration.lib.erasure.terms import PersonTerms
from orchestration.lib.serving import SERVING_DB_NAME
from orchestration.lib.settings import Settings, duckdb_config


@dataclass
class Verification:
    table_hits: dict[str, int] = field(default_factory=dict)  # "where:schema.table" -> rows
    byte_hits: dict[str, list[str]] = field(default_factory=dict)  # path -> kinds found
    tables_scanned: int = 0
    files_scanned: int = 0

    @property
    def ok(self) -> bool:
        return not self.table_hits and not self.byte_hits


def _scan_tables(con, where: str, found: list[Table], terms: PersonTerms, v: Verification):
    regex = terms.sql_regex()
    for t in found:
        v.tables_scanned += 1
        pred = content_predicate(t, terms, regex)
        if pred and (n := con.execute(f"select count(*) from {t.ref} where {pred}").fetchone()[0]):
            v.table_hits[f"{where}:{t.label}"] = n


def _parquet_tables(con, files: list[Path]) -> list[Table]:
    out = []
    for i, f in enumerate(files):
        name = f"__pq{i}"
        con.execute(f"create temp view {name} as select * from read_parquet({lit(str(f))})")
        cols = {r[0]: r[1].upper() for r in con.execute(f"describe {name}").fetchall()}
        out.append(Table("temp", "main", name, cols))
    return out


def _scan_bytes(data, patterns: dict[str, re.Pattern[bytes]]) -> list[str]:
    return [kind for kind, p in patterns.items() if p.search(data)]


def _scan_file(path: Path, patterns: dict[str, re.Pattern[bytes]]) -> list[str]:
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                return _scan_bytes(fh.read(), patterns)
        except OSError:
            pass  # not really gzip: scan as is
    if path.stat().st_size == 0:
        return []
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return _scan_bytes(m, patterns)


def files_to_grep(settings: Settings) -> list[Path]:
    wh = settings.warehouse_path
    files = [p for p in (wh, wh.with_name(wh.name + ".wal")) if p.is_file()]
    for root in (settings.serving_dir, *(settings.inbox_dir / s for s in SOURCES)):
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return list(dict.fromkeys(p.resolve() for p in files))


def verify(settings: Settings, terms: PersonTerms) -> Verification:
    v = Verification()
    if settings.warehouse_path.exists():
        with duckdb.connect(
            str(settings.warehouse_path), read_only=True, config=duckdb_config(settings)
        ) as con:
            _scan_tables(con, "warehouse", tables(con), terms, v)
    serving = settings.serving_dir / SERVING_DB_NAME
    if serving.exists():
        with duckdb.connect(str(serving), read_only=True) as con:
            _scan_tables(con, "serving", tables(con), terms, v)
    parquet = []
    if settings.serving_dir.is_dir():
        parquet = sorted({p.resolve() for p in settings.serving_dir.rglob("*.parquet")})
    if parquet:
        with duckdb.connect() as con:
            _scan_tables(con, "parquet", _parquet_tables(con, parquet), terms, v)
    patterns = terms.byte_patterns()
    for path in files_to_grep(settings):
        v.files_scanned += 1
        if kinds := _scan_file(path, patterns):
            v.byte_hits[str(path)] = kinds
    return v


def describe(v: Verification) -> str:
    head = (
        f"verification {'PASSED' if v.ok else 'FAILED'}: {v.tables_scanned} tables and "
        f"{v.files_scanned} files scanned"
    )
    lines = [head]
    lines += [f"  still in {k}: {n} row(s)" for k, n in sorted(v.table_hits.items())]
    lines += [f"  bytes of {k}: {', '.join(kinds)}" for k, kinds in sorted(v.byte_hits.items())]
    return "\n".join(lines)
