"""Backups of the whole store, restore into an empty data dir, and the store's self-check.

A backup is one ZIP archive: the database (a consistent snapshot through SQLite's backup API),
every stored file (scans, audio, templates, attachments) and the window settings, with
`manifest.json` listing every member's size and SHA-256. It holds every pupil's name, class and
code (personal data of minors), so it is encrypted with a password unless the coordinator
explicitly chooses otherwise: the ZIP stream goes through `backup_crypto.EncryptingWriter`
(AES-256-GCM in 1 MiB chunks, the key from the password by Argon2id; docs/backup_format.md) as
it is written, and no plain byte of it reaches the stick. A backup without a password is the plain
ZIP of earlier versions, which still restore and verify. The archive is written to a temporary
name in the target folder, fsynced and renamed, so a pulled-out stick never leaves an archive that
looks complete; a temporary file an interrupted backup left is removed by the next backup; old
backups of the same school in that folder are rotated only after the new one is complete and
checked, and the new one never takes an existing name.

Each file is read once, by a reader thread that runs ahead of the ZIP writer (reading and hashing
release the GIL, so the two cores share the work), and the archive is handed to the disk every half
second while it is written. Files the store recorded a SHA-256 for when it stored them (scans,
pages, audio, attachments, templates) go into the manifest with that hash; thumbnails and the
database are hashed as they are read. After the ZIP's directory is written the archive is fsynced,
then read back under its temporary name: the directory must list exactly the members written, with
their sizes and CRC-32, the manifest must read back as written, and every byte must read back as
written: for a plain ZIP every member's bytes give its CRC-32; for an encrypted one every chunk is
decrypted, which checks its tag (a changed bit anywhere fails it). Only then does it get its final
name (and the folder is fsynced). Restore and `verify_archive` check every member's SHA-256, so a
scan that changed on disk since it was stored is named there, not blessed with a new hash.

Restore refuses a damaged, truncated or foreign archive (and a wrong password, said as such) before
touching anything, and only restores into an empty data dir. `verify_store` checks the live store:
database integrity, every stored file's SHA-256, files without rows and rows without files, and the
audit log.

Scheduled backups run with nobody there to type a password: the key made from the password set for
them is kept in `backup-password.key` in the data dir (never in a backup, never in the database or
its audit log); see docs/backup_format.md for what that protects and what it does not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, audit, settings
from .backup_crypto import (
    PERSONAL_DATA_WARNING,
    BackupPasswordError,
    BackupSecret,
    DamagedChunk,
    EncryptingWriter,
    HeaderError,
    PasswordRequired,
    Unlocked,
    bad_chunks,
    check_new_password,
    is_encrypted,
    read_header,
)
from .changes import Changes
from .errors import UserError
from .fsutil import disk_error_message, fsync_dir, sha256_file
from .storage import DB_NAME, Store, now_iso

__all__ = ["PERSONAL_DATA_WARNING", "BackupPasswordError", "BackupSecret", "PasswordRequired", "create_backup",
           "restore_backup", "verify_archive", "verify_store", "rotate", "backup_due", "set_schedule",
           "scheduled_backup", "set_scheduled_password", "scheduled_password_state", "is_encrypted"]

FORMAT = "vpr-coordinator-backup/1"      # the manifest's format (the ZIP inside, plain or encrypted)
#: Encrypted backups (docs/backup_format.md) and plain ZIP ones (no password, by explicit choice).
ENCRYPTED_EXT, PLAIN_EXT = ".vprbak", ".zip"
BACKUP_EXTS = (ENCRYPTED_EXT, PLAIN_EXT)
#: In the data dir: the key of the scheduled backups (never put into a backup: not a stored area).
KEY_FILE = "backup-password.key"
DB_MEMBER = "database.sqlite3"
FILE_AREAS = ("scans", "audio", "templates", "attachments")
EXTRA_FILES = ("window.ini",)
STORED_EXT = {".jpg", ".jpeg", ".png", ".pdf", ".tif", ".tiff", ".mp3", ".ogg", ".m4a", ".zip", ".xlsx"}
ProgressFn = Callable[[int, int, str], None]
#: Read and write size for file contents: large blocks keep the per-call overhead (and zipfile's
#: per-block CRC-32 calls) negligible; only one block is held at a time.
CHUNK = 1 << 20


@dataclass
class BackupResult:
    path: Path
    files: int
    bytes: int
    manifest_sha256: str
    encrypted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"archive": str(self.path), "files": self.files, "bytes": self.bytes,
                "manifest_sha256": self.manifest_sha256, "encrypted": self.encrypted}


def _store_members(data_dir: Path) -> list[tuple[str, str]]:
    """(path, name in the archive) of every stored file and the window settings, in a stable order.
    One directory walk (no stat per file, no Path per file): 40,000 files are listed in a tenth of
    the time `rglob` and `relative_to` took."""
    members: list[tuple[str, str]] = []
    for area in FILE_AREAS:
        root = os.path.join(data_dir, area)
        if not os.path.isdir(root):
            continue
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            prefix = os.path.relpath(folder, data_dir).replace(os.sep, "/") + "/"
            members.extend((os.path.join(folder, name), prefix + name) for name in sorted(names)
                           if not name.startswith(".") and os.path.isfile(os.path.join(folder, name)))
    members.extend((os.path.join(data_dir, name), name) for name in EXTRA_FILES
                   if os.path.isfile(os.path.join(data_dir, name)))
    return members


def _snapshot_db(store: Store, folder: Path) -> Path:
    target = folder / DB_MEMBER
    dst = sqlite3.connect(target)
    try:
        store.db.conn.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
    return target


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


def _recorded_hashes(store: Store) -> dict[str, str]:
    """SHA-256 of the stored files as the store recorded them when each was stored (scans, rendered
    pages, audio, attachments, templates), by path in the archive. Written to the manifest as they
    are instead of hashing 2–3 GB again: the archive's CRC-32 (checked on read-back) ties the bytes
    written to the bytes read, and `verify_archive` / restore check every member against these
    hashes, so a file that changed on disk since it was stored is reported, not laundered into a
    new hash. Thumbnails and the database are hashed as they are read."""
    rows = store.conn.execute(
        """SELECT stored_path, sha256 FROM scan_files
           UNION ALL SELECT image_path, sha256 FROM scan_pages
           UNION ALL SELECT stored_path, sha256 FROM audio_files
           UNION ALL SELECT stored_path, sha256 FROM work_attachments
           UNION ALL SELECT template_file, template_sha256 FROM works
                     WHERE template_file IS NOT NULL AND template_sha256 IS NOT NULL""")
    return {path: sha for path, sha in rows if path and sha}


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


def _read_ahead(members: list[tuple[str, str]], out: "queue.Queue[_Read | BaseException | None]",
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
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib_error()):
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


def _read_back(path: Path, entries: list[dict[str, Any]], manifest: bytes,
               written: dict[str, tuple[int, int]]) -> list[str]:
    """Russian problems found reading a just-written plain archive back: its directory lists exactly
    the members written with the sizes and CRC-32 they were written with, the manifest reads back as
    written, and every member's bytes read back to its CRC-32. `written`: name → (size, CRC-32)
    as the writer computed them.

    Stored members (the scans: nearly all the bytes) are checked by reading their data straight
    from the file in large blocks; compressed ones through zipfile."""
    try:
        with zipfile.ZipFile(path) as archive:
            problems, to_read = _directory_problems(archive, entries, manifest, written)
            damaged = _damaged_members(archive, path, to_read)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [UNREADABLE]
    extras = [p for p in problems if p.startswith("лишний файл:")]
    problems = [p for p in problems if p not in extras]
    return problems + [f"повреждён: {info.filename}" for info in to_read if info.filename in damaged] + extras


def _read_back_encrypted(path: Path, unlocked: Unlocked, entries: list[dict[str, Any]], manifest: bytes,
                         written: dict[str, tuple[int, int]]) -> list[str]:
    """Russian problems found reading a just-written encrypted archive back. Every chunk is read and
    decrypted (by two threads): its GCM tag covers every bit of it, the chunk's place and whether it
    is the last, so a chunk that decrypts is byte for byte the one sealed, and a file whose chunks
    all decrypt is the archive as zipfile wrote it. Then the directory and the manifest are read
    through the decryption and compared with what was written. The members' CRC-32 need no pass of
    their own: the tags have checked every byte. The members in a chunk that fails are named."""
    try:
        bad = bad_chunks(unlocked, path)
        with unlocked.open(path) as reader, zipfile.ZipFile(reader) as archive:
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


def _damaged_members(archive: zipfile.ZipFile, path: Path, infos: list[zipfile.ZipInfo]) -> set[str]:
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
            with open(path, "rb") as raw:
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


def _stored_member_reads_back(raw, info: zipfile.ZipInfo) -> bool:
    """A stored member's bytes, read straight from the file, give the CRC-32 of its directory entry."""
    import zlib

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
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error()):
        return None
    return size


def _lock_partial(raw) -> None:
    """Mark the temporary file as being written (POSIX: an advisory lock; on Windows an open file
    cannot be deleted anyway), so another backup's clean-up leaves it alone."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    with contextlib.suppress(OSError):
        fcntl.flock(raw.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _partial_in_use(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: deleting an open file fails instead
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _windows() -> bool:
    return os.name == "nt"


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete the temporary files (`.vpr-backup-….partial`) that backups into `folder` were
    interrupted in (a pulled stick, a power cut, a killed program); one being written right now is
    left alone. Only our own naming is touched, never a finished backup."""
    removed = []
    for path in sorted(folder.glob(".vpr-backup-*.partial")):
        try:
            if _windows():
                # Windows deletes no open file: one another backup is writing stays (and one we
                # opened ourselves could not be deleted either, hence no lock test here).
                path.unlink()
            else:
                with open(path, "rb") as handle:
                    if _partial_in_use(handle):
                        continue
                    path.unlink()     # under the lock: a backup starting now cannot take it meanwhile
        except OSError:
            continue
        removed.append(path)
    return removed


def _free_name(out_dir: Path, login: str, stamp: str, ext: str) -> Path:
    """The new backup's name; never one an existing backup has (two backups in one second)."""
    final = out_dir / f"vpr-backup-{login}-{stamp}{ext}"
    number = 1
    while (out_dir / f".{final.name}.partial").exists() or any(
            (out_dir / f"{final.stem}{other}").exists() for other in BACKUP_EXTS):
        number += 1
        final = out_dir / f"vpr-backup-{login}-{stamp}-{number}{ext}"
    return final


def create_backup(store: Store, out_dir: Path | str, *, password: str | BackupSecret | None = None,
                  plain: bool = False, progress: ProgressFn | None = None,
                  cancelled: Callable[[], bool] = lambda: False, keep: int | None = None) -> BackupResult:
    """Back the store up into `out_dir`: encrypted with `password` (a string, or the secret of the
    scheduled backups), or, only with `plain=True`, as a plain ZIP anyone can read."""
    from .school import get_school

    if plain and password is not None:
        raise UserError("Выберите одно: пароль резервной копии или копия без пароля.")
    if not plain and password is None:
        check_new_password(None)      # «Задайте пароль резервной копии (или явно выберите копию без пароля)»
    # The key first (Argon2id, a fraction of a second): a password too short stops here.
    secret = None if plain else password if isinstance(password, BackupSecret) else BackupSecret.from_password(password)
    out_dir = Path(out_dir)
    school = get_school(store)
    login = school.login if school else "school"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    final = out_dir / f"vpr-backup-{login}-{stamp}{PLAIN_EXT if plain else ENCRYPTED_EXT}"
    partial = out_dir / f".{final.name}.partial"
    try:
        files = _store_members(store.data_dir)
        total = len(files) + 1
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out_dir)
        final = _free_name(out_dir, login, stamp, final.suffix)
        partial = out_dir / f".{final.name}.partial"
        with tempfile.TemporaryDirectory() as tmp:
            db_copy = _snapshot_db(store, Path(tmp))
            recorded = _recorded_hashes(store)
            members = [(str(db_copy), DB_MEMBER), *files]

            def on_file(done: int) -> None:
                if cancelled():
                    raise _Cancelled()
                if progress:
                    progress(done, total, f"Файлов: {done} из {total}")

            with open(partial, "xb") as raw:
                _lock_partial(raw)
                # Encrypted: zipfile writes into the encrypting stream; only sealed chunks reach the file.
                sink = EncryptingWriter(raw, secret) if secret is not None else raw
                with zipfile.ZipFile(_AppendOnly(sink), "w", compresslevel=DEFLATE_LEVEL) as archive:
                    with _background_flush(raw.fileno()):
                        entries = _write_members(archive, members, on_file, recorded)
                    written = {info.filename: (info.file_size, info.CRC) for info in archive.infolist()}
                    manifest = {
                        "format": FORMAT, "created_at": now_iso(), "app_version": __version__,
                        "schema_version": store.schema_version, "school": login, "files": entries,
                    }
                    manifest_bytes = _manifest_json(manifest)
                    archive.writestr("manifest.json", manifest_bytes)
                if isinstance(sink, EncryptingWriter):
                    sink.finish()        # the last chunk, sealed as the last
                # The archive is closed (its central directory written) before it is made durable.
                raw.flush()
                os.fsync(raw.fileno())
            # Checked under its temporary name: an archive that fails the check never gets the
            # final name, so a folder of backups holds only archives that read back whole.
            if isinstance(sink, EncryptingWriter):
                problems = _read_back_encrypted(partial, sink.unlocked, entries, manifest_bytes, written)
            else:
                problems = _read_back(partial, entries, manifest_bytes, written)
            if problems:
                partial.unlink(missing_ok=True)
                raise UserError("Записанная резервная копия не прошла проверку и удалена. Проверьте носитель "
                                "(или выберите другую папку) и повторите.", details=problems)
            os.replace(partial, final)
            fsync_dir(out_dir)   # the new name itself survives a power cut
    except _Cancelled:
        partial.unlink(missing_ok=True)
        raise UserError("Резервное копирование отменено; неполный архив удалён.") from None
    except OSError as err:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise UserError(disk_error_message(err, final) + " Резервная копия не создана.") from err
    result = BackupResult(final, len(entries), final.stat().st_size, hashlib.sha256(manifest_bytes).hexdigest(),
                          encrypted=secret is not None)
    with store.atomic() as db:
        db["exports"].insert({"kind": "backup", "work_id": None, "target": str(final), "files": result.files,
                              "manifest_sha256": result.manifest_sha256, "at": now_iso(), "actor": store.actor,
                              "details": json.dumps({"bytes": result.bytes, "encrypted": result.encrypted})})
        db["settings"].upsert({"key": "last_backup_at", "value": json.dumps(now_iso())}, pk="key")
        audit.record(store, "backup.create", "exports", None, archive=str(final), files=result.files,
                     manifest_sha256=result.manifest_sha256, encrypted=result.encrypted)
    # Only now, with the new backup complete and checked, may an old one go.
    rotate(out_dir, login, keep if keep is not None else int(settings.get(store, "backup_keep")), newest=final)
    return result


class _Cancelled(Exception):
    pass


def _backups_of(folder: Path, login: str) -> list[Path]:
    """This school's backups in `folder`, oldest first (by the time in the name, whatever the kind)."""
    found = [path for ext in BACKUP_EXTS for path in folder.glob(f"vpr-backup-{login}-*{ext}")]
    return sorted(found, key=lambda path: (path.stem, path.suffix))


def rotate(folder: Path, login: str, keep: int, newest: Path | None = None) -> list[Path]:
    """Delete the oldest backups of this school in `folder`, keeping `keep` (0 = keep all). `newest`,
    the backup just made, is always among those kept (a PC clock set back must not make it the
    oldest)."""
    if keep <= 0:
        return []
    archives = [path for path in _backups_of(folder, login) if newest is None or path != newest]
    removed = archives[: max(0, len(archives) - (keep - 1 if newest is not None else keep))]
    for path in removed:
        with contextlib.suppress(OSError):
            path.unlink()
    return removed


def _unlock(path: Path, password: str | None) -> Unlocked | None:
    """None for a plain ZIP backup; for an encrypted one, its key from `password` (`PasswordRequired`,
    `WrongPassword`; `HeaderError` if its header is damaged or from a newer program)."""
    if not is_encrypted(path):
        return None
    with open(path, "rb") as raw:
        header = read_header(raw)
    return header.unlock(password)


@contextlib.contextmanager
def _open_zip(path: Path, unlocked: Unlocked | None):
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
        unlocked = _unlock(path, password)
    except HeaderError as err:
        return [str(err)]
    except OSError:
        return [UNREADABLE]
    return _verify_zip(path, unlocked)


def _verify_zip(path: Path, unlocked: Unlocked | None) -> list[str]:
    try:
        with _open_zip(path, unlocked) as (archive, reader):
            names = set(archive.namelist())
            if "manifest.json" not in names:
                return ["Это не резервная копия ВПР-Координатора: в архиве нет manifest.json."]
            try:
                manifest = json.loads(archive.read("manifest.json"))
            except (ValueError, zipfile.BadZipFile, OSError):
                return ["Опись архива (manifest.json) повреждена."]
            if manifest.get("format") != FORMAT:
                return ["Это не резервная копия ВПР-Координатора (другой формат описи)."]
            problems = []
            listed = {e["path"]: e for e in manifest.get("files", [])}
            if DB_MEMBER not in listed:
                problems.append("В архиве нет базы данных.")
            for name, entry in listed.items():
                if name not in names:
                    problems.append(f"отсутствует: {name}")
                    continue
                try:
                    with archive.open(name) as stream:
                        digest, size = _hash_stream(stream)
                except (zipfile.BadZipFile, OSError, EOFError, zlib_error()):
                    problems.append(f"повреждён: {name}")
                    continue
                if size != entry["size"]:
                    problems.append(f"обрезан: {name} (размер {size} вместо {entry['size']})")
                elif digest != entry["sha256"]:
                    problems.append(f"изменён: {name} (SHA-256 не совпадает)")
            for extra in sorted(names - set(listed) - {"manifest.json"}):
                problems.append(f"лишний файл: {extra}")
            if reader is not None and not problems:
                # The members read above decrypted nearly every chunk; the few that only hold
                # headers between them are checked too: a whole backup has no chunk that fails.
                problems += [f"повреждён фрагмент архива № {index + 1}"
                             for index in reader.bad_chunks(range(reader.chunks))]
            return problems
    except (zipfile.BadZipFile, OSError, EOFError):
        return [UNREADABLE]


def zlib_error() -> type[BaseException]:
    import zlib

    return zlib.error


@dataclass
class RestoreResult:
    data_dir: Path
    files: int
    schema_version: int

    def as_dict(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "files": self.files, "schema_version": self.schema_version}


def restore_backup(archive: Path | str, data_dir: Path | str, password: str | None = None) -> RestoreResult:
    """Restore an archive into an empty (or not yet existing) data dir. An encrypted one needs its
    password: `PasswordRequired` / `WrongPassword` (both `BackupPasswordError`) before anything is
    read or written; a damaged one is refused before anything is written."""
    from .storage import open_store

    archive, data_dir = Path(archive), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise UserError(f"Папка данных «{data_dir}» не пуста. Восстанавливать можно только в пустую папку: "
                        "укажите новую папку (--data-dir).")
    refused = "Резервная копия не восстановлена: архив повреждён, обрезан или чужой."
    if not archive.is_file():
        raise UserError(refused, details=[f"Файл «{archive}» не найден."])
    try:
        unlocked = _unlock(archive, password)
    except HeaderError as err:
        raise UserError(refused, details=[str(err)]) from None
    except OSError as err:
        raise UserError(refused, details=[UNREADABLE]) from err
    problems = _verify_zip(archive, unlocked)
    if problems:
        raise UserError(refused, details=problems)
    staging = data_dir.parent / f".{data_dir.name}.restore-{os.getpid()}"
    try:
        with _open_zip(archive, unlocked) as (zf, _reader):
            manifest = json.loads(zf.read("manifest.json"))
            for entry in manifest["files"]:
                name = entry["path"]
                target = staging / (DB_NAME if name == DB_MEMBER else name)
                if ".." in Path(name).parts or Path(name).is_absolute():
                    raise UserError(f"Архив содержит недопустимый путь: {name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(name) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                    dst.flush()
                    os.fsync(dst.fileno())
        if data_dir.exists():
            data_dir.rmdir()
        os.replace(staging, data_dir)
    except DamagedChunk as err:       # the file changed on the stick since it was checked
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(refused, details=[UNREADABLE]) from err
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(disk_error_message(err, data_dir) + " Восстановление не выполнено.") from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    store = open_store(data_dir, actor="восстановление")
    try:
        if store.scalar("PRAGMA integrity_check") != "ok":
            raise UserError("База данных из архива повреждена.")
        with store.atomic():
            audit.record(store, "backup.restore", "exports", None, archive=archive.name,
                         files=len(manifest["files"]))
        return RestoreResult(data_dir, len(manifest["files"]), store.schema_version)
    finally:
        store.close()


# -- the live store's self-check -------------------------------------------------------------------


@dataclass
class StoreReport:
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "files_checked": self.files_checked, "problems": self.problems}


def verify_store(store: Store, progress: ProgressFn | None = None) -> StoreReport:
    report = StoreReport()
    integrity = [r[0] for r in store.db.execute("PRAGMA integrity_check").fetchall()]
    if integrity != ["ok"]:
        report.problems += [f"база данных: {line}" for line in integrity[:20]]
    for fk in store.db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        report.problems.append(f"база данных: нарушена ссылка в таблице {fk[0]} (строка {fk[1]})")
    checks: list[tuple[str, str, str]] = []        # (relative path, expected sha256, what)
    for r in store.query("SELECT stored_path, sha256, original_name FROM scan_files"):
        checks.append((r["stored_path"], r["sha256"], f"скан «{r['original_name']}»"))
    for r in store.query("""SELECT p.image_path, p.sha256, f.original_name, p.page_no FROM scan_pages p
                            JOIN scan_files f ON f.id = p.file_id WHERE p.image_path != f.stored_path"""):
        checks.append((r["image_path"], r["sha256"], f"страница {r['page_no']} файла «{r['original_name']}»"))
    for r in store.query("SELECT stored_path, sha256, original_name FROM audio_files"):
        checks.append((r["stored_path"], r["sha256"], f"аудио «{r['original_name']}»"))
    for r in store.query("SELECT stored_path, sha256, original_name FROM work_attachments"):
        checks.append((r["stored_path"], r["sha256"], f"вложение «{r['original_name']}»"))
    for r in store.query("SELECT template_file, template_sha256, id FROM works WHERE template_file IS NOT NULL"):
        checks.append((r["template_file"], r["template_sha256"], f"шаблон формы работы № {r['id']}"))
    total = len(checks)
    for done, (rel, expected, what) in enumerate(checks, start=1):
        path = store.path(rel)
        if not path.is_file():
            report.problems.append(f"нет файла: {what} ({rel})")
        elif sha256_file(path) != expected:
            report.problems.append(f"файл изменён: {what} ({rel}) — SHA-256 не совпадает")
        report.files_checked += 1
        if progress:
            progress(done, total, f"Проверено файлов: {done} из {total}")
    for r in store.query("SELECT thumb_path FROM scan_pages"):
        if not store.path(r["thumb_path"]).is_file():
            report.problems.append(f"нет миниатюры: {r['thumb_path']}")
    from .scans.filestore import referenced_paths

    known = referenced_paths(store.db) | {r["template_file"] for r in store.query(
        "SELECT template_file FROM works WHERE template_file IS NOT NULL")} | {
        r["stored_path"] for r in store.query("SELECT stored_path FROM work_attachments")}
    from .scans.leftovers import leftover_files, leftover_problems

    # An interrupted import's files are said once, with what they are (leftover_problems); any
    # other file without rows is named.
    known |= set(leftover_files(store.data_dir, store.conn))
    for area in FILE_AREAS:
        root = store.data_dir / area
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.relative_to(store.data_dir).as_posix() not in known:
                report.problems.append(f"файл без записи в базе: {path.relative_to(store.data_dir).as_posix()}")
    report.problems += leftover_problems(store)
    from .integrity import problems as integrity_problems

    report.problems += integrity_problems(store)      # guards, scan rows, the audit chain, the scores
    return report


def backup_due(store: Store, today: dt.date | None = None) -> bool:
    every = int(settings.get(store, "backup_every_days") or 0)
    folder = settings.get(store, "backup_dir")
    if every <= 0 or not folder:
        return False
    last = settings.get(store, "last_backup_at")
    if not last:
        return True
    today = today or dt.date.today()
    return (today - dt.date.fromisoformat(str(last)[:10])).days >= every


def set_schedule(store: Store, folder: str | None, every_days: int, keep: int) -> Changes:
    if every_days < 0 or keep < 0:
        raise UserError("Периодичность и число хранимых копий не могут быть отрицательными.")
    changes = settings.set_value(store, "backup_dir", folder or None)
    changes |= settings.set_value(store, "backup_every_days", int(every_days))
    return changes | settings.set_value(store, "backup_keep", int(keep))


# -- the scheduled backups' password ---------------------------------------------------------------
#
# A scheduled backup runs at start-up with nobody there to type a password. What it needs is kept in
# the data dir, in KEY_FILE: not the password itself but the master key Argon2id made from it (with
# the KDF's salt and parameters), which is all a backup's key is derived from. The file is outside
# every stored area, so no backup holds it, and it is not in the database (whose audit log keeps
# what is written there). Whoever can read the data dir can read the database beside it anyway; what
# the encryption protects against is a lost stick, and the stick never holds this file.


def _key_path(store: Store) -> Path:
    return Path(store.data_dir) / KEY_FILE


def scheduled_secret(store: Store) -> BackupSecret | None:
    """The secret the scheduled backups are encrypted with, or None if none is set (or it is unreadable)."""
    try:
        data = json.loads(_key_path(store).read_text(encoding="utf-8"))
        return BackupSecret.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, HeaderError):
        return None


def scheduled_password_state(store: Store) -> str:
    """"set" (a password is kept for the scheduled backups), "plain" (the coordinator chose backups
    without a password) or "none" (nothing chosen: scheduled backups are not made)."""
    if scheduled_secret(store) is not None:
        return "set"
    return "plain" if settings.get(store, "backup_plain") else "none"


def set_scheduled_password(store: Store, password: str | None, *, plain: bool = False) -> Changes:
    """Keep `password` (its master key) for the scheduled backups; or, with `plain=True` (an explicit
    choice), make them without a password; with neither, forget the choice."""
    if plain and password:
        raise UserError("Выберите одно: пароль резервной копии или копия без пароля.")
    path = _key_path(store)
    if password:
        secret = BackupSecret.from_password(password)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": "vpr-coordinator-backup-key/1", **secret.as_json()}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            fsync_dir(path.parent)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise UserError(disk_error_message(err, path)) from err
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    changes = settings.set_value(store, "backup_plain", bool(plain))
    with store.atomic():
        audit.record(store, "backup.password", "settings", KEY_FILE,
                     state="set" if password else "plain" if plain else "none")
    return changes


def scheduled_backup(store: Store, *, progress: ProgressFn | None = None,
                     cancelled: Callable[[], bool] = lambda: False) -> BackupResult:
    """The scheduled backup into the folder set for it: encrypted with the password kept for it, or
    plain if the coordinator chose so; refused (in Russian) if neither was chosen."""
    folder = settings.get(store, "backup_dir")
    if not folder:
        raise UserError("Папка для резервных копий по расписанию не задана.")
    secret = scheduled_secret(store)
    if secret is None and not settings.get(store, "backup_plain"):
        raise UserError("Для резервных копий по расписанию не задан пароль: задайте его на странице «Выгрузка» "
                        "(«Пароль для копий…»).")
    return create_backup(store, Path(folder), password=secret, plain=secret is None, progress=progress,
                         cancelled=cancelled)
