"""Securing a shared PostgreSQL store: database roles for users and row-level security policies.

The workspace checks every call itself. :func:`secure_store` makes the database check too, so
that a user given plain SQL access (``psql``, a BI tool) still sees and changes only what the
permission table of :mod:`workbench.access` allows: each user gets a login role (``wb_u<id>``)
and every table a set of row-level security policies. A row a user writes must also refer only
to rows they may write (its parent, model or object) or at least read (a link's target, a
belief's source), so nobody hangs rows in another tenant's tree or learns hidden ids from a
constraint's message. See :mod:`workbench.store.security` for what exactly is installed and
:mod:`workbench.store.policies` for the rule of each table. Users added later get their roles
the next time it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workbench.errors import AccessDenied, NotFound, StoreError
from workbench.store.accounts import user_id_with_email
from workbench.store.security import (
    GROUP_ROLE,
    USER_ROLE_PREFIX,
    RoleNames,
    SecurityReport,
    secure,
)

if TYPE_CHECKING:
    from workbench.api.workspace import Workspace

__all__ = ["SecurityReport", "secure_store"]


def secure_store(
    ws: Workspace,
    *,
    group: str = GROUP_ROLE,
    prefix: str = USER_ROLE_PREFIX,
    passwords: Mapping[str, str] | None = None,
) -> SecurityReport:
    """Give every user a database role and put every table under row-level security (admins).

    One transaction: roles, grants and policies all take effect, or none. Running it again is
    harmless; it creates the roles of users added since, and drops those of deleted users.

    Parameters
    ----------
    group
        The ``NOLOGIN`` role holding the table privileges; user roles are its members.
    prefix
        User roles are named ``<prefix><user id>``. Roles belong to the whole PostgreSQL
        cluster: stores sharing a cluster need prefixes of their own.
    passwords
        Passwords for the roles of some users, by e-mail (sent to the server hashed). Without
        one a role logs in only where the server trusts the connection.

    Returns
    -------
    SecurityReport
        The roles created, kept up to date and dropped, and the policies per table.

    Examples
    --------
    >>> report = secure_store(ws)  # doctest: +SKIP
    >>> print("\\n".join(report.lines()))  # doctest: +SKIP
    schema public: group role workbench_users
    roles created: wb_u1 (ana@acme.example), wb_u2 (bo@acme.example)
    ...
    """
    if ws.engine.dialect.name != "postgresql":
        raise StoreError(
            f"row-level security needs a PostgreSQL store; {ws.url} is "
            f"{ws.engine.dialect.name}, where the workspace's own access checks are the only ones"
        )
    names = RoleNames(group, prefix)
    ctx = ws._ctx
    with ctx.tx() as s:
        if not ctx.principal.is_admin:
            raise AccessDenied(
                f"{ctx.principal.name} may not secure the store; that takes the role admin"
            )
        by_id: dict[int, str] = {}
        for email, password in (passwords or {}).items():
            user_id = user_id_with_email(s, email)
            if user_id is None:
                raise NotFound("user", email, "passwords are given by the users' e-mail")
            by_id[user_id] = password
        return secure(s, names, by_id)
