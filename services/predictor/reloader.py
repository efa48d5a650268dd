"""Reload without restart: a Redis subscriber that refreshes on each activation message, and a
poller that refreshes on a timer in case a message was lost (Redis restarts, network blips).

Both run on daemon threads and survive any error from `refresh` or Redis: they log it and carry
on, the subscriber reconnecting with exponential backoff.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from services.trainer.registry.events import ACTIVATION_CHANNEL

log = logging.getLogger(__name__)

GET_MESSAGE_TIMEOUT_S = 1.0
"""How long one wait for a message blocks; bounds how quickly `stop()` is noticed."""
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0


class ModelReloader:
    """Calls `refresh()` on every message on `channel`, on every (re)subscription (to catch up
    on messages missed while disconnected) and every `poll_s` seconds.

    `refresh` must be thread-safe: the two threads may call it at the same time.
    """

    def __init__(
        self,
        refresh: Callable[[], object],
        redis: Redis,
        poll_s: float,
        channel: str = ACTIVATION_CHANNEL,
    ) -> None:
        if poll_s <= 0:
            raise ValueError(f"poll_s must be > 0, got {poll_s}")
        self._refresh = refresh
        self._redis = redis
        self._poll_s = poll_s
        self._channel = channel
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._listen, name="predictor-listener", daemon=True),
            threading.Thread(target=self._poll, name="predictor-poller", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    def _safe_refresh(self, reason: str) -> None:
        try:
            self._refresh()
        except Exception as exc:  # the models held stay served; the next trigger retries
            log.warning("model refresh failed", extra={"reason": reason, "error": str(exc)})

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_s):
            self._safe_refresh("poll")

    def _listen(self) -> None:
        backoff = BACKOFF_INITIAL_S
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            try:
                pubsub.subscribe(self._channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=GET_MESSAGE_TIMEOUT_S)
                    if message is not None:
                        self._handle(message)
                        backoff = BACKOFF_INITIAL_S
            except (RedisError, OSError) as exc:
                log.warning(
                    "activation listener lost Redis; reconnecting",
                    extra={"error": str(exc), "retry_in_s": backoff},
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    pubsub.close()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            # Also sent when redis-py re-subscribes after a reconnect: catch up on lost messages.
            self._safe_refresh("subscribed")
        elif kind == "message":
            try:
                event = json.loads(message["data"])
                log.info("activation received", extra={"event": event})
            except (ValueError, TypeError):
                log.warning("malformed activation message", extra={"data": repr(message["data"])})
            self._safe_refresh("activation")
