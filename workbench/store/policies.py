"""The row-level security policy of each store table: privileges and SQL conditions that
:mod:`workbench.store.security` fills in and installs.

A policy says which rows a role sees, updates and deletes, and which rows it may insert. A row
written (inserted, or as it stands after an update) must also pass the table's ``refs``: every
row it refers to must be one the role may *write* where the new row lives inside it (the parent
and model of an object, the object of a sensor or link, the definition of a definition element),
and one it may at least *read* where the row only points at it (a link's target, the object a
virtual series is relative to, the source of a belief, the user of a source); references inside
a model definition stay inside it. PostgreSQL checks policies before unique and foreign-key
constraints, so a row refused for what it refers to says only "new row violates row-level
security policy": it neither squats a name in another tenant's tree nor learns of a hidden id
or name from a constraint's message.

The rules, per table ("R", "W", "M": the accounts the role reads, writes, manages; a row without
an account is public, read by every user of the store, written by admins):

accounts
    see R; insert: admins, or consultants for accounts their consultancy consults for; rename:
    W; delete: admins.
users
    see R (never the secret hashes); insert, update, delete: M, and users holding store-wide
    roles by admins only.
namespaces
    a model definition (no parent) by its own account: see R, write M; a nested namespace by its
    definition's; refs: a definition has no ``definition_id``, a nested namespace no account and
    a parent in its own definition.
tags, template_calculations
    by their definition (``definition_id``, a namespace without a parent): see R, write M.
attribute_types, object_definitions
    the same; refs: its namespace is in its definition.
attribute_definitions
    by their object definition's definition; refs: its attribute type, namespace, target and
    template calculation are of the same definition.
objects
    see R, update W, delete M; insert: a model (no parent) M, an object W; refs: its object
    definition is visible; a model has no owner attribute and is its own model (or not yet
    any); an object's parent is one the role may write, of the same account and model, owning
    it through one of the parent definition's ownership attributes (whose target, if any, is the
    object's definition), and its definition is of the parent's model definition.
links
    by their object: see it, write W on it; refs: the attribute is a link attribute of the
    object's definition, and the target (if any) is visible and of the attribute's target type.
sensors
    by their object: see it, write W on it, delete M on it; refs: the sensor's own account is W.
virtual_series
    see R, write W, delete M; refs: the object it is relative to (if any) is visible.
sources
    see R; insert: W (a public one: any user); update, delete: admins; refs: a source for a user
    is that user's account, and the user is the role's own or one of a W account.
beliefs, latest_beliefs
    by their sensor: see it, write W on its object, delete M; refs: the source is visible.
store_info
    read by every user of the store (the schema's revision).

A table missing from :data:`POLICIES` is closed to the group.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POLICIES", "TablePolicy"]


@dataclass(frozen=True, slots=True)
class TablePolicy:
    """What the group may do on a table: privileges granted, and one condition per command.

    Conditions are SQL with ``{t}`` (the table), ``{read}``, ``{write}``, ``{manage}``,
    ``{clients}`` (arrays of account ids), ``{known}`` (the role is a user of this store),
    ``{me}`` (its user id), ``{admin}`` and ``{defs}`` (booleans), and functions that answer
    about one row, only when the role may read it: ``{def_access}(id, 'read' | 'manage',
    current_user)`` (may it read or manage that model definition),
    ``{ns_definition}(id, current_user)`` (the model definition of a namespace),
    ``{object}(id, 'read' | 'write', current_user)`` (the object's account_id, model_id and
    definition_id, no row unless it may read or write it), ``{def_owner}(id, current_user)`` and
    ``{od_owner}(id, current_user)`` (the account owning a model definition or an object
    definition's one; NULL when shared *or hidden*, so never an access rule on its own). A
    command without a condition is refused on every row. ``refs`` is added to the conditions
    of inserts and of rows as updated (``WITH CHECK``): what the rows a new row refers to must
    be.
    """

    grants: tuple[str, ...]
    select: str | None = None
    insert: str | None = None
    update: str | None = None
    delete: str | None = None
    refs: str | None = None


_ALL = ("SELECT", "INSERT", "UPDATE", "DELETE")
# An owned row: readable when public or in a readable account; written by admins when public.
# Public rows are for the users of this store only: a role of another store that shares the
# group role (and so the grants) maps to no user here and sees nothing.
_SEES = "({t}.account_id IS NULL AND {known}) OR {t}.account_id = ANY({read})"
_WRITES = "({t}.account_id IS NULL AND {admin}) OR {t}.account_id = ANY({write})"
_MANAGES = "({t}.account_id IS NULL AND {admin}) OR {t}.account_id = ANY({manage})"
_LINKS = "('link_one', 'link_many', 'versioned_link_one', 'versioned_link_many')"
_OWNERSHIPS = "('ownership_one', 'ownership_many')"


def _on(alias: str, rule: str) -> str:
    """``rule`` (written for ``{t}``) about the row ``alias``."""
    return "(" + rule.replace("{t}", alias) + ")"


def _of_object(column: str, rule: str | None) -> str:
    """A row that follows the object ``column`` names: visible (and ``rule`` on it) or not."""
    extra = "" if rule is None else " AND " + _on("o", rule)
    return f"EXISTS (SELECT 1 FROM objects o WHERE o.id = {{t}}.{column}{extra})"


def _of_sensor(rule: str | None) -> str:
    if rule is None:  # the sensor's own policy decides what is visible
        return "EXISTS (SELECT 1 FROM sensors s WHERE s.id = {t}.sensor_id)"
    return (
        "EXISTS (SELECT 1 FROM sensors s JOIN objects o ON o.id = s.object_id "
        f"WHERE s.id = {{t}}.sensor_id AND {_on('o', rule)})"
    )


def _visible(table: str, column: str, extra: str = "") -> str:
    """``column`` is NULL or names a row of ``table`` that the role sees (its own policy)."""
    return (
        f"({{t}}.{column} IS NULL OR EXISTS (SELECT 1 FROM {table} x "
        f"WHERE x.id = {{t}}.{column}{extra}))"
    )


# Users are managed by account-admins and consultants; users holding store roles by admins only.
_MANAGES_USER = (
    "{t}.account_id = ANY({manage}) AND ({admin} OR NOT COALESCE({t}.roles ?| {store_roles}, "
    "false))"
)

# -- model definitions --------------------------------------------------------------------------
# A model definition is a namespace without a parent; its account_id is the definition's owner
# (NULL: shared). Rows of other tables reach it through a query on namespaces, which its own
# policy filters; nested namespaces reach it through SECURITY DEFINER functions (a policy on
# namespaces may not query namespaces).


def _of_definition(column: str, rule: str | None) -> str:
    """A row of the model definition ``column`` names: visible (and ``rule`` on it) or not."""
    extra = "" if rule is None else " AND " + _on("d", rule)
    return (
        "EXISTS (SELECT 1 FROM namespaces d WHERE d.id = {t}." + column + " AND "
        "d.parent_id IS NULL" + extra + ")"
    )


def _of_definition_of(rule: str | None) -> str:
    """A row of the object definition ``object_definition_id``: by its model definition."""
    if rule is None:  # the object definition's own policy decides what is visible
        return "EXISTS (SELECT 1 FROM object_definitions od WHERE od.id = {t}.object_definition_id)"
    return (
        "EXISTS (SELECT 1 FROM object_definitions od JOIN namespaces d ON d.id = "
        "od.definition_id WHERE od.id = {t}.object_definition_id AND d.parent_id IS NULL AND "
        f"{_on('d', rule)})"
    )


def _in_definition(table: str, column: str, definition: str) -> str:
    """``column`` is NULL or names a visible row of ``table`` in the model definition
    ``definition``."""
    owner = "COALESCE(x.definition_id, x.id)" if table == "namespaces" else "x.definition_id"
    return _visible(table, column, f" AND {owner} = {definition}")


def _by_definition(column: str, refs: str | None = None) -> TablePolicy:
    """Rows of the model definition ``column`` names: read with it, written by its managers."""
    write = _of_definition(column, _MANAGES)
    return TablePolicy(_ALL, _of_definition(column, None), write, write, write, refs=refs)


def _namespaces() -> TablePolicy:
    def either(own: str, action: str) -> str:
        nested = f"{{def_access}}({{t}}.definition_id, '{action}', current_user)"
        return f"CASE WHEN {{t}}.parent_id IS NULL THEN ({own}) ELSE {nested} END"

    refs = (
        "CASE WHEN {t}.parent_id IS NULL THEN {t}.definition_id IS NULL ELSE "
        "{t}.account_id IS NULL AND "
        "{ns_definition}({t}.parent_id, current_user) = {t}.definition_id END"
    )
    write = either(_MANAGES, "manage")
    return TablePolicy(_ALL, either(_SEES, "read"), write, write, write, refs=refs)


def _attribute_definition_refs() -> str:
    """An attribute definition's type, namespace, target and template calculation are of its
    object definition's model definition."""
    same = "od.definition_id"
    parts = [
        _in_definition("attribute_types", "attribute_type_id", same),
        _in_definition("namespaces", "namespace_id", same),
        _in_definition("object_definitions", "target_id", same),
        _in_definition("template_calculations", "template_calculation_id", same),
    ]
    return (
        "EXISTS (SELECT 1 FROM object_definitions od WHERE od.id = {t}.object_definition_id "
        f"AND {' AND '.join(parts)})"
    )


# -- objects and what hangs on them --------------------------------------------------------------

# A model (no parent) is its own model, or has none yet (set right after it is inserted). An
# object sits under a parent the role may write, in the parent's account and model, owned
# through an ownership attribute of the parent's definition that takes its definition, and is
# of the parent's model definition.
_OBJECT_REFS = (
    "EXISTS (SELECT 1 FROM object_definitions d WHERE d.id = {t}.definition_id) AND "
    "CASE WHEN {t}.parent_id IS NULL THEN {t}.owner_attribute_id IS NULL AND "
    "({t}.model_id IS NULL OR {t}.model_id = {t}.id) "
    "ELSE EXISTS (SELECT 1 FROM {object}({t}.parent_id, 'write', current_user) p "
    "JOIN attribute_definitions a ON a.object_definition_id = p.definition_id "
    "JOIN object_definitions pd ON pd.id = p.definition_id "
    "JOIN object_definitions d ON d.definition_id = pd.definition_id "
    "WHERE a.id = {t}.owner_attribute_id AND a.value_type IN " + _OWNERSHIPS + " "
    "AND (a.target_id IS NULL OR a.target_id = {t}.definition_id) "
    "AND d.id = {t}.definition_id "
    "AND p.account_id IS NOT DISTINCT FROM {t}.account_id "
    "AND p.model_id IS NOT DISTINCT FROM {t}.model_id) END"
)
# A link is of a link attribute of its object's definition; its target is visible and of the
# attribute's target type.
_LINK_REFS = (
    "EXISTS (SELECT 1 FROM objects o JOIN attribute_definitions a "
    "ON a.object_definition_id = o.definition_id WHERE o.id = {t}.object_id "
    "AND a.id = {t}.attribute_id AND a.value_type IN "
    + _LINKS
    + " AND "
    + _visible(
        "objects", "target_id", " AND (a.target_id IS NULL OR x.definition_id = a.target_id)"
    )
    + ")"
)
# A source stands for no user, or for the role's own user or one of an account it writes; it
# then belongs to that user's account.
_SOURCE_REFS = (
    "{t}.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = {t}.user_id "
    "AND u.account_id IS NOT DISTINCT FROM {t}.account_id "
    "AND (u.id = {me} OR u.account_id = ANY({write})))"
)
_BELIEFS = TablePolicy(
    _ALL,
    _of_sensor(None),
    _of_sensor(_WRITES),
    _of_sensor(_WRITES),
    _of_sensor(_MANAGES),
    refs="EXISTS (SELECT 1 FROM sources x WHERE x.id = {t}.source_id)",
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
    "namespaces": _namespaces(),
    "tags": _by_definition("definition_id"),
    "template_calculations": _by_definition("definition_id"),
    "attribute_types": _by_definition(
        "definition_id",
        refs=_in_definition("namespaces", "namespace_id", "{t}.definition_id"),
    ),
    "object_definitions": _by_definition(
        "definition_id",
        refs=_in_definition("namespaces", "namespace_id", "{t}.definition_id"),
    ),
    "attribute_definitions": TablePolicy(
        _ALL,
        _of_definition_of(None),
        _of_definition_of(_MANAGES),
        _of_definition_of(_MANAGES),
        _of_definition_of(_MANAGES),
        refs=_attribute_definition_refs(),
    ),
    "objects": TablePolicy(
        _ALL,
        select=_SEES,
        # a model (no parent) is created in an account: its account-admins and consultants
        insert="CASE WHEN {t}.account_id IS NULL THEN {admin} WHEN {t}.parent_id IS NULL "
        "THEN {t}.account_id = ANY({manage}) ELSE {t}.account_id = ANY({write}) END",
        update=_WRITES,
        delete=_MANAGES,
        refs=_OBJECT_REFS,
    ),
    "links": TablePolicy(
        _ALL,
        _of_object("object_id", None),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
        refs=_LINK_REFS,
    ),
    "sensors": TablePolicy(
        _ALL,
        _of_object("object_id", None),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _WRITES),
        _of_object("object_id", _MANAGES),
        refs=_WRITES,  # the sensor's own account (its object's, or the one it moved from)
    ),
    "virtual_series": TablePolicy(
        _ALL, _SEES, _WRITES, _WRITES, _MANAGES, refs=_visible("objects", "relative_to_id")
    ),
    # A source's identity is unique within its account, or among public ones (revision 0006):
    # an insert can clash only with a row the role sees, never with another tenant's.
    "sources": TablePolicy(
        _ALL,
        select=_SEES,
        insert="({t}.account_id IS NULL AND {known}) OR {t}.account_id = ANY({write})",
        update="{admin}",
        delete="{admin}",
        refs=_SOURCE_REFS,
    ),
    "beliefs": _BELIEFS,
    "latest_beliefs": _BELIEFS,
    "store_info": TablePolicy(("SELECT",), select="{known}"),  # the schema's revision
    # Failed sign-ins: no privilege and no policy, so closed to every user; only the library
    # (the store's owner) counts them.
    "sign_in_throttle": TablePolicy(()),
}
