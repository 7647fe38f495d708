"""The JSON API under /api/v1."""

from typing import Any

from fastapi import APIRouter

from app.api import account, catalog, demos, exercises, exports, quiz_results, study
from app.api.schemas import ValidationErrorOut

# Every 422 has our shape (app/errors.py): a sentence in `detail` plus the structured list.
VALIDATION: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationErrorOut, "description": "The request is not valid."}
}

router = APIRouter(prefix="/api/v1", responses=VALIDATION)
router.include_router(catalog.router)
router.include_router(demos.router)
router.include_router(exercises.router)
router.include_router(study.router)
router.include_router(quiz_results.router)
router.include_router(account.router)
router.include_router(exports.router)
