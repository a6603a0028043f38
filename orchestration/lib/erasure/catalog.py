"""Discover the tables and columns that exist right now (information_schema), never a fixed list."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

TEXT_TYPES = ("VARCHAR", "JSON")
NESTED_PREFIXES = ("STRUCT", "MAP", "UNION")


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Table:
    catalog: str
    schema: str
    name: str
    columns: dict[str, str]  # name -> data_type

    @property
    def ref(self) -> str:
        return f"{q(self.catalog)}.{q(self.schema)}.{q(self.name)}"

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def text_columns(self) -> list[str]:
        return [c for c, t in self.columns.items() if t in TEXT_TYPES]

    def nested_columns(self) -> list[str]:
        """LIST/ARRAY/STRUCT/MAP columns: searched as their VARCHAR rendering."""
        return [
            c for c, t in self.columns.items() if t.endswith("]") or t.startswith(NESTED_PREFIXES)
        ]


def tables(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[Table]:
    """Base tables of ``catalog`` (default: the connection's database), every schema."""
    catalog = catalog or conn.execute("select current_database()").fetchone()[0]
    rows = conn.execute(
        """
        select c.table_schema, c.table_name, c.column_name, c.data_type
        from information_schema.columns c
        join information_schema.tables t
          on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema
         and t.table_name = c.table_name
        where c.table_catalog = ? and t.table_type = 'BASE TABLE'
        order by c.table_schema, c.table_name, c.ordinal_position
        """,
        [catalog],
    ).fetchall()
    found: dict[tuple[str, str], dict[str, str]] = {}
    for schema, name, col, dtype in rows:
        found.setdefault((schema, name), {})[col] = dtype.upper()
    return [Table(catalog, s, n, cols) for (s, n), cols in found.items()]


def find(all_tables: list[Table], name: str, *columns: str) -> Table | None:
    """The table called ``name`` (any schema) that has ``columns``, if it exists."""
    for t in all_tables:
        if t.name == name and t.has(*columns):
            return t
    return None
