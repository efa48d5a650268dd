"""Binance public trade files (data.binance.vision): `trades` and `aggTrades`, spot (no header)
or USDⓈ-M futures (with a header) -> trades in the stored schema.

Binance has no tick direction, so it is derived from successive prices the way Bybit assigns
it: up is PlusTick, down MinusTick, unchanged repeats the last move as ZeroPlusTick or
ZeroMinusTick. The first trade of a file (and an unchanged run before the first move) has no
reference and is ZeroPlusTick by convention. The taker side is Sell when the buyer was the
maker. trade_id is Binance's id, prefixed "agg-" for aggTrades (their own id space).

A big file is parsed in chunks of lines; the derivation then carries on from the previous
chunk's last trade (`TickCarry`), so a chunked parse equals a whole-file parse for a file in
time order, which Binance's files are (they are in trade-id order).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.ingest.domain.csv_table import read_csv_table
from services.ingest.domain.epoch import TimeUnit, epoch_us, timestamp_rules
from services.ingest.domain.kernel import TICK_CODES
from services.ingest.domain.rules import Rule, choice_rule, number_rules, raise_first_broken
from services.ingest.domain.sources import UTF8_BOM

TRADES_COLUMNS = ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match")
AGG_COLUMNS = (
    "agg_trade_id",
    "price",
    "quantity",
    "first_trade_id",
    "last_trade_id",
    "transact_time",
    "is_buyer_maker",
    "is_best_match",
)
_BOOLEANS = ("true", "false", "True", "False", "TRUE", "FALSE")


@dataclass(frozen=True)
class TickCarry:
    """Where the tick-direction derivation stands after a chunk: its last trade's price
    and the sign of the last move (+1 up or unknown, -1 down)."""

    price: float
    move: int

    @classmethod
    def after(cls, trades: pl.DataFrame) -> TickCarry | None:
        """The carry after `trades` (parsed, time-ordered), None if there are none."""
        if trades.is_empty():
            return None
        last = trades.row(trades.height - 1, named=True)
        down = last["tick_direction"] in ("MinusTick", "ZeroMinusTick")
        return cls(float(last["price"]), -1 if down else 1)


@dataclass(frozen=True)
class BinanceLayout:
    aggregated: bool
    names: tuple[str, ...] | None
    """Column names of a file without a header; None when the file has one."""

    @property
    def id_key(self) -> str:
        return "agg_trade_id" if self.aggregated else "id"

    @property
    def size_key(self) -> str:
        return "quantity" if self.aggregated else "qty"

    @property
    def time_key(self) -> str:
        return "transact_time" if self.aggregated else "time"


def binance_layout(data: bytes) -> BinanceLayout | None:
    """The Binance layout of `data` (decompressed), from its first line, or None."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    first = data[:4096].lstrip().split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    fields = [f.strip().strip('"') for f in first.split(",")]
    lowered = [f.lower() for f in fields]
    if "is_buyer_maker" in lowered:
        return BinanceLayout("agg_trade_id" in lowered, None)
    if not fields[0].isdigit():
        return None
    # No header (spot files): tell the layouts apart by where the booleans are.
    if len(fields) == 6 and fields[5] in _BOOLEANS:
        return BinanceLayout(False, TRADES_COLUMNS[:6])
    if len(fields) == 7 and fields[5] in _BOOLEANS:
        return BinanceLayout(False, TRADES_COLUMNS)
    if len(fields) == 7 and fields[6] in _BOOLEANS:
        return BinanceLayout(True, AGG_COLUMNS[:7])
    if len(fields) == 8 and fields[6] in _BOOLEANS:
        return BinanceLayout(True, AGG_COLUMNS)
    return None


def parse_binance_trades(
    data: bytes,
    name: str,
    layout: BinanceLayout,
    *,
    unit: TimeUnit = "auto",
    line_offset: int = 0,
    carry: TickCarry | None = None,
) -> pl.DataFrame:
    """Validate a Binance trade file (or a chunk of one: `line_offset` is added to line
    numbers, `carry` continues the tick derivation of the chunk before) and return its
    trades (stored schema, sorted by time, ties in file order). Binance writes ms, and us in
    spot files since 2025: `unit` "auto" tells them apart by magnitude. Raises InvalidInput
    naming line and field."""
    from services.ingest.domain.trades import TRADE_SCHEMA, with_occurrence

    required = (layout.id_key, "price", layout.size_key, layout.time_key, "is_buyer_maker")
    table = read_csv_table(
        data, name, required, what="trades", names=layout.names, line_offset=line_offset
    )
    labels = table.labels
    by_key: dict[str, list[Rule]] = {
        layout.id_key: [
            Rule(
                ~pl.col(layout.id_key).str.contains(r"^\d+$"),
                lambda row: (
                    f"field '{labels[layout.id_key]}': "
                    f"{row[layout.id_key]!r} is not a trade id (digits)"
                ),
            )
        ],
        "price": number_rules("price", labels["price"]),
        layout.size_key: number_rules(layout.size_key, labels[layout.size_key]),
        layout.time_key: timestamp_rules(layout.time_key, labels[layout.time_key], unit),
        "is_buyer_maker": [
            choice_rule("is_buyer_maker", labels["is_buyer_maker"], _BOOLEANS, optional=False)
        ],
    }
    position = {label.lower(): i for i, label in enumerate(table.header)}
    ordered = sorted(by_key, key=lambda key: position[key])
    rules = [table.field_count_rule(), *(rule for key in ordered for rule in by_key[key])]
    raise_first_broken(table.rows, rules, table.where)
    prefix = "agg-" if layout.aggregated else ""
    trades = (
        table.rows.select(
            epoch_us(pl.col(layout.time_key), unit)
            .cast(pl.Datetime("us", "UTC"))
            .alias("timestamp"),
            pl.col("price").cast(pl.Float64),
            pl.col(layout.size_key).cast(pl.Float64).alias("size"),
            pl.when(pl.col("is_buyer_maker").str.to_lowercase() == "true")
            .then(pl.lit("Sell"))
            .otherwise(pl.lit("Buy"))
            .alias("side"),
            (pl.lit(prefix) + pl.col(layout.id_key)).alias("trade_id"),
        )
        .sort("timestamp", maintain_order=True)
        .with_columns(derived_tick_direction(pl.col("price"), carry).alias("tick_direction"))
    )
    return with_occurrence(trades).cast(TRADE_SCHEMA).select(TRADE_SCHEMA.names())


def derived_tick_direction(price: pl.Expr, carry: TickCarry | None = None) -> pl.Expr:
    """Bybit-style tick direction of each trade from the price move since the previous one
    (for the first trade: since `carry`'s, if given)."""
    if carry is None:
        move = price.diff().sign()
    else:
        move = (price - price.shift(1, fill_value=carry.price)).sign()
    first_move = 1 if carry is None else carry.move
    last_move = pl.when(move != 0).then(move).forward_fill().fill_null(first_move)
    return (
        pl.when(move > 0)
        .then(pl.lit("PlusTick"))
        .when(move < 0)
        .then(pl.lit("MinusTick"))
        .when(last_move > 0)
        .then(pl.lit("ZeroPlusTick"))
        .otherwise(pl.lit("ZeroMinusTick"))
        .cast(pl.Enum(TICK_CODES))  # = trades.TICK_DIRECTION (imported late: a cycle)
    )
