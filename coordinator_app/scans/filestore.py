"""Content-addressed storage of scans under the data dir.

    scans/originals/<aa>/<sha256>.<ext>   the imported file, byte for byte
    scans/pages/<aa>/<sha256>.<ext>       a page rendered from a PDF or TIFF (JPEG/PNG/BMP pages are
                                          the original itself)
    scans/thumbs/<aa>/<sha256>.jpg        a small preview of a page, keyed by the page's hash
    audio/<aa>/<sha256>.<ext>             audio of the oral part of a foreign-language work

A path follows from the content, so a file is written once (atomically) and never changes;
moving a page to another participant touches rows only. A crash can leave a file without a row
(files are written before rows); `sweep_orphans` removes such files, and only those. A writer
that may leave such files brackets its work with `begin_writes` / `end_writes`: the marker
file left by one that never finished tells the next one that a sweep is due, so a store whose
writers all finished is never walked (the walk grows with the store).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from ..fsutil import atomic_write_bytes, atomic_writer

SCANS_DIR = "scans"          # the folder of the stored scans, beside the database
AREAS = ("originals", "pages", "thumbs")
UNFINISHED_MARKER = ".scans-writes-unfinished"


def rel_path(area: str, sha256: str, ext: str) -> str:
    root = "audio" if area == "audio" else f"{SCANS_DIR}/{area}"
    return f"{root}/{sha256[:2]}/{sha256}.{ext.lstrip('.').lower()}"


def put(data_dir: Path, rel: str, data: bytes) -> None:
    """Write content-addressed bytes once. An existing file with that name already holds them."""
    target = Path(data_dir) / rel
    if target.exists() and target.stat().st_size == len(data):
        return
    atomic_write_bytes(target, data)


class SourceChanged(Exception):
    """The file read for copying is not the one hashed a moment ago (changed or replaced)."""


def put_copy(data_dir: Path, rel: str, source: Path, sha256: str, chunk: int = 1 << 20) -> None:
    """Copy the file `source` to `rel`, its content address, block by block (a file of any size
    takes a block of memory); raises SourceChanged, storing nothing, if the bytes copied are not
    the ones `sha256` was taken from."""
    import hashlib

    target = Path(data_dir) / rel
    if target.exists() and target.stat().st_size == Path(source).stat().st_size:
        return
    digest = hashlib.sha256()
    with open(source, "rb") as src, atomic_writer(target) as dst:
        while block := src.read(chunk):
            digest.update(block)
            dst.write(block)
        if digest.hexdigest() != sha256:
            raise SourceChanged(str(source))


def writes_unfinished(data_dir: Path) -> bool:
    """True if a writer began storing files and never said it finished (crashed, killed)."""
    return (Path(data_dir) / UNFINISHED_MARKER).exists()


def begin_writes(data_dir: Path) -> None:
    """Mark the data dir before storing files whose rows come later (durably, so that a power
    cut after the files cannot lose the marker)."""
    atomic_write_bytes(Path(data_dir) / UNFINISHED_MARKER, b"")


def end_writes(data_dir: Path) -> None:
    """Every stored file has its rows (or was swept): no sweep is due."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(Path(data_dir) / UNFINISHED_MARKER)


@contextlib.contextmanager
def unfinished_writes(data_dir: Path, db):
    """Bracket a writer whose files and rows may disagree if it dies half-way (files stored before
    their rows, or rows deleted before their files): a sweep left due by an earlier writer runs
    first, the marker stays if this one dies, and is removed when it finishes or fails cleanly."""
    if writes_unfinished(data_dir):
        sweep_orphans(data_dir, db, older_than_s=0)
    begin_writes(data_dir)
    try:
        yield
    except BaseException:
        sweep_orphans(data_dir, db, older_than_s=0)
        end_writes(data_dir)
        raise
    end_writes(data_dir)


def referenced_paths(db) -> set[str]:
    paths: set[str] = set()
    for sql in ("SELECT stored_path FROM scan_files", "SELECT image_path FROM scan_pages",
                "SELECT thumb_path FROM scan_pages", "SELECT stored_path FROM audio_files"):
        paths.update(row[0] for row in db.execute(sql).fetchall())
    return paths


def sweep_orphans(data_dir: Path, db, older_than_s: float = 600.0) -> int:
    """Delete stored files that no row references (left by a crash or a cancel).

    Only files older than `older_than_s` are touched, so an import running in another process
    (whose files are written just before their rows) is never disturbed. Temporary files from an
    interrupted atomic write are removed the same way.
    """
    data_dir = Path(data_dir)
    keep = referenced_paths(db)
    now = time.time()
    removed = 0
    for rel_root in [f"{SCANS_DIR}/{area}" for area in AREAS] + ["audio"]:
        for rel, entry in _walk(data_dir / rel_root, rel_root):
            if rel in keep:
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime >= older_than_s:
                    os.remove(entry.path)
                    removed += 1
    return removed


def _walk(folder: Path | str, rel: str):
    """(path relative to the data dir with "/", os.DirEntry) of every file under `folder`."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = f"{rel}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, name)
            elif entry.is_file():
                yield name, entry
        except OSError:
            continue


def remove_if_unreferenced(data_dir: Path, db, rels: list[str]) -> int:
    keep = referenced_paths(db)
    removed = 0
    for rel in set(rels):
        if rel in keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.remove(Path(data_dir) / rel)
            removed += 1
    return removed
