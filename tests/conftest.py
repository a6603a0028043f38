"""Shared pytest setup: every test runs against its own data directory and a test PII key,
so nothing touches ./data and no test depends on the development key."""

from __future__ import annotations

import pytest

TEST_PII_KEY = "test-pii-key-7f3a9c1e5b2d4f60a8e1"


@pytest.fixture(autouse=True)
def isolated_lakehouse_env(tmp_path_factory, monkeypatch):
    data_dir = tmp_path_factory.mktemp("lakehouse-data")
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("LAKEHOUSE_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("LAKEHOUSE_INBOX_DIR", raising=False)
    monkeypatch.delenv("LAKEHOUSE_SERVING_DIR", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("LAKEHOUSE_PII_KEY", TEST_PII_KEY)
    monkeypatch.setenv("LAKEHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")
    yield data_dir
