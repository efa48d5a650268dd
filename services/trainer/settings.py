"""Settings of the trainer service (env prefix TRADY_)."""

from __future__ import annotations

from pathlib import Path

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings


class TrainerSettings(BaseServiceSettings):
    """Adds the gRPC port (TRADY_TRAINER_PORT). The registry URL is `registry_url()`
    (DATABASE_URL, else SQLite under the data root); the ML config is `ml_config`."""

    trainer_port: int = DEFAULT_PORTS["trainer"]

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
