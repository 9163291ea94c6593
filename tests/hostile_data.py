"""Hostile text written by tenants into every text field they own, for the hostile-text tests.

:func:`build_hostile` makes a shared store's cast: an admin-reader, a consultancy with a
consultant, and a tenant account with an account-admin (who writes the model definition: names
and descriptions of the definition, namespace, tag, object definition and attributes, and the
templates) and a plain member (who names objects and sensors, writes string values and local
expressions, and ingests beliefs under data sources named by payloads). Every payload tries to
set ``document.title`` to :data:`MARK` and ``window.__pwned``; a view that shows it as text
shows it literally instead.

Names refuse ``/``, ``.`` and control characters, so their payloads (:data:`NAMES`) do without;
descriptions, string values, comments in expressions and source names take anything
(:data:`FREE`), including control characters, a 10,000-character text and bidirectional marks.

:data:`REPORT_CELLS` is a report notebook that prints, plots and shows what the tenant wrote;
:func:`injected` finds what a browser would make into elements or scripts from the payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np
import pandas as pd

import workbench as wb

MARK = "PWNED"
_JS = "document['title']='PWNED';window['__pwned']=1"
_JS_DOTS = "document.title='PWNED';window.__pwned=1"

#: Payloads that fit a name (no '/', '.' or control characters; at most 200 characters).
NAMES = {
    "img": f'X<img src=x onerror="{_JS}">',
    "svg": f'<svg onload="{_JS}">S',
    "details": f'<details open ontoggle="{_JS}">D',
    "markdown": f"`code` **bold** [link](javascript:{_JS}) ``` <i>",
    "math": f"$$\\href{{javascript:{_JS}}}{{m}}$$ M",
    "entity": "&lt;b&gt;not bold&lt;&#47;b&gt; &amp; E",
    "unicode": "Zero\u200bwidth\u200djoined\ufeff Ünïcödé 名前",
    "attribute": f'" onmouseover="{_JS}" x=\'A',
}
#: Payloads for free text (descriptions, string values, expression comments, source names).
FREE = {
    "script": f"<script>{_JS_DOTS}</script>",
    "img": f'<img src=x onerror="{_JS_DOTS}">',
    "iframe": f"<iframe srcdoc=\"<script>parent.__pwned=1;parent.document.title='{MARK}'</script>\">",
    "link": f'<a href="javascript:{_JS_DOTS}">click me</a>',
    "fence": f'```\n</pre></code><img src=x onerror="{_JS_DOTS}">\n```',
    "style": "<style>*{visibility:hidden !important}</style>after style",
    "icon": ":material/verified: Verified by the admins",
    "math": "$$x^2$$ and \\(y\\) and $z$",
    "bidi": "abc\u202edcba\u202c \u2066iso\u2069 end",
    "control": "bell\x07 escape\x1b[31m red\x1b[0m tab\tend",
    "mxss": f'<math><mtext><table><mglyph><style><img src=x onerror="{_JS_DOTS}">',
}
LONG = ("<b>A</b>" * 1250)[:10_000]
#: The object definition and the string attribute named by payloads.
DEFINITION, NOTE = f"Def{NAMES['img']}", f"Note{NAMES['attribute']}"
#: An expression comment: a fence on a line of its own, a code span, a <pre> breakout.
COMMENT = f'/*\n```\n`x` </pre><img src=x onerror="{_JS_DOTS}">\n*/'

SECRET = "a secret only the hostile tests use"
READER, CONSULTANT, OWNER, MEMBER = (
    "reader@operators.example",
    "consultant@consultancy.example",
    "owner@tenant.example",
    "member@tenant.example",
)


@dataclass
class Hostile:
    """What :func:`build_hostile` made: ids to find it again, and the texts to look for."""

    url: str
    model: str
    obj: int  # the object carrying every hostile attribute
    sensor: int  # the sensor with beliefs from hostile sources
    empty: int  # a sensor without beliefs
    names: dict[str, str] = field(default_factory=dict)  # role of a name -> the name
    sources: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)


@contextmanager
def hostile_store(url: str, admin: str, secret: str) -> Iterator[Hostile]:
    """A new store at ``url`` (its first admin ``admin``) where a tenant wrote payloads everywhere."""
    workspace = wb.init_store(url, admin=admin, secret=secret)
    try:
        yield build_hostile(workspace, url)
    finally:
        workspace.engine.dispose()


def build_hostile(admin: wb.Workspace, url: str) -> Hostile:
    """Users and the tenant's hostile model on the store of ``admin`` (its first admin)."""
    admin.create_account("Consultancy")
    admin.create_account("Tenant", consultancy="Consultancy")
    admin.add_user(READER, "Operators", SECRET, ["admin-reader"])
    admin.add_user(CONSULTANT, "Consultancy", SECRET, ["consultant"])
    admin.add_user(OWNER, "Tenant", SECRET, ["account-admin"])
    admin.add_user(MEMBER, "Tenant", SECRET, [])
    owner = wb.connect(url, user=OWNER, secret=SECRET)
    member = wb.connect(url, user=MEMBER, secret=SECRET)
    try:
        model = _define(owner)
        return _populate(member, url, model)
    finally:
        owner.engine.dispose()
        member.engine.dispose()


def _define(ws: wb.Workspace) -> str:
    """The account-admin's model definition, written entirely in payloads; the model's name."""
    md = ws.create_model_definition(f"MD{NAMES['img']}", LONG)
    md.create_namespace(NAMES["details"], FREE["script"])
    md.create_tag(NAMES["svg"], FREE["img"])
    thing = md.create_object_definition(
        DEFINITION, NAMES["details"], tags=[NAMES["svg"]], description=FREE["iframe"]
    )
    thing.add_attribute(NOTE, "string", description=FREE["fence"])
    thing.add_attribute("Tags", "string", array=True, description=FREE["script"] + "\n" + LONG)
    thing.add_attribute("Long", "string", description=FREE["math"], tags=[NAMES["svg"]])
    thing.add_attribute("Kind", "string", allowed=[FREE["img"], FREE["icon"], "plain"])
    thing.add_attribute("Peers", "link_many", target=thing, description=FREE["link"])
    thing.add_attribute("Zone", "versioned_link_one", target=thing)
    thing.add_attribute("Flow", "timeseries", unit="MW", description=FREE["style"])
    thing.add_attribute("Calc", "timeseries", unit="MW", template=f"@t('.Flow') * 2 {COMMENT}")
    thing.add_attribute("Local", "timeseries", unit="MW", template="@t('.Flow')")
    thing.add_attribute("To_Things", "ownership_many", target=thing)
    root = md.create_object_definition("Root")
    root.add_attribute("To_Things", "ownership_many", target=thing)
    name = NAMES["markdown"]
    ws.create_model(name, md, "Root", account="Tenant")
    return name


def _populate(ws: wb.Workspace, url: str, model_name: str) -> Hostile:
    """The member's objects, values, expressions, sensors and beliefs."""
    model = next(m for m in ws.models() if m.name == model_name)
    main, *others = model.add_children(
        "To_Things", [NAMES["img"], NAMES["svg"], NAMES["entity"], NAMES["unicode"]], DEFINITION
    )
    main[NOTE] = FREE["mxss"]
    main["Tags"] = [FREE[k] for k in ("img", "link", "control", "icon", "bidi", "script")]
    main["Long"] = LONG
    main["Kind"] = FREE["img"]
    main.set_links("Peers", others[:2])
    main.add_link_version("Zone", others[2], "2024-01-01T00:00Z")
    main.add_child("To_Things", NAMES["math"], DEFINITION)
    main["Local"] = f"@t('.Flow') * 3 {COMMENT}"
    sensor = main.add_sensor(
        f"S{NAMES['img']}",
        unit="MW",
        resolution="1h",
        catalog_path=f"{NAMES['details']}/{NAMES['markdown']}",
        attributes={"note": FREE["script"], "list": [FREE["img"]]},
    )
    main["Flow"] = sensor
    empty = main.add_sensor(f"Empty{NAMES['svg']}", unit="MW", catalog_path=NAMES["details"])
    sources = _beliefs(sensor)
    return Hostile(
        url=url,
        model=model_name,
        obj=main.id,
        sensor=sensor.id,
        empty=empty.id,
        names={
            "model": model_name,
            "object": NAMES["img"],
            "definition": DEFINITION,
            "namespace": NAMES["details"],
            "tag": NAMES["svg"],
            "sensor": f"S{NAMES['img']}",
            "empty": f"Empty{NAMES['svg']}",
            "peer": NAMES["svg"],
            "zone": NAMES["unicode"],
            "child": NAMES["math"],
        },
        sources=sources,
        strings=[FREE[k] for k in ("img", "link", "icon", "script")],
    )


def _beliefs(sensor: wb.Sensor) -> list[str]:
    """A day of hourly measurements and two forecasts, under sources named by payloads."""
    hours = pd.date_range("2025-03-03", periods=24, freq="1h", tz="UTC")
    values = 10 + 5 * np.sin(np.arange(24) * 2 * np.pi / 24)
    meter, forecaster = FREE["img"], f"{FREE['script']} {FREE['icon']}"
    sensor.ingest(
        pd.Series(values, index=hours), source=meter, source_type="meter", horizon="-PT1H"
    )
    for ahead, bias in (("PT24H", 2.0), ("PT6H", 0.5)):
        sensor.ingest(
            pd.Series(values + bias, index=hours),
            source=forecaster,
            source_type="forecaster",
            horizon=ahead,
        )
    return [meter, forecaster]


#: The notebook of the hostile report: it prints, plots and shows what the tenant wrote.
REPORT_CELLS = (
    """\
import os
import holoviews as hv
import panel as pn
import workbench as wb
hv.extension("bokeh", inline=True)
pn.extension(inline=True)
ws = wb.connect(user=os.environ["WORKBENCH_USER"], secret=os.environ["WORKBENCH_SECRET"])
sensor = ws.sensor(sensor_id)
ds = sensor.beliefs()
sources = sorted({str(s) for s in ds["source"].values})
""",
    "print(sensor.name)\nprint(sensor.full_name)\nprint(sources)",
    "ds",
    "hv.Overlay([hv.Curve(([0, 1], [1, 2]), label=s) for s in sources]).opts(title=sensor.name)",
    "pn.Column(pn.widgets.Select(options=sources), pn.widgets.TextInput(value=sensor.name))",
)


# -- what a browser would make of a page -----------------------------------------------------------


class _Injected(HTMLParser):
    """Elements a browser would make from the payloads: tags (outside scripts) whose attributes
    carry their marker, and scripts of their own (which start by setting it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._script = tag == "script"
        if any(MARKER in (v or "") for _, v in attrs):
            self.found.append(self.get_starttag_text() or tag)

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and MARKER in data and data.lstrip().startswith(_PAYLOAD_JS):
            self.found.append(f"<script>{data}")


MARKER = "__pwned"
_PAYLOAD_JS = ("document", "window", "parent")


def injected(page: str) -> list[str]:
    """What in ``page`` a browser would turn into elements or scripts from the payloads."""
    finder = _Injected()
    finder.feed(page)
    finder.close()
    return finder.found
