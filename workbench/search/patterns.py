"""Regular expressions of the search's ``#`` operator, run in linear time by RE2.

A pattern comes from whoever writes the search, so it must not be able to stall the process:
Python's ``re`` backtracks (``(a+)+$`` against forty ``a`` and a ``b`` takes hours), RE2 never
does. RE2 takes the usual syntax (classes, ``*?``, ``{n,m}``, ``(?i)``, named groups) but
refuses the constructs that need backtracking: backreferences (``\\1``, ``(?P=name)``),
lookahead and lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic groups and possessive
quantifiers; ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII (``\\pL``, ``\\pN`` are Unicode).
A pattern is at most :data:`MAX_PATTERN_LENGTH` characters.

>>> compile_pattern("Plant[A-C]").fullmatch("PlantB") is not None
True
>>> compile_pattern("(a)\\\\1")
Traceback (most recent call last):
...
workbench.errors.SearchError: invalid regular expression '(a)\\\\1': invalid escape sequence: ...
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import re2

from workbench.errors import SearchError

__all__ = ["MAX_PATTERN_LENGTH", "UNSUPPORTED", "compile_pattern", "shown"]

MAX_PATTERN_LENGTH: Final = 1_000
"""The longest regular expression a search may hold, in characters."""

UNSUPPORTED: Final = (
    "patterns run in linear time (RE2 syntax), which has no backreferences (\\1, (?P=name)), "
    "lookahead or lookbehind ((?=...), (?!...), (?<=...), (?<!...)), atomic groups or "
    "possessive quantifiers"
)
"""What RE2 does not take, for messages."""

_SHOWN: Final = 60


def shown(pattern: str) -> str:
    """``pattern`` quoted for a message, shortened to its start if it is long.

    >>> shown("a" * 100)
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (100 characters)"
    """
    if len(pattern) <= _SHOWN:
        return repr(pattern)
    return f"{pattern[:_SHOWN] + '...'!r} ({len(pattern):,} characters)"


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, ignore_case: bool = False) -> re2._Regexp[str]:
    """``pattern`` compiled by RE2 (cached); ``ignore_case`` folds case as ``{i}`` asks.

    Raises :class:`~workbench.errors.SearchError` (without a position: the parser adds it)
    naming the pattern when it is too long or uses what RE2 does not support.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise SearchError(
            f"regular expression {shown(pattern)} is too long; a pattern may have at most "
            f"{MAX_PATTERN_LENGTH:,} characters"
        )
    options = re2.Options()
    options.log_errors = False  # the refusal is raised, not printed
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not understood"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise SearchError(
            f"invalid regular expression {shown(pattern)}: {reason}; {UNSUPPORTED}"
        ) from None
