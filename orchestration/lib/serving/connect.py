"""How BI tools open the serving file: read-only, no file system access, configuration locked.

``enable_external_access=false`` stops SQL users from reading the landing zone or any other file
(``read_csv``, ``read_parquet``, ``COPY ... TO``, ``ATTACH``, ``INSTALL``/``LOAD``), and
``lock_configuration=true`` stops them from turning it back on with ``SET``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from orchestration.lib.settings import load_settings

SERVING_DB_NAME = "marts.duckdb"
PARQUET_DIR_NAME = "parquet"

# Settings every BI connection must be opened with. They only take effect at connect time:
# enable_external_access cannot be switched off on a running database instance.
HARDENED_CONFIG: dict[str, str] = {
    "access_mode": "read_only",
    "enable_external_access": "false",
    "lock_configuration": "true",
}


def default_serving_path() -> Path:
    return load_settings().serving_dir / SERVING_DB_NAME


def connect_serving(
    path: Path | str | None = None, extra_config: dict[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """A hardened read-only connection to the published serving file.

    ``extra_config`` is applied at connect time too (e.g. ``memory_limit``, ``threads``), so it
    is locked with the rest. Note DuckDB caches one database instance per path per process:
    while any connection to the file is open in this process, new ones see the same version.
    """
    config = {**(extra_config or {}), **HARDENED_CONFIG}
    return duckdb.connect(str(path or default_serving_path()), read_only=True, config=config)


def serving_sqlalchemy_url(path: Path | str | None = None) -> str:
    """``duckdb:////abs/path/marts.duckdb?access_mode=read_only&...`` for duckdb-engine.

    duckdb-engine passes query parameters that are DuckDB settings into ``duckdb.connect``'s
    ``config``, so this single string carries the hardening (what Superset's URI field needs).
    """
    target = Path(path) if path else default_serving_path()
    url = URL.create("duckdb", database=str(target.resolve()), query=HARDENED_CONFIG)
    return url.render_as_string(hide_password=False)


def serving_engine_kwargs() -> dict[str, Any]:
    """``create_engine`` keyword arguments: the same settings via ``connect_args``, no pooling.

    NullPool matters: a pooled connection keeps the old file version open, and DuckDB's
    per-process instance cache then hands that old version to every new connection too.
    """
    config = {k: v for k, v in HARDENED_CONFIG.items() if k != "access_mode"}
    return {"connect_args": {"read_only": True, "config": config}, "poolclass": NullPool}


def create_serving_engine(path: Path | str | None = None) -> Engine:
    """A SQLAlchemy engine on the serving file with the hardened settings."""
    return create_engine(serving_sqlalchemy_url(path), **serving_engine_kwargs())
