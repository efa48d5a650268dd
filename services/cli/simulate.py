"""`trady simulate --bars B --signals S --rule R [--detail D] --out TRADES`: the EV engine on
files a user brings, in this process (no stack, no data root).

Bars, signals and detail are Parquet or CSV, by extension. `open_time` may be a Datetime (any
unit or zone; naive is UTC), integer Unix milliseconds, or, in CSV, ISO 8601 text (`Z`, an
offset, or none for UTC; a date alone is its midnight). The rule is a YAML mapping with the
rule's keys at the top level (`mode: ev`, as a report's rule carries it, is allowed). The trades
go to TRADES (Parquet or CSV, by extension) with the columns side, signal_time, entry_time,
exit_time, entry_fill, exit_fill, exit_reason, net_return, fees, bars_held, in that order (times
are the open_time of the bar whose price filled: docs/backtest.md); the metrics
(services.engine.metrics.summarize) print as JSON on stdout.

Bad input exits with code 2 and one line on stderr naming the file and, where it can, the row
(counted from 0, the header not counted; CSV errors also give the file's line) and the column.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from services.common.errors import InvalidInput

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
TRADE_COLUMNS = (
    "side",
    "signal_time",
    "entry_time",
    "exit_time",
    "entry_fill",
    "exit_fill",
    "exit_reason",
    "net_return",
    "fees",
    "bars_held",
)
TIME = "open_time"
BAR_COLUMNS = ("open", "high", "low", "close")
SIGNAL_COLUMNS = ("p_long", "p_short", "atr")
BAD_INPUT_EXIT = 2
ISO_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"{path}: use a .parquet or .csv file name (the format follows it)")
    return fmt


def _where(fmt: str, row: int) -> str:
    return f"row {row} (line {row + 2})" if fmt == "csv" else f"row {row}"


def _numbers(frame: pl.DataFrame, names: tuple[str, ...], path: Path) -> pl.DataFrame:
    """CSV text columns -> Float64, exactly: a value that is not a number is an error (an
    empty field is null, which the engine judges: no signal, or a bad price)."""
    casts = []
    for name in names:
        if name not in frame.columns:
            continue
        text = frame.get_column(name).str.strip_chars()
        values = text.cast(pl.Float64, strict=False)
        bad = values.is_null() & text.is_not_null() & (text != "")
        if bad.any():
            row = int(bad.arg_max() or 0)
            raise InvalidInput(
                f"{path}: {_where('csv', row)}: `{name}` is {text[row]!r}, not a number"
            )
        casts.append(values.alias(name))
    return frame.with_columns(casts)


def _iso_times(text: pl.Series, path: Path, fmt: str) -> pl.Series:
    """ISO 8601 text -> Datetime(us, UTC); polars parses the common shape, Python's
    fromisoformat the rest; anything else is an error naming the row."""
    text = text.str.strip_chars()
    shaped = text.str.contains(ISO_TIME.pattern)
    if not shaped.all():
        row = int((~shaped).arg_max() or 0)
        raise InvalidInput(
            f"{path}: {_where(fmt, row)}: `{TIME}` is {text[row]!r}: use ISO 8601 "
            "(2024-01-01T00:00:00Z) or integer Unix milliseconds"
        )
    try:
        fast = text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    except pl.exceptions.PolarsError:
        fast = pl.Series(TIME, [None] * len(text), pl.Datetime("us", "UTC"))
    missing: list[int] = fast.is_null().to_numpy().nonzero()[0].tolist()
    if not missing:
        return fast.alias(TIME)
    parsed: dict[str, datetime] = {}
    for index in missing:
        value = str(text[index])
        if value in parsed:
            continue
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            raise InvalidInput(
                f"{path}: {_where(fmt, index)}: `{TIME}` {value!r} is not a valid date/time"
            ) from None
        parsed[value] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    slow = pl.Series(TIME, [parsed[str(text[index])] for index in missing])
    filled = fast.scatter(missing, slow.cast(pl.Datetime("us", "UTC")))
    return filled.alias(TIME)


def _open_time(frame: pl.DataFrame, path: Path, fmt: str) -> pl.DataFrame:
    """`open_time` as the engine takes it: a Datetime, or integer Unix ms."""
    if TIME not in frame.columns:
        raise InvalidInput(f"{path}: no `{TIME}` column (have {', '.join(frame.columns)})")
    column = frame.get_column(TIME)
    nulls = column.is_null()
    if column.dtype == pl.String:
        nulls = nulls | (column.str.strip_chars() == "")
    if nulls.any():
        raise InvalidInput(f"{path}: {_where(fmt, int(nulls.arg_max() or 0))}: `{TIME}` is empty")
    if column.dtype == pl.String:
        text = column.str.strip_chars()
        integers = text.str.contains(r"^[+-]?\d+$")
        if integers.all():
            column = text.cast(pl.Int64, strict=False)
            if column.is_null().any():
                row = int(column.is_null().arg_max() or 0)
                raise InvalidInput(f"{path}: {_where(fmt, row)}: `{TIME}` {text[row]} is too large")
        else:
            column = _iso_times(text, path, fmt)
    elif column.dtype.is_float():
        whole = column.is_finite() & (column == column.floor())
        if not whole.all():
            row = int((~whole).arg_max() or 0)
            raise InvalidInput(
                f"{path}: {_where(fmt, row)}: `{TIME}` is {column[row]}: Unix ms are whole numbers"
            )
        column = column.cast(pl.Int64)
    elif not (column.dtype.is_integer() or column.dtype in (pl.Datetime, pl.Date)):
        raise InvalidInput(
            f"{path}: `{TIME}` must be a date/time or integer Unix ms, got {column.dtype}"
        )
    return frame.with_columns(column.alias(TIME))


def read_table(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """A bars, signals or detail file as the engine takes it (Parquet or CSV by extension).

    Raises:
        InvalidInput: the file is missing or unreadable, or a column is missing (bars and
            detail need all of `columns`; signals need `atr` and p_long and/or p_short) or
            holds a value that is not a number or a time, naming the row and column.
    """
    fmt = _format(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        frame = pl.read_csv(path, infer_schema=False) if fmt == "csv" else pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"{path}: not a readable {fmt} file: {first_line}") from None
    frame = frame.rename({name: name.strip() for name in frame.columns})
    required = ("atr",) if columns == SIGNAL_COLUMNS else columns
    missing = [name for name in required if name not in frame.columns]
    if columns == SIGNAL_COLUMNS and not {"p_long", "p_short"} & set(frame.columns):
        missing.append("p_long` and/or `p_short")
    missing = ([TIME] if TIME not in frame.columns else []) + missing
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(f'`{m}`' for m in missing)} "
            f"(have {', '.join(frame.columns) or 'none'})"
        )
    if fmt == "csv":
        frame = _numbers(frame, columns, path)
    return _open_time(frame, path, fmt)


def read_rule(path: Path) -> Any:
    """The EV rule from a YAML mapping of its keys. Raises InvalidInput naming the file and
    the unknown, missing or bad keys."""
    import yaml

    from services.engine.rule import EvRule

    try:
        mapping = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the rule: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(mapping, dict):
        raise InvalidInput(f"{path}: the rule is a YAML mapping of keys (k_tp: 2.0, ...)")
    mode = mapping.pop("mode", "ev")
    if mode != "ev":
        raise InvalidInput(f"{path}: `mode` is {mode!r}; simulate runs the EV rule (mode: ev)")
    unknown = [str(key) for key in mapping if key not in EvRule.model_fields]
    if unknown:
        raise InvalidInput(
            f"{path}: unknown key(s) {', '.join(f'`{k}`' for k in unknown)} "
            f"(a rule's keys: {', '.join(EvRule.model_fields)})"
        )
    return EvRule.from_mapping(mapping, source=str(path))


@contextmanager
def _csv_lines(path: Path | None) -> Iterator[None]:
    """The engine names rows; for a CSV file, add the line they are on."""
    try:
        yield
    except InvalidInput as exc:
        if path is None or _format(path) != "csv":
            raise
        prefix = re.escape(f"{path}: ")
        text = re.sub(
            rf"^{prefix}row (\d+):",
            lambda m: f"{path}: {_where('csv', int(m.group(1)))}:",
            str(exc),
        )
        raise InvalidInput(text) from None


def run_simulation(
    bars_path: Path,
    signals_path: Path,
    rule_path: Path,
    out: Path,
    detail_path: Path | None = None,
    timeframe: str | None = None,
) -> dict[str, Any]:
    """Read the files, run the engine, write the trades to `out` (all or nothing) and return
    the metrics. Raises InvalidInput for any bad input, naming the file."""
    from services.common.files import atomic_path
    from services.engine.inputs import read_bars, read_detail, read_signals
    from services.engine.metrics import summarize
    from services.engine.simulate import result_frames, simulate_arrays
    from services.research.signals import timeframe_minutes

    out_format = _format(out)
    rule = read_rule(rule_path)
    bars_frame = read_table(bars_path, BAR_COLUMNS)
    with _csv_lines(bars_path):
        bars = read_bars(bars_frame, what=str(bars_path))
    signals_frame = read_table(signals_path, SIGNAL_COLUMNS)
    with _csv_lines(signals_path):
        signals = read_signals(signals_frame, bars, what=str(signals_path))
    detail_frame = None if detail_path is None else read_table(detail_path, BAR_COLUMNS)
    with _csv_lines(detail_path):
        bar_ms = timeframe_minutes(timeframe) * 60_000 if timeframe else None
        detail = read_detail(detail_frame, bars, bar_ms, what=str(detail_path))
    result = result_frames(bars, simulate_arrays(bars, signals, rule, detail), rule)
    trades = result.trades.select(TRADE_COLUMNS)
    with atomic_path(out) as temp:
        if out_format == "csv":
            trades.write_csv(temp)
        else:
            trades.write_parquet(temp)
    summary: dict[str, Any] = summarize(result)
    return summary


def run(args: argparse.Namespace) -> int:
    try:
        summary = run_simulation(
            args.bars, args.signals, args.rule, args.out, args.detail, args.timeframe
        )
    except InvalidInput as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return BAD_INPUT_EXIT
    print(json.dumps(summary, indent=2, default=str))
    return 0


def register(sub: Any) -> None:
    """Add `trady simulate` to the `trady` subcommands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "simulate",
        help="run the EV engine on your bars and signals (Parquet or CSV), write the trades",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--bars", required=True, type=Path, help="open_time, open, high, low, close"
    )
    parser.add_argument(
        "--signals", required=True, type=Path, help="open_time, p_long, p_short, atr"
    )
    parser.add_argument("--rule", required=True, type=Path, help="YAML: k_tp, k_sl, ev_margin, ...")
    parser.add_argument("--detail", type=Path, help="optional 1m bars inside the signal bars")
    parser.add_argument(
        "--timeframe",
        help="the signal bars' length (e.g. 15m), which places detail bars in them; "
        "default: the smallest gap between bars",
    )
    parser.add_argument("--out", required=True, type=Path, help="TRADES.parquet or TRADES.csv")
    parser.set_defaults(fn=run)
