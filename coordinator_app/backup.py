"""Backups of the whole store, restore into an empty data dir, and the store's self-check.

A backup is one ZIP archive: the database (a consistent snapshot through SQLite's backup API),
every stored file (scans, audio, templates, attachments) and the window settings, with
`manifest.json` listing every member's size and SHA-256. It is written to a temporary name in the
target folder, fsynced and renamed, so a pulled-out stick never leaves an archive that looks
complete; old backups of the same school in that folder are rotated.

Each file is read once, in large blocks: the same blocks feed its SHA-256 and the archive member
(ZIP_STORED for already compressed kinds). After the fsync every member is read back to its end,
which makes zipfile check its CRC-32 and size: the bytes on the target are the bytes hashed, so
the SHA-256 is not computed a second time (restore and `verify_archive` still check every one).

Restore refuses a damaged, truncated or foreign archive before touching anything, and only
restores into an empty data dir. `verify_store` checks the live store: database integrity,
every stored file's SHA-256, files without rows and rows without files, and the audit log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, audit, settings
from .changes import Changes
from .errors import UserError
from .fsutil import disk_error_message, sha256_file
from .storage import DB_NAME, Store, now_iso

FORMAT = "vpr-coordinator-backup/1"
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

    def as_dict(self) -> dict[str, Any]:
        return {"archive": str(self.path), "files": self.files, "bytes": self.bytes,
                "manifest_sha256": self.manifest_sha256}


def _store_files(data_dir: Path) -> list[Path]:
    files: list[Path] = []
    for area in FILE_AREAS:
        root = data_dir / area
        if root.is_dir():
            files.extend(sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")))
    files.extend(data_dir / name for name in EXTRA_FILES if (data_dir / name).is_file())
    return files


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


def _add_file(archive: zipfile.ZipFile, path: Path, name: str) -> tuple[str, int]:
    """Copy `path` into `archive` as `name` in one pass; its SHA-256 and size, of the bytes written."""
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_STORED if path.suffix.lower() in STORED_EXT else zipfile.ZIP_DEFLATED
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src, archive.open(info, "w") as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
    return digest.hexdigest(), size


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


def _read_back(path: Path, entries: list[dict[str, Any]], manifest: bytes) -> list[str]:
    """Russian problems found reading a just-written archive back: the manifest as written, every
    listed member read to its end (zipfile checks its CRC-32) with the size the manifest gives,
    nothing else in the archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            problems = []
            try:
                if archive.read("manifest.json") != manifest:
                    problems.append("Опись архива (manifest.json) повреждена.")
            except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib_error()):
                problems.append("Опись архива (manifest.json) повреждена.")
            for entry in entries:
                name = entry["path"]
                size = _read_member(archive, name) if name in names else None
                if name not in names:
                    problems.append(f"отсутствует: {name}")
                elif size is None:
                    problems.append(f"повреждён: {name}")
                elif size != entry["size"]:
                    problems.append(f"обрезан: {name} (размер {size} вместо {entry['size']})")
    except (zipfile.BadZipFile, OSError, EOFError):
        return ["Архив повреждён или обрезан: его нельзя прочитать."]
    problems += [f"лишний файл: {extra}" for extra in sorted(names - {e["path"] for e in entries} - {"manifest.json"})]
    return problems


def create_backup(store: Store, out_dir: Path | str, *, progress: ProgressFn | None = None,
                  cancelled: Callable[[], bool] = lambda: False, keep: int | None = None) -> BackupResult:
    from .school import get_school

    out_dir = Path(out_dir)
    school = get_school(store)
    login = school.login if school else "school"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    final = out_dir / f"vpr-backup-{login}-{stamp}.zip"
    partial = out_dir / f".{final.name}.partial"
    files = _store_files(store.data_dir)
    total = len(files) + 1
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            db_copy = _snapshot_db(store, Path(tmp))
            entries: list[dict[str, Any]] = []
            with open(partial, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
                members = [(db_copy, DB_MEMBER)] + [(p, p.relative_to(store.data_dir).as_posix()) for p in files]
                for done, (path, name) in enumerate(members, start=1):
                    if cancelled():
                        raise _Cancelled()
                    digest, size = _add_file(archive, path, name)
                    entries.append({"path": name, "size": size, "sha256": digest})
                    if progress:
                        progress(done, total, f"Файлов: {done} из {total}")
                manifest = {
                    "format": FORMAT, "created_at": now_iso(), "app_version": __version__,
                    "schema_version": store.schema_version, "school": login, "files": entries,
                }
                manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                archive.writestr("manifest.json", manifest_bytes)
                raw.flush()
                os.fsync(raw.fileno())
            # Checked under its temporary name: an archive that fails the check never gets the
            # final name, so a folder of backups holds only archives that read back whole.
            problems = _read_back(partial, entries, manifest_bytes)
            if problems:
                partial.unlink(missing_ok=True)
                raise UserError("Записанная резервная копия не прошла проверку и удалена. Проверьте носитель "
                                "(или выберите другую папку) и повторите.", details=problems)
            os.replace(partial, final)
    except _Cancelled:
        partial.unlink(missing_ok=True)
        raise UserError("Резервное копирование отменено; неполный архив удалён.") from None
    except OSError as err:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise UserError(disk_error_message(err, final) + " Резервная копия не создана.") from err
    result = BackupResult(final, len(entries), final.stat().st_size, hashlib.sha256(manifest_bytes).hexdigest())
    with store.atomic() as db:
        db["exports"].insert({"kind": "backup", "work_id": None, "target": str(final), "files": result.files,
                              "manifest_sha256": result.manifest_sha256, "at": now_iso(), "actor": store.actor,
                              "details": json.dumps({"bytes": result.bytes})})
        db["settings"].upsert({"key": "last_backup_at", "value": json.dumps(now_iso())}, pk="key")
        audit.record(store, "backup.create", "exports", None, archive=str(final), files=result.files,
                     manifest_sha256=result.manifest_sha256)
    rotate(out_dir, login, keep if keep is not None else int(settings.get(store, "backup_keep")))
    return result


class _Cancelled(Exception):
    pass


def rotate(folder: Path, login: str, keep: int) -> list[Path]:
    """Delete the oldest backups of this school in `folder`, keeping `keep` (0 = keep all)."""
    if keep <= 0:
        return []
    archives = sorted(folder.glob(f"vpr-backup-{login}-*.zip"))
    removed = archives[:-keep]
    for path in removed:
        with contextlib.suppress(OSError):
            path.unlink()
    return removed


def verify_archive(path: Path | str) -> list[str]:
    """Russian problems of a backup archive; empty if it is whole and ours."""
    path = Path(path)
    if not path.is_file():
        return [f"Файл «{path}» не найден."]
    try:
        with zipfile.ZipFile(path) as archive:
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
            return problems
    except (zipfile.BadZipFile, OSError, EOFError):
        return ["Архив повреждён или обрезан: его нельзя прочитать."]


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


def restore_backup(archive: Path | str, data_dir: Path | str) -> RestoreResult:
    """Restore an archive into an empty (or not yet existing) data dir."""
    from .storage import open_store

    archive, data_dir = Path(archive), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise UserError(f"Папка данных «{data_dir}» не пуста. Восстанавливать можно только в пустую папку: "
                        "укажите новую папку (--data-dir).")
    problems = verify_archive(archive)
    if problems:
        raise UserError("Резервная копия не восстановлена: архив повреждён, обрезан или чужой.", details=problems)
    staging = data_dir.parent / f".{data_dir.name}.restore-{os.getpid()}"
    try:
        with zipfile.ZipFile(archive) as zf:
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
    for area in FILE_AREAS:
        root = store.data_dir / area
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.relative_to(store.data_dir).as_posix() not in known:
                report.problems.append(f"файл без записи в базе: {path.relative_to(store.data_dir).as_posix()}")
    triggers = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name in ("audit_log_no_update", "audit_log_no_delete"):
        if name not in triggers:
            report.problems.append(f"журнал изменений не защищён: нет триггера {name}")
    previous = None
    for r in store.query("SELECT id, at FROM audit_log ORDER BY id"):
        if previous is not None and r["at"] < previous:
            report.problems.append(f"журнал изменений: запись {r['id']} датирована раньше предыдущей")
            break
        previous = r["at"]
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
