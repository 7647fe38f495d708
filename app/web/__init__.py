"""HTML pages (Jinja2 templates in templates/)."""

from app.web.pages import router

__all__ = ["router"]
