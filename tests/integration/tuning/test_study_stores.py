"""The stores the dashboard opens and `migrate` readies, on real SQLite files and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import optuna
import psycopg
import pytest
import sqlalchemy

from services.common.errors import InvalidInput, NotFound, Unavailable
from services.trainer.registry import migrate
from services.trainer.tuning import shared_store
from services.trainer.tuning.dashboard import Target, open_store
from tests.conftest import PG_DSN


def tiny_study(url: str, name: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)


def test_open_store_finds_the_named_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    tiny_study(url, "first")
    tiny_study(url, "second")
    opened = open_store(Target(url, "second"))
    assert opened.study_id == opened.storage.get_study_id_from_name("second")
    assert open_store(Target(url)).study_id is None


def test_a_study_not_in_the_store_lists_what_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    tiny_study(url, "kept")
    with pytest.raises(NotFound, match=r"holds no study 'x' \(it holds: kept\)"):
        open_store(Target(url, "x"))


def test_a_database_without_optunas_tables_is_named(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate.upgrade(registry)
    with pytest.raises(NotFound, match=r"registry\.db is not an Optuna study store"):
        open_store(Target(registry))


def test_a_store_that_does_not_answer_is_unavailable() -> None:
    with pytest.raises(Unavailable, match="cannot open the study store"):
        open_store(Target("postgresql://nobody:secret@127.0.0.1:1/none"))


@pytest.fixture
def missing_database(postgres_url: str) -> Iterator[str]:
    """A URL on the test server naming a database that does not exist yet; dropped after."""
    url = postgres_url + "_tuning"
    name = url.rsplit("/", 1)[1]
    yield url
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_prepare_creates_the_database_and_optunas_tables(missing_database: str) -> None:
    shared_store.prepare(missing_database)
    shared_store.prepare(missing_database)  # every start may call it
    engine = sqlalchemy.create_engine(missing_database)
    try:
        with engine.connect() as conn:
            tables = set(sqlalchemy.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert {"studies", "trials", "version_info", "alembic_version"} <= tables
    tiny_study(missing_database, "after")  # a worker then uses it as is


def test_workers_preparing_together_do_not_collide(missing_database: str) -> None:
    errors: list[BaseException] = []

    def prepare() -> None:
        try:
            shared_store.prepare(missing_database)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=prepare) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    open_store(Target(missing_database))


def test_one_database_cannot_hold_both_schemas(postgres_url: str) -> None:
    """Why the shared store needs its own database: Optuna refuses the registry's."""
    migrate.upgrade(postgres_url)
    with pytest.raises(RuntimeError, match="no longer compatible"):
        optuna.create_study(storage=postgres_url)
    with pytest.raises(InvalidInput, match="database of their own"):
        shared_store.check_separate(postgres_url, postgres_url.replace("@", "@", 1))
    shared_store.check_separate(postgres_url + "_tuning", postgres_url)
