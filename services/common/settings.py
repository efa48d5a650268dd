"""Settings shared by every service; each service extends `BaseServiceSettings`.

Values come from environment variables (prefix TRADY_) and fail fast on bad input.
`DATABASE_URL` is accepted unprefixed because that is the convention ops people expect.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS = {
    "ingest": 50051,
    "features": 50052,
    "trainer": 50053,
    "backtester": 50054,
    "predictor": 50055,
    "gateway": 8000,
}


EXAMPLE_ML_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "ml.example.yaml"
"""The checkout's example config, found from wherever a process runs (not from its cwd)."""


class BaseServiceSettings(BaseSettings):
    """Plumbing settings every process needs."""

    model_config = SettingsConfigDict(env_prefix="TRADY_", extra="ignore")

    data_dir: Path = Path("var/data")
    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("TRADY_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL of the model registry; empty = SQLite under data_dir.",
    )
    log_level: str = "INFO"
    log_json: bool = True
    grpc_host: str = "127.0.0.1"

    ingest_addr: str = f"127.0.0.1:{DEFAULT_PORTS['ingest']}"
    features_addr: str = f"127.0.0.1:{DEFAULT_PORTS['features']}"
    trainer_addr: str = f"127.0.0.1:{DEFAULT_PORTS['trainer']}"
    backtester_addr: str = f"127.0.0.1:{DEFAULT_PORTS['backtester']}"
    predictor_addr: str = f"127.0.0.1:{DEFAULT_PORTS['predictor']}"

    ml_config: Path = EXAMPLE_ML_CONFIG

    def registry_url(self) -> str:
        """The registry's SQLAlchemy URL: DATABASE_URL, else a SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'registry.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        """Model artifacts and tuning studies (`<SYMBOL>/<study>/`), under the data root."""
        return self.data_dir / "models"
