"""Initial registry schema: models, active_models (one per symbol), activations.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sidecar_sha256", sa.String(64), nullable=False),
        sa.Column("artifact_path", sa.Text(), nullable=False),
        sa.Column("sidecar_path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("feature_set_id", sa.String(128), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("data_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("data_end_ms", sa.BigInteger(), nullable=False),
        sa.Column("test_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("test_end_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_models"),
        sa.UniqueConstraint("symbol", "version", name="uq_models_symbol_version"),
    )
    op.create_index("ix_models_symbol", "models", ["symbol"])
    op.create_table(
        "active_models",
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name="pk_active_models"),
        sa.ForeignKeyConstraint(
            ["symbol", "version"],
            ["models.symbol", "models.version"],
            name="fk_active_models_symbol_version_models",
        ),
    )
    op.create_table(
        "activations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("previous_version", sa.String(64), nullable=True),
        sa.Column("activated_by", sa.String(128), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activations"),
        sa.ForeignKeyConstraint(
            ["version"], ["models.version"], name="fk_activations_version_models"
        ),
        sa.ForeignKeyConstraint(
            ["previous_version"],
            ["models.version"],
            name="fk_activations_previous_version_models",
        ),
    )
    op.create_index("ix_activations_symbol", "activations", ["symbol"])


def downgrade() -> None:
    op.drop_index("ix_activations_symbol", table_name="activations")
    op.drop_table("activations")
    op.drop_table("active_models")
    op.drop_index("ix_models_symbol", table_name="models")
    op.drop_table("models")
