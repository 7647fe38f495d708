"""The `gradcards` command: serve, import, db upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.catalog.loader import DeckLoadError, deck_files, import_decks
from app.catalog.validate import Registries
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.migrate import upgrade

cli = typer.Typer(
    help="gradcards: backpropagation flashcards with a live autodiff engine.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


def main() -> None:
    """Entry point of the console script."""
    cli()


def load_content(settings: Settings, path: Path | None = None) -> None:
    """Import the decks at `path` (CONTENT_DIR by default); exit 1 listing problems if any."""
    target = path or settings.content_dir
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            results = import_decks(session, deck_files(target), catalog_registries())
    except DeckLoadError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        typer.echo(f"{count} problem{'s' * (count != 1)}; nothing was imported.", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if not results:
        typer.echo(f"no deck files (*.yaml) in {target}")
    for result in results:
        typer.echo(str(result))


def catalog_registries() -> Registries:
    """The demo and exercise names cards may use (none exist yet, so nothing is checked)."""
    return Registries()


@cli.command("import")
def import_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="A deck file or a directory of them (default: CONTENT_DIR)."),
    ] = None,
) -> None:
    """Validate deck YAML files and load them; a bad file changes nothing."""
    settings = get_settings()
    upgrade(settings.database_url)
    load_content(settings, path)


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the migrations up to REVISION (head by default)."""
    upgrade(get_settings().database_url, revision)
    typer.echo(f"database upgraded to {revision}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT).")] = None,
    load: Annotated[bool, typer.Option(help="Import CONTENT_DIR before serving.")] = True,
) -> None:
    """Migrate the database, load the decks in CONTENT_DIR, and serve the app."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    upgrade(settings.database_url)
    if load:
        load_content(settings)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
    )
