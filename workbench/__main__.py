"""``python -m workbench``: the command line, as the ``workbench`` command runs it."""

from __future__ import annotations

from workbench.cli import main

if __name__ == "__main__":
    main()
