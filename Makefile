# The front door. `make demo` and `make test` work on a fresh machine with Python 3.11.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python

.PHONY: env demo test test-fast up down proto proto-check lint typecheck bench clean

env: .venv/.synced

# Creates .venv from uv.lock exactly (installing uv itself first if the machine lacks it).
.venv/.synced: pyproject.toml uv.lock
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet "uv==$(UV_VERSION)" \
		|| python3 -m pip install --quiet "uv==$(UV_VERSION)"
	@UV=$$(command -v uv || echo $(HOME)/.local/bin/uv); $$UV sync --frozen --python 3.11 --quiet
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
