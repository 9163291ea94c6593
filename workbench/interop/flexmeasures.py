"""Importing a FlexMeasures 1.0.x database into the store, read-only, again and again.

Accounts, users, asset types (object definitions of one shared "FlexMeasures" model definition),
assets (one model per account, sub-assets owned through ``Assets``; public assets in the model
"Public assets"), sensors, data sources and every belief, with FlexMeasures' own belief times.
What was imported is remembered (the FlexMeasures ids, in the model definition's metadata
``flexmeasures``, in each object's ``flexmeasures_id`` and each sensor's
``attributes["flexmeasures_id"]``), so another import adds only what is new.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.api.services import sources as source_services
from workbench.api.services.imports import add_new_beliefs
from workbench.beliefs import ExPost
from workbench.errors import InvalidValue, UnitError
from workbench.interop.fm_timing import fm_rule
from workbench.paths import check_name
from workbench.store import flexmeasures_source as fm

if TYPE_CHECKING:
    from workbench.api.handles.definitions import ModelDefinition
    from workbench.api.handles.objects import Object
    from workbench.api.workspace import Workspace

__all__ = ["ImportSummary", "import_flexmeasures"]

DEFINITION = "FlexMeasures"
PUBLIC_MODEL = "Public assets"
ROOT_TYPE = "Account"
_FIXED = (
    "flexmeasures_id",
    "description",
    "latitude",
    "longitude",
    "external_id",
    "flex_context",
    "flex_model",
)
_BAD = re.compile(r"[/.\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ROLES = {"admin", "admin-reader", "account-admin", "consultant"}


@dataclass
class ImportSummary:
    """What an import did: per kind (accounts, users, ..., beliefs) how many were added and how
    many were there already; names changed to ones the workbench takes; notes."""

    revision: str = ""
    added: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind: str, new: bool, n: int = 1) -> None:
        if n == 0:
            return
        counts = self.added if new else self.existing
        counts[kind] = counts.get(kind, 0) + n

    def rows(self) -> list[tuple[str, int, int]]:
        """(kind, added, already there) per kind, in import order."""
        kinds = ["accounts", "users", "asset types", "assets", "sensors", "sources", "beliefs"]
        return [(k, self.added.get(k, 0), self.existing.get(k, 0)) for k in kinds]

    def __str__(self) -> str:
        lines = [
            f"{kind:<12} {new:>10,} added {old:>10,} already there"
            for kind, new, old in self.rows()
        ]
        lines += [f"renamed {kind} {old!r} -> {new!r}" for kind, old, new in self.renamed]
        return "\n".join(lines + self.notes)


class _Names:
    """Names the workbench refuses, changed predictably: '/', '.' and control characters become
    '_', blanks are trimmed, an empty name becomes '<kind> <id>', a clash gets ' (<id>)'."""

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary

    def __call__(self, kind: str, name: object, fm_id: int, taken: set[str] | None = None) -> str:
        text = _BAD.sub("_", str(name or "")).strip()[:200] or f"{kind} {fm_id}"
        if taken is not None and text in taken:
            text = f"{text[:190]} ({fm_id})"
        check_name(text, f"{kind} name")
        if taken is not None:
            taken.add(text)
        if text != name:
            self.summary.renamed.append((kind, str(name), text))
        return text


def _json_type(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "double"
    return "string"


def _value(value: Any, value_type: str) -> Any:
    if value_type == "string" and not isinstance(value, str):
        return json.dumps(value, sort_keys=True)
    return float(value) if value_type == "double" else value


class _Importer:
    def __init__(
        self, ws: Workspace, meta: dict[str, list[dict[str, Any]]], summary: ImportSummary
    ) -> None:
        self.ws, self.meta, self.summary = ws, meta, summary
        self.name = _Names(summary)
        self.md = self._definition()
        stored = dict(self.md.metadata.get("flexmeasures", {}))
        self.ids: dict[str, dict[str, int]] = {
            kind: {str(k): int(v) for k, v in stored.get(kind, {}).items()}
            for kind in ("accounts", "users", "asset_types", "assets", "sensors", "sources")
        }

    def _definition(self) -> ModelDefinition:
        for md in self.ws.model_definitions():
            if md.name == DEFINITION and md.account_id is None:
                return md
        md = self.ws.create_model_definition(
            DEFINITION, "Asset types of FlexMeasures databases, as imported"
        )
        root = md.create_object_definition(
            ROOT_TYPE, description="A FlexMeasures account and its assets"
        )
        root.add_attribute("flexmeasures_id", "int64")
        return md

    def save_ids(self) -> None:
        self.md.set_metadata("flexmeasures", {k: dict(v) for k, v in self.ids.items()})

    # -- accounts and users -------------------------------------------------------------------

    def accounts(self) -> None:
        known = {a.id: a for a in self.ws.accounts()}
        taken = {a.name for a in known.values()}
        rows = self.meta["accounts"]
        for row in rows:
            key = str(row["id"])
            if self.ids["accounts"].get(key) in known:
                self.summary.count("accounts", False)
                continue
            name = self.name("account", row["name"], row["id"], taken)
            self.ids["accounts"][key] = self.ws.create_account(name).id
            self.summary.count("accounts", True)
        for row in rows:  # consultancies once every account exists
            consultancy = row["consultancy_account_id"]
            if consultancy is not None and str(consultancy) in self.ids["accounts"]:
                self.ws.set_consultancy(
                    self.ids["accounts"][str(row["id"])], self.ids["accounts"][str(consultancy)]
                )

    def users(self) -> None:
        from workbench.api.services import accounts as account_services

        ctx = self.ws._ctx
        existing = {u.id: u for u in self.ws.users()}
        emails = {u.email.lower() for u in existing.values()}
        for row in self.meta["users"]:
            key = str(row["id"])
            if self.ids["users"].get(key) in existing:
                self.summary.count("users", False)
                continue
            email = str(row["email"] or "")
            if email.lower() in emails:
                self.summary.notes.append(f"user {email} exists already and was not imported")
                continue
            roles = [r for r in (row["roles"] or []) if r in _ROLES]
            dropped = sorted(set(row["roles"] or []) - _ROLES)
            if dropped:
                self.summary.notes.append(f"user {email}: roles {dropped} have no equivalent")
            account = self.ids["accounts"][str(row["account_id"])]
            # Nobody knows this secret: the user signs in once an admin has set one.
            user = account_services.add_user(ctx, email, account, secrets.token_urlsafe(32), roles)
            self.ids["users"][key] = user.id
            emails.add(email.lower())
            self.summary.count("users", True)

    # -- asset types and assets ---------------------------------------------------------------

    def asset_types(self) -> None:
        ods = {od.name: od for od in self.md.object_definitions()}
        taken = set(ods)
        by_type: dict[int, list[dict[str, Any]]] = {}
        for asset in self.meta["assets"]:
            by_type.setdefault(asset["generic_asset_type_id"], []).append(asset)
        self.attribute_types: dict[int, dict[str, tuple[str, str]]] = {}
        self.od_names: dict[int, str] = {}
        for row in self.meta["asset_types"]:
            key = str(row["id"])
            known = [
                n
                for n, od in ods.items()
                if str(od.metadata.get("flexmeasures", {}).get("id")) == key
            ]
            if known:
                od = ods[known[0]]
                self.summary.count("asset types", False)
            else:
                name = self.name("asset type", row["name"], row["id"], taken)
                od = self.md.create_object_definition(
                    name, description=str(row["description"] or "")
                )
                od.set_metadata("flexmeasures", {"id": row["id"]})
                for attr, kind in (
                    ("flexmeasures_id", "int64"),
                    ("description", "string"),
                    ("latitude", "double"),
                    ("longitude", "double"),
                    ("external_id", "string"),
                    ("flex_context", "string"),
                    ("flex_model", "string"),
                ):
                    od.add_attribute(attr, kind)
                ods[name] = od
                self.summary.count("asset types", True)
            self.od_names[row["id"]] = od.name
            self.attribute_types[row["id"]] = self._asset_attributes(od, by_type.get(row["id"], []))

    def _asset_attributes(
        self, od: Any, assets: list[dict[str, Any]]
    ) -> dict[str, tuple[str, str]]:
        """FlexMeasures attribute key -> (attribute name, value type), defined where missing."""
        values: dict[str, list[Any]] = {}
        for asset in assets:
            for k, v in (asset["attributes"] or {}).items():
                if v is not None:
                    values.setdefault(k, []).append(v)
        have = {a.name: str(getattr(a.value_type, "value", a.value_type)) for a in od.attributes()}
        taken = set(_FIXED) | set(have)
        out: dict[str, tuple[str, str]] = {}
        for key in sorted(values):
            kind = _json_type(values[key])
            name = f"attribute_{key}" if key in _FIXED else key
            if name in have:
                kind = (
                    have[name] if have[name] in {"boolean", "int64", "double", "string"} else kind
                )
                out[key] = (name, have[name])
                continue
            name = self.name("asset attribute", name, 0, taken - set(have))
            od.add_attribute(name, kind)
            have[name] = kind
            out[key] = (name, kind)
        return out

    def assets(self) -> None:
        by_parent: dict[int | None, list[dict[str, Any]]] = {}
        for asset in self.meta["assets"]:
            by_parent.setdefault(asset["parent_asset_id"], []).append(asset)
        models = {m.name: m for m in self.ws.models()}
        for account in [*self.meta["accounts"], None]:
            roots = [
                a
                for a in by_parent.get(None, [])
                if a["account_id"] == (account["id"] if account else None)
            ]
            if not roots:
                continue
            model = self._model(account, models)
            self._children(model, roots, by_parent)

    def _model(self, account: dict[str, Any] | None, models: dict[str, Object]) -> Object:
        if account is None:
            name, owner = PUBLIC_MODEL, None
        else:
            owner = self.ids["accounts"][str(account["id"])]
            name = next(a.name for a in self.ws.accounts() if a.id == owner)
        found = models.get(name)
        if found is not None and found.definition.model_definition.id == self.md.id:
            return found
        model = self.ws.create_model(name, self.md, ROOT_TYPE, account=owner)
        if account is not None:
            model["flexmeasures_id"] = account["id"]
        return model

    def _children(
        self,
        parent: Object,
        assets: list[dict[str, Any]],
        by_parent: dict[int | None, list[dict[str, Any]]],
    ) -> None:
        taken = {c.name for c in parent.children()}
        for asset in assets:
            key = str(asset["id"])
            obj_id = self.ids["assets"].get(key)
            if obj_id is not None:
                obj = self.ws.object(obj_id)
                self.summary.count("assets", False)
            else:
                name = self.name("asset", asset["name"], asset["id"], taken)
                type_name = self.od_names[asset["generic_asset_type_id"]]
                obj = parent.add_child(self._owns(parent, type_name), name, type_name)
                self._fill(obj, asset)
                self.ids["assets"][key] = obj.id
                self.summary.count("assets", True)
            self._sensors(obj, asset["id"])
            self._children(obj, by_parent.get(asset["id"], []), by_parent)

    def _owns(self, parent: Object, type_name: str) -> str:
        """The ownership attribute through which ``parent`` holds assets of ``type_name``
        (``To_<type>``), defined on the parent's type when it is missing."""
        od = parent.definition
        attribute = f"To_{type_name}"
        if attribute not in {a.name for a in od.attributes()}:
            od.add_attribute(attribute, "ownership_many", target=type_name)
        return attribute

    def _fill(self, obj: Object, asset: dict[str, Any]) -> None:
        obj["flexmeasures_id"] = asset["id"]
        for column in ("description", "latitude", "longitude", "external_id"):
            if asset[column] is not None:
                obj[column] = asset[column]
        for column in ("flex_context", "flex_model"):
            if asset[column]:
                obj[column] = json.dumps(asset[column], sort_keys=True)
        kinds = self.attribute_types[asset["generic_asset_type_id"]]
        for key, value in (asset["attributes"] or {}).items():
            if value is not None and key in kinds:
                name, kind = kinds[key]
                obj[name] = _value(value, kind)

    # -- sensors and sources ------------------------------------------------------------------

    def _sensors(self, obj: Object, asset_id: int) -> None:
        existing = {s.id for s in obj.sensors()}
        taken = {s.name for s in obj.sensors()}
        for row in self.meta["sensors"]:
            if row["generic_asset_id"] != asset_id:
                continue
            key = str(row["id"])
            if self.ids["sensors"].get(key) in existing:
                self.summary.count("sensors", False)
                continue
            rule = fm_rule(
                row["knowledge_horizon_fnc"], row["knowledge_horizon_par"], row["event_resolution"]
            )
            attributes = {
                **(row["attributes"] or {}),
                "flexmeasures_id": row["id"],
                "flexmeasures_knowledge_horizon": {
                    "fnc": rule.function,
                    "par": dict(rule.parameters),
                },
            }
            if rule.rule is None:
                self.summary.notes.append(
                    f"sensor {row['id']}: {rule.function} has no workbench rule; its belief "
                    "times are FlexMeasures' own, the sensor's rule is ex_post"
                )
            options = dict(
                timezone=row["timezone"] or "UTC",
                resolution=row["event_resolution"],
                knowledge_time=rule.rule or ExPost(),
                attributes=attributes,
            )
            name = self.name("sensor", row["name"], row["id"], taken)
            try:
                sensor = obj.add_sensor(name, unit=row["unit"] or "", **options)
            except UnitError:
                self.summary.notes.append(
                    f"sensor {row['id']}: unit {row['unit']!r} is unknown here; kept as "
                    "attributes['flexmeasures_unit'], the sensor has no unit"
                )
                options["attributes"] = {**attributes, "flexmeasures_unit": row["unit"]}
                sensor = obj.add_sensor(name, unit="", **options)
            self.ids["sensors"][key] = sensor.id
            self.summary.count("sensors", True)

    def sources(self) -> None:
        ctx = self.ws._ctx
        seen: set[tuple[str, str, str, str, int | None]] = set()
        known = {s.id for s in source_services.list_sources(ctx)}
        for row in self.meta["sources"]:
            key = str(row["id"])
            if self.ids["sources"].get(key) in known:
                self.summary.count("sources", False)
                continue
            kind = re.sub(r"[^a-z0-9_-]+", "_", str(row["type"] or "user").lower()).strip("_")
            if kind != row["type"]:
                self.summary.renamed.append(("source type", str(row["type"]), kind or "user"))
            user = self.ids["users"].get(str(row["user_id"])) if row["user_id"] else None
            name = str(row["name"] or f"source {row['id']}")
            identity = (name, kind, row["model"] or "", row["version"] or "", user)
            if identity in seen:  # FlexMeasures tells these apart by their attributes
                name = self.name("source", f"{name} ({row['id']})", row["id"])
            seen.add((name, *identity[1:]))
            source = source_services.source_of(
                ctx, name, kind or "user", row["model"] or "", row["version"] or "", user
            )
            self.ids["sources"][key] = source.id
            self.summary.count("sources", True)


ProgressFactory = Callable[[int], Any]


def _bar(enabled: bool, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="beliefs", unit_scale=True, desc="beliefs", disable=not enabled)


def import_flexmeasures(
    ws: Workspace,
    url: str,
    *,
    batch_size: int = 500_000,
    progress: bool = False,
) -> ImportSummary:
    """Import a FlexMeasures 1.0.x database (read-only) into the workspace's store.

    The metadata goes in one transaction, then the beliefs in one transaction per batch of at
    most ``batch_size`` beliefs of one sensor; each is all or nothing. An import that was cut
    short is completed by running it again; beliefs the store holds already are not written.
    The caller must be an admin.
    """
    if not ws.principal.is_admin:
        raise InvalidValue("importing a FlexMeasures database takes an admin of the store")
    started = time.perf_counter()
    summary = ImportSummary()
    engine = fm.open_source(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            summary.revision = fm.check_schema(conn)
            meta = fm.read_metadata(conn)
            importer = _import_metadata(ws, meta, summary)
            _import_beliefs(ws, conn, meta, importer, summary, batch_size, progress)
            conn.rollback()
    finally:
        engine.dispose()
    summary.seconds = time.perf_counter() - started
    return summary


def _import_metadata(
    ws: Workspace, meta: dict[str, list[dict[str, Any]]], summary: ImportSummary
) -> _Importer:
    with ws.transaction():
        importer = _Importer(ws, meta, summary)
        importer.accounts()
        importer.users()
        importer.asset_types()
        importer.assets()
        importer.sources()
        importer.save_ids()
    return importer


def _import_beliefs(
    ws: Workspace,
    conn: Any,
    meta: dict[str, list[dict[str, Any]]],
    importer: _Importer,
    summary: ImportSummary,
    batch_size: int,
    progress: bool,
) -> None:
    sources = importer.ids["sources"]
    total = sum(int(row["beliefs"]) for row in meta["sensors"])
    with _bar(progress, total) as bar:
        for row in meta["sensors"]:
            sensor_id = importer.ids["sensors"].get(str(row["id"]))
            if sensor_id is None or not row["beliefs"]:
                continue
            rule = fm_rule(
                row["knowledge_horizon_fnc"], row["knowledge_horizon_par"], row["event_resolution"]
            )
            for batch in fm.belief_batches(conn, row["id"], int(row["beliefs"]), batch_size):
                lookup = np.zeros(int(batch["source_id"].max()) + 1, dtype=np.int64)
                for fm_id in np.unique(batch["source_id"]):
                    lookup[fm_id] = sources[str(int(fm_id))]
                arrays = {
                    "event_start": batch["event_start"],
                    "belief_time": rule.belief_time_us(
                        batch["event_start"], batch["belief_horizon"]
                    ),
                    "source_id": lookup[batch["source_id"]],
                    "cumulative_probability": batch["cumulative_probability"],
                    "value": batch["value"],
                }
                n = len(arrays["event_start"])
                added = add_new_beliefs(ws._ctx, sensor_id, arrays)
                summary.count("beliefs", True, added)
                summary.count("beliefs", False, n - added)
                bar.update(n)
