"""HTML pages (Jinja2 templates in templates/)."""

from fastapi import APIRouter

from app.web import demos, exercises, pages

router = APIRouter()
router.include_router(pages.router)
router.include_router(demos.router)
router.include_router(exercises.router)

__all__ = ["router"]
