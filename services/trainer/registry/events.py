"""Activation events on Redis pub/sub: the predictor reloads when one arrives (and also polls
the registry, because pub/sub drops messages while a subscriber is away)."""

from __future__ import annotations

import json

from redis import Redis

ACTIVATION_CHANNEL = "trady:models:activated"


def activation_message(symbol: str, version: str) -> str:
    return json.dumps({"symbol": symbol, "version": version}, sort_keys=True)


def publish_activation(redis: Redis, symbol: str, version: str) -> int:
    """Publish `{"symbol", "version"}` on ACTIVATION_CHANNEL; returns how many subscribers got
    it. Raises redis.RedisError when Redis does not answer."""
    return int(redis.publish(ACTIVATION_CHANNEL, activation_message(symbol, version)))
