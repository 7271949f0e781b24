"""The `models` table: one row per registry model."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modeldeck.db import Base, UTCDateTime

if TYPE_CHECKING:
    from modeldeck.pricing.tables import PricePeriodRow


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # Names are unique ignoring case; the lower-cased copy carries the unique index.
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(32))
    deployment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    api_key_ciphertext: Mapped[str | None] = mapped_column(Text, default=None)
    parameters_b: Mapped[float | None] = mapped_column(Float, default=None)
    context_window: Mapped[int] = mapped_column(Integer)
    max_output_tokens: Mapped[int] = mapped_column(Integer)
    capabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token_weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")
    deprecation_date: Mapped[date | None] = mapped_column(Date, default=None)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    price_periods: Mapped[list[PricePeriodRow]] = relationship(
        back_populates="model",
        cascade="all, delete-orphan",
        order_by="PricePeriodRow.effective_from",
        passive_deletes=True,
    )

    __table_args__ = (
        # At most one default model: a partial unique index, enforced by the database itself.
        Index(
            "uq_models_single_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )
