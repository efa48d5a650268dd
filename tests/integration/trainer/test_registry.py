"""The registry on real SQLite and PostgreSQL (each test runs on both via `db_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.common.db import make_engine
from services.common.errors import Conflict, InvalidInput, NotFound
from services.trainer.registry import migrate
from services.trainer.registry.repository import RegistryRepository
from services.trainer.registry.tables import Base

T0 = 1_750_000_000_000


def fields(symbol: str = "BTCUSDT", **overrides: Any) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "sha256": "a" * 64,
        "sidecar_sha256": "b" * 64,
        "artifact_path": f"/data/models/{symbol}/model.txt",
        "sidecar_path": f"/data/models/{symbol}/model.json",
        "metrics": {"auc": 0.61, "log_loss": 0.68},
        "params": {"objective": "binary", "num_leaves": 31, "best_iteration": 12},
        "feature_names": ["ret_1m_1", "rsi_1m_14"],
        "label": {"kind": "forward_return", "horizon_steps": 15, "return_threshold": 0.002},
        "feature_set_id": "fs-abc",
        "threshold": 0.55,
        "data_start_ms": T0,
        "data_end_ms": T0 + 10_000_000,
        "test_start_ms": T0 + 8_000_000,
        "test_end_ms": T0 + 10_000_000,
        **overrides,
    }


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> RegistryRepository:
    return RegistryRepository(engine)


def register(repo: RegistryRepository, version: str, at_s: int, symbol: str = "BTCUSDT") -> None:
    repo.register(version=version, created_at_ms=T0 + at_s * 1000, **fields(symbol))


def test_register_and_get_round_trip_every_field(repo: RegistryRepository) -> None:
    made = repo.register(version="1.0.0+20250101_000000", created_at_ms=T0, **fields())
    got = repo.get("1.0.0+20250101_000000")
    assert got == made
    assert got.is_active is False and got.created_at_ms == T0
    assert got.metrics == {"auc": 0.61, "log_loss": 0.68}
    assert got.params["num_leaves"] == 31 and got.feature_names == ["ret_1m_1", "rsi_1m_14"]
    assert (got.test_start_ms, got.test_end_ms) == (T0 + 8_000_000, T0 + 10_000_000)


def test_duplicate_versions_conflict(repo: RegistryRepository) -> None:
    register(repo, "v1", 0)
    with pytest.raises(Conflict, match="already registered"):
        register(repo, "v1", 5)


def test_non_finite_metrics_are_refused(repo: RegistryRepository) -> None:
    with pytest.raises(InvalidInput, match="auc"):
        repo.register(version="v1", **fields(metrics={"auc": float("nan")}))


def test_list_is_newest_first_and_filters_by_symbol(repo: RegistryRepository) -> None:
    register(repo, "v-old", 0)
    register(repo, "v-new", 60)
    register(repo, "e-mid", 30, symbol="ETHUSDT")
    assert [m.version for m in repo.list()] == ["v-new", "e-mid", "v-old"]
    assert [m.version for m in repo.list("BTCUSDT")] == ["v-new", "v-old"]
    assert repo.list("SOLUSDT") == []


def test_activation_keeps_one_active_model_per_symbol_with_history(
    repo: RegistryRepository,
) -> None:
    register(repo, "v1", 0)
    register(repo, "v2", 10)
    register(repo, "e1", 20, symbol="ETHUSDT")
    assert repo.active("BTCUSDT") is None

    record, previous = repo.activate("v1", "alice")
    assert record.is_active and previous is None
    _, previous = repo.activate("e1", "alice")
    assert previous is None  # other symbols are independent
    record, previous = repo.activate("v2", "bob")
    assert (record.version, previous) == ("v2", "v1")

    active = repo.active("BTCUSDT")
    assert active is not None and active.version == "v2"
    assert [m.version for m in repo.list("BTCUSDT") if m.is_active] == ["v2"]
    assert repo.get("v1").is_active is False
    assert repo.active("ETHUSDT") is not None

    # re-activating the older version works and is recorded like any other activation
    record, previous = repo.activate("v1", "carol")
    assert (record.version, previous) == ("v1", "v2")
    history = repo.activations("BTCUSDT")
    assert [(a.version, a.previous_version, a.activated_by) for a in history] == [
        ("v1", "v2", "carol"),
        ("v2", "v1", "bob"),
        ("v1", None, "alice"),
    ]
    assert history[0].activated_at_ms >= history[-1].activated_at_ms > T0
    assert [a.version for a in repo.activations("ETHUSDT")] == ["e1"]

    # activating the active version again (a retried request) changes and records nothing
    record, previous = repo.activate("v1", "dave")
    assert (record.version, record.is_active, previous) == ("v1", True, "v1")
    assert repo.activations("BTCUSDT") == history


def test_unknown_versions_are_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(NotFound, match="nope"):
        repo.get("nope")
    with pytest.raises(NotFound, match="nope"):
        repo.activate("nope", "alice")
    assert repo.activations("BTCUSDT") == []


def test_one_active_model_per_symbol_is_a_database_fact(
    repo: RegistryRepository, engine: Engine
) -> None:
    register(repo, "v1", 0)
    register(repo, "v2", 10)
    register(repo, "e1", 20, symbol="ETHUSDT")
    repo.activate("v1", "alice")
    insert = text("INSERT INTO active_models (symbol, version, activated_at) VALUES (:s, :v, :t)")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a second active BTC model
        conn.execute(insert, {"s": "BTCUSDT", "v": "v2", "t": "2025-01-01 00:00:00"})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # an ETH model as BTC's
        conn.execute(insert, {"s": "SOLUSDT", "v": "e1", "t": "2025-01-01 00:00:00"})
    active = repo.active("BTCUSDT")
    assert active is not None and active.version == "v1"


def test_migrations_are_idempotent_and_match_the_models(db_url: str, engine: Engine) -> None:
    migrate.upgrade(db_url)  # the fixture already ran it once
    migrate.upgrade(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"models", "active_models", "activations", "alembic_version"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(db_url: str, engine: Engine) -> None:
    RegistryRepository(engine).register(version="v1", **fields())
    migrate.downgrade(db_url, "base")
    engine.dispose()
    assert "models" not in inspect(engine).get_table_names()
    migrate.upgrade(db_url)
    engine.dispose()
    assert RegistryRepository(engine).list() == []


def test_concurrent_activations_record_a_consistent_history(repo: RegistryRepository) -> None:
    versions = [f"v{i}" for i in range(6)]
    for i, version in enumerate(versions):
        register(repo, version, i)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda v: repo.activate(v, "race"), versions * 3))
    history = repo.activations("BTCUSDT")[::-1]  # oldest first
    # a version activated right after itself is a no-op that records nothing
    recorded = [
        (record.version, previous) for record, previous in results if previous != record.version
    ]
    assert len(results) == 18 and len(history) == len(recorded) > 0
    assert sorted(recorded, key=str) == sorted(
        ((a.version, a.previous_version) for a in history), key=str
    )
    # each activation saw exactly the one committed before it: the chain has no forks
    assert history[0].previous_version is None
    for before, after in zip(history, history[1:], strict=False):
        assert after.previous_version == before.version
    active = repo.active("BTCUSDT")
    assert active is not None and active.version == history[-1].version
    assert sum(m.is_active for m in repo.list()) == 1
