"""One app-wide signal carrying what a use-case changed; every page decides whether to refresh."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from coordinator_app.changes import Changes


class ChangeBus(QObject):
    changed = Signal(object)  # Changes

    def publish(self, changes: Changes) -> None:
        if changes:
            self.changed.emit(changes)
