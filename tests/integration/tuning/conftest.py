"""A small real dataset (the bundled BTCUSDT candles), a quick tuning config, and the
environment of real trainer worker processes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis

from services.backtester.main import load_config
from services.backtester.service import BacktesterService
from services.backtester.store import ReportStore
from services.common.db import make_engine
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from services.trainer.registry import migrate
from services.trainer.registry.repository import RegistryRepository
from services.trainer.service import TrainerService
from tests.integration.trainer.helpers import (
    CONFIG,
    REPO,
    LiveGrpc,
    start_features_server,
    write_candle_bars,
)

BARS = 30_000  # ~21 days of 1m bars
QUICK = """
tuning:
  folds: 3
  startup_trials: 2
  candidates: 3
  space:
    model:
      num_boost_round: 40
      early_stopping_rounds: 10
      learning_rate: {low: 0.05, high: 0.3, log: true}
      num_leaves: {low: 7, high: 31}
      min_data_in_leaf: {low: 50, high: 400, log: true}
    rule:
      k_tp: {low: 1.0, high: 6.0}
      k_sl: {low: 0.5, high: 4.0}
      ev_margin: {low: 0.0, high: 0.0003}
      max_hold_bars: {low: 5, high: 60}
"""


@dataclass
class World:
    root: Path
    trainer: TrainerService
    backtester: BacktesterService
    config: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("tuning")
    write_candle_bars(root, BARS)
    features = FeatureService(BarStore(root), DatasetStore(root), load_default_config(CONFIG))
    url = f"sqlite:///{root / 'registry.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    trainer = TrainerService(
        features, DatasetStore(root), RegistryRepository(engine), root / "models",
        Redis(socket_connect_timeout=1), CONFIG.read_text(),
    )  # fmt: skip
    backtester = BacktesterService(
        RegistryRepository(engine), DatasetStore(root), ReportStore(root), load_config(CONFIG)
    )
    return World(root, trainer, backtester, CONFIG.read_text() + QUICK)


@pytest.fixture
def worker_env(
    data_dir: Path, redis_url: str, sqlite_url: str, live_grpc: LiveGrpc
) -> dict[str, str]:
    """What a trainer worker process needs: the bars, a SQLite registry, the quick config and
    a live features server (in this process) to build the dataset through."""
    write_candle_bars(data_dir, BARS)
    migrate.upgrade(sqlite_url)
    config = data_dir / "ml.yaml"
    config.write_text((REPO / "configs" / "ml.example.yaml").read_text() + QUICK)
    return {
        **os.environ,
        "TRADY_DATA_DIR": str(data_dir),
        "TRADY_REDIS_URL": redis_url,
        "TRADY_DATABASE_URL": sqlite_url,
        "TRADY_ML_CONFIG": str(config),
        "TRADY_FEATURES_ADDR": start_features_server(live_grpc, data_dir),
    }
