"""Live demos as JSON: the list with parameter schemas, one demo run, a card's demo."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["demos"])
