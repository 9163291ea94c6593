"""Export an executed notebook to one self-contained HTML page that ends with its provenance.

nbconvert's ``lab`` template loads require.js, MathJax, Mermaid and the Jupyter widget manager
from CDNs. The report template leaves those out: Bokeh and Panel outputs carry their own
JavaScript when the notebook calls ``hv.extension('bokeh', inline=True)`` and
``pn.extension(inline=True)``, so their plots stay interactive offline. LaTeX in Markdown is
shown as written, and ipywidgets (which need a running kernel) are not rendered.

Panel's stylesheets are referenced by CDN address inside its models; they are inlined as
``data:`` URIs from the installed Panel package (``panel/dist``), which holds the same files.

Text a notebook shows can come from a store, where tenants write it. Panel (and HoloViews
through it) writes each view's document as JSON into a ``<script>`` at the end of its HTML
output without escaping, so a name such as ``</script><img src=x onerror=...>`` would end the
script and run as HTML; :func:`seal_outputs` writes ``</script`` as ``<\\/script`` in those
scripts (and in JavaScript outputs), which JavaScript reads as the same text and HTML never as
the script's end.

Links and resources on other hosts are neutralised, so that opening a report never reaches
out: an ``<a href="https://...">`` keeps its text and shows the address as a tooltip (and in
``data-href``); any other element loading from another host (``<script src>``, ``<img src>``,
``<link href>``, ...) loses the attribute.

>>> neutralise_links('<a href="https://bokeh.org">Bokeh</a><a href="#x">x</a>')
'<a data-href="https://bokeh.org" title="https://bokeh.org">Bokeh</a><a href="#x">x</a>'
>>> neutralise_links('<img src="http://example.com/a.png" alt="a">')
'<img data-src="http://example.com/a.png" alt="a">'
"""

from __future__ import annotations

import base64
import importlib.util
import re
import warnings
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import escape

__all__ = [
    "export_html",
    "inline_panel_assets",
    "is_local",
    "neutralise_links",
    "seal_bundle",
    "seal_outputs",
    "seal_script",
]

_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block body_footer %}
{{ resources.workbench_provenance }}
</main>
</body>
{% endblock body_footer %}
"""
_TEMPLATE_NAME = "workbench-report.html.j2"
_URL_ATTRIBUTES = ("src", "href")
_CSS_URL = re.compile(r"url\((['\"]?)(?!data:|https?:|//|#)([^'\")]+)\1\)")
_MIME = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}
#: How Panel's notebook output ends: the view's script, after the view's HTML.
_PANEL_SCRIPT = '\n<script type="application/javascript">'
_END = "</script>"
_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
#: The MIME types of Panel/HoloViews and Bokeh outputs whose HTML carries such a script.
_EXEC_MIMES = ("application/vnd.holoviews_exec.v0+json", "application/vnd.bokehjs_exec.v0+json")
_PANEL_CDN = re.compile(
    r"https://cdn\.holoviz\.org/panel/[0-9][^/\"'\s]*/dist/([\w./-]+?\.css)(\?v=[\w.+-]*)?"
)


def is_local(url: str) -> bool:
    """Whether a ``src``/``href`` value stays on this machine or inside the page.

    >>> [is_local(u) for u in ("#top", "data:image/png;base64,AA", "https://x.org", "//x.org/a")]
    [True, True, False, False]
    """
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https", "ftp", "ws", "wss") or (not parts.scheme and parts.netloc):
        return parts.hostname in ("127.0.0.1", "localhost", "::1")
    return True


class _Tags(HTMLParser):
    """Finds start tags (outside scripts and styles) with a non-local ``src`` or ``href``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spans: list[tuple[int, int, int, str]] = []  # (line, column, length, new tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        outside = [
            (k, v) for k, v in attrs if k in _URL_ATTRIBUTES and v is not None and not is_local(v)
        ]
        text = self.get_starttag_text()
        if not outside or text is None:
            return
        line, column = self.getpos()
        self.spans.append((line, column, len(text), _rewrite(tag, attrs)))

    handle_startendtag = handle_starttag


def _rewrite(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [tag]
    for key, value in attrs:
        if key in _URL_ATTRIBUTES and value is not None and not is_local(value):
            key = f"data-{key}"
            if tag == "a":
                parts.append(f'{key}="{escape(value)}" title="{escape(value)}"')
                continue
        parts.append(key if value is None else f'{key}="{escape(value)}"')
    return "<" + " ".join(parts) + ">"


def neutralise_links(page: str) -> str:
    """The page with every link and resource on another host made inert (see the module)."""
    finder = _Tags()
    finder.feed(page)
    finder.close()
    if not finder.spans:
        return page
    starts = [0]
    for match in re.finditer("\n", page):
        starts.append(match.end())
    pieces, last = [], 0
    for line, column, length, new in finder.spans:
        offset = starts[line - 1] + column
        pieces += [page[last:offset], new]
        last = offset + length
    pieces.append(page[last:])
    return "".join(pieces)


@cache
def _panel_dist() -> Path | None:
    """The ``dist`` folder of the installed Panel package (found, not imported)."""
    spec = importlib.util.find_spec("panel")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "dist"


def inline_panel_assets(page: str) -> str:
    """Panel's CDN stylesheet addresses replaced by ``data:`` URIs of the installed files.

    Addresses whose file is not installed are left as they are.
    """
    dist = _panel_dist()
    if dist is None:
        return page

    def inline(match: re.Match[str]) -> str:
        css = _data_uri(dist, dist / match.group(1))
        return match.group(0) if css is None else css

    return _PANEL_CDN.sub(inline, page)


def _data_uri(root: Path, path: Path) -> str | None:
    """A file under ``root`` as a data: URI (a stylesheet with its relative urls inlined)."""
    path, root = path.resolve(), root.resolve()
    if root not in path.parents or not path.is_file() or path.suffix not in _MIME:
        return None
    data = path.read_bytes()
    if path.suffix == ".css":

        def nested(match: re.Match[str]) -> str:
            inner = _data_uri(root, path.parent / match.group(2))
            return match.group(0) if inner is None else f"url('{inner}')"

        data = _CSS_URL.sub(nested, data.decode("utf-8")).encode("utf-8")
    return f"data:{_MIME[path.suffix]};base64," + base64.b64encode(data).decode("ascii")


def seal_script(js: str) -> str:
    """JavaScript that no text inside it can end early in HTML: ``</script`` (in any case)
    written ``<\\/script``, the same text in a JavaScript string, JSON or regular expression.

    Nothing else changes: ``/</g`` stays a regular expression.

    >>> seal_script('var d = {"name": "</SCRIPT><img src=x onerror=alert(1)>"}; s.replace(/</g, "")')
    'var d = {"name": "<\\\\/SCRIPT><img src=x onerror=alert(1)>"}; s.replace(/</g, "")'
    """
    return _SCRIPT_END.sub(lambda m: "<\\/" + m.group(1), js)


def _seal_html(text: str) -> str:
    """Panel's HTML output with its closing script sealed (left alone if not Panel's)."""
    head, opening, rest = text.partition(_PANEL_SCRIPT)
    if not opening or not rest.endswith(_END):
        return text
    return head + opening + seal_script(rest[: -len(_END)]) + _END


def _seal_data(data: Any) -> None:
    if isinstance(data.get("application/javascript"), str):
        data["application/javascript"] = seal_script(data["application/javascript"])
    if isinstance(data.get("text/html"), str) and any(m in data for m in _EXEC_MIMES):
        data["text/html"] = _seal_html(data["text/html"])


def seal_bundle(bundle: Any) -> Any:
    """A rich display's MIME bundle (``data`` or ``(data, metadata)``) with its scripts sealed.

    See the module: Panel and HoloViews views, Bokeh documents and JavaScript outputs.
    """
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    if isinstance(data, dict):
        _seal_data(data)
    return bundle


def seal_outputs(nb: Any) -> None:
    """Seal the scripts of every output of an executed notebook (in place; see the module)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                _seal_data(output.get("data", {}))


def _drop_empty_outputs(nb: Any) -> None:
    """Outputs with no data at all (a Bokeh comm handle) have nothing to show."""
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [
                o for o in cell.outputs if o.get("output_type") != "display_data" or o.get("data")
            ]


def export_html(nb: Any, provenance_block: str) -> str:
    """One self-contained HTML page of an executed notebook, ``provenance_block`` at its end.

    Parameters
    ----------
    nb
        An executed ``nbformat`` notebook node (it is not changed).
    provenance_block
        HTML placed after the last cell (see :func:`workbench.reports.provenance.render_block`).
    """
    import copy

    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _drop_empty_outputs(nb)
    seal_outputs(nb)
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        embed_images=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # nbconvert on outputs it cannot show
        page, _ = exporter.from_notebook_node(
            nb, resources={"workbench_provenance": provenance_block}
        )
    return neutralise_links(inline_panel_assets(page))
