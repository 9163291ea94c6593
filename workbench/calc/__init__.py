"""The calculation language: Mesh-style expressions over the model, evaluated on xarray.

Scripts of ``Name = expr`` lines and a ``## = expr`` result (or one bare expression) read the
model through lookups (``@t('.Inflow')``, ``@T('.To_Plants/*.Production')``, ``@d``, ``@D``,
``@s``, ``@S``) and compute with operators and functions (``@TRANSFORM``, ``@SUM``, ``@XY``, ...),
with units checked and inferred before any data is read. The model is reached through a
:class:`~workbench.calc.protocol.Resolver`, asked in batches.

>>> expr = compile_expression("Total = @SUM(@T('.To_Plants/*.Production'))\\n## = Total * 0.9")
>>> expr.kind, expr.paths
('t', ('.To_Plants/*.Production',))
"""

from __future__ import annotations

from workbench.calc.evaluate import (
    Expression,
    Result,
    compile_expression,
    evaluate,
    evaluate_many,
    infer_type,
    infer_unit,
)
from workbench.calc.memory import MemoryResolver
from workbench.calc.parser import parse
from workbench.calc.protocol import Lookup, LookupInfo, ObjectId, Resolver, Viewpoint
from workbench.calc.values import ValueType

__all__ = [
    "Expression",
    "Lookup",
    "LookupInfo",
    "MemoryResolver",
    "ObjectId",
    "Resolver",
    "Result",
    "ValueType",
    "Viewpoint",
    "compile_expression",
    "evaluate",
    "evaluate_many",
    "infer_type",
    "infer_unit",
    "parse",
]
