"""Settings of the trainer service (env prefix TRADY_)."""

from __future__ import annotations

from pathlib import Path

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings


class TrainerSettings(BaseServiceSettings):
    """Adds the gRPC port (TRADY_TRAINER_PORT). The registry URL is `registry_url()`
    (DATABASE_URL, else SQLite under the data root); the ML config is `ml_config`."""

    trainer_port: int = DEFAULT_PORTS["trainer"]
    tuning_storage_url: str = ""
    """Where tuning studies live when several workers share one (TRADY_TUNING_STORAGE_URL);
    empty: the registry's database when it is PostgreSQL, else each study's own SQLite file."""

    def study_storage_url(self) -> str:
        if self.tuning_storage_url:
            return self.tuning_storage_url
        url = self.registry_url()
        return url if url.startswith("postgresql") else ""

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
