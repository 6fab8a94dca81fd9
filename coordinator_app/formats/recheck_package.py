"""The re-check package's file contract (seed 004 §6.9–6.10): its names, manifest.json and
SHA256SUMS, and the check of a package folder against them (no store needed).

    ВПР_<предмет>_<N>кл_<дата>_<логин>/
        works/<code>.pdf            the scanned pages of one participant, upright, in order
        criteria/criteria_variant<V>_<n>.<ext>   the attached criteria, byte for byte
        protocol.xlsx               the electronic protocol, every participant of the work
        cover_letter.pdf            the letter on the school's letterhead
        manifest.json               what, for which work, how chosen, and every file's size and SHA-256
        SHA256SUMS                  `sha256sum -c` format, every file including manifest.json

Nothing in the package carries a pupil's name: files are named by participant code (criteria by
variant). `verify_package` checks a package anywhere, later, against its own manifest: every
missing, truncated, altered or unexpected file is named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..fsutil import safe_file_name

FORMAT = "vpr-coordinator-package/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
#: Files an operating system drops into folders by itself; never reported as extra.
OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: Files hashed at a time by `verify_package` (hashing and reading release the GIL).
READ_THREADS = 4
CHUNK = 1 << 20


def os_junk(rel: str) -> bool:
    """Whether a file (relative POSIX path) is one an operating system dropped there by itself."""
    name = rel.rsplit("/", 1)[-1]
    return name in OS_JUNK or name.startswith("._")


# -- names ----------------------------------------------------------------------------------------------


def package_name(subject: str, grade: int, date: dt.date, login: str) -> str:
    return f"ВПР_{safe_file_name(subject, dots=True)}_{grade}кл_{date.isoformat()}_{safe_file_name(login, dots=True)}"


def criteria_name(variant: str | None, number: int, original: str) -> str:
    """A criteria file's neutral name: by variant and number, with the original's extension."""
    ext = Path(original).suffix.lower().lstrip(".")
    ext = ext if re.fullmatch(r"[a-z0-9]{1,8}", ext or "") else "bin"
    stem = f"criteria_variant{safe_file_name(variant, dots=True)}" if variant else "criteria"
    return f"{stem}_{number}.{ext}"


# -- writing the manifest and the sums --------------------------------------------------------------------


@dataclass
class Sample:
    """How the works in the package were chosen (the manifest's `sample`)."""
    pct: float | None
    seed: int
    codes: list[str]
    extra_codes: list[str]
    everyone: bool
    pool: int


@dataclass
class ManifestHead:
    """Everything in manifest.json but the files."""
    created_at: str
    app: str
    school_name: str
    login: str
    subject: str
    grade: int
    work_date: dt.date
    work_key: str
    sample: Sample


def manifest_bytes(head: ManifestHead, files: list[dict[str, Any]]) -> bytes:
    """manifest.json: `files` are the entries (path, size, sha256) of every other file, by path."""
    manifest = {
        "format": FORMAT,
        "created_at": head.created_at,
        "app": head.app,
        "school": {"name": head.school_name, "login": head.login},
        "work": {"subject": head.subject, "grade": head.grade, "date": head.work_date.isoformat(),
                 "key": head.work_key},
        "sample": asdict(head.sample),
        "files": files,
    }
    return json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")


def sums_bytes(files: list[dict[str, Any]], manifest_sha256: str) -> bytes:
    """SHA256SUMS (`sha256sum -c` format): every file and the manifest, by path."""
    sums = sorted([(e["path"], e["sha256"]) for e in files] + [(MANIFEST, manifest_sha256)])
    return "".join(f"{sha}  {path}\n" for path, sha in sums).encode("utf-8")


# -- reading them -------------------------------------------------------------------------------------------

_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def _safe_rel(path: Any) -> bool:
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts) and ":" not in path


def _good_entry(path: Any, size: Any, sha: Any) -> bool:
    return (_safe_rel(path) and path not in (MANIFEST, SUMS) and isinstance(size, int) and size >= 0
            and isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha) is not None)


def parse_manifest(raw: bytes) -> dict[str, tuple[int | None, str]] | None:
    """path → (size, SHA-256) of every file the manifest lists; None if it is not a whole one of ours."""
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
            return None
        files: dict[str, tuple[int | None, str]] = {}
        for entry in data["files"]:
            path, size, sha = entry["path"], entry["size"], entry["sha256"]
            if not _good_entry(path, size, sha) or path in files:
                return None
            files[path] = (size, sha)
        return files
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError):
        return None


def parse_sums(raw: bytes) -> dict[str, str] | None:
    """path → SHA-256 of every line of SHA256SUMS; None if a line is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sums: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match or not _safe_rel(match.group(2)) or match.group(2) in sums:
            return None
        sums[match.group(2)] = match.group(1).lower()
    return sums or None


# -- verification ---------------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str]
    files_checked: int

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "files_checked": self.files_checked}


def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _hashed(path: Path) -> tuple[int, str] | OSError:
    try:
        return _hash_file(path)
    except OSError as err:
        return err


def _listing(folder: Path) -> set[str]:
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found.update(rel for name in files if not os_junk(rel := (Path(root) / name).relative_to(folder).as_posix()))
    return found


def package_folders(path: Path | str) -> list[Path]:
    """The package folders at `path`: the folder itself when it is a package (has manifest.json),
    else every folder directly inside it that is one (the root of a stick with several packages)."""
    path = Path(path)
    if (path / MANIFEST).is_file() or not path.is_dir():
        return [path]
    try:
        found = sorted(p for p in path.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    except OSError:
        found = []
    return found or [path]


def verify_packages(path: Path | str) -> list[tuple[Path, VerifyReport]]:
    """`verify_package` for every package folder at `path` (see `package_folders`)."""
    return [(folder, verify_package(folder)) for folder in package_folders(path)]


def _file_problem(rel: str, outcome: tuple[int, str] | OSError, size_expected: int | None,
                  sha_expected: str) -> str | None:
    """What is wrong with one listed file, from its hashing's outcome; None if nothing."""
    if isinstance(outcome, (FileNotFoundError, IsADirectoryError)):
        return f"отсутствует: {rel}"
    if isinstance(outcome, OSError):
        return f"не читается: {rel} ({outcome.strerror or outcome})"
    size, sha = outcome
    if size_expected is not None and size < size_expected:
        return f"обрезан: {rel} (размер {size} вместо {size_expected})"
    if size_expected is not None and size != size_expected:
        return f"изменён: {rel} (размер {size} вместо {size_expected})"
    if sha != sha_expected:
        return f"изменён: {rel} (SHA-256 не совпадает)"
    return None


def _unread(outcome: tuple[int, str] | OSError) -> bool:
    return isinstance(outcome, OSError)


class _Verification:
    """One run of `verify_package`: the problems found and the files checked so far."""

    def __init__(self, folder: Path, progress: Callable[[str], None] | None) -> None:
        self.folder, self.progress = folder, progress
        self.problems: list[str] = []
        self.checked = 0

    def _read(self, rel: str) -> bytes | None:
        try:
            return (self.folder / rel).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            self.problems.append(f"не читается: {rel} ({err.strerror or err})")
            return b""

    def load(self, rel: str, parse: Callable[[bytes], Any]) -> tuple[bytes | None, Any]:
        """The file's bytes and what `parse` makes of them (None: missing or damaged, said)."""
        raw, parsed = self._read(rel), None
        if raw is None:
            self.problems.append(f"отсутствует: {rel}")
        else:
            self.checked += 1
            parsed = parse(raw)
            if parsed is None:
                self.problems.append(f"{rel} повреждён")
        if self.progress:
            self.progress(rel)
        return raw, parsed

    def cross_check(self, manifest_raw: bytes, expected: dict[str, tuple[int | None, str]],
                    sums: dict[str, str]) -> None:
        """SHA256SUMS against the manifest: its own line for the manifest, and the same files."""
        listed = sums.get(MANIFEST)
        if listed is None:
            self.problems.append(f"{SUMS}: нет строки для {MANIFEST}")
        elif listed != hashlib.sha256(manifest_raw).hexdigest():
            self.problems.append(f"изменён: {MANIFEST} (SHA-256 не совпадает)")
        for rel in sorted((set(sums) - {MANIFEST}) ^ set(expected), key=str):
            self.problems.append(f"{SUMS} не совпадает с {MANIFEST}: {rel}")
        for rel in sorted(set(sums) & set(expected)):
            if sums[rel] != expected[rel][1]:
                self.problems.append(f"{SUMS} не совпадает с {MANIFEST}: {rel}")

    def check_files(self, expected: dict[str, tuple[int | None, str]]) -> None:
        rels = sorted(expected)
        # Several files at a time (hashing and reading release the GIL).
        with ThreadPoolExecutor(max_workers=READ_THREADS) as readers:
            outcomes = dict(zip(rels, readers.map(lambda rel: _hashed(self.folder / rel), rels)))
        for rel in rels:
            outcome = outcomes[rel]
            problem = _file_problem(rel, outcome, *expected[rel])
            if problem is not None:
                self.problems.append(problem)
            if _unread(outcome):
                continue
            self.checked += 1
            if self.progress:
                self.progress(rel)

    def check_extra(self, expected: dict[str, tuple[int | None, str]]) -> None:
        try:
            present = _listing(self.folder)
        except OSError:
            present = set()
        for rel in sorted(present - set(expected) - {MANIFEST, SUMS}):
            self.problems.append(f"лишний файл: {rel}")


def verify_package(folder: Path | str, progress: Callable[[str], None] | None = None) -> VerifyReport:
    """Check a package folder against its manifest.json and SHA256SUMS (no store needed): every
    missing, truncated, altered or unexpected file is named. A file that cannot be read is
    reported, not raised."""
    folder = Path(folder)
    if not folder.is_dir():
        return VerifyReport(False, [f"папка пакета не найдена: {folder}"], 0)
    run = _Verification(folder, progress)
    manifest_raw, expected = run.load(MANIFEST, parse_manifest)
    _, sums = run.load(SUMS, parse_sums)
    if sums is not None and manifest_raw is not None and expected is not None:
        run.cross_check(manifest_raw, expected, sums)
    if expected is None and sums is not None:
        expected = {rel: (None, sha) for rel, sha in sums.items() if rel != MANIFEST}
    expected = expected or {}
    run.check_files(expected)
    run.check_extra(expected)
    return VerifyReport(not run.problems, run.problems, run.checked)
