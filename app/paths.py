"""Where the bundled resources (templates, static, migrations, content) live.

In a checkout they sit beside the `app` package; in an installed wheel they are copied into
it (see pyproject's force-include), so both layouts are looked up here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory `name` inside the installed package, or else beside it in a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name
