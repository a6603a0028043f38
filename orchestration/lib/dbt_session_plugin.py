"""dbt-duckdb plugin pinning every dbt connection's session time zone to UTC.

`TimeZone` cannot go in the profile's `settings` (DuckDB applies those at connect time, before the
built-in ICU extension is loaded, and refuses); a `SET` after connecting works. All timestamps in
the warehouse are naive UTC, so casts from TIMESTAMPTZ must not depend on the machine's zone.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        conn.execute("SET TimeZone = 'UTC'")

    def configure_cursor(self, cursor) -> None:
        # dbt runs models on cursors, and a cursor starts a new session with default settings.
        cursor.execute("SET TimeZone = 'UTC'")
