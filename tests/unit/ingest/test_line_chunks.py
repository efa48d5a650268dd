"""Chunks of whole lines however the text arrives: any split into pieces, any chunk size,
the chunks rebuild the file and carry the right line numbers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.reader import line_chunks

HEADER = b"a,b\n"


def _pieces(text: bytes, cuts: list[int]) -> list[tuple[bytes, int]]:
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [(text[lo:hi], hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"x")), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=12),
    chunk_bytes=st.integers(min_value=1, max_value=200),
    trailing_newline=st.booleans(),
)
def test_chunks_rebuild_the_text_with_file_line_numbers(
    lines: list[bytes], cuts: list[int], chunk_bytes: int, trailing_newline: bool
) -> None:
    text = HEADER + b"\n".join(lines) + (b"\n" if trailing_newline and lines else b"")
    chunks = list(line_chunks(iter(_pieces(text, cuts)), 1, chunk_bytes))

    body = chunks[0].data + b"".join(c.data[len(HEADER) :] for c in chunks[1:])
    assert body == text
    file_lines = text.split(b"\n")
    for chunk in chunks:
        if chunk is not chunks[0]:
            assert chunk.data.startswith(HEADER)
        lines_of_chunk = chunk.data.split(b"\n")[: chunk.data.count(b"\n") + 1]
        if chunk.data.endswith(b"\n"):
            lines_of_chunk.pop()  # what follows the last newline is no line
        for number, line in enumerate(lines_of_chunk, start=1):
            if chunk is chunks[0] or number > 1:  # line 1 of a later chunk is the header
                assert file_lines[number + chunk.line_offset - 1] == line
    for chunk in chunks[:-1]:
        assert chunk.data.endswith(b"\n")  # only whole lines, except perhaps the last
    assert chunks[-1].file_bytes_read == (len(text) if text else 0)


def test_a_line_longer_than_a_chunk_stays_whole() -> None:
    long_line = b"1," + b"9" * 500 + b"\n"
    text = HEADER + long_line + b"2,3\n"
    pieces = [(text[:3], 3), (text[3:100], 100), (text[100:], len(text))]

    chunks = list(line_chunks(iter(pieces), 1, 64))

    # The header alone fits the first 64 bytes; the long line is cut at its end, not before.
    assert [c.data for c in chunks] == [HEADER, HEADER + long_line, HEADER + b"2,3\n"]
    assert [c.line_offset for c in chunks] == [0, 0, 1]
