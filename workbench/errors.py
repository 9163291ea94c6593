"""The workbench's exceptions: one root, each also the built-in a caller would catch."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccessDenied",
    "AmbiguousPath",
    "ConcurrentEdit",
    "ExpressionError",
    "InvalidDefinition",
    "InvalidValue",
    "NotFound",
    "QueryTimeout",
    "SearchError",
    "StoreError",
    "UnitError",
    "WorkbenchError",
    "WorkbenchWarning",
]


class WorkbenchError(Exception):
    """Root of every error the workbench raises on purpose."""


class WorkbenchWarning(UserWarning):
    """Root of the workbench's warnings."""


class NotFound(WorkbenchError, KeyError):
    """A path, id or name that names nothing the caller may see."""

    def __init__(self, what: str, key: object, hint: str = "") -> None:
        self.what = what
        self.key = key
        self.hint = hint
        super().__init__(what, key)

    def __str__(self) -> str:
        text = f"{self.what} not found: {self.key!r}"
        return f"{text}; {self.hint}" if self.hint else text


class AmbiguousPath(WorkbenchError, LookupError):
    """A short path that matches more than one object; the full names tell them apart."""

    def __init__(self, path: str, candidates: Sequence[str]) -> None:
        self.path = path
        self.candidates = tuple(candidates)
        super().__init__(path, self.candidates)

    def __str__(self) -> str:
        listed = ", ".join(self.candidates)
        return f"path {self.path!r} is ambiguous; use one of the full names: {listed}"


class InvalidDefinition(WorkbenchError, ValueError):
    """A definition (namespace, object/attribute definition, type, tag, ...) that breaks a rule."""


class InvalidValue(WorkbenchError, ValueError):
    """An attribute value, argument or data point that breaks a rule."""


class UnitError(InvalidValue):
    """A unit that pint does not know, or two units that do not fit together."""


class AccessDenied(WorkbenchError, PermissionError):
    """The current user may not do this."""


class ConcurrentEdit(WorkbenchError, RuntimeError):
    """Someone else changed the element since it was read: the edit was refused."""


class StoreError(WorkbenchError, RuntimeError):
    """The store cannot be opened or is not in the expected state."""


class ExpressionError(WorkbenchError, ValueError):
    """An expression that does not parse or cannot be evaluated.

    When the fault has a position, ``line`` and ``column`` (1-based) locate it and the
    message shows the line with a caret under the fault; of a long line (a generated
    expression of thousands of terms) only the part around the fault.
    """

    def __init__(
        self,
        message: str,
        text: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        super().__init__(message)

    #: Characters shown either side of the fault on a long line (the rest becomes "...").
    _AROUND = 40

    def __str__(self) -> str:
        if self.text is None or self.line is None or self.column is None:
            return self.message
        lines = self.text.splitlines() or [""]
        source = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        where = f"(line {self.line}, column {self.column})"
        if len(source) <= 3 * self._AROUND:
            return f"{self.message} {where}\n    {source}\n    {' ' * (self.column - 1)}^"
        start = max(self.column - 1 - self._AROUND, 0)
        shown = source[start : self.column - 1 + self._AROUND]
        before = "..." if start else ""
        after = "..." if start + len(shown) < len(source) else ""
        caret = " " * (len(before) + self.column - 1 - start) + "^"
        return f"{self.message} {where}\n    {before}{shown}{after}\n    {caret}"


class SearchError(ExpressionError):
    """A search that does not parse or cannot be run (a comparison, a pattern, a limit).

    An :class:`ExpressionError` too, located in the search text the same way.
    """


class QueryTimeout(WorkbenchError, TimeoutError):
    """A search, calculation or store query stopped because it ran past a call's time limit.

    ``what`` names what was stopped, ``seconds`` is the limit and ``hint`` says how to stay
    within it.
    """

    def __init__(self, what: str, seconds: float, hint: str = "") -> None:
        self.what = what
        self.seconds = seconds
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.what} was stopped: it ran past the time limit of {self.seconds:g} s"
        return f"{text}; {self.hint}" if self.hint else text

    def __reduce__(self) -> tuple[type[QueryTimeout], tuple[str, float, str]]:
        return type(self), (self.what, self.seconds, self.hint)
