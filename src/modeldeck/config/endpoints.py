"""`/api/config/models`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["config (seed 004)"])
