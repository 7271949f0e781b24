"""The `price_periods` table: a model's prices from `effective_from` until the next period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modeldeck.db import Base, ExactDecimal, UTCDateTime

if TYPE_CHECKING:
    from modeldeck.models.tables import ModelRow

RATE_FIELDS = ("input", "cached_input", "cache_write", "output", "reasoning", "per_request")
# A period's prices and where they were read: everything but its row, model and creation.
PERIOD_FIELDS = ("effective_from", "currency", "unit", *RATE_FIELDS, "tiers", "source")


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
    output: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    reasoning: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    per_request: Mapped[Decimal | None] = mapped_column(ExactDecimal, default=None)
    tiers: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    model: Mapped[ModelRow] = relationship(back_populates="price_periods")

    __table_args__ = (UniqueConstraint("model_id", "effective_from"),)

    @property
    def is_priced(self) -> bool:
        return self.input is not None and self.output is not None
