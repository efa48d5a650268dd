"""Predictions from many threads while the active version flips: each answer is consistent
(its probability is the one its reported version gives) and nothing fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from services.features.client import FeaturesClient
from services.predictor.service import PredictorService
from services.trainer.registry.repository import RegistryRepository
from tests.integration.predictor.conftest import NO_FEATURES_ADDR
from tests.integration.predictor.helpers import FEATURES, SYMBOL, make_model

ROW = {"ret_1m_1": 0.3, "rsi_1m_14": -0.8, "atr_5m_14": 1.4}
THREADS = 8


def test_predict_is_consistent_while_versions_flip(
    data_dir: Path, sqlite_registry: RegistryRepository
) -> None:
    models = [
        make_model(data_dir, sqlite_registry, f"1.{i}.0+20250101_00000{i}", seed=i + 1)
        for i in range(2)
    ]
    expected = {m.version: m.reference_proba([ROW[n] for n in FEATURES]) for m in models}
    assert len(set(expected.values())) == 2
    features = FeaturesClient(NO_FEATURES_ADDR)
    service = PredictorService(sqlite_registry, features)
    stop = threading.Event()

    def hammer() -> list[tuple[str, float]]:
        seen = []
        while not stop.is_set():
            p = service.predict(SYMBOL, ROW)
            seen.append((p.model_version, p.probability))
        return seen

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(hammer) for _ in range(THREADS)]
            for i in range(20):
                sqlite_registry.activate(models[i % 2].version, "tests")
                service.refresh()
            stop.set()
            answers = [a for f in futures for a in f.result()]
    finally:
        features.close()

    assert {version for version, _ in answers} == set(expected)
    for version, probability in answers:
        assert probability == pytest.approx(expected[version], rel=1e-12)
