"""Content-addressed storage of scans under the data dir.

    scans/originals/<aa>/<sha256>.<ext>   the imported file, byte for byte
    scans/pages/<aa>/<sha256>.<ext>       a page rendered from a PDF or TIFF (JPEG/PNG/BMP pages are
                                          the original itself)
    scans/thumbs/<aa>/<sha256>.jpg        a small preview of a page, keyed by the page's hash
    audio/<aa>/<sha256>.<ext>             audio of the oral part of a foreign-language work

A path follows from the content, so a file is written once (atomically) and never changes;
moving a page to another participant touches rows only. A crash can leave a file without a row
(files are written before rows); `sweep_orphans` removes such files, and only those.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from ..fsutil import atomic_write_bytes

SCANS = "scans"
AREAS = ("originals", "pages", "thumbs")


def rel_path(area: str, sha256: str, ext: str) -> str:
    root = "audio" if area == "audio" else f"{SCANS}/{area}"
    return f"{root}/{sha256[:2]}/{sha256}.{ext.lstrip('.').lower()}"


def put(data_dir: Path, rel: str, data: bytes) -> None:
    """Write content-addressed bytes once. An existing file with that name already holds them."""
    target = Path(data_dir) / rel
    if target.exists() and target.stat().st_size == len(data):
        return
    atomic_write_bytes(target, data)


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
    roots = [data_dir / SCANS / area for area in AREAS] + [data_dir / "audio"]
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            rel = path.relative_to(data_dir).as_posix()
            if rel in keep:
                continue
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime >= older_than_s:
                    path.unlink()
                    removed += 1
    return removed


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
