"""Predictor settings (env TRADY_*)."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings


class PredictorSettings(BaseServiceSettings):
    predictor_port: int = DEFAULT_PORTS["predictor"]
    reload_poll_s: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between registry polls, the fallback for lost activation messages.",
    )
