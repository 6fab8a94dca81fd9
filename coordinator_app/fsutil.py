"""Atomic file writes: temporary name in the same folder, flush, fsync, rename.

A crash leaves either the old file or the new one, never half of it. Every file the program
writes next to its database, or exports, goes through here.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import UserError


def fsync_dir(folder: Path) -> None:
    # Directory fsync makes the rename durable on POSIX; Windows has no such call.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_full_message(target: Path | str) -> str:
    """The program's one message for a full disk, whatever was being written (a file, the
    database: `storage` maps SQLite's «database or disk is full» to it too)."""
    return f"На диске не хватает места для записи «{target}». Освободите место и повторите."


def is_disk_full(err: OSError) -> bool:
    import errno

    return err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def disk_error_message(err: OSError, target: Path) -> str:
    """A Russian explanation of a failed write."""
    import errno

    if is_disk_full(err):
        return disk_full_message(target)
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Нет прав на запись «{target}». Выберите другую папку или проверьте, что носитель не защищён от записи."
    if err.errno in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENOTDIR):
        return f"Папка для «{target}» недоступна (носитель извлечён?). Проверьте носитель и повторите."
    return f"Не удалось записать «{target}»: {err.strerror or err}."


@contextlib.contextmanager
def atomic_writer(target: Path | str) -> Iterator[BinaryIO]:
    """Open a binary stream that becomes `target` only if the block finishes without error."""
    import tempfile

    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise UserError(disk_error_message(err, target)) from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UserError(disk_error_message(err, target)) from err
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_writer(target) as stream:
        stream.write(data)


def atomic_copy(source: Path | str, target: Path | str, chunk: int = 1 << 20) -> str:
    """Copy `source` to `target` atomically and return the SHA-256 of the bytes written."""
    import hashlib

    digest = hashlib.sha256()
    with open(source, "rb") as src, atomic_writer(target) as dst:
        while block := src.read(chunk):
            digest.update(block)
            dst.write(block)
    return digest.hexdigest()


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while block := src.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_UNSAFE = re.compile(r"[^\w\-]+")
_UNSAFE_KEEPING_DOTS = re.compile(r"[^\w.\-]+")


#: Names Windows reserves for devices, whatever the extension («CON.pdf» opens the console).
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                              *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))})
#: The longest part a name gets from `safe_file_name`: a work's title with a class and a date
#: stays readable, and a folder path plus the name stays far under Windows's 260 characters.
MAX_NAME_PART = 80


def safe_file_name(text: str, *, dots: bool = False, max_len: int = MAX_NAME_PART) -> str:
    """`text` as a part of a file name on any system: letters of any alphabet, digits and «-» (and
    «.» with `dots`) kept, every run of anything else one «_», none at either end; «_» if nothing
    is left; at most `max_len` characters. Nothing Windows forbids (`<>:"/\\|?*`, control
    characters, a trailing dot, a device name such as «CON» or «COM1») survives."""
    pattern = _UNSAFE_KEEPING_DOTS if dots else _UNSAFE
    name = pattern.sub("_", str(text)).strip("._" if dots else "_").rstrip(".") or "_"
    name = name[:max_len].rstrip("._") or "_"
    if name.split(".")[0].upper() in _WINDOWS_DEVICES:
        name = "_" + name
    return name