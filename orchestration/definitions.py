"""The Dagster code location: gathers what the domain folders under defs/ define."""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs.automation.jobs import daily_refresh_schedule, materialize_everything
from orchestration.defs.automation.sensors import inbox_sensor
from orchestration.defs.landing import landing_assets
from orchestration.defs.measurement import kpi_anomalies_check
from orchestration.defs.serving import build_serving_assets
from orchestration.defs.transform.dbt_assets import dbt_resource, lakehouse_dbt_assets
from orchestration.defs.transform.freshness import with_source_freshness


def _mart_keys():
    return [key for key in lakehouse_dbt_assets.keys if key.path[0] == "marts"]


defs = Definitions(
    assets=[
        *with_source_freshness(landing_assets),
        lakehouse_dbt_assets,
        *build_serving_assets(_mart_keys()),
    ],
    asset_checks=[kpi_anomalies_check],
    jobs=[materialize_everything],
    schedules=[daily_refresh_schedule],
    sensors=[inbox_sensor],
    resources={"dbt": dbt_resource()},
)
