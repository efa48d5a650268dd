"""Live features: on each closed 1m bar (Redis channel `trady:bars:closed`, published by ingest
after it stored the bar), recompute that symbol's latest vector and keep it in Redis.

Runs as `python -m services.features.main listen`. One message is handled at a time; a bad
message or a failed update is logged and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from redis import Redis

from services.common.errors import TradyError
from services.features.service import FeatureService
from services.ingest.events import BARS_CLOSED_CHANNEL

MINUTE_MS = 60_000
POLL_S = 0.5

log = logging.getLogger(__name__)


def handle(service: FeatureService, message: dict[str, Any]) -> bool:
    """Update the latest vector for one closed-bar message; True when one was stored."""
    if message.get("timeframe") != "1m":
        return False  # higher timeframes close together with a 1m bar
    symbol, open_ms = message.get("symbol"), message.get("open_time_ms")
    if not isinstance(symbol, str) or not isinstance(open_ms, int):
        log.warning("ignoring a malformed closed-bar message", extra={"data": message})
        return False
    try:
        return service.update_latest(symbol, open_ms + MINUTE_MS) is not None
    except TradyError as exc:
        log.warning("latest features not updated", extra={"symbol": symbol, "error": str(exc)})
        return False


def listen(redis: Redis, service: FeatureService, stop: threading.Event) -> None:
    """Handle closed-bar messages until `stop` is set."""
    # redis-py's pubsub() carries no annotations.
    pubsub = redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(BARS_CLOSED_CHANNEL)
    try:
        while not stop.is_set():
            message = pubsub.get_message(timeout=POLL_S)
            if message is None or message.get("type") != "message":
                continue
            try:
                payload = json.loads(message["data"])
            except (TypeError, ValueError):
                log.warning("ignoring a closed-bar message that is not JSON")
                continue
            if isinstance(payload, dict):
                handle(service, payload)
    finally:
        pubsub.close()
