"""Exceptions that carry a message for the user (in Russian).

`UserError` means the input or the environment is wrong and nothing was changed; the CLI prints
its message and exits 1, the GUI shows it in a plain dialog. Anything else is a bug and goes to
the crash handler.
"""

from __future__ import annotations

import re
from typing import Any

#: Characters that would garble a message: C0/C1 controls, zero-width and direction marks.
_UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


class UserError(Exception):
    """Bad input or environment; `str(err)` is a complete Russian sentence for the user."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[str] = list(details or [])

    def __str__(self) -> str:  # pragma: no cover - trivial
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"• {d}" for d in self.details)


def quoted(value: Any, limit: int = 40) -> str:
    """What the user typed, fit to be quoted back in a message: unprintable characters shown as
    «\ufffd», at most `limit` characters (5000 typed digits are not repeated back)."""
    try:
        text = str(value)
    except ValueError:                 # an int beyond Python's 4300-digit conversion limit
        text = "очень большое число"
    text = _UNPRINTABLE_RE.sub("\ufffd", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class StorageError(UserError):
    """The data store cannot be used (locked, newer than the program, damaged, disk full)."""


class AlreadyRunningError(StorageError):
    """Another instance of the program holds the same data dir."""
