"""Trade CSVs (Bybit's daily files, the short canonical form, either with extra columns, or
Binance trades/aggTrades, detected by their first line) -> validated trades in the stored
schema, sorted by time with ties in file order."""

from __future__ import annotations

import polars as pl

from services.ingest.domain.binance import binance_layout, parse_binance_trades
from services.ingest.domain.csv_table import CsvTable, read_csv_table
from services.ingest.domain.epoch import (
    PLAUSIBLE_FROM_US,
    PLAUSIBLE_UNTIL_US,
    TimeUnit,
    decimal_epoch_us,
    epoch_us,
    epoch_us_series,
    is_decimal,
    timestamp_rules,
)
from services.ingest.domain.kernel import TICK_CODES, byte_census
from services.ingest.domain.rules import Row, Rule, choice_rule, number_rules, raise_first_broken
from services.ingest.domain.sources import UTF8_BOM

SIDES = ("Buy", "Sell")
TICK_DIRECTIONS = TICK_CODES  # the Enum's order is the bar kernel's code order
SIDE = pl.Enum(SIDES)
TICK_DIRECTION = pl.Enum(TICK_DIRECTIONS)
"""Side and tick direction are stored as Enums, not strings: parsed straight into one byte
per trade, they halve the cost of writing a day's trades (dictionary pages instead of
millions of short strings) and let the bar kernel take the tick direction's code as is."""
REQUIRED = ("timestamp", "price", "size", "side")
_ENUM_KEYS = {"side": SIDE, "tickdirection": TICK_DIRECTION}
# tickDirection may be absent or empty: Bybit itself sends none for some prints.
OPTIONAL = ("tickdirection", "trdmatchid", "symbol")

TRADE_SCHEMA = pl.Schema(
    {
        "timestamp": pl.Datetime("us", "UTC"),
        "price": pl.Float64(),
        "size": pl.Float64(),
        "side": SIDE,
        "tick_direction": TICK_DIRECTION,
        "trade_id": pl.String(),  # Bybit's trdMatchID; null when the file has none
        "occurrence": pl.UInt32(),  # n-th identical row in its file (identity without an id)
    }
)
ROW_IDENTITY = ("timestamp", "price", "size", "side", "tick_direction", "occurrence")
"""What identifies a trade that has no trade_id: the whole row plus its occurrence index, so
two genuinely identical prints in one file both survive but a re-ingest adds nothing."""


def empty_trades() -> pl.DataFrame:
    return TRADE_SCHEMA.to_frame()


def parse_trades(
    data: bytes,
    name: str,
    symbol: str | None = None,
    line_offset: int = 0,
    *,
    unit: TimeUnit = "auto",
) -> pl.DataFrame:
    """Validate a whole trade CSV (decompressed bytes) and return its trades.

    `name` is the file name shown in messages. With `symbol`, a `symbol` column (if any) must
    match it on every row; `line_offset` is added to the line numbers of messages (for a
    chunk of a larger file, its header line first); `unit` is the timestamps' unit ("auto":
    by each value's magnitude). Raises InvalidInput naming the line and field of the first
    problem; no partial result is ever returned.
    """
    layout = binance_layout(data)
    if layout is not None:
        return parse_binance_trades(data, name, layout, unit=unit)
    fast = fast_parse_trades(data, symbol, unit=unit)
    if fast is not None:
        return fast
    return validating_parse_trades(data, name, symbol, line_offset, unit=unit)


def validating_parse_trades(
    data: bytes,
    name: str,
    symbol: str | None = None,
    line_offset: int = 0,
    *,
    unit: TimeUnit = "auto",
) -> pl.DataFrame:
    """The reference path of `parse_trades` for Bybit-style files: every rule checked row by
    row, so a problem is named by line and field."""
    table = read_csv_table(data, name, REQUIRED, OPTIONAL, what="trades", line_offset=line_offset)
    raise_first_broken(table.rows, _rules(table, symbol, unit), table.where)
    rows = table.rows
    optional = {key: pl.col(key) if key in rows.columns else pl.lit(None) for key in OPTIONAL}
    trades = rows.select(
        epoch_us(pl.col("timestamp"), unit).cast(pl.Datetime("us", "UTC")).alias("timestamp"),
        pl.col("price").cast(pl.Float64),
        pl.col("size").cast(pl.Float64),
        pl.col("side"),
        _none_if_empty(optional["tickdirection"]).alias("tick_direction"),
        _none_if_empty(optional["trdmatchid"]).alias("trade_id"),
    )
    return with_occurrence(trades).cast(TRADE_SCHEMA)


def fast_parse_trades(
    data: bytes, symbol: str | None = None, *, unit: TimeUnit = "auto"
) -> pl.DataFrame | None:
    """The same trades as the validating path for a clean file, 20x faster; None when the
    file is anything but plainly valid, so that the slow path finds and names the problem.

    Clean means: polars' typed multi-threaded reader accepts it, every line has exactly the
    header's field count (no blank, short or long lines: checked by counting bytes), and every
    value passes the same checks as the slow path's rules. Anything unusual in the bytes
    (quotes, spaces, CR, BOM, control bytes) sends the file down the slow path, whose output
    this must equal (tested).
    """
    census = byte_census(data)
    if census.unusual or data.startswith(UTF8_BOM):
        return None
    if census.non_ascii:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    header = data[: data.find(b"\n")].decode().split(",")  # (partition would copy the file)
    keys = [h.lower() for h in header]
    if len(set(keys)) != len(keys) or not set(REQUIRED) <= set(keys) or "" in keys:
        return None
    lines = census.newlines + (0 if data.endswith(b"\n") else 1)
    if lines < 2 or census.commas != lines * (len(header) - 1):
        return None
    wanted = {k: header[keys.index(k)] for k in (*REQUIRED, *OPTIONAL) if k in keys}
    floats = {wanted["price"], wanted["size"]}
    # Decimal seconds (Bybit's) are read as floats at once: ~0.2 core-s per 5 M trades
    # less than reading text and parsing it after.
    decimal = is_decimal(_first_value(data, keys.index("timestamp")))
    if decimal:
        floats.add(wanted["timestamp"])
    # Parsed straight into the Enums: a value outside them fails the read (slow path).
    enums = {wanted[k]: dtype for k, dtype in _ENUM_KEYS.items() if k in wanted}
    try:
        raw = pl.read_csv(
            data,
            columns=list(wanted.values()),
            schema_overrides={
                label: pl.Float64 if label in floats else enums.get(label, pl.String)
                for label in wanted.values()
            },  # fmt: skip
            quote_char=None,
        )
    except Exception:  # noqa: BLE001 - any reader complaint: the slow path explains it
        return None
    if raw.height != lines - 1:
        return None
    raw = raw.rename({label: key for key, label in wanted.items()})
    if decimal:
        micros = decimal_epoch_us(raw["timestamp"], unit)
        if micros is None:  # a null, or beyond exact floats: the slow path decides
            return None
    else:
        micros = epoch_us_series(raw["timestamp"], unit)
    raw = raw.with_columns(micros.alias("_us"))
    optional = {key: pl.col(key) if key in raw.columns else pl.lit(None) for key in OPTIONAL}
    timestamp = pl.col("_us")
    price, size, side = pl.col("price"), pl.col("size"), pl.col("side")
    tick = optional["tickdirection"]
    ok = [
        timestamp.is_not_null().all(),
        ((timestamp >= PLAUSIBLE_FROM_US) & (timestamp < PLAUSIBLE_UNTIL_US)).all(),
        # .all() skips nulls, so a missing value is checked on its own.
        pl.all_horizontal(c.null_count() == 0 for c in (price, size, side)),
        (price.is_finite() & (price > 0)).all(),
        (size.is_finite() & (size > 0)).all(),
        # side and tickDirection need no check: the reader refused any value outside them.
    ]
    if symbol is not None and "symbol" in raw.columns:
        ok.append((pl.col("symbol").str.to_uppercase() == symbol).all())
    if not all(raw.select(check.alias(f"ok{i}") for i, check in enumerate(ok)).row(0)):
        return None
    trades = raw.select(
        timestamp.cast(pl.Datetime("us", "UTC")).alias("timestamp"),
        price,
        size,
        side,
        tick.cast(TICK_DIRECTION).alias("tick_direction"),  # (null when the file has none)
        optional["trdmatchid"].cast(pl.String).alias("trade_id"),
    )
    return _in_trade_schema(with_occurrence(trades))


def _first_value(data: bytes, index: int) -> str:
    """Field `index` of the first line after the header ("" if there is none)."""
    start = data.find(b"\n") + 1
    end = data.find(b"\n", start)
    fields = (data[start:] if end < 0 else data[start:end]).split(b",")
    return fields[index].decode() if index < len(fields) else ""


def _in_trade_schema(trades: pl.DataFrame) -> pl.DataFrame:
    # A cast to the schema a frame already has still costs a pass over it (~0.1 s per 5 M
    # trades), so it is skipped then.
    return trades if trades.schema == TRADE_SCHEMA else trades.cast(TRADE_SCHEMA)


def with_occurrence(trades: pl.DataFrame) -> pl.DataFrame:
    """`trades` (in file order) sorted by time, ties in file order, with the `occurrence`
    column added.

    Identical rows share a timestamp, so after the stable sort only runs of equal timestamps
    need the sort in `_occurrence` (the sort keeps identical rows in file order, so their
    numbering is the file's); every other trade gets 0.
    """
    trades = trades.drop("occurrence", strict=False)  # numbered afresh over the whole input
    if not trades["timestamp"].is_sorted():  # a check is ~100x cheaper than a no-op sort
        trades = trades.sort("timestamp", maintain_order=True)
    stamp = pl.col("timestamp")
    tied = trades.select(
        (stamp == stamp.shift(1)).fill_null(False) | (stamp == stamp.shift(-1)).fill_null(False)
    ).to_series()
    if not tied.any():
        return trades.with_columns(pl.lit(0, pl.UInt32).alias("occurrence"))
    # Scattered into zeros at the tied rows: ~5x cheaper than joining back on a row index.
    counts = _occurrence(trades.filter(tied))
    occurrence = pl.zeros(trades.height, pl.UInt32, eager=True).scatter(tied.arg_true(), counts)
    return trades.with_columns(occurrence.alias("occurrence"))


def _occurrence(trades: pl.DataFrame) -> pl.Series:
    """For each trade without an id: how many identical rows came before it in the file.

    Done with a stable sort and run lengths rather than `int_range().over(keys)`, which is
    ~10x slower on a 2M-row day. Trades with an id get 0 (the id is their identity).
    """
    keys = ["_no_id", *ROW_IDENTITY[:-1]]
    position = pl.int_range(pl.len(), dtype=pl.UInt32)
    new_run = ~pl.all_horizontal(pl.col(k).eq_missing(pl.col(k).shift(1)) for k in keys)
    run_start = pl.when(new_run).then(position).forward_fill()
    counted = (
        trades.select(pl.col("trade_id").is_null().alias("_no_id"), *ROW_IDENTITY[:-1])
        .with_row_index("_file_order")
        .sort(keys, maintain_order=True, nulls_last=True)
        .with_columns((position - run_start).alias("occurrence"))
        .sort("_file_order")
    )
    occurrence = counted.select(
        pl.when(pl.col("_no_id")).then(pl.col("occurrence")).otherwise(0).cast(pl.UInt32)
    )
    return occurrence.to_series().alias("occurrence")


def _none_if_empty(value: pl.Expr) -> pl.Expr:
    text = value.cast(pl.String)
    return pl.when(text != "").then(text)


def _rules(table: CsvTable, symbol: str | None, unit: TimeUnit) -> list[Rule]:
    labels = table.labels
    by_key: dict[str, list[Rule]] = {
        "timestamp": timestamp_rules("timestamp", labels["timestamp"], unit),
        "price": number_rules("price", labels["price"]),
        "size": number_rules("size", labels["size"]),
        "side": [choice_rule("side", labels["side"], SIDES, optional=False)],
    }
    if "tickdirection" in labels:
        label = labels["tickdirection"]
        by_key["tickdirection"] = [
            choice_rule("tickdirection", label, TICK_DIRECTIONS, optional=True)
        ]
    if symbol is not None and "symbol" in labels:
        by_key["symbol"] = [_symbol_rule(labels["symbol"], symbol)]
    # In column order, so the leftmost broken field of a line is the one reported.
    position = {label.lower(): i for i, label in enumerate(table.header)}
    ordered = sorted(by_key, key=lambda key: position[key])
    return [table.field_count_rule(), *(rule for key in ordered for rule in by_key[key])]


def _symbol_rule(label: str, symbol: str) -> Rule:
    def explain(row: Row) -> str:
        return (
            f"field '{label}': {row['symbol']!r} is not {symbol}, the symbol being ingested "
            "(a file must hold the trades of one symbol)"
        )

    value = pl.col("symbol")
    return Rule(value.is_null() | (value.str.to_uppercase() != symbol), explain)
