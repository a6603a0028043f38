"""Open inbox files, check gzip integrity, detect the text encoding and decode line batches.

Encoding is decided per file: UTF-8 (BOM tolerated) unless the file is not valid UTF-8 and
GB18030 explains it better (more lines invalid as UTF-8 than lines that are non-ASCII valid UTF-8,
and fewer lines invalid as GB18030 than as UTF-8). Lines invalid in the chosen encoding are
rejected one by one; the rest of the file lands.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .fast import Utf8Check
from .lines import LineBatch, iter_line_batches

RAW_LINE_CHARS = 1000
SCAN_CHUNK = 8 << 20

Reject = tuple[int, str, str]  # (line_number, reason, raw_line)


class HashingReader:
    """File wrapper that hashes every byte read, to prove the parsed bytes are the ledgered ones."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.sha.update(data)
        return data

    def drain(self) -> str:
        while self.read(1 << 20):
            pass
        return self.sha.hexdigest()


def is_gzip_name(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


@contextmanager
def open_lines(path: Path) -> Iterator[tuple[BinaryIO, HashingReader]]:
    """(decompressed stream, hashing reader of the raw bytes) for one inbox file."""
    with open(path, "rb") as raw:
        hashing = HashingReader(raw)
        if is_gzip_name(path):
            with gzip.GzipFile(fileobj=hashing, mode="rb") as gz:  # type: ignore[arg-type]
                yield gz, hashing  # type: ignore[misc]
        else:
            yield hashing, hashing  # type: ignore[misc]


class SalvageGunzip:
    """Decompress as much of a damaged gzip stream as possible, then report EOF (never raises).

    Used only to keep what a truncated or corrupt .gz holds in ``_rejects`` for diagnosis.
    """

    def __init__(self, raw: HashingReader) -> None:
        self._raw = raw
        self._z = zlib.decompressobj(31)
        self._buf = bytearray()
        self._done = False

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and not self._done:
            chunk = self._raw.read(1 << 16)
            try:
                if not chunk:
                    self._buf += self._z.flush()
                    self._done = True
                    break
                self._buf += self._z.decompress(chunk)
                while self._z.eof and self._z.unused_data:  # next gzip member
                    rest = self._z.unused_data
                    self._z = zlib.decompressobj(31)
                    self._buf += self._z.decompress(rest)
            except zlib.error:
                self._done = True
        size = len(self._buf) if n < 0 else n
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


@contextmanager
def open_salvage(path: Path) -> Iterator[tuple[BinaryIO, HashingReader]]:
    """Like :func:`open_lines`, but a damaged gzip yields what decompresses instead of raising."""
    with open(path, "rb") as raw:
        hashing = HashingReader(raw)
        if is_gzip_name(path):
            yield SalvageGunzip(hashing), hashing  # type: ignore[misc]
        else:
            yield hashing, hashing  # type: ignore[misc]


def gzip_error_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated gzip"
    return f"corrupt gzip: {exc}"[:200]


READ_ERRORS = (EOFError, OSError, zlib.error)  # gzip.BadGzipFile is an OSError


@dataclass(frozen=True)
class Scan:
    encoding: str
    file_error: str | None  # whole-file problem (gzip), None when readable


def scan_file(path: Path) -> Scan:
    """Read the file once: gzip integrity and whether it is valid UTF-8 (Arrow's validator:
    same verdict as Python's strict codec, at memory speed)."""
    check = Utf8Check()
    if is_gzip_name(path) and path.stat().st_size == 0:
        return Scan("utf-8", "truncated gzip")  # Python's gzip reads b"" as an empty stream
    try:
        with open(path, "rb") as raw:
            stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip_name(path) else raw
            with stream:
                while chunk := stream.read(SCAN_CHUNK):
                    check.feed(chunk)
    except READ_ERRORS as exc:
        return Scan("utf-8", gzip_error_reason(exc))
    if check.finish():
        return Scan("utf-8", None)
    return Scan(_guess_legacy_encoding(path), None)


def _guess_legacy_encoding(path: Path) -> str:
    bad_utf8 = utf8_multibyte = bad_gb = 0
    with open_lines(path) as (stream, _):
        for batch in iter_line_batches(stream):
            for i, line in enumerate(batch.lines):
                if i in batch.too_long or line.isascii():
                    continue
                try:
                    line.decode("utf-8")
                    utf8_multibyte += 1
                except UnicodeDecodeError:
                    bad_utf8 += 1
                try:
                    line.decode("gb18030")
                except UnicodeDecodeError:
                    bad_gb += 1
    if bad_utf8 > utf8_multibyte and bad_gb < bad_utf8:
        return "gb18030"
    return "utf-8"


def raw_text(data: bytes, encoding: str) -> str:
    """Printable prefix of a line for the rejects table (undecodable bytes replaced)."""
    return data[: RAW_LINE_CHARS * 4].decode(encoding, "replace")[:RAW_LINE_CHARS]


def decode_batch(batch: LineBatch, encoding: str) -> tuple[list[int], list[str], list[Reject]]:
    """Decode a batch: (line numbers, texts) of decodable lines and rejects for the others.

    A trailing '\\r' (CRLF) is removed; a BOM at the start of line 1 is removed.
    """
    first = batch.first_line
    try:
        if batch.too_long:
            raise UnicodeError  # take the per-line path
        joined = b"\n".join(batch.lines)
        texts = joined.decode(encoding).split("\n")
        numbers = list(range(first, first + len(texts)))
        rejects: list[Reject] = []
        has_cr = b"\r" in joined
    except UnicodeError:
        numbers, texts, rejects, has_cr = [], [], [], True
        for i, line in enumerate(batch.lines):
            if i in batch.too_long:
                rejects.append((first + i, "line too long", raw_text(batch.too_long[i], encoding)))
                continue
            try:
                texts.append(line.decode(encoding))
                numbers.append(first + i)
            except UnicodeDecodeError:
                rejects.append((first + i, f"invalid {encoding}", raw_text(line, encoding)))
    if texts and numbers[0] == 1 and texts[0].startswith("\ufeff"):
        texts[0] = texts[0][1:]
    if has_cr:
        texts = [t[:-1] if t.endswith("\r") else t for t in texts]
    return numbers, texts, rejects
