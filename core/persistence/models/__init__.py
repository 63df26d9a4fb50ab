"""ORM rows. Every table's module is imported here so ``Base.metadata`` is complete for Alembic.

Rows are persistence only; repositories map them to frozen domain types.
"""

from core.persistence.models.base import Base
from core.persistence.models.bot import ChatPrefsRow, JobRunRow, OutboxMessageRow, StrangerRow
from core.persistence.models.desk import (
    ArchivedTradeRow,
    EquityPointRow,
    PositionLegRow,
    PositionRow,
    RiskStateRow,
    SuggestionRow,
    TradeDecisionRow,
)
from core.persistence.models.events import EventRow
from core.persistence.models.iv_history import IVSnapshotRow as IVSnapshotRow
from core.persistence.models.kite import KiteInstrument as KiteInstrument  # registers the Kite tables
from core.persistence.models.llm import LlmBudgetNoticeRow, LlmUsageRow
from core.persistence.models.meta import AppMeta
from core.persistence.models.yahoo import YahooDailyBar as YahooDailyBar
from core.persistence.models.yahoo import YahooFetch as YahooFetch

__all__ = [
    "AppMeta",
    "ArchivedTradeRow",
    "Base",
    "ChatPrefsRow",
    "EquityPointRow",
    "EventRow",
    "JobRunRow",
    "LlmBudgetNoticeRow",
    "LlmUsageRow",
    "OutboxMessageRow",
    "PositionLegRow",
    "PositionRow",
    "RiskStateRow",
    "StrangerRow",
    "SuggestionRow",
    "TradeDecisionRow",
]
