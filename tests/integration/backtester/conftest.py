"""A real tiny model on real candles: dataset written through DatasetStore, a small LightGBM
booster written with write_artifact, registered and activated in a SQLite registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import lightgbm
import numpy as np
import polars as pl
import pytest

from services.backtester.client import BacktesterClient
from services.backtester.domain.config import BacktestConfig
from services.backtester.service import BacktesterService
from services.backtester.servicer import build_server
from services.backtester.store import ReportStore
from services.common.db import make_engine
from services.common.grpc_server import ServerHandle
from services.features.domain.config import FeaturesConfig, FeatureSettings, LabelConfig
from services.features.domain.dataset import DatasetMeta, assemble_dataset, dataset_meta
from services.features.store import DatasetStore
from services.trainer.artifact import write_artifact
from services.trainer.registry.migrate import upgrade
from services.trainer.registry.records import ModelRecord
from services.trainer.registry.repository import RegistryRepository
from tests.conftest import REPO, SAMPLE

SYMBOL = "BTCUSDT"
VERSION = "0.1.0+20250820_000000"
CANDLES = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
ROWS = 12 * 24 * 60  # the first 12 days of the real sample keep the suite fast
TEST_FRACTION = 0.3
HORIZON = 15
ML_CONFIG = REPO / "configs" / "ml.example.yaml"


@dataclass(frozen=True)
class TinyModel:
    frame: pl.DataFrame
    meta: DatasetMeta
    model_text: str
    threshold: float
    data_start_ms: int
    data_end_ms: int
    test_start_ms: int
    test_end_ms: int


@pytest.fixture(scope="session")
def tiny_model() -> TinyModel:
    """Features (1m only) + label from real candles, and a booster fitted on the first 70%."""
    candles = pl.read_ipc(CANDLES).head(ROWS)
    bars = candles.select(
        pl.col("date").dt.cast_time_unit("ms").alias("open_time"),
        "open",
        "high",
        "low",
        "close",
        "volume",
    )
    settings = FeatureSettings(
        features=FeaturesConfig(timeframes=["1m"]),
        label=LabelConfig(horizon_steps=HORIZON, return_threshold=0.0005),
    )
    frame = assemble_dataset({"1m": bars.lazy()}, settings)
    meta = dataset_meta(SYMBOL, frame, settings)
    times = frame["open_time"].dt.epoch("ms").to_numpy()
    split = int(len(frame) * (1 - TEST_FRACTION))
    train = frame.head(split - HORIZON).drop_nulls("label")  # the horizon gap avoids leakage
    booster = lightgbm.train(
        {
            "objective": "binary",
            "num_leaves": 8,
            "min_data_in_leaf": 100,
            "verbose": -1,
            "seed": 1,
            "num_threads": 2,
        },
        lightgbm.Dataset(
            train.select(meta.feature_names).to_numpy(),
            label=train["label"].to_numpy(),
            feature_name=meta.feature_names,
        ),
        num_boost_round=20,
    )
    test = frame.slice(split)
    probs = booster.predict(test.select(meta.feature_names).to_numpy())
    return TinyModel(
        frame=frame,
        meta=meta,
        model_text=booster.model_to_string(),
        # The top 10% of test-set probabilities: enough signals for several trades.
        threshold=float(np.quantile(probs, 0.9)),
        data_start_ms=int(times[0]),
        data_end_ms=int(times[-1]) + 60_000,
        test_start_ms=int(times[split]),
        test_end_ms=int(times[-1]) + 60_000,
    )


@dataclass
class World:
    data_dir: Path
    registry_url: str
    registry: RegistryRepository
    record: ModelRecord
    service: BacktesterService


def register_model(
    registry: RegistryRepository, data_dir: Path, model: TinyModel, version: str
) -> ModelRecord:
    sidecar = {
        "version": version,
        "symbol": SYMBOL,
        "feature_names": model.meta.feature_names,
        "feature_set_id": model.meta.feature_set_id,
        "label": model.meta.label,
        "threshold": model.threshold,
        "data_range": {"start_ms": model.data_start_ms, "end_ms": model.data_end_ms},
        "test_range": {"start_ms": model.test_start_ms, "end_ms": model.test_end_ms},
    }
    files = write_artifact(data_dir / "models" / SYMBOL / version, model.model_text, sidecar)
    return registry.register(
        version=version,
        symbol=SYMBOL,
        sha256=files.sha256,
        sidecar_sha256=files.sidecar_sha256,
        artifact_path=str(files.model_path),
        sidecar_path=str(files.sidecar_path),
        metrics={"auc": 0.5},
        params={"num_leaves": 8},
        feature_names=model.meta.feature_names,
        label=model.meta.label,
        feature_set_id=model.meta.feature_set_id,
        threshold=model.threshold,
        data_start_ms=model.data_start_ms,
        data_end_ms=model.data_end_ms,
        test_start_ms=model.test_start_ms,
        test_end_ms=model.test_end_ms,
    )


@pytest.fixture
def world(data_dir: Path, sqlite_url: str, tiny_model: TinyModel) -> Iterator[World]:
    """The dataset on disk, the model registered and active, and the service built on them."""
    DatasetStore(data_dir).write(tiny_model.frame, tiny_model.meta)
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    registry = RegistryRepository(engine)
    register_model(registry, data_dir, tiny_model, VERSION)
    record, _ = registry.activate(VERSION, "test")
    service = BacktesterService(
        registry, DatasetStore(data_dir), ReportStore(data_dir), BacktestConfig(holding_bars=None)
    )
    yield World(data_dir, sqlite_url, registry, record, service)
    engine.dispose()


@pytest.fixture
def served(
    world: World, live_grpc: Callable[[Callable[[], ServerHandle]], str]
) -> Iterator[tuple[World, BacktesterClient]]:
    """The service on a live port and a typed client to it."""
    address = live_grpc(lambda: build_server(world.service, 0))
    client = BacktesterClient(address)
    yield world, client
    client.close()
