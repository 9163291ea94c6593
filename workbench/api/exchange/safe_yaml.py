"""The YAML the workbench reads and writes: safe tags only, bounded, no anchors or aliases.

A document is refused before it can cost much: its size is checked before parsing, and while
its nodes are composed from the parser's events an anchor or alias, nesting deeper than
:data:`MAX_YAML_DEPTH` or more than :data:`MAX_YAML_NODES` nodes stop it, before any value is
built or shared. So a "billion laughs" document, in which each alias repeats the one before,
is refused at its first anchor. Exported text never holds anchors either: a value that appears
twice is written out twice.

Examples
--------
>>> load_yaml("a: &x [1, 2]\\nb: *x\\n")
Traceback (most recent call last):
...
workbench.errors.InvalidValue: the YAML text is refused at line 1, column 4: it holds the \
anchor '&x'; anchors and aliases are not accepted (write each value out in full)
>>> shared = [1, 2]
>>> print(dump_yaml({"a": shared, "b": shared}), end="")
a:
  - 1
  - 2
b:
  - 1
  - 2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import MarkedYAMLError
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent
from yaml.nodes import Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from workbench.errors import InvalidValue

__all__ = [
    "MAX_YAML_CHARS",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MAX_YAML_NUMBER_CHARS",
    "dump_yaml",
    "load_yaml",
]

#: The longest YAML text read, in characters, checked before it is parsed.
MAX_YAML_CHARS: Final = 50_000_000
#: How deep lists and mappings may nest. A model's object tree takes three levels per generation
#: (``children``, the ownership attribute's list, the object), so about 60 generations fit.
MAX_YAML_DEPTH: Final = 200
#: The most nodes (scalars, lists, mappings) one document may hold: about 12 MB of exported
#: YAML, some 30,000 objects, read in seconds; more would take minutes and gigabytes.
MAX_YAML_NODES: Final = 1_000_000
#: The longest integer read: base-60 integers (``1:30:00``) cost quadratic time in their length.
MAX_YAML_NUMBER_CHARS: Final = 1_000


# -- writing -------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, list items indented under their key, multi-line text as literal blocks,
    and never an anchor: a value that appears twice is written twice."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PyYAML writes a NEL (U+0085) as it is in other styles and reads it back as a line break
    # (or a space): only double quotes, where it is written as the escape \N, keep it.
    style = '"' if "\x85" in text else "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(data: Any) -> str:
    """YAML text of exported data: safe, block style, keys in the order the export gives them."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


# -- reading -------------------------------------------------------------------------------------


class _Refused(MarkedYAMLError):
    """A document that parses but breaks one of the limits."""

    def __init__(self, problem: str, mark: Any) -> None:  # PyYAML's Mark or libyaml's
        super().__init__(problem=problem, problem_mark=mark)


class _Bounded(Composer, SafeConstructor, Resolver):
    """Composition and construction with the limits, on whichever parser produces the events.

    Times stay text: the workbench parses them where they are used.
    """

    def __init__(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._nodes = 0

    if TYPE_CHECKING:  # given by the parser the loader is built on

        def peek_event(self) -> Event | None: ...
        def dispose(self) -> None: ...

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        mark = None if event is None else event.start_mark
        if isinstance(event, AliasEvent):
            raise _Refused(_no_anchors(f"the alias '*{event.anchor:.40}'"), mark)
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused(_no_anchors(f"the anchor '&{event.anchor:.40}'"), mark)
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise _Refused(f"it holds more than {MAX_YAML_NODES:,} values", mark)
        if self._depth >= MAX_YAML_DEPTH and isinstance(event, CollectionStartEvent):
            raise _Refused(f"its values nest more than {MAX_YAML_DEPTH} levels deep", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: ScalarNode) -> int:
        if len(node.value) > MAX_YAML_NUMBER_CHARS:
            raise _Refused(
                f"an integer of {len(node.value):,} characters; integers have at most "
                f"{MAX_YAML_NUMBER_CHARS:,}",
                node.start_mark,
            )
        return super().construct_yaml_int(node)


def _no_anchors(found: str) -> str:
    return f"it holds {found}; anchors and aliases are not accepted (write each value out in full)"


_Bounded.yaml_constructors = {
    **SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:int": _Bounded.construct_yaml_int,
}
_Bounded.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _PythonLoader(Reader, Scanner, Parser, _Bounded):
    """The bounded loader on PyYAML's own (pure Python) parser."""

    def __init__(self, stream: str | bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Bounded.__init__(self)


_Loader: Callable[[str | bytes], _Bounded] = _PythonLoader
try:
    from yaml._yaml import CParser  # libyaml's parser (as yaml.cyaml uses it): about 4x faster

    class _LibyamlLoader(_Bounded, CParser):
        """The bounded loader on libyaml's parser (its events, composed here, in Python)."""

        def __init__(self, stream: str | bytes) -> None:
            CParser.__init__(self, stream)
            _Bounded.__init__(self)

    _Loader = _LibyamlLoader
except ImportError:  # PyYAML built without libyaml
    pass


def load_yaml(text: str | bytes) -> Any:
    """Read YAML text safely and within the limits above (times stay text).

    Raises InvalidValue naming where the text does not parse or breaks a limit (an anchor or
    alias, too long, too deep, too many values); nothing of it is built then.
    """
    if not isinstance(text, str | bytes):
        raise InvalidValue(f"load_yaml reads YAML text (str or bytes), got {type(text).__name__}")
    if len(text) > MAX_YAML_CHARS:
        unit = "bytes" if isinstance(text, bytes) else "characters"
        raise InvalidValue(
            f"the YAML text is {len(text):,} {unit} long; at most {MAX_YAML_CHARS:,} are read"
        )
    loader = _Loader(text)  # as yaml.load does it
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1}"
        said = [getattr(exc, "context", None), getattr(exc, "problem", None)]
        problem = ", ".join(filter(None, said)) or str(exc)
        verb = "is refused" if isinstance(exc, _Refused) else "does not parse"
        raise InvalidValue(f"the YAML text {verb}{where}: {problem}") from None
    finally:
        loader.dispose()
