"""The HTTP API (mounted under ``/api``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter()


class Health(BaseModel):
    status: str


@router.get("/health", response_model=Health, tags=["health"])
def health() -> Health:
    """Liveness: needs no token."""
    return Health(status="ok")
