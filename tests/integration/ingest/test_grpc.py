"""IngestFile / GetBars / ListSymbols over a live gRPC port, through the typed client."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from services.common.errors import InvalidInput, NotFound
from services.common.grpc_server import ServerHandle
from services.contracts.trady.v1 import ingest_pb2, ingest_pb2_grpc
from services.ingest.bar_store import BarStore
from services.ingest.client import IngestClient
from services.ingest.servicer import build_server
from tests.integration.ingest.helpers import (
    FEATHER,
    SPOT,
    SYMBOL,
    build_service,
    sample_lines,
    snapshot,
)

LiveGrpc = Callable[[Callable[[], ServerHandle]], str]


@pytest.fixture
def client(live_grpc: LiveGrpc, data_dir: Path) -> Iterator[IngestClient]:
    address = live_grpc(lambda: build_server(build_service(data_dir), port=0))
    with IngestClient(address) as ingest:
        yield ingest


def test_ingest_then_read_bars_and_symbols(client: IngestClient, data_dir: Path) -> None:
    result = client.ingest_file(str(SPOT), "btcusdt", display_name="spot.csv.gz")

    assert dataclasses.asdict(result) == {
        "symbol": SYMBOL,
        "kind": "trades",
        "rows_read": 19_904,
        "rows_stored": 19_904,
        "duplicates": 0,
        "first_ms": 1723161255342,
        "last_ms": 1723161905800,
        "bars_1m": 12,
    }
    bars = client.bars(SYMBOL, "1m")
    assert len(bars) == 12
    assert sum(b.trade_count or 0 for b in bars) == 19_904
    stored = BarStore(data_dir).read(SYMBOL, "1m").row(0, named=True)
    assert (bars[0].open, bars[0].close, bars[0].vwap) == (
        stored["open"], stored["close"], stored["vwap"],
    )  # fmt: skip
    assert bars[0].open_time_ms == 1723161240000
    for bar in bars:  # every trade has one tick direction, and the counts travel over gRPC
        ticks = (bar.plus_tick_count, bar.zero_plus_tick_count, bar.minus_tick_count,
                 bar.zero_minus_tick_count)  # fmt: skip
        assert sum(t or 0 for t in ticks) == bar.trade_count
    stored_ticks = BarStore(data_dir).read(SYMBOL, "1m")["plus_tick_count"].to_list()
    assert [b.plus_tick_count for b in bars] == stored_ticks
    json.dumps([dataclasses.asdict(b) for b in bars])  # JSON-able for the gateway

    assert [b.open_time_ms for b in client.bars(SYMBOL, "5m")] == [
        1723161000000 + i * 300_000 for i in range(4)
    ]
    window = client.bars(SYMBOL, "1m", start_ms=1723161300000, end_ms=1723161480000)
    assert [b.open_time_ms for b in window] == [1723161300000, 1723161360000, 1723161420000]
    assert [b.open_time_ms for b in client.bars(SYMBOL, "1m", limit=2)] == [
        1723161840000, 1723161900000,
    ]  # fmt: skip

    [coverage] = client.symbols()
    assert (coverage.symbol, coverage.bars_1m, coverage.trades) == (SYMBOL, 12, 19_904)
    assert (coverage.first_ms, coverage.last_ms) == (1723161240000, 1723161900000)


def test_candle_bars_have_no_order_flow(client: IngestClient) -> None:
    result = client.ingest_file(str(FEATHER), "ETHTEST", kind="candles")
    assert (result.kind, result.rows_stored) == ("candles", 130_708)

    bars = client.bars("ETHTEST", "1h", limit=3)

    assert len(bars) == 3
    assert all(b.trade_count is None and b.vwap is None and b.buy_volume is None for b in bars)
    assert all(b.plus_tick_count is None and b.zero_minus_tick_count is None for b in bars)
    assert bars[-1].open_time_ms == 1755540000000  # 2025-08-18 18:00, the last hour


def test_bad_file_is_invalid_argument_with_line_and_field_and_stores_nothing(
    client: IngestClient, data_dir: Path, tmp_path: Path
) -> None:
    client.ingest_file(str(SPOT), SYMBOL)
    before = snapshot(data_dir)
    header, lines = sample_lines()
    bad = tmp_path / "upload-7f3a.csv"
    bad.write_text("\n".join([header, *lines[:16], "1723161300.1,abc,0.1,Buy,PlusTick"]))

    with pytest.raises(InvalidInput) as caught:
        client.ingest_file(str(bad), SYMBOL, display_name="trades.csv")

    assert str(caught.value) == "trades.csv line 18, field 'price': 'abc' is not a number"
    assert snapshot(data_dir) == before


def test_bad_file_status_code_on_the_wire(live_grpc: LiveGrpc, data_dir: Path) -> None:
    address = live_grpc(lambda: build_server(build_service(data_dir), port=0))
    bad = data_dir.parent / "bad.csv"
    bad.write_text("timestamp,price,size,side\n1723161300,1,1,Hold\n")
    with grpc.insecure_channel(address) as channel:
        stub = ingest_pb2_grpc.IngestServiceStub(channel)  # type: ignore[no-untyped-call]
        with pytest.raises(grpc.RpcError) as caught:
            stub.IngestFile(ingest_pb2.IngestFileRequest(path=str(bad), symbol=SYMBOL))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "bad.csv line 2, field 'side': 'Hold' is not one of Buy, Sell"
    assert snapshot(data_dir) == {}


def test_errors_map_back_to_domain_classes(client: IngestClient, data_dir: Path) -> None:
    with pytest.raises(NotFound, match="no bars stored for NOPE"):
        client.bars("NOPE", "1m")
    with pytest.raises(NotFound, match="no such file"):
        client.ingest_file(str(data_dir / "missing.csv"), SYMBOL)
    with pytest.raises(InvalidInput, match="invalid symbol"):
        client.ingest_file(str(SPOT), "BTC/USDT")
    with pytest.raises(InvalidInput, match="invalid kind"):
        client.ingest_file(str(SPOT), SYMBOL, kind="orders")
    client.ingest_file(str(SPOT), SYMBOL)
    with pytest.raises(InvalidInput, match="timeframe"):
        client.bars(SYMBOL, "3m")
    with pytest.raises(InvalidInput, match="limit"):
        client.bars(SYMBOL, "1m", limit=-1)
    assert client.symbols()[0].symbol == SYMBOL


def test_declared_timestamp_unit_over_grpc(client: IngestClient, data_dir: Path) -> None:
    millis = data_dir.parent / "millis.csv"
    millis.write_text("timestamp,price,size,side\n1723161300000,1,1,Buy\n1723161360000,2,1,Sell\n")
    with pytest.raises(InvalidInput, match="millis.csv line 2, field 'timestamp'.*seconds"):
        client.ingest_file(str(millis), SYMBOL, timestamp_unit="s")
    assert snapshot(data_dir) == {}
    with pytest.raises(InvalidInput, match="invalid timestamp unit 'hours'"):
        client.ingest_file(str(millis), SYMBOL, timestamp_unit="hours")
    result = client.ingest_file(str(millis), SYMBOL, timestamp_unit="ms")
    assert (result.rows_stored, result.first_ms, result.last_ms) == (
        2, 1723161300000, 1723161360000,
    )  # fmt: skip
