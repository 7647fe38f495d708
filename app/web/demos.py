"""Demo fragments for the card page (re-run with new params without a full reload)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
