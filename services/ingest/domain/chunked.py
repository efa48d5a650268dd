"""Trades parsed chunk by chunk -> the trades of the whole file."""

from __future__ import annotations

import polars as pl

from services.ingest.domain.trades import empty_trades, with_occurrence


def join_chunks(chunks: list[pl.DataFrame]) -> pl.DataFrame:
    """The trades of a file's chunks (each as parsing returns it: sorted by time, ties in
    file order, `occurrence` counted within the chunk) as one frame, sorted by time with ties
    in file order and `occurrence` counted over the whole file.

    When every chunk ends before the next begins (a file sorted by time, cut between two
    timestamps), the chunks' own numbering already is the file's, since identical rows share
    a timestamp; then the frames are only concatenated (no copy). Otherwise the whole is
    sorted and numbered again.
    """
    chunks = [chunk for chunk in chunks if chunk.height]
    if not chunks:
        return empty_trades()
    whole = pl.concat(chunks)
    stamps = [(chunk["timestamp"][0], chunk["timestamp"][-1]) for chunk in chunks]
    apart = all(end < start for (_, end), (start, _) in zip(stamps, stamps[1:], strict=False))
    if apart and all(chunk["timestamp"].is_sorted() for chunk in chunks):
        return whole
    return with_occurrence(whole)
