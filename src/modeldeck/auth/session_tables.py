"""Console sessions and one-time login codes: stored by the SHA-256 of their secret only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modeldeck.auth.tables import ApiTokenRow
from modeldeck.db import Base, UTCDateTime


class ConsoleSessionRow(Base):
    """A signed-in browser: its cookie holds the session id, this row only the id's hash."""

    __tablename__ = "console_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Deleting the API token ends every session signed in with it.
    token_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(ApiTokenRow.id, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginCodeRow(Base):
    """A one-time code for a login link (the one `modeldeck serve` prints): short-lived."""

    __tablename__ = "console_login_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(ApiTokenRow.id, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
