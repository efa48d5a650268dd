"""Chunks of whole lines with the file's line numbers, plain or gzip."""

from __future__ import annotations

import gzip
import io

import pytest

from services.common.errors import InvalidInput
from services.ingest.reader import line_chunks, text_pieces

TEXT = b"h1,h2\n" + b"".join(f"{i},{i * 2}\n".encode() for i in range(1, 2000))


@pytest.mark.parametrize("compress", [False, True])
def test_chunks_rebuild_the_file_and_carry_the_header(compress: bool) -> None:
    raw = gzip.compress(TEXT) if compress else TEXT
    pieces = text_pieces(io.BytesIO(raw), "t.csv", len(raw))
    chunks = list(line_chunks(pieces, header_lines=1, chunk_bytes=1000))

    assert len(chunks) > 5
    assert chunks[0].data.startswith(b"h1,h2\n") and chunks[0].line_offset == 0
    body = b"".join(c.data[len(b"h1,h2\n") :] for c in chunks)
    assert b"h1,h2\n" + body == TEXT
    for chunk in chunks[1:]:
        assert chunk.data.startswith(b"h1,h2\n")
        second_line = chunk.data.split(b"\n")[1]
        file_line = 2 + chunk.line_offset  # line 2 of the chunk is its first data line
        assert TEXT.split(b"\n")[file_line - 1] == second_line
    assert chunks[-1].file_bytes_read == len(raw)


def test_streamed_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"0" * (200 * 1024 * 1024), compresslevel=9)
    with pytest.raises(InvalidInput, match="gzip bomb"):
        list(text_pieces(io.BytesIO(bomb), "b.csv.gz", len(bomb)))


def test_streamed_truncated_gzip_is_refused() -> None:
    cut = gzip.compress(TEXT)[:-20]
    with pytest.raises(InvalidInput, match="truncated"):
        list(text_pieces(io.BytesIO(cut), "c.csv.gz", len(cut)))
