"""Backups of the whole store, restore into an empty data dir, the store's self-check, and the
scheduled backups.

A backup is one archive (`formats/backup_archive.py`): the database (a consistent snapshot through
SQLite's backup API), every stored file (scans, audio, templates, attachments) and the window
settings, with `manifest.json` listing every member's size and SHA-256. It holds every pupil's
name, class and code (personal data of minors), so it is encrypted with a password unless the
coordinator explicitly chooses otherwise (`formats/backup_crypto.py`: AES-256-GCM in 1 MiB chunks,
the key from the password by Argon2id; docs/backup_format.md), and no plain byte of it reaches the
stick. A backup without a password is the plain ZIP of earlier versions, which still restore and
verify. The archive is written through `media.verified_folder.VerifiedFile`: to a temporary name in
the target folder, fsynced, read back under that name (its directory, manifest and every byte) and
only then renamed (and the folder fsynced), so a pulled-out stick never leaves an archive that looks
complete; a temporary file an interrupted backup left is removed by the next backup; old backups of
the same school in that folder are rotated only after the new one is complete and checked, and the
new one never takes an existing name. Files the store recorded a SHA-256 for when it stored them go
into the manifest with that hash, so restore and `verify_archive` name a scan that changed on disk
since it was stored instead of blessing it with a new hash.

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
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, audit, settings
from .changes import Changes
from .errors import UserError
from .formats.backup_archive import (
    BACKUP_EXTS,
    DB_MEMBER,
    ENCRYPTED_EXT,
    PLAIN_EXT,
    UNREADABLE,
    ArchiveHead,
    WrittenArchive,
    check_archive,
    open_archive,
    read_back,
    unlock,
    write_archive,
)
from .formats.backup_crypto import (
    PERSONAL_DATA_WARNING,
    BackupPasswordError,
    BackupSecret,
    DamagedChunk,
    HeaderError,
    PasswordRequired,
    check_new_password,
    is_encrypted,
)
from .fsutil import disk_error_message, fsync_dir, sha256_file
from .integrity import problems as integrity_problems
from .media.verified_folder import (
    LOCAL,
    Cancelled,
    Medium,
    Mismatch,
    VerifiedFile,
    remove_stale_partials,
)
from .scans.filestore import referenced_paths
from .scans.leftovers import leftover_files, leftover_problems
from .school import get_school
from .storage import DB_NAME, Store, now_iso, open_store

__all__ = ["PERSONAL_DATA_WARNING", "BackupPasswordError", "BackupSecret", "PasswordRequired", "create_backup",
           "restore_backup", "verify_store", "rotate", "backup_due", "set_schedule",
           "scheduled_backup", "set_scheduled_password", "scheduled_password_state", "is_encrypted"]

#: In the data dir: the key of the scheduled backups (never put into a backup: not a stored area).
KEY_FILE = "backup-password.key"
FILE_AREAS = ("scans", "audio", "templates", "attachments")
EXTRA_FILES = ("window.ini",)
#: The temporary files backups are written in (`VerifiedFile`'s naming, our archives only).
PARTIALS = re.compile(r"\.vpr-backup-.*\.partial")
ProgressFn = Callable[[int, int, str], None]


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


# -- what goes into a backup ----------------------------------------------------------------------------


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



def _snapshot_db(store: Store, folder: Path) -> Path:
    target = folder / DB_MEMBER
    dst = sqlite3.connect(target)
    try:
        store.db.conn.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
    return target


# -- making one ---------------------------------------------------------------------------------------------


def _free_name(out_dir: Path, login: str, stamp: str, ext: str) -> Path:
    """The new backup's name; never one an existing backup has (two backups in one second)."""
    final = out_dir / f"vpr-backup-{login}-{stamp}{ext}"
    number = 1
    while (out_dir / f".{final.name}.partial").exists() or any(
            (out_dir / f"{final.stem}{other}").exists() for other in BACKUP_EXTS):
        number += 1
        final = out_dir / f"vpr-backup-{login}-{stamp}-{number}{ext}"
    return final


def _secret(password: str | BackupSecret | None, plain: bool) -> BackupSecret | None:
    """The key the backup is encrypted with (None: plain, chosen explicitly)."""
    if plain and password is not None:
        raise UserError("Выберите одно: пароль резервной копии или копия без пароля.")
    if not plain and password is None:
        check_new_password(None)      # «Задайте пароль резервной копии (или явно выберите копию без пароля)»
    # The key first (Argon2id, a fraction of a second): a password too short stops here.
    if plain or password is None:
        return None
    return password if isinstance(password, BackupSecret) else BackupSecret.from_password(password)


def _write_backup(store: Store, final: Path, login: str, files: list[tuple[str, str]],
                  secret: BackupSecret | None, on_file: Callable[[int], None], medium: Medium) -> WrittenArchive:
    """The archive into `final` through a verified file: written, fsynced, read back under its
    temporary name (an archive that fails the check never gets the final name, so a folder of
    backups holds only archives that read back whole), renamed."""
    head = ArchiveHead(__version__, store.schema_version, login, now_iso)
    with tempfile.TemporaryDirectory() as tmp, VerifiedFile(final, medium=medium) as target:
        members = [(str(_snapshot_db(store, Path(tmp))), DB_MEMBER), *files]
        assert target.stream is not None
        written = write_archive(target.stream, members, secret, head, _recorded_hashes(store), on_file)
        target.commit(lambda partial: read_back(partial, written, medium.open_read))
    return written


def _failed(err: Exception, final: Path) -> UserError:
    """A backup that could not be made, said in Russian (what was written is already removed)."""
    if isinstance(err, Cancelled):
        return UserError("Резервное копирование отменено; неполный архив удалён.")
    if isinstance(err, Mismatch):
        return UserError("Записанная резервная копия не прошла проверку и удалена. Проверьте носитель "
                         "(или выберите другую папку) и повторите.", details=list(err.args))
    assert isinstance(err, OSError)
    return UserError(disk_error_message(err, final) + " Резервная копия не создана.")


def _record(store: Store, result: BackupResult) -> None:
    with store.atomic() as db:
        db["exports"].insert({"kind": "backup", "work_id": None, "target": str(result.path), "files": result.files,
                              "manifest_sha256": result.manifest_sha256, "at": now_iso(), "actor": store.actor,
                              "details": json.dumps({"bytes": result.bytes, "encrypted": result.encrypted})})
        db["settings"].upsert({"key": "last_backup_at", "value": json.dumps(now_iso())}, pk="key")
        audit.record(store, "backup.create", "exports", None, archive=str(result.path), files=result.files,
                     manifest_sha256=result.manifest_sha256, encrypted=result.encrypted)


def create_backup(store: Store, out_dir: Path | str, *, password: str | BackupSecret | None = None,
                  plain: bool = False, progress: ProgressFn | None = None,
                  cancelled: Callable[[], bool] = lambda: False, keep: int | None = None,
                  medium: Medium = LOCAL) -> BackupResult:
    """Back the store up into `out_dir`: encrypted with `password` (a string, or the secret of the
    scheduled backups), or, only with `plain=True`, as a plain ZIP anyone can read."""
    secret = _secret(password, plain)
    out_dir = Path(out_dir)
    school = get_school(store)
    login = school.login if school else "school"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    ext = PLAIN_EXT if plain else ENCRYPTED_EXT
    final = out_dir / f"vpr-backup-{login}-{stamp}{ext}"
    try:
        files = _store_members(store.data_dir)
        total = len(files) + 1

        def on_file(done: int) -> None:
            if cancelled():
                raise Cancelled()
            if progress:
                progress(done, total, f"Файлов: {done} из {total}")

        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out_dir, PARTIALS, medium)
        final = _free_name(out_dir, login, stamp, ext)
        written = _write_backup(store, final, login, files, secret, on_file, medium)
    except (Cancelled, Mismatch, OSError) as err:
        raise _failed(err, final) from (err if isinstance(err, OSError) else None)
    result = BackupResult(final, len(written.entries), final.stat().st_size,
                          hashlib.sha256(written.manifest).hexdigest(), encrypted=secret is not None)
    _record(store, result)
    # Only now, with the new backup complete and checked, may an old one go.
    rotate(out_dir, login, keep if keep is not None else int(settings.get(store, "backup_keep")), newest=final)
    return result




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



# -- restore ------------------------------------------------------------------------------------------------

REFUSED = "Резервная копия не восстановлена: архив повреждён, обрезан или чужой."


@dataclass
class RestoreResult:
    data_dir: Path
    files: int
    schema_version: int

    def as_dict(self) -> dict[str, Any]:
        return {"data_dir": str(self.data_dir), "files": self.files, "schema_version": self.schema_version}


def _checked_archive(archive: Path, password: str | None) -> Any:
    """The archive's key (None: plain) once the whole archive checked out; refused in Russian
    otherwise. `PasswordRequired` / `WrongPassword` go on as they are."""
    if not archive.is_file():
        raise UserError(REFUSED, details=[f"Файл «{archive}» не найден."])
    try:
        unlocked = unlock(archive, password)
    except HeaderError as err:
        raise UserError(REFUSED, details=[str(err)]) from None
    except OSError as err:
        raise UserError(REFUSED, details=[UNREADABLE]) from err
    problems = check_archive(archive, unlocked)
    if problems:
        raise UserError(REFUSED, details=problems)
    return unlocked


def _extract(archive: Path, unlocked: Any, staging: Path) -> list[dict[str, Any]]:
    """Every member listed in the manifest into `staging` (each fsynced); the manifest's files."""
    with open_archive(archive, unlocked) as (zf, _reader):
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
    return manifest["files"]


def _restore_files(archive: Path, unlocked: Any, data_dir: Path) -> list[dict[str, Any]]:
    """The archive's files into `data_dir` through a staging folder beside it, moved in at the end."""
    staging = data_dir.parent / f".{data_dir.name}.restore-{os.getpid()}"
    try:
        files = _extract(archive, unlocked, staging)
        if data_dir.exists():
            data_dir.rmdir()
        os.replace(staging, data_dir)
        return files
    except DamagedChunk as err:       # the file changed on the stick since it was checked
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(REFUSED, details=[UNREADABLE]) from err
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(disk_error_message(err, data_dir) + " Восстановление не выполнено.") from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def restore_backup(archive: Path | str, data_dir: Path | str, password: str | None = None) -> RestoreResult:
    """Restore an archive into an empty (or not yet existing) data dir. An encrypted one needs its
    password: `PasswordRequired` / `WrongPassword` (both `BackupPasswordError`) before anything is
    read or written; a damaged one is refused before anything is written."""
    archive, data_dir = Path(archive), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise UserError(f"Папка данных «{data_dir}» не пуста. Восстанавливать можно только в пустую папку: "
                        "укажите новую папку (--data-dir).")
    unlocked = _checked_archive(archive, password)
    files = _restore_files(archive, unlocked, data_dir)
    store = open_store(data_dir, actor="восстановление")
    try:
        if store.scalar("PRAGMA integrity_check") != "ok":
            raise UserError("База данных из архива повреждена.")
        with store.atomic():
            audit.record(store, "backup.restore", "exports", None, archive=archive.name, files=len(files))
        return RestoreResult(data_dir, len(files), store.schema_version)
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


def _database_problems(store: Store) -> list[str]:
    integrity = [r[0] for r in store.db.execute("PRAGMA integrity_check").fetchall()]
    problems = [f"база данных: {line}" for line in integrity[:20]] if integrity != ["ok"] else []
    for fk in store.db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        problems.append(f"база данных: нарушена ссылка в таблице {fk[0]} (строка {fk[1]})")
    return problems


def _stored_files(store: Store) -> list[tuple[str, str, str]]:
    """(relative path, recorded SHA-256, what it is in Russian) of every file the store recorded."""
    checks: list[tuple[str, str, str]] = []
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
    return checks


def _check_stored_files(store: Store, report: StoreReport, progress: ProgressFn | None) -> None:
    checks = _stored_files(store)
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


def _files_without_rows(store: Store) -> list[str]:
    known = referenced_paths(store.db) | {r["template_file"] for r in store.query(
        "SELECT template_file FROM works WHERE template_file IS NOT NULL")} | {
        r["stored_path"] for r in store.query("SELECT stored_path FROM work_attachments")}
    # An interrupted import's files are said once, with what they are (leftover_problems); any
    # other file without rows is named.
    known |= set(leftover_files(store.data_dir, store.conn))
    problems = []
    for area in FILE_AREAS:
        root = store.data_dir / area
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(store.data_dir).as_posix()
            if path.is_file() and not path.name.startswith(".") and rel not in known:
                problems.append(f"файл без записи в базе: {rel}")
    return problems


def verify_store(store: Store, progress: ProgressFn | None = None) -> StoreReport:
    report = StoreReport(_database_problems(store))
    _check_stored_files(store, report, progress)
    report.problems += _files_without_rows(store)
    report.problems += leftover_problems(store)
    report.problems += integrity_problems(store)      # guards, scan rows, the audit chain, the scores
    return report


# -- the schedule -------------------------------------------------------------------------------------------


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
