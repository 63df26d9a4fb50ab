"""desk tables and the event outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:39:06.764510
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.persistence.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "archived_trades",
        sa.Column("position_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("gross_pnl", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("net_pnl", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("position_id", name=op.f("pk_archived_trades")),
    )
    with op.batch_alter_table("archived_trades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archived_trades_closed_at"), ["closed_at"], unique=False)

    op.create_table(
        "equity_points",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("realized", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unrealized", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("equity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_points")),
    )
    with op.batch_alter_table("equity_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equity_points_at"), ["at"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("dispatched_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_events_dedupe_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_dispatched_at"), ["dispatched_at"], unique=False)

    op.create_table(
        "risk_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_by", sa.BigInteger(), nullable=True),
        sa.Column("paused_at", UTCDateTime(), nullable=True),
        sa.Column("tripped", sa.String(length=64), nullable=False),
        sa.Column("tripped_at", UTCDateTime(), nullable=True),
        sa.Column("trip_reason", sa.Text(), nullable=True),
        sa.Column("trading_day", sa.Date(), nullable=True),
        sa.Column("day_start_equity", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("peak_equity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_state")),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2, asdecimal=False), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=160), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("position_id", sa.Integer(), nullable=True),
        sa.Column("max_loss", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("commentary", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestions")),
    )
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_status"), ["status"], unique=False)

    op.create_table(
        "trade_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("strategy", sa.String(length=32), nullable=True),
        sa.Column("regime", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Numeric(precision=6, scale=2, asdecimal=False), nullable=True),
        sa.Column("lots", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("pnl", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("position_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_decisions")),
    )
    with op.batch_alter_table("trade_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_trade_decisions_algo_at", ["algorithm", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_trade_decisions_at"), ["at"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("profit_target", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("stop_loss", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("max_sessions", sa.Integer(), nullable=True),
        sa.Column("sessions_held", sa.Integer(), nullable=False),
        sa.Column("last_session_date", sa.Date(), nullable=True),
        sa.Column("marked_at", UTCDateTime(), nullable=True),
        sa.Column("max_loss", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("margin", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("entry_charges", sa.JSON(), nullable=False),
        sa.Column("exit_charges", sa.JSON(), nullable=True),
        sa.Column("gross_pnl", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("net_pnl", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["suggestion_id"], ["suggestions.id"], name=op.f("fk_positions_suggestion_id_suggestions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("suggestion_id", name=op.f("uq_positions_suggestion_id")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_status"), ["status"], unique=False)

    op.create_table(
        "position_legs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("tradingsymbol", sa.String(length=40), nullable=False),
        sa.Column("instrument_token", sa.BigInteger(), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("strike", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("option_type", sa.String(length=2), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("entry_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("exit_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("mark", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_legs_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_legs")),
    )
    with op.batch_alter_table("position_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_position_legs_position_id"), ["position_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("position_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_legs_position_id"))

    op.drop_table("position_legs")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_status"))
        batch_op.drop_index(batch_op.f("ix_positions_closed_at"))

    op.drop_table("positions")
    with op.batch_alter_table("trade_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_decisions_at"))
        batch_op.drop_index("ix_trade_decisions_algo_at")

    op.drop_table("trade_decisions")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestions_status"))
        batch_op.drop_index(batch_op.f("ix_suggestions_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_suggestions_created_at"))

    op.drop_table("suggestions")
    op.drop_table("risk_state")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_dispatched_at"))

    op.drop_table("events")
    with op.batch_alter_table("equity_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equity_points_at"))

    op.drop_table("equity_points")
    with op.batch_alter_table("archived_trades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archived_trades_closed_at"))

    op.drop_table("archived_trades")
