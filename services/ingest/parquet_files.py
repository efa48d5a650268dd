"""Parquet files of the ingest store: written all or nothing, read through one open handle,
filtered to a time range, counted from metadata."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
from polars._typing import ParquetCompression

from services.common.errors import InvalidInput
from services.common.files import atomic_path


def write_parquet_atomic(
    frame: pl.DataFrame,
    path: Path,
    compression: ParquetCompression = "zstd",
    level: int | None = None,
    row_group_size: int | None = None,
) -> None:
    """Write `frame` to `path` all or nothing (see services.common.files)."""
    with atomic_path(path) as temp:
        frame.write_parquet(
            temp, compression=compression, compression_level=level, row_group_size=row_group_size
        )


def read_parquet(path: Path, columns: Sequence[str] | None = None) -> pl.DataFrame:
    # One open handle for the whole read: a concurrent os.replace cannot mix two versions.
    with open(path, "rb") as handle:
        return pl.read_parquet(handle, columns=list(columns) if columns else None)


def in_range(frame: pl.DataFrame, column: str, start_ms: int, end_ms: int) -> pl.DataFrame:
    """Rows with start_ms <= column < end_ms (0 = unbounded)."""
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput("start_ms and end_ms must be >= 0 (0 = unbounded)")
    if start_ms and end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms ({end_ms}) must be after start_ms ({start_ms})")
    millis = pl.col(column).dt.epoch("ms")
    if start_ms:
        frame = frame.filter(millis >= start_ms)
    if end_ms:
        frame = frame.filter(millis < end_ms)
    return frame


def row_count(path: Path) -> int:
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())
