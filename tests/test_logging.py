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


def test_a_full_log_is_rotated_when_opened(tmp_path: Path) -> None:
    from coordinator_app import logging_setup

    folder = tmp_path / "logs"
    folder.mkdir()
    full = folder / "vpr-coordinator.log"
    full.write_text("старое\n" * (logging_setup.LOG_MAX_BYTES // 13 + 1), encoding="utf-8")
    (folder / "vpr-coordinator.log.1").write_text("ещё старее\n", encoding="utf-8")
    try:
        path = setup_logging(tmp_path)
        assert (folder / "vpr-coordinator.log.2").read_text(encoding="utf-8") == "ещё старее\n"
        assert (folder / "vpr-coordinator.log.1").read_text(encoding="utf-8").startswith("старое\n")
        assert path.stat().st_size < 1000 and "ВПР-Координатор" in path.read_text(encoding="utf-8")
        setup_logging(tmp_path / "other")  # a small log is left alone
        assert not (tmp_path / "other" / "logs" / "vpr-coordinator.log.1").exists()
    finally:
        import logging

        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_vpr", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
        logging_setup._configured = None
