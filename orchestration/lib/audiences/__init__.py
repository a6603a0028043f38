"""Audience exports: the latest snapshot of every audience as files a send tool can pick up."""

from orchestration.lib.audiences.export import ExportReport, export_audiences

__all__ = ["ExportReport", "export_audiences"]
