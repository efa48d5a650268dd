"""Read-only market data: stored symbols and bars."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from services.gateway.auth import ClientCaller
from services.gateway.deps import Clients
from services.gateway.schemas import to_ms

router = APIRouter(prefix="/api/v1", tags=["market data"])
MAX_BARS = 10_000


@router.get("/symbols")
def symbols(_: ClientCaller, svc: Clients) -> list[dict[str, Any]]:
    """Symbols with stored bars and their coverage."""
    return [asdict(item) for item in svc.ingest.symbols()]


@router.get("/bars/{symbol}")
def bars(
    symbol: str,
    _: ClientCaller,
    svc: Clients,
    timeframe: str = Query("1m", pattern="^(1m|5m|15m|1h|4h)$"),
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = Query(1000, ge=1, le=MAX_BARS),
) -> list[dict[str, Any]]:
    """Bars labelled by open time (UTC ms), oldest first; the newest `limit` in the range."""
    found = svc.ingest.bars(symbol.upper(), timeframe, to_ms(start), to_ms(end), limit)
    return [asdict(bar) for bar in found]
