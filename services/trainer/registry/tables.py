"""Typed SQLAlchemy 2.0 tables of the model registry (owned by the trainer).

`active_models` has the symbol as its primary key, so "at most one active model per symbol"
is a fact the database enforces rather than a convention code must remember. Its composite
foreign key (symbol, version) -> models also makes it impossible to activate a model under
another symbol's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ModelRow(Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("symbol", "version", name="uq_models_symbol_version"),)

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    sidecar_sha256: Mapped[str] = mapped_column(String(64))
    artifact_path: Mapped[str] = mapped_column(Text)
    sidecar_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    metrics: Mapped[dict[str, float]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    feature_names: Mapped[list[str]] = mapped_column(JSON)
    label: Mapped[dict[str, Any]] = mapped_column(JSON)
    feature_set_id: Mapped[str] = mapped_column(String(128))
    threshold: Mapped[float] = mapped_column(Float)
    data_start_ms: Mapped[int] = mapped_column(BigInteger)
    data_end_ms: Mapped[int] = mapped_column(BigInteger)
    test_start_ms: Mapped[int] = mapped_column(BigInteger)
    test_end_ms: Mapped[int] = mapped_column(BigInteger)


class ActiveModelRow(Base):
    __tablename__ = "active_models"
    __table_args__ = (
        ForeignKeyConstraint(
            ["symbol", "version"],
            ["models.symbol", "models.version"],
            name="fk_active_models_symbol_version_models",
        ),
    )

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivationRow(Base):
    __tablename__ = "activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[str] = mapped_column(String(64), ForeignKey("models.version"))
    previous_version: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("models.version"), nullable=True
    )
    activated_by: Mapped[str] = mapped_column(String(128))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
