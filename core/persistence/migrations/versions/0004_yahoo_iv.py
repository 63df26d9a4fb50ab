"""yahoo_daily_bars, yahoo_fetches (the Yahoo cache) and iv_snapshots (IV history)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.persistence.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "yahoo_daily_bars",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticker", "day", name=op.f("pk_yahoo_daily_bars")),
    )
    op.create_table(
        "yahoo_fetches",
        sa.Column("ticker", sa.String(32), nullable=False),
        sa.Column("covered_from", sa.Date(), nullable=False),
        sa.Column("covered_through", sa.Date(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticker", name=op.f("pk_yahoo_fetches")),
    )
    op.create_table(
        "iv_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("atm_iv_pct", sa.Float(), nullable=False),
        sa.Column("india_vix", sa.Float(), nullable=True),
        sa.Column("spot", sa.Float(), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("is_proxy", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "atm_iv_pct >= 0.5 AND atm_iv_pct <= 200", name=op.f("ck_iv_snapshots_atm_iv_pct_bounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iv_snapshots")),
        sa.UniqueConstraint("bucket", name=op.f("uq_iv_snapshots_bucket")),
    )
    op.create_index(op.f("ix_iv_snapshots_day"), "iv_snapshots", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_iv_snapshots_day"), table_name="iv_snapshots")
    op.drop_table("iv_snapshots")
    op.drop_table("yahoo_fetches")
    op.drop_table("yahoo_daily_bars")
