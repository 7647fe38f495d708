"""The `gradcards` command: serve, import, db upgrade, user add, token create."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.auth.commands import token_cli, user_cli
from app.catalog.loader import DeckLoadError, deck_files, import_decks
from app.catalog.registries import catalog_registries
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.demos.running import DemoParamsError
from app.migrate import upgrade

cli = typer.Typer(
    help="gradcards: backpropagation flashcards with a live autodiff engine.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(token_cli, name="token")


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
    from app.demos.running import DemoParamsError, run_demo
    from app.demos.text import render_text

    if list_ or not name:
        for spec in sorted(REGISTRY.values(), key=lambda spec: spec.name):
            typer.echo(f"{spec.name:<24} {spec.title}")
        return
    try:
        overrides = demo_options(ctx.args)
        if seed is not None:
            overrides.append(("seed", str(seed)))
        result = run_demo(name, {}, overrides)
    except UnknownDemo:
        typer.echo(f"unknown demo {name!r}; `gradcards demo --list` shows them", err=True)
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
