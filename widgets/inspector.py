"""ObjectInspector: the attributes of the selected object (or sensor), grouped, editable in place."""

from __future__ import annotations

from typing import Any

import panel as pn
import panel_material_ui as pmui
import param
from markupsafe import Markup

import workbench as wb
from widgets._fonts import IconColumn
from widgets._nodes import Handle, short_path
from widgets._text import (
    Fragment,
    MuiTextAlert,
    TextViewer,
    code,
    html,
    label,
    lines,
    mui_options,
    title,
)
from widgets._values import (
    format_simple,
    link_intervals,
    link_timeline,
    parse_simple,
    rating_plot,
    versioned_xy_plot,
    xy_plot,
)
from widgets.browser import get_sensor, reread, same
from workbench.access import Action, Target, permits

__all__ = ["ObjectInspector"]

VT = wb.ValueType
_EDIT_ERRORS = (wb.InvalidValue, wb.AccessDenied, wb.ConcurrentEdit, wb.NotFound)
_MAX_BUTTONS = 10


def _fragment(text: Markup, **kw: Any) -> Fragment:
    return Fragment(text, margin=(0, 10), sizing_mode="stretch_width", **kw)


_NOTHING = html("<em>Nothing selected.</em>")


def group_title(attribute: wb.Attribute, namespace: str) -> str:
    """The heading an attribute is shown under: its namespace (or its object's), and its tag."""
    parts = [attribute.info.namespace or namespace or "General", *attribute.info.spec.tags[:1]]
    return " · ".join(parts)


class ObjectInspector(TextViewer):
    """The attributes of one object, grouped by namespace and tag, or the details of a sensor.

    Values show with their units; arrays as lists; links, ownerships and sensors as buttons
    that set ``selected`` (and so move a linked browser); versioned links as a timeline and a
    table of intervals; XY-sets and rating curves as plots; timeseries attributes as their
    sensor or their expression, saying whether it is the definition's template or a local one.

    A user who may update the object edits simple values (double, int64, boolean, string,
    utc_time) in place; numbers may be typed with a unit (``0.12 GW`` into an attribute in MW).
    An edit that is refused or invalid shows its error in the status pane, and the editor shows
    the stored value again (which did not change).

    ``obj`` is what is shown and ``selected`` where the selection should go; they move
    together. :meth:`follow` ties both to a browser's ``selected``, in both directions.

    Examples
    --------
    >>> browser = HierarchyBrowser(workspace=ws)                     # doctest: +SKIP
    >>> inspector = ObjectInspector(workspace=ws).follow(browser)    # doctest: +SKIP
    >>> pn.Row(browser, inspector).servable()                        # doctest: +SKIP
    """

    workspace = param.ClassSelector(class_=wb.Workspace, doc="The store connection (the user).")
    obj = param.ClassSelector(
        class_=(wb.Object, wb.Sensor), default=None, allow_None=True, doc="What is shown."
    )
    selected = param.ClassSelector(
        class_=(wb.Object, wb.Sensor),
        default=None,
        allow_None=True,
        doc="The selection: follows obj, and moves to a link's target when one is clicked.",
    )
    editable = param.Boolean(
        default=False, constant=True, doc="Whether the user may edit the shown object's values."
    )
    message = param.String(default="", constant=True, doc="The last edit's outcome or error.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.editors: dict[str, pn.widgets.Widget] = {}
        self.buttons: dict[str, list[pmui.Button]] = {}
        self.plots: dict[str, Any] = {}
        self.tables: dict[str, Any] = {}
        self.groups: dict[str, list[str]] = {}
        self._quiet = False
        self._shown: Handle | None = None
        self.header = _fragment(_NOTHING)
        self.status = MuiTextAlert(object="", visible=False, sizing_mode="stretch_width")
        self.body = pmui.Column(sizing_mode="stretch_width")
        self._layout = IconColumn(self.header, self.status, self.body, sizing_mode="stretch_width")
        if self.obj is not None and self.selected is None:
            self.selected = self.obj
        elif self.selected is not None and self.obj is None:
            self.obj = self.selected
        self._render()

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout

    def follow(self, browser: param.Parameterized) -> ObjectInspector:
        """Show what ``browser.selected`` holds, and move it when a link is clicked here."""

        def to_inspector(event: param.parameterized.Event) -> None:
            if not same(event.new, self.obj):
                self.obj = event.new

        def to_browser(event: param.parameterized.Event) -> None:
            if not same(event.new, browser.selected):
                browser.selected = event.new

        if self.workspace is None:
            self.workspace = browser.workspace
        browser.param.watch(to_inspector, "selected")
        self.param.watch(to_browser, "selected")
        if not same(browser.selected, self.obj):
            self.obj = browser.selected
        return self

    @param.depends("selected", watch=True)
    def _on_selected(self) -> None:
        if not same(self.selected, self.obj):
            self.obj = self.selected

    @param.depends("obj", "workspace", watch=True)
    def _on_obj(self) -> None:
        if not same(self.selected, self.obj):
            self.selected = self.obj
        self._say("")
        self._render()

    def _say(self, text: str, kind: str = "info") -> None:
        with param.edit_constant(self):
            self.message = text
        self.status.param.update(object=text, alert_type=kind, severity=kind, visible=bool(text))

    # -- rendering -----------------------------------------------------------------------------

    def _render(self) -> None:
        self.editors, self.buttons, self.plots, self.tables, self.groups = {}, {}, {}, {}, {}
        target = self.obj
        self._shown = None
        with param.edit_constant(self):
            self.editable = False
        if target is None or self.workspace is None:
            self.header.object = _NOTHING
            self.body.objects = []
            return
        try:
            with self.workspace.transaction():
                target = self._shown = reread(self.workspace, target)
                if isinstance(target, wb.Sensor):
                    sections = self._sensor_sections(target)
                else:
                    sections = self._object_sections(target)
        except wb.NotFound as exc:  # deleted, or no longer visible to this user
            self.header.object = html("<h3>{}</h3>", target.name)
            self.body.objects = []
            self._say(str(exc), "error")
            return
        self.body.objects = sections

    def _object_sections(self, obj: wb.Object) -> list[Any]:
        info = obj.definition_info
        with param.edit_constant(self):
            self.editable = permits(
                self.workspace.principal, Action.UPDATE, Target.OBJECT, obj.account_id
            )
        self.header.object = html(
            "<h3>{}</h3>{} · <code>{}</code> · id {}{}",
            obj.name,
            info.name,
            short_path(obj.full_name),
            obj.id,
            "" if self.editable else html(" · <em>read only</em>"),
        )
        grouped: dict[str, list[Any]] = {}
        for attribute in obj.attributes():
            group = group_title(attribute, info.namespace)
            self.groups.setdefault(group, []).append(attribute.name)
            grouped.setdefault(group, []).extend(self._attribute_view(attribute))
        cards = [
            pmui.Card(*views, title=title(group), collapsible=True, sizing_mode="stretch_width")
            for group, views in grouped.items()
        ]
        sensors = obj.sensors()
        if sensors:
            self.groups["Sensors"] = [s.name for s in sensors]
            self.buttons["Sensors"] = [
                self._jump(s, f"{s.name} ({s.unit})", "sensors") for s in sensors
            ]
            cards.append(
                pmui.Card(
                    pmui.Row(*self.buttons["Sensors"]),
                    title="Sensors",
                    collapsible=True,
                    sizing_mode="stretch_width",
                )
            )
        return cards

    def _sensor_sections(self, sensor: wb.Sensor) -> list[Any]:
        self.header.object = html(
            "<h3>{}</h3>sensor · <code>{}</code> · id {}", sensor.name, sensor.full_name, sensor.id
        )
        rows = {
            "unit": sensor.unit or "(none)",
            "timezone": sensor.timezone,
            "event resolution": str(sensor.resolution),
            "knowledge time": str(sensor.knowledge_time),
            "curve type": str(sensor.curve_type),
            "catalog folder": sensor.catalog_path or "(top)",
            **{f"attribute {k}": repr(v) for k, v in sensor.attributes.items()},
        }
        table = html(
            "<table>{}</table>",
            Markup().join(html("<tr><th>{}</th><td>{}</td></tr>", k, v) for k, v in rows.items()),
        )
        owner = sensor.object
        self.buttons["object"] = [self._jump(owner, owner.name, "arrow_upward")]
        self.groups["Sensor"] = list(rows)
        return [
            pmui.Card(
                _fragment(table),
                pmui.Row(*self.buttons["object"]),
                title="Sensor",
                collapsible=True,
                sizing_mode="stretch_width",
            )
        ]

    def _jump(self, target: Handle, text: str, icon: str = "link") -> pmui.Button:
        button = pmui.Button(
            label=label(text),
            icon=icon,
            variant="text",
            description=label(getattr(target, "full_name", text)),
        )
        button.on_click(lambda _: setattr(self, "selected", target))
        return button

    def _attribute_view(self, attribute: wb.Attribute) -> list[Any]:
        vt, name = attribute.value_type, attribute.name
        if vt.is_simple and not attribute.spec.array and self.editable:
            return [self._editor(attribute)]
        description = attribute.spec.description
        caption = html(
            "<b>{}</b>{}",
            name,
            html(" <small>{}</small>", lines(description)) if description else "",
        )
        if vt.is_simple:
            return [_fragment(html("{}: {}", caption, self._simple_text(attribute)))]
        if vt.is_relation:
            return [_fragment(caption), *self._relation_views(attribute)]
        if vt is VT.TIMESERIES:
            return [_fragment(caption), *self._timeseries_views(attribute)]
        return [_fragment(caption), *self._curve_views(attribute)]

    @staticmethod
    def _simple_text(attribute: wb.Attribute) -> Markup:
        value = attribute.value
        if value is None or value == []:
            return html("<em>(no value)</em>")
        unit = f" {attribute.unit}" if attribute.unit else ""
        text = format_simple(value, attribute.value_type)
        return lines(f"[{text}]{unit}" if attribute.spec.array else f"{text}{unit}")

    # -- editing -------------------------------------------------------------------------------

    def _editor(self, attribute: wb.Attribute) -> pn.widgets.Widget:
        spec, vt, value = attribute.spec, attribute.value_type, attribute.value
        text = f"{attribute.name} ({attribute.unit})" if attribute.unit else attribute.name
        common: dict[str, Any] = {"label": label(text), "sizing_mode": "stretch_width"}
        if spec.description:
            common["description"] = label(spec.description)
        if vt is VT.BOOLEAN:
            editor: pn.widgets.Widget = pmui.Checkbox(value=bool(value), **common)
        elif spec.allowed is not None:
            options = mui_options([*([""] if value is None else []), *spec.allowed])
            editor = pmui.Select(options=options, value="" if value is None else value, **common)
        else:
            editor = pmui.TextInput(value=format_simple(value, vt), **common)
        editor.param.watch(lambda event: self._on_edit(attribute.name, event.new), "value")
        self.editors[attribute.name] = editor
        return editor

    def _on_edit(self, name: str, value: Any) -> None:
        if not self._quiet:
            self.edit(name, value)

    def edit(self, name: str, value: Any) -> bool:
        """Store ``value`` (or text, perhaps with a unit) in the shown object's attribute ``name``.

        Returns whether it was stored. A refused or invalid edit shows its error, and the
        editor (if any) shows the stored value again.
        """
        obj = self._shown
        if not isinstance(obj, wb.Object):
            self._say("select an object to edit its attributes", "warning")
            return False
        try:
            attribute = obj.attribute(name)
            attribute.set(parse_simple(attribute, value))
        except _EDIT_ERRORS as exc:
            self._say(f"{name}: {exc}" if name not in str(exc) else str(exc), "error")
            self._reread(obj, name)
            return False
        stored = self._reread(obj, name)
        unit = f" {attribute.unit}" if attribute.unit else ""
        self._say(f"{name} = {stored}{unit} saved", "success")
        return True

    def _reread(self, obj: wb.Object, name: str) -> str:
        """Read the attribute again from the store and show it in its editor; its text."""
        try:
            obj.refresh()
            attribute = obj.attribute(name)
            value = attribute.value
        except wb.WorkbenchError as exc:
            self._say(f"{self.message}; reading it again failed: {exc}", "error")
            return ""
        text = format_simple(value, attribute.value_type)
        editor = self.editors.get(name)
        if editor is not None:
            shown = (
                bool(value)
                if attribute.value_type is VT.BOOLEAN
                else (
                    text if isinstance(editor, pmui.TextInput) else ("" if value is None else value)
                )
            )
            self._quiet = True
            try:
                editor.value = shown
            finally:
                self._quiet = False
        return text

    # -- relations, timeseries, curves ---------------------------------------------------------

    def _relation_views(self, attribute: wb.Attribute) -> list[Any]:
        vt, name, obj = attribute.value_type, attribute.name, attribute.object
        if vt.is_versioned_link:
            return self._versioned_link_views(attribute)
        targets = obj.children(name) if vt.is_ownership else obj.links(name)
        buttons = [
            self._jump(t, t.name, "subdirectory_arrow_right" if vt.is_ownership else "link")
            for t in targets[:_MAX_BUTTONS]
        ]
        self.buttons[name] = buttons
        if not targets:
            return [_fragment(html("<em>(none)</em>"))]
        more = len(targets) - len(buttons)
        extra = (
            [_fragment(html("… and {:,} more (open them in the tree)", more))] if more > 0 else []
        )
        return [pmui.Row(*buttons, sizing_mode="stretch_width"), *extra]

    def _versioned_link_views(self, attribute: wb.Attribute) -> list[Any]:
        history = attribute.value
        if not history:
            return [_fragment(html("<em>(no versions)</em>"))]
        intervals = link_intervals(history)
        targets = list(dict.fromkeys(t for _, t in history if t is not None))
        self.buttons[attribute.name] = [self._jump(t, t.name) for t in targets]
        self.tables[attribute.name] = intervals
        self.plots[attribute.name] = timeline = link_timeline(intervals, attribute.name)
        return [
            pn.pane.HoloViews(
                timeline,
                height=60 + 30 * len(targets),
                sizing_mode="stretch_width",
                backend="bokeh",
            ),
            pn.pane.DataFrame(intervals, index=False, sizing_mode="stretch_width"),
            pmui.Row(*self.buttons[attribute.name]),
        ]

    def _timeseries_views(self, attribute: wb.Attribute) -> list[Any]:
        value = attribute.value
        if value.source == "sensor":
            try:
                sensor = self._sensor(value.sensor_id)
            except wb.NotFound:
                return [_fragment(html("sensor {} (not visible to you)", value.sensor_id))]
            self.buttons[attribute.name] = [self._jump(sensor, f"sensor {sensor.name}", "sensors")]
            return [pmui.Row(*self.buttons[attribute.name])]
        if value.source == "none":
            return [_fragment(html("<em>(no sensor and no expression)</em>"))]
        which = (
            html("<b>local</b> expression (set on this object; overrides the template)")
            if value.source == "local"
            else html("<b>template</b> expression (from the definition)")
        )
        shown = html("{}{}", which, code(value.expression))
        if value.source == "local" and value.template:
            shown = html("{}template:{}", shown, code(value.template))
        return [_fragment(shown)]

    def _sensor(self, sensor_id: int) -> wb.Sensor:
        return get_sensor(self.workspace, sensor_id)

    def _curve_views(self, attribute: wb.Attribute) -> list[Any]:
        value, vt = attribute.value, attribute.value_type
        if value is None:
            return [_fragment(html("<em>(no value)</em>"))]
        if vt is VT.XY_SET:
            plot = xy_plot(value)
        elif vt is VT.VERSIONED_XY_SET:
            plot = versioned_xy_plot(value)
        else:
            plot = rating_plot(value)
        self.plots[attribute.name] = plot
        return [pn.pane.HoloViews(plot, height=240, sizing_mode="stretch_width", backend="bokeh")]
