"""Each symbol's latest feature vector in Redis, for the predictor (key
`trady:features:latest:{SYMBOL}`, JSON with timestamp_ms, feature_names, values,
feature_set_id), as agreed with ingest and the predictor.

Thread-safety: a redis-py client is thread-safe; this class holds no other state.
"""

from __future__ import annotations

import json

from redis import Redis

from services.features.domain.dataset import LatestFeatures
from services.features.domain.symbols import normalise_symbol

KEY_PREFIX = "trady:features:latest:"


def latest_key(symbol: str) -> str:
    return KEY_PREFIX + normalise_symbol(symbol)


class LatestCache:
    """Reads and writes the latest vectors; a malformed entry reads as absent."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    def put(self, latest: LatestFeatures) -> None:
        document = {
            "symbol": latest.symbol,
            "timestamp_ms": latest.timestamp_ms,
            "feature_names": latest.feature_names,
            "values": latest.values,
            "feature_set_id": latest.feature_set_id,
        }
        self._redis.set(latest_key(latest.symbol), json.dumps(document))

    def get(self, symbol: str) -> LatestFeatures | None:
        raw = self._redis.get(latest_key(symbol))
        if raw is None:
            return None
        try:
            document = json.loads(raw)
            return LatestFeatures(
                symbol=normalise_symbol(symbol),
                timestamp_ms=int(document["timestamp_ms"]),
                feature_names=[str(n) for n in document["feature_names"]],
                values=[float(v) for v in document["values"]],
                feature_set_id=str(document["feature_set_id"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
