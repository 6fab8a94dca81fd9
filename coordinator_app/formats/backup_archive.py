"""The backup archive (format `vpr-coordinator-backup/1`): one ZIP with the database, every stored
file and the window settings, and `manifest.json` listing every member's size and SHA-256; written
either plain (.zip, by explicit choice) or through `backup_crypto.EncryptingWriter` (.vprbak:
AES-256-GCM in 1 MiB chunks; docs/backup_format.md), so that no plain byte of it reaches the stick.

Writing: each file is read once, by a reader thread that runs ahead of the ZIP writer (reading and
hashing release the GIL, so the two cores share the work), and the archive is handed to the disk
every half second while it is written. Files the store recorded a SHA-256 for go into the manifest
with that hash; the others are hashed as they are read.

Reading back a just-written archive (`read_back`): the directory must list exactly the members
written, with their sizes and CRC-32, the manifest must read back as written, and every byte must
read back as written: for a plain ZIP every member's bytes give its CRC-32; for an encrypted one
every chunk is decrypted, which checks its tag (a changed bit anywhere fails it). `verify_archive`
(and restore) check every member against its SHA-256 in the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import queue
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .backup_crypto import (
    BackupSecret,
    EncryptingWriter,
    HeaderError,
    Opener,
    Unlocked,
    bad_chunks,
    is_encrypted,
    open_binary,
    read_header,
)

FORMAT = "vpr-coordinator-backup/1"      # the manifest's format (the ZIP inside, plain or encrypted)
#: Encrypted backups (docs/backup_format.md) and plain ZIP ones (no password, by explicit choice).
ENCRYPTED_EXT, PLAIN_EXT = ".vprbak", ".zip"
BACKUP_EXTS = (ENCRYPTED_EXT, PLAIN_EXT)
DB_MEMBER = "database.sqlite3"
STORED_EXT = {".jpg", ".jpeg", ".png", ".pdf", ".tif", ".tiff", ".mp3", ".ogg", ".m4a", ".zip", ".xlsx"}
#: Read and write size for file contents: large blocks keep the per-call overhead (and zipfile's
#: per-block CRC-32 calls) negligible; only one block is held at a time.
CHUNK = 1 << 20


def _hash_stream(stream, chunk: int = CHUNK) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while block := stream.read(chunk):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


#: zlib level for the members that are compressed (the database, window settings): level 1 packs a
#: school's database nearly as small as the default 6, in a fraction of the time.
DEFLATE_LEVEL = 1
#: Files up to this size are read whole by the reader thread and written in one call; larger ones
#: (a big PDF, the database) are streamed in `CHUNK` blocks by the writer.
WHOLE_FILE = 4 << 20
#: Files read ahead of the writer: bounds the memory held (at most this many × `WHOLE_FILE`).
READ_AHEAD = 16


def _zip_info(name: str, st: os.stat_result) -> zipfile.ZipInfo:
    """What `ZipInfo.from_file` makes, from a stat the caller already has."""
    stamp = time.localtime(st.st_mtime)[:6]
    info = zipfile.ZipInfo(name, stamp if stamp[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
    info.external_attr = (st.st_mode & 0xFFFF) << 16
    info.file_size = st.st_size
    info.compress_type = (zipfile.ZIP_STORED if os.path.splitext(name)[1].lower() in STORED_EXT
                          else zipfile.ZIP_DEFLATED)
    return info


def _add_file(archive: zipfile.ZipFile, path: Path, name: str) -> tuple[str, int]:
    """Stream `path` into `archive` as `name` in one pass; its SHA-256 and size, of the bytes written."""
    info = _zip_info(name, os.stat(path))
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src, archive.open(info, "w") as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
    return digest.hexdigest(), size



class _AppendOnly:
    """The archive's file as a stream that cannot seek: zipfile then follows each member with a
    data descriptor instead of seeking back to rewrite its header (a flush and two seeks per file,
    40,000 times for a school year). The archive is a standard ZIP either way."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.position = raw.tell()

    def write(self, data) -> int:
        written = self.raw.write(data)
        self.position += len(data)
        return written

    def tell(self) -> int:
        return self.position

    def seek(self, *_args) -> int:
        raise io.UnsupportedOperation("append-only")

    def flush(self) -> None:
        self.raw.flush()


@dataclass
class _Read:
    path: str
    name: str
    info: zipfile.ZipInfo
    data: bytes | None = None      # the whole file, or None: the writer streams it
    sha256: str = ""


def _read_ahead(members: list[tuple[str, str]], out: queue.Queue[_Read | BaseException | None],
                stop: threading.Event, recorded: dict[str, str]) -> None:
    """The reader thread: each file's bytes and SHA-256, in order, ahead of the writer. Reading and
    hashing release the GIL, so they run beside the writer's CRC-32 and writes on the other core."""
    try:
        for path, name in members:
            if stop.is_set():
                break
            st = os.stat(path)
            item = _Read(path, name, _zip_info(name, st))
            if st.st_size <= WHOLE_FILE:
                with open(path, "rb") as src:
                    item.data = src.read()
                item.sha256 = recorded.get(name) or hashlib.sha256(item.data).hexdigest()
            out.put(item)
        out.put(None)
    except BaseException as err:  # noqa: BLE001 - handed to the writer, which raises it
        out.put(err)


def _manifest_json(manifest: dict[str, Any]) -> bytes:
    """The manifest as readable JSON, one file per line. Python's JSON encoder runs in C only
    without `indent`: each entry is encoded that way and the lines are joined (40,000 entries
    in a tenth of the time of `indent=1`)."""
    head = {key: value for key, value in manifest.items() if key != "files"}
    lines = ",\n".join("  " + json.dumps(entry, ensure_ascii=False) for entry in manifest["files"])
    text = json.dumps(head, ensure_ascii=False, indent=1)
    return (text[:-2] + ',\n "files": [\n' + lines + "\n ]\n}").encode("utf-8")


@contextlib.contextmanager
def _background_flush(fd: int, every_s: float = 0.5):
    """While the archive is written, a thread hands what is written so far to the disk every
    `every_s` (fdatasync), so the disk works while the CPU hashes and packs the next files, and the
    final fsync waits only for the last half-second of writes instead of the whole archive."""
    done = threading.Event()

    def flush() -> None:
        while not done.wait(every_s):
            try:
                os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
            except OSError:
                return  # the final fsync reports what is wrong

    flusher = threading.Thread(target=flush, name="backup-flush", daemon=True)
    flusher.start()
    try:
        yield
    finally:
        done.set()
        flusher.join()


def _write_members(archive: zipfile.ZipFile, members: list[tuple[str, str]],
                   on_file: Callable[[int], None], recorded: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every member into `archive`, read by a second thread; the manifest's entries."""
    pending: queue.Queue[_Read | BaseException | None] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()
    reader = threading.Thread(target=_read_ahead, args=(members, pending, stop, recorded or {}),
                              name="backup-reader", daemon=True)
    reader.start()
    entries: list[dict[str, Any]] = []
    try:
        while (item := pending.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if item.data is None:
                digest, size = _add_file(archive, item.path, item.name)
            else:
                archive.writestr(item.info, item.data)
                digest, size = item.sha256, len(item.data)
            entries.append({"path": item.name, "size": size, "sha256": digest})
            on_file(len(entries))
    finally:
        stop.set()
        while reader.is_alive():   # unblock a reader waiting on a full queue, then let it end
            with contextlib.suppress(queue.Empty):
                pending.get(timeout=0.05)
        reader.join()
    return entries



UNREADABLE = "Архив повреждён или обрезан: его нельзя прочитать."


def _directory_problems(archive: zipfile.ZipFile, entries: list[dict[str, Any]], manifest: bytes,
                        written: dict[str, tuple[int, int]]) -> tuple[list[str], list[zipfile.ZipInfo]]:
    """Problems of a just-written archive's directory and manifest against what was written, and
    the members whose directory entries are right (their bytes are still to be checked)."""
    infos = {info.filename: info for info in archive.infolist()}
    problems = []
    try:
        if archive.read("manifest.json") != manifest:
            problems.append("Опись архива (manifest.json) повреждена.")
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error):
        problems.append("Опись архива (manifest.json) повреждена.")
    to_read: list[zipfile.ZipInfo] = []
    for entry in entries:
        name = entry["path"]
        info = infos.get(name)
        if info is None:
            problems.append(f"отсутствует: {name}")
            continue
        size, crc = written.get(name, (entry["size"], None))
        if info.file_size != size:
            problems.append(f"обрезан: {name} (размер {info.file_size} вместо {size})")
        elif crc is not None and info.CRC != crc:
            problems.append(f"повреждён: {name}")
        else:
            to_read.append(info)
    problems += [f"лишний файл: {extra}" for extra in sorted(set(infos) - {e["path"] for e in entries} - {"manifest.json"})]
    return problems, to_read


def _read_back_plain(path: Path, entries: list[dict[str, Any]], manifest: bytes,
                     written: dict[str, tuple[int, int]], opener: Opener) -> list[str]:
    """Russian problems found reading a just-written plain archive back: its directory lists exactly
    the members written with the sizes and CRC-32 they were written with, the manifest reads back as
    written, and every member's bytes read back to its CRC-32. `written`: name → (size, CRC-32)
    as the writer computed them.

    Stored members (the scans: nearly all the bytes) are checked by reading their data straight
    from the file in large blocks; compressed ones through zipfile."""
    try:
        with opener(path) as raw, zipfile.ZipFile(raw) as archive:
            problems, to_read = _directory_problems(archive, entries, manifest, written)
            damaged = _damaged_members(archive, path, to_read, opener)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [UNREADABLE]
    extras = [p for p in problems if p.startswith("лишний файл:")]
    problems = [p for p in problems if p not in extras]
    return problems + [f"повреждён: {info.filename}" for info in to_read if info.filename in damaged] + extras


def _read_back_encrypted(path: Path, unlocked: Unlocked, entries: list[dict[str, Any]], manifest: bytes,
                         written: dict[str, tuple[int, int]], opener: Opener) -> list[str]:
    """Russian problems found reading a just-written encrypted archive back. Every chunk is read and
    decrypted (by two threads): its GCM tag covers every bit of it, the chunk's place and whether it
    is the last, so a chunk that decrypts is byte for byte the one sealed, and a file whose chunks
    all decrypt is the archive as zipfile wrote it. Then the directory and the manifest are read
    through the decryption and compared with what was written. The members' CRC-32 need no pass of
    their own: the tags have checked every byte. The members in a chunk that fails are named."""
    try:
        bad = bad_chunks(unlocked, path, opener)
        with unlocked.open(path, opener) as reader, zipfile.ZipFile(reader) as archive:
            problems, _ = _directory_problems(archive, entries, manifest, written)
            if bad:
                problems += _members_in_chunks(archive, bad, reader.chunk_size)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [UNREADABLE]
    return problems


def _members_in_chunks(archive: zipfile.ZipFile, bad: list[int], chunk_size: int) -> list[str]:
    """`повреждён: …` for the members whose bytes (local header to the next member) lie in a chunk
    that fails; the chunk itself when none does (it holds only the directory)."""
    infos = sorted(archive.infolist(), key=lambda info: info.header_offset)
    ends = [info.header_offset for info in infos[1:]] + [archive.start_dir]
    named: list[str] = []
    for index in sorted(bad):
        low, high = index * chunk_size, (index + 1) * chunk_size
        hit = [info.filename for info, end in zip(infos, ends) if info.header_offset < high and end > low]
        named += [f"повреждён: {name}" for name in hit if f"повреждён: {name}" not in named]
        if not hit:
            named.append(f"повреждён фрагмент архива № {index + 1}")
    return named


def _damaged_members(archive: zipfile.ZipFile, path: Path, infos: list[zipfile.ZipInfo],
                     opener: Opener) -> set[str]:
    """Names of the members whose bytes do not read back to their CRC-32. The stored members
    are split between this thread and a second one, each with its own handle on the file (reading
    and CRC-32 release the GIL); compressed ones go through zipfile here."""
    stored = [info for info in infos if info.compress_type == zipfile.ZIP_STORED]
    damaged: set[str] = {info.filename for info in infos if info.compress_type != zipfile.ZIP_STORED
                         and _read_member(archive, info.filename) != info.file_size}
    halves = (stored[: len(stored) // 2], stored[len(stored) // 2:])
    found: list[set[str]] = [set(), set()]
    failures: list[BaseException] = []

    def check(index: int) -> None:
        try:
            with opener(path) as raw:
                found[index] = {info.filename for info in halves[index] if not _stored_member_reads_back(raw, info)}
        except BaseException as err:  # noqa: BLE001 - raised again by the caller's thread
            failures.append(err)

    helper = threading.Thread(target=check, args=(1,), name="backup-read-back", daemon=True)
    helper.start()
    check(0)
    helper.join()
    if failures:
        raise failures[0]
    return damaged | found[0] | found[1]


def _stored_member_reads_back(raw: BinaryIO, info: zipfile.ZipInfo) -> bool:
    """A stored member's bytes, read straight from the file, give the CRC-32 of its directory entry."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        return False
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    crc, left = 0, info.file_size
    while left:
        block = raw.read(min(CHUNK, left))
        if not block:
            return False
        crc = zlib.crc32(block, crc)
        left -= len(block)
    return crc == info.CRC


def _read_member(archive: zipfile.ZipFile, name: str) -> int | None:
    """Bytes in member `name` read to its end (zipfile checks the CRC-32 there); None if damaged."""
    size = 0
    try:
        with archive.open(name) as stream:
            while block := stream.read(CHUNK):
                size += len(block)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return None
    return size



def unlock(path: Path, password: str | None) -> Unlocked | None:
    """None for a plain ZIP backup; for an encrypted one, its key from `password` (`PasswordRequired`,
    `WrongPassword`; `HeaderError` if its header is damaged or from a newer program)."""
    if not is_encrypted(path):
        return None
    with open(path, "rb") as raw:
        header = read_header(raw)
    return header.unlock(password)


@contextlib.contextmanager
def open_archive(path: Path, unlocked: Unlocked | None) -> Iterator[tuple[zipfile.ZipFile, Any]]:
    """The backup's ZIP, decrypted as it is read when the backup is encrypted; and the decrypting
    reader (None for a plain ZIP)."""
    if unlocked is None:
        with zipfile.ZipFile(path) as archive:
            yield archive, None
        return
    with unlocked.open(path) as reader, zipfile.ZipFile(reader) as archive:
        yield archive, reader


def verify_archive(path: Path | str, password: str | None = None) -> list[str]:
    """Russian problems of a backup archive; empty if it is whole and ours. An encrypted one needs
    its password: `PasswordRequired` without one, `WrongPassword` with a wrong one."""
    path = Path(path)
    if not path.is_file():
        return [f"Файл «{path}» не найден."]
    try:
        unlocked = unlock(path, password)
    except HeaderError as err:
        return [str(err)]
    except OSError:
        return [UNREADABLE]
    return check_archive(path, unlocked)


def _member_problem(archive: zipfile.ZipFile, name: str, entry: dict[str, Any]) -> str | None:
    """What is wrong with one listed member, read through and hashed; None if nothing."""
    try:
        with archive.open(name) as stream:
            digest, size = _hash_stream(stream)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return f"повреждён: {name}"
    if size != entry["size"]:
        return f"обрезан: {name} (размер {size} вместо {entry['size']})"
    if digest != entry["sha256"]:
        return f"изменён: {name} (SHA-256 не совпадает)"
    return None


def _manifest_or_refusal(archive: zipfile.ZipFile, names: set[str]) -> dict[str, Any] | str:
    """The archive's manifest, or why the archive is not one of our backups."""
    if "manifest.json" not in names:
        return "Это не резервная копия ВПР-Координатора: в архиве нет manifest.json."
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (ValueError, zipfile.BadZipFile, OSError):
        return "Опись архива (manifest.json) повреждена."
    if manifest.get("format") != FORMAT:
        return "Это не резервная копия ВПР-Координатора (другой формат описи)."
    return manifest


def _archive_problems(archive: zipfile.ZipFile, reader: Any) -> list[str]:
    names = set(archive.namelist())
    manifest = _manifest_or_refusal(archive, names)
    if isinstance(manifest, str):
        return [manifest]
    problems = []
    listed = {e["path"]: e for e in manifest.get("files", [])}
    if DB_MEMBER not in listed:
        problems.append("В архиве нет базы данных.")
    for name, entry in listed.items():
        problem = f"отсутствует: {name}" if name not in names else _member_problem(archive, name, entry)
        if problem is not None:
            problems.append(problem)
    problems += [f"лишний файл: {extra}" for extra in sorted(names - set(listed) - {"manifest.json"})]
    if reader is not None and not problems:
        # The members read above decrypted nearly every chunk; the few that only hold
        # headers between them are checked too: a whole backup has no chunk that fails.
        problems += [f"повреждён фрагмент архива № {index + 1}" for index in reader.bad_chunks(range(reader.chunks))]
    return problems


def check_archive(path: Path, unlocked: Unlocked | None) -> list[str]:
    """`verify_archive` of an archive already unlocked (None: a plain ZIP)."""
    try:
        with open_archive(path, unlocked) as (archive, reader):
            return _archive_problems(archive, reader)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [UNREADABLE]


# -- writing ------------------------------------------------------------------------------------------------


@dataclass
class ArchiveHead:
    """What the manifest says besides the files."""
    app_version: str
    schema_version: int
    school: str
    clock: Callable[[], str]        # the time the manifest is written, as the store writes times


@dataclass
class WrittenArchive:
    """What was written into an archive, to read it back against."""
    entries: list[dict[str, Any]]             # the manifest's files
    manifest: bytes
    members: dict[str, tuple[int, int]]       # name → (size, CRC-32) as zipfile wrote them
    unlocked: Unlocked | None                 # an encrypted archive's key, to read it back


def write_archive(raw: BinaryIO, members: list[tuple[str, str]], secret: BackupSecret | None, head: ArchiveHead,
                  recorded: dict[str, str], on_file: Callable[[int], None]) -> WrittenArchive:
    """The archive of `members` ((path, name in the archive), read by a second thread) into `raw`:
    encrypted with `secret` (zipfile writes into the encrypting stream; only sealed chunks reach
    the file) or plain. `recorded`: SHA-256 already known, by name; `on_file(count)` after each
    member (it may raise to stop). `raw` is left to the caller to fsync."""
    sink: Any = EncryptingWriter(raw, secret) if secret is not None else raw
    with zipfile.ZipFile(_AppendOnly(sink), "w", compresslevel=DEFLATE_LEVEL) as archive:
        with _background_flush(raw.fileno()):
            entries = _write_members(archive, members, on_file, recorded)
        written = {info.filename: (info.file_size, info.CRC) for info in archive.infolist()}
        manifest = {
            "format": FORMAT, "created_at": head.clock(), "app_version": head.app_version,
            "schema_version": head.schema_version, "school": head.school, "files": entries,
        }
        manifest_bytes = _manifest_json(manifest)
        archive.writestr("manifest.json", manifest_bytes)
    if secret is not None:
        sink.finish()        # the last chunk, sealed as the last
    return WrittenArchive(entries, manifest_bytes, written, sink.unlocked if secret is not None else None)


def read_back(path: Path, written: WrittenArchive, opener: Opener = open_binary) -> list[str]:
    """Russian problems found reading a just-written archive back (see the module's docstring);
    `opener` opens it (a test's fake medium)."""
    if written.unlocked is not None:
        return _read_back_encrypted(path, written.unlocked, written.entries, written.manifest, written.members, opener)
    return _read_back_plain(path, written.entries, written.manifest, written.members, opener)
