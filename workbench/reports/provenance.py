"""The provenance of a report: what ran, pinned to when, against which store, and what it read.

A :class:`Provenance` travels inside the report's HTML twice: as a table a reader sees at the
end of the page, and as JSON in ``<script type="application/json" id="workbench-provenance">``
that :func:`read_provenance` (and ``workbench report --check``) reads back.

>>> p = Provenance(notebook="/r/a.ipynb", notebook_sha256="0" * 64, as_of="2025-01-15T12:00:00+00:00",
...                as_of_requested="2025-01-15T13:00+01:00", parameters={"days": 3},
...                store="sqlite:////r/w.db", user="local admin", kernel="python3")
>>> Provenance.from_json(p.to_json()) == p
True
>>> "2025-01-15T12:00:00+00:00" in render_block(p)
True
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

from workbench.errors import InvalidValue

__all__ = [
    "PROVENANCE_ID",
    "CellText",
    "Provenance",
    "read_provenance",
    "render_block",
    "text_outputs",
]

#: The id of the ``<script type="application/json">`` element that holds the provenance.
PROVENANCE_ID = "workbench-provenance"
#: Memory addresses in reprs (``<object at 0x7f...>``) change from run to run.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


@dataclass(frozen=True)
class CellText:
    """The text a code cell showed: its standard output, plain-text results and errors.

    Attributes
    ----------
    cell
        The cell's index in the executed notebook (the injected parameters cell counts).
    text
        Standard output, ``text/plain`` results and error lines, memory addresses blanked.
    """

    cell: int
    text: str


@dataclass(frozen=True)
class Provenance:
    """Where a report's numbers come from.

    Attributes
    ----------
    notebook, notebook_sha256
        The notebook run (absolute path) and a SHA-256 of its file as it was run.
    as_of
        The belief time every read was pinned to (ISO 8601, UTC).
    as_of_requested
        What was asked for: the ``--as-of`` text, or ``"now"`` when none was given.
    parameters
        The parameters given to the notebook (the others kept their defaults).
    store, user
        The store given to the run (password removed) and who the notebook acted as; a
        notebook that opens stores of its own names them in its reads (``queries[i]["store"]``).
    kernel
        The Jupyter kernel that ran it.
    workbench
        The workbench version.
    started, finished
        When the run started and ended (UTC).
    queries
        One record per read: what, rows, sha256 (of the rows returned) and as_of.
    outputs
        The text outputs of the code cells (:class:`CellText`), for ``--check``.
    """

    notebook: str
    notebook_sha256: str
    as_of: str
    as_of_requested: str
    parameters: dict[str, Any]
    store: str
    user: str
    kernel: str
    workbench: str = ""
    started: str = ""
    finished: str = ""
    queries: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[CellText] = field(default_factory=list)

    def to_json(self) -> str:
        """The provenance as JSON text."""
        return json.dumps(asdict(self), indent=1, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> Provenance:
        """Read :meth:`to_json`'s text back; anything else is refused with :class:`InvalidValue`."""
        try:
            data = json.loads(text)
            known = {f.name for f in fields(cls)}
            data = {k: v for k, v in data.items() if k in known}
            data["outputs"] = [CellText(**o) for o in data.get("outputs", [])]
            return cls(**data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidValue(f"the report's provenance record is not readable: {exc}") from None


def text_outputs(nb: Any) -> list[CellText]:
    """The text every code cell of an executed notebook showed, in order.

    Rich outputs (HTML, images, Bokeh documents) are left out: their ids and scripts differ
    from run to run. Their ``text/plain`` form counts when they have one.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream" and out.get("name") == "stdout":
                parts.append(str(out.get("text", "")))
            elif kind in ("execute_result", "display_data"):
                plain = out.get("data", {}).get("text/plain")
                if plain is not None:
                    parts.append(str(plain) + "\n")
            elif kind == "error":
                parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
        if parts:
            found.append(CellText(index, _ADDRESS.sub("0x…", "".join(parts))))
    return found


def _json_for_html(text: str) -> str:
    """JSON that cannot end its ``<script>`` element early (``<`` written as ``\\u003c``)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _rows(p: Provenance) -> list[tuple[str, str]]:
    params = ", ".join(f"{k} = {v!r}" for k, v in p.parameters.items()) or "(defaults)"
    as_of = p.as_of if p.as_of_requested == p.as_of else f"{p.as_of} (asked: {p.as_of_requested})"
    return [
        ("Notebook", f"{p.notebook} (sha256 {p.notebook_sha256[:16]}…)"),
        ("Beliefs as of", as_of),
        ("Parameters", params),
        ("Store", p.store),
        ("User", p.user),
        ("Workbench", p.workbench),
        ("Kernel", p.kernel),
        ("Run", f"{p.started} to {p.finished}"),
    ]


_FACT = Markup('<tr><th style="text-align:left;padding-right:1em">{}</th><td>{}</td></tr>')
_READ = Markup(
    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>"
)


def render_block(p: Provenance) -> str:
    """The provenance as an HTML section (a table, the data hashes, the JSON copy).

    Every value is text (escaped with markupsafe): store URLs, user names, parameters and what
    was read (sensor names) may hold anything.
    """
    facts = Markup().join(_FACT.format(k, v) for k, v in _rows(p))
    reads = Markup().join(
        _READ.format(i, *(str(q.get(k, "")) for k in ("what", "rows", "sha256", "as_of", "store")))
        for i, q in enumerate(p.queries, 1)
    )
    reads = reads or Markup('<tr><td colspan="6">No reads were recorded.</td></tr>')
    return (
        '<section class="workbench-provenance" style="margin:2em 1em;font:13px sans-serif">'
        "<h2>Provenance</h2>"
        f'<table class="workbench-provenance-facts">{facts}</table>'
        "<h3>Data read</h3>"
        '<table class="workbench-provenance-reads"><tr><th>#</th><th>Query</th><th>Rows</th>'
        f"<th>SHA-256 of the rows</th><th>As of</th><th>Store</th></tr>{reads}</table>"
        f'<script type="application/json" id="{PROVENANCE_ID}">'
        f"{_json_for_html(p.to_json())}</script></section>"
    )


class _Finder(HTMLParser):
    """Collects the text of the provenance ``<script>`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inside = False
        self.found: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and ("id", PROVENANCE_ID) in attrs:
            self.inside, self.found = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.found is not None:
            self.found.append(data)


def read_provenance(page: str) -> Provenance:
    """The provenance recorded in a report's HTML text.

    Raises
    ------
    InvalidValue
        When the page is not a workbench report (it holds no provenance record).
    """
    finder = _Finder()
    finder.feed(page)
    finder.close()
    if finder.found is None:
        raise InvalidValue(
            f"the page holds no provenance record (no <script id={PROVENANCE_ID!r}>); "
            "give a report written by 'workbench report'"
        )
    return Provenance.from_json("".join(finder.found))
