"""Artifact round trip and tamper detection on real files (tmp_path) with a tiny real model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pytest

from services.common.errors import IntegrityFailure, InvalidInput, NotFound
from services.trainer.artifact import ArtifactFiles, load_verified, write_artifact

FEATURES = ["ret_1", "rsi_14", "vol_z"]


def tiny_model() -> lightgbm.Booster:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(float)
    data = lightgbm.Dataset(x, label=y, feature_name=FEATURES)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 10}
    return lightgbm.train(params, data, num_boost_round=5)


def sidecar(**overrides: Any) -> dict[str, Any]:
    return {
        "version": "1.0.0+20250102_030405",
        "symbol": "BTCUSDT",
        "feature_names": FEATURES,
        "feature_set_id": "fs-1",
        "threshold": 0.55,
        "label": {"kind": "forward_return", "horizon_steps": 15},
        **overrides,
    }


@pytest.fixture
def booster() -> lightgbm.Booster:
    return tiny_model()


@pytest.fixture
def written(tmp_path: Path, booster: lightgbm.Booster) -> ArtifactFiles:
    return write_artifact(
        tmp_path / "models" / "BTCUSDT" / "v1", booster.model_to_string(), sidecar()
    )


def load(files: ArtifactFiles) -> Any:
    return load_verified(files.model_path, files.sidecar_path, files.sha256, files.sidecar_sha256)


def flip_one_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_round_trip_predicts_like_the_original(
    written: ArtifactFiles, booster: lightgbm.Booster
) -> None:
    model = load(written)
    x = np.random.default_rng(1).normal(size=(20, len(FEATURES)))
    np.testing.assert_allclose(model.predict_proba(x), booster.predict(x), rtol=0, atol=1e-12)
    assert (model.version, model.symbol, model.feature_set_id) == (
        "1.0.0+20250102_030405",
        "BTCUSDT",
        "fs-1",
    )
    assert model.feature_names == FEATURES and model.threshold == 0.55
    assert model.sidecar["label"]["horizon_steps"] == 15


def test_files_are_text_and_hashes_are_of_their_bytes(written: ArtifactFiles) -> None:
    assert written.model_path.name == "model.txt" and written.sidecar_path.name == "model.json"
    assert written.model_path.read_text().startswith("tree")  # LightGBM text, not a pickle
    assert json.loads(written.sidecar_path.read_text())["symbol"] == "BTCUSDT"
    assert written.sha256 == hashlib.sha256(written.model_path.read_bytes()).hexdigest()
    assert written.sidecar_sha256 == hashlib.sha256(written.sidecar_path.read_bytes()).hexdigest()
    # atomic writes leave nothing but the two files behind
    assert sorted(p.name for p in written.model_path.parent.iterdir()) == [
        "model.json",
        "model.txt",
    ]


def test_one_flipped_byte_in_the_model_is_refused_naming_the_file(written: ArtifactFiles) -> None:
    flip_one_byte(written.model_path, at=len(written.model_path.read_bytes()) // 2)
    with pytest.raises(IntegrityFailure, match=r"model file .*model\.txt"):
        load(written)


def test_one_flipped_byte_in_the_sidecar_is_refused_naming_the_file(
    written: ArtifactFiles,
) -> None:
    text = written.sidecar_path.read_text()
    flip_one_byte(written.sidecar_path, at=text.index("0.55") + 3)  # 0.55 -> 0.54
    with pytest.raises(IntegrityFailure, match=r"sidecar file .*model\.json"):
        load(written)


def test_hashes_are_checked_before_parsing(written: ArtifactFiles) -> None:
    # Garbage that LightGBM could not parse must fail as an integrity error, not a parse error.
    written.model_path.write_bytes(b"\x00not a model")
    with pytest.raises(IntegrityFailure, match="sha256"):
        load(written)


def test_missing_files_are_not_found(written: ArtifactFiles) -> None:
    written.sidecar_path.unlink()
    with pytest.raises(NotFound, match="model.json"):
        load(written)


def test_a_sidecar_describing_other_features_is_refused(
    tmp_path: Path, booster: lightgbm.Booster
) -> None:
    files = write_artifact(
        tmp_path / "m", booster.model_to_string(), sidecar(feature_names=["a", "b", "c"])
    )
    with pytest.raises(IntegrityFailure, match="disagree on the feature list"):
        load(files)


def test_predict_proba_checks_the_column_count(written: ArtifactFiles) -> None:
    with pytest.raises(InvalidInput, match="expects 3 feature columns"):
        load(written).predict_proba(np.zeros((2, 2)))


def test_non_finite_sidecar_values_are_refused_at_write(
    tmp_path: Path, booster: lightgbm.Booster
) -> None:
    with pytest.raises(InvalidInput, match="JSON"):
        write_artifact(
            tmp_path / "m", booster.model_to_string(), sidecar(metrics={"auc": float("nan")})
        )
