"""llm_usage and llm_budget_notice: Claude usage, cost and the daily budget alert

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.persistence.models.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("trading_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(12, 6), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_usage")),
    )
    op.create_index(op.f("ix_llm_usage_trading_day"), "llm_usage", ["trading_day"])
    op.create_table(
        "llm_budget_notice",
        sa.Column("trading_day", sa.Date(), nullable=False),
        sa.Column("notified_at", UTCDateTime(), nullable=False),
        sa.Column("spent_usd", sa.Numeric(12, 6), nullable=False),
        sa.Column("budget_usd", sa.Numeric(12, 6), nullable=False),
        sa.PrimaryKeyConstraint("trading_day", name=op.f("pk_llm_budget_notice")),
    )


def downgrade() -> None:
    op.drop_table("llm_budget_notice")
    op.drop_index(op.f("ix_llm_usage_trading_day"), table_name="llm_usage")
    op.drop_table("llm_usage")
