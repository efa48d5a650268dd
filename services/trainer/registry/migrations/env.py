"""Alembic environment for the registry, driven from code by `migrate.upgrade(url)`.

The URL travels in `config.attributes["url"]` (not the ini-style main options, which would
choke on a `%` in a password). On PostgreSQL a session advisory lock serialises concurrent
upgrades (the server and its workers may start together).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from services.common.db import make_engine
from services.trainer.registry.tables import Base

MIGRATION_LOCK_KEY = 7_426_001  # any fixed bigint; names the "trady registry migration" lock

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no registry URL: call services.trainer.registry.migrate.upgrade(url)")
    return str(url)


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(_url())
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.connect() as conn:
            if postgres:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
            try:
                context.configure(
                    connection=conn,
                    target_metadata=target_metadata,
                    render_as_batch=conn.dialect.name == "sqlite",
                )
                with context.begin_transaction():
                    context.run_migrations()
                conn.commit()
            finally:
                if postgres:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                    conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
