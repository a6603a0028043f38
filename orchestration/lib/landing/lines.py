"""Split a (decompressed) byte stream into physical lines, never holding an over-long line.

Lines end at ``\\n``; a final line without ``\\n`` still counts, a trailing ``\\n`` does not start
another. ``\\r`` is left in place here (decode strips a trailing one). Memory stays bounded by one
chunk plus ``max_line_bytes`` whatever the input: a 100 MB file without a line break is read in
chunks and reported as one over-long line carrying only its first ``PREFIX_BYTES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20  # 1 MiB: longer lines are rejected as 'line too long'
CHUNK_BYTES = 8 << 20
PREFIX_BYTES = 4096  # kept from an over-long line, enough for the 1,000-char raw_line


@dataclass
class LineBatch:
    first_line: int  # 1-based physical line number of lines[0]
    lines: list[bytes]  # '\n' removed; an over-long line is b"" here and listed in too_long
    too_long: dict[int, bytes] = field(default_factory=dict)  # index -> prefix of the line


def iter_line_batches(
    stream: BinaryIO,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[LineBatch]:
    """Yield consecutive batches of physical lines. Read errors propagate to the caller."""
    next_line = 1
    carry = b""
    skipping: bytes | None = None  # prefix of an over-long line whose end we have not seen yet
    while True:
        chunk = stream.read(chunk_bytes)
        if not chunk:
            break
        lines: list[bytes] = []
        too_long: dict[int, bytes] = {}
        if skipping is not None:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            too_long[0] = skipping
            lines.append(b"")
            skipping = None
            chunk = chunk[nl + 1 :]
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
        else:
            carry = data[cut + 1 :]
            complete = data[:cut].split(b"\n")
            if cut > max_line_bytes and max(map(len, complete)) > max_line_bytes:
                for i, line in enumerate(complete):
                    if len(line) > max_line_bytes:
                        too_long[len(lines) + i] = line[:PREFIX_BYTES]
                        complete[i] = b""
            lines.extend(complete)
        if len(carry) > max_line_bytes:
            skipping = carry[:PREFIX_BYTES]
            carry = b""
        if lines:
            yield LineBatch(next_line, lines, too_long)
            next_line += len(lines)
    if skipping is not None:
        yield LineBatch(next_line, [b""], {0: skipping})
    elif carry:
        yield LineBatch(next_line, [carry])


@dataclass
class LineBlock:
    """Consecutive complete physical lines as one byte string, '\\n'-joined (no final '\\n').

    Produced by :func:`iter_line_blocks` for the vectorised path; lines are split later, in Arrow.
    A block may still hold a line longer than ``max_line_bytes`` (it was read within one chunk):
    :func:`block_to_batch` turns such a block into the :class:`LineBatch` of the per-line path.
    """

    first_line: int
    data: bytes
    count: int


def iter_line_blocks(
    stream: BinaryIO,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[LineBlock | LineBatch]:
    """Like :func:`iter_line_batches` (same line numbers, same bounded memory), but lines that
    arrive in one chunk come as a :class:`LineBlock` without being split into Python objects.
    A line that spans chunks and exceeds ``max_line_bytes`` comes as a one-line LineBatch."""
    next_line = 1
    carry = b""
    skipping: bytes | None = None
    while True:
        chunk = stream.read(chunk_bytes)
        if not chunk:
            break
        if skipping is not None:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            yield LineBatch(next_line, [b""], {0: skipping})
            next_line += 1
            skipping = None
            chunk = chunk[nl + 1 :]
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
        else:
            carry = data[cut + 1 :]
            block = data[:cut]
            count = block.count(b"\n") + 1
            yield LineBlock(next_line, block, count)
            next_line += count
        if len(carry) > max_line_bytes:
            skipping = carry[:PREFIX_BYTES]
            carry = b""
    if skipping is not None:
        yield LineBatch(next_line, [b""], {0: skipping})
    elif carry:
        yield LineBlock(next_line, carry, 1)


def block_to_batch(block: LineBlock, max_line_bytes: int = MAX_LINE_BYTES) -> LineBatch:
    """The per-line form of a block, over-long lines marked as :func:`iter_line_batches` does."""
    lines = block.data.split(b"\n")
    too_long: dict[int, bytes] = {}
    if len(block.data) > max_line_bytes:
        for i, line in enumerate(lines):
            if len(line) > max_line_bytes:
                too_long[i] = line[:PREFIX_BYTES]
                lines[i] = b""
    return LineBatch(block.first_line, lines, too_long)
