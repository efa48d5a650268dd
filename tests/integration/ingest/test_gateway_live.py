"""The gateway's live-trades route and bars route, in front of a live ingest server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import redis
from fastapi.testclient import TestClient

from services.common.grpc_server import ServerHandle
from services.gateway.app import create_app
from services.gateway.clients import ServiceClients
from services.gateway.settings import GatewaySettings
from services.ingest.servicer import build_server
from tests.integration.ingest.helpers import build_service

LiveGrpc = Callable[[Callable[[], ServerHandle]], str]
ADMIN = {"X-API-Key": "admin-secret-key-1"}
T0_US = 1_704_067_200_000_000


def test_posted_trades_close_bars_readable_as_json(
    live_grpc: LiveGrpc, data_dir: Path, redis_url: str
) -> None:
    address = live_grpc(lambda: build_server(build_service(data_dir), port=0))
    settings = GatewaySettings(
        admin_keys="ops:admin-secret-key-1", ingest_addr=address, data_dir=data_dir,
        redis_url=redis_url,
    )  # fmt: skip
    app = create_app(
        settings, ServiceClients.from_settings(settings), redis.Redis.from_url(redis_url)
    )
    trades = [
        {"timestamp_us": T0_US + 1_000_000, "price": 10.0, "size": 1.0, "side": "Buy"},
        {"timestamp_us": T0_US + 2_000_000, "price": 12.0, "size": 3.0, "side": "Sell",
         "tick_direction": "PlusTick"},
        {"timestamp_us": T0_US + 61_000_000, "price": 11.0, "size": 1.0, "side": "Buy"},
    ]  # fmt: skip
    with TestClient(app) as http:
        reply = http.post("/api/v1/live/gwtest/trades", json={"trades": trades}, headers=ADMIN)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"accepted": 3, "late": 0, "closed": [f"GWTEST@{T0_US // 1000}"]}

        bars = http.get("/api/v1/bars/GWTEST", params={"timeframe": "1m"}, headers=ADMIN)
        assert bars.status_code == 200, bars.text
        [bar] = bars.json()
        assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (10.0, 12.0, 10.0, 12.0)
        assert (bar["volume"], bar["buy_volume"], bar["trade_count"]) == (4.0, 1.0, 2)
        assert bar["vwap"] == (10.0 + 36.0) / 4

        bad = http.post(
            "/api/v1/live/GWTEST/trades",
            json={"trades": [{**trades[0], "price": -1.0}]},
            headers=ADMIN,
        )
        assert bad.status_code == 422 and "price -1.0 must be" in bad.json()["detail"]
        anonymous = http.post("/api/v1/live/GWTEST/trades", json={"trades": []})
        assert anonymous.status_code in (401, 403)
