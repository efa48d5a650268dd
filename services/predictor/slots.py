"""One symbol's served model as a unit: the verified artifact, or the reason it was refused.

A slot is immutable; reloading builds a new one. A refused artifact is recorded as an error, not
as a model, so the next refresh tries it again and nothing older is served in its place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.common.errors import IntegrityFailure, TradyError
from services.predictor.domain.prediction import check_artifact_matches_record
from services.trainer.artifact import LoadedModel
from services.trainer.registry.repository import ModelRecord

log = logging.getLogger(__name__)

Loader = Callable[[str | Path, str | Path, str, str], LoadedModel]
"""`services.trainer.artifact.load_verified`: (model path, sidecar path, sha256, sidecar sha256)."""


@dataclass(frozen=True)
class ModelSlot:
    version: str
    sha256: str
    sidecar_sha256: str
    model: LoadedModel | None
    error: str | None  # why the artifact was refused (then `model` is None)
    loaded_at_ms: int

    def serving_model(self) -> LoadedModel:
        """The model to predict with. Raises IntegrityFailure if the artifact was refused."""
        if self.model is None:
            raise IntegrityFailure(self.error or f"model {self.version} is not loaded")
        return self.model

    def holds(self, record: ModelRecord) -> bool:
        """Whether this slot already serves exactly the artifact `record` registers."""
        return self.model is not None and (self.version, self.sha256, self.sidecar_sha256) == (
            record.version,
            record.sha256,
            record.sidecar_sha256,
        )


def load_slot(record: ModelRecord, loader: Loader, previous: ModelSlot | None) -> ModelSlot:
    """Verify and load `record`'s artifact; any failure (hash mismatch, missing or unparsable
    file, sidecar disagreeing with the registry) becomes a slot holding an IntegrityFailure
    message. `previous` only serves to log a repeated failure once."""
    now_ms = int(time.time() * 1000)
    try:
        model = loader(
            record.artifact_path, record.sidecar_path, record.sha256, record.sidecar_sha256
        )
        check_artifact_matches_record(
            registered_version=record.version,
            registered_symbol=record.symbol,
            registered_feature_names=record.feature_names,
            registered_feature_set_id=record.feature_set_id,
            artifact_version=model.version,
            artifact_symbol=model.symbol,
            artifact_feature_names=model.feature_names,
            artifact_feature_set_id=model.feature_set_id,
        )
    except Exception as exc:
        error = _describe(record, exc)
        if previous is None or (previous.version, previous.error) != (record.version, error):
            log.error(
                "active model refused",
                extra={"symbol": record.symbol, "version": record.version, "error": error},
            )
        return ModelSlot(record.version, record.sha256, record.sidecar_sha256, None, error, now_ms)
    log.info("model loaded", extra={"symbol": record.symbol, "version": record.version})
    return ModelSlot(record.version, record.sha256, record.sidecar_sha256, model, None, now_ms)


def _describe(record: ModelRecord, exc: Exception) -> str:
    if isinstance(exc, IntegrityFailure):
        return str(exc)  # already names the file and what failed
    detail = str(exc) if isinstance(exc, TradyError) else f"{type(exc).__name__}: {exc}"
    return f"model {record.version} of {record.symbol} could not be loaded: {detail}"
