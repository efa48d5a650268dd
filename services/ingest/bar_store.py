"""Stored bars, read by every service (read-only) and written by ingest:

bars/{SYMBOL}/{tf}/{YYYY-MM}.parquet        bars of one timeframe (1m, 5m, 15m, 1h, 4h), a month
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from services.common.errors import InvalidInput, NotFound
from services.ingest.domain.bars import BAR_SCHEMA, conform_bars, empty_bars
from services.ingest.domain.resample import TIMEFRAMES
from services.ingest.domain.symbols import normalize_symbol
from services.ingest.parquet_files import in_range, read_parquet, row_count, write_parquet_atomic


class BarStore:
    """Stored bars: per symbol and timeframe a folder with one Parquet file per UTC month,
    `bars/{SYMBOL}/{tf}/{YYYY-MM}.parquet` (schema `BAR_SCHEMA`, sorted by open_time).

    Monthly files keep the cost of a write at a month's bars, not the symbol's history (a live
    minute closing rewrites one month of each timeframe), and let a range read open only the
    months it spans. No bar of any timeframe crosses a month boundary (4h bars open at 00 UTC).
    Other services read bars through this class (read-only); only ingest writes, holding the
    symbol's lock. A store written before months existed (`bars/{SYMBOL}/{tf}.parquet`) is
    read as it is and split into months on the next write.
    """

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir)

    def folder(self, symbol: str, timeframe: str) -> Path:
        """The timeframe's folder of month files; InvalidInput for a bad symbol/timeframe."""
        if timeframe not in TIMEFRAMES:
            raise InvalidInput(
                f"unknown timeframe {timeframe!r}; use one of {', '.join(TIMEFRAMES)}"
            )
        return self._root / "bars" / normalize_symbol(symbol) / timeframe

    def _legacy(self, symbol: str, timeframe: str) -> Path:
        return self.folder(symbol, timeframe).with_suffix(".parquet")

    def months(self, symbol: str, timeframe: str) -> list[str]:
        """The stored months ("YYYY-MM"), ascending."""
        folder = self.folder(symbol, timeframe)
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob(_MONTH_GLOB))

    def symbols(self) -> list[str]:
        """Symbols that have 1m bars, sorted."""
        folder = self._root / "bars"
        if not folder.is_dir():
            return []
        monthly = {p.parent.parent.name for p in folder.glob(f"*/1m/{_MONTH_GLOB}")}
        return sorted(monthly | {p.parent.name for p in folder.glob("*/1m.parquet")})

    def read(self, symbol: str, timeframe: str, start_ms: int = 0, end_ms: int = 0) -> pl.DataFrame:
        """Bars with start_ms <= open_time < end_ms (0 = unbounded), sorted by open_time.

        Raises NotFound if the symbol has no bars, InvalidInput for a bad symbol, timeframe
        or range.
        """
        legacy = self._legacy(symbol, timeframe)
        if legacy.exists():  # until split (see _split_legacy): it is the whole truth
            return in_range(conform_bars(read_parquet(legacy)), "open_time", start_ms, end_ms)
        months = self.months(symbol, timeframe)
        if not months:
            raise NotFound(
                f"no bars stored for {normalize_symbol(symbol)}; ingest trades or candles first"
            )
        first = month_key(start_ms) if start_ms > 0 else ""
        last = month_key(end_ms - 1) if end_ms > 0 else "9999-99"
        spanned = [m for m in months if first <= m <= last]
        return in_range(self._load(symbol, timeframe, spanned), "open_time", start_ms, end_ms)

    def load(self, symbol: str, timeframe: str) -> pl.DataFrame:
        """All bars of a timeframe, or an empty frame if there are none (for merging)."""
        legacy = self._legacy(symbol, timeframe)
        if legacy.exists():
            return conform_bars(read_parquet(legacy))
        return self._load(symbol, timeframe, self.months(symbol, timeframe))

    def load_months(self, symbol: str, timeframe: str, months: Iterable[str]) -> pl.DataFrame:
        """The bars of the given months ("YYYY-MM"; absent ones contribute nothing). For the
        writer (it splits a one-file series first), under the symbol's lock."""
        self._split_legacy(symbol, timeframe)
        stored = set(self.months(symbol, timeframe))
        return self._load(symbol, timeframe, sorted(set(months) & stored))

    def _load(self, symbol: str, timeframe: str, months: Sequence[str]) -> pl.DataFrame:
        folder = self.folder(symbol, timeframe)
        frames = [conform_bars(read_parquet(folder / f"{m}.parquet")) for m in months]
        return pl.concat(frames) if frames else empty_bars()

    def write(self, symbol: str, timeframe: str, bars: pl.DataFrame) -> None:
        """Replace the whole series with `bars` (sorted by open_time)."""
        self._split_legacy(symbol, timeframe)
        months = set(self.months(symbol, timeframe)) | set(month_keys(bars["open_time"]))
        self.write_months(symbol, timeframe, bars, months)

    def write_months(
        self, symbol: str, timeframe: str, bars: pl.DataFrame, months: Iterable[str]
    ) -> None:
        """Replace the given months with the rows of `bars` that fall in them (a month with
        none is removed); each month file is replaced atomically."""
        self._split_legacy(symbol, timeframe)
        self._replace_months(symbol, timeframe, bars, months)

    def _replace_months(
        self, symbol: str, timeframe: str, bars: pl.DataFrame, months: Iterable[str]
    ) -> None:
        folder = self.folder(symbol, timeframe)
        keyed = bars.select(BAR_SCHEMA.names()).with_columns(_month_expr().alias(_MONTH))
        by_month = keyed.partition_by(_MONTH, as_dict=True, include_key=False)
        for month in months:
            rows = by_month.get((month,))
            path = folder / f"{month}.parquet"
            if rows is None or rows.is_empty():
                path.unlink(missing_ok=True)
            else:
                write_parquet_atomic(rows, path)

    def _split_legacy(self, symbol: str, timeframe: str) -> None:
        """Turn a single-file series (the layout before months) into month files."""
        legacy = self._legacy(symbol, timeframe)
        if not legacy.exists():
            return
        bars = conform_bars(read_parquet(legacy))
        self._replace_months(symbol, timeframe, bars, month_keys(bars["open_time"]))
        legacy.unlink()  # only now: a crash before this leaves it to be split again

    def count(self, symbol: str, timeframe: str) -> int:
        """Number of stored bars (from Parquet metadata, without reading the rows)."""
        legacy = self._legacy(symbol, timeframe)
        if legacy.exists():
            return row_count(legacy)
        folder = self.folder(symbol, timeframe)
        return sum(row_count(folder / f"{m}.parquet") for m in self.months(symbol, timeframe))

    def open_times(self, symbol: str) -> pl.Series:
        """The 1m open times (cheap: one column), empty if the symbol has no bars."""
        legacy = self._legacy(symbol, "1m")
        if legacy.exists():
            return read_parquet(legacy, ["open_time"])["open_time"]
        folder = self.folder(symbol, "1m")
        months = self.months(symbol, "1m")
        columns = [read_parquet(folder / f"{m}.parquet", ["open_time"]) for m in months]
        return pl.concat(columns)["open_time"] if columns else empty_bars()["open_time"]


_MONTH = "_month"
_MONTH_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9].parquet"


def _month_expr() -> pl.Expr:
    return pl.col("open_time").dt.strftime("%Y-%m")


def month_key(epoch_ms: int) -> str:
    """The UTC month ("YYYY-MM") of a time in epoch milliseconds."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m")


def month_keys(open_times: pl.Series) -> list[str]:
    """The distinct UTC months ("YYYY-MM") of some bar open times, ascending."""
    keys = open_times.to_frame("open_time").select(_month_expr().unique().sort())
    return [str(key) for key in keys.to_series().to_list()]
