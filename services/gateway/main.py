"""Composition root of the gateway: `python -m services.gateway.main serve`."""

from __future__ import annotations

import argparse

import uvicorn
from redis import Redis

from services.common.logging import configure_logging
from services.gateway.app import create_app
from services.gateway.clients import ServiceClients
from services.gateway.settings import GatewaySettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.gateway.main")
    parser.add_argument("command", choices=["serve"])
    parser.parse_args(argv)
    settings = GatewaySettings()  # type: ignore[call-arg]  # admin_keys comes from the env
    configure_logging("gateway", settings.log_level, settings.log_json)
    app = create_app(
        settings, ServiceClients.from_settings(settings), Redis.from_url(settings.redis_url)
    )
    uvicorn.run(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
