"""TrainerService over a live gRPC port (with a live features server), driven through the
typed client; registry on a real SQLite file, activation events on a real Redis."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import redis

from services.common.db import make_engine
from services.common.errors import IntegrityFailure, InvalidInput, NotFound
from services.features.client import FeaturesClient
from services.features.store import DatasetStore
from services.trainer.client import ModelView, TrainerClient
from services.trainer.registry import migrate
from services.trainer.registry.events import ACTIVATION_CHANNEL
from services.trainer.registry.repository import RegistryRepository
from services.trainer.service import TrainerService
from services.trainer.servicer import build_server
from tests.integration.trainer.helpers import (
    CONFIG,
    SYMBOL,
    LiveGrpc,
    flip_middle_byte,
    start_features_server,
    write_candle_bars,
)

FIXED_NOW = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class Stack:
    client: TrainerClient
    bars: pl.DataFrame
    data_dir: Path
    redis: redis.Redis


@pytest.fixture
def stack(data_dir: Path, sqlite_url: str, redis_url: str, live_grpc: LiveGrpc) -> Iterator[Stack]:
    bars = write_candle_bars(data_dir)
    features = FeaturesClient(start_features_server(live_grpc, data_dir))
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    conn = redis.Redis.from_url(redis_url)
    service = TrainerService(
        features_client=features,
        dataset_store=DatasetStore(data_dir),
        registry=RegistryRepository(engine),
        models_dir=data_dir / "models",
        redis=conn,
        default_config_yaml=CONFIG.read_text(),
        clock=lambda: FIXED_NOW,  # two trainings collide on the version: the next second wins
    )
    client = TrainerClient(live_grpc(lambda: build_server(service, 0)))
    yield Stack(client, bars, data_dir, conn)
    client.close()
    features.close()
    conn.close()
    engine.dispose()


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_train_registers_an_inactive_model_with_honest_metrics(stack: Stack) -> None:
    model = stack.client.train(SYMBOL.lower())
    assert model.version == "1.0.0+20250901_120000"
    assert model.symbol == SYMBOL and model.is_active is False
    m = model.metrics
    assert 0.0 < m["auc"] < 1.0 and 0.0 < m["valid_auc"] < 1.0
    assert 0.0 < m["log_loss"] < 1.0 and 0.0 <= m["precision"] <= 1.0
    assert m["test_rows"] > 3000 and m["purged_rows"] >= 2 * 15
    assert model.threshold == 0.30 and m["threshold"] == 0.30
    assert model.label["kind"] == "forward_return"
    assert (model.label["horizon_steps"], model.label["return_threshold"]) == (15, 0.002)
    assert model.params["objective"] == "binary" and model.params["best_iteration"] >= 1

    # ranges: the data is the stored bars; the test period comes after training, past the
    # label horizon, and is the newest ~20% of the data
    first_ms = int(stack.bars["open_time"].dt.epoch("ms")[0])
    last_ms = int(stack.bars["open_time"].dt.epoch("ms")[-1])
    assert (model.data_start_ms, model.data_end_ms) == (first_ms, last_ms + 60_000)
    sidecar = json.loads(Path(model.sidecar_path).read_text())
    assert model.test_start_ms - sidecar["train_end_ms"] >= 15 * 60_000
    assert model.data_start_ms < sidecar["train_end_ms"] < model.test_start_ms
    assert model.test_start_ms < model.test_end_ms <= model.data_end_ms
    assert 0.15 < (model.test_end_ms - model.test_start_ms) / (last_ms - first_ms) < 0.25

    # the artifact is where the registry says, under models/{SYMBOL}/{version}/, hashes match
    folder = stack.data_dir.resolve() / "models" / SYMBOL / model.version
    assert Path(model.artifact_path) == folder / "model.txt"
    assert sha256(model.artifact_path) == model.sha256
    assert sha256(model.sidecar_path) == model.sidecar_sha256
    assert sidecar["version"] == model.version and sidecar["feature_names"] == model.feature_names
    assert sidecar["config"]["training"]["test_fraction"] == 0.2
    assert sidecar["config"]["features"]["rsi_period"] == 14

    assert stack.client.get_model(model.version) == model
    assert stack.client.list_models(SYMBOL) == [model]
    with pytest.raises(NotFound, match="no active model"):
        stack.client.active(SYMBOL)


def wait_for_message(pubsub: redis.client.PubSub, timeout_s: float = 5.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            return dict(json.loads(message["data"]))
    raise AssertionError("no activation message")


def test_activation_publishes_and_records_history(stack: Stack) -> None:
    first = stack.client.train(SYMBOL)
    second = stack.client.train(SYMBOL, config_yaml="training: {num_boost_round: 30}")
    assert second.version == "1.0.0+20250901_120001"  # same clock second: retried with next
    assert second.params["num_boost_round"] == 30
    assert [m.version for m in stack.client.list_models()] == [second.version, first.version]

    pubsub = stack.redis.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe(ACTIVATION_CHANNEL)
    pubsub.get_message(timeout=1.0)  # the subscribe confirmation
    try:
        model, previous = stack.client.activate(first.version, "alice")
        assert model.is_active and previous is None
        assert wait_for_message(pubsub) == {"symbol": SYMBOL, "version": first.version}
        assert stack.client.active(SYMBOL).version == first.version

        _, previous = stack.client.activate(second.version, "bob")
        assert previous == first.version
        assert wait_for_message(pubsub)["version"] == second.version
        _, previous = stack.client.activate(first.version, "carol")  # roll back
        assert previous == second.version
        assert wait_for_message(pubsub)["version"] == first.version
    finally:
        pubsub.close()

    history = stack.client.activations(SYMBOL)
    assert [(a.version, a.previous_version, a.activated_by) for a in history] == [
        (first.version, second.version, "carol"),
        (second.version, first.version, "bob"),
        (first.version, None, "alice"),
    ]
    assert [m.is_active for m in stack.client.list_models(SYMBOL)] == [False, True]


@pytest.mark.parametrize("which", ["model.txt", "model.json"])
def test_a_tampered_artifact_cannot_be_activated(stack: Stack, which: str) -> None:
    model: ModelView = stack.client.train(SYMBOL, config_yaml="training: {num_boost_round: 20}")
    flip_middle_byte(Path(model.artifact_path).with_name(which))
    pubsub = stack.redis.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe(ACTIVATION_CHANNEL)
    pubsub.get_message(timeout=1.0)
    try:
        with pytest.raises(IntegrityFailure, match=which.replace(".", r"\.")):
            stack.client.activate(model.version, "mallory")
        assert pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5) is None
    finally:
        pubsub.close()
    with pytest.raises(NotFound):
        stack.client.active(SYMBOL)
    assert stack.client.activations(SYMBOL) == []


def test_errors_come_back_as_domain_errors(stack: Stack) -> None:
    with pytest.raises(NotFound):
        stack.client.train("ETHUSDT")
    with pytest.raises(InvalidInput, match="training.test_fractoin"):
        stack.client.train(SYMBOL, config_yaml="training: {test_fractoin: 0.3}")
    with pytest.raises(InvalidInput, match="too few"):
        stack.client.train(SYMBOL, start_ms=int(stack.bars["open_time"].dt.epoch("ms")[-300]))
    with pytest.raises(NotFound, match="not registered"):
        stack.client.get_model("1.0.0+20000101_000000")
    with pytest.raises(NotFound, match="not registered"):
        stack.client.activate("1.0.0+20000101_000000", "alice")
    with pytest.raises(InvalidInput, match="activated_by"):
        stack.client.activate("1.0.0+20000101_000000", " ")
    with pytest.raises(InvalidInput, match="invalid symbol"):
        stack.client.list_models("../etc")
    assert stack.client.list_models() == []
    assert not (stack.data_dir / "models").exists()  # failed trainings leave no artifacts
