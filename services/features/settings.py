"""Settings of the features service (env prefix TRADY_)."""

from __future__ import annotations

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings


class FeaturesSettings(BaseServiceSettings):
    """Adds the gRPC port (TRADY_FEATURES_PORT); the ML config path is `ml_config`
    (TRADY_ML_CONFIG) from the base class."""

    features_port: int = DEFAULT_PORTS["features"]
