"""ORM rows. Every table's module is imported here so ``Base.metadata`` is complete for Alembic.

Rows are persistence only; repositories map them to frozen domain types.
"""

from core.persistence.models.base import Base
from core.persistence.models.iv_history import IVSnapshotRow as IVSnapshotRow
from core.persistence.models.meta import AppMeta
from core.persistence.models.yahoo import YahooDailyBar as YahooDailyBar
from core.persistence.models.yahoo import YahooFetch as YahooFetch

__all__ = ["AppMeta", "Base"]
