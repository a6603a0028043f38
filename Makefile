# Every target installs what it needs: a fresh machine with Python 3.11+ and make is enough.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The Spark extra (docs/spark.md) on top of the base install, stamped the same way: reinstalled
# when pyproject.toml changes ($(STAMP)'s recipe removes every .installed-* stamp).
SPARK_STAMP := $(VENV)/.installed-spark-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# Demo dataset for `make run` (override: make run CUSTOMERS=100000 DAYS=365).
CUSTOMERS ?= 20000
DAYS ?= 365
START ?= 2025-11-01
SEED ?= 42
DIRT ?= 0.02
SCALE ?= s

export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

# The dashboard (make dashboard): loopback only by default.
DASHBOARD_PORT ?= 8050
DASHBOARD_HOST ?= 127.0.0.1

.PHONY: help install run test dev dashboard browser bench lint fmt docs clean erase java spark-install spark-run

help:
	@echo "make run    set up, generate demo data, materialise every asset, print a summary"
	@echo "make test   set up and run the whole test suite"
	@echo "make dev    dagster dev on the same assets (UI on http://localhost:3000)"
	@echo "make dashboard  the marketers' dashboard on the serving copy (http://127.0.0.1:$(DASHBOARD_PORT))"
	@echo "make bench  SCALE=xs|s|m|l benchmark;  make lint / fmt / docs / clean"
	@echo "make spark-run  the same dbt project on a local Apache Spark (docs/spark.md)"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

# A Java runtime for Spark (Debian package; does nothing when java is present).
java:
	bash scripts/install_java.sh

spark-install: $(SPARK_STAMP) java

# Demo data as `make run`, landed into the DuckDB warehouse, then the spark_slice selector built
# on a local Spark (LAKEHOUSE_ENGINE=spark): docs/spark.md.
spark-run: spark-install
	$(BIN)/python -m orchestration.cli generate --customers $(CUSTOMERS) --days $(DAYS) --start $(START) --seed $(SEED) --dirt-rate $(DIRT)
	$(BIN)/python -m orchestration.lib.spark build --land

run: install
	$(BIN)/python -m orchestration.cli generate --customers $(CUSTOMERS) --days $(DAYS) --start $(START) --seed $(SEED) --dirt-rate $(DIRT)
	$(BIN)/python -m orchestration.cli materialize

# Headless Chromium for the dashboard's browser test (Debian package; does nothing when present).
browser:
	bash scripts/install_chromium.sh

# The Spark extra and Java too: tests/integration/test_spark_equivalence.py runs in CI.
test: install browser spark-install
	$(BIN)/python -m pytest

dev: install
	@mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/
	$(BIN)/dagster dev -m orchestration.definitions

# Serves the published copy (data/serving/marts.duckdb; `make run` publishes it), never the warehouse.
dashboard: install
	LAKEHOUSE_DASHBOARD_PORT=$(DASHBOARD_PORT) LAKEHOUSE_DASHBOARD_HOST=$(DASHBOARD_HOST) $(BIN)/python -m orchestration.lib.dashboard

bench: install
	$(BIN)/python -m orchestration.lib.bench --scale $(SCALE)

# sqlfluff's dbt templater compiles every model, which needs a warehouse connection: an empty
# scratch file, so lint never opens (or waits for) the live warehouse. Rules: pyproject.toml.
LINT_WAREHOUSE := dbt_project/target/lint/lakehouse.duckdb
lint: install
	$(BIN)/ruff check orchestration tests dbt_project
	$(BIN)/ruff format --check orchestration tests dbt_project
	@mkdir -p $(dir $(LINT_WAREHOUSE))
	LAKEHOUSE_WAREHOUSE_PATH=$(CURDIR)/$(LINT_WAREHOUSE) $(BIN)/sqlfluff lint dbt_project/models --processes 1

fmt: install
	$(BIN)/ruff check --fix orchestration tests dbt_project
	$(BIN)/ruff format orchestration tests dbt_project

docs: install
	cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir ../profiles

erase: install
	$(BIN)/python -m orchestration.lib.erasure --phone "$(PHONE)"

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
