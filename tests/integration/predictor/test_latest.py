"""Predict from the latest stored feature vector, served by a live features server over a
dataset written with the features service's own DatasetStore."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from services.common.errors import Conflict, NotFound, Unavailable
from services.common.grpc_server import ServerHandle
from services.features.domain.config import load_feature_settings
from services.features.domain.dataset import DatasetMeta
from services.features.service import FeatureService
from services.features.servicer import build_server as build_features_server
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from services.trainer.registry.repository import RegistryRepository
from tests.integration.predictor.conftest import ServeFactory
from tests.integration.predictor.helpers import FEATURE_SET, FEATURES, SYMBOL, make_model

T0 = datetime(2025, 5, 20, tzinfo=UTC)
# Three 1m rows; the newest has a feature not yet known (still warming up), so the latest
# *complete* vector is the middle row.
ROWS = [
    {"ret_1m_1": 0.1, "rsi_1m_14": 0.2, "atr_5m_14": 0.3},
    {"ret_1m_1": -1.5, "rsi_1m_14": 2.5, "atr_5m_14": 0.7},
    {"ret_1m_1": 0.9, "rsi_1m_14": None, "atr_5m_14": 0.1},
]
LATEST_COMPLETE = 1


def _write_dataset(data_dir: Path, feature_set_id: str) -> None:
    times = [T0 + timedelta(minutes=i) for i in range(len(ROWS))]
    frame = pl.DataFrame(
        {
            "open_time": pl.Series(times, dtype=pl.Datetime("ms", "UTC")),
            **{c: [100.0 + i for i in range(len(ROWS))] for c in ("open", "high", "low", "close")},
            "volume": [1.0] * len(ROWS),
            **{name: pl.Series([r[name] for r in ROWS], dtype=pl.Float64) for name in FEATURES},
            "label": pl.Series([1, 0, None], dtype=pl.Int8),
        }
    )
    meta = DatasetMeta(
        symbol=SYMBOL,
        feature_names=list(FEATURES),
        label_name="label",
        label={"kind": "forward_return", "horizon_steps": 1, "return_threshold": 0.0},
        feature_set_id=feature_set_id,
        config={},
        rows=frame.height,
        first_ms=int(times[0].timestamp() * 1000),
        last_ms=int(times[-1].timestamp() * 1000),
    )
    DatasetStore(data_dir).write(frame, meta)


@pytest.fixture
def features_addr(data_dir: Path, live_grpc: Callable[[Callable[[], ServerHandle]], str]) -> str:
    service = FeatureService(BarStore(data_dir), DatasetStore(data_dir), load_feature_settings(""))
    return live_grpc(lambda: build_features_server(service, 0))


def test_predicts_from_the_latest_complete_stored_vector(
    data_dir: Path,
    registry: RegistryRepository,
    serve_predictor: ServeFactory,
    features_addr: str,
) -> None:
    model = make_model(data_dir, registry, "1.0.0+20250101_000000", seed=11)
    _write_dataset(data_dir, FEATURE_SET)
    served = serve_predictor(registry, features_addr=features_addr)

    prediction = served.client.predict(SYMBOL)

    row = ROWS[LATEST_COMPLETE]
    expected = model.reference_proba([float(row[n]) for n in FEATURES])  # type: ignore[arg-type]
    assert prediction.probability == pytest.approx(expected, rel=1e-12)
    expected_ms = int((T0 + timedelta(minutes=LATEST_COMPLETE)).timestamp() * 1000)
    assert prediction.feature_timestamp_ms == expected_ms
    assert prediction.model_version == model.version
    assert served.client.predict(SYMBOL, {}).feature_timestamp_ms == expected_ms  # {} = latest


def test_latest_vector_of_another_feature_set_is_refused(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    features_addr: str,
) -> None:
    make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000", feature_set_id="fs-model")
    _write_dataset(data_dir, "fs-rebuilt")
    served = serve_predictor(sqlite_registry, features_addr=features_addr)
    with pytest.raises(Conflict) as info:
        served.client.predict(SYMBOL)
    assert "'fs-model'" in str(info.value)
    assert "'fs-rebuilt'" in str(info.value)


def test_no_stored_vector_is_not_found(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    features_addr: str,
) -> None:
    make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000")
    served = serve_predictor(sqlite_registry, features_addr=features_addr)
    with pytest.raises(NotFound, match="no feature dataset for BTCUSDT"):
        served.client.predict(SYMBOL)


def test_features_service_down_is_unavailable(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000")
    served = serve_predictor(sqlite_registry)  # its features address has no server
    with pytest.raises(Unavailable):
        served.client.predict(SYMBOL)
