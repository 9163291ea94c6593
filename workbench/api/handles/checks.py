"""Checking a model against its definition: values still missing, values no longer accepted.

Creating an object never fails for want of values: every attribute starts with its default, or
empty. An array attribute whose definition asks for at least ``min_count`` values and gives no
default therefore starts with none (as in Volue Mesh, where a new object's attributes hold
nothing until they are written). Writing a value is always validated in full; what is not yet
written is reported by :func:`check_model` as *missing*, and a stored value that the definition
does not accept (say, a sensor reference whose sensor was deleted) as *invalid*. So is an
expression (template or local) that no longer passes the checks it passed when saved, after its
definition changed: an attribute it reads renamed, deleted or given another unit.

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Hydro")
>>> lake = md.create_object_definition("Reservoir")
>>> _ = lake.add_attribute("Levels", "double", array=True, min_count=2)
>>> model = ws.create_model("Lake", md, lake)
>>> [f.message for f in check_model(model)]
['Model/Lake.Levels holds 0 values; it takes at least 2']
>>> model["Levels"] = [101.5, 102.0]
>>> check_model(model)
[]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.api.services import checks as services
from workbench.api.services.checks import Finding

if TYPE_CHECKING:
    from workbench.api.handles.objects import Object

__all__ = ["Finding", "check_model"]


def check_model(model: Object) -> list[Finding]:
    """Every attribute of a model that misses values or holds refused ones, in tree order.

    Given any object of a model, the whole model is checked. The model is read in a few
    queries (see :mod:`workbench.api.services.snapshot`); objects the user may not read are not
    checked.
    """
    return services.check_model(model._ctx, model.info)
