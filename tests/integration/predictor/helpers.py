"""Builders for the predictor's integration tests: tiny real LightGBM models written with the
trainer's `write_artifact`, registered (and activated) in a real registry."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import lightgbm
import numpy as np
import redis

from services.trainer.artifact import ArtifactFiles, write_artifact
from services.trainer.registry.repository import RegistryRepository

SYMBOL = "BTCUSDT"
FEATURES = ["ret_1m_1", "rsi_1m_14", "atr_5m_14"]
FEATURE_SET = "fs-test-1"
THRESHOLD = 0.5


@dataclass(frozen=True)
class TinyModel:
    version: str
    text: str
    files: ArtifactFiles

    def reference_proba(self, row: list[float]) -> float:
        """An independent booster parsed from the same text: the expected probability."""
        booster = lightgbm.Booster(model_str=self.text)
        return float(booster.predict(np.asarray([row], dtype=np.float64))[0])


def train_text(feature_names: list[str], seed: int) -> str:
    """A small binary model whose output depends on its inputs (and differs per seed)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, len(feature_names)))
    weights = rng.normal(size=len(feature_names))
    y = (x @ weights + rng.normal(scale=0.5, size=400) > 0).astype(int)
    params = {
        "objective": "binary",
        "num_leaves": 7,
        "min_data_in_leaf": 10,
        "learning_rate": 0.2,
        "verbose": -1,
        "seed": seed,
        "num_threads": 1,
    }
    data = lightgbm.Dataset(x, label=y, feature_name=list(feature_names))
    booster = lightgbm.train(params, data, num_boost_round=15)
    return str(booster.model_to_string())


def make_model(
    data_dir: Path,
    registry: RegistryRepository,
    version: str,
    *,
    seed: int = 1,
    symbol: str = SYMBOL,
    feature_names: list[str] | None = None,
    feature_set_id: str = FEATURE_SET,
    threshold: float = THRESHOLD,
    activate: bool = True,
) -> TinyModel:
    """Train, write the artifact under the data root, register it, optionally activate it."""
    names = list(feature_names or FEATURES)
    text = train_text(names, seed)
    sidecar = {
        "version": version,
        "symbol": symbol,
        "feature_names": names,
        "feature_set_id": feature_set_id,
        "label": {"kind": "forward_return", "horizon_steps": 15, "return_threshold": 0.002},
        "params": {"objective": "binary"},
        "metrics": {"auc": 0.6},
        "threshold": threshold,
    }
    files = write_artifact(data_dir / "models" / symbol / version, text, sidecar)
    registry.register(
        version=version,
        symbol=symbol,
        sha256=files.sha256,
        sidecar_sha256=files.sidecar_sha256,
        artifact_path=str(files.model_path),
        sidecar_path=str(files.sidecar_path),
        metrics={"auc": 0.6},
        params={"objective": "binary"},
        feature_names=names,
        label=sidecar["label"],  # type: ignore[arg-type]
        feature_set_id=feature_set_id,
        threshold=threshold,
        data_start_ms=1_700_000_000_000,
        data_end_ms=1_700_000_600_000,
        test_start_ms=1_700_000_480_000,
        test_end_ms=1_700_000_600_000,
    )
    if activate:
        registry.activate(version, "tests")
    return TinyModel(version, text, files)


def wait_for(condition: object, timeout_s: float = 3.0, interval_s: float = 0.02) -> float:
    """Poll `condition()` until truthy; returns the seconds it took. Fails the test on timeout."""
    assert callable(condition)
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if condition():
            return time.monotonic() - start
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s")


def subscribed_client_ids(conn: redis.Redis, client_name: str) -> list[int]:
    """Ids of connections named `client_name` currently subscribed to a channel."""
    return [
        int(c["id"])
        for c in conn.client_list()
        if c.get("name") == client_name and int(c.get("sub", 0)) > 0
    ]
