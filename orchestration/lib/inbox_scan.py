"""Find inbox files not yet seen, cheaply, without opening the warehouse.

The sensor must not open DuckDB (a reader in another process blocks the writer), so it keeps its
own cursor: the newest modification time it has handled and the content hashes of the files that
share it. Only files at or past that mark are hashed. Run keys come from content hashes, so a
restarted daemon, or a file copied twice, never asks for the same landing twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.contract import SOURCES
from orchestration.lib.landing.discover import discover


@dataclass(frozen=True)
class InboxFile:
    path: Path
    source: str
    entity: str
    mtime_ns: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class InboxCursor:
    mtime_ns: int = 0
    hashes_at_mtime: tuple[str, ...] = ()

    def dumps(self) -> str:
        return json.dumps({"mtime_ns": self.mtime_ns, "hashes": list(self.hashes_at_mtime)})

    @classmethod
    def loads(cls, text: str | None) -> InboxCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data["mtime_ns"]), tuple(data["hashes"]))


def new_inbox_files(inbox: Path, cursor: InboxCursor) -> tuple[list[InboxFile], InboxCursor]:
    """Files modified at or after the cursor that it has not handled, and the advanced cursor."""
    found: list[InboxFile] = []
    for source in SOURCES:
        # The same discovery as landing: what the sensor sees is what a run will land.
        for f in discover(inbox, source)[0]:
            mtime = f.path.stat().st_mtime_ns
            if mtime < cursor.mtime_ns:
                continue
            sha = file_sha256(f.path)
            if mtime == cursor.mtime_ns and sha in cursor.hashes_at_mtime:
                continue
            found.append(InboxFile(f.path, source, f.entity.name, mtime, sha))
    if not found:
        return [], cursor
    newest = max(f.mtime_ns for f in found)
    at_newest = {f.sha256 for f in found if f.mtime_ns == newest}
    if newest == cursor.mtime_ns:
        at_newest |= set(cursor.hashes_at_mtime)
    return found, InboxCursor(newest, tuple(sorted(at_newest)))


def file_set_key(files: list[InboxFile]) -> str:
    """A run key that depends only on the contents of the file set."""
    return hashlib.sha256("".join(sorted({f.sha256 for f in files})).encode()).hexdigest()[:32]
