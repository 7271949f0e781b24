"""The registry's tables: `models`, one row per model, and each model's `price_periods`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modeldeck.db import Base, ExactDecimal, UTCDateTime


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
    # What an admin or a catalog said; the served status is derived from it and the two
    # dates at read time (records/status.py).
    status: Mapped[str] = mapped_column(String(16), default="active")
    deprecation_date: Mapped[date | None] = mapped_column(Date, default=None)
    retires_on: Mapped[date | None] = mapped_column(Date, default=None)
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
    # At most one default model: the partial unique index `uq_models_single_default`, enforced
    # by the database itself, is declared in modeldeck/tables.py (see there why).


class PricePeriodRow(Base):
    __tablename__ = "price_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    unit: Mapped[str] = mapped_column(String(32), default="per_1m_tokens")
    # A period whose input and output are both null marks the model unpriced from then on.
    input: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    cached_input: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    cache_write: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    cache_write_1h: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    output: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    reasoning: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    per_request: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    tiers: Mapped[list[Any]] = mapped_column(default=list)
    # Time-of-day windows and service tiers: each a set of rates with its own tiers.
    windows: Mapped[list[Any]] = mapped_column(default=list)
    service_tiers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    model: Mapped[ModelRow] = relationship(back_populates="price_periods")

    __table_args__ = (UniqueConstraint("model_id", "effective_from"),)

    @property
    def is_priced(self) -> bool:
        return self.input is not None and self.output is not None


class AliasRow(Base):
    """An alias: a name standing for weighted target models and ordered fallbacks.

    `targets` is `[{"model_id", "weight", "rpm", "tpm"}]` and `fallbacks` `[model_id, …]`: by
    id, so renaming a model keeps its aliases; deleting a model an alias names is refused.
    """

    __tablename__ = "aliases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Unique ignoring case, like model names (and never a model's name: the service checks).
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[list[Any]] = mapped_column(default=list)
    fallbacks: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
