"""`gradcards user add` and `gradcards token create`: accounts made by the administrator."""

from __future__ import annotations

from typing import Annotated

import typer

from app.auth.errors import AccountError
from app.auth.tokens import create_token
from app.auth.users import create_user, get_user
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.migrate import upgrade
from app.models import utcnow

user_cli = typer.Typer(help="Accounts.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)


@user_cli.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The new user's name.")],
    password: Annotated[
        str | None, typer.Option(help="The password (asked for when omitted; for scripts).")
    ] = None,
) -> None:
    """Create an account (works even when GRADCARDS_SIGNUP is closed)."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            user = create_user(
                session=session, settings=settings, name=name, password=password, by_admin=True
            )
            typer.echo(f"created user {user.name}")
    except AccountError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token acts for.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
) -> None:
    """Create an API token for user NAME; the token alone is printed on the last line."""
    settings = get_settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            user = get_user(session=session, name=name)
            if user is None:
                typer.echo(f"error: there is no user called {name!r}", err=True)
                raise typer.Exit(1)
            _, token = create_token(session=session, user=user, name=label, now=utcnow())
            typer.echo(f"token for {user.name} (shown once; it is stored hashed):")
            typer.echo(token)
    except AccountError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
