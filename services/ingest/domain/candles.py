"""1m candle files (CSV, Parquet, Feather/Arrow IPC) -> validated 1m bars with null order
flow. The time column may be `open_time`, `timestamp`, `date` or `time`, holding datetimes,
UTC date-time text, or unix seconds / milliseconds."""

from __future__ import annotations

import io

import polars as pl

from services.common.errors import InvalidInput
from services.ingest.domain.bars import BAR_SCHEMA, PRICE_COLUMNS
from services.ingest.domain.csv_table import read_csv_table
from services.ingest.domain.epoch import (
    PLAUSIBLE_FROM_US,
    PLAUSIBLE_UNTIL_US,
    TimeUnit,
    epoch_us,
    unit_description,
)
from services.ingest.domain.rules import (
    LINE,
    Location,
    Row,
    Rule,
    as_float,
    number_rules,
    raise_first_broken,
    show,
)
from services.ingest.domain.sources import FileFormat

TIME_ALIASES = ("open_time", "timestamp", "date", "time")
MINUTE_US = 60_000_000
_TIME = "_time_us"
_FIRST = "_first_line"  # the first line (or row) with the same open time
_TEXT_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_UTC_SUFFIX = r"(?:Z|z|\+00:?00| ?UTC)$"


def parse_candles(
    data: bytes, fmt: FileFormat, name: str, *, unit: TimeUnit = "auto"
) -> pl.DataFrame:
    """Validate a whole candle file (decompressed bytes) and return its 1m bars, sorted by
    open time, duplicates (identical rows) dropped. `unit` applies to numeric times ("auto":
    by magnitude). Raises InvalidInput naming the line (CSV) or row (Parquet/Feather) and the
    field of the first problem, for non-1m candles too."""
    frame, labels, where, header, structural = _load(data, fmt, name)
    time_key = next((key for key in TIME_ALIASES if key in labels), None)
    if time_key is None:
        raise InvalidInput(
            f"{header}: missing the time column (one of {', '.join(TIME_ALIASES)}); "
            f"the columns are {', '.join(repr(v) for v in labels.values())}"
        )
    frame = frame.with_columns(
        _time_us(frame.schema[time_key], pl.col(time_key), unit).alias(_TIME)
    )
    frame = frame.with_columns(pl.col(LINE).min().over(_TIME).alias(_FIRST))
    order = list(labels)
    by_key = {key: number_rules(key, labels[key]) for key in ("open", "high", "low", "close")}
    by_key["volume"] = number_rules("volume", labels["volume"], inclusive=True)
    by_key["high"].append(_high_rule(labels["high"]))
    by_key["low"].append(_low_rule(labels["low"]))
    by_key[time_key] = _time_rules(time_key, labels[time_key], unit)
    rules = [*structural, *(r for key in sorted(by_key, key=order.index) for r in by_key[key])]
    rules.append(_conflict_rule(time_key, labels[time_key], where))
    raise_first_broken(frame, rules, where)
    bars = frame.select(
        pl.col(_TIME).cast(pl.Datetime("us", "UTC")).dt.cast_time_unit("ms").alias("open_time"),
        *[as_float(pl.col(key)).alias(key) for key in PRICE_COLUMNS],
    )
    bars = bars.unique("open_time", keep="first", maintain_order=True).sort("open_time")
    _require_1m(bars, frame, labels[time_key], where)
    return bars.with_columns(
        [pl.lit(None, dtype=BAR_SCHEMA[c]).alias(c) for c in BAR_SCHEMA.names()[6:]]
    ).cast(BAR_SCHEMA)


def _load(
    data: bytes, fmt: FileFormat, name: str
) -> tuple[pl.DataFrame, dict[str, str], Location, str, list[Rule]]:
    """Rows (with LINE), lower-case key -> column label, how to name a row, how to name the
    header in messages, and the structural rules to check before any value."""
    if fmt is FileFormat.CSV:
        table = read_csv_table(data, name, PRICE_COLUMNS, TIME_ALIASES, what="candles")
        header = table.where.at(table.header_line)
        return table.rows, table.labels, table.where, header, [table.field_count_rule()]
    try:
        if fmt is FileFormat.PARQUET:
            frame = pl.read_parquet(io.BytesIO(data))
        elif data.startswith(b"ARROW1"):
            frame = pl.read_ipc(io.BytesIO(data))
        else:
            frame = pl.read_ipc_stream(io.BytesIO(data))
    except Exception as exc:  # the reader's own error says what is wrong with the bytes
        raise InvalidInput(f"{name}: cannot read the {fmt.value} file: {exc}") from None
    labels: dict[str, str] = {}
    for column in frame.columns:
        if column.lower() in labels:
            raise InvalidInput(f"{name}: column {column!r} appears twice")
        labels[column.lower()] = column
    missing = [c for c in PRICE_COLUMNS if c not in labels]
    if missing:
        raise InvalidInput(
            f"{name}: missing required column(s) {', '.join(repr(m) for m in missing)}; "
            f"the columns are {', '.join(repr(c) for c in frame.columns)}"
        )
    if frame.height == 0:
        raise InvalidInput(f"{name}: the file has no candles")
    frame = frame.rename({v: k for k, v in labels.items()}).with_row_index(LINE, offset=1)
    frame = frame.with_columns(pl.col(LINE).cast(pl.Int64))
    return frame, labels, Location(name, "row"), name, []


def _time_us(dtype: pl.DataType, column: pl.Expr, unit: TimeUnit) -> pl.Expr:
    """Int64 microseconds since the epoch, UTC; null where the value is not a time."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            column = column.dt.replace_time_zone("UTC")  # naive datetimes are taken as UTC
        return column.dt.convert_time_zone("UTC").dt.cast_time_unit("us").to_physical()
    if isinstance(dtype, pl.Date):
        return column.cast(pl.Datetime("us")).to_physical()
    text = column.cast(pl.String).str.strip_chars()
    plain = text.str.replace(_UTC_SUFFIX, "").str.replace("T", " ", literal=True)
    parsed = [plain.str.strptime(pl.Datetime("us"), f, strict=False) for f in _TEXT_FORMATS]
    as_text = pl.coalesce(parsed).to_physical()
    is_number = as_float(text).is_not_null()
    return pl.when(is_number).then(epoch_us(text, unit)).otherwise(as_text)


def _time_rules(key: str, label: str, unit: TimeUnit) -> list[Rule]:
    text = pl.col(key).cast(pl.String)
    number = as_float(text)
    value = pl.col(_TIME)
    return [
        Rule(text.is_null() | (text == ""), lambda row: f"field '{label}': is empty"),
        Rule(
            number.is_nan() | number.is_infinite() | (number <= 0),
            lambda row: f"field '{label}': {show(row[key])} is not a positive unix timestamp",
        ),
        Rule(
            value.is_null(),
            lambda row: (
                f"field '{label}': {show(row[key])} is not a time (expected a UTC "
                "date-time like 2025-05-20 00:00:00, or unix seconds or milliseconds)"
            ),
        ),
        Rule(
            (value < PLAUSIBLE_FROM_US) | (value >= PLAUSIBLE_UNTIL_US),
            lambda row: (
                f"field '{label}': {show(row[key])} is not a plausible candle time (outside "
                f"2000-2099; a number is {unit_description(unit)})"
            ),
        ),
        Rule(
            value % MINUTE_US != 0,
            lambda row: (
                f"field '{label}': {show(row[key])} is not the start of a minute; "
                "only 1m candles (labelled by open time) can be imported"
            ),
        ),
    ]


def _high_rule(label: str) -> Rule:
    high = as_float(pl.col("high"))
    lowest_allowed = pl.max_horizontal(as_float(pl.col(c)) for c in ("open", "close", "low"))

    def explain(row: Row) -> str:
        return (
            f"field '{label}': {show(row['high'])} is below open/low/close "
            f"({show(row['open'])}, {show(row['low'])}, {show(row['close'])})"
        )

    return Rule(high < lowest_allowed, explain)


def _low_rule(label: str) -> Rule:
    low = as_float(pl.col("low"))
    highest_allowed = pl.min_horizontal(as_float(pl.col(c)) for c in ("open", "close"))

    def explain(row: Row) -> str:
        return (
            f"field '{label}': {show(row['low'])} is above open/close "
            f"({show(row['open'])}, {show(row['close'])})"
        )

    return Rule(low > highest_allowed, explain)


def _conflict_rule(key: str, label: str, where: Location) -> Rule:
    """A repeated open time is fine when the rows are identical, an error when they differ."""
    values = pl.struct([as_float(pl.col(c)) for c in PRICE_COLUMNS])
    bad = (values.n_unique().over(_TIME) > 1) & (pl.col(LINE) != pl.col(_FIRST))

    def explain(row: Row) -> str:
        return (
            f"field '{label}': {show(row[key])} repeats the open time of {where.unit} "
            f"{row[_FIRST]} with different values"
        )

    return Rule(bad, explain)


def _require_1m(bars: pl.DataFrame, frame: pl.DataFrame, label: str, where: Location) -> None:
    if bars.height < 2:
        return
    gaps = bars.select(
        pl.col("open_time").dt.epoch("us").alias(_TIME),
        pl.col("open_time").diff().dt.total_minutes().alias("gap"),
    ).drop_nulls()
    smallest = gaps.sort("gap", maintain_order=True).row(0, named=True)
    if smallest["gap"] <= 1:
        return
    line = frame.filter(pl.col(_TIME) == smallest[_TIME]).row(0, named=True)[LINE]
    raise InvalidInput(
        f"{where.at(line)}, field '{label}': candles are at least {smallest['gap']} minutes "
        "apart, so these are not 1m candles; import 1m candles (Trady builds 5m, 15m, 1h "
        "and 4h bars itself)"
    )
