"""File-level atomicity for the serving directory: lock, fsync, swap, clean up leftovers.

Layout of ``serving_dir``::

    marts.duckdb                 published file (mode 0444), replaced with os.replace
    parquet -> .parquet-<id>     symlink, swapped atomically to a fully written directory
    .parquet-<id>/               current Parquet set (plus the previous one until next publish):
                                 <table>.parquet, or <table>/<column>=<value>/*.parquet for a
                                 table published partition by partition
    .building-<id>.duckdb        being built; a leftover only if a publish was killed
    .publish.lock                flock held for the whole publish
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

BUILDING_PREFIX = ".building-"
PARQUET_VERSION_PREFIX = ".parquet-"
LINK_TMP_PREFIX = ".parquet-link-"
LOCK_NAME = ".publish.lock"


@contextlib.contextmanager
def publish_lock(serving_dir: Path) -> Iterator[None]:
    """Serialise publishers of one serving dir (released by the kernel if the process dies)."""
    with open(serving_dir / LOCK_NAME, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (directory entries make renames durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def current_parquet_version(parquet_link: Path) -> Path | None:
    if parquet_link.is_symlink():
        return parquet_link.parent / os.readlink(parquet_link)
    return None


def clean_leftovers(serving_dir: Path, parquet_link: Path) -> list[str]:
    """Delete what killed or earlier publishes left, keeping only the live Parquet version.

    Runs under the publish lock, so nothing removed here can belong to a running publish.
    """
    keep = current_parquet_version(parquet_link)
    removed = []
    for entry in serving_dir.iterdir():
        name = entry.name
        stale_version = (
            name.startswith(PARQUET_VERSION_PREFIX)
            and not name.startswith(LINK_TMP_PREFIX)
            and (keep is None or entry.name != keep.name)
        )
        if name.startswith((BUILDING_PREFIX, LINK_TMP_PREFIX)) or stale_version:
            remove_quietly(entry)
            removed.append(name)
    return removed


def publish_file(built: Path, target: Path) -> None:
    """Make ``built`` read-only and durable, then atomically put it at ``target``."""
    built.chmod(0o444)
    fsync_path(built)
    os.replace(built, target)
    fsync_path(target.parent)


def swap_parquet_dir(new_version: Path, parquet_link: Path) -> None:
    """Point ``parquet_link`` at ``new_version`` with one atomic rename of a symlink.

    The previous version stays on disk until the next publish, so a reader part-way through
    the old set can finish.
    """
    for f in sorted(new_version.rglob("*"), reverse=True):  # files before their directories
        fsync_path(f)
    fsync_path(new_version)
    if parquet_link.exists() and not parquet_link.is_symlink():
        # A plain directory (made by hand or an old layout): move it aside once.
        parquet_link.rename(parquet_link.parent / f"{PARQUET_VERSION_PREFIX}legacy-{os.getpid()}")
    tmp_link = parquet_link.parent / f"{LINK_TMP_PREFIX}{new_version.name}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(new_version.name, target_is_directory=True)  # relative link
    os.replace(tmp_link, parquet_link)
    fsync_path(parquet_link.parent)
