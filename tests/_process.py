"""Killing a child process the hard way, portably (tests of crash safety).

POSIX: the child leads its own session and the whole group gets SIGKILL (its worker processes
too). Windows: TerminateProcess on the child (`Popen.kill`); its workers notice their parent is
gone (the import's watchdog) and end by themselves.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def own_group() -> dict[str, Any]:
    """Popen arguments that put the child in its own process group."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}   # type: ignore[attr-defined]
    return {"start_new_session": True}


def kill_hard(proc: subprocess.Popen) -> None:
    if os.name == "nt":
        proc.kill()
    else:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
