"""The change feed: `/api/changes` (long-poll) and `/api/events` (Server-Sent Events)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["changes"])
