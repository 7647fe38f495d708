"""HTML pages (Jinja2 templates in templates/)."""

from fastapi import APIRouter

from app.web import account, demos, exercises, pages, quiz, search, settings, stats, study

router = APIRouter()
router.include_router(pages.router)
router.include_router(demos.router)
router.include_router(exercises.router)
router.include_router(account.router)
router.include_router(settings.router)
router.include_router(study.router)
router.include_router(quiz.router)
router.include_router(stats.router)
router.include_router(search.router)

__all__ = ["router"]
