"""Trades cut into UTC days: the same parts as partitioning by date, without copying when
the trades are sorted."""

from __future__ import annotations

from datetime import date

import polars as pl

from services.ingest.domain.days import DAY_US, utc_days
from tests.unit.ingest.factories import T0_US, trades_frame

MIDNIGHT = DAY_US - (T0_US % DAY_US)  # microseconds after T0 to the next UTC midnight


def _by_date(trades: pl.DataFrame) -> list[tuple[date, pl.DataFrame]]:
    parts = trades.with_columns(pl.col("timestamp").dt.date().alias("d")).partition_by(
        "d", maintain_order=True, include_key=False, as_dict=True
    )
    return sorted(((key[0], part) for key, part in parts.items()), key=lambda kv: kv[0])


def _assert_same(
    got: list[tuple[date, pl.DataFrame]], want: list[tuple[date, pl.DataFrame]]
) -> None:
    assert [d for d, _ in got] == [d for d, _ in want]
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert a.equals(b)


def test_sorted_trades_are_cut_at_midnight_and_empty_days_skipped() -> None:
    trades = trades_frame(
        [
            (0, 1.0, 1.0, "Buy"),
            (MIDNIGHT - 1, 2.0, 1.0, "Sell"),  # last microsecond of day 1
            (MIDNIGHT, 3.0, 1.0, "Buy"),  # first of day 2
            (MIDNIGHT, 4.0, 1.0, "Buy"),
            (MIDNIGHT + 2 * DAY_US + 5, 5.0, 1.0, "Sell"),  # day 4; day 3 has none
        ]
    )
    days = utc_days(trades)

    assert [d.isoformat() for d, _ in days] == ["2024-01-01", "2024-01-02", "2024-01-04"]
    assert [part["price"].to_list() for _, part in days] == [[1.0, 2.0], [3.0, 4.0], [5.0]]
    _assert_same(days, _by_date(trades))


def test_unsorted_trades_are_partitioned_keeping_their_order() -> None:
    trades = trades_frame(
        [(MIDNIGHT + 5, 1.0, 1.0, "Buy"), (3, 2.0, 1.0, "Buy"), (MIDNIGHT + 1, 3.0, 1.0, "Buy")]
    )
    days = utc_days(trades)

    assert [part["price"].to_list() for _, part in days] == [[2.0], [1.0, 3.0]]
    _assert_same(days, _by_date(trades))


def test_no_trades_no_days() -> None:
    assert utc_days(trades_frame([])) == []
