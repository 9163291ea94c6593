"""Row-level security for a PostgreSQL store: a database role per user, policies on every table.

The workspace checks every call against the permission table of :mod:`workbench.access`. A team
that also hands out plain SQL access (a BI tool, ``psql``) secures the store with :func:`secure`:

- a ``NOLOGIN`` group role (``workbench_users``) holds the table privileges;
- each workbench user gets a ``LOGIN`` role (``wb_u<id>``) in that group; the table
  ``workbench_roles`` maps the role to the user;
- ``SECURITY DEFINER`` functions (:mod:`workbench.store.rls_functions`) read the user's account,
  roles and consultancy clients *at query time* (a revoked role counts on the next statement)
  and give the accounts the user may read, write or manage, exactly as
  :func:`workbench.access.permits` decides; those about one row (a definition, a namespace, an
  object) answer only for rows the caller may read;
- every table of the store gets row-level security and policies built on those functions
  (:mod:`workbench.store.policies` gives the rule of each table): objects, links and virtual
  series by their account, sensors by their object, beliefs by their sensor, accounts and users
  by account, data sources by account (anyone may add one), model definitions shared (read by
  all, written by admins) or owned by an account (read as it, written by its account-admins and
  consultants). A row written must also refer only to rows the user may write (a parent, a
  model, the object of a sensor) or at least read (a link's target, a belief's source), so a
  tenant cannot hang rows in another tenant's tree or learn hidden ids from constraint errors.
  Users never see secret hashes (no column privilege on ``users.secret_hash``).

The store's owner (the connection the library uses) bypasses row-level security, so the library's
own queries are exactly as fast as before. Running :func:`secure` again is harmless; it gives new
users their roles, and drops (or, when the role holds things elsewhere, disables) the roles of
deleted users, and replaces the functions of earlier versions that answered about any id. A
role maps to a user only for a session that may act as that role (a login as it, or ``SET ROLE``
from a member), so a user cannot ask the functions about somebody else.

Two known differences from the library's checks: moving an object to another account needs
only write access to both accounts (the library also wants delete rights in the old one); and a
user cannot change their own secret in plain SQL. Moving a subtree in plain SQL takes one
statement per level, top down (each row is checked against its parent as it stood when the
statement began). ``COPY FROM`` into a table with row-level
security is refused by PostgreSQL: roles insert beliefs with ``INSERT``.

>>> from workbench.store.security import RoleNames
>>> RoleNames(prefix="acme_u").user_role(7)
'acme_u7'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workbench.errors import InvalidValue, StoreError
from workbench.store.policies import POLICIES, TablePolicy
from workbench.store.rls_functions import (
    OBSOLETE,
    ROLE_TABLE,
    SIGNATURES,
    functions,
    placeholders,
)
from workbench.store.schema import Base

__all__ = [
    "GROUP_ROLE",
    "POLICIES",
    "ROLE_TABLE",
    "USER_ROLE_PREFIX",
    "RoleNames",
    "SecurityReport",
    "TablePolicy",
    "secure",
]

GROUP_ROLE = "workbench_users"
USER_ROLE_PREFIX = "wb_u"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")
_VERIFIER = re.compile(r"(SCRAM-SHA-256\$[A-Za-z0-9+/=:$]+|md5[0-9a-f]{32})")


def _ident(name: str) -> str:
    """``name`` quoted as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class RoleNames:
    """How the database roles of a store are named: the group, and a prefix before user ids.

    Roles are shared by every database of a PostgreSQL cluster: stores on one cluster need
    prefixes of their own.
    """

    group: str = GROUP_ROLE
    prefix: str = USER_ROLE_PREFIX

    def __post_init__(self) -> None:
        for what, name in (("group role", self.group), ("role prefix", self.prefix)):
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise InvalidValue(
                    f"{what} {name!r} must be 1 to 40 lower-case letters, digits or '_', "
                    "starting with a letter or '_'"
                )
        if re.fullmatch(re.escape(self.prefix) + r"[0-9]+", self.group):
            raise InvalidValue(
                f"group role {self.group!r} looks like a user role (prefix {self.prefix!r} and "
                "an id); choose another group name"
            )

    def user_role(self, user_id: int) -> str:
        return f"{self.prefix}{user_id}"


@dataclass(frozen=True)
class SecurityReport:
    """What :func:`secure` did."""

    schema: str
    group: str
    roles_created: dict[str, str] = field(default_factory=dict)  # role -> user e-mail
    roles_kept: dict[str, str] = field(default_factory=dict)
    roles_dropped: tuple[str, ...] = ()
    roles_disabled: tuple[str, ...] = ()
    passwords_set: tuple[str, ...] = ()
    policies: dict[str, int] = field(default_factory=dict)  # table -> policies
    closed: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The report as lines of text (no passwords)."""

        def roles(found: Mapping[str, str]) -> str:
            return ", ".join(f"{r} ({e})" for r, e in found.items()) or "none"

        out = [
            f"schema {self.schema}: group role {self.group}",
            f"roles created: {roles(self.roles_created)}",
            f"roles kept up to date: {roles(self.roles_kept)}",
        ]
        if self.roles_dropped or self.roles_disabled:
            out.append(
                "roles of deleted users: dropped "
                f"{', '.join(self.roles_dropped) or 'none'}; disabled (they hold things "
                f"elsewhere) {', '.join(self.roles_disabled) or 'none'}"
            )
        if self.passwords_set:
            out.append(f"passwords set for: {', '.join(self.passwords_set)}")
        total = sum(self.policies.values())
        out.append(f"row-level security on {len(self.policies)} tables, {total} policies")
        if self.closed:
            out.append(f"closed to the group (no policy yet): {', '.join(self.closed)}")
        return out


# -- the steps ----------------------------------------------------------------------------------


def _run(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params) if params else conn.exec_driver_sql(sql)


def _ensure_group(conn: Connection, group: str) -> None:
    row = _run(
        conn, "SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = :r", r=group
    ).first()
    if row is None:
        _run(conn, f"CREATE ROLE {_ident(group)} NOLOGIN")
    elif row[0]:
        raise InvalidValue(
            f"role {group!r} exists and can log in, so it is not a group of workbench users; "
            "choose another group name"
        )


def _grant(conn: Connection, schema: str, group: str, tables: list[str]) -> None:
    s, g = _ident(schema), _ident(group)
    _run(conn, f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {g}")
    _run(conn, f"GRANT USAGE ON SCHEMA {s} TO {g}")
    _run(conn, f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {g}")
    for name in tables:
        for privilege in POLICIES[name].grants:
            _run(conn, f"GRANT {privilege} ON {s}.{_ident(name)} TO {g}")
    for fn in SIGNATURES:
        _run(conn, f"REVOKE ALL ON FUNCTION {s}.{fn} FROM PUBLIC")
        _run(conn, f"GRANT EXECUTE ON FUNCTION {s}.{fn} TO {g}")


def _drop_policies(conn: Connection, schema: str, table: str) -> None:
    """Drop the workbench's policies on ``table`` (they may call functions about to change)."""
    qualified = f"{_ident(schema)}.{_ident(table)}"
    old = _run(
        conn,
        "SELECT policyname FROM pg_catalog.pg_policies WHERE schemaname = :s AND tablename = :t "
        "AND policyname LIKE 'workbench\\_%'",
        s=schema,
        t=table,
    ).scalars()
    for name in list(old):
        _run(conn, f"DROP POLICY {_ident(name)} ON {qualified}")


def _clauses(policy: TablePolicy, names: Mapping[str, str]) -> dict[str, str]:
    """The ``USING`` / ``WITH CHECK`` clause of each command the policy allows; a row written
    must also pass ``refs``."""
    refs = "" if policy.refs is None else f" AND ({policy.refs.format(**names)})"
    out = {}
    for command in ("select", "insert", "update", "delete"):
        condition = getattr(policy, command)
        if condition is None:
            continue
        cond = condition.format(**names)
        out[command] = {
            "select": f"USING ({cond})",
            "insert": f"WITH CHECK (({cond}){refs})",
            "update": f"USING ({cond}) WITH CHECK (({cond}){refs})",
            "delete": f"USING ({cond})",
        }[command]
    return out


def _install_policies(conn: Connection, schema: str, group: str, table: str) -> int:
    """Enable row-level security on ``table`` and create its policies; how many."""
    qualified = f"{_ident(schema)}.{_ident(table)}"
    _run(conn, f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY")
    policy = POLICIES.get(table)
    if policy is None:
        return 0
    clauses = _clauses(policy, {**placeholders(schema), "t": _ident(table)})
    for command, clause in clauses.items():
        _run(
            conn,
            f"CREATE POLICY workbench_{command} ON {qualified} FOR {command.upper()} "
            f"TO {_ident(group)} {clause}",
        )
    return len(clauses)


def _verifier(conn: Connection, role: str, password: str) -> str:
    """The password as the server stores it (hashed here: the clear text is never sent)."""
    raw = conn.connection.driver_connection
    hashed = raw.pgconn.encrypt_password(password.encode(), role.encode()).decode()  # type: ignore[union-attr]
    if not _VERIFIER.fullmatch(hashed):
        raise StoreError(f"the server's password encryption gave an unexpected form for {role}")
    return str(hashed)


def _set_up_role(conn: Connection, role: str, new: bool, group: str, schema: str) -> None:
    """Create (or re-enable) a user's login role in the group, searching the store's schema."""
    r = _ident(role)
    _run(conn, f"{'CREATE' if new else 'ALTER'} ROLE {r} LOGIN")
    _run(conn, f"GRANT {_ident(group)} TO {r}")
    database = _run(conn, "SELECT current_database()").scalar_one()
    _run(conn, f"ALTER ROLE {r} IN DATABASE {_ident(database)} SET search_path = {_ident(schema)}")


def _user_roles(
    conn: Connection, schema: str, names: RoleNames, passwords: Mapping[int, str]
) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """A login role in the group for every user; which were created, kept, given passwords."""
    mapped = dict(_run(conn, f"SELECT role_name, user_id FROM {ROLE_TABLE}").all())
    existing = set(_run(conn, "SELECT rolname FROM pg_catalog.pg_roles").scalars())
    created: dict[str, str] = {}
    kept: dict[str, str] = {}
    with_password: list[str] = []
    for user_id, email in _run(conn, "SELECT id, email FROM users ORDER BY id").all():
        role = names.user_role(user_id)
        if role in existing and mapped.get(role) != user_id:
            raise InvalidValue(
                f"the database role {role!r} exists but is not this store's role for {email}; "
                "roles are shared by the whole cluster, so give this store a role prefix of "
                "its own"
            )
        _set_up_role(conn, role, role not in existing, names.group, schema)
        (kept if role in existing else created)[role] = email
        if user_id in passwords:
            verifier = _verifier(conn, role, passwords[user_id])
            _run(conn, f"ALTER ROLE {_ident(role)} PASSWORD '{verifier}'")
            with_password.append(role)
        _run(
            conn,
            f"INSERT INTO {ROLE_TABLE} (role_name, user_id) VALUES (:r, :u) "
            "ON CONFLICT (role_name) DO NOTHING",
            r=role,
            u=user_id,
        )
    return created, kept, tuple(with_password)


def _retire_roles(conn: Connection, group: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Drop the roles of deleted users; disable those that hold things elsewhere."""
    orphans = (
        _run(
            conn,
            f"SELECT r.role_name FROM {ROLE_TABLE} r WHERE NOT EXISTS "
            "(SELECT 1 FROM users u WHERE u.id = r.user_id) ORDER BY r.role_name",
        )
        .scalars()
        .all()
    )
    dropped: list[str] = []
    disabled: list[str] = []
    for role in orphans:
        exists = _run(conn, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :r", r=role).first()
        if exists is not None:
            savepoint = conn.begin_nested()
            try:
                _run(conn, f"DROP ROLE {_ident(role)}")
                savepoint.commit()
            except DBAPIError:  # it owns objects or holds privileges (in other databases too)
                savepoint.rollback()
                _run(conn, f"ALTER ROLE {_ident(role)} NOLOGIN")
                _run(conn, f"REVOKE {_ident(group)} FROM {_ident(role)}")
                disabled.append(role)
                continue
        _run(conn, f"DELETE FROM {ROLE_TABLE} WHERE role_name = :r", r=role)
        dropped.append(role)
    return tuple(dropped), tuple(disabled)


def _secure(conn: Connection, names: RoleNames, passwords: Mapping[int, str]) -> SecurityReport:
    _run(conn, "SELECT pg_advisory_xact_lock(hashtext('workbench secure'))")
    schema = _run(conn, "SELECT current_schema()").scalar_one()
    if schema is None:
        raise StoreError("the connection has no current schema (check its search_path)")
    _run(
        conn,
        f"CREATE TABLE IF NOT EXISTS {_ident(schema)}.{ROLE_TABLE} "
        "(role_name name PRIMARY KEY, user_id integer NOT NULL)",
    )
    _run(conn, f"ALTER TABLE {_ident(schema)}.{ROLE_TABLE} ENABLE ROW LEVEL SECURITY")
    _ensure_group(conn, names.group)
    present = set(
        _run(conn, "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = :s", s=schema)
        .scalars()
        .all()
    )
    tables = [t.name for t in Base.metadata.sorted_tables if t.name in present]
    for table in tables:  # policies first: they call the functions replaced next
        _drop_policies(conn, schema, table)
    for obsolete in OBSOLETE:
        _run(conn, f"DROP FUNCTION IF EXISTS {_ident(schema)}.{obsolete}")
    for statement in functions(schema):
        _run(conn, statement)
    _grant(conn, schema, names.group, [t for t in tables if t in POLICIES])
    if "alembic_version" in present:  # connect() checks the schema's revision
        _run(conn, f"GRANT SELECT ON {_ident(schema)}.alembic_version TO {_ident(names.group)}")
    policies = {t: _install_policies(conn, schema, names.group, t) for t in tables}
    created, kept, with_password = _user_roles(conn, schema, names, passwords)
    dropped, disabled = _retire_roles(conn, names.group)
    return SecurityReport(
        schema=schema,
        group=names.group,
        roles_created=created,
        roles_kept=kept,
        roles_dropped=dropped,
        roles_disabled=disabled,
        passwords_set=with_password,
        policies=policies,
        closed=tuple(t for t in tables if t not in POLICIES),
    )


def secure(
    session: Session, names: RoleNames | None = None, passwords: Mapping[int, str] | None = None
) -> SecurityReport:
    """Give every user a database role and put the store's tables under row-level security.

    Runs in the caller's transaction (roles, grants and policies are transactional in
    PostgreSQL: a failure leaves nothing behind). ``passwords`` maps user ids to the passwords
    of their roles (hashed before they are sent); roles without one log in only where the
    server trusts them. The connection's database user needs ``CREATEROLE`` and must own the
    tables.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        raise StoreError(
            f"row-level security needs a PostgreSQL store; this one is {conn.dialect.name}, "
            "where the workspace's own access checks are the only ones"
        )
    try:
        return _secure(conn, names or RoleNames(), passwords or {})
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":  # insufficient privilege
            raise
        user = conn.engine.url.username or "the connection's user"
        raise StoreError(
            f"database user {user!r} may not secure the store ({exc.orig}); connect as the "
            "owner of its tables, with the CREATEROLE privilege"
        ) from None
