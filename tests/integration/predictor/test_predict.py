"""Predict over a live port against a real registry (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from services.common.db import make_engine
from services.common.errors import Conflict, InvalidInput
from services.trainer.registry.migrate import upgrade
from services.trainer.registry.repository import RegistryRepository
from tests.integration.predictor.conftest import ServeFactory
from tests.integration.predictor.helpers import FEATURES, SYMBOL, THRESHOLD, make_model, wait_for

ROW = {"ret_1m_1": 0.8, "rsi_1m_14": -0.3, "atr_5m_14": 1.1}


def test_probability_equals_the_booster_on_the_same_row(
    data_dir: Path, registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    model = make_model(data_dir, registry, "1.0.0+20250101_000000", seed=7)
    served = serve_predictor(registry)

    prediction = served.client.predict(SYMBOL, ROW)

    expected = model.reference_proba([ROW[name] for name in FEATURES])
    assert prediction.probability == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert prediction.model_version == model.version
    assert prediction.symbol == SYMBOL
    assert prediction.threshold == THRESHOLD
    assert prediction.signal is (expected >= THRESHOLD)
    assert prediction.feature_timestamp_ms == 0
    [loaded] = served.client.status()
    assert (loaded.symbol, loaded.version, loaded.sha256) == (
        SYMBOL,
        model.version,
        model.files.sha256,
    )
    assert loaded.loaded_at_ms > 0


def test_rows_give_different_probabilities_and_symbols_are_case_insensitive(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    model = make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000", seed=3)
    served = serve_predictor(sqlite_registry)
    rows = [{"ret_1m_1": v, "rsi_1m_14": -v, "atr_5m_14": v / 2} for v in (-2.0, 0.0, 2.0)]
    got = [served.client.predict("btcusdt", row).probability for row in rows]
    want = [model.reference_proba([r[n] for n in FEATURES]) for r in rows]
    assert got == pytest.approx(want, rel=1e-12)
    assert len(set(got)) > 1, "the test model should depend on its inputs"


def test_no_active_model_is_a_conflict(
    data_dir: Path, registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    make_model(data_dir, registry, "1.0.0+20250101_000000", activate=False)
    served = serve_predictor(registry)
    with pytest.raises(Conflict, match="no active model for BTCUSDT; activate one with POST"):
        served.client.predict(SYMBOL, ROW)
    assert served.client.status() == []


def test_first_activation_is_picked_up_on_the_next_request_after_a_miss(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    # No listener and no poller here: a miss re-checks the registry (rate-limited to 1/s).
    served = serve_predictor(sqlite_registry)
    with pytest.raises(Conflict):
        served.client.predict(SYMBOL, ROW)
    model = make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000")

    def served_now() -> bool:
        try:
            return served.client.predict(SYMBOL, ROW).model_version == model.version
        except Conflict:
            return False

    took = wait_for(served_now, timeout_s=3.0)
    assert took < 2.0


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({"ret_1m_1": 1.0}, "missing 2 feature(s): atr_5m_14, rsi_1m_14"),
        ({**ROW, "zz_extra": 1.0, "aa_extra": 2.0}, "unknown feature(s) aa_extra, zz_extra"),
        ({**ROW, "rsi_1m_14": float("nan")}, "not finite: rsi_1m_14"),
        ({**ROW, "atr_5m_14": float("inf")}, "not finite: atr_5m_14"),
    ],
)
def test_bad_features_are_invalid_input(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    features: dict[str, float],
    message: str,
) -> None:
    make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000")
    served = serve_predictor(sqlite_registry)
    with pytest.raises(InvalidInput) as info:
        served.client.predict(SYMBOL, features)
    assert message in str(info.value)


def test_bad_symbol_is_invalid_input(
    sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    served = serve_predictor(sqlite_registry)
    with pytest.raises(InvalidInput, match="invalid symbol"):
        served.client.predict("BTC/USDT", ROW)


def test_the_hot_path_does_not_query_the_registry(
    data_dir: Path, sqlite_url: str, serve_predictor: ServeFactory
) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    registry = RegistryRepository(engine)
    make_model(data_dir, registry, "1.0.0+20250101_000000")
    served = serve_predictor(registry)
    served.client.predict(SYMBOL, ROW)  # the first request loads the model
    statements.clear()
    for _ in range(50):
        served.client.predict(SYMBOL, ROW)
    assert statements == []
    engine.dispose()
