"""``workbench accounts`` and ``workbench users``: tenants, their users and the users' roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from workbench.access import Role
from workbench.cli.common import console, fail, open_workspace, say
from workbench.cli.terminal import cells

__all__ = ["accounts_app", "users_app"]

accounts_app = typer.Typer(help="Accounts (tenants): add and list them.", no_args_is_help=True)
users_app = typer.Typer(
    help="Users of accounts: add, list, set roles, unlock.", no_args_is_help=True
)

_ROLES = ", ".join(r.value for r in Role)


@accounts_app.command("add")
def add_account(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's name (unique in the store).")],
    consultancy: Annotated[
        str | None,
        typer.Option(help="The consultancy account that may read and manage this one's data."),
    ] = None,
) -> None:
    """Add an account (admins; a consultancy's consultants add its client accounts)."""
    from workbench.api.accounts import create_account

    account = create_account(open_workspace(ctx), name, consultancy)
    client = f", a client of {account.consultancy}" if account.consultancy else ""
    say(f"Added the account {account.name} (id {account.id}{client}).")


@accounts_app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """List the accounts you may see."""
    from workbench.api.accounts import list_accounts

    table = Table("id", "account", "consultancy", box=None)
    for a in list_accounts(open_workspace(ctx)):
        table.add_row(*cells(a.id, a.name, a.consultancy or ""))
    console.print(table)


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's e-mail address (unique).")],
    account: Annotated[str, typer.Option(help="The account the user belongs to.")],
    new_secret: Annotated[
        str,
        typer.Option(
            prompt="the new user's secret",
            hide_input=True,
            confirmation_prompt=True,
            envvar="WORKBENCH_NEW_SECRET",
            show_default=False,
            help="The new user's secret (asked for when not given; never echoed).",
        ),
    ],
    role: Annotated[
        list[str] | None,
        typer.Option(help=f"A role to give ({_ROLES}); repeat the option for several."),
    ] = None,
) -> None:
    """Add a user to an account; the secret is stored only as a salted Argon2 hash."""
    from workbench.api.accounts import add_user

    user = add_user(open_workspace(ctx), email, account, new_secret, role or [])
    say(f"Added the user {user.email} to {user.account}{_roles_text(user.roles)}.")


@users_app.command("list")
def list_users(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only the users of this account.")] = None,
) -> None:
    """List the users of the accounts you may see."""
    from workbench.api.accounts import list_users

    table = Table("user", "account", "roles", box=None)
    for u in list_users(open_workspace(ctx), account):
        table.add_row(*cells(u.email, u.account, ", ".join(r.value for r in u.roles)))
    console.print(table)


@users_app.command("set-roles")
def set_roles(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user.")],
    roles: Annotated[
        list[str] | None,
        typer.Argument(
            help=f"The roles the user will have ({_ROLES}); none removes them all.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Give a user exactly these roles (only admins grant admin and admin-reader)."""
    from workbench.api.accounts import set_roles

    user = set_roles(open_workspace(ctx), email, roles or [])
    held = ", ".join(r.value for r in user.roles)
    say(f"{user.email} now has {f'the roles {held}' if held else 'no roles'}.")


@users_app.command("unlock")
def unlock(
    ctx: typer.Context,
    email: Annotated[
        str | None, typer.Argument(help="The user locked out by failed sign-ins.")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Unlock this client IP address instead (admins only).", metavar="IP"),
    ] = None,
) -> None:
    """Lift a sign-in lockout and forget the failed sign-ins (of a user, or of an address)."""
    from workbench.api.accounts import unlock_address, unlock_user

    if (email is None) == (address is None):
        fail("give either a user's e-mail address or --address IP, not both")
    ws = open_workspace(ctx)
    if email is not None:
        lifted, name = unlock_user(ws, email), email
    else:
        lifted, name = unlock_address(ws, str(address)), f"the address {address}"
    if lifted:
        say(f"Unlocked {name}: its failed sign-ins are forgotten.")
    else:
        say(f"Nothing to unlock: {name} had no failed sign-ins.")


def _roles_text(roles: tuple[Role, ...]) -> str:
    return f" with the roles {', '.join(r.value for r in roles)}" if roles else ""
