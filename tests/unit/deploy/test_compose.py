"""docker-compose.yml cannot be run here (no Docker engine), so it is checked statically:
against the Compose Specification's JSON schema, and against the code it names."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from services.cli.procfile import read_procfile
from services.common.settings import DEFAULT_PORTS, BaseServiceSettings

REPO = Path(__file__).resolve().parents[3]
COMPOSE = REPO / "docker-compose.yml"
SCHEMA = REPO / "tests" / "fixtures" / "compose-spec.json"
# the schema declares draft 2019-09 (with a trailing '#' jsonschema does not auto-detect)
VALIDATOR = jsonschema.Draft201909Validator
INTERPOLATION = re.compile(r"\$\{([A-Z_]+)(?::?[?-][^}]*)?\}")
# services beside the Procfile's processes, each with the settings its command reads
EXTRA = {"migrate": "services.trainer.settings", "optuna-dashboard": "services.trainer.settings"}
DASHBOARD_PORT = 8080


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def settings_class(module_name: str) -> type[BaseServiceSettings]:
    module = importlib.import_module(module_name)
    classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseServiceSettings)
        and obj is not BaseServiceSettings
    ]
    assert len(classes) == 1, f"{module_name} should define exactly one settings class"
    return classes[0]


def env_names(cls: type[BaseServiceSettings]) -> set[str]:
    names = set()
    for field_name, info in cls.model_fields.items():
        names.add(f"TRADY_{field_name.upper()}")
        alias = info.validation_alias
        if alias is not None and hasattr(alias, "choices"):
            names.update(str(choice) for choice in alias.choices)
    return names


def test_compose_validates_against_the_compose_spec_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(VALIDATOR(schema).iter_errors(load_compose()), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_can_fail() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = load_compose()
    broken["services"]["gateway"]["depends_on"]["ingest"]["condition"] = "when_it_feels_like_it"
    broken["services"]["redis"]["healthcheck"]["interval"] = 5
    assert list(VALIDATOR(schema).iter_errors(broken))


def test_compose_runs_the_same_processes_as_the_procfile() -> None:
    services = load_compose()["services"]
    for spec in read_procfile():
        assert spec.name in services, f"Procfile process {spec.name} missing from compose"
        assert tuple(services[spec.name]["command"]) == spec.argv


@pytest.mark.parametrize("name", [p.name for p in read_procfile()] + list(EXTRA))
def test_every_command_exists(name: str) -> None:
    command = load_compose()["services"][name]["command"]
    assert command[:2] == ["python", "-m"]
    module, subcommand = command[2], command[3]
    importlib.import_module(module)  # the module exists and imports without connecting
    helped = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert helped.returncode == 0, helped.stderr
    assert subcommand in helped.stdout, f"{module} has no '{subcommand}' command"


def test_every_variable_is_read_by_the_service_that_gets_it() -> None:
    services = load_compose()["services"]
    readers = {p.name: f"services.{p.service}.settings" for p in read_procfile()} | EXTRA
    for name, module in readers.items():
        known = env_names(settings_class(module))
        env = services[name]["environment"]
        unknown = {k for k in env if k.startswith("TRADY_")} - known
        assert not unknown, f"{name}: no settings field reads {sorted(unknown)}"


def test_the_dashboard_shows_the_store_the_trainer_workers_share() -> None:
    services = load_compose()["services"]
    dashboard, worker = services["optuna-dashboard"], services["trainer-worker"]
    assert dashboard["image"] == worker["image"] and dashboard["build"] == worker["build"]
    store = dashboard["environment"]["TRADY_TUNING_STORAGE_URL"]
    assert store.startswith("postgresql://") and "@postgres:5432/" in store
    # migrate readies the store (creates its database and Optuna's tables) for both
    assert worker["environment"]["TRADY_TUNING_STORAGE_URL"] == store
    assert services["migrate"]["environment"]["TRADY_TUNING_STORAGE_URL"] == store
    registry = worker["environment"]["TRADY_DATABASE_URL"]
    assert store.rsplit("/", 1)[1] != registry.rsplit("/", 1)[1], "a database of its own"
    assert dashboard["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_dashboard_listens_where_it_is_published_and_checked() -> None:
    dashboard = load_compose()["services"]["optuna-dashboard"]
    command = dashboard["command"]
    assert command[3:4] == ["dashboard"] and "--storage" not in command
    assert command[command.index("--port") + 1] == str(DASHBOARD_PORT)
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable from the host
    assert dashboard["ports"] == [f"127.0.0.1:{DASHBOARD_PORT}:{DASHBOARD_PORT}"]  # loopback only
    check = dashboard["healthcheck"]["test"]
    assert check[:5] == ["CMD", "python", "-m", "services.cli.healthcheck", "http"]
    # /api/studies (optuna-dashboard's list) reads the store, unlike its static pages
    assert check[5] == f"http://127.0.0.1:{DASHBOARD_PORT}/api/studies"


def test_ports_and_addresses_agree() -> None:
    services = load_compose()["services"]
    env = services["gateway"]["environment"]
    for name, port in DEFAULT_PORTS.items():
        if name == "gateway":
            assert services["gateway"]["ports"] == [f"{port}:{port}"]
            continue
        assert env[f"TRADY_{name.upper()}_ADDR"] == f"{name}:{port}"
        assert services[name]["environment"][f"TRADY_{name.upper()}_PORT"] == str(port)
        assert services[name]["healthcheck"]["test"][-1] == f"127.0.0.1:{port}"


def test_healthy_dependencies_have_healthchecks() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        for dep, condition in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}'s healthcheck"


def test_required_secrets_fail_fast() -> None:
    text = COMPOSE.read_text()
    for var in ("POSTGRES_PASSWORD", "TRADY_ADMIN_KEYS", "TRADY_CLIENT_KEYS"):
        assert re.search(rf"\$\{{{var}:\?", text), f"{var} should use ${{{var}:?...}}"
    assert set(INTERPOLATION.findall(text)) == {
        "POSTGRES_PASSWORD",
        "TRADY_ADMIN_KEYS",
        "TRADY_CLIENT_KEYS",
    }


def test_dockerfile_copies_what_exists() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
