"""kite: instruments cache, previous-close OI and daily sessions

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.persistence.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kite_instrument_dumps",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_kite_instrument_dumps")),
    )
    op.create_table(
        "kite_instruments",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("instrument_token", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tradingsymbol", sa.String(64), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("strike", sa.Numeric(12, 2), nullable=False),
        sa.Column("option_type", sa.String(2), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("tick_size", sa.Numeric(8, 4), nullable=False),
        sa.Column("exchange", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(
            ["day"],
            ["kite_instrument_dumps.day"],
            name=op.f("fk_kite_instruments_day_kite_instrument_dumps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "instrument_token", name=op.f("pk_kite_instruments")),
    )
    op.create_index("ix_kite_instruments_day_expiry", "kite_instruments", ["day", "expiry"])
    op.create_table(
        "kite_oi_closes",
        sa.Column("session_day", sa.Date(), nullable=False),
        sa.Column("instrument_token", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("oi", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_day", "instrument_token", name=op.f("pk_kite_oi_closes")),
    )
    op.create_table(
        "kite_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("valid_for", sa.Date(), nullable=False),
        sa.Column("obtained_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kite_sessions")),
    )
    op.create_index("ix_kite_sessions_expires_at", "kite_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_kite_sessions_expires_at", table_name="kite_sessions")
    op.drop_table("kite_sessions")
    op.drop_table("kite_oi_closes")
    op.drop_index("ix_kite_instruments_day_expiry", table_name="kite_instruments")
    op.drop_table("kite_instruments")
    op.drop_table("kite_instrument_dumps")
