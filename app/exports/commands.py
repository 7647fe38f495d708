"""`gradcards export deck SLUG` (CSV or Anki .apkg) and `gradcards export reviews NAME` (CSV)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from app.auth.users import get_user
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.exports.anki import anki_package
from app.exports.decks import UnknownDeck, deck_csv, exported_deck
from app.exports.reviews import review_history_csv

export_cli = typer.Typer(help="Export decks and review histories.", no_args_is_help=True)
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
]


class DeckFormat(StrEnum):
    csv = "csv"
    apkg = "apkg"


@export_cli.command("deck")
def export_deck(
    slug: Annotated[str, typer.Argument(help="The deck's slug.")],
    format_: Annotated[DeckFormat, typer.Option("--format", help="csv or apkg.")] = DeckFormat.csv,
    output: OutputOption = None,
) -> None:
    """Write a deck as CSV (front, back, difficulty, topics) or as an Anki package."""
    if format_ is DeckFormat.apkg and output is None:
        typer.echo("an Anki package is binary: name a file with --output", err=True)
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            deck = exported_deck(session=session, slug=slug)
    except UnknownDeck as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    data = anki_package(deck) if format_ is DeckFormat.apkg else deck_csv(deck).encode()
    _write(data, output)


@export_cli.command("reviews")
def export_reviews(
    name: Annotated[str, typer.Argument(help="The user whose history to export.")],
    output: OutputOption = None,
) -> None:
    """Write a user's review history as CSV, oldest first."""
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            user = get_user(session=session, name=name)
            if user is None:
                typer.echo(f"no user named {name!r}", err=True)
                raise typer.Exit(1)
            text = review_history_csv(session=session, user=user)
    finally:
        engine.dispose()
    _write(text.encode(), output)


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(data)
    typer.echo(f"wrote {output} ({len(data):,} bytes)", err=True)
