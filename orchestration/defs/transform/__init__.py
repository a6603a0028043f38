from orchestration.defs.transform.dbt_assets import dbt_project, lakehouse_dbt_assets

__all__ = ["dbt_project", "lakehouse_dbt_assets"]
