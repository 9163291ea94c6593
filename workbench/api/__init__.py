"""The facade: connect(), transactions, identity and access checks, and the handles it returns."""

from workbench.api.exchange import (
    dump_yaml,
    export_definition,
    export_model,
    import_definition,
    import_model,
    load_yaml,
)
from workbench.api.handles.checks import check_model
from workbench.api.handles.definition_attributes import (
    AttributeDefinition,
    AttributeType,
    ObjectDefinition,
)
from workbench.api.handles.definition_base import Namespace, Tag, TemplateCalculation
from workbench.api.handles.definitions import ModelDefinition
from workbench.api.handles.objects import Attribute, Object
from workbench.api.handles.sensors import Sensor
from workbench.api.handles.virtual import VirtualSeries
from workbench.api.security import secure_store
from workbench.api.services.calc.resolver import StoreResolver
from workbench.api.services.checks import Finding
from workbench.api.services.values import TimeseriesValue
from workbench.api.workspace import Workspace, connect, init_store
from workbench.beliefs.sources import Source

__all__ = [
    "Attribute",
    "AttributeDefinition",
    "AttributeType",
    "Finding",
    "ModelDefinition",
    "Namespace",
    "Object",
    "ObjectDefinition",
    "Sensor",
    "Source",
    "StoreResolver",
    "Tag",
    "TemplateCalculation",
    "TimeseriesValue",
    "VirtualSeries",
    "Workspace",
    "check_model",
    "connect",
    "dump_yaml",
    "export_definition",
    "export_model",
    "import_definition",
    "import_model",
    "init_store",
    "load_yaml",
    "secure_store",
]
