"""What the predictor answers and reports: a prediction, a loaded model's identity, and the
small rules that turn a booster's output into a trading signal."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.common.errors import IntegrityFailure, InvalidInput

_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")


@dataclass(frozen=True)
class Prediction:
    symbol: str
    model_version: str
    probability: float
    signal: bool
    threshold: float
    feature_timestamp_ms: int
    """Open time of the stored vector used; 0 when the features came with the request."""


@dataclass(frozen=True)
class LoadedModelInfo:
    symbol: str
    version: str
    sha256: str
    loaded_at_ms: int


def normalize_symbol(symbol: str) -> str:
    """Upper-case and validate a symbol such as ``btcusdt`` -> ``BTCUSDT``.

    Raises:
        InvalidInput: empty or containing characters a symbol cannot have.
    """
    normalized = symbol.strip().upper()
    if not _SYMBOL_RE.match(normalized):
        raise InvalidInput(f"invalid symbol {symbol!r}: expected letters and digits like BTCUSDT")
    return normalized


def make_prediction(
    symbol: str, version: str, probability: float, threshold: float, feature_timestamp_ms: int
) -> Prediction:
    """Apply the model's threshold: the signal is on when probability >= threshold.

    Raises:
        IntegrityFailure: the model produced a probability outside [0, 1] (a corrupt model).
    """
    if not (math.isfinite(probability) and 0.0 <= probability <= 1.0):
        raise IntegrityFailure(
            f"model {version} of {symbol} returned probability {probability!r}, outside [0, 1]"
        )
    return Prediction(
        symbol=symbol,
        model_version=version,
        probability=probability,
        signal=probability >= threshold,
        threshold=threshold,
        feature_timestamp_ms=feature_timestamp_ms,
    )


def check_artifact_matches_record(
    *,
    registered_version: str,
    registered_symbol: str,
    registered_feature_names: Sequence[str],
    registered_feature_set_id: str,
    artifact_version: str,
    artifact_symbol: str,
    artifact_feature_names: Sequence[str],
    artifact_feature_set_id: str,
) -> None:
    """The model and its feature list load as one unit: refuse an artifact whose sidecar
    disagrees with what the registry recorded for that version.

    Raises:
        IntegrityFailure: naming the first field that differs.
    """
    pairs = [
        ("version", registered_version, artifact_version),
        ("symbol", registered_symbol, artifact_symbol),
        ("feature_set_id", registered_feature_set_id, artifact_feature_set_id),
    ]
    prefix = (
        f"artifact of model {registered_version} ({registered_symbol}) disagrees with the registry"
    )
    for field, registered, stored in pairs:
        if registered != stored:
            raise IntegrityFailure(
                f"{prefix} on {field}: registry {registered!r}, artifact {stored!r}"
            )
    if list(registered_feature_names) != list(artifact_feature_names):
        raise IntegrityFailure(
            f"{prefix} on feature_names ({len(registered_feature_names)} registered, "
            f"{len(artifact_feature_names)} in the artifact, or a different order)"
        )
