"""dbt-duckdb plugin: registers the keyed-hash scalar UDF ``pii_hash(VARCHAR) -> VARCHAR``.

Configured in ``profiles/profiles.yml`` (``plugins:`` ``- module:``
``orchestration.lib.privacy.duckdb_plugin``) so every connection dbt opens gets the function;
staging calls it through the dispatch macro ``{{ pii_hash(expr) }}``.

Why a Python UDF computing a real HMAC, and not something in SQL:

* DuckDB has no HMAC function. The tempting substitute ``sha256(key || value)`` would need the
  key as a literal (or a ``var``/``env_var``) in the SQL text: dbt writes compiled and run SQL to
  ``target/``, to ``logs/dbt.log`` and, for views, into the database catalog, so the key would
  leak to anybody who can read those. It is also a weaker construction (length extension,
  no domain separation) than HMAC.
* A dbt ``var`` is worse still: vars are stored in ``manifest.json`` and ``run_results.json``.
* Here the key is read from the environment (``LAKEHOUSE_PII_KEY`` via
  :func:`orchestration.lib.settings.pii_key`) inside Python, when the connection is configured.
  The SQL only ever says ``pii_hash(col)``; the key lives in this process's memory and nowhere
  else. The integration test greps ``target/``, the dbt logs and the database file for it.

The UDF is vectorised (``type='arrow'``): DuckDB hands it whole Arrow arrays, so the per-row
cost is one HMAC, not one Python call through the DuckDB C API.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.lib.settings import pii_key

UDF_NAME = "pii_hash"


def _make_udf(key: bytes):
    def pii_hash(values: pa.Array) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        out = [
            None if v is None else hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()
            for v in values.to_pylist()
        ]
        return pa.array(out, type=pa.string())

    return pii_hash


def register_pii_hash(conn: duckdb.DuckDBPyConnection, key: bytes | None = None) -> None:
    """Register ``pii_hash`` on ``conn`` (also usable outside dbt, e.g. in tests or landing)."""
    udf = _make_udf(pii_key() if key is None else key)
    with contextlib.suppress(Exception):  # not registered yet on this connection
        conn.remove_function(UDF_NAME)
    conn.create_function(
        UDF_NAME,
        udf,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        null_handling="special",  # NULL in -> NULL out, handled in the function
        side_effects=False,
    )


class Plugin(BasePlugin):
    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        register_pii_hash(conn)
