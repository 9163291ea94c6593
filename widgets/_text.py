"""Store text in the views: the one rule by which what tenants wrote reaches HTML, as text.

Names, descriptions, string values, expressions, units and data-source names are written by
tenants, and any of them may look like HTML (``<img onerror=...>``), Markdown (a backtick, a
fence, a link) or math (``$$``). Every view shows such text only through this module:

- :func:`html` fills markup we wrote with text escaped by markupsafe; the result is
  :class:`~markupsafe.Markup`, shown by a :class:`Fragment` pane (which runs no Markdown and
  shows whatever is not Markup as text);
- :func:`lines`, :func:`code` and :func:`message` are text on several lines, an expression in
  an escaped ``<pre>`` block, and a status message (its first line, the rest in ``<pre>``);
- :class:`TextAlert`, :class:`MuiTextAlert` and :class:`TextTypography` are the alert and
  typography panes taking plain text (their Markdown, HTML and math switched off);
- :func:`title` is the title of a Material UI card (which renders titles as HTML);
- :func:`label` and :func:`mui_options` are text for Material UI props that React shows as
  text, but where ``:material/name:`` would become an icon;
- :func:`choices` are options of Bokeh's MultiChoice (Choices.js shows labels as HTML);
- :class:`TextViewer` is the base of the views: shown in a notebook, its output's script is
  sealed (:func:`workbench.reports.html.seal_bundle`), so that no ``</script>`` in the text of
  its models can end that script early (Panel writes the models' JSON into it unescaped).

>>> html("<b>{}</b> · {}", "<img src=x onerror=alert(1)>", "A & B")
Markup('<b>&lt;img src=x onerror=alert(1)&gt;</b> · A &amp; B')
>>> code("a * 2 /* ``` </pre> */")
Markup('<pre class="wb-code">a * 2 /* ``` &lt;/pre&gt; */</pre>')
>>> label(":material/lock: Verified")
':\\u2060material/lock: Verified'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import panel as pn
import panel_material_ui as pmui
import param
from markupsafe import Markup, escape
from panel.util import escape as transport_escape
from panel.viewable import Viewer

from workbench.reports.html import seal_bundle

__all__ = [
    "CODE_STYLE",
    "Fragment",
    "MuiTextAlert",
    "TextAlert",
    "TextTypography",
    "TextViewer",
    "choices",
    "code",
    "html",
    "label",
    "lines",
    "message",
    "mui_labels",
    "mui_options",
    "title",
]

#: Material UI draws ``:material/<name>:`` (and ``:material/<name>@options:``) as an icon.
_ICON_TOKEN = ":material/"
_WORD_JOINER = "\u2060"  # invisible, and no longer a token
#: How an expression or a message's detail shows: as written, wrapped, never wider than the view.
CODE_STYLE = ".wb-code { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3em 0; }"


def html(template: str, /, *args: Any, **kwargs: Any) -> Markup:
    """``template`` (markup we wrote) with every argument escaped, unless it is Markup already.

    >>> html("<em>{what}</em>", what="<b>")
    Markup('<em>&lt;b&gt;</em>')
    """
    return Markup(template).format(*args, **kwargs)


def lines(text: object) -> Markup:
    """Text as HTML: escaped, its line breaks kept (``<br>``).

    >>> lines("a <b>\\nc")
    Markup('a &lt;b&gt;<br>c')
    """
    return Markup("<br>").join(escape(line) for line in str(text).splitlines())


def code(text: object) -> Markup:
    """An expression (or any text whose spacing matters) in an escaped ``<pre>`` block."""
    return html('<pre class="wb-code">{}</pre>', str(text))


def message(text: object) -> Markup:
    """A status or error message: its first line, the rest (a caret under a fault) in ``<pre>``.

    >>> message("bad expression\\n  a +\\n    ^")
    Markup('bad expression<pre class="wb-code">  a +\\n    ^</pre>')
    """
    head, _, rest = str(text).partition("\n")
    return html("{}{}", head, code(rest) if rest else "")


def title(text: object) -> Markup:
    """A Material UI card title (rendered as HTML): escaped, icon tokens defused."""
    return escape(label(text))


def label(text: object) -> str:
    """Text for a Material UI prop shown as text (a tree item, a button, a field label).

    React escapes it; only ``:material/name:`` tokens would still turn into icons, so a word
    joiner (invisible) goes after their colon.
    """
    return str(text).replace(_ICON_TOKEN, ":" + _WORD_JOINER + _ICON_TOKEN[1:])


def mui_options(values: Iterable[Any]) -> list[Any] | dict[str, Any]:
    """Options of a Material UI select: the values themselves, or labels to values when a
    label had to be defused (see :func:`label`)."""
    values = list(values)
    if all(label(v) == str(v) for v in values):
        return values
    return {label(v): v for v in values}


def mui_labels(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Options of a Material UI select given as labels to values, the labels defused."""
    return {label(k): v for k, v in mapping.items()}


def choices(values: Iterable[str]) -> dict[str, str]:
    """Options of Bokeh's MultiChoice (whose Choices.js shows labels as HTML): escaped labels
    to values."""
    return {str(escape(label(v))): v for v in values}


def _styled(params: dict[str, Any]) -> dict[str, Any]:
    params.setdefault("stylesheets", [])
    params["stylesheets"] = [*params["stylesheets"], CODE_STYLE]
    return params


class Fragment(pn.pane.Markdown):
    """A pane showing an HTML fragment made by :func:`html`: the Markdown pane's look, no
    Markdown, no math. Text that is not :class:`~markupsafe.Markup` is shown as :func:`lines`.

    >>> Fragment("<b>bold?</b>")._transform_object("<b>bold?</b>")["object"]
    '&amp;lt;b&amp;gt;bold?&amp;lt;/b&amp;gt;'
    """

    disable_math = param.Boolean(default=True, doc="Always: store text may hold '$$'.")

    # Panel's Markdown keeps ``disable_math`` to itself; the browser must see it.
    _rename: ClassVar[Mapping[str, str | None]] = {
        **pn.pane.Markdown._rename,
        "disable_math": "disable_math",
    }

    def __init__(self, object: Any = None, **params: Any) -> None:
        super().__init__(object, **_styled(params))

    def _transform_object(self, obj: Any) -> dict[str, Any]:
        shown = obj if isinstance(obj, Markup) else lines("" if obj is None else obj)
        return {"object": transport_escape(str(shown))}


class TextAlert(pn.pane.Alert):
    """Panel's alert showing a message (:func:`message`) as text: no Markdown, HTML or math."""

    disable_math = param.Boolean(default=True, doc="Always: store text may hold '$$'.")

    _rename: ClassVar[Mapping[str, str | None]] = {
        **pn.pane.Alert._rename,
        "disable_math": "disable_math",
    }

    def __init__(self, object: Any = None, **params: Any) -> None:
        super().__init__(object, **_styled(params))

    def _transform_object(self, obj: Any) -> dict[str, Any]:
        return {"object": transport_escape(str(message("" if obj is None else obj)))}


class MuiTextAlert(pmui.Alert):
    """A Material UI alert showing ``object`` as a message (:func:`message`): no Markdown or HTML.

    ``object`` stays the plain text (tests and code read it back as given).
    """

    def __init__(self, **params: Any) -> None:
        super().__init__(**_styled(params))

    def _process_param_change(self, params: dict[str, Any]) -> dict[str, Any]:
        if "object" not in params:
            return super()._process_param_change(params)  # type: ignore[no-any-return]
        text = params["object"]
        done: dict[str, Any] = super()._process_param_change({**params, "object": ""})
        done["object"] = transport_escape(str(message("" if text is None else text)))
        return done


class TextTypography(pmui.Typography):
    """Material UI typography showing its object as text (:func:`lines`): no Markdown or HTML."""

    disable_math = param.Boolean(default=True, doc="Always: store text may hold '$$'.")

    def _transform_object(self, obj: Any) -> dict[str, Any]:
        return {"object": transport_escape(str(lines("" if obj is None else obj)))}


class TextViewer(Viewer):
    """A Panel viewer whose notebook output keeps the text of its models inside its script."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return seal_bundle(super()._repr_mimebundle_(include, exclude))
