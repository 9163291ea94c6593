"""Tenancy of model definitions and model names, and changing an account's consultancy.

Model definitions belong to an account or are shared by the store: a shared one is read by
everyone and changed by admins only; an account's is read as the account is and changed by its
account-admins, its consultancy's consultants and admins. Names (of definitions and of models)
are unique per account, so a clash never reveals another tenant's. Only admins change an
account's consultancy. Each rule on SQLite and PostgreSQL; a refused call leaves every table as it
was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from conftest import attr, build_definition, plants, refused

import workbench as wb
from workbench.api import accounts as acc

PASSWORD = "a fairly long secret"
USERS = {  # name -> (e-mail, account, roles)
    "boss": ("boss@acme.example", "Acme", ["account-admin"]),
    "member": ("member@acme.example", "Acme", []),
    "adviser": ("adviser@consult.example", "Consult", ["consultant"]),
    "reader": ("reader@operators.example", "Operators", ["admin-reader"]),
    "rival": ("boss@beta.example", "Beta", ["account-admin"]),
}


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def as_user(ws: wb.Workspace) -> Iterator[dict[str, wb.Workspace]]:
    """Acme (a client of Consult), Beta and Operators; a workspace per user of USERS."""
    acc.create_account(ws, "Consult")
    acc.create_account(ws, "Acme", consultancy="Consult")
    acc.create_account(ws, "Beta")  # the admin's account, Operators, is there already
    opened = {}
    for name, (email, account, roles) in USERS.items():
        acc.add_user(ws, email, account, PASSWORD, roles)
        opened[name] = wb.connect(ws.url, user=email, secret=PASSWORD)
    yield opened
    for other in opened.values():
        other.engine.dispose()


def _grid(ws: wb.Workspace, name: str = "Grid") -> wb.ModelDefinition:
    md = build_definition(ws, name, plants({"Power": attr("double", unit="MW")})).definition
    md.create_tag("hydro")
    md.create_attribute_type("Level", "double", unit="masl")
    md.create_template_calculation("Twice", "@t('.Flow') * 2")
    return md


def _changes(md: wb.ModelDefinition) -> list[Callable[[], Any]]:
    """One change of each kind of definition element."""
    plant = md.object_definition("Plant")
    return [
        lambda: md.rename("Renamed"),
        lambda: md.set_metadata("ui", {"colour": "red"}),
        lambda: md.create_object_definition("Dam"),
        lambda: md.create_namespace("Hydro"),
        lambda: md.create_tag("wind"),
        lambda: md.create_attribute_type("Flow", "double"),
        lambda: md.create_template_calculation("Thrice", "@t('.Flow') * 3"),
        lambda: md.attribute_type("Level").set_unit("m"),
        lambda: md.attribute_type("Level").set_tags(["hydro"]),
        lambda: md.create_attribute_type("Head", "double", namespace="Hydro", tags=["hydro"]),
        lambda: plant.attribute("Power").set_tags(["hydro"]),
        lambda: md.attribute_type("Level").rename("Height"),
        lambda: md.template_calculation("Twice").set_expression("@t('.Flow') * 4"),
        lambda: plant.add_attribute("Head", "double"),
        lambda: plant.rename("Station"),
        lambda: plant.attribute("Power").set_unit("kW"),
        lambda: md.delete(),
    ]


def _handle(ws: wb.Workspace, md: wb.ModelDefinition) -> wb.ModelDefinition:
    """The same definition as seen through another user's workspace."""
    return wb.ModelDefinition(ws, md.id)


# -- shared definitions ---------------------------------------------------------------------


def test_a_shared_definition_is_read_by_all_and_changed_by_admins_only(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    md = _grid(ws)
    assert (md.account, md.account_id) == (None, None)
    for name, other in as_user.items():
        assert [d.name for d in other.model_definitions()] == ["Grid"], name
        seen = other.model_definition("Grid")
        assert seen.object_definition("Plant").attribute("Power").unit == "MW"
        for change in _changes(_handle(other, md)):
            refused(ws, wb.AccessDenied, "shared by the whole store, and only admins", change)
    for change in _changes(md):  # the admin may make every one of them
        change()
    assert ws.model_definitions() == []


# -- an account's definitions ---------------------------------------------------------------


def test_an_account_admin_makes_definitions_of_their_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    md = _grid(as_user["boss"])
    assert (md.account, md.account_id) == ("Acme", acc.get_account(ws, "Acme").id)
    for name in ("boss", "member", "adviser", "reader"):
        assert [d.name for d in as_user[name].model_definitions()] == ["Grid"], name
        assert as_user[name].model_definition(md.id).name == "Grid"
    rival = as_user["rival"]
    assert rival.model_definitions() == []
    for key in ("Grid", md.id):
        with pytest.raises(wb.NotFound, match="model definition not found"):
            rival.model_definition(key)
    hidden = _handle(rival, md)
    for read in (lambda: hidden.name, hidden.object_definitions, hidden.tags):
        with pytest.raises(wb.NotFound, match="model definition not found"):
            read()
    plant_id = md.object_definition("Plant").id
    with pytest.raises(wb.NotFound, match=f"object definition not found: {plant_id}"):
        _ = wb.ObjectDefinition(rival, plant_id).name


@pytest.mark.parametrize("who", ["member", "reader", "rival"])
def test_who_may_not_change_an_accounts_definition(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace], who: str
) -> None:
    md = _grid(as_user["boss"])
    error, message = (
        (wb.NotFound, "not found") if who == "rival" else (wb.AccessDenied, "belongs to the ac")
    )
    for change in _changes(_handle(as_user[who], md)):
        refused(ws, error, message, change)


@pytest.mark.parametrize("who", ["boss", "adviser", "admin"])
def test_who_may_change_an_accounts_definition(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace], who: str
) -> None:
    md = _grid(as_user["boss"])
    actor = ws if who == "admin" else as_user[who]
    for change in _changes(_handle(actor, md)):
        change()
    assert as_user["boss"].model_definitions() == []


def test_who_may_create_definitions_for_which_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    assert as_user["adviser"].create_model_definition("ForAcme", account="Acme").account == "Acme"
    assert ws.create_model_definition("ForBeta", account="Beta").account == "Beta"
    member, adviser, boss = as_user["member"], as_user["adviser"], as_user["boss"]
    refused(
        ws,
        wb.AccessDenied,
        "member@acme.example may not create model definitions for the account 'Acme'",
        lambda: member.create_model_definition("Mine"),
    )
    refused(
        ws,
        wb.AccessDenied,
        "reader@operators.example may not create model definitions for the account 'Operators'",
        lambda: as_user["reader"].create_model_definition("Mine"),
    )
    refused(
        ws,
        wb.AccessDenied,
        "adviser@consult.example may not create model definitions for the account 'Consult'",
        lambda: adviser.create_model_definition("Own"),
    )
    refused(
        ws,
        wb.NotFound,
        "account not found: 'Beta'",
        lambda: boss.create_model_definition("Theirs", account="Beta"),
    )


# -- names --------------------------------------------------------------------------------


def test_definition_names_are_unique_per_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    boss, rival = as_user["boss"], as_user["rival"]
    acme = boss.create_model_definition("Grid")
    beta = rival.create_model_definition("Grid")  # Beta's Grid is no business of Acme's
    refused(
        ws,
        wb.InvalidDefinition,
        "'Grid' already exists",
        lambda: boss.create_model_definition("Grid"),
    )
    ws.create_model_definition("Shared")
    refused(
        ws,
        wb.InvalidDefinition,
        "'Shared' already exists",
        lambda: boss.create_model_definition("Shared"),
    )
    refused(ws, wb.InvalidDefinition, "'Shared' already exists", lambda: acme.rename("Shared"))
    refused(
        ws,
        wb.InvalidDefinition,
        "'Grid' already exists",
        lambda: ws.create_model_definition("Grid"),
    )  # a shared one: every name counts
    # the admin sees both Grids: the name is ambiguous, the ids are not
    with pytest.raises(wb.InvalidValue, match=rf"several accounts .* id {acme.id} \(Acme\)"):
        ws.model_definition("Grid")
    assert ws.model_definition(beta.id).account == "Beta"
    assert boss.model_definition("Grid") == acme and rival.model_definition("Grid") == beta


def test_model_names_are_unique_per_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    _grid(ws)
    boss, rival = as_user["boss"], as_user["rival"]
    acme = boss.create_model("Sys", "Grid", "System", account="Acme")
    beta = rival.create_model("Sys", "Grid", "System", account="Beta")  # reveals nothing
    assert acme.id != beta.id and rival.object("Model/Sys") == beta
    refused(
        ws,
        wb.InvalidValue,
        "a model named 'Sys' already exists",
        lambda: boss.create_model("Sys", "Grid", "System", account="Acme"),
    )
    other = boss.create_model("Other", "Grid", "System", account="Acme")
    refused(ws, wb.InvalidValue, "a model named 'Sys' already exists", lambda: other.rename("Sys"))
    ws.create_model("Public", "Grid", "System")
    refused(
        ws,
        wb.InvalidValue,
        "a model named 'Public' already exists",
        lambda: rival.create_model("Public", "Grid", "System", account="Beta"),
    )
    refused(
        ws,
        wb.InvalidValue,
        "a model named 'Sys' already exists",
        lambda: ws.create_model("Sys", "Grid", "System"),
    )  # public: every name counts
    beta.rename("Sys2")
    beta.rename("Sys")
    # who reads both accounts finds two models of one name: ambiguous by path, plain by id
    with pytest.raises(wb.AmbiguousPath):
        ws.object("Model/Sys")
    assert ws.object(acme.id).name == ws.object(beta.id).name == "Sys"


DAY = ("2025-01-01T00:00Z", "2025-01-02T00:00Z")


def _plant(ws: wb.Workspace, account: str | None, value: float) -> wb.Object:
    """A model of ``account`` (or public) with a plant whose sensor ``flow`` reads ``value`` MW
    all day."""
    model = ws.create_model(f"Sys{account or ''}", "Grid", "System", account=account)
    plant = model.add_child("To_Plants", "P", "Plant")
    sensor = plant.add_sensor("flow", unit="MW", resolution="1h")
    index = pd.date_range(DAY[0], periods=24, freq="1h")
    sensor.ingest(pd.Series(value, index=index), source="meter", belief_time="2025-01-03T00:00Z")
    return plant


def test_virtual_series_names_are_unique_per_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    _grid(ws)
    boss, member, rival, adviser = (as_user[n] for n in ("boss", "member", "rival", "adviser"))
    acme_plant, beta_plant = _plant(boss, "Acme", 1.0), _plant(rival, "Beta", 2.0)
    public_plant = _plant(ws, None, 3.0)

    def create(who: wb.Workspace, name: str, plant: wb.Object, **kw: Any) -> wb.VirtualSeries:
        return who.create_virtual_series(
            name, "@t(':flow')", catalog_path="Hydro", relative_to=plant.id, **kw
        )

    beta = create(rival, "Total", beta_plant, unit="kW")
    acme = create(member, "Total", acme_plant)  # Beta's Total is no business of Acme's
    assert (acme.account_id, beta.account_id) == (boss.principal.account_id, beta.account_id)
    assert member.virtual_series("Hydro/Total") == acme
    assert rival.virtual_series("Catalog/Hydro/Total") == beta
    already = "the catalog folder 'Hydro' already holds 'Total'"
    refused(ws, wb.InvalidValue, already, lambda: create(boss, "Total", acme_plant))
    create(ws, "Shared", public_plant)  # a public one: every account's name counts, and it...
    refused(
        ws, wb.InvalidValue, "already holds 'Shared'", lambda: create(rival, "Shared", beta_plant)
    )
    refused(ws, wb.InvalidValue, already, lambda: create(ws, "Total", public_plant))
    # who reads both accounts finds two series at one path: ambiguous by path, plain by id
    for reader in (ws, as_user["reader"]):
        with pytest.raises(
            wb.InvalidValue,
            match=rf"several accounts .*: id {beta.id} \(Beta\), id {acme.id} \(Acme\)",
        ):
            reader.virtual_series("Hydro/Total")
    assert adviser.virtual_series("Hydro/Total") == acme  # Consult reads Acme, not Beta
    # each series keeps its own unit and values, whoever reads it
    assert (ws.virtual_series(acme.id).unit, ws.virtual_series(beta.id).unit) == ("MW", "kW")
    for series, value in ((acme, 1.0), (beta, 2000.0)):
        ds = ws.virtual_series(series.id).beliefs(*DAY)
        assert ds["value"].values.ravel().tolist() == [value] * 24, series
    assert len(ws.evaluate("@T('Catalog/Hydro/Total')", *DAY)) == 2
    assert len(member.evaluate("@T('Catalog/Hydro/Total')", *DAY)) == 1


def test_an_admin_saves_a_virtual_series_in_its_own_unit_beside_another_accounts(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    _grid(ws)
    admins = {"Acme": as_user["boss"], "Beta": as_user["rival"]}
    plants = {
        "Acme": _plant(admins["Acme"], "Acme", 1.0),
        "Beta": _plant(admins["Beta"], "Beta", 2.0),
    }
    pairs = (("Acme", "Beta"), ("Beta", "Acme"))
    for owner, _ in pairs:  # each account holds FromAcme / FromBeta, in kW
        admins[owner].create_virtual_series(
            f"From{owner}", "@t(':flow') * 2", catalog_path="F", unit="kW",
            relative_to=plants[owner].id,
        )  # fmt: skip
    # the admin saves one of the same name in the other account without a unit: it gets its own
    # unit, whether the path names the other account's series first or last
    for owner, other in pairs:
        mine = ws.create_virtual_series(
            f"From{other}", "@t(':flow')", catalog_path="F", relative_to=plants[owner].id
        )
        assert (mine.unit, mine.account_id) == ("MW", plants[owner].account_id)
        mine.set_expression("@t(':flow') * 3", unit="W")
        expected = 3e6 * (1.0 if owner == "Acme" else 2.0)
        assert (
            ws.virtual_series(mine.id).beliefs(*DAY)["value"].values.ravel().tolist()
            == [expected] * 24
        )


def test_a_model_is_built_on_a_definition_its_readers_can_read(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    md = _grid(as_user["boss"])
    refused(
        ws,
        wb.InvalidValue,
        "belongs to an account of its own; a model of another account",
        lambda: ws.create_model("B", md, "System", account="Beta"),
    )
    refused(
        ws,
        wb.InvalidValue,
        "a public model must be built on a shared definition",
        lambda: ws.create_model("P", md, "System"),
    )
    model = as_user["boss"].create_model("Sys", md, "System", account="Acme")
    assert as_user["member"].object("Model/Sys").definition.model_definition == md
    refused(ws, wb.InvalidValue, "still owns 1 model", lambda: acc.delete_account(ws, "Acme"))
    model.delete(recursive=True)
    refused(
        ws, wb.InvalidValue, "still owns 1 model definition", lambda: acc.delete_account(ws, "Acme")
    )


def test_import_a_definition_into_an_account(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    data = wb.export_definition(_grid(ws, "Template"))
    data["name"] = "Grid"
    mine = wb.import_definition(as_user["boss"], data)
    assert mine.account == "Acme"
    assert wb.export_definition(mine) == data
    theirs = wb.import_definition(ws, data, account="Beta")
    assert theirs.account == "Beta" and as_user["rival"].model_definition("Grid") == theirs
    refused(
        ws,
        wb.AccessDenied,
        "may not create model definitions for the account 'Acme'",
        lambda: wb.import_definition(as_user["member"], {**data, "name": "X"}),
    )


# -- consultancies --------------------------------------------------------------------------


def test_admins_change_an_accounts_consultancy(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    _grid(ws)
    ws.create_model("BetaSys", "Grid", "System", account="Beta")
    adviser = as_user["adviser"]
    with pytest.raises(wb.NotFound):
        adviser.object("Model/BetaSys")
    info = ws.set_consultancy("Beta", "Consult")
    assert (info.name, info.consultancy) == ("Beta", "Consult")
    assert adviser.object("Model/BetaSys").name == "BetaSys"  # the next call sees the change
    assert acc.get_account(ws, "Beta").consultancy == "Consult"
    assert ws.set_consultancy("Beta", None).consultancy is None
    with pytest.raises(wb.NotFound):
        adviser.object("Model/BetaSys")


def test_changing_a_consultancy_is_refused(
    ws: wb.Workspace, as_user: dict[str, wb.Workspace]
) -> None:
    for who in ("boss", "adviser", "reader"):
        refused(
            ws,
            wb.AccessDenied,
            "may not change the consultancy of the account 'Acme'",
            lambda w=as_user[who]: w.set_consultancy("Acme", None),
        )
    refused(
        ws,
        wb.NotFound,
        "account not found: 'Acme'",
        lambda: as_user["rival"].set_consultancy("Acme", "Beta"),
    )
    refused(
        ws,
        wb.InvalidValue,
        "cannot be its own consultancy",
        lambda: ws.set_consultancy("Beta", "Beta"),
    )
    refused(
        ws,
        wb.InvalidValue,
        "'Acme' is a client of 'Consult', so it cannot also be",
        lambda: ws.set_consultancy("Consult", "Acme"),
    )
    refused(
        ws,
        wb.NotFound,
        "account not found: 'Nowhere'",
        lambda: ws.set_consultancy("Beta", "Nowhere"),
    )
