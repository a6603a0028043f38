"""The marketers' dashboard on the published serving copy (docs/dashboard.md)."""

from orchestration.lib.dashboard.app import create_app, dashboard_settings
from orchestration.lib.dashboard.panels import PANELS, PANELS_BY_KEY, Column, Panel
from orchestration.lib.dashboard.reader import read_dashboard

__all__ = [
    "PANELS",
    "PANELS_BY_KEY",
    "Column",
    "Panel",
    "create_app",
    "dashboard_settings",
    "read_dashboard",
]
