"""What a landing run did, per file and per entity."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FileReport:
    path: str  # inbox-relative, posix
    source: str
    entity: str
    sha256: str
    bytes: int
    status: str  # landed | duplicate | rejected | seen (same path and content as before) | error
    lines: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0
    encoding: str | None = None
    error: str | None = None  # whole-file reason
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class EntityReport:
    source: str
    entity: str
    files_new: int = 0  # files whose content landed now (including whole-file rejects)
    files_duplicate: int = 0  # new deliveries of content already in the ledger
    files_rejected: int = 0  # whole-file rejects (subset of files_new)
    files_seen: int = 0  # same path and content as an earlier run: nothing to do
    files_error: int = 0  # internal errors: not ledgered, retried next run
    lines: int = 0
    rows_landed: int = 0
    rows_rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    table_rows: int = 0


@dataclass
class LandingReport:
    source: str
    files: list[FileReport] = field(default_factory=list)
    entities: dict[str, EntityReport] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # paths not matching the contract layout

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "error"]

    def totals(self) -> dict[str, int]:
        return {
            "files_new": sum(e.files_new for e in self.entities.values()),
            "files_duplicate": sum(e.files_duplicate for e in self.entities.values()),
            "lines": sum(e.lines for e in self.entities.values()),
            "rows_landed": sum(e.rows_landed for e in self.entities.values()),
            "rows_rejected": sum(e.rows_rejected for e in self.entities.values()),
        }
