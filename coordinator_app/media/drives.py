"""The removable drives (USB sticks, SD cards) mounted now, offered as targets for the re-check
package and the backups. Linux: /proc/mounts under the usual media folders, kept when sysfs says
the block device is removable or on USB (without /sys, every media mount counts; without /proc,
whatever is mounted there). Windows: kernel32's removable drives that hold a medium."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Drive:
    path: Path
    label: str
    free_bytes: int
    total_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "label": self.label, "free_bytes": self.free_bytes,
                "total_bytes": self.total_bytes}


def removable_drives() -> list[Drive]:
    """Mounted removable drives (USB sticks, SD cards). Never raises; may be empty."""
    try:
        return windows_drives() if sys.platform == "win32" else linux_drives()
    except Exception:  # noqa: BLE001 - a drive list is a convenience, never a failure
        return []


# -- Linux ------------------------------------------------------------------------------------------

MEDIA_ROOTS = ("/media/", "/run/media/", "/mnt/")
#: Where nothing lists the mounts (no /proc): whatever is mounted under the usual media folders.
_MOUNT_GLOBS = ("/media/*/*", "/run/media/*/*", "/mnt/*")


def _unescape_mount(text: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def block_removable(device: str) -> bool:
    """Whether `/dev/<x>` lies on a removable or USB block device (per /sys/block)."""
    real = os.path.realpath(device)
    if not real.startswith("/dev/"):
        return False
    node = Path("/sys/class/block") / Path(real).name
    if not node.exists():
        return False
    sys_path = Path(os.path.realpath(node))
    disk = sys_path.parent if (sys_path / "partition").exists() else sys_path
    with contextlib.suppress(OSError):
        if (disk / "removable").read_text().strip() == "1":
            return True
    return "/usb" in str(disk) or disk.name.startswith("mmcblk")


def _drive(path: Path) -> Drive | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return Drive(path=path, label=path.name or str(path), free_bytes=usage.free, total_bytes=usage.total)


def _mount_lines() -> list[str]:
    try:
        return Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _removable_mount(line: str, have_sys: bool) -> str | None:
    """The mount point of a /proc/mounts line when it is a removable drive under a media folder."""
    fields = line.split()
    if len(fields) < 2:
        return None
    device, mount = fields[0], _unescape_mount(fields[1])
    if not mount.startswith(MEDIA_ROOTS) or not device.startswith("/dev/"):
        return None
    if have_sys and not block_removable(device):
        return None
    return mount


def _globbed_mounts() -> list[str]:
    return [mount for pattern in _MOUNT_GLOBS for mount in sorted(glob.glob(pattern)) if os.path.ismount(mount)]


def linux_drives() -> list[Drive]:
    have_sys = Path("/sys/class/block").is_dir()   # without /sys (a container) every media mount counts
    lines = _mount_lines()
    if lines:
        mounts = [mount for line in lines if (mount := _removable_mount(line, have_sys)) is not None]
    else:
        mounts = _globbed_mounts()
    drives: list[Drive] = []
    seen: set[str] = set()
    for mount in mounts:
        if mount in seen:
            continue
        drive = _drive(Path(mount))
        if drive is not None:
            seen.add(mount)
            drives.append(drive)
    return drives


# -- Windows ----------------------------------------------------------------------------------------

_DRIVE_REMOVABLE = 2
_SEM_FAILCRITICALERRORS = 0x0001


def _windows_drive(kernel32: Any, ctypes: Any, root: str) -> Drive | None:
    """The drive at `root` ("E:\\") if it is removable and holds a medium."""
    if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) != _DRIVE_REMOVABLE:
        return None
    free, total, _ = ctypes.c_ulonglong(), ctypes.c_ulonglong(), ctypes.c_ulonglong()
    if not kernel32.GetDiskFreeSpaceExW(ctypes.c_wchar_p(root), ctypes.byref(free), ctypes.byref(total),
                                        ctypes.byref(_)):
        return None       # no medium in the slot
    name = ctypes.create_unicode_buffer(261)
    ok = kernel32.GetVolumeInformationW(ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0)
    label = name.value if ok and name.value else "Съёмный диск"
    return Drive(Path(root), f"{label} ({root[:2]})", int(free.value), int(total.value))


def windows_drives(kernel32: Any = None) -> list[Drive]:
    """Removable drives through kernel32 (given by tests as a fake with the same five calls)."""
    import ctypes  # Windows only; ctypes.windll exists nowhere else

    if kernel32 is None:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    # No «insert a disk» dialogs for empty card-reader slots.
    old_mode = kernel32.SetErrorMode(_SEM_FAILCRITICALERRORS)
    try:
        mask = kernel32.GetLogicalDrives()
        roots = [f"{chr(ord('A') + index)}:\\" for index in range(26) if mask & (1 << index)]
        return [drive for root in roots if (drive := _windows_drive(kernel32, ctypes, root)) is not None]
    finally:
        kernel32.SetErrorMode(old_mode)
