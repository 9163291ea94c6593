"""Models by model definition, objects by object definition with their counts, and deleting an
object definition, as in Mesh's model definition service (``ListModelDefinitions``,
``ObjectDefinition.instance_count``, ``DeleteObjectDefinition``: "If the given object definition
has instances ... the delete operation will not succeed"; model_definition.proto and
resources.proto of Volue-Public/energy-mesh-python). Counts and lists hold only what the user
may read. Each rule on SQLite and PostgreSQL; a refused call leaves every table as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import refused

import workbench as wb
from workbench.api import accounts as acc
from workbench.errors import AccessDenied, InvalidDefinition, NotFound

SECRET = "a fairly long secret"

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def users(ws: wb.Workspace) -> Iterator[dict[str, wb.Workspace]]:
    """Acme (ana, its account-admin; max, a plain member) and Beta (bob, its account-admin)."""
    acc.create_account(ws, "Acme")
    acc.create_account(ws, "Beta")
    opened = {}
    for name, account, roles in (
        ("ana", "Acme", ["account-admin"]),
        ("max", "Acme", []),
        ("bob", "Beta", ["account-admin"]),
    ):
        email = f"{name}@{account.lower()}.example"
        acc.add_user(ws, email, account, SECRET, roles)
        opened[name] = wb.connect(ws.url, user=email, secret=SECRET)
    yield opened
    for other in opened.values():
        other.engine.dispose()


def _shared(ws: wb.Workspace) -> wb.ModelDefinition:
    """A shared definition (System owns Plants; Gate unused) with a model of Acme holding two
    plants and one of Beta holding one."""
    md = ws.create_model_definition("Grid")
    plant = md.create_object_definition("Plant")
    md.create_object_definition("Gate")
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    for model, account, names in (("A", "Acme", ["P1", "P2"]), ("B", "Beta", ["Q1"])):
        ws.create_model(model, md, system, account=account).add_children("To_Plants", names, plant)
    return md


def test_models_by_definition(ws: wb.Workspace, users: dict[str, wb.Workspace]) -> None:
    md = _shared(ws)
    other = ws.create_model_definition("Other")
    root = other.create_object_definition("Root")
    ws.create_model("C", other, root)
    assert [m.name for m in ws.models(md)] == ["A", "B"]
    assert [m.name for m in ws.models("Other")] == ["C"]
    assert [m.name for m in ws.models(other.id)] == ["C"]
    assert [m.name for m in ws.models()] == ["A", "B", "C"]
    assert [m.name for m in users["ana"].models("Grid")] == ["A"]  # not Beta's
    assert [m.name for m in users["bob"].models(md.id)] == ["B"]
    with pytest.raises(NotFound, match="model definition not found: 'Nope'"):
        ws.models("Nope")


def test_instances_and_their_counts(ws: wb.Workspace, users: dict[str, wb.Workspace]) -> None:
    md = _shared(ws)
    plant = md.object_definition("Plant")
    assert [o.full_name for o in ws.instances(plant)] == [
        "Model/A.To_Plants/P1",
        "Model/A.To_Plants/P2",
        "Model/B.To_Plants/Q1",
    ]
    assert ws.instance_counts(md) == {"Plant": 3, "Gate": 0, "System": 2}
    ana = users["ana"]
    assert [o.name for o in ana.instances(wb.ObjectDefinition(ana, plant.id))] == ["P1", "P2"]
    assert ana.instance_counts("Grid") == {"Plant": 2, "Gate": 0, "System": 1}
    assert users["bob"].instance_counts(md) == {"Plant": 1, "Gate": 0, "System": 1}


def test_an_accounts_definition_is_counted_for_its_readers_only(
    ws: wb.Workspace, users: dict[str, wb.Workspace]
) -> None:
    ana, bob = users["ana"], users["bob"]
    md = ana.create_model_definition("Own")
    thing = md.create_object_definition("Thing")
    ana.create_model("Mine", md, thing, account="Acme")
    assert users["max"].instance_counts(md.id) == {"Thing": 1}
    for call in (
        lambda: bob.instance_counts(md.id),
        lambda: bob.models(md.id),
        lambda: bob.instances(wb.ObjectDefinition(bob, thing.id)),
    ):
        with pytest.raises(NotFound, match="not found"):
            call()


def test_an_object_definition_with_instances_cannot_be_deleted(
    ws: wb.Workspace, users: dict[str, wb.Workspace]
) -> None:
    md = _shared(ws)
    plant = md.object_definition("Plant")
    plant.add_attribute("Capacity", "double")
    refused(ws, InvalidDefinition, r"'Plant' has 3 instance\(s\) \(objects\)", plant.delete)
    for model in ws.models(md):
        model.delete(recursive=True)
    assert ws.instance_counts(md) == {"Plant": 0, "Gate": 0, "System": 0}
    gate = md.object_definition("Gate")
    gate.add_attribute("Opening", "double")
    gate.add_attribute("Next", "link_one", target=gate)  # its own attributes go with it
    refused(ws, AccessDenied, "only admins", wb.ObjectDefinition(users["ana"], gate.id).delete)
    gate.delete()
    assert [od.name for od in md.object_definitions()] == ["Plant", "System"]
    with pytest.raises(NotFound):
        gate.refresh()


def test_an_object_definition_that_is_a_target_cannot_be_deleted(ws: wb.Workspace) -> None:
    md = ws.create_model_definition("Grid")
    plant = md.create_object_definition("Plant")
    system = md.create_object_definition("System")
    system.add_attribute("To_Plants", "ownership_many", target=plant)
    refused(
        ws,
        InvalidDefinition,
        r"'Plant' is the target of the attribute definitions System\.To_Plants; delete them",
        plant.delete,
    )
    system.attribute("To_Plants").delete()
    plant.delete()
    assert [od.name for od in md.object_definitions()] == ["System"]


def test_who_may_delete_an_accounts_object_definition(
    ws: wb.Workspace, users: dict[str, wb.Workspace]
) -> None:
    md = users["ana"].create_model_definition("Own")
    spare = md.create_object_definition("Spare")
    refused(ws, AccessDenied, "belongs to the account 'Acme'",
            wb.ObjectDefinition(users["max"], spare.id).delete)  # fmt: skip
    refused(ws, NotFound, "object definition not found",
            wb.ObjectDefinition(users["bob"], spare.id).delete)  # fmt: skip
    spare.delete()
    assert md.object_definitions() == []
