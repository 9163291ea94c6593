"""Benchmark of the browsing widgets on a 100,100-object model: open, expand, reveal, search, inspect.

Run ``python benchmarks/bench_widgets.py`` (a temporary SQLite file) or with
``--url postgresql+psycopg://host/db`` for a shared store. The model is the one of
``bench_model.py`` (100 areas of 1,000 plants). "Opening" is what a user waits for: the browser
reads the models, the root and its first level, and Panel builds the Bokeh models it sends.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench_model import _report, _store, build

import workbench as wb
from widgets import HierarchyBrowser, ObjectInspector

# The issue sets the opening target; the others are ours (a search walks every object).
TARGETS = {"open_s": 2.0, "expand_s": 0.5, "reveal_s": 0.5, "search_s": 3.0, "inspect_s": 0.5}


def _timed(call: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """The median time of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _on_fresh(ws: wb.Workspace, action: Callable[[HierarchyBrowser], object]) -> float:
    """The median time (seconds) of ``action`` on a just-opened browser, of 3."""
    times = []
    for _ in range(3):
        browser = _open(ws)
        t0 = time.perf_counter()
        action(browser)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _open(ws: wb.Workspace) -> HierarchyBrowser:
    browser = HierarchyBrowser(workspace=ws)
    browser.__panel__().get_root()  # the Bokeh models a browser would receive
    return browser


def _search(browser: HierarchyBrowser, query: str) -> int:
    browser.query = ""
    browser.query = query
    if browser.status.severity == "error":
        raise RuntimeError(browser.message)
    return len(browser.results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--per-area", type=int, default=1000)
    args = parser.parse_args(argv)
    missed = 0
    with _store(args.url) as ws:
        print(f"store: {ws.url}")
        model, _ = build(ws, args.areas, args.per_area, single=0)
        total = args.areas * (args.per_area + 1)
        print(f"model: {total:,} objects below the root")

        elapsed, browser = _timed(lambda: _open(ws))
        assert isinstance(browser, HierarchyBrowser)
        first = browser.tree.items[0]["items"]
        assert len(first) == args.areas, len(first)
        missed += _report(
            "open the browser (root + first level, median of 3)", elapsed, TARGETS["open_s"], "s"
        )

        middle = args.areas // 2
        area = model.children("To_Areas")[middle]
        elapsed = _on_fresh(ws, lambda b: b.open(area))
        missed += _report(
            f"open an area of {args.per_area:,} children", elapsed, TARGETS["expand_s"], "s"
        )
        plant = area.children()[-1]

        def reveal(b: HierarchyBrowser) -> None:
            b.selected = plant
            assert b.tree.value[0]["label"] == plant.name

        elapsed = _on_fresh(ws, reveal)
        missed += _report(
            "select the last plant of an area from outside", elapsed, TARGETS["reveal_s"], "s"
        )

        for query, what in (
            (f"P{middle:03d}_00*", "name glob"),
            ("{*}[.Type=Area]", "query"),
            (f"P{middle:03d}_", "part of a name"),
        ):
            elapsed, found = _timed(lambda q=query: _search(browser, q))
            label = f"search {query!r} ({what}, {found:,} found)"
            missed += _report(label, elapsed, TARGETS["search_s"], "s")

        elapsed, _ = _timed(lambda: ObjectInspector(workspace=ws, obj=plant))
        missed += _report("inspect a plant", elapsed, TARGETS["inspect_s"], "s")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
