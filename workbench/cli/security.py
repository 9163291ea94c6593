"""``workbench db secure``: database roles for users and row-level security on a PostgreSQL store."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from workbench.cli.common import open_workspace, say

__all__ = ["secure"]


def secure(
    ctx: typer.Context,
    group: Annotated[
        str | None,
        typer.Option(
            show_default="workbench_users",
            help="The NOLOGIN group role that holds the table privileges.",
        ),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(
            show_default="wb_u",
            help="User roles are named PREFIX<user id>; stores sharing a PostgreSQL cluster "
            "need prefixes of their own.",
        ),
    ] = None,
    password_for: Annotated[
        list[str] | None,
        typer.Option(
            help="Give this user's role a login password (asked for, never echoed); repeat "
            "the option for several users.",
        ),
    ] = None,
) -> None:
    """Give every user a database role and put every table under row-level security (admins).

    Afterwards even plain SQL from a user's role sees and changes only what the permission
    table allows. Run it again after adding users: it gives new users their roles (and drops
    those of deleted users). PostgreSQL stores only; act as an admin (--user); one transaction.
    """
    from workbench.api.security import secure_store

    ws = open_workspace(ctx)
    passwords = {
        email: str(
            typer.prompt(
                f"database password for {email}", hide_input=True, confirmation_prompt=True
            )
        )
        for email in password_for or []
    }
    names: dict[str, Any] = {k: v for k, v in (("group", group), ("prefix", prefix)) if v}
    report = secure_store(ws, passwords=passwords, **names)
    say(f"Secured the store at {ws.url}:")
    for line in report.lines():
        say(f"  {line}")
    say("Users added later get their roles when `workbench db secure` runs again.")
