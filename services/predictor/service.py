"""Use cases of the predictor: serve each symbol's active model, reload it without restart.

The hot path (`predict` for a symbol already held) reads one dict and never touches the
database: the registry is consulted by `refresh()` (on an activation message and on a timer) and,
rate-limited, when a symbol is asked for that the predictor does not hold yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Protocol

import numpy as np
from redis import Redis

from services.common.errors import Conflict, InvalidInput, Unavailable
from services.features.domain.dataset import LatestFeatures
from services.predictor.domain.prediction import (
    LoadedModelInfo,
    Prediction,
    make_prediction,
    normalize_symbol,
)
from services.predictor.domain.vector import assemble_row, check_feature_set
from services.predictor.reloader import ModelReloader
from services.predictor.slots import Loader, ModelSlot, load_slot
from services.trainer.artifact import LoadedModel, load_verified
from services.trainer.registry.repository import ModelRecord, RegistryRepository

log = logging.getLogger(__name__)

MISS_RECHECK_S = 1.0
"""A symbol the predictor does not hold is looked up in the registry at most this often, so a
burst of requests for a symbol without a model cannot turn into a burst of queries."""
MAX_MISS_ENTRIES = 10_000
"""Bound on remembered misses (symbols are client input)."""


def _no_active_model(symbol: str) -> Conflict:
    return Conflict(
        f"no active model for {symbol}; activate one with POST /api/v1/models/{{version}}/activate"
    )


class LatestFeaturesSource(Protocol):
    """Gives a symbol's latest stored feature vector: the features gRPC client in the stack,
    the features service itself in one process (the `trady` command)."""

    def latest(self, symbol: str) -> LatestFeatures: ...


class PredictorService:
    """Predictions from each symbol's active model.

    Thread-safe: `predict` and `status` may run on many threads at once (the servicer calls
    them via `asyncio.to_thread`); `refresh` may be called concurrently from the activation
    listener and the poller; loads are serialised and the symbol -> model map is replaced whole.
    """

    def __init__(
        self,
        registry: RegistryRepository,
        features_client: LatestFeaturesSource,
        loader: Loader = load_verified,
        *,
        miss_recheck_s: float = MISS_RECHECK_S,
    ) -> None:
        self._registry = registry
        self._features = features_client
        self._loader = loader
        self._miss_recheck_s = miss_recheck_s
        self._slots: Mapping[str, ModelSlot] = {}  # replaced, never mutated: readers need no lock
        self._misses: dict[str, tuple[float, str]] = {}  # symbol -> (when, error or "")
        self._misses_lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    # --- hot path -------------------------------------------------------------------------

    def predict(self, symbol: str, features: Mapping[str, float] | None = None) -> Prediction:
        """Probability and signal of the symbol's active model.

        `features` maps every feature name of the model to a finite value; None means the
        symbol's latest stored vector (from the features service).

        Raises:
            InvalidInput: bad symbol, or features missing/unknown/not finite.
            Conflict: no active model, or the latest vector was built with another feature set.
            IntegrityFailure: the active version's artifact failed verification.
            NotFound: no stored feature vector (when `features` is None).
            Unavailable: the registry (first request for a symbol) or features service is down.
        """
        symbol = normalize_symbol(symbol)
        model = self._slot(symbol).serving_model()
        if features is None:
            row, timestamp_ms = self._latest_row(symbol, model)
        else:
            row, timestamp_ms = assemble_row(model.feature_names, features), 0
        probability = float(model.predict_proba(row.reshape(1, -1))[0])
        return make_prediction(symbol, model.version, probability, model.threshold, timestamp_ms)

    def status(self) -> list[LoadedModelInfo]:
        """The models currently loaded (and served), by symbol."""
        return [
            LoadedModelInfo(symbol, slot.version, slot.sha256, slot.loaded_at_ms)
            for symbol, slot in sorted(self._slots.items())
            if slot.model is not None
        ]

    def _latest_row(self, symbol: str, model: LoadedModel) -> tuple[np.ndarray, int]:
        latest = self._features.latest(symbol)
        check_feature_set(
            model.feature_set_id, model.feature_names, latest.feature_set_id, latest.feature_names
        )
        try:
            row = assemble_row(
                model.feature_names, dict(zip(latest.feature_names, latest.values, strict=True))
            )
        except InvalidInput as exc:
            # Not the caller's fault: the stored vector itself is unusable (e.g. warm-up NaNs).
            raise Conflict(
                f"the latest stored feature vector of {symbol} "
                f"(timestamp_ms={latest.timestamp_ms}) cannot be used: {exc}"
            ) from exc
        return row, latest.timestamp_ms

    def _slot(self, symbol: str) -> ModelSlot:
        slot = self._slots.get(symbol)
        if slot is not None:
            return slot
        self._raise_if_recent_miss(symbol)  # without waiting behind a refresh in progress
        with self._refresh_lock:
            slot = self._slots.get(symbol)  # loaded meanwhile by another request or a refresh
            if slot is not None:
                return slot
            self._raise_if_recent_miss(symbol)  # looked up meanwhile by another request
            try:
                record = self._registry.active(symbol)
            except Unavailable as exc:
                self._remember_miss(symbol, str(exc))
                raise
            if record is None:
                self._remember_miss(symbol, "")
                raise _no_active_model(symbol)
            slot = self._reconcile(None, record)
            self._slots = {**self._slots, symbol: slot}
            return slot

    def _raise_if_recent_miss(self, symbol: str) -> None:
        """Answer as the last lookup of `symbol` did if it was less than miss_recheck_s ago."""
        with self._misses_lock:
            last = self._misses.get(symbol)
        if last is not None and time.monotonic() - last[0] < self._miss_recheck_s:
            raise Unavailable(last[1]) if last[1] else _no_active_model(symbol)

    def _remember_miss(self, symbol: str, error: str) -> None:
        with self._misses_lock:
            if len(self._misses) >= MAX_MISS_ENTRIES:
                self._misses.clear()
            self._misses[symbol] = (time.monotonic(), error)

    # --- reloading ------------------------------------------------------------------------

    def refresh(self) -> list[str]:
        """Bring the held models in line with the registry's active versions: load what was
        activated or changed, drop symbols without an active model, retry failed loads.

        Returns the symbols whose slot changed. Raises Unavailable if the registry is down
        (the models held stay served).
        """
        with self._refresh_lock:
            active = {r.symbol: r for r in self._registry.list() if r.is_active}
            current = self._slots
            slots = {
                symbol: self._reconcile(current.get(symbol), r) for symbol, r in active.items()
            }
            changed = sorted(
                s for s in set(current) | set(slots) if current.get(s) is not slots.get(s)
            )
            self._slots = slots
        if changed:
            log.info("models refreshed", extra={"changed": changed})
        return changed

    def _reconcile(self, slot: ModelSlot | None, record: ModelRecord) -> ModelSlot:
        """Keep a slot already serving this artifact; otherwise (re)load. Failures retry."""
        if slot is not None and slot.holds(record):
            return slot
        return load_slot(record, self._loader, previous=slot)

    def start_listening(self, redis: Redis, poll_s: float) -> ModelReloader:
        """Start reloading on activation messages from `redis` and every `poll_s` seconds;
        the caller stops the returned reloader on shutdown."""
        reloader = ModelReloader(self.refresh, redis, poll_s)
        reloader.start()
        return reloader
