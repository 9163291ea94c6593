"""The SQL functions row-level security policies call, and what a policy's ``{...}`` names mean.

Every function is ``SECURITY DEFINER`` (it reads tables the caller's policies would hide, such
as the caller's own roles) and runs with a fixed ``search_path``. The group of workbench users
may call them directly, so each answers only about the caller: ``who`` is a role the session
may act as (its login, or one it ``SET ROLE`` to), any other name is nobody. The functions about
a row (a model definition, a namespace, an object) answer only for rows the caller may read and
give NULL, ``false`` or no row otherwise, so asking about an id reveals nothing the caller may
not see; ``who`` defaults to ``current_user``.

>>> [s.split("(")[0] for s in SIGNATURES][:2]
['workbench_user_id', 'workbench_accounts']
"""

from __future__ import annotations

from workbench.access import Role

__all__ = ["OBSOLETE", "ROLE_TABLE", "SIGNATURES", "functions", "placeholders"]

#: Maps the database roles of a store to its users.
ROLE_TABLE = "workbench_roles"


def _ident(name: str) -> str:
    """``name`` quoted as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_ACCOUNTS_BODY = """
WITH me AS (
  SELECT u.account_id, COALESCE(u.roles, '[]'::jsonb) AS roles FROM users u
  WHERE u.id = workbench_user_id(who))
SELECT COALESCE(array_agg(a.id ORDER BY a.id), '{{}}'::integer[]) FROM accounts a, me
WHERE me.roles ? '{admin}'
   OR (action = 'read' AND me.roles ? '{reader}')
   OR (a.id = me.account_id AND (action IN ('read', 'write')
       OR (action = 'manage' AND me.roles ? '{account_admin}')))
   OR (me.roles ? '{consultant}' AND ((action IN ('read', 'write', 'manage')
       AND a.consultancy_id = me.account_id) OR (action = 'clients' AND a.id = me.account_id)))
"""
_USER_BODY = (
    f"SELECT u.id FROM {ROLE_TABLE} r JOIN users u ON u.id = r.user_id "
    "JOIN pg_catalog.pg_roles p ON p.rolname = r.role_name "
    "WHERE r.role_name = who AND pg_catalog.pg_has_role(session_user, p.oid, 'MEMBER')"
)
_HOLDS = (
    "SELECT COALESCE((SELECT u.roles ?| {roles} FROM users u "
    "WHERE u.id = workbench_user_id(who)), false)"
)


def _may(account: str, action: str) -> str:
    """Whether ``who`` may ``action`` ('read', 'write' or 'manage') a row owned by ``account``:
    a public row (NULL) is read by every user of the store and written by admins."""
    return (
        f"CASE WHEN {account} IS NULL THEN CASE WHEN {action} = 'read' "
        "THEN workbench_user_id(who) IS NOT NULL ELSE workbench_is_admin(who) END "
        f"ELSE {account} = ANY(workbench_accounts({action}, who)) END"
    )


_WHO = "who name DEFAULT current_user"
#: (name, arguments, result, body) of every function.
_SPECS: tuple[tuple[str, str, str, str], ...] = (
    ("workbench_user_id", "who name", "integer", _USER_BODY),
    ("workbench_accounts", "action text, who name", "integer[]", _ACCOUNTS_BODY.format(
        admin=Role.ADMIN.value, reader=Role.ADMIN_READER.value,
        account_admin=Role.ACCOUNT_ADMIN.value, consultant=Role.CONSULTANT.value)),
    ("workbench_is_admin", "who name", "boolean",
     _HOLDS.format(roles=f"array['{Role.ADMIN.value}']")),
    ("workbench_edits_definitions", "who name", "boolean",
     _HOLDS.format(roles=f"array['{Role.ADMIN.value}', '{Role.ACCOUNT_ADMIN.value}']")),
    # may who 'read' or 'manage' this model definition (a namespace without a parent)?
    ("workbench_definition_access", f"definition integer, action text, {_WHO}", "boolean",
     "SELECT COALESCE((SELECT " + _may("n.account_id", "action") + " FROM namespaces n "
     "WHERE n.id = definition AND n.parent_id IS NULL), false)"),
    # the model definition a namespace belongs to (itself for a definition), if readable
    ("workbench_namespace_definition", f"namespace integer, {_WHO}", "integer",
     "SELECT COALESCE(n.definition_id, n.id) FROM namespaces n WHERE n.id = namespace "
     "AND workbench_definition_access(COALESCE(n.definition_id, n.id), 'read', who)"),
    # the account owning a model definition, if readable (NULL also when shared)
    ("workbench_definition_owner", f"definition integer, {_WHO}", "integer",
     "SELECT n.account_id FROM namespaces n WHERE n.id = definition "
     "AND workbench_definition_access(n.id, 'read', who)"),
    ("workbench_object_definition_owner", f"object_definition integer, {_WHO}", "integer",
     "SELECT n.account_id FROM object_definitions od JOIN namespaces n "
     "ON n.id = od.definition_id WHERE od.id = object_definition "
     "AND workbench_definition_access(n.id, 'read', who)"),
    # an object's account, model and definition, if who may 'read' or 'write' it
    ("workbench_object", f"obj integer, action text, {_WHO}",
     "TABLE (account_id integer, model_id integer, definition_id integer)",
     "SELECT o.account_id, o.model_id, o.definition_id FROM objects o WHERE o.id = obj "
     "AND " + _may("o.account_id", "action")),
)  # fmt: skip
#: The functions as ``name(argument types)``, for grants.
SIGNATURES: tuple[str, ...] = (
    "workbench_user_id(name)",
    "workbench_accounts(text, name)",
    "workbench_is_admin(name)",
    "workbench_edits_definitions(name)",
    "workbench_definition_access(integer, text, name)",
    "workbench_namespace_definition(integer, name)",
    "workbench_definition_owner(integer, name)",
    "workbench_object_definition_owner(integer, name)",
    "workbench_object(integer, text, name)",
)
#: Functions that stores secured by earlier versions have and this one drops: they answered
#: about any id.
OBSOLETE: tuple[str, ...] = (
    "workbench_definition_owner(integer)",
    "workbench_object_definition_owner(integer)",
)


def functions(schema: str) -> list[str]:
    """``CREATE OR REPLACE FUNCTION`` statements, each ``SECURITY DEFINER`` in ``schema``."""
    s = _ident(schema)
    head = (
        "CREATE OR REPLACE FUNCTION {s}.{name}({args}) RETURNS {returns} LANGUAGE sql STABLE "
        "SECURITY DEFINER SET search_path = {s}, pg_temp AS $wb$ {body} $wb$"
    )
    return [head.format(s=s, name=n, args=a, returns=r, body=b) for n, a, r, b in _SPECS]


def placeholders(schema: str) -> dict[str, str]:
    """What the ``{...}`` names of policy conditions stand for: one call per statement each,
    except the functions about one row."""
    s = _ident(schema)

    def accounts(action: str) -> str:
        # a scalar subquery: computed once per statement (an init plan), not once per row
        return f"(SELECT {s}.workbench_accounts('{action}', current_user))::integer[]"

    return {
        "read": accounts("read"),
        "write": accounts("write"),
        "manage": accounts("manage"),
        "clients": accounts("clients"),
        "admin": f"(SELECT {s}.workbench_is_admin(current_user))",
        "defs": f"(SELECT {s}.workbench_edits_definitions(current_user))",
        "def_access": f"{s}.workbench_definition_access",
        "ns_definition": f"{s}.workbench_namespace_definition",
        "def_owner": f"{s}.workbench_definition_owner",
        "od_owner": f"{s}.workbench_object_definition_owner",
        "object": f"{s}.workbench_object",
        "known": f"((SELECT {s}.workbench_user_id(current_user)) IS NOT NULL)",
        "me": f"(SELECT {s}.workbench_user_id(current_user))",
        "store_roles": f"array['{Role.ADMIN.value}', '{Role.ADMIN_READER.value}']",
    }
