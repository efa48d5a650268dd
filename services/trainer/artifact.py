"""Model artifacts on disk: LightGBM's native text model plus a JSON sidecar, both hashed.

`model.txt` is LightGBM's own text format (never pickle: loading a pickle runs code), and
`model.json` carries what a consumer needs to use the model safely (feature list, label,
threshold). The registry stores the SHA256 of both files; `load_verified` hashes the bytes it
read *before* parsing them, so a tampered or truncated file is refused, never half-loaded.

Thread-safety: the functions keep no state; `LoadedModel.predict_proba` only reads the booster
(LightGBM prediction is safe to call from several threads).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np

from services.common.errors import IntegrityFailure, InvalidInput, NotFound
from services.common.files import write_bytes_atomic
from services.research.calibration import Calibrator

MODEL_FILENAME = "model.txt"
SIDECAR_FILENAME = "model.json"
SIDECAR_REQUIRED_KEYS = ("version", "symbol", "feature_names", "feature_set_id", "threshold")


@dataclass(frozen=True)
class ArtifactFiles:
    """Where an artifact was written and the SHA256 (hex) of each file's bytes."""

    model_path: Path
    sidecar_path: Path
    sha256: str
    sidecar_sha256: str


@dataclass(frozen=True)
class LoadedModel:
    """A verified model and its sidecar, loaded together so they cannot drift apart."""

    booster: lightgbm.Booster
    sidecar: dict[str, Any]
    version: str
    symbol: str
    feature_names: list[str]
    feature_set_id: str
    threshold: float
    calibrator: Calibrator = field(default_factory=Calibrator)
    """From the sidecar's `calibration` (tuned models); none for the others."""

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated P(label = 1) per row; `matrix` columns in `feature_names` order.

        Raises InvalidInput when the column count does not match the model's features.
        """
        data = np.asarray(matrix, dtype=np.float64)
        if data.ndim == 1:
            data = data.reshape(1, -1)
        if data.ndim != 2 or data.shape[1] != len(self.feature_names):
            raise InvalidInput(
                f"model {self.version} expects {len(self.feature_names)} feature columns "
                f"({', '.join(self.feature_names[:5])}, ...), got shape {data.shape}"
            )
        result = np.asarray(self.booster.predict(data), dtype=np.float64)
        return self.calibrator.apply(result)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sidecar_bytes(sidecar: dict[str, Any]) -> bytes:
    """The canonical JSON encoding of a sidecar (sorted keys; NaN is refused, not written)."""
    try:
        text = json.dumps(sidecar, sort_keys=True, indent=2, allow_nan=False)
    except ValueError as exc:
        raise InvalidInput(f"model sidecar is not valid JSON: {exc}") from exc
    return (text + "\n").encode()


def write_artifact(directory: Path, model_text: str, sidecar: dict[str, Any]) -> ArtifactFiles:
    """Write `model.txt` and `model.json` into `directory` (created if needed), each atomically.

    Returns the paths (absolute) and the SHA256 of the exact bytes written.
    """
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    model_data = model_text.encode()
    side_data = sidecar_bytes(sidecar)
    model_path = directory / MODEL_FILENAME
    sidecar_path = directory / SIDECAR_FILENAME
    write_bytes_atomic(model_path, model_data)
    write_bytes_atomic(sidecar_path, side_data)
    return ArtifactFiles(model_path, sidecar_path, sha256_hex(model_data), sha256_hex(side_data))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{what} file {path} is missing") from None
    except IsADirectoryError:
        raise NotFound(f"{what} path {path} is a directory, not a file") from None


def _verify(path: Path, data: bytes, expected: str, what: str) -> None:
    actual = sha256_hex(data)
    if actual != expected.lower():
        raise IntegrityFailure(
            f"{what} file {path} failed verification: sha256 {actual} does not match the "
            f"registered {expected}; the file was modified or corrupted, retrain or restore it"
        )


def load_verified(
    model_path: str | Path, sidecar_path: str | Path, sha256: str, sidecar_sha256: str
) -> LoadedModel:
    """Hash both files, then (only if both match) parse them into a `LoadedModel`.

    Raises NotFound if a file is missing, IntegrityFailure naming the file whose hash differs
    or whose content is inconsistent (sidecar features vs the model's own feature names).
    """
    model_file, side_file = Path(model_path), Path(sidecar_path)
    # Hash the very bytes we then parse, so the file cannot change between check and use.
    model_data = _read(model_file, "model")
    side_data = _read(side_file, "sidecar")
    _verify(model_file, model_data, sha256, "model")
    _verify(side_file, side_data, sidecar_sha256, "sidecar")
    try:
        sidecar = json.loads(side_data)
    except ValueError as exc:
        raise IntegrityFailure(f"sidecar file {side_file} is not valid JSON: {exc}") from exc
    if not isinstance(sidecar, dict):
        raise IntegrityFailure(f"sidecar file {side_file} does not hold a JSON object")
    missing = [key for key in SIDECAR_REQUIRED_KEYS if key not in sidecar]
    if missing:
        raise IntegrityFailure(f"sidecar file {side_file} lacks {', '.join(missing)}")
    try:
        booster = lightgbm.Booster(model_str=model_data.decode())
    except (lightgbm.basic.LightGBMError, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"model file {model_file} is not a LightGBM model: {exc}") from exc
    feature_names = [str(name) for name in sidecar["feature_names"]]
    if list(booster.feature_name()) != feature_names:
        raise IntegrityFailure(
            f"model file {model_file} and sidecar {side_file} disagree on the feature list"
        )
    try:
        calibrator = Calibrator.from_dict(sidecar.get("calibration"))
    except InvalidInput as exc:
        raise IntegrityFailure(f"sidecar file {side_file}: {exc}") from exc
    return LoadedModel(
        booster=booster,
        sidecar=sidecar,
        version=str(sidecar["version"]),
        symbol=str(sidecar["symbol"]),
        feature_names=feature_names,
        feature_set_id=str(sidecar["feature_set_id"]),
        threshold=float(sidecar["threshold"]),
        calibrator=calibrator,
    )
