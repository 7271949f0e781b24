"""The `registry_state` table: one row holding the global revision counter."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from modeldeck.db import Base

STATE_ROW = 1  # the id of the one row


class RegistryStateRow(Base):
    __tablename__ = "registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
