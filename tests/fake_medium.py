"""A fake removable medium for the verified writes (`media.verified_folder.Medium`): the real
temporary folder underneath, failing the way a USB stick does (every file it creates or opens goes
through it). It fills up after so many bytes
(ENOSPC, with the part that fits written), is pulled out in the middle of a file (EIO on that
write or read, ENODEV on every later call on an open file), returns one flipped byte or a cut-off
file on read-back, is read-only, has little free space, or lets something change a folder right
after its rename."""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Self

from coordinator_app.media.verified_folder import Medium


class FakeStick(Medium):
    def __init__(self, *, full_after: int | None = None, pulled_after: int | None = None,
                 pulled_on_read: int | None = None, flip: str | Callable[[Path], int | None] | None = None,
                 cut: tuple[str, int] | None = None,
                 read_only: bool = False, free: int | None = None,
                 after_rename: Callable[[Path], None] | None = None) -> None:
        self.full_after, self.pulled_after, self.pulled_on_read = full_after, pulled_after, pulled_on_read
        self.flip, self.cut, self.read_only, self.free = flip, cut, read_only, free
        self.after_rename = after_rename
        self.taken = 0                      # bytes the stick took, every file together
        self.created: list[str] = []        # names of the files created, in order
        self.read_backs = 0                 # files whose reading started
        self.pulled = False
        self.lock_ = threading.Lock()

    def gone(self) -> None:
        if self.pulled:
            raise OSError(errno.ENODEV, "No such device")

    def create(self, path: Path) -> BinaryIO:
        if self.read_only:
            raise OSError(errno.EROFS, "Read-only file system")
        self.gone()
        with self.lock_:
            self.created.append(path.name)
        return _FakeFile(super().create(path), self, path)  # type: ignore[return-value]

    def open_read(self, path: Path) -> BinaryIO:
        self.gone()
        return _FakeFile(super().open_read(path), self, path)  # type: ignore[return-value]

    def flipped_at(self, path: Path) -> int | None:
        """Where the byte that reads back wrong lies in the file at `path`, if it has one."""
        if self.flip is None:
            return None
        if callable(self.flip):
            return self.flip(path)
        return os.stat(path).st_size // 2 if path.name == self.flip else None

    def mkdir(self, path: Path) -> None:
        if self.read_only:
            raise OSError(errno.EROFS, "Read-only file system")
        self.gone()
        super().mkdir(path)

    def fsync(self, fd: int) -> None:
        self.gone()
        super().fsync(fd)

    def free_bytes(self, folder: Path) -> int:
        return self.free if self.free is not None else super().free_bytes(folder)

    def rename(self, source: Path, target: Path) -> None:
        self.gone()
        super().rename(source, target)
        if self.after_rename is not None:
            self.after_rename(target)


class _FakeFile:
    """A file on the fake stick: writes count against its capacity, reads may come back wrong."""

    def __init__(self, real: BinaryIO, stick: FakeStick, path: Path) -> None:
        self.real, self.stick, self.path, self.name = real, stick, path, path.name
        self.counted = False                    # whether its reading has started

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.real, attr)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()

    def _limit(self, data: bytes) -> tuple[int | None, int]:
        """How many bytes of `data` the stick takes before it fails, and with which errno."""
        stick = self.stick
        for limit, code in ((stick.full_after, errno.ENOSPC), (stick.pulled_after, errno.EIO)):
            if limit is not None and stick.taken + len(data) > limit:
                return max(0, limit - stick.taken), code
        return None, 0

    def write(self, data: bytes) -> int:
        stick = self.stick
        stick.gone()
        with stick.lock_:
            fits, code = self._limit(bytes(data))
            if fits is None:
                stick.taken += len(data)
                return self.real.write(data)
            self.real.write(bytes(data)[:fits])      # the part that fits, as a full stick leaves it
            stick.taken += fits
            if code == errno.EIO:
                stick.pulled = True
        raise OSError(code, "No space left on device" if code == errno.ENOSPC else "Input/output error")

    def flush(self) -> None:
        self.stick.gone()
        self.real.flush()

    def read(self, n: int = -1) -> bytes:
        stick = self.stick
        stick.gone()
        if not self.counted:             # the read-back of this file starts
            self.counted = True
            with stick.lock_:
                stick.read_backs += 1
                if stick.read_backs == stick.pulled_on_read:
                    stick.pulled = True
                    raise OSError(errno.EIO, "Input/output error")
        start = self.real.tell()
        data = self.real.read(n)
        if stick.cut is not None and self.name == stick.cut[0]:
            data = data[:max(0, stick.cut[1] - start)]
        flipped = stick.flipped_at(self.path)
        if flipped is not None and start <= flipped < start + len(data):
            changed = bytearray(data)
            changed[flipped - start] ^= 0x01
            data = bytes(changed)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[:len(data)] = data
        return len(data)
