"""The study store the trainer workers share (TRADY_TUNING_STORAGE_URL), made ready by
`migrate` before any worker or the dashboard opens it.

It must be a database of its own: Optuna and the registry both keep their schema revision in
Alembic's default `alembic_version` table, so in one database each takes the other's revision
for its own and refuses to start. On PostgreSQL `prepare` creates that database when it is
missing (compose's postgres creates only the registry's), then brings Optuna's tables to its
schema head once, so workers starting together do not race to create them, and the dashboard,
which never creates tables, finds them before the first study.
"""

from __future__ import annotations

import logging
from typing import Any

import optuna
import sqlalchemy
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from services.common.errors import InvalidInput
from services.trainer.tuning.storage import SETUP_PREFIX, application_name

log = logging.getLogger(__name__)

MAINTENANCE_DB = "postgres"
"""The database every PostgreSQL server has, to connect to while creating another."""
PREPARE_LOCK_KEY = 7_426_002  # any fixed bigint; names the "trady tuning store setup" lock


def check_separate(tuning_url: str, registry_url: str) -> None:
    """Raises InvalidInput when the tuning store is the registry's database."""
    if _identity(make_url(tuning_url)) == _identity(make_url(registry_url)):
        raise InvalidInput(
            "TRADY_TUNING_STORAGE_URL names the registry's database: give the studies a "
            "database of their own (both keep an alembic_version table), e.g. .../trady_tuning"
        )


def _identity(url: URL) -> tuple[str, str | None, int | None, str | None]:
    return url.get_backend_name(), url.host, url.port, url.database


def prepare(url: str) -> None:
    """Create the store's PostgreSQL database if missing, then create or upgrade Optuna's
    tables in it (idempotent: every start may call it). A SQLite file just gets the tables:
    SQLite serialises its writers itself."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        _upgrade_tables(url)
        return
    _create_database(parsed)
    # the server and its workers start together: a session lock lets one create the tables
    # while the others wait (concurrent CREATE TABLEs collide in PostgreSQL's catalogue)
    named = {"connect_args": {"application_name": application_name(SETUP_PREFIX)}}
    engine = sqlalchemy.create_engine(parsed, isolation_level="AUTOCOMMIT", **named)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": PREPARE_LOCK_KEY})
            try:
                _upgrade_tables(url, named)
            finally:
                conn.execute(
                    sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": PREPARE_LOCK_KEY}
                )
    finally:
        engine.dispose()
    log.info("tuning store %s at optuna's schema head", parsed.database)


def _upgrade_tables(url: str, engine_kwargs: dict[str, Any] | None = None) -> None:
    # skip the version check: an older schema is exactly what upgrade() is for
    storage = optuna.storages.RDBStorage(
        url, engine_kwargs=engine_kwargs, skip_compatibility_check=True
    )
    try:
        storage.upgrade()
    finally:
        storage.engine.dispose()


def _exists(conn: sqlalchemy.Connection, name: str) -> bool:
    query = sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name")
    return conn.execute(query, {"name": name}).first() is not None


def _create_database(url: URL) -> None:
    name = url.database
    engine = sqlalchemy.create_engine(
        url.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            if _exists(conn, str(name)):
                return
            quoted = conn.dialect.identifier_preparer.quote(str(name))
            try:
                conn.execute(sqlalchemy.text(f"CREATE DATABASE {quoted}"))
            except DBAPIError:
                # another process created it between the check and here (PostgreSQL reports
                # that as a duplicate name or a unique violation): that is the goal
                if not _exists(conn, str(name)):
                    raise
                return
            log.info("created database %s for the tuning store", name)
    finally:
        engine.dispose()
