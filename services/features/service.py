"""Feature use cases: build a symbol's dataset from its bars, and read its newest features."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from services.common.errors import InvalidInput, NotFound
from services.features.domain.config import FeatureSettings, load_feature_settings
from services.features.domain.dataset import (
    BASE_TIMEFRAME,
    DatasetInfo,
    LatestFeatures,
    assemble_dataset,
    dataset_meta,
    latest_complete,
    required_timeframes,
)
from services.features.domain.live import latest_vector, window_start_ms
from services.features.domain.symbols import normalise_symbol
from services.features.latest_cache import LatestCache
from services.features.store import DatasetStore

if TYPE_CHECKING:
    from services.ingest.bar_store import BarStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
"""Called with (fraction done in 0..1, message); the worker forwards it to the job."""


def _no_progress(_fraction: float, _message: str) -> None:
    return None


class FeatureService:
    """Builds datasets from the ingest service's bars (read-only) into the DatasetStore.

    Thread-safety: safe to call from several threads. Concurrent builds of one symbol are safe
    for readers (atomic renames); the last to finish wins. The only mutable state is the
    latest-vector cache, whose entries are replaced whole (a dict store is atomic).
    """

    def __init__(
        self,
        bar_store: BarStore,
        dataset_store: DatasetStore,
        default_config: FeatureSettings,
        latest_cache: LatestCache | None = None,
    ) -> None:
        self._bars = bar_store
        self._datasets = dataset_store
        self._default = default_config
        self._cache = latest_cache
        # symbol -> (dataset fingerprint, its latest vector): reading the whole Parquet file
        # per prediction would cost ~100 ms on 90 days of bars; a stat costs microseconds.
        self._latest: dict[str, tuple[tuple[int, ...], LatestFeatures]] = {}

    def build(
        self,
        symbol: str,
        start_ms: int = 0,
        end_ms: int = 0,
        config_yaml: str = "",
        progress: Progress | None = None,
    ) -> DatasetInfo:
        """Compute features and labels over bars in [start_ms, end_ms) and store the dataset.

        Args:
            symbol: e.g. "BTCUSDT" (case and surrounding spaces are forgiven).
            start_ms, end_ms: Unix ms bounds on bar open times; 0 = unbounded.
            config_yaml: ML-config YAML; empty = the server's config. Sections it lacks
                (features or label) come from the server's config.
            progress: optional callback (fraction, message).
        Raises:
            InvalidInput: bad symbol, range or config. NotFound: no bars for the symbol/range.
        """
        report = progress or _no_progress
        symbol = normalise_symbol(symbol)
        _check_range(start_ms, end_ms)
        settings = (
            load_feature_settings(config_yaml, base=self._default)
            if config_yaml.strip()
            else self._default
        )
        started = time.perf_counter()
        report(0.05, "reading bars")
        bars = {
            tf: self._bars.read(symbol, tf, start_ms, end_ms)
            for tf in required_timeframes(settings)
        }
        if bars[BASE_TIMEFRAME].is_empty():
            raise NotFound(f"no 1m bars for {symbol} in [{start_ms}, {end_ms}) (0 = unbounded)")
        report(0.3, f"computing features on {bars[BASE_TIMEFRAME].height} 1m bars")
        frame = assemble_dataset({tf: b.lazy() for tf, b in bars.items()}, settings)
        meta = dataset_meta(symbol, frame, settings)
        report(0.8, "writing dataset")
        path = self._datasets.write(frame, meta)
        log.info(
            "built feature dataset",
            extra={
                "symbol": symbol,
                "rows": meta.rows,
                "features": len(meta.feature_names),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        report(1.0, f"stored {meta.rows} rows")
        return DatasetInfo(
            symbol=symbol,
            dataset_path=str(path.resolve()),
            rows=meta.rows,
            feature_names=meta.feature_names,
            label_name=meta.label_name,
            label=meta.label,
            first_ms=meta.first_ms,
            last_ms=meta.last_ms,
            feature_set_id=meta.feature_set_id,
        )

    def export(self, symbol: str, out: str, start_ms: int = 0, end_ms: int = 0) -> int:
        """Write the stored dataset (features in catalogue order, prices, label columns) over
        [start_ms, end_ms) to `out` (.csv or Parquet); returns the row count.

        Raises:
            InvalidInput: bad symbol or range. NotFound: no dataset (build it first).
        """
        _check_range(start_ms, end_ms)
        return self._datasets.export(normalise_symbol(symbol), Path(out), start_ms, end_ms)

    def latest(self, symbol: str) -> LatestFeatures:
        """The newest feature vector: the live one in Redis (kept by the closed-bar
        subscriber) when it is at least as new as the stored dataset's, else the dataset's
        newest row whose features are all known.

        Raises:
            InvalidInput: bad symbol. NotFound: no live vector and no dataset, or no row with
            every feature (the range is shorter than the slowest indicator's warm-up).
        """
        symbol = normalise_symbol(symbol)
        live = self._cache.get(symbol) if self._cache is not None else None
        try:
            stored = self._stored_latest(symbol)
        except NotFound:
            if live is None:
                raise
            return live
        return live if live is not None and live.timestamp_ms >= stored.timestamp_ms else stored

    def update_latest(self, symbol: str, close_ms: int) -> LatestFeatures | None:
        """Recompute the vector of the 1m row closing at `close_ms` from the warm-up window of
        stored bars only, and keep it in Redis. None when the history is too short.

        Raises:
            InvalidInput: bad symbol. NotFound: no bars for the symbol.
        """
        symbol = normalise_symbol(symbol)
        config = self._default.features
        bars = {
            tf: self._bars.read(symbol, tf, window_start_ms(config, tf, close_ms), close_ms)
            for tf in required_timeframes(self._default)
            if tf == BASE_TIMEFRAME or tf in config.timeframes
        }
        latest = latest_vector(symbol, bars, config)
        if latest is not None and self._cache is not None:
            self._cache.put(latest)
        return latest

    def _stored_latest(self, symbol: str) -> LatestFeatures:
        stamp = self._datasets.stamp(symbol)
        cached = self._latest.get(symbol)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        frame, meta = self._datasets.read(symbol)
        latest = latest_complete(frame, meta)
        if latest is None:
            raise NotFound(
                f"the feature dataset of {symbol} has no row with every feature filled in: "
                "rebuild it over a longer range (the slowest indicator needs its warm-up)"
            )
        if self._datasets.stamp(symbol) == stamp:  # not rewritten while we read it
            self._latest[symbol] = (stamp, latest)
        return latest


def _check_range(start_ms: int, end_ms: int) -> None:
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput(f"time bounds must be >= 0 ms (0 = unbounded), got {start_ms}, {end_ms}")
    if start_ms and end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms ({end_ms}) must be after start_ms ({start_ms})")
