"""workbench: Mesh-style object models and timely beliefs, in notebooks, as xarray."""

from importlib.metadata import PackageNotFoundError, version

from workbench.api import (
    Attribute,
    AttributeDefinition,
    AttributeType,
    Finding,
    ModelDefinition,
    Namespace,
    Object,
    ObjectDefinition,
    Sensor,
    Source,
    Tag,
    TemplateCalculation,
    TimeseriesValue,
    VirtualSeries,
    Workspace,
    check_model,
    connect,
    dump_yaml,
    export_definition,
    export_model,
    import_definition,
    import_model,
    init_store,
    load_yaml,
)
from workbench.api.pool import StorePool
from workbench.errors import (
    AccessDenied,
    AmbiguousPath,
    ConcurrentEdit,
    ExpressionError,
    InvalidDefinition,
    InvalidValue,
    NotFound,
    QueryTimeout,
    SearchError,
    StoreError,
    UnitError,
    WorkbenchError,
)
from workbench.interop.flexmeasures import import_flexmeasures
from workbench.metamodel import ValueType
from workbench.paths import ObjectPath, parse_path

try:
    __version__ = version("workbench")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AccessDenied",
    "AmbiguousPath",
    "Attribute",
    "AttributeDefinition",
    "AttributeType",
    "ConcurrentEdit",
    "ExpressionError",
    "Finding",
    "InvalidDefinition",
    "InvalidValue",
    "ModelDefinition",
    "Namespace",
    "NotFound",
    "Object",
    "ObjectDefinition",
    "ObjectPath",
    "QueryTimeout",
    "SearchError",
    "Sensor",
    "Source",
    "StoreError",
    "StorePool",
    "Tag",
    "TemplateCalculation",
    "TimeseriesValue",
    "UnitError",
    "ValueType",
    "VirtualSeries",
    "WorkbenchError",
    "Workspace",
    "__version__",
    "check_model",
    "connect",
    "dump_yaml",
    "export_definition",
    "export_model",
    "import_definition",
    "import_flexmeasures",
    "import_model",
    "init_store",
    "load_yaml",
    "parse_path",
]
