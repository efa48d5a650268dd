"""Live parity: the vector computed from the warm-up window as 1m bars close equals the batch
dataset's row for the same timestamp; the closed-bar subscription keeps it in Redis; export."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import polars as pl
import pytest
import redis

from services.features.domain.live import warmup_bars
from services.features.latest_cache import LatestCache, latest_key
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.store import DatasetStore
from services.features.subscriber import BARS_CLOSED_CHANNEL, listen
from services.ingest.bar_store import BarStore
from tests.integration.features.helpers import CONFIG, candles, ms, write_bars

ROWS = 52_000  # every feature warms up (EMA 200 on 4h), and 1m has far more than its window
DEFAULT = load_default_config(CONFIG)
MINUTE_MS = 60_000


@pytest.fixture(scope="module")
def btc() -> pl.DataFrame:
    return candles(ROWS)


def _service(data_dir: Path, conn: redis.Redis | None) -> FeatureService:
    cache = LatestCache(conn) if conn is not None else None
    return FeatureService(BarStore(data_dir), DatasetStore(data_dir), DEFAULT, cache)


def _batch_row(data_dir: Path, timestamp_ms: int) -> dict[str, float]:
    frame, meta = DatasetStore(data_dir).read("BTCUSDT")
    row = frame.filter(pl.col("open_time").dt.epoch("ms") == timestamp_ms)
    assert row.height == 1
    return {n: float(row.get_column(n).item()) for n in meta.feature_names}


def _assert_same(values: dict[str, float], batch: dict[str, float]) -> None:
    assert list(values) == list(batch)
    worst = max(abs(values[n] - batch[n]) / max(1.0, abs(batch[n])) for n in batch)
    assert worst <= 1e-9, worst


def test_incremental_vectors_equal_the_full_recompute(
    data_dir: Path, btc: pl.DataFrame, redis_conn: redis.Redis
) -> None:
    write_bars(data_dir, "BTCUSDT", btc)
    service = _service(data_dir, redis_conn)
    service.build("BTCUSDT")
    assert warmup_bars(DEFAULT.features) < ROWS // 10  # 1m really is computed from a window
    for row in (ROWS - 2_000, ROWS - 61, ROWS - 1):
        open_ms = ms(btc, row)
        latest = service.update_latest("BTCUSDT", open_ms + MINUTE_MS)
        assert latest is not None and latest.timestamp_ms == open_ms
        _assert_same(
            dict(zip(latest.feature_names, latest.values, strict=True)),
            _batch_row(data_dir, open_ms),
        )
    stored = LatestCache(redis_conn).get("BTCUSDT")
    assert stored == latest
    assert service.latest("BTCUSDT") == latest


def test_the_closed_bar_subscription_keeps_the_latest_vector_in_redis(
    data_dir: Path, btc: pl.DataFrame, redis_conn: redis.Redis
) -> None:
    # Bars up to row N-1 exist; the dataset was built an hour earlier.
    write_bars(data_dir, "BTCUSDT", btc)
    service = _service(data_dir, redis_conn)
    service.build("BTCUSDT", 0, ms(btc, ROWS - 60))
    stop = threading.Event()
    thread = threading.Thread(target=listen, args=(redis_conn, service, stop), daemon=True)
    thread.start()
    try:
        open_ms = ms(btc, ROWS - 1)
        bar = btc.row(ROWS - 1, named=True)
        message = {
            "symbol": "BTCUSDT", "timeframe": "1m", "open_time_ms": open_ms,
            "open": bar["open"], "high": bar["high"], "low": bar["low"], "close": bar["close"],
            "volume": bar["volume"], "buy_volume": None, "sell_volume": None,
            "trade_count": None, "vwap": None,
        }  # fmt: skip
        deadline = time.monotonic() + 20
        while redis_conn.get(latest_key("BTCUSDT")) is None and time.monotonic() < deadline:
            redis_conn.publish(BARS_CLOSED_CHANNEL, json.dumps(message))  # until subscribed
            time.sleep(0.3)
    finally:
        stop.set()
        thread.join(timeout=5)
    document = json.loads(redis_conn.get(latest_key("BTCUSDT")) or b"{}")
    assert document["timestamp_ms"] == open_ms
    assert set(document) >= {"timestamp_ms", "feature_names", "values", "feature_set_id"}
    # The live vector is newer than the stored dataset's, so it is what `latest` serves.
    latest = service.latest("BTCUSDT")
    assert latest.timestamp_ms == open_ms
    service.build("BTCUSDT")  # the batch row for the same bar
    _assert_same(
        dict(zip(latest.feature_names, latest.values, strict=True)), _batch_row(data_dir, open_ms)
    )


def test_export_writes_the_matrix_with_labels(
    data_dir: Path, btc: pl.DataFrame, tmp_path: Path
) -> None:
    write_bars(data_dir, "BTCUSDT", btc.head(6_000))
    service = _service(data_dir, None)
    info = service.build("BTCUSDT")
    start, end = ms(btc, 1_000), ms(btc, 1_500)
    assert service.export("BTCUSDT", str(tmp_path / "m.parquet")) == info.rows
    assert service.export("BTCUSDT", str(tmp_path / "m.csv"), start, end) == 500
    parquet = pl.read_parquet(tmp_path / "m.parquet")
    csv = pl.read_csv(tmp_path / "m.csv")
    for frame in (parquet, csv):
        assert frame.columns == [
            "open_time", "open", "high", "low", "close", "volume", *info.feature_names, "label",
        ]  # fmt: skip
    assert csv.height == 500
