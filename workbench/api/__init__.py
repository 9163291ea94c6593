"""The facade: connect(), transactions, identity and access checks, and the handles it returns."""

from workbench.api.attributes import AttributeDefinition, AttributeType, ObjectDefinition
from workbench.api.base import Namespace, Tag, TemplateCalculation
from workbench.api.calc_virtual import VirtualSeries
from workbench.api.checks import Finding, check_model
from workbench.api.definitions import ModelDefinition
from workbench.api.exchange import (
    dump_yaml,
    export_definition,
    export_model,
    import_definition,
    import_model,
    load_yaml,
)
from workbench.api.identity import init_store
from workbench.api.objects import Attribute, Object
from workbench.api.resolver import StoreResolver
from workbench.api.security import secure_store
from workbench.api.sensors import Sensor
from workbench.api.sources import Source
from workbench.api.values import TimeseriesValue
from workbench.api.workspace import Workspace, connect

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
