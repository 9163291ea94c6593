"""Text from the store made safe to show on a terminal: no control character reaches it raw.

Names, values, descriptions and sources are written by tenants. Printed as they are, an escape
sequence in one could retitle the window, recolour or erase the screen, or move the cursor to
fake other output; a bidirectional override could reverse what follows it. Every command prints
store text through :func:`terminal_safe` (or :func:`safe_text` for styled rich text), which
shows each such character as a visible escape, ``\\x1b``, ``\\n`` or ``\\u202e``. The characters
are those no name may hold (:data:`workbench.paths.CONTROL_CHARACTERS`). Rich markup is never
applied to store text either: commands print :class:`rich.text.Text`, never markup strings.

Data written for programs (CSV, YAML to a file or a pipe) stays exact; see
``workbench beliefs show --format csv``.

Examples
--------
>>> print(terminal_safe("\\x1b]0;PWNED\\x07\\x1b[2Jred\\u202eevil"))
\\x1b]0;PWNED\\x07\\x1b[2Jred\\u202eevil
"""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING

from rich.text import Text

from workbench.paths import CONTROL_CHARACTERS, escape_controls

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.tree import Tree

    from workbench.errors import WorkbenchError

__all__ = ["cells", "error_lines", "is_terminal", "safe_text", "safe_tree", "terminal_safe"]

_UNSAFE = re.compile(f"[{CONTROL_CHARACTERS}]")


def terminal_safe(text: object, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as a visible escape (see the module).

    Parameters
    ----------
    text
        What to show; not a string: its ``str()``.
    newlines
        Keep line feeds as they are (multi-line text); by default they are escaped too, so a
        single-line field stays one line.
    """
    return escape_controls(str(text), newlines=newlines)


def safe_text(text: RenderableType) -> RenderableType:
    """A rich Text with its control characters escaped and its styles kept; a string as Text.

    Other renderables are returned as they are.
    """
    if isinstance(text, str):
        return Text(terminal_safe(text))
    if not isinstance(text, Text) or _UNSAFE.search(text.plain) is None:
        return text
    cuts = sorted({p for span in text.spans for p in (span.start, span.end)} - {0, len(text)})
    out = text.blank_copy()
    for piece in text.divide(cuts):
        start = len(out)
        out.append(terminal_safe(piece.plain))
        for span in piece.spans:  # each covers the whole piece: the cuts are at every edge
            out.stylize(span.style, start, len(out))
    return out


def cells(*values: object) -> list[Text]:
    """Table cells of ``values``: their text escaped, as Text so no markup applies to them."""
    return [Text(terminal_safe(v)) for v in values]


def safe_tree(tree: Tree) -> Tree:
    """``tree`` with every label passed through :func:`safe_text` (in place; returned)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        node.label = safe_text(node.label)
        stack.extend(node.children)
    return tree


def error_lines(exc: WorkbenchError) -> list[str]:
    """An error's message as safe lines; an expression error's caret still under its fault."""
    from workbench.errors import ExpressionError

    if not isinstance(exc, ExpressionError):
        return [terminal_safe(exc)]
    text, line, column = exc.text, exc.line, exc.column
    if text is None or line is None or column is None:
        return [terminal_safe(exc)]
    lines = text.splitlines() or [""]
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    before = terminal_safe(source[: column - 1])
    return [
        terminal_safe(f"{exc.message} (line {line}, column {column})"),
        f"    {terminal_safe(source)}",
        f"    {' ' * len(before)}^",
    ]


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal (where data is shown, not stored or piped on)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())
