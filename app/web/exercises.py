"""Exercise pages: a generated question with matrix inputs, graded on submit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
