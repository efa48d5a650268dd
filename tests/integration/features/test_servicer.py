"""FeatureService over a live gRPC port, driven through the typed client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from services.common.errors import InvalidInput, NotFound
from services.common.grpc_server import ServerHandle
from services.features.client import FeaturesClient
from services.features.domain.config import load_feature_settings
from services.features.domain.dataset import feature_set_id
from services.features.domain.multitimeframe import feature_names
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.servicer import build_server
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from tests.integration.features.helpers import CONFIG, candles, ms, write_bars

ROWS = 52_000  # 36 days of 1m bars: long enough for every feature (EMA 200 on 4h) to warm up
DEFAULT = load_default_config(CONFIG)


@pytest.fixture(scope="module")
def btc() -> pl.DataFrame:
    return candles(ROWS)


@pytest.fixture
def client(
    data_dir: Path,
    btc: pl.DataFrame,
    live_grpc: Callable[[Callable[[], ServerHandle]], str],
) -> Iterator[FeaturesClient]:
    write_bars(data_dir, "BTCUSDT", btc)
    service = FeatureService(BarStore(data_dir), DatasetStore(data_dir), DEFAULT)
    address = live_grpc(lambda: build_server(service, 0))
    client = FeaturesClient(address)
    yield client
    client.close()


def test_build_stores_the_dataset_and_returns_its_metadata(
    client: FeaturesClient, data_dir: Path, btc: pl.DataFrame
) -> None:
    info = client.build("btcusdt")
    names = feature_names(DEFAULT.features)
    assert info.symbol == "BTCUSDT"
    assert info.rows == ROWS
    assert info.feature_names == names
    # Per timeframe: 3 returns, 4 EMAs x (distance, slope), RSI, ATR, MACD, 2 Bollinger, ADX,
    # 2 stochastic, realised vol, volume z, VWAP; then 4 time-of-day/week columns.
    assert len(names) == 5 * (3 + 8 + 1 + 1 + 1 + 2 + 1 + 2 + 1 + 1 + 1) + 4
    assert info.label_name == "label"
    assert info.label == {
        "kind": "forward_return",
        "side": "long",
        "horizon_steps": 15,
        "return_threshold": 0.002,
        "columns": ["label"],
    }
    assert (info.first_ms, info.last_ms) == (ms(btc, 0), ms(btc, -1))
    assert info.feature_set_id == feature_set_id(DEFAULT.features)

    path = data_dir / "features" / "BTCUSDT" / "dataset.parquet"
    assert Path(info.dataset_path) == path.resolve()
    frame, meta = DatasetStore(data_dir).read("BTCUSDT")
    assert frame.columns == ["open_time", "open", "high", "low", "close", "volume", *names, "label"]
    assert frame.get_column("close").to_list() == btc.get_column("close").to_list()
    assert meta.rows == ROWS and meta.feature_names == names
    stored = json.loads((path.parent / "dataset.json").read_text())
    assert stored["config"]["label"]["horizon_steps"] == 15
    assert stored["feature_set_id"] == info.feature_set_id
    assert not list(path.parent.glob("*.tmp"))  # temp files were renamed into place


def test_latest_is_the_newest_complete_row(client: FeaturesClient, data_dir: Path) -> None:
    info = client.build("BTCUSDT")
    latest = client.latest("BTCUSDT")
    frame, _ = DatasetStore(data_dir).read("BTCUSDT")
    last = frame.tail(1)
    assert latest.timestamp_ms == info.last_ms  # every feature is filled on the last row
    assert latest.feature_names == info.feature_names
    assert latest.values == [last.get_column(n).item() for n in info.feature_names]
    assert latest.feature_set_id == info.feature_set_id


def test_range_and_config_override(client: FeaturesClient, btc: pl.DataFrame) -> None:
    start, end = ms(btc, 1_000), ms(btc, 3_000)
    info = client.build("BTCUSDT", start, end, "features: {timeframes: [1m, 5m]}\n")
    assert (info.rows, info.first_ms, info.last_ms) == (2_000, start, ms(btc, 2_999))
    assert info.feature_names[0] == "ret_1_1m" and info.feature_names[-1] == "time_week_cos"
    assert len(info.feature_names) == 2 * 22 + 4
    assert info.feature_set_id != feature_set_id(DEFAULT.features)
    expected = load_feature_settings("features: {timeframes: [1m, 5m]}", base=DEFAULT)
    assert info.feature_set_id == feature_set_id(expected.features)
    assert info.label["horizon_steps"] == 15  # the label section came from the server's config


def test_unknown_symbol_is_not_found(client: FeaturesClient) -> None:
    with pytest.raises(NotFound):
        client.build("ETHUSDT")
    with pytest.raises(NotFound, match="build it first"):
        client.latest("ETHUSDT")


def test_latest_without_a_complete_row_is_not_found(
    client: FeaturesClient, btc: pl.DataFrame
) -> None:
    client.build("BTCUSDT", 0, ms(btc, 600))  # 10 hours: the 4h indicators cannot warm up
    with pytest.raises(NotFound, match="longer range"):
        client.latest("BTCUSDT")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"symbol": "../etc"}, "invalid symbol"),
        ({"symbol": "BTCUSDT", "config_yaml": "features: {rsi_period: 0}"}, "rsi_period"),
        ({"symbol": "BTCUSDT", "config_yaml": "label: {horizon: 3}"}, "label.horizon"),
        ({"symbol": "BTCUSDT", "start_ms": 10, "end_ms": 5}, "must be after"),
    ],
)
def test_bad_requests_are_invalid_input(
    client: FeaturesClient, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        client.build(**kwargs)  # type: ignore[arg-type]


def test_latest_follows_a_rebuild(client: FeaturesClient) -> None:
    first = client.build("BTCUSDT")
    assert client.latest("BTCUSDT").feature_set_id == first.feature_set_id
    second = client.build("BTCUSDT", config_yaml="features: {timeframes: [1m, 5m]}")
    latest = client.latest("BTCUSDT")
    assert latest.feature_set_id == second.feature_set_id != first.feature_set_id
    assert latest.feature_names == second.feature_names
