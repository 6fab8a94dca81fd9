"""What every page needs: the GUI thread's store, the change bus and the task runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coordinator_app.changes import Changes
from coordinator_app.storage import Store

from .bus import ChangeBus
from .tasks import TaskRunner


@dataclass
class AppContext:
    store: Store
    bus: ChangeBus
    tasks: TaskRunner
    data_dir: Path
    expert_mode: bool = False   # an expert checks works by code: pupils' names are never shown
    #: The school year whose works the pages show (chosen in the main window; None: the current one).
    year: str | None = None

    def publish(self, changes: Changes) -> None:
        self.bus.publish(changes)

    @property
    def documents_dir(self) -> Path:
        """Default folder for PDFs the coordinator prints."""
        folder = self.data_dir / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def open_path(path: Path) -> bool:
    """Open a file with the system's viewer (PDF reader, player). Tests replace this function."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
