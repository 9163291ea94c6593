"""HierarchyBrowser: a model's object tree and the resource catalog, loaded lazily, with search."""

from __future__ import annotations

from typing import Any

import panel as pn
import panel_material_ui as pmui
import param

import workbench as wb
from widgets._fonts import ICON_CLASS_CSS, IconColumn
from widgets._nodes import (
    CATALOG_ID,
    Handle,
    Item,
    ItemPath,
    folder_item,
    guess_icon,
    is_search_language,
    item_at,
    item_id,
    more_item,
    name_matches,
    name_query,
    path_of,
    placeholder,
    sensor_item,
    short_path,
    with_children,
)
from widgets._text import MuiTextAlert, TextViewer, label, mui_labels

__all__ = ["HierarchyBrowser", "get_sensor", "list_sensors", "reread", "same"]


def same(a: object, b: object) -> bool:
    """Whether two handles stand for the same object or sensor (None only equals None)."""
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and getattr(a, "id", None) == getattr(b, "id", None)


def list_sensors(ws: wb.Workspace, folder: str | None = None) -> list[wb.Sensor]:
    """The sensors the user may read in the catalog folder ``folder`` and below (all for None)."""
    return ws.sensors(folder)


def get_sensor(ws: wb.Workspace, sensor_id: int) -> wb.Sensor:
    """The sensor ``sensor_id`` as ``ws``'s user sees it (NotFound if they may not)."""
    return ws.sensor(sensor_id)


def reread(ws: wb.Workspace, handle: Handle) -> Handle:
    """``handle`` read again through ``ws``: a handle from another user's workspace never leaks."""
    if isinstance(handle, wb.Sensor):
        return get_sensor(ws, handle.id)
    return ws.object(handle.id)


class HierarchyBrowser(TextViewer):
    """The object tree of a model and the resource catalog, with a search box.

    Only the root and its first level are read when the browser opens; every other node reads
    its children (one query) when it is opened. Long child lists come in pages of
    ``page_size``. The second root is the resource catalog: sensor folders, read the same way.
    Everything comes through the workspace, so the user sees only what they may read.

    The search box takes either a name or a search-language query. A text containing one of
    ``. / [ ] { } ( ) @ & |`` (characters names never hold, or the language's own) is a
    search-language query run from the model's root (``{*}[.Type=Plant]``,
    ``*[.Name=Lake1].Level``); anything else is a name pattern: with ``*`` or ``?`` a glob on
    the whole name, otherwise any name containing the text, ignoring case, over the model's
    objects and the catalog's sensors.

    Selecting a node sets ``selected``; setting ``selected`` from outside opens the tree down to
    it and highlights it.

    Examples
    --------
    >>> browser = HierarchyBrowser(workspace=ws)           # doctest: +SKIP
    >>> browser.query = "{*}[.Type=Reservoir]"             # doctest: +SKIP
    >>> browser.results                                    # doctest: +SKIP
    [<Object Model/Demo.To_Areas/East... (Reservoir) id=7>, ...]
    """

    workspace = param.ClassSelector(
        class_=wb.Workspace, doc="The store connection, and so the user whose view is shown."
    )
    model = param.ClassSelector(
        class_=wb.Object,
        default=None,
        allow_None=True,
        doc="The model (root object) shown; the first one the user may see by default.",
    )
    selected = param.ClassSelector(
        class_=(wb.Object, wb.Sensor),
        default=None,
        allow_None=True,
        doc="The selected object or sensor; other components follow it.",
    )
    query = param.String(default="", doc="Search text: a name pattern or a search-language query.")
    results = param.List(
        default=[], constant=True, doc="What the last search found: objects, attributes, sensors."
    )
    message = param.String(default="", constant=True, doc="The last search's outcome or error.")
    icons = param.Dict(default={}, doc="Material icon name by object definition name.")
    page_size = param.Integer(default=500, bounds=(1, None), doc="Children shown per page.")
    max_results = param.Integer(default=200, bounds=(1, None), doc="Search results shown.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._handles: dict[str, Handle] = {}
        self._found: dict[str, Handle] = {}
        self._pending: set[str] = set()
        self._pages: dict[str, list[Item]] = {}
        self._expandable: dict[int, bool] = {}
        self._quiet = False
        icons = [ICON_CLASS_CSS]  # a notebook has neither the icons' class rule nor their font
        self.tree = pmui.Tree(
            items=[], multi_select=False, sizing_mode="stretch_width", stylesheets=icons
        )
        self.hits = pmui.Tree(
            items=[],
            multi_select=False,
            visible=False,
            sizing_mode="stretch_width",
            stylesheets=icons,
        )
        self.model_select = pmui.Select(label="Model", options={}, sizing_mode="stretch_width")
        self.search_box = pmui.TextInput(
            label="Search",
            placeholder="a name, Plant*, or {*}[.Type=Plant]",
            sizing_mode="stretch_width",
        )
        self.status = MuiTextAlert(
            object="", alert_type="info", visible=False, sizing_mode="stretch_width"
        )
        self.refresh_button = pmui.IconButton(
            icon="refresh", description="Read the tree again", stylesheets=icons
        )
        self.tree.param.watch(self._on_expanded, "expanded")
        self.tree.param.watch(self._on_pick, "value")
        self.hits.param.watch(self._on_hit, "value")
        self.model_select.param.watch(self._on_model_select, "value")
        self.search_box.param.watch(self._on_search_box, "value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self._layout = IconColumn(
            pmui.Row(self.model_select, self.refresh_button, sizing_mode="stretch_width"),
            self.search_box,
            self.status,
            self.hits,
            self.tree,
            sizing_mode="stretch_width",
        )
        self.refresh()

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout

    # -- models and the tree ---------------------------------------------------------------

    @param.depends("workspace", watch=True)
    def refresh(self) -> None:
        """Read the models again and rebuild the tree (keeping the model and selection)."""
        if self.workspace is None:
            self.model_select.options = {}
            self.model = None
            self._build()
            return
        models = self.workspace.models()
        self.model_select.options = mui_labels({m.name: m for m in models})
        keep = next((m for m in models if same(m, self.model)), None)
        chosen = keep if keep is not None else (models[0] if models else None)
        if chosen is self.model:
            self._build()
        else:
            self.model = chosen  # rebuilds the tree
        if self.selected is not None:
            self._reveal()

    def _on_model_select(self, event: param.parameterized.Event) -> None:
        if not same(event.new, self.model):
            self.model = event.new

    @param.depends("model", watch=True)
    def _build(self) -> None:
        """The tree of the model: its root with the first level, and the catalog, closed."""
        self._handles.clear()
        self._pending.clear()
        self._pages.clear()
        if self.model is not None and not same(self.model_select.value, self.model):
            self.model_select.value = self.model
        items: list[Item] = []
        if self.model is not None:
            with self.workspace.transaction():
                root = reread(self.workspace, self.model)  # the handle may be another user's
                assert isinstance(root, wb.Object)
                items.append(self._object_item(root))
        items.append(folder_item(""))
        self._pending.add(CATALOG_ID)
        self._quiet = True
        try:
            self.tree.param.update(items=items, expanded=[], active=[])
        finally:
            self._quiet = False
        if self.model is not None:
            self.open((0,))

    def _object_item(self, obj: wb.Object) -> Item:
        iid = item_id(obj)
        self._handles[iid] = obj
        info = obj.definition_info
        item: Item = {
            "id": iid,
            "label": label(obj.name),
            "secondary": label(info.name),
            "icon": guess_icon(info.name, self.icons),
        }
        if info.id not in self._expandable:
            self._expandable[info.id] = any(a.value_type.is_ownership for a in info.attributes)
        if self._expandable[info.id]:
            item["items"] = [placeholder(iid)]
            self._pending.add(iid)
        return item

    def _sensor_item(self, sensor: wb.Sensor) -> Item:
        item = sensor_item(sensor)
        self._handles[item["id"]] = sensor
        return item

    def open(self, node: ItemPath | Handle) -> ItemPath | None:
        """Open a node (by tree path, or the object or sensor it stands for); its path or None.

        This is what clicking a node's chevron does: the node reads its children if it has not
        yet.
        """
        path = node if isinstance(node, tuple) else path_of(self.tree.items, item_id(node))
        if path is not None and path not in self.tree.expanded:
            self.tree.expanded = [*self.tree.expanded, path]
        return path

    def _on_expanded(self, event: param.parameterized.Event) -> None:
        for path in event.new:
            item = item_at(self.tree.items, path)
            if item is not None and item["id"] in self._pending:
                self._load(tuple(path), item["id"])

    def _load(self, path: ItemPath, iid: str) -> None:
        """Read the children of the item ``iid`` at ``path`` and show their first page."""
        self._pending.discard(iid)
        try:
            children = self._children(iid)
        except wb.WorkbenchError as exc:  # deleted or moved out of sight since it was shown
            self._say(str(exc), "error")
            children = []
        self._pages[iid] = children
        self._quiet = True
        try:
            self.tree.items = with_children(self.tree.items, path, self._next_page(iid, []))
        finally:
            self._quiet = False

    def _children(self, iid: str) -> list[Item]:
        if iid.startswith(CATALOG_ID):
            return self._folder_children(iid[len(CATALOG_ID) :])
        obj = self._handles[iid]
        assert isinstance(obj, wb.Object)
        with self.workspace.transaction():
            return [self._object_item(child) for child in obj.children()]

    def _folder_children(self, folder: str) -> list[Item]:
        """Sub-folders, then sensors, of one catalog folder (one query for both)."""
        prefix = f"{folder}/" if folder else ""
        subfolders: set[str] = set()
        sensors: list[Item] = []
        for sensor in list_sensors(self.workspace, folder or None):
            where = sensor.catalog_path
            if where == folder:
                sensors.append(self._sensor_item(sensor))
            elif where.startswith(prefix):
                subfolders.add(prefix + where[len(prefix) :].split("/", 1)[0])
        folders = [folder_item(f) for f in sorted(subfolders)]
        self._pending.update(f["id"] for f in folders)
        return folders + sorted(sensors, key=lambda i: (i["label"], i["secondary"]))

    def _next_page(self, iid: str, shown: list[Item]) -> list[Item]:
        """``shown`` and the next page of ``iid``'s children, with a "more" item if any remain."""
        waiting = self._pages.get(iid, [])
        page, rest = waiting[: self.page_size], waiting[self.page_size :]
        self._pages[iid] = rest
        return [*shown, *page, *([more_item(iid, len(rest))] if rest else [])]

    def show_more(self, parent: Handle | str) -> None:
        """Show the next page of a long child list (what selecting its "more" item does)."""
        iid = parent if isinstance(parent, str) else item_id(parent)
        path = path_of(self.tree.items, iid)
        item = None if path is None else item_at(self.tree.items, path)
        if path is None or item is None or not self._pages.get(iid):
            return
        shown = [i for i in item.get("items") or [] if not i["id"].startswith("m:")]
        self._quiet = True
        try:
            self.tree.items = with_children(self.tree.items, path, self._next_page(iid, shown))
        finally:
            self._quiet = False

    # -- selection ---------------------------------------------------------------------------

    def _on_pick(self, event: param.parameterized.Event) -> None:
        if self._quiet or not event.new:
            return
        iid = event.new[0].get("id", "")
        if iid.startswith("m:"):
            self.show_more(iid[2:])
            self._reveal()
        elif iid.startswith(CATALOG_ID):
            path = path_of(self.tree.items, iid)
            if path is not None:
                self.open(path)
        elif iid in self._handles and not same(self._handles[iid], self.selected):
            self.selected = self._handles[iid]

    def _on_hit(self, event: param.parameterized.Event) -> None:
        if self._quiet or not event.new:
            return
        handle = self._found.get(event.new[0].get("id", ""))
        if handle is not None and not same(handle, self.selected):
            self.selected = handle

    @param.depends("selected", watch=True)
    def _reveal(self) -> None:
        """Open the tree down to the selection and highlight it."""
        target = self.selected
        path = None
        if target is not None:
            path = path_of(self.tree.items, item_id(target))
            if path is None:
                try:
                    path = self._open_to(target)
                except wb.WorkbenchError as exc:
                    self._say(str(exc), "error")
        active = [path] if path is not None else []
        if self.tree.active != active:
            self._quiet = True
            try:
                self.tree.active = active
            finally:
                self._quiet = False

    def _open_to(self, target: Handle) -> ItemPath | None:
        """Open every ancestor of ``target`` (loading pages as needed); its path, or None."""
        target = reread(self.workspace, target)
        if isinstance(target, wb.Sensor):
            parts = target.catalog_path.split("/") if target.catalog_path else []
            chain = [CATALOG_ID + "/".join(parts[:i]) for i in range(len(parts) + 1)]
        else:
            ancestors: list[wb.Object] = []
            with self.workspace.transaction():
                node = target
                while (parent := node.parent) is not None:
                    ancestors.append(parent)
                    node = parent
            if not same(node, self.model):
                self.model = node
            chain = [item_id(a) for a in reversed(ancestors)]
        wanted = item_id(target)
        for iid in chain:
            path = path_of(self.tree.items, iid)
            if path is None:
                return None
            self.open(path)
            while path_of(self.tree.items, wanted) is None and self._pages.get(iid):
                self.show_more(iid)
        return path_of(self.tree.items, wanted)

    # -- search ----------------------------------------------------------------------------

    def _on_search_box(self, event: param.parameterized.Event) -> None:
        if event.new != self.query:
            self.query = event.new or ""

    def _say(self, text: str, kind: str = "info") -> None:
        with param.edit_constant(self):
            self.message = text
        self.status.param.update(object=text, alert_type=kind, severity=kind, visible=bool(text))

    @param.depends("query", watch=True)
    def _search(self) -> None:
        if self.search_box.value != self.query:
            self.search_box.value = self.query
        text = self.query.strip()
        found: list[Any] = []
        items: list[Item] = []
        self._found.clear()
        try:
            if text and self.workspace is not None:
                with self.workspace.transaction():
                    found = self._find(text)
                    items = [self._hit_item(h) for h in found[: self.max_results]]
        except wb.WorkbenchError as exc:
            self._say(str(exc), "error")
        else:
            shown = (
                "" if len(found) <= self.max_results else f"; the first {self.max_results} shown"
            )
            self._say(f"{len(found):,} found{shown}" if text else "")
        with param.edit_constant(self):
            self.results = found
        self._quiet = True
        try:
            self.hits.param.update(items=items, active=[], visible=bool(text))
        finally:
            self._quiet = False
        self.tree.visible = not text

    def _find(self, text: str) -> list[Any]:
        ws, model = self.workspace, self.model
        if is_search_language(text):
            if model is None:
                raise wb.NotFound("model", "any", "the search language needs a model to start from")
            return list(ws.search(model, text))
        objects = [] if model is None else list(ws.search(model, name_query(text)))
        sensors = [s for s in list_sensors(ws) if name_matches(text, s.name)]
        return objects + sensors

    def _hit_item(self, hit: Any) -> Item:
        if isinstance(hit, wb.Sensor):
            item = sensor_item(hit)
            self._found[item["id"]] = hit
            return item
        if isinstance(hit, wb.Attribute):
            obj, text, iid = hit.object, f"{hit.object.name}.{hit.name}", f"a:{hit.id}"
        else:
            obj, text, iid = hit, hit.name, item_id(hit)
        self._found[iid] = obj
        return {
            "id": iid,
            "label": label(text),
            "secondary": label(f"{obj.type_name} · {short_path(obj.full_name)}"),
            "icon": guess_icon(obj.type_name, self.icons),
        }
