"""Runtime settings, read from environment variables with documented defaults.

Nothing reads the environment at import time: call :func:`load_settings` when you need the
values, so tests can point everything at a temporary directory with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_PROFILES_DIR = PROJECT_ROOT / "profiles"

# Loudly marked development default. Set LAKEHOUSE_PII_KEY in any real deployment: with this
# default anybody who reads the source can re-identify the hashed phones and e-mails.
DEV_PII_KEY = "DEV-ONLY-insecure-pii-key-set-LAKEHOUSE_PII_KEY"
PII_KEY_ENV = "LAKEHOUSE_PII_KEY"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    inbox_dir: Path
    warehouse_path: Path
    serving_dir: Path
    exports_dir: Path
    duckdb_memory_limit: str
    duckdb_threads: int
    duckdb_temp_dir: Path
    duckdb_max_temp_size: str

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess so that profiles.yml resolves to these settings."""
        return {
            "LAKEHOUSE_WAREHOUSE_PATH": str(self.warehouse_path),
            "LAKEHOUSE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "LAKEHOUSE_DUCKDB_THREADS": str(self.duckdb_threads),
            "LAKEHOUSE_DUCKDB_TEMP_DIR": str(self.duckdb_temp_dir),
            "LAKEHOUSE_DUCKDB_MAX_TEMP_SIZE": self.duckdb_max_temp_size,
        }


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default.resolve()


def load_settings() -> Settings:
    data_dir = _path("LAKEHOUSE_DATA_DIR", PROJECT_ROOT / "data")
    warehouse_path = _path("LAKEHOUSE_WAREHOUSE_PATH", data_dir / "warehouse" / "lakehouse.duckdb")
    return Settings(
        data_dir=data_dir,
        inbox_dir=_path("LAKEHOUSE_INBOX_DIR", data_dir / "inbox"),
        warehouse_path=warehouse_path,
        serving_dir=_path("LAKEHOUSE_SERVING_DIR", data_dir / "serving"),
        exports_dir=_path("LAKEHOUSE_EXPORTS_DIR", data_dir / "exports"),
        duckdb_memory_limit=os.environ.get("LAKEHOUSE_DUCKDB_MEMORY_LIMIT", "6GB"),
        duckdb_threads=int(os.environ.get("LAKEHOUSE_DUCKDB_THREADS", "2")),
        duckdb_temp_dir=_path("LAKEHOUSE_DUCKDB_TEMP_DIR", warehouse_path.parent / "duckdb_tmp"),
        duckdb_max_temp_size=os.environ.get("LAKEHOUSE_DUCKDB_MAX_TEMP_SIZE", "40GB"),
    )


def pii_key() -> bytes:
    """The keyed-hash secret. Never log it, never pass it into SQL text."""
    return os.environ.get(PII_KEY_ENV, DEV_PII_KEY).encode("utf-8")


def using_dev_pii_key() -> bool:
    return PII_KEY_ENV not in os.environ


def duckdb_config(settings: Settings) -> dict[str, str]:
    """Connection config for Python-side DuckDB writers (landing), matching profiles.yml."""
    settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
    return {
        "memory_limit": settings.duckdb_memory_limit,
        "threads": str(settings.duckdb_threads),
        "temp_directory": str(settings.duckdb_temp_dir),
        "max_temp_directory_size": settings.duckdb_max_temp_size,
    }


def connect_warehouse(settings: Settings | None = None, read_only: bool = False):
    """A DuckDB connection to the live warehouse with the resource limits and a UTC session.

    `TimeZone` is set after connecting: as a connect-time option DuckDB refuses it because the
    built-in ICU extension is not loaded yet.
    """
    import duckdb

    settings = settings or load_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(
        str(settings.warehouse_path), read_only=read_only, config=duckdb_config(settings)
    )
    conn.execute("SET TimeZone = 'UTC'")
    return conn
