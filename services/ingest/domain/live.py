"""Live trades -> the forming 1m bar of one symbol, and the minutes that close as time passes.

The forming minute keeps its trades (not running sums): a closed minute is handed over as
trades, stored and turned into a bar by exactly the code a batch ingest uses, so bars built
live equal bars built in batch from the same trades, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from services.ingest.domain.trades import SIDES, TICK_DIRECTIONS, TRADE_SCHEMA, with_occurrence

MINUTE_US = 60_000_000


@dataclass(frozen=True)
class LiveTrade:
    timestamp_us: int
    price: float
    size: float
    side: str
    tick_direction: str | None = None
    trade_id: str | None = None

    def problem(self) -> str | None:
        """Why this trade cannot be used, or None."""
        from services.ingest.domain.epoch import PLAUSIBLE_FROM_US, PLAUSIBLE_UNTIL_US

        if not PLAUSIBLE_FROM_US <= self.timestamp_us < PLAUSIBLE_UNTIL_US:
            return f"timestamp_us {self.timestamp_us} is not a plausible trade time (2000-2099)"
        for name, value in (("price", self.price), ("size", self.size)):
            if not value > 0 or value == float("inf"):  # also catches NaN
                return f"{name} {value} must be a finite number greater than 0"
        if self.side not in SIDES:
            return f"side {self.side!r} is not one of {', '.join(SIDES)}"
        if self.tick_direction and self.tick_direction not in TICK_DIRECTIONS:
            return f"tick_direction {self.tick_direction!r} is not one of " + ", ".join(
                TICK_DIRECTIONS
            )
        return None


@dataclass
class FormingMinute:
    """The live state of one symbol: the open minute and its trades."""

    start_us: int | None = None
    trades: list[LiveTrade] = field(default_factory=list)

    def add(self, trade: LiveTrade) -> tuple[list[LiveTrade], bool]:
        """Add `trade`; returns (trades of the minute it closed, or [], whether it was late).

        A trade older than the forming minute is late: its minute is already closed and
        published, so it is refused (ingest its file to repair that minute)."""
        minute = trade.timestamp_us // MINUTE_US * MINUTE_US
        if self.start_us is not None and minute < self.start_us:
            return [], True
        closed: list[LiveTrade] = []
        if self.start_us is not None and minute > self.start_us:
            closed, self.trades = self.trades, []
        self.start_us = minute
        self.trades.append(trade)
        return closed, False

    def close_before(self, now_us: int) -> list[LiveTrade]:
        """Close the forming minute if it ended at or before `now_us` (a clock tick)."""
        if self.start_us is None or now_us < self.start_us + MINUTE_US or not self.trades:
            return []
        closed, self.trades = self.trades, []
        return closed


def live_trades_frame(trades: list[LiveTrade]) -> pl.DataFrame:
    """Trades in the stored schema, sorted by time, ties in arrival order."""
    frame = pl.DataFrame(
        {
            "timestamp": [t.timestamp_us for t in trades],
            "price": [float(t.price) for t in trades],
            "size": [float(t.size) for t in trades],
            "side": [t.side for t in trades],
            "tick_direction": [t.tick_direction or None for t in trades],
            "trade_id": [t.trade_id or None for t in trades],
        },
        schema_overrides={
            "timestamp": pl.Int64,
            "tick_direction": pl.String,
            "trade_id": pl.String,
        },  # fmt: skip
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    return with_occurrence(frame).cast(TRADE_SCHEMA).select(TRADE_SCHEMA.names())
