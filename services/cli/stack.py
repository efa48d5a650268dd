"""Run the whole topology of deploy/Procfile as local processes: the embedded deployment used
by `make up`, `make demo` and the end-to-end tests.

State (pids, ports, keys) lives in `<state_dir>/stack.json` so `trady down` in another shell can
stop what `trady up` started; each process logs to `<state_dir>/logs/<name>.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import redis

from services.cli.procfile import ProcessSpec, read_procfile
from services.common.grpc_client import is_serving
from services.common.settings import DEFAULT_PORTS

READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
REPO = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """The stack could not be started or reached; the message says what to do."""


@dataclass
class StackConfig:
    state_dir: Path
    data_dir: Path
    redis_url: str = ""
    database_url: str = ""
    free_ports: bool = False
    """Pick free ports instead of the defaults (demo and tests, so they never clash with `up`)."""
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class StackState:
    pids: dict[str, int]
    ports: dict[str, int]
    env: dict[str, str]
    redis_pid: int | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def admin_key(self) -> str:
        return self.env["TRADY_ADMIN_KEYS"].split(",")[0].split(":", 1)[1]

    @property
    def client_key(self) -> str:
        return self.env["TRADY_CLIENT_KEYS"].split(",")[0].split(":", 1)[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_ok(url: str) -> bool:
    try:
        conn = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(conn.ping())
        finally:
            conn.close()
    except redis.RedisError:
        return False


def _ensure_redis(config: StackConfig) -> tuple[str, int | None]:
    """Use the configured/machine Redis; else start a private redis-server if one is installed."""
    url = config.redis_url or os.environ.get("TRADY_REDIS_URL", "redis://127.0.0.1:6379/0")
    if _redis_ok(url):
        return url, None
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError(
            f"Redis is not reachable at {url}. Start one (e.g. `redis-server --daemonize yes`; "
            "install it with `apt-get install redis-server` or `brew install redis`), "
            "or point TRADY_REDIS_URL at yours."
        )
    port = _free_port()
    log = config.state_dir / "logs" / "redis.log"
    # append-only file in the state folder: queued jobs survive a restart of this Redis too
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--dir",
            str(config.state_dir),
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _redis_ok(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise StackError(f"could not start redis-server; see {log}")
        time.sleep(0.1)
    return url, proc.pid


def _keys(state_dir: Path) -> tuple[str, str]:
    """Random API keys for this stack, kept in state_dir/keys.json (reused across restarts)."""
    path = state_dir / "keys.json"
    if path.exists():
        saved = json.loads(path.read_text())
        return saved["admin"], saved["client"]
    admin, client = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    path.write_text(json.dumps({"admin": admin, "client": client}))
    path.chmod(0o600)
    return admin, client


def build_env(config: StackConfig, redis_url: str, ports: dict[str, int]) -> dict[str, str]:
    admin, client = _keys(config.state_dir)
    env = {
        "TRADY_DATA_DIR": str(config.data_dir.resolve()),
        "TRADY_REDIS_URL": redis_url,
        "TRADY_ADMIN_KEYS": f"local-admin:{admin}",
        "TRADY_CLIENT_KEYS": f"local-client:{client}",
        "TRADY_LOG_JSON": "true",
        "TRADY_ML_CONFIG": str(REPO / "configs" / "ml.example.yaml"),
        "PYTHONUNBUFFERED": "1",
    }
    if config.database_url:
        env["TRADY_DATABASE_URL"] = config.database_url
    for name, port in ports.items():
        env[f"TRADY_{name.upper()}_PORT"] = str(port)
        if name != "gateway":
            env[f"TRADY_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
    env.update(config.extra_env)
    return env


def _spawn(spec: ProcessSpec, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable if spec.argv[0] == "python" else spec.argv[0], *spec.argv[1:]]
    log = (logs / f"{spec.name}.log").open("ab")
    return subprocess.Popen(
        argv,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `down` stops its children too
    )


def _gateway_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def state_path(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def load_state(state_dir: Path) -> StackState | None:
    path = state_path(state_dir)
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def up(config: StackConfig, *, on_progress: Callable[[str], None] | None = None) -> StackState:
    """Start every Procfile process and return once all report ready (or raise StackError,
    having stopped whatever had started)."""
    say: Callable[[str], None] = on_progress or (lambda _msg: None)
    existing = load_state(config.state_dir)
    if existing and any(_alive(pid) for pid in existing.pids.values()):
        raise StackError(f"a stack is already running from {config.state_dir}; `trady down` first")
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    redis_url, redis_pid = _ensure_redis(config)
    ports = {
        name: (_free_port() if config.free_ports else port) for name, port in DEFAULT_PORTS.items()
    }
    env = build_env(config, redis_url, ports)
    state = StackState(pids={}, ports=ports, env=env, redis_pid=redis_pid)
    say("migrating the model registry")
    migrate = subprocess.run(
        [sys.executable, "-m", "services.trainer.main", "migrate"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if migrate.returncode != 0:
        down(config.state_dir, state)
        raise StackError(f"registry migration failed:\n{migrate.stdout}{migrate.stderr}")
    for spec in read_procfile():
        state.pids[spec.name] = _spawn(spec, env, logs).pid
    state_path(config.state_dir).write_text(json.dumps(asdict(state), indent=2))
    say(f"started {len(state.pids)} processes; waiting until they report ready")
    try:
        _wait_ready(state, logs)
    except StackError:
        down(config.state_dir, state)
        raise
    return state


def _wait_ready(state: StackState, logs: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = {name for name in state.ports if name != "gateway"}
    while time.monotonic() < deadline:
        for name, pid in state.pids.items():
            if not _alive(pid) or _is_zombie(pid):
                raise StackError(f"process '{name}' exited during start-up; see {logs}/{name}.log")
        pending = {name for name in pending if not is_serving(f"127.0.0.1:{state.ports[name]}")}
        if not pending and _gateway_ready(state.gateway_url):
            return
        time.sleep(0.3)
    raise StackError(f"not ready after {READY_TIMEOUT_S:.0f} s: {sorted(pending) or ['gateway']}")


def _is_zombie(pid: int) -> bool:
    """A child that exited but was not reaped still answers kill(0); reap and report it."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def down(state_dir: Path, state: StackState | None = None) -> list[str]:
    """SIGTERM every process group (graceful drain), SIGKILL what is left after a grace period."""
    state = state or load_state(state_dir)
    if state is None:
        return []
    pids = dict(state.pids)
    if state.redis_pid:
        pids["redis"] = state.redis_pid
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and any(
        _alive(p) and not _is_zombie(p) for p in pids.values()
    ):
        time.sleep(0.1)
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _is_zombie(pid)
    state_path(state_dir).unlink(missing_ok=True)
    return sorted(pids)
