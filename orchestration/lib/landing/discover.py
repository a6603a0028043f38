"""Find inbox files: <inbox>/<source>/<entity>/**/<name>.(csv|csv.gz|jsonl|jsonl.gz)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.contract import Entity, entities_of

EXTENSIONS = {".csv": "csv", ".csv.gz": "csv", ".jsonl": "jsonl", ".jsonl.gz": "jsonl"}


@dataclass(frozen=True)
class InboxFile:
    path: Path
    rel: str  # inbox-relative posix path, as recorded in the tables
    entity: Entity
    format: str  # from the extension: csv | jsonl


def file_format(name: str) -> str | None:
    lower = name.lower()
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext) and len(lower) > len(ext):
            return fmt
    return None


def discover(inbox: Path, source: str) -> tuple[list[InboxFile], list[str]]:
    """(files to land in path order, inbox-relative paths ignored). Hidden names are skipped:
    producers should write to a hidden temporary name and rename when complete."""
    files: list[InboxFile] = []
    ignored: list[str] = []
    by_name = {e.name: e for e in entities_of(source)}
    src = inbox / source
    if not src.is_dir():
        return files, ignored
    for path in sorted(src.rglob("*")):
        rel_parts = path.relative_to(src).parts
        if any(p.startswith(".") for p in rel_parts) or not path.is_file():
            continue
        rel = path.relative_to(inbox).as_posix()
        entity = by_name.get(rel_parts[0]) if len(rel_parts) > 1 else None
        fmt = file_format(path.name)
        if entity is None or fmt is None:
            ignored.append(rel)
            continue
        files.append(InboxFile(path, rel, entity, fmt))
    return files, ignored
