"""The `api_tokens` table: bearer tokens, stored as SHA-256 hashes only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modeldeck.db import Base, UTCDateTime


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Recorded at most once a minute per token (see `auth/usage.py`), never per request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set once, never cleared: a revoked token (and any console session made with it) is dead.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
