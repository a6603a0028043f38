"""Publishing the marts to BI: a separate, atomically replaced, hardened read-only file."""

from orchestration.lib.serving.connect import (
    HARDENED_CONFIG,
    PARQUET_DIR_NAME,
    SERVING_DB_NAME,
    connect_serving,
    create_serving_engine,
    serving_engine_kwargs,
    serving_sqlalchemy_url,
)
from orchestration.lib.serving.publish import PublishError, PublishReport, publish_marts

__all__ = [
    "HARDENED_CONFIG",
    "PARQUET_DIR_NAME",
    "SERVING_DB_NAME",
    "PublishError",
    "PublishReport",
    "connect_serving",
    "create_serving_engine",
    "publish_marts",
    "serving_engine_kwargs",
    "serving_sqlalchemy_url",
]
