"""dbt models, seeds, snapshots and tests as Dagster assets and asset checks."""


import os
import sys
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.transform.translator import LakehouseDbtTranslator
from orchestration.lib.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, load_settings

DUCKDB_WRITER_POOL = "duckdb_writer"
# dbt is installed beside this interpreter; find it there even when the venv is not activated.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
_bin_dir = str(Path(sys.executable).parent)
if _bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin_dir + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR)
# `dagster dev` re-parses on load; everywhere else parse once if there is no manifest yet.
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    dbt_project.preparer.prepare(dbt_project)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LakehouseDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
)
def lakehouse_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    # profiles.yml resolves paths and DuckDB limits from these variables.
    os.environ.update(load_settings().dbt_env())
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROFILES_DIR),
        dbt_executable=DBT_EXECUTABLE,
    )
