"""Logging to a rotating file in `<data dir>/logs`, and the crash report writer.

The log is quiet (a line per start, migrations, backups, failures), so it is rotated when a process
opens it and finds it full, not in the middle of a run: the handler is a plain `FileHandler`, and
`logging.handlers` (which brings socket, pickle and queue, a tenth of a CLI command's cost) is
imported only on the rare start that rotates.

The crash hook (`install_crash_hook`) saves the traceback to `logs/crash-<time>.txt` and hands the
path to a callback (the GUI shows it in a dialog; the CLI prints it).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from . import __version__

LOG_FILE = "vpr-coordinator.log"
LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 5
_configured: Path | None = None


class _LogFile(logging.FileHandler):
    """The log file. A line that cannot be written (the disk is full) is dropped: logging's
    default prints "--- Logging error ---" and a traceback on the console instead."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
        pass


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "logs"


def setup_logging(data_dir: Path, *, console: bool = False) -> Path:
    global _configured
    folder = log_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    if _configured == path:
        return path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_vpr", False):
            root.removeHandler(handler)
            handler.close()
    _rotate_if_full(path)
    handler = _LogFile(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._vpr = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream._vpr = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(logging.INFO)
    _configured = path
    logging.getLogger(__name__).info("ВПР-Координатор %s, data dir %s", __version__, data_dir)
    return path


def _rotate_if_full(path: Path) -> None:
    """vpr-coordinator.log -> .log.1 -> … -> .log.5 (the oldest dropped) once it reaches the limit."""
    try:
        if path.stat().st_size < LOG_MAX_BYTES:
            return
    except OSError:
        return
    import logging.handlers  # start-up: it loads socket and pickle

    rotating = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS,
                                                    encoding="utf-8", delay=True)
    try:
        rotating.doRollover()
    finally:
        rotating.close()


def write_crash_report(data_dir: Path, exc_type: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> Path:
    folder = log_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{dt.datetime.now():%Y%m%d-%H%M%S}.txt"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    path.write_text(f"ВПР-Координатор {__version__}\nPython {sys.version}\n\n{text}", encoding="utf-8")
    logging.getLogger(__name__).error("crash: %s", text)
    return path


def install_crash_hook(data_dir: Path, notify: Callable[[Path, str], None]) -> None:
    """Replace sys.excepthook: save the trace, then `notify(report_path, short_text)`."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        try:
            path = write_crash_report(data_dir, exc_type, exc, tb)
        except OSError:
            sys.__excepthook__(exc_type, exc, tb)
            return
        notify(path, f"{exc_type.__name__}: {exc}")

    sys.excepthook = hook
