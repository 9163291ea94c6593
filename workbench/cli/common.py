"""What every command shares: the global options, opening the workspace, output and failures."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from workbench.cli.terminal import terminal_safe

if TYPE_CHECKING:
    from workbench.api import Workspace

__all__ = [
    "Settings",
    "console",
    "fail",
    "open_workspace",
    "read_text",
    "say",
    "secret_of",
    "settings",
    "write_text",
]

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """The global options: which store, as whom."""

    url: str | None = None
    user: str | None = None
    secret: str | None = None

    def __repr__(self) -> str:  # neither the URL's password nor the secret
        from workbench.store import redact_url

        url = None if self.url is None else redact_url(self.url)
        secret = None if self.secret is None else "***"
        return f"Settings(url={url!r}, user={self.user!r}, secret={secret!r})"


def settings(ctx: typer.Context) -> Settings:
    """The global options of this invocation (set by the root callback)."""
    found = ctx.find_object(Settings)
    return found if found is not None else Settings()


def say(message: str) -> None:
    """Print a one-line message on stdout: no markup, no wrapping, control characters escaped.

    Messages hold store text (names, values), so a line feed in one is shown as ``\\n`` too:
    say each line of a multi-line text on its own.
    """
    console.print(Text(terminal_safe(message)), soft_wrap=True)


def fail(message: str, *more: str) -> NoReturn:
    """Print a red message on stderr (``error: MESSAGE``, then each of ``more`` on a line of its
    own, every one with its control characters escaped) and exit with status 1."""
    lines = [f"error: {message}", *more]
    errors.print(Text("\n".join(map(terminal_safe, lines)), style="red"), soft_wrap=True)
    raise typer.Exit(1)


def secret_of(s: Settings, prompt: str) -> str:
    """The secret given, or one asked for without echo."""
    if s.secret is not None:
        return s.secret
    return str(typer.prompt(prompt, hide_input=True))


def open_workspace(ctx: typer.Context) -> Workspace:
    """Connect to the store of the global options; the engine is closed when the command ends."""
    import workbench as wb

    s = settings(ctx)
    secret = None if s.user is None else secret_of(s, f"secret for {s.user}")
    ws = wb.connect(s.url, user=s.user, secret=secret)
    ctx.call_on_close(ws.close)
    return ws


def read_text(path: Path, limit: int | None = None) -> str:
    """The text of a file (``-``: standard input), refused when longer than ``limit`` characters.

    No more than ``limit`` + 1 characters are read, however large the file.
    """
    try:
        if str(path) == "-":
            text = sys.stdin.read(-1 if limit is None else limit + 1)
        else:
            with path.open(encoding="utf-8") as file:
                text = file.read(-1 if limit is None else limit + 1)
    except OSError as exc:
        fail(f"cannot read {str(path)!r}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {str(path)!r}: it is not UTF-8 text ({exc.reason})")
    if limit is not None and len(text) > limit:
        fail(f"cannot read {str(path)!r}: it holds more than {limit:,} characters, the most read")
    return text


def write_text(path: Path, text: str) -> None:
    """Write a file (``-``: standard output)."""
    if str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {str(path)!r}: {exc.strerror or exc}")
