"""The `vpr-coordinator` entry point: the CLI, and the GUI when no command is given.

It lives on the Qt side so that `coordinator_app` never imports `ui`; Qt itself is imported only
when the GUI really starts, so CLI commands stay Qt-free.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from coordinator_app.cli import main as cli_main


def _start_gui(data_dir: str | None, smoke_test: bool) -> int:
    from .app import run_gui  # start-up: a command never loads Qt

    return run_gui(data_dir=data_dir, smoke_test=smoke_test)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, gui=_start_gui)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
