"""Exceptions that carry a message for the user (in Russian).

`UserError` means the input or the environment is wrong and nothing was changed; the CLI prints
its message and exits 1, the GUI shows it in a plain dialog. Anything else is a bug and goes to
the crash handler.
"""

from __future__ import annotations


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


class StorageError(UserError):
    """The data store cannot be used (locked, newer than the program, damaged, disk full)."""


class AlreadyRunningError(StorageError):
    """Another instance of the program holds the same data dir."""
