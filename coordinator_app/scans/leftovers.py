"""What an interrupted import of scans leaves behind, for `verify`, and its removal at start-up.

A writer of scan files (the import, an audio attachment, a purge) stores files before their rows
and keeps a marker file while it works (`filestore.unfinished_writes`). Killed half-way, it leaves
the marker and files that no row references. They are harmless — no page points to them — and
the next writer sweeps them; the program's start sweeps them too (`remove_leftovers`), so they
never outlive the next start. `leftover_problems` says what they are, in `verify`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import AlreadyRunningError
from ..storage.lock import DataDirLock
from ..words import counted
from . import filestore

#: The import's own lock (held while an import runs in any process): the start-up sweep never
#: runs under a live import, whose files are written just before their rows.
IMPORT_LOCK = ".scans-import.lock"


def leftover_files(data_dir: Path, db) -> list[str]:
    """Files (relative to the data dir) an unfinished writer left without rows; [] when every
    writer finished (the store is then not walked)."""
    if not filestore.writes_unfinished(data_dir):
        return []
    keep = filestore.referenced_paths(db)
    found = []
    for root in [f"{filestore.SCANS_DIR}/{area}" for area in filestore.AREAS] + ["audio"]:
        found += [rel for rel, _entry in filestore._walk(Path(data_dir) / root, root) if rel not in keep]
    return sorted(found)


def leftover_problems(store) -> list[str]:
    """For `verify`: one line saying what the files of an interrupted import are and when they go."""
    files = leftover_files(store.data_dir, store.conn)
    if not files:
        return []
    return [f"импорт сканов был прерван и оставил {counted(len(files), 'файл', 'файла', 'файлов')} без записей "
            f"в базе (например, {files[0]}). Это не повреждение: работы и страницы в базе целы, а эти файлы "
            "будут удалены при следующем запуске программы или следующем импорте сканов"]


def remove_leftovers(store) -> int:
    """At the program's start: remove what an interrupted writer left (the files, then the
    marker). Skipped while an import runs in another process; returns the files removed."""
    if not filestore.writes_unfinished(store.data_dir):
        return 0
    lock = DataDirLock(store.data_dir, IMPORT_LOCK)
    try:
        lock.acquire()
    except (AlreadyRunningError, OSError):     # an import is running; a read-only data dir
        return 0
    try:
        removed = filestore.sweep_orphans(store.data_dir, store.conn, older_than_s=0)
        filestore.end_writes(store.data_dir)
    finally:
        lock.release()
    return removed
