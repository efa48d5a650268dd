# The front door. `make demo` and `make test` work on a fresh machine with Python 3.11.
SHELL := /bin/bash
UV_VERSION := 0.13.9
PY := .venv/bin/python

.PHONY: env demo test up down proto proto-check lint typecheck bench clean

env: .venv/.synced

# Creates .venv from uv.lock exactly (installing uv itself first if the machine lacks it).
.venv/.synced: pyproject.toml uv.lock
	@if command -v uv >/dev/null 2>&1; then uv=uv; else \
		python3 -m uv --version >/dev/null 2>&1 || { echo "installing uv $(UV_VERSION) (the lockfile installer)"; \
			python3 -m pip install --user --quiet "uv==$(UV_VERSION)" 2>/dev/null \
			|| python3 -m pip install --quiet "uv==$(UV_VERSION)" 2>/dev/null \
			|| { echo "could not install uv: run 'python3 -m pip install uv' and retry" >&2; exit 1; }; }; \
		uv="python3 -m uv"; fi; \
	$$uv sync --frozen --python 3.11 --quiet
	@touch $@

demo: env
	$(PY) -m services.cli.main demo

test: env
	$(PY) -m pytest

up: env
	$(PY) -m services.cli.main up

down: env
	$(PY) -m services.cli.main down

proto: env
	$(PY) scripts/gen_proto.py

proto-check: env
	$(PY) scripts/gen_proto.py --check

lint: env
	.venv/bin/ruff check services tests scripts bench
	.venv/bin/ruff format --check services tests scripts bench

typecheck: env
	.venv/bin/mypy services

bench: env
	$(PY) -m bench.run

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
