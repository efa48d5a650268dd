"""Backtester settings from the environment (prefix TRADY_)."""

from __future__ import annotations

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings


class BacktesterSettings(BaseServiceSettings):
    """`TRADY_BACKTESTER_PORT`; the registry is `registry_url()`, the trading-rule defaults
    come from the `backtest` section of `TRADY_ML_CONFIG`."""

    backtester_port: int = DEFAULT_PORTS["backtester"]
