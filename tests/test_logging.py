"""Crash reports and the rotating log live in the data dir and say where they are."""

from __future__ import annotations

import sys
from pathlib import Path

from coordinator_app.logging_setup import install_crash_hook, setup_logging


def test_crash_hook_saves_the_trace_and_tells_where(tmp_path: Path, monkeypatch) -> None:
    told: list[tuple[Path, str]] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_crash_hook(tmp_path, lambda path, summary: told.append((path, summary)))
    try:
        raise ValueError("что-то сломалось")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    (path, summary), = told
    assert path.parent == tmp_path / "logs" and path.exists()
    assert "что-то сломалось" in path.read_text(encoding="utf-8") and "ValueError" in summary


def test_log_file_is_created_in_the_data_dir(tmp_path: Path) -> None:
    path = setup_logging(tmp_path)
    assert path == tmp_path / "logs" / "vpr-coordinator.log" and path.exists()
