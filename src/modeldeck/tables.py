"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from sqlalchemy import Index, text

from modeldeck.audit.tables import AuditEntryRow
from modeldeck.auth.session_tables import ConsoleSessionRow, LoginCodeRow
from modeldeck.auth.tables import ApiTokenRow
from modeldeck.changes.tables import RegistryStateRow
from modeldeck.db import Base
from modeldeck.models.tables import AliasRow, ModelRow, PricePeriodRow

metadata = Base.metadata

# At most one default model: a partial unique index, enforced by the database itself.
# Declared here, where Alembic reads the metadata, and not on ModelRow: its `postgresql_where`
# makes SQLAlchemy load PostgreSQL's dialect (~35 ms), which a server on SQLite would pay on
# every start for an index only a migration ever creates (0001, with these same options).
Index(
    "uq_models_single_default",
    ModelRow.is_default,
    unique=True,
    sqlite_where=text("is_default"),
    postgresql_where=text("is_default"),
)

__all__ = [
    "AliasRow",
    "ApiTokenRow",
    "AuditEntryRow",
    "ConsoleSessionRow",
    "LoginCodeRow",
    "ModelRow",
    "PricePeriodRow",
    "RegistryStateRow",
    "metadata",
]
