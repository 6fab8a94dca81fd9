"""Writing to a removable medium so that nothing that looks complete is ever left behind unless it
reads back whole: a folder of files (the re-check package) or one file (a backup archive).

A folder is written into a hidden `.<name>.partial-<random>` folder beside where it goes. Each file
is fsynced, its cached copy dropped (POSIX), and read back through the same handle: it must be byte
for byte what was written (a CRC-32 for files above 32 MiB), and its SHA-256 is taken from those
bytes, so every byte is hashed once. Then the folder is renamed to its final name (never one that
exists) and checked once more (the files kept for it byte for byte, every other file of the right
size, nothing missing, nothing extra). One file is written under `.<name>.partial`, locked
(POSIX) while it is written, fsynced, checked by the caller's own read-back and renamed. Any
OSError (stick pulled out, disk full, read-only), a failed read-back or a cancel removes everything
written, in one place: the context manager's exit.

Partials an earlier run left (a power cut, a killed program) are removed by the next run; a
partial file another run is writing right now is left alone (POSIX: its lock; Windows deletes no
open file anyway, not even one this process holds, so there it is deleted without being opened).

Every operating-system call goes through a `Medium`; tests pass a fake one that fills up, is
pulled out or returns other bytes than it was given.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

#: Read size for the read-back.
CHUNK = 1 << 20
#: Up to this many bytes of a file are kept in memory while it is written, to compare the
#: read-back with (a scan PDF: ≈ 0.5 MB); a larger file (a big criteria scan) is compared by CRC-32.
KEEP_FOR_COMPARE = 32 << 20
#: Files written at a time: reading, hashing, writing and fsync release the GIL, so one file's
#: fsync overlaps the others' work (issue 5's target: ≥ 70 % of a plain copy).
WRITE_THREADS = 4
#: fsync answers these on file systems that cannot sync (some FUSE mounts): the data are written.
_NO_SYNC = (errno.EINVAL, getattr(errno, "ENOTSUP", errno.EINVAL), getattr(errno, "EOPNOTSUPP", errno.EINVAL))


class Mismatch(Exception):
    """What was read back from the medium is not what was written; `args` name each file."""


class Cancelled(Exception):
    """The user cancelled the write."""


# -- the medium -----------------------------------------------------------------------------------------


class Medium:
    """The operating-system calls a verified write makes on the target. Tests pass a subclass
    that fails the way a real stick does."""

    @property
    def windows(self) -> bool:
        return os.name == "nt"

    def create(self, path: Path) -> BinaryIO:
        """A new file (never an existing one), open for writing and reading back."""
        return open(path, "x+b")

    def open_read(self, path: Path) -> BinaryIO:
        return open(path, "rb")

    def fsync(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as err:
            if err.errno not in _NO_SYNC:
                raise

    def drop_cache(self, fd: int) -> None:
        """Ask the OS to forget its cached copy of the (fsynced) file, so that the read-back reads
        what the medium holds, not what is still in memory: a stick that loses writes (a failing
        or fake-capacity one) is caught. Linux and other POSIX systems; elsewhere a no-op."""
        advise = getattr(os, "posix_fadvise", None)
        if advise is not None:
            with contextlib.suppress(OSError):
                advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def fsync_dir(self, folder: Path) -> None:
        # Directory fsync makes a rename durable on POSIX; Windows has no such call.
        if os.name != "posix":
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            self.fsync(fd)
        finally:
            os.close(fd)

    def lock(self, stream: BinaryIO) -> bool:
        """Take the advisory lock marking a partial file as being written; False if another
        process holds it. Windows: no lock (an open file cannot be deleted there anyway)."""
        try:
            import fcntl  # POSIX only
        except ImportError:  # pragma: no cover - Windows
            return True
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            return True
        return True

    def mkdir(self, path: Path) -> None:
        os.mkdir(path)

    def rename(self, source: Path, target: Path) -> None:
        os.rename(source, target)

    def replace(self, source: Path, target: Path) -> None:
        os.replace(source, target)

    def unlink(self, path: Path) -> None:
        path.unlink()

    def remove_tree(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def exists(self, path: Path) -> bool:
        return path.exists()

    def is_dir(self, path: Path) -> bool:
        return path.is_dir()

    def listdir(self, folder: Path) -> list[str]:
        return os.listdir(folder)

    def files_under(self, folder: Path) -> set[str]:
        """Every file under `folder`, as a relative POSIX path."""
        found: set[str] = set()
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            found.update((Path(root) / name).relative_to(folder).as_posix() for name in files)
        return found

    def size(self, path: Path) -> int:
        return path.stat().st_size

    def read_bytes(self, path: Path) -> bytes:
        return path.read_bytes()

    def free_bytes(self, folder: Path) -> int:
        return shutil.disk_usage(folder).free


LOCAL = Medium()


# -- stale partials -----------------------------------------------------------------------------------------


def _remove_stale_file(path: Path, medium: Medium) -> None:
    if medium.windows:
        # Windows deletes no open file: one another run is writing stays (and one we opened
        # ourselves could not be deleted either, hence no lock test here).
        medium.unlink(path)
        return
    with medium.open_read(path) as handle:
        if not medium.lock(handle):
            raise BlockingIOError(errno.EAGAIN, "being written", str(path))
        medium.unlink(path)     # under the lock: a run starting now cannot take it meanwhile


def remove_stale_partials(folder: Path, pattern: re.Pattern[str], medium: Medium = LOCAL) -> list[Path]:
    """Delete the partials (`pattern` matches their whole name) that writes into `folder` were
    interrupted in (a pulled stick, a power cut, a killed program): folders with what they held;
    a file another run is writing right now is left alone. Never raises."""
    removed: list[Path] = []
    try:
        names = sorted(medium.listdir(folder))
    except OSError:
        return removed
    for name in names:
        if not pattern.fullmatch(name):
            continue
        path = folder / name
        try:
            if medium.is_dir(path):
                medium.remove_tree(path)
            else:
                _remove_stale_file(path, medium)
        except OSError:
            continue
        removed.append(path)
    return removed


# -- one file: write, fsync, read back through the same handle ---------------------------------------------


@dataclass
class WrittenFile:
    """A file as it was read back from the medium."""
    path: str             # relative to the folder, POSIX
    size: int
    sha256: str

    def as_entry(self) -> dict[str, str | int]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass
class _Written:
    size: int
    chunks: list[bytes] | None     # what was written, when it is small enough to keep
    crc: int                       # CRC-32 of what was written, when `chunks` is None


def _write_into(stream: BinaryIO, chunks: Iterable[bytes], medium: Medium) -> _Written:
    """Write `chunks` to a new file, flush, fsync and drop the cache; what was written, to check
    the read-back against (the bytes themselves, or a CRC-32 for a large file)."""
    kept: list[bytes] | None = []
    crc, size = 0, 0
    for chunk in chunks:
        stream.write(chunk)
        size += len(chunk)
        if kept is not None:
            kept.append(chunk)
            if size > KEEP_FOR_COMPARE:
                for old in kept:
                    crc = zlib.crc32(old, crc)
                kept = None
        else:
            crc = zlib.crc32(chunk, crc)
    stream.flush()
    medium.fsync(stream.fileno())
    medium.drop_cache(stream.fileno())
    return _Written(size, kept, crc)


def _same_as_kept(data: bytes, chunks: list[bytes]) -> bool:
    pos = 0
    for chunk in chunks:
        if not data.startswith(chunk, pos):        # a memcmp, no copy
            return False
        pos += len(chunk)
    return True


def _read_back(stream: BinaryIO, written: _Written) -> tuple[int, str, bool]:
    """Read the file from its start as the medium returns it: (size, SHA-256, whether it is what
    was written). Every byte is hashed once: the manifest's SHA-256 is taken from these bytes."""
    stream.seek(0)
    digest, crc, size = hashlib.sha256(), 0, 0
    if written.chunks is not None:
        data = stream.read(written.size + 1)
        size = len(data)
        digest.update(data)
        same = size == written.size and _same_as_kept(data, written.chunks)
        while block := stream.read(CHUNK):      # a file that grew: hash it all the same
            digest.update(block)
            size += len(block)
        return size, digest.hexdigest(), same and size == written.size
    while block := stream.read(CHUNK):
        digest.update(block)
        crc = zlib.crc32(block, crc)
        size += len(block)
    return size, digest.hexdigest(), size == written.size and crc == written.crc


def write_and_check(path: Path, rel: str, chunks: Iterable[bytes], medium: Medium = LOCAL) -> WrittenFile:
    """Write one new file, fsync it, read it back: what was read, or `Mismatch` naming it."""
    # One handle for both: the write's fsync and the read-back go to the same file on the medium.
    with medium.create(path) as stream:
        written = _write_into(stream, chunks, medium)
        size_read, sha, same = _read_back(stream, written)
    if size_read < written.size:
        raise Mismatch(f"обрезан: {rel} (прочитано {size_read} байт из {written.size})")
    if not same:
        raise Mismatch(f"изменён: {rel} (прочитано не то, что записано)")
    return WrittenFile(rel, written.size, sha)


# -- a folder ---------------------------------------------------------------------------------------------

ChunksFn = Callable[[], Iterable[bytes]]


def free_name(out_dir: Path, name: str, medium: Medium = LOCAL) -> Path:
    """`out_dir/name`, or `name (2)`, `name (3)`… when that exists."""
    target = out_dir / name
    number = 2
    while medium.exists(target):
        target = out_dir / f"{name} ({number})"
        number += 1
    return target


class VerifiedFolder:
    """A new folder `name` in `out_dir`, written through a hidden partial folder:

        with VerifiedFolder(out_dir, name) as folder:
            files = folder.write_many([("works/1.pdf", chunks), ...], on_written)
            folder.write("manifest.json", [data], keep=True)
            final = folder.commit()

    Leaving the block by an exception (OSError, `Mismatch`, `Cancelled`, anything) removes the
    partial folder and, after the rename, the final one; the exception goes on."""

    def __init__(self, out_dir: Path, name: str, *, medium: Medium = LOCAL,
                 cancelled: Callable[[], bool] = lambda: False, ignore: Callable[[str], bool] = lambda rel: False,
                 threads: int = WRITE_THREADS) -> None:
        self.out_dir, self.name, self.medium = Path(out_dir), name, medium
        self.cancelled, self.ignore, self.threads = cancelled, ignore, threads
        self.partial: Path | None = None
        self.final: Path | None = None
        self._dirs: list[str] = []
        self._sizes: dict[str, int] = {}
        self._kept: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        stale = re.compile(re.escape(f".{self.name}.partial-") + r"[0-9a-f]{8}")
        remove_stale_partials(self.out_dir, stale, self.medium)
        partial = self.out_dir / f".{self.name}.partial-{secrets.token_hex(4)}"
        self.medium.mkdir(partial)
        self.partial = partial
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            return
        for path in (self.partial, self.final):
            if path is not None:
                self.medium.remove_tree(path)

    def _make_parents(self, rels: Iterable[str]) -> None:
        assert self.partial is not None
        for parent in sorted({str(Path(rel).parent.as_posix()) for rel in rels} - {"."}):
            if parent not in self._dirs:
                self.medium.mkdir(self.partial / parent)
                self._dirs.append(parent)

    def write(self, rel: str, chunks: Iterable[bytes], *, keep: bool = False) -> WrittenFile:
        """Write, fsync and read back one file; `keep`: compare it byte for byte once more after
        the rename (a small file: the manifest, the sums)."""
        assert self.partial is not None
        self._make_parents([rel])
        data = b"".join(chunks) if keep else None
        written = write_and_check(self.partial / rel, rel, [data] if data is not None else chunks, self.medium)
        with self._lock:
            self._sizes[rel] = written.size
            if data is not None:
                self._kept[rel] = data
        return written

    def write_many(self, items: Sequence[tuple[str, ChunksFn]],
                   on_written: Callable[[str], None] = lambda rel: None) -> list[WrittenFile]:
        """Several files at a time, each read back right after its fsync; in the order given.
        The first failure (or a cancel) stops the other writers at once and is raised."""
        self._make_parents(rel for rel, _ in items)
        stop = threading.Event()

        def one(item: tuple[str, ChunksFn]) -> WrittenFile | None:
            if stop.is_set():
                return None
            if self.cancelled():
                stop.set()
                raise Cancelled()
            try:
                return self.write(item[0], item[1]())
            except BaseException:
                stop.set()
                raise

        results: list[WrittenFile] = []
        with ThreadPoolExecutor(max_workers=self.threads) as writers:
            for (rel, _), written in zip(items, writers.map(one, items)):
                if written is None:    # skipped after another file failed: that failure is raised next
                    continue
                results.append(written)
                on_written(rel)
        return results

    def commit(self) -> Path:
        """Make the folder durable, give it its final name (never an existing one) and check it
        there once more; the final path. `Cancelled` / `Mismatch` / OSError: see the class."""
        assert self.partial is not None
        for sub in sorted(self._dirs, reverse=True):
            self.medium.fsync_dir(self.partial / sub)
        self.medium.fsync_dir(self.partial)
        if self.cancelled():
            raise Cancelled()
        target = free_name(self.out_dir, self.name, self.medium)
        self.medium.rename(self.partial, target)    # only now does the folder appear under its name
        self.final, self.partial = target, None
        self.medium.fsync_dir(self.out_dir)
        problems = self._final_problems(target)
        if problems:
            raise Mismatch(*problems)
        return target

    def _final_problems(self, folder: Path) -> list[str]:
        """After the rename: the folder holds exactly the files written (each already read back),
        the kept ones as written, and nothing else. An OSError (the stick gone) propagates."""
        problems = [f"изменён: {rel} (прочитано не то, что записано)"
                    for rel, data in self._kept.items() if self.medium.read_bytes(folder / rel) != data]
        for rel in sorted(set(self._sizes) - set(self._kept)):
            found = self.medium.size(folder / rel)
            if found != self._sizes[rel]:
                problems.append(f"изменён: {rel} (размер {found} вместо {self._sizes[rel]})")
        present = {rel for rel in self.medium.files_under(folder) if not self.ignore(rel)}
        problems += [f"отсутствует: {rel}" for rel in sorted(set(self._sizes) - present)]
        problems += [f"лишний файл: {rel}" for rel in sorted(present - set(self._sizes))]
        return problems


# -- one file ---------------------------------------------------------------------------------------------


class VerifiedFile:
    """A new file `target`, written under `.<name>.partial` beside it:

        with VerifiedFile(target) as file:
            write into file.stream
            file.commit(check)        # fsync, `check(partial path)` → problems, rename

    Leaving the block by an exception removes the partial file; the exception goes on."""

    def __init__(self, target: Path, *, medium: Medium = LOCAL, drop_cache: bool = False) -> None:
        self.target, self.medium, self.drop_cache = Path(target), medium, drop_cache
        self.partial = self.target.with_name(f".{self.target.name}.partial")
        self.stream: BinaryIO | None = None

    def __enter__(self) -> Self:
        self.stream = self.medium.create(self.partial)
        # Marked as being written, so another run's clean-up leaves it alone.
        self.medium.lock(self.stream)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close()
        if exc_type is not None:
            with contextlib.suppress(OSError):
                self.medium.unlink(self.partial)

    def _close(self) -> None:
        if self.stream is not None:
            stream, self.stream = self.stream, None
            with contextlib.suppress(OSError):
                stream.close()

    def commit(self, check: Callable[[Path], list[str]]) -> Path:
        """Flush and fsync what was written, close it, read it back with `check` (the format's
        own read-back: Russian problems; `Mismatch` with them if any) and only then rename it to
        its final name and make the name durable."""
        assert self.stream is not None
        self.stream.flush()
        self.medium.fsync(self.stream.fileno())
        if self.drop_cache:
            self.medium.drop_cache(self.stream.fileno())
        stream, self.stream = self.stream, None
        stream.close()
        # Checked under its temporary name: a file that fails the check never gets the final name.
        problems = check(self.partial)
        if problems:
            raise Mismatch(*problems)
        self.medium.replace(self.partial, self.target)
        self.medium.fsync_dir(self.target.parent)   # the new name itself survives a power cut
        return self.target
