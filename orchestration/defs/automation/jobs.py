"""Jobs and schedules that keep the marts fresh."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

materialize_everything = define_asset_job(
    name="materialize_everything",
    selection=AssetSelection.all(),
    description="Land every inbox file, build and test every dbt model, publish the marts.",
)

daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=materialize_everything,
    cron_schedule="30 2 * * *",
    execution_timezone="Asia/Shanghai",
    description="Nightly full refresh at 02:30 China time, after the partners' daily drops.",
)
