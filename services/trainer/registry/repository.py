"""The model registry: register models, look them up, activate one per symbol, keep history.

Every write is one transaction (`services.common.db.transaction`), so an activation changes
the active model and appends its history row together or not at all. Works on SQLite and
PostgreSQL alike. Thread-safety: one repository may be shared by threads (each call opens its
own session from the engine's pool).
"""

from __future__ import annotations

import builtins
import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.common.db import session_factory, transaction
from services.common.errors import Conflict, InvalidInput, NotFound
from services.trainer.registry.records import ActivationRecord, ModelRecord
from services.trainer.registry.tables import ActivationRow, ActiveModelRow, ModelRow

__all__ = ["ActivationRecord", "ModelRecord", "RegistryRepository"]

ACTIVATE_ATTEMPTS = 3
"""Two first-ever activations of one symbol may race to insert its `active_models` row; the
loser sees a Conflict and simply retries as an update."""


def _to_ms(moment: datetime) -> int:
    # SQLite drops the zone on the way back; every stored time is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _record(row: ModelRow, is_active: bool) -> ModelRecord:
    return ModelRecord(
        version=row.version,
        symbol=row.symbol,
        sha256=row.sha256,
        sidecar_sha256=row.sidecar_sha256,
        artifact_path=row.artifact_path,
        sidecar_path=row.sidecar_path,
        created_at_ms=_to_ms(row.created_at),
        is_active=is_active,
        metrics={str(k): float(v) for k, v in row.metrics.items()},
        params=dict(row.params),
        feature_names=[str(name) for name in row.feature_names],
        label=dict(row.label),
        feature_set_id=row.feature_set_id,
        threshold=float(row.threshold),
        data_start_ms=int(row.data_start_ms),
        data_end_ms=int(row.data_end_ms),
        test_start_ms=int(row.test_start_ms),
        test_end_ms=int(row.test_end_ms),
    )


def _with_active() -> Select[ModelRow, str]:
    # An outer join: the second column is None for an inactive model.
    return select(ModelRow, ActiveModelRow.version).outerjoin(
        ActiveModelRow, ActiveModelRow.version == ModelRow.version
    )


class RegistryRepository:
    """Reads and writes the registry tables (create them first with `migrate.upgrade`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)

    def register(
        self,
        *,
        version: str,
        symbol: str,
        sha256: str,
        sidecar_sha256: str,
        artifact_path: str,
        sidecar_path: str,
        metrics: dict[str, float],
        params: dict[str, Any],
        feature_names: list[str],
        label: dict[str, Any],
        feature_set_id: str,
        threshold: float,
        data_start_ms: int,
        data_end_ms: int,
        test_start_ms: int,
        test_end_ms: int,
        created_at_ms: int | None = None,
    ) -> ModelRecord:
        """Add a model, inactive. Raises Conflict if the version exists, InvalidInput on
        non-finite metrics (they could not be stored as JSON on PostgreSQL)."""
        if not version or not symbol:
            raise InvalidInput("a model needs a version and a symbol")
        bad = sorted(k for k, v in metrics.items() if not math.isfinite(float(v)))
        if bad:
            raise InvalidInput(f"metrics {', '.join(bad)} are not finite numbers")
        created = _from_ms(created_at_ms) if created_at_ms else datetime.now(UTC)
        row = ModelRow(
            version=version,
            symbol=symbol,
            sha256=sha256,
            sidecar_sha256=sidecar_sha256,
            artifact_path=str(artifact_path),
            sidecar_path=str(sidecar_path),
            created_at=created,
            metrics={str(k): float(v) for k, v in metrics.items()},
            params=params,
            feature_names=list(feature_names),
            label=label,
            feature_set_id=feature_set_id,
            threshold=float(threshold),
            data_start_ms=data_start_ms,
            data_end_ms=data_end_ms,
            test_start_ms=test_start_ms,
            test_end_ms=test_end_ms,
        )
        with transaction(self._sessions) as session:
            if session.get(ModelRow, version) is not None:
                raise Conflict(f"model version {version} is already registered")
            session.add(row)
            session.flush()
            return _record(row, is_active=False)

    def exists(self, version: str) -> bool:
        with transaction(self._sessions) as session:
            return session.get(ModelRow, version) is not None

    def get(self, version: str) -> ModelRecord:
        """Raises NotFound if no model has this version."""
        with transaction(self._sessions) as session:
            found = session.execute(_with_active().where(ModelRow.version == version)).first()
            if found is None:
                raise NotFound(f"model version {version!r} is not registered")
            return _record(found[0], is_active=found[1] is not None)

    def list(self, symbol: str | None = None) -> list[ModelRecord]:
        """Models, newest first; only those of `symbol` when given."""
        query = _with_active()
        if symbol:
            query = query.where(ModelRow.symbol == symbol)
        query = query.order_by(ModelRow.created_at.desc(), ModelRow.version.desc())
        with transaction(self._sessions) as session:
            return [_record(row, active is not None) for row, active in session.execute(query)]

    def active(self, symbol: str) -> ModelRecord | None:
        """The active model of `symbol`, or None when none was ever activated."""
        query = select(ModelRow).join(ActiveModelRow, ActiveModelRow.version == ModelRow.version)
        with transaction(self._sessions) as session:
            row = session.execute(query.where(ActiveModelRow.symbol == symbol)).scalar()
            return None if row is None else _record(row, is_active=True)

    def activate(self, version: str, activated_by: str) -> tuple[ModelRecord, str | None]:
        """Make `version` the active model of its symbol and append the history row, in one
        transaction. Returns the record and the previously active version (None if none).
        Re-activating an older version is allowed and recorded like any other activation;
        activating the version that is already active changes nothing and records nothing
        (it returns that version as the previous one), so a retried request cannot write a
        history row whose previous version is itself.

        Raises NotFound for an unknown version, InvalidInput without `activated_by`.
        """
        if not activated_by:
            raise InvalidInput("activated_by must name who activates the model")
        for attempt in range(ACTIVATE_ATTEMPTS):
            try:
                with transaction(self._sessions) as session:
                    return self._activate(session, version, activated_by)
            except Conflict:
                if attempt == ACTIVATE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _activate(
        self, session: Session, version: str, activated_by: str
    ) -> tuple[ModelRecord, str | None]:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks and pysqlite begins lazily at the first write, so two
            # activations could both read the same "previous". Take the write lock up front.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        row = session.get(ModelRow, version)
        if row is None:
            raise NotFound(f"model version {version!r} is not registered")
        # Lock the symbol's row (PostgreSQL) so concurrent activations record true history.
        current = session.execute(
            select(ActiveModelRow).where(ActiveModelRow.symbol == row.symbol).with_for_update()
        ).scalar()
        previous = current.version if current is not None else None
        if previous == version:
            return _record(row, is_active=True), previous
        now = datetime.now(UTC)
        if current is None:
            session.add(ActiveModelRow(symbol=row.symbol, version=version, activated_at=now))
        else:
            current.version = version
            current.activated_at = now
        session.add(
            ActivationRow(
                symbol=row.symbol,
                version=version,
                previous_version=previous,
                activated_by=activated_by,
                activated_at=now,
            )
        )
        session.flush()
        return _record(row, is_active=True), previous

    def activations(self, symbol: str) -> builtins.list[ActivationRecord]:
        """The activation history of `symbol`, newest first."""
        query = (
            select(ActivationRow)
            .where(ActivationRow.symbol == symbol)
            .order_by(ActivationRow.id.desc())
        )
        with transaction(self._sessions) as session:
            return [
                ActivationRecord(
                    symbol=row.symbol,
                    version=row.version,
                    previous_version=row.previous_version,
                    activated_by=row.activated_by,
                    activated_at_ms=_to_ms(row.activated_at),
                )
                for row in session.execute(query).scalars()
            ]
