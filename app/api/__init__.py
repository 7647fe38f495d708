"""The JSON API under /api/v1."""

from fastapi import APIRouter

from app.api import account, catalog, demos, exercises, exports, study

router = APIRouter(prefix="/api/v1")
router.include_router(catalog.router)
router.include_router(demos.router)
router.include_router(exercises.router)
router.include_router(study.router)
router.include_router(account.router)
router.include_router(exports.router)
