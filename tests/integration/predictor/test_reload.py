"""Reload without restart: activation messages on real Redis, the poll fallback, Redis
connection loss, and tampered artifacts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from services.common.errors import Conflict, IntegrityFailure
from services.trainer.registry.events import publish_activation
from services.trainer.registry.repository import RegistryRepository
from tests.integration.predictor.conftest import Served, ServeFactory
from tests.integration.predictor.helpers import (
    FEATURES,
    SYMBOL,
    make_model,
    subscribed_client_ids,
    wait_for,
)

ROW = {"ret_1m_1": 0.4, "rsi_1m_14": 1.2, "atr_5m_14": -0.7}
V1 = "1.0.0+20250101_000000"
V2 = "1.1.0+20250102_000000"


def _serves(served: Served, version: str) -> bool:
    try:
        return served.client.predict(SYMBOL, ROW).model_version == version
    except (Conflict, IntegrityFailure):
        return False


def _wait_subscribed(conn: redis.Redis, served: Served) -> int:
    wait_for(lambda: subscribed_client_ids(conn, served.redis_client_name), timeout_s=5.0)
    [client_id] = subscribed_client_ids(conn, served.redis_client_name)
    return client_id


def test_activation_message_switches_the_served_model_without_restart(
    data_dir: Path,
    registry: RegistryRepository,
    serve_predictor: ServeFactory,
    redis_url: str,
    redis_conn: redis.Redis,
) -> None:
    make_model(data_dir, registry, V1, seed=1)
    served = serve_predictor(registry, redis_url=redis_url, poll_s=60.0)  # poll cannot help
    assert _serves(served, V1)
    _wait_subscribed(redis_conn, served)

    v2 = make_model(data_dir, registry, V2, seed=2)  # registered and activated in the DB
    assert _serves(served, V1), "without a message (or poll) the cached model is kept"
    publish_activation(redis_conn, SYMBOL, V2)

    took = wait_for(lambda: _serves(served, V2), timeout_s=2.0)
    prediction = served.client.predict(SYMBOL, ROW)
    assert prediction.probability == pytest.approx(v2.reference_proba([ROW[n] for n in FEATURES]))
    assert [(m.symbol, m.version) for m in served.client.status()] == [(SYMBOL, V2)]
    print(f"\nactivation -> served: {took * 1000:.0f} ms")


def test_poll_reloads_when_no_message_arrives(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    redis_url: str,
) -> None:
    make_model(data_dir, sqlite_registry, V1, seed=1)
    served = serve_predictor(sqlite_registry, redis_url=redis_url, poll_s=0.3)
    assert _serves(served, V1)
    make_model(data_dir, sqlite_registry, V2, seed=2)  # activated, never published
    wait_for(lambda: _serves(served, V2), timeout_s=3.0)


def test_deactivated_symbol_disappears_on_refresh(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    make_model(data_dir, sqlite_registry, V1, seed=1)
    make_model(data_dir, sqlite_registry, V2, seed=2, symbol="ETHUSDT")
    served = serve_predictor(sqlite_registry)
    assert served.service.refresh() == ["BTCUSDT", "ETHUSDT"]
    assert served.service.refresh() == [], "an unchanged registry reloads nothing"
    assert [m.symbol for m in served.client.status()] == ["BTCUSDT", "ETHUSDT"]


def test_listener_reconnects_after_losing_its_redis_connection(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    redis_url: str,
    redis_conn: redis.Redis,
) -> None:
    make_model(data_dir, sqlite_registry, V1, seed=1)
    served = serve_predictor(sqlite_registry, redis_url=redis_url, poll_s=60.0)
    assert _serves(served, V1)
    first_id = _wait_subscribed(redis_conn, served)

    # What a Redis restart looks like to the subscriber: its connection is cut server-side.
    redis_conn.client_kill_filter(_id=first_id)
    wait_for(
        lambda: (
            (ids := subscribed_client_ids(redis_conn, served.redis_client_name))
            and ids != [first_id]
        ),
        timeout_s=10.0,
    )

    time.sleep(0.5)  # let the catch-up refresh on re-subscription pass: the message must do it
    make_model(data_dir, sqlite_registry, V2, seed=2)
    publish_activation(redis_conn, SYMBOL, V2)
    wait_for(lambda: _serves(served, V2), timeout_s=2.0)


def _tamper(path: Path) -> bytes:
    original = path.read_bytes()
    path.write_bytes(original.replace(b"learning_rate", b"learning_ratE", 1) + b"\n")
    return original


@pytest.mark.parametrize("which", ["model", "sidecar"])
def test_tampered_artifact_is_refused_and_the_old_version_not_served(
    data_dir: Path,
    registry: RegistryRepository,
    serve_predictor: ServeFactory,
    which: str,
) -> None:
    make_model(data_dir, registry, V1, seed=1)
    served = serve_predictor(registry)
    assert _serves(served, V1)

    v2 = make_model(data_dir, registry, V2, seed=2)
    path = v2.files.model_path if which == "model" else v2.files.sidecar_path
    original = _tamper(path)
    served.service.refresh()

    for _ in range(2):  # refused every time: the failure is not cached as a model
        with pytest.raises(IntegrityFailure) as info:
            served.client.predict(SYMBOL, ROW)
        assert f"{which} file {path} failed verification" in str(info.value)
    assert served.client.status() == [], "neither the tampered v2 nor the stale v1 is served"

    path.write_bytes(original)  # restored: the next refresh retries and serves it
    served.service.refresh()
    assert _serves(served, V2)


def test_tampered_artifact_on_first_request_is_refused(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    v1 = make_model(data_dir, sqlite_registry, V1, seed=1)
    _tamper(v1.files.model_path)
    served = serve_predictor(sqlite_registry)
    with pytest.raises(IntegrityFailure, match="failed verification"):
        served.client.predict(SYMBOL, ROW)
    assert served.client.status() == []


def test_missing_artifact_is_refused(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    v1 = make_model(data_dir, sqlite_registry, V1, seed=1)
    v1.files.model_path.unlink()
    served = serve_predictor(sqlite_registry)
    start = time.monotonic()
    with pytest.raises(Exception, match="missing") as info:
        served.client.predict(SYMBOL, ROW)
    assert time.monotonic() - start < 2.0
    assert type(info.value).__name__ in {"NotFound", "IntegrityFailure"}
