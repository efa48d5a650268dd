"""Parsing of the JSON payloads that dataset-shaped jobs share (features builds, training)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common.errors import InvalidInput

DATASET_JOB_KEYS = frozenset({"symbol", "start_ms", "end_ms", "config_yaml"})


@dataclass(frozen=True)
class DatasetJob:
    """`{"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}`; 0 = unbounded."""

    symbol: str
    start_ms: int
    end_ms: int
    config_yaml: str


def parse_dataset_job(payload: dict[str, Any]) -> DatasetJob:
    """Validate a payload; raises InvalidInput naming the problem (the job then fails at once)."""
    unknown = set(payload) - DATASET_JOB_KEYS
    if unknown:
        raise InvalidInput(
            f"unknown payload keys {sorted(unknown)}; allowed: {sorted(DATASET_JOB_KEYS)}"
        )
    if not isinstance(payload.get("symbol"), str):
        raise InvalidInput("payload needs 'symbol' (a string like BTCUSDT)")
    try:
        start_ms = int(payload.get("start_ms") or 0)
        end_ms = int(payload.get("end_ms") or 0)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"start_ms and end_ms must be integers (Unix ms): {exc}") from exc
    config_yaml = payload.get("config_yaml") or ""
    if not isinstance(config_yaml, str):
        raise InvalidInput("config_yaml must be YAML text")
    return DatasetJob(payload["symbol"], start_ms, end_ms, config_yaml)
