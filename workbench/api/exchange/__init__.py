"""Export and import of model definitions and models as plain data and YAML, by name and path.

Nothing in the data is a database id: elements are named, namespaces are dotted paths, objects sit
under the ownership attribute that owns them, and links point at full names. An import runs in one
transaction and creates everything through the public API, so it validates what it creates; a bad
value or a name clash raises and leaves nothing behind. Export → import into an empty store →
export gives the same data and the same YAML text, so models can live in version control.
The YAML read is bounded (see :mod:`workbench.api.exchange.safe_yaml`): no anchors or aliases,
and limits on its size, nesting and number of values, checked before anything is built.

Examples
--------
>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Grid")
>>> node = md.create_object_definition("Node", description="a bus bar")
>>> data = export_definition(md)
>>> print(dump_yaml(data), end="")
kind: model_definition
format: 1
name: Grid
object_definitions:
  - name: Node
    description: a bus bar
>>> md.delete()
>>> import_definition(ws, load_yaml(dump_yaml(data))).name
'Grid'
"""

from __future__ import annotations

from workbench.api.exchange.data import DEFINITION_KIND, FORMAT, MODEL_KIND
from workbench.api.exchange.definitions import export_definition, import_definition
from workbench.api.exchange.models import export_model, import_model
from workbench.api.exchange.safe_yaml import (
    MAX_YAML_CHARS,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    MAX_YAML_NUMBER_CHARS,
    dump_yaml,
    load_yaml,
)

__all__ = [
    "DEFINITION_KIND",
    "FORMAT",
    "MAX_YAML_CHARS",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MAX_YAML_NUMBER_CHARS",
    "MODEL_KIND",
    "dump_yaml",
    "export_definition",
    "export_model",
    "import_definition",
    "import_model",
    "load_yaml",
]
