"""Merge a batch of parsed trades into the stored trades of a day, without duplicates."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.ingest.domain.trades import ROW_IDENTITY, TRADE_SCHEMA

_ORDER = "_order"


@dataclass(frozen=True)
class TradeMerge:
    trades: pl.DataFrame
    """Stored and new trades, sorted by time. Ties keep arrival order: stored trades first, then
    the batch in file order (so re-ingesting the same file changes nothing)."""
    added: int
    duplicates: int


def merge_trades(stored: pl.DataFrame, batch: pl.DataFrame) -> TradeMerge:
    """Add the trades of `batch` that `stored` does not already hold.

    Identity is the trade_id (Bybit's trdMatchID) where there is one, else the full row plus
    its occurrence index (see `ROW_IDENTITY`). A batch that repeats a trade_id keeps the first.
    A trade seen once with an id and once without is stored twice: no rule can match them.
    """
    if stored.height == 0 and batch["timestamp"].is_sorted():
        # The first ingest of a day: nothing to join against or re-sort (saves two copies
        # of the day's trades, which bound an ingest's peak memory).
        if batch["trade_id"].null_count() == batch.height:
            new = batch  # no ids to repeat: a filter would only copy
        else:
            keep = pl.col("trade_id").is_null() | pl.col("trade_id").is_first_distinct()
            new = batch.filter(keep)
        if new.schema != TRADE_SCHEMA:  # (a cast to the same schema still copies)
            new = new.cast(TRADE_SCHEMA)
        return TradeMerge(new, added=new.height, duplicates=batch.height - new.height)
    numbered = batch.with_row_index(_ORDER)
    with_id = numbered.filter(pl.col("trade_id").is_not_null())
    with_id = with_id.filter(pl.col("trade_id").is_first_distinct()).join(
        stored.select("trade_id").drop_nulls(), on="trade_id", how="anti"
    )
    without_id = numbered.filter(pl.col("trade_id").is_null()).join(
        stored.filter(pl.col("trade_id").is_null()).select(ROW_IDENTITY),
        on=list(ROW_IDENTITY),
        how="anti",
        nulls_equal=True,  # an absent tickDirection matches an absent tickDirection
    )
    new = pl.concat([with_id, without_id]).sort(_ORDER).drop(_ORDER)
    merged = pl.concat([stored.cast(TRADE_SCHEMA), new.cast(TRADE_SCHEMA)])
    merged = merged.sort("timestamp", maintain_order=True)
    return TradeMerge(merged, added=new.height, duplicates=batch.height - new.height)
