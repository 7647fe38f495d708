"""The `gradcards` command: serve, import, import-csv, export, backup, restore, db, user, token."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from app.auth.commands import token_cli, user_cli
from app.backup import BackupError, backup_database, restore_database
from app.catalog.csv_import import CsvImportError, import_csv_deck
from app.catalog.loader import DeckLoadError, deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings, get_settings, settings_problems
from app.db import make_engine, make_sessionmaker, session_scope
from app.demos.running import DemoParamsError
from app.exports.commands import export_cli
from app.migrate import upgrade
from app.paths import resource_dir

cli = typer.Typer(
    help="gradcards: backpropagation flashcards with a live autodiff engine.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(token_cli, name="token")
cli.add_typer(export_cli, name="export")


def refuse(problems: Sequence[object]) -> NoReturn:
    """Print each problem (file:line: ...) and exit 1: nothing was written."""
    for problem in problems:
        typer.echo(str(problem), err=True)
    count = len(problems)
    typer.echo(f"{count} problem{'s' * (count != 1)}; nothing was imported.", err=True)
    raise typer.Exit(1)


def main() -> None:
    """Entry point of the console script; a bad setting is one line per problem and exit 2."""
    try:
        cli()
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        for problem in settings_problems(error):
            typer.echo(f"gradcards: {problem}", err=True)
        sys.exit(2)


def load_content(settings: Settings, path: Path | None = None) -> None:
    """Import the decks at `path` (default: the deck directories); exit 1 listing any problems."""
    targets = [path] if path else settings.content_dirs()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            files = [file for target in targets for file in deck_files(target)]
            results = import_decks(session, files, catalog_registries(resource_dir("content")))
    except DeckLoadError as error:
        refuse(error.problems)
    finally:
        engine.dispose()
    if not results:
        typer.echo(f"no deck files (*.yaml) in {', '.join(map(str, targets))}")
    for result in results:
        typer.echo(str(result))


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


@cli.command("import-csv")
def import_csv(
    file: Annotated[
        Path, typer.Argument(help="CSV with the columns front, back, difficulty, topics.")
    ],
    deck: Annotated[str, typer.Option(help="Slug of the new deck ([a-z0-9-]).")],
    title: Annotated[str, typer.Option(help="Title of the new deck (default: the slug).")] = "",
    into: Annotated[
        Path | None,
        typer.Option(
            help="Directory for the deck file (default: EXTRA_CONTENT_DIR or CONTENT_DIR)."
        ),
    ] = None,
) -> None:
    """Make a CSV a new YAML deck in the deck directory and load it; a bad row changes nothing."""
    settings = get_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            path, result = import_csv_deck(
                session=session,
                path=file,
                slug=deck,
                title=title,
                target_dir=into or settings.deck_target_dir(),
                registries=catalog_registries(resource_dir("content")),
            )
    except CsvImportError as error:
        refuse(error.problems)
    finally:
        engine.dispose()
    typer.echo(f"wrote {path}")
    typer.echo(str(result))


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the migrations up to REVISION (head by default)."""
    upgrade(get_settings().database_url, revision)
    typer.echo(f"database upgraded to {revision}")


@cli.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def demo(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Demo name (see --list).")] = "",
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the demos and exit.")] = False,
) -> None:
    """Run a live demo in the terminal: `gradcards demo linear_backward --seed 3 --batch 5`.

    Any other --NAME VALUE pair is a parameter of the demo. Exits 1 if a check fails.
    """
    from app.demos import REGISTRY, UnknownDemo
    from app.demos.running import DemoParamsError, describe_params, run_demo
    from app.demos.text import render_text

    if list_ or not name:
        for spec in sorted(REGISTRY.values(), key=lambda spec: spec.name):
            typer.echo(f"{spec.name:<28} {spec.title}")
            typer.echo(f"    {'  '.join(describe_params(spec.params))}")
        return
    try:
        overrides = demo_options(ctx.args)
        if seed is not None:
            overrides.append(("seed", str(seed)))
        result = run_demo(name, {}, overrides)
    except UnknownDemo:
        guess = difflib.get_close_matches(name, sorted(REGISTRY), n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else "`gradcards demo --list` shows them"
        typer.echo(f"unknown demo {name!r}; {hint}", err=True)
        raise typer.Exit(2) from None
    except DemoParamsError as error:
        typer.echo(f"bad parameters for {name}: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(render_text(result))
    if not result.passed:
        raise typer.Exit(1)


def demo_options(args: list[str]) -> list[tuple[str, str]]:
    """['--batch', '5', '--n-in=3'] -> [('batch', '5'), ('n_in', '3')]."""
    pairs: list[tuple[str, str]] = []
    rest = list(args)
    while rest:
        token = rest.pop(0)
        if not token.startswith("--") or len(token) == 2:
            raise DemoParamsError(f"{token}: expected --NAME VALUE")
        key, _, value = token[2:].partition("=")
        if not _:
            if not rest:
                raise DemoParamsError(f"{token}: missing a value")
            value = rest.pop(0)
        pairs.append((key.replace("-", "_"), value))
    return pairs


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes (default: WORKERS).")
    ] = None,
    load: Annotated[bool, typer.Option(help="Import the deck directories before serving.")] = True,
) -> None:
    """Migrate the database, load the decks, and serve the app."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    # Once, before any worker starts: workers racing to migrate or load would collide.
    upgrade(settings.database_url)
    if load:
        load_content(settings)
    count = workers or settings.workers
    bind_host, bind_port = host or settings.host, port or settings.port
    if count == 1:
        app = create_app(settings)
        uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level)
        return
    # Several processes need an import string; each worker builds its app from the environment.
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        workers=count,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
    )


@cli.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The new backup file (never overwritten).")],
) -> None:
    """Copy the SQLite database to PATH while the server keeps running (PostgreSQL: pg_dump)."""
    try:
        backup_database(database_url=get_settings().database_url, target=path)
    except BackupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up to {path}")


@cli.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `gradcards backup`.")],
) -> None:
    """Replace the SQLite database with the backup at PATH, then migrate it to head."""
    settings = get_settings()
    try:
        revision = restore_database(database_url=settings.database_url, source=path)
    except BackupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    upgrade(settings.database_url)
    typer.echo(f"restored {path} (schema {revision}, now migrated to head)")
