"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from modeldeck.audit.tables import AuditEntryRow
from modeldeck.auth.session_tables import ConsoleSessionRow, LoginCodeRow
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.changes.tables import RegistryStateRow
from modeldeck.db import Base
from modeldeck.models.tables import ModelRow, PricePeriodRow

metadata = Base.metadata

__all__ = [
    "ApiTokenRow",
    "AuditEntryRow",
    "ConsoleSessionRow",
    "LoginCodeRow",
    "ModelRow",
    "PricePeriodRow",
    "RegistryStateRow",
    "metadata",
]
