"""Benchmark of the search language over a 100,100-object model, on SQLite and PostgreSQL.

Run ``python benchmarks/bench_search.py``: it builds the model (100 areas of 1,000 power plants,
one plant in 100 with a capacity above 5 MW) on a temporary SQLite file and in a throwaway
schema of the PostgreSQL test database, then times searches from the model's root as the admin
and as a member of one of two tenants sharing the model. ``--url URL`` runs on one store only
(a model built there before is reused); ``--walk`` also times the level-by-level walk (the
search without the store's one-query descendants) and checks both give the same results.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from tqdm import tqdm

import workbench as wb

TARGET_S = 0.5  # the target, for every search but the one returning 100,000 attributes
PG_URL = os.environ.get(
    "WORKBENCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN, MEMBER, SECRET = "bench@operators.example", "bench@tenant-a.example", "benchmark only"
MODEL = "SearchBench"


def _searches(areas: int) -> list[tuple[str, str, str]]:
    """(start, query, what it is); the widget's search box sends the name forms from the root."""
    middle = f"P{areas // 2:03d}"
    area = f"Area{areas // 2:03d}"  # an even area: Tenant A's
    return [
        ("", "{*}[.Name~'*P5*']", "text contains (nothing found)"),
        ("", "{*}[.Type=PowerPlant && .Capacity>5]", "type and attribute"),
        ("", f'{{*}}[.Name#"{middle}_00.*"]{{i}}', "name glob"),
        ("", f'{{*}}[.Name~"{middle}_"]{{i}}', "part of a name"),
        ("", "{*}[.Type=Area]", "type"),
        (area, "{+}[.Capacity>5]", "attribute, below an area"),
        ("", "{+}[.Type=PowerPlant].Capacity", "attributes of every plant"),
    ]


def _stores(url: str | None) -> Iterator[str]:
    """Store URLs: ``url`` itself, or a temporary SQLite file and a throwaway PostgreSQL schema."""
    if url is not None:
        yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        pg = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield pg.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _open(url: str) -> tuple[wb.Workspace, wb.Workspace]:
    """The admin's and the tenant member's workspaces, making the store and users if new."""
    try:
        admin = wb.init_store(url, admin=ADMIN, secret=SECRET)
    except wb.AccessDenied:  # a store made by an earlier run
        admin = wb.connect(url, user=ADMIN, secret=SECRET)
    if "Tenant A" not in {a.name for a in admin.accounts()}:
        admin.create_account("Tenant A")
        admin.create_account("Tenant B")
        admin.add_user(MEMBER, "Tenant A", SECRET)
    return admin, wb.connect(url, user=MEMBER, secret=SECRET)


def build(ws: wb.Workspace, areas: int, per_area: int) -> wb.Object:
    """The model: a system of ``areas`` areas with ``per_area`` plants each, in Tenant A.

    Every other area (and its plants) is then given to Tenant B, as an import or a direct
    load into the store can leave a model shared by tenants.
    """
    md = ws.create_model_definition(MODEL)
    plant = md.create_object_definition("PowerPlant")
    plant.add_attribute("Capacity", "double", unit="MW", minimum=0.0, default=1.0)
    area = md.create_object_definition("Area")
    area.add_attribute("To_Plants", "ownership_many", target=plant)
    system = md.create_object_definition("System")
    system.add_attribute("To_Areas", "ownership_many", target=area)
    model = ws.create_model(MODEL, definition=md, root_type=system, account="Tenant A")
    with tqdm(total=areas * (per_area + 1), unit="obj", desc="build") as bar:
        for i in range(areas):
            with ws.transaction():
                parent = model.add_child("To_Areas", f"Area{i:03d}", area)
                names = [f"P{i:03d}_{j:04d}" for j in range(per_area)]
                plants = parent.add_children("To_Plants", names, plant)
                for j in range(0, per_area, 100):
                    plants[j]["Capacity"] = 10.0 + j / 100
            bar.update(per_area + 1)
    _share(ws, model)
    return model


def _share(ws: wb.Workspace, model: wb.Object) -> None:
    """Give every other area's subtree to Tenant B (straight in the store)."""
    tenant_b = next(a.id for a in ws.accounts() if a.name == "Tenant B")
    moved = [a.id for a in model.children("To_Areas")[1::2]]
    objects = sa.table("objects", sa.column("id"), sa.column("parent_id"), sa.column("account_id"))
    with ws.engine.begin() as conn:
        conn.execute(
            sa.update(objects)
            .where(objects.c.id.in_(moved) | objects.c.parent_id.in_(moved))
            .values(account_id=tenant_b)
        )


def _timed(call: Callable[[], list[Any]], repeat: int) -> tuple[float, list[Any]]:
    """The median time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _key(found: list[object]) -> list[str]:
    return [str(getattr(x, "full_name", x)) for x in found]


def _walk(ws: wb.Workspace, start: wb.Object, query: str) -> list[object]:
    """The same search, walking ``{*}`` and ``{+}`` level by level."""
    from workbench.api.handles.objects import search_handles as search

    return list(search(ws, start, query, subtrees=False))


def run(url: str, areas: int, per_area: int, walk: bool, repeat: int) -> int:
    """Build (or reuse) the model on ``url`` and print the figures; returns the misses."""
    admin, member = _open(url)
    print(f"store: {admin.url}")
    try:
        model = admin.object(f"Model/{MODEL}")
        print(f"model: reused, {len(model.children()):,} areas")
    except wb.NotFound:
        t0 = time.perf_counter()
        model = build(admin, areas, per_area)
        print(f"model: built in {time.perf_counter() - t0:.1f} s")
    missed = 0
    for who, ws in (("admin", admin), ("member", member)):
        for where, query, what in _searches(areas):
            start = ws.object(f"Model/{MODEL}/{where}".rstrip("/"))
            elapsed, found = _timed(lambda w=ws, o=start, q=query: list(w.search(o, q)), repeat)
            ok = elapsed < TARGET_S or "every" in what  # 100,000 handles: no target
            missed += not ok
            line = f"{who:<6} {where or MODEL:<11} {query:<40} {len(found):>7,}  {elapsed:6.3f} s"
            if walk:
                slow, same = _timed(lambda w=ws, o=start, q=query: _walk(w, o, q), 1)
                assert _key(same) == _key(found), f"the walk disagrees on {query!r}"
                line += f"  walk {slow:6.3f} s ({slow / elapsed:5.1f}x)"
            print(f"{line}  {'met' if ok else 'MISSED'}  ({what})")
    for ws in (admin, member):
        ws.engine.dispose()
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="one store URL (default: temporary SQLite and PostgreSQL)")
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--per-area", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per search (median)")
    parser.add_argument("--walk", action="store_true", help="also time the level-by-level walk")
    args = parser.parse_args(argv)
    print(f"target: every search under {TARGET_S} s (median of {args.repeat})")
    missed = 0
    for url in _stores(args.url):
        missed += run(url, args.areas, args.per_area, args.walk, args.repeat)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
