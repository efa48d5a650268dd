"""`make demo` on a machine whose Redis is not running: the stack starts a private one."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import redis

from services.cli.stack import StackConfig, _ensure_redis
from tests.conftest import free_port


def test_a_private_persistent_redis_is_started_when_none_answers(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    config = StackConfig(state_dir=tmp_path, data_dir=tmp_path / "data", redis_url=nobody)
    url, pid = _ensure_redis(config)
    assert pid is not None
    try:
        assert url != nobody
        conn = redis.Redis.from_url(url)
        assert conn.ping()
        assert conn.config_get("appendonly")["appendonly"] == "yes"  # jobs survive a restart
        conn.close()
    finally:
        os.killpg(pid, signal.SIGTERM)


def test_the_configured_redis_is_used_when_it_answers(tmp_path: Path, redis_url: str) -> None:
    config = StackConfig(state_dir=tmp_path, data_dir=tmp_path / "data", redis_url=redis_url)
    assert _ensure_redis(config) == (redis_url, None)
