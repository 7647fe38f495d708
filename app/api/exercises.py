"""Generated numeric exercises: a question for a seed, and grading of an answer."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["exercises"])
