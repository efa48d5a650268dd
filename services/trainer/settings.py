"""Settings of the trainer service (env prefix TRADY_)."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings
from services.trainer.tuning.storage import Heartbeat


class TrainerSettings(BaseServiceSettings):
    """Adds the gRPC port (TRADY_TRAINER_PORT). The registry URL is `registry_url()`
    (DATABASE_URL, else SQLite under the data root); the ML config is `ml_config`."""

    trainer_port: int = DEFAULT_PORTS["trainer"]
    tuning_storage_url: str = ""
    """Where tuning studies live when several workers share one (TRADY_TUNING_STORAGE_URL);
    empty: each study's own SQLite file (one worker). Not the registry's database: optuna and
    the registry both keep their schema revision in `alembic_version` and refuse each other's."""
    tuning_heartbeat_s: int = Field(default=10, ge=1)
    """A running trial's heartbeat into the study storage (TRADY_TUNING_HEARTBEAT_S)."""
    tuning_grace_s: int = Field(default=30, ge=2)
    """A trial silent this long is failed and retried by another worker
    (TRADY_TUNING_GRACE_S); must exceed the heartbeat. Every worker of a study should use
    the same value: the worker that looks decides by its own."""

    def study_heartbeat(self) -> Heartbeat:
        """Raises InvalidInput when the grace does not exceed the heartbeat."""
        return Heartbeat(self.tuning_heartbeat_s, self.tuning_grace_s)

    def study_storage_url(self) -> str:
        return self.tuning_storage_url
