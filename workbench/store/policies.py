"""The row-level security policy of each store table: privileges and SQL conditions that
:mod:`workbench.store.security` fills in and installs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POLICIES", "TablePolicy"]


@dataclass(frozen=True, slots=True)
class TablePolicy:
    """What the group may do on a table: privileges granted, and one condition per command.

    Conditions are SQL with ``{t}`` (the table), ``{read}``, ``{write}``, ``{manage}``,
    ``{clients}`` (arrays of account ids), ``{known}`` (the role is a user of this store),
    ``{admin}`` and ``{defs}`` (booleans), ``{def_owner}(id)`` and ``{od_owner}(id)`` (the account
    owning a model definition, or an object definition's model definition; NULL when shared); a
    command without a condition is refused on every row.
    """

    grants: tuple[str, ...]
    select: str | None = None
    insert: str | None = None
    update: str | None = None
    delete: str | None = None


_ALL = ("SELECT", "INSERT", "UPDATE", "DELETE")
# An owned row: readable when public or in a readable account; written by admins when public.
# Public rows are for the users of this store only: a role of another store that shares the
# group role (and so the grants) maps to no user here and sees nothing.
_SEES = "({t}.account_id IS NULL AND {known}) OR {t}.account_id = ANY({read})"
_WRITES = "({t}.account_id IS NULL AND {admin}) OR {t}.account_id = ANY({write})"
_MANAGES = "({t}.account_id IS NULL AND {admin}) OR {t}.account_id = ANY({manage})"


def _of_object(column: str, rule: str | None) -> str:
    """A row that follows the object ``column`` names: visible (and ``rule`` on it) or not."""
    extra = "" if rule is None else " AND (" + rule.replace("{t}", "o") + ")"
    return f"EXISTS (SELECT 1 FROM objects o WHERE o.id = {{t}}.{column}{extra})"


def _of_sensor(rule: str | None) -> str:
    if rule is None:  # the sensor's own policy decides what is visible
        return "EXISTS (SELECT 1 FROM sensors s WHERE s.id = {t}.sensor_id)"
    return (
        "EXISTS (SELECT 1 FROM sensors s JOIN objects o ON o.id = s.object_id "
        "WHERE s.id = {t}.sensor_id AND (" + rule.replace("{t}", "o") + "))"
    )


# Users are managed by account-admins and consultants; users holding store roles by admins only.
_MANAGES_USER = (
    "{t}.account_id = ANY({manage}) AND ({admin} OR NOT COALESCE({t}.roles ?| {store_roles}, "
    "false))"
)


def _definition(owner: str) -> TablePolicy:
    """Rows of a model definition whose owning account is ``owner`` (NULL: shared by the store):
    shared ones are read by every user and written by admins; owned ones are read as their
    account and written by its account-admins, its consultancy's consultants and admins."""
    return TablePolicy(
        _ALL,
        f"({owner} IS NULL AND {{known}}) OR {owner} = ANY({{read}})",
        *[f"({owner} IS NULL AND {{admin}}) OR {owner} = ANY({{manage}})"] * 3,
    )


# A model definition is a namespace without a parent; its account_id is the definition's owner.
# Other rows reach it through definition_id (SECURITY DEFINER look-ups: a policy on namespaces
# may not query namespaces itself).
_OWNED_DEFINITION = _definition("{def_owner}({t}.definition_id)")
_BELIEFS = TablePolicy(
    _ALL, _of_sensor(None), _of_sensor(_WRITES), _of_sensor(_WRITES), _of_sensor(_MANAGES)
)

#: The policy of every table of the store; a table missing here is closed to the group.
POLICIES: dict[str, TablePolicy] = {
    "accounts": TablePolicy(
        ("SELECT", "INSERT (name, consultancy_id)", "UPDATE (name)", "DELETE"),
        select="{t}.id = ANY({read})",
        insert="{admin} OR {t}.consultancy_id = ANY({clients})",
        update="{t}.id = ANY({write})",
        delete="{admin}",
    ),
    "users": TablePolicy(
        (
            "SELECT (id, account_id, email, roles)",
            "INSERT (account_id, email, secret_hash, roles)",
            "UPDATE (email, secret_hash, roles)",
            "DELETE",
        ),
        select="{t}.account_id = ANY({read})",
        insert=_MANAGES_USER,
        update=_MANAGES_USER,
        delete=_MANAGES_USER,
    ),
    "namespaces": _definition(
        "(CASE WHEN {t}.parent_id IS NULL THEN {t}.account_id "
        "ELSE {def_owner}({t}.definition_id) END)"
    ),
    "tags": _OWNED_DEFINITION,
    "template_calculations": _OWNED_DEFINITION,
    "attribute_types": _OWNED_DEFINITION,
    "object_definitions": _OWNED_DEFINITION,
    "attribute_definitions": _definition("{od_owner}({t}.object_definition_id)"),
    "objects": TablePolicy(
        _ALL,
        select=_SEES,
        # a model (no parent) is created in an account: its account-admins and consultants
        insert="CASE WHEN {t}.account_id IS NULL THEN {admin} WHEN {t}.parent_id IS NULL "
        "THEN {t}.account_id = ANY({manage}) ELSE {t}.account_id = ANY({write}) END",
        update=_WRITES,
        delete=_MANAGES,
    ),
    "links": TablePolicy(
        _ALL,
        _of_object("object_id", None),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
    ),
    "sensors": TablePolicy(
        _ALL,
        _of_object("object_id", None),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _MANAGES),
    ),
    "virtual_series": TablePolicy(_ALL, _SEES, _WRITES, _WRITES, _MANAGES),
    "sources": TablePolicy(
        _ALL,
        select=_SEES,
        insert="({t}.account_id IS NULL AND {known}) OR {t}.account_id = ANY({write})",
        update="{admin}",
        delete="{admin}",
    ),
    "beliefs": _BELIEFS,
    "latest_beliefs": _BELIEFS,
    "store_info": TablePolicy(("SELECT",), select="{known}"),  # the schema's revision
}
