"""ORM rows. Every table's module is imported here so ``Base.metadata`` is complete for Alembic.

Rows are persistence only; repositories map them to frozen domain types.
"""

from core.persistence.models.base import Base
from core.persistence.models.kite import KiteInstrument as KiteInstrument  # registers the Kite tables
from core.persistence.models.meta import AppMeta

__all__ = ["AppMeta", "Base"]
