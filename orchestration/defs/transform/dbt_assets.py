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


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when any model, macro, test, seed or config is newer than the parsed manifest.

    A stale manifest makes the run fail on nodes it does not know, so parse again instead.
    """
    if not project.manifest_path.exists():
        return True
    parsed_at = project.manifest_path.stat().st_mtime
    roots = [DBT_PROJECT_DIR / d for d in ("models", "macros", "tests", "snapshots")]
    roots += [DBT_PROJECT_DIR.parent / "seeds"]
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROFILES_DIR / "profiles.yml"]
    for root in roots:
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file()]
    return any(f.stat().st_mtime > parsed_at for f in files if f.exists())


if _manifest_is_stale(dbt_project):
    dbt_project.preparer.prepare(dbt_project)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LakehouseDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
    # dbt unit tests check SQL logic with pinned fixtures, not data: they run in CI
    # (tests/integration/test_dbt_unit_tests.py), not in every production build.
    exclude="resource_type:unit_test",
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
