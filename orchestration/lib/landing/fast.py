"""Vectorised line handling for valid UTF-8 input: a block of lines becomes one Arrow string
array without a Python object per line.

Applies exactly the per-line path's rules (:mod:`.lines` and :func:`.decode.decode_batch`): lines
end at ``\\n``, one trailing ``\\r`` is removed (CRLF), a UTF-8 BOM is removed from line 1.
Validity is checked per block with Arrow's UTF-8 validator, which accepts and rejects exactly
what Python's strict ``utf-8`` codec does; a block that is not valid UTF-8, or that holds a line
of ``max_line_bytes`` or more, is left to the per-line path.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .lines import MAX_LINE_BYTES, LineBlock

BOM = b"\xef\xbb\xbf"


def utf8_valid(data: bytes | memoryview) -> bool:
    """Whether ``data`` is valid UTF-8 (same verdict as ``bytes(data).decode('utf-8')``)."""
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    arr = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data))
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def char_boundary(data: bytes) -> int:
    """Length of the longest prefix of ``data`` that does not end inside a UTF-8 sequence: the
    rest (at most 3 bytes, an incomplete sequence) belongs with the bytes that follow."""
    n = len(data)
    for back in range(1, min(4, n) + 1):
        b = data[n - back]
        if b & 0xC0 == 0x80:  # continuation byte: keep looking for the lead
            continue
        need = 2 if 0xC0 <= b < 0xE0 else 3 if 0xE0 <= b < 0xF0 else 4 if 0xF0 <= b < 0xF8 else 1
        return n - back if need > back else n
    return n


class Utf8Check:
    """Incremental UTF-8 validity of a byte stream fed in arbitrary chunks."""

    def __init__(self) -> None:
        self.ok = True
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if not self.ok:
            return
        data = self._tail + chunk if self._tail else chunk
        cut = char_boundary(data)
        self._tail = data[cut:]
        if cut and not utf8_valid(memoryview(data)[:cut]):
            self.ok = False

    def finish(self) -> bool:
        if self.ok and self._tail:
            self.ok = False  # an incomplete sequence at the end
        return self.ok


def block_lines(
    block: LineBlock, *, max_line_bytes: int = MAX_LINE_BYTES
) -> tuple[pa.Int64Array, pa.StringArray] | None:
    """(line numbers, texts) of a block as Arrow arrays; None if a line may be too long or the
    block is not valid UTF-8 (the per-line path then rejects exactly the offending lines)."""
    data = block.data
    if block.first_line == 1 and data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\r" in data:  # CRLF: drop one '\r' before each '\n' and at the very end
        data = data.replace(b"\r\n", b"\n")
        if data.endswith(b"\r"):
            data = data[:-1]
    parts = data.split(b"\n")
    n = len(parts)
    if n != block.count:  # cannot happen: '\r\n' -> '\n' keeps every '\n'
        raise AssertionError(f"line count {n} != {block.count}")
    lengths = np.fromiter(map(len, parts), np.int64, n)
    del parts
    # 4 bytes of margin: the per-line path measures lines with their '\r' and BOM
    if int(lengths.max()) + 4 > max_line_bytes:
        return None
    if not utf8_valid(data):  # '\n' is ASCII: valid as a whole <=> every line valid
        return None
    body = data.replace(b"\n", b"") if n > 1 else data
    small = len(body) < (1 << 31)
    offsets = np.zeros(n + 1, np.int32 if small else np.int64)
    np.cumsum(lengths, out=offsets[1:])
    cls = pa.StringArray if small else pa.LargeStringArray
    texts = cls.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(body))
    numbers = pa.array(np.arange(block.first_line, block.first_line + n, dtype=np.int64))
    return numbers, texts
