"""Run the registry's Alembic migrations from code (no alembic.ini needed at runtime).

Call `upgrade(url)` before serving; it is idempotent, so every process may call it on start.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config pointing at this package's migrations and the given registry URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the registry at `url` (SQLite or PostgreSQL) up to `revision` (default: head)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Step the registry back to `revision` (`base` drops every table); for tests and ops."""
    command.downgrade(alembic_config(url), revision)
