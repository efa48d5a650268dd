"""`trady bars SYMBOL --timeframe TF [--start T] [--end T] --out FILE`: export stored bars as
Parquet or CSV (by the file's extension), read straight from the data root (no stack)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.errors import InvalidInput, TradyError
from services.common.files import atomic_path
from services.ingest.domain.resample import TIMEFRAMES

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def _ms(text: str | None) -> int:
    """ISO 8601 (UTC unless it says otherwise) -> unix ms; None -> 0 (unbounded)."""
    if not text:
        return 0
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def export_bars(
    data_dir: Path, symbol: str, timeframe: str, out: Path, start: str | None, end: str | None
) -> dict[str, Any]:
    """Write the bars to `out` (all or nothing) and describe what was written."""
    from services.ingest.bar_store import BarStore  # imported when used: `trady` starts faster

    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"{out}: use a .parquet or .csv file name (the format follows it)")
    bars = BarStore(data_dir).read(symbol, timeframe, _ms(start), _ms(end))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as temp:
        if fmt == "csv":
            bars.write_csv(temp)
        else:
            bars.write_parquet(temp)
    times = bars["open_time"].dt.epoch("ms")
    return {
        "symbol": symbol,
        "timeframe": timeframe,
        "rows": bars.height,
        "first_ms": None if bars.is_empty() else int(times.min()),  # type: ignore[arg-type]
        "last_ms": None if bars.is_empty() else int(times.max()),  # type: ignore[arg-type]
        "path": str(out),
        "format": fmt,
    }


def run(args: argparse.Namespace) -> int:
    from services.ingest.settings import IngestSettings

    try:
        summary = export_bars(
            IngestSettings().data_dir, args.symbol, args.timeframe, args.out, args.start, args.end
        )
    except TradyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


def register(sub: Any) -> None:
    """Add `trady bars` to the `trady` subcommands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "bars", help="export stored bars as Parquet or CSV (by the file's extension)"
    )
    parser.add_argument("symbol", type=str.upper)
    parser.add_argument("--timeframe", choices=TIMEFRAMES, default="1m")
    parser.add_argument("--start", help="ISO 8601, inclusive (UTC unless it says otherwise)")
    parser.add_argument("--end", help="ISO 8601, exclusive")
    parser.add_argument("--out", required=True, type=Path, help="FILE.parquet or FILE.csv")
    parser.set_defaults(fn=run)
