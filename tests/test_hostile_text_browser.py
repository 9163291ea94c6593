"""Hostile text in Chromium: on a shared store, tenant-written payloads never run, and show.

The dashboard of a PostgreSQL store whose tenant wrote payloads into every text field
(:mod:`hostile_data`) is served once; an admin-reader, a consultant and the member each sign
in through the form and open every view: the tree (models, objects, definitions, catalog
folders, sensors), the inspector of the hostile object and of its sensor (names, cards,
descriptions, string values, expressions, links), the belief and accuracy tabs (data sources,
the "holds no beliefs" alert), the search box and a refused sign-in. After each step nothing
may have run (``document.title`` and ``window.__pwned`` are the payloads' markers), no element
may carry a payload in a handler or link attribute, and the payloads are found as text. A
report run on the same store is opened too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import chromium_page, require_chromium, served_dashboard, shot
from conftest import ADMIN, postgres_schema
from conftest import SECRET as ADMIN_SECRET
from hostile_data import (
    CONSULTANT,
    FREE,
    MARK,
    MEMBER,
    READER,
    REPORT_CELLS,
    SECRET,
    Hostile,
    hostile_store,
)
from report_support import write_notebook

from workbench.reports import run_report

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres]

WAIT = 20_000  # ms
#: The page read as a visitor sees it, piercing shadow roots: its title, the payloads' marker,
#: its text (text nodes outside scripts and styles, and the values of fields), and elements
#: whose handler or link attributes carry a payload.
PAGE_JS = """() => {
  const texts = [], bad = [];
  const risky = /^(on|href$|src$|srcdoc$|action$|formaction$|xlink:href$)/i;
  const visit = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { texts.push(node.data); return; }
    if (node.nodeType === Node.ELEMENT_NODE) {
      for (const a of node.attributes)
        if (risky.test(a.name) && /pwned/i.test(a.value)) bad.push(node.outerHTML.slice(0, 200));
      if (node.tagName === "SCRIPT" && /^\\s*(document|window|parent)/.test(node.textContent))
        bad.push(node.outerHTML.slice(0, 200));
      if (["SCRIPT", "STYLE", "TEMPLATE"].includes(node.tagName)) return;
      if (["INPUT", "TEXTAREA"].includes(node.tagName)) texts.push(node.value);
      if (node.shadowRoot) visit(node.shadowRoot);
    }
    for (const child of node.childNodes) visit(child);
  };
  visit(document);
  return {title: document.title, pwned: window.__pwned ?? null, text: texts.join("\\n"), bad};
}"""


def _normal(text: str) -> str:
    return " ".join(text.replace("\u2060", "").split())


def check(page: Any, step: str, *payloads: str) -> None:
    """Nothing ran, no element carries a payload, and ``payloads`` are shown as text (which
    may take the page a moment)."""
    page.wait_for_timeout(300)  # an image's error, an SVG's load, a toggle: they fire quickly
    for _ in range(40):
        seen = page.evaluate(PAGE_JS)
        if seen["title"] == MARK or seen["pwned"] is not None or seen["bad"]:
            shot(page, f"ran-{step}")
        assert seen["title"] != MARK and seen["pwned"] is None, f"a payload ran at {step}"
        assert seen["bad"] == [], f"{step}: {seen['bad']}"
        shown = _normal(seen["text"])
        missing = [p for p in payloads if _normal(p) not in shown]
        if not missing:
            return
        page.wait_for_timeout(250)
    shot(page, f"missing-{step}")
    raise AssertionError(f"{step}: not shown as text: {missing}")


def tree_label(page: Any, text: str, within: Any = None) -> Any:
    """The label of the tree node called exactly ``text`` (names may hold any regex syntax)."""
    labels = (within or page).locator("[role=treeitem] p")
    for _ in range(WAIT // 200):
        found = labels.evaluate_all("(els, t) => els.findIndex(e => e.textContent === t)", text)
        if found >= 0:
            return labels.nth(found)
        page.wait_for_timeout(200)
    shot(page, "no-node")
    raise AssertionError(f"no tree node {text!r}")


def walk(page: Any, *names: str) -> Any:
    """Open the tree along ``names`` (from a root), clicking chevrons; the last node's label."""
    label = tree_label(page, names[0])
    for name in names[1:]:
        item = label.locator("xpath=../../../..")  # text, box, label, content row, tree item
        if item.get_attribute("aria-expanded") != "true":
            label.locator("xpath=../../..").locator("svg").first.click()
        label = tree_label(page, name, item.locator("[role=group]"))
    return label


def text_of(page: Any, text: str, exact: bool = False) -> Any:
    return page.get_by_text(text, exact=exact).first


@pytest.fixture(scope="module")
def shared() -> Iterator[Hostile]:
    require_chromium()
    with postgres_schema() as url, hostile_store(url, ADMIN, ADMIN_SECRET) as made:
        yield made


@pytest.fixture(scope="module")
def served(shared: Hostile) -> Iterator[Any]:
    with served_dashboard(shared.url) as app:
        yield app


def sign_in(page: Any, user: str, secret: str) -> None:
    page.get_by_label("User (e-mail)").fill(user)
    page.get_by_label("Secret").fill(secret)
    page.get_by_role("button", name="Sign in").click()


def open_every_view(page: Any, hostile: Hostile, editor: bool) -> None:
    """Tree, inspector, beliefs, accuracy, catalog and search, checked at every step.

    A user who may edit sees descriptions of simple attributes as their fields' tooltips.
    """
    names = hostile.names
    described = [] if editor else [FREE["fence"]]
    tree_label(page, names["model"]).wait_for(timeout=WAIT)
    check(page, "tree", names["model"], names["object"], names["peer"], names["zone"])
    walk(page, names["model"], names["object"]).click()
    check(
        page, "inspector", names["object"], names["definition"], names["tag"],
        f"{names['namespace']} · {names['tag']}", *described, FREE["mxss"], FREE["link"],
        FREE["style"], *hostile.strings, names["sensor"],
    )  # fmt: skip
    page.get_by_role("heading", name=names["object"]).first.wait_for(timeout=WAIT)
    check(page, "beliefs", *hostile.sources)
    text_of(page, "Accuracy", exact=True).click()  # the tab
    text_of(page, "holds no beliefs").wait_for(timeout=WAIT)
    check(page, "accuracy-empty", names["empty"], names["object"])
    walk(page, "Resource catalog", names["namespace"], names["model"], names["sensor"]).click()
    check(page, "sensor", names["sensor"], repr(FREE["script"]), *hostile.sources)
    page.get_by_role("heading", name=names["sensor"]).first.wait_for(timeout=WAIT)
    text_of(page, "horizon_hours", exact=True).wait_for(timeout=WAIT)  # the accuracy table
    search = page.get_by_label("Search")
    search.fill("X<img")
    search.press("Enter")
    text_of(page, "found").wait_for(timeout=WAIT)
    check(page, "search-hits", names["object"])
    search.fill(names["object"])
    search.press("Enter")
    page.wait_for_timeout(1000)
    check(page, "search-error", names["object"])


@pytest.mark.parametrize("user", [READER, CONSULTANT, MEMBER])
def test_no_payload_runs_and_every_one_shows_as_text(
    served: Any, shared: Hostile, user: str, tmp_path: Path
) -> None:
    with chromium_page(tmp_path) as page:
        page.goto(served.url)
        page.get_by_text("Sign in to").wait_for(timeout=WAIT)
        if user == READER:  # a refused name is shown back: as text
            refused = f"{FREE['img']}@tenant.example"
            sign_in(page, refused, "not the secret")
            text_of(page, "does not match").wait_for(timeout=WAIT)
            check(page, "refused-sign-in", refused)
        sign_in(page, user, SECRET)
        open_every_view(page, shared, editor=user != READER)
        assert page.outside == [], f"requests left this machine: {page.outside}"


def test_a_report_of_the_store_runs_no_payload(shared: Hostile, tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "hostile.ipynb", *REPORT_CELLS, params="sensor_id = 0")
    made = run_report(
        notebook, parameters=[f"sensor_id={shared.sensor}"], store=shared.url, user=MEMBER,
        secret=SECRET,
    )  # fmt: skip
    page_file = made.write(tmp_path / "hostile.html")
    with chromium_page(tmp_path) as page:
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=WAIT)
        page.locator(".bk-Canvas, canvas").first.wait_for(timeout=WAIT)  # the plots still draw
        check(page, "report", shared.names["sensor"], *(repr(s)[1:-1] for s in shared.sources))
        assert [u for u in page.outside if not u.startswith("file:")] == []
