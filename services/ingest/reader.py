"""A file on disk (plain, gzip, or a zip of one file) -> its text in chunks of whole lines,
with the numbers a chunked ingest needs: the file's line number where each chunk starts and
how much of the file has been read, so memory stays flat in the file's size and progress can
be reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from services.common.errors import InvalidInput, NotFound
from services.ingest.domain.sources import GZIP_MAGIC, count_newlines, gunzip_pieces, gzip_limit
from services.ingest.domain.zip_member import ZIP_MAGIC, unzip_pieces

CHUNK_BYTES = 20 * 1024 * 1024
"""Text validated at a time. Two chunks are parsed at once (see chunked_validation), so the
text in flight is about what one 32 MB chunk was; throughput is flat from ~16 MB up, and peak
memory grows ~15x this per chunk being parsed."""
_READ_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Chunk:
    data: bytes
    """Whole lines; every chunk but the first starts with the file's header line (if any)."""
    line_offset: int
    """Add to a line number within `data` to get the line number in the file."""
    file_bytes_read: int
    """Bytes of the file on disk (compressed, for gzip) consumed so far."""


def open_input(path: str, name: str) -> BinaryIO:
    """The uploaded or local file, opened for reading; NotFound/InvalidInput when it is not
    a readable regular file."""
    if not path:
        raise InvalidInput("path is required: the file to ingest")
    source = Path(path)
    if not source.exists():
        raise NotFound(f"{name}: no such file at {path}")
    if not source.is_file():
        raise InvalidInput(f"{name}: {path} is not a regular file")
    try:
        return open(source, "rb")
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read {path}: {exc.strerror}") from None


def is_gzip(handle: BinaryIO) -> bool:
    magic = handle.read(len(GZIP_MAGIC))
    handle.seek(0)
    return magic == GZIP_MAGIC


def is_zip(handle: BinaryIO) -> bool:
    magic = handle.read(len(ZIP_MAGIC))
    handle.seek(0)
    return magic == ZIP_MAGIC


def text_pieces(handle: BinaryIO, name: str, size: int) -> Iterator[tuple[bytes, int]]:
    """(decompressed piece, file bytes read so far), gunzipping or unzipping by magic bytes
    (with the same bomb limit as a whole-file read)."""
    if is_zip(handle):  # Binance's downloads: one CSV in a .zip
        for piece in unzip_pieces(handle, name, gzip_limit(size)):
            yield piece, min(handle.tell(), size)
        return
    raw = iter(lambda: handle.read(_READ_BYTES), b"")
    if not is_gzip(handle):
        yield from ((piece, handle.tell()) for piece in raw)
        return
    for piece in gunzip_pieces(raw, name, gzip_limit(size), size):
        yield piece, handle.tell()


def line_chunks(
    pieces: Iterator[tuple[bytes, int]], header_lines: int, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[Chunk]:
    """Group text pieces into chunks of whole lines of about `chunk_bytes`. The first
    `header_lines` lines (0 or 1) are repeated at the start of every later chunk."""
    held = _HeldText()
    header = b""
    lines_before = 0  # lines of the file before the held text
    first = True
    consumed = 0
    for piece, consumed in pieces:
        held.add(piece)
        while held.size >= chunk_bytes:
            cut = held.line_end(chunk_bytes)
            if cut == 0:
                break  # one very long line: keep reading until it ends
            if first and header_lines:
                data = b"".join(held.take(cut))
                header = data[: data.find(b"\n") + 1]
                yield Chunk(data, lines_before, consumed)
            else:
                data = b"".join([header, *held.take(cut)])
                yield Chunk(data, lines_before - bool(header), consumed)
            lines_before += count_newlines(data) - bool(header and not first)
            first = False
    if held.size or first:
        data = b"".join([b"" if first else header, *held.take(held.size)])
        yield Chunk(data, lines_before - bool(header and not first), consumed)


class _HeldText:
    """Text read but not yet cut into chunks, kept as the pieces it came in: a chunk is
    copied once, when it is cut, rather than once per piece appended and again per cut."""

    def __init__(self) -> None:
        self._parts: list[tuple[bytes, int]] = []  # (piece, offset where its text starts)
        self.size = 0

    def add(self, piece: bytes) -> None:
        if piece:
            self._parts.append((piece, 0))
            self.size += len(piece)

    def line_end(self, limit: int) -> int:
        """The offset just past the last newline before `limit`, else just past the first
        newline at all; 0 if the held text has no newline."""
        ends = []  # offset of each part's end within the held text
        offset = 0
        for piece, start in self._parts:
            offset += len(piece) - start
            ends.append(offset)
        for index in reversed(range(len(self._parts))):
            piece, start = self._parts[index]
            begin = ends[index] - (len(piece) - start)
            if begin >= limit:
                continue
            stop = start + min(len(piece) - start, limit - begin)
            found = piece.rfind(b"\n", start, stop)
            if found >= 0:
                return begin + found - start + 1
        begin = 0
        for piece, start in self._parts:
            found = piece.find(b"\n", start)
            if found >= 0:
                return begin + found - start + 1
            begin += len(piece) - start
        return 0

    def take(self, size: int) -> list[memoryview]:
        """The first `size` bytes held, as views (not copies), removed from the held text."""
        views = []
        while size:
            piece, start = self._parts[0]
            length = min(len(piece) - start, size)
            views.append(memoryview(piece)[start : start + length])
            size -= length
            self.size -= length
            if start + length == len(piece):
                self._parts.pop(0)
            else:
                self._parts[0] = (piece, start + length)
        return views
