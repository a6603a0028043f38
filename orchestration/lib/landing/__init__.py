"""Landing: inbox files -> DuckDB raw tables, exactly once per file content.

Public API: :func:`land_source`, :func:`land_inbox` and their :class:`LandingReport`.
Tables: ``raw.<source>_<entity>``, ``raw._file_ledger``, ``raw._file_deliveries``,
``raw._rejects`` (DDL in :mod:`.tables`).
"""

from .loader import land_inbox, land_source
from .report import EntityReport, FileReport, LandingReport
from .tables import ensure_tables

__all__ = [
    "EntityReport",
    "FileReport",
    "LandingReport",
    "ensure_tables",
    "land_inbox",
    "land_source",
]
