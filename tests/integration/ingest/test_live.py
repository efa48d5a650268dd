"""Live trades over the client-streaming RPC: closed bars are stored exactly as a batch
ingest of the same trades stores them, and each is published on Redis for features."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import redis

from services.common.errors import InvalidInput
from services.common.grpc_server import ServerHandle
from services.ingest.bar_store import BarStore
from services.ingest.client import IngestClient, LiveTradeIn
from services.ingest.domain.trades import parse_trades
from services.ingest.events import BARS_CLOSED_CHANNEL
from services.ingest.service import IngestService
from services.ingest.servicer import build_server
from services.ingest.store import TradeStore
from tests.integration.ingest.helpers import SPOT, assert_same_store, build_service

LiveGrpc = Callable[[Callable[[], ServerHandle]], str]
SYMBOL = "LIVETESTUSDT"  # Pub/Sub ignores db numbers: a symbol no other test publishes


def sample_trades() -> list[LiveTradeIn]:
    import gzip

    frame = parse_trades(gzip.decompress(SPOT.read_bytes()), SPOT.name)
    return [
        LiveTradeIn(int(ts), price, size, side, tick or "")
        for ts, price, size, side, tick in frame.select(
            pl.col("timestamp").dt.epoch("us"), "price", "size", "side", "tick_direction"
        ).iter_rows()
    ]


def test_streamed_trades_equal_a_batch_ingest_and_bars_are_published(
    live_grpc: LiveGrpc, data_dir: Path, tmp_path: Path, redis_url: str
) -> None:
    publisher = redis.Redis.from_url(redis_url)
    service = IngestService(TradeStore(data_dir), BarStore(data_dir), publisher=publisher)
    address = live_grpc(lambda: build_server(service, port=0))
    listener = redis.Redis.from_url(redis_url).pubsub()
    listener.subscribe(BARS_CLOSED_CHANNEL)
    trades = sample_trades()
    end_ms = trades[-1].timestamp_us // 60_000_000 * 60_000 + 60_000
    batches = [(SYMBOL, trades[i : i + 700], 0) for i in range(0, len(trades), 700)]
    batches.append((SYMBOL, [], end_ms))  # the clock closes the last minute

    with IngestClient(address) as client:
        summary = client.stream_trades(batches)

    batch = tmp_path / "batch"
    batch.mkdir()
    build_service(batch).ingest_file(str(SPOT), SYMBOL)
    assert (summary.accepted, summary.late) == (19_904, 0)
    assert len(summary.closed) == 12 and summary.closed[0].startswith(f"{SYMBOL}@")
    assert_same_store(data_dir, batch, SYMBOL)

    events = []
    deadline = time.monotonic() + 10
    while len(events) < 12 and time.monotonic() < deadline:
        message = listener.get_message(timeout=1)
        if message and message["type"] == "message":
            event = json.loads(message["data"])
            if event["symbol"] == SYMBOL:
                events.append(event)
    bars = BarStore(batch).load(SYMBOL, "1m")
    assert [e["open_time_ms"] for e in events] == bars["open_time"].dt.epoch("ms").to_list()
    first = bars.row(0, named=True)
    assert events[0]["close"] == first["close"] and events[0]["vwap"] == first["vwap"]
    assert events[0]["trade_count"] == first["trade_count"]
    assert events[0]["plus_tick_count"] == first["plus_tick_count"]
    assert set(events[0]) >= {"timeframe", "buy_volume", "sell_volume", "volume", "open"}
    listener.close()
    publisher.close()


def test_invalid_and_late_trades(live_grpc: LiveGrpc, data_dir: Path) -> None:
    address = live_grpc(lambda: build_server(build_service(data_dir), port=0))
    t0 = 1_704_067_200_000_000
    good = [LiveTradeIn(t0 + 61_000_000, 10.0, 1.0, "Buy")]
    late = [LiveTradeIn(t0 + 1_000_000, 10.0, 1.0, "Sell")]
    with IngestClient(address) as client:
        summary = client.stream_trades([(SYMBOL, good, 0), (SYMBOL, late, 0)])
        assert (summary.accepted, summary.late, summary.closed) == (1, 1, [])
        with pytest.raises(InvalidInput, match="live trade #1 of LIVETESTUSDT: side 'buy'"):
            client.stream_trades([(SYMBOL, [LiveTradeIn(t0, 1.0, 1.0, "buy")], 0)])
        with pytest.raises(InvalidInput, match="price nan must be a finite number"):
            client.stream_trades([(SYMBOL, [LiveTradeIn(t0, float("nan"), 1.0, "Buy")], 0)])
