"""Live trades over HTTP (admin): the same as the ingest service's StreamTrades, one batch per
request. Closed 1m bars are stored and published on Redis for the features service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.gateway.auth import AdminCaller
from services.gateway.deps import Clients
from services.ingest.client import LiveTradeIn

router = APIRouter(prefix="/api/v1", tags=["live"])
MAX_TRADES = 100_000


class LiveTradeBody(BaseModel):
    timestamp_us: int = Field(description="exchange trade time, unix microseconds (UTC)")
    price: float
    size: float
    side: Literal["Buy", "Sell"] = Field(description="taker side")
    tick_direction: Literal["", "PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick"] = ""
    trade_id: str = ""


class LiveBatchBody(BaseModel):
    trades: list[LiveTradeBody] = Field(default_factory=list, max_length=MAX_TRADES)
    now_ms: int = Field(0, ge=0, description="your clock (optional): closes an ended minute")


@router.post("/live/{symbol}/trades")
def live_trades(symbol: str, body: LiveBatchBody, _: AdminCaller, svc: Clients) -> dict[str, Any]:
    """Feed live trades of one symbol. Returns how many were accepted, how many were late
    (older than the forming minute: dropped) and the 1m bars this batch closed."""
    trades = [LiveTradeIn(**trade.model_dump()) for trade in body.trades]
    return asdict(svc.ingest.stream_trades([(symbol.upper(), trades, body.now_ms)]))
