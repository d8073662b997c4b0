"""Ingestion log: the outcome of every attempt (loaded, with rejected rows, failed to read, parse or load).

Sources that could not be read or parsed are logged too now; one that could not be read has no checksum.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Written out rather than imported: a migration keeps the values of its own day.
OUTCOMES = ("loaded", "loaded with rejected rows", "failed to read", "failed to parse", "failed to load")


def upgrade() -> None:
    with op.batch_alter_table("ingestion_log") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        batch.alter_column("checksum", existing_type=sa.String(length=128), nullable=True)
    # Before this revision only loads were logged: a failure was a failed load.
    op.execute(
        "UPDATE ingestion_log SET outcome = CASE WHEN status = 'failed' THEN 'failed to load' "
        "WHEN rows_rejected > 0 THEN 'loaded with rejected rows' ELSE 'loaded' END"
    )
    with op.batch_alter_table("ingestion_log") as batch:
        batch.alter_column("outcome", existing_type=sa.String(length=32), nullable=False)
        batch.create_check_constraint(
            op.f("ck_ingestion_log_outcome"), "outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")"
        )


def downgrade() -> None:
    op.execute("DELETE FROM ingestion_log WHERE checksum IS NULL")
    with op.batch_alter_table("ingestion_log") as batch:
        batch.drop_constraint(op.f("ck_ingestion_log_outcome"), type_="check")
        batch.drop_column("outcome")
        batch.alter_column("checksum", existing_type=sa.String(length=128), nullable=False)
