"""Check the PyInstaller build in dist/vpr-coordinator/ (run by `make dist` after the build).

1. GUI smoke test: `vpr-coordinator --smoke-test` (offscreen) must exit 0, print "smoke test: ok"
   and print no Python traceback.
2. CLI: `--data-dir TMP init --school … --login sch123456`, then `list classes --json` must
   succeed and print JSON; then a small pupil list is imported, a catalogue work created, codes
   assigned and the protocol, slips and labels PDFs written (the lazily imported modules, the
   bundled fonts and catalogue), and those PDFs imported as scans (the worker process pool of
   the frozen executable), then an encrypted backup made and checked (`cryptography`). Every step
   must exit 0 with no traceback.
3. Prints the bundle size.

Exit status 0 when everything passes, 1 otherwise. Usage: python packaging/check_dist.py [DIST_DIR]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120
CSV_LIST = "Фамилия;Имя;Отчество;Класс;Пол\r\nИванов;Иван;Иванович;4А;м\r\nПетрова;Анна;Сергеевна;4А;ж\r\n"


def _exe(dist_dir: Path) -> Path:
    name = "vpr-coordinator-cli.exe" if os.name == "nt" else "vpr-coordinator"
    return dist_dir / name


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PYTHONIOENCODING="utf-8")
    print("$", " ".join(cmd), flush=True)
    # The output goes to files, not pipes: a process the child starts and leaves running (Wine's
    # desktop process, a crash reporter) inherits the handles, and a pipe would never reach its end.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, timeout=TIMEOUT_S)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(cmd, done.returncode, out.read().decode("utf-8", "replace"),
                                           err.read().decode("utf-8", "replace"))
    for stream in (proc.stdout, proc.stderr):
        if stream.strip():
            print(stream.rstrip())
    return proc


def _failed(proc: subprocess.CompletedProcess[str], what: str) -> str | None:
    if proc.returncode != 0:
        return f"{what}: exit code {proc.returncode}"
    if "Traceback" in proc.stdout or "Traceback" in proc.stderr:
        return f"{what}: a Python traceback in the output"
    return None


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


#: DLLs a Windows build may not need from the system: Windows 10 before 1903 (LTSC 2019, 1809 —
#: the supported minimum, docs/packaging.md) has no ICU of its own, and Qt >= 6.10 links it.
TOO_NEW_FOR_MINIMUM_WINDOWS = (b"icuuc.dll", b"icuin.dll")


def windows_minimum_problems(dist_dir: Path) -> list[str]:
    """A Windows bundle's Qt must start on the oldest supported Windows: no DLL of it may import
    the system's ICU. (A Linux bundle has no Qt6Core.dll: nothing to check.)"""
    problems = []
    for dll in dist_dir.rglob("Qt6Core.dll"):
        data = dll.read_bytes().lower()
        for name in TOO_NEW_FOR_MINIMUM_WINDOWS:
            if name in data:
                problems.append(f"{dll.name} needs the system's {name.decode()} (Qt >= 6.10): the program would not "
                                "start on Windows 10 before 1903 (LTSC 2019); keep PySide6 below 6.10")
    return problems


def _json_problem(proc: subprocess.CompletedProcess[str], what: str) -> str | None:
    if proc.returncode != 0:
        return None
    try:
        json.loads(proc.stdout)
    except ValueError:
        return f"{what}: the output is not JSON"
    return None


def _smoke(exe: Path) -> list[str | None]:
    proc = _run([str(exe), "--smoke-test"])
    problems = [_failed(proc, "smoke test")]
    if proc.returncode == 0 and "smoke test: ok" not in proc.stdout:
        problems.append("smoke test: no 'smoke test: ok' line")
    return problems


def _documents(cli: list[str], tmp: Path) -> tuple[list[str | None], list[Path]]:
    """The lazily imported modules: the pupil-list parser, the catalogue (a bundled json), and the
    three PDF makers (reportlab, the bundled DejaVu fonts, QR codes)."""
    pupils = tmp / "список.csv"
    pupils.write_text(CSV_LIST, encoding="utf-8")
    steps = [
        ["import-students", str(pupils)],
        ["add-work", "--catalogue", "rus4-2026", "--date", "2026-04-15", "--classes", "4А"],
        ["assign-codes", "--work", "1"],
    ]
    pdfs = [tmp / f"{kind}.pdf" for kind in ("protocol", "slips", "labels")]
    steps += [[pdf.stem, "--work", "1", "--out", str(pdf)] for pdf in pdfs]
    problems = [_failed(_run(cli + step), "cli " + step[0]) for step in steps]
    problems += [f"cli {pdf.stem}: no PDF written" for pdf in pdfs
                 if not pdf.exists() or not pdf.read_bytes().startswith(b"%PDF")]
    return problems, pdfs


def _scans(cli: list[str], pdfs: list[Path]) -> list[str | None]:
    """The scans import renders PDF pages (pypdfium2) and decodes QR codes in a "spawn" process pool
    of the frozen executable itself (more than two pages -> more than one worker task): it only
    works if the entry script calls multiprocessing.freeze_support(). The labels carry the QR codes."""
    if not all(p.exists() for p in pdfs):
        return []
    proc = _run(cli + ["--json", "import-scans", *map(str, pdfs), "--work", "1"])
    return [_failed(proc, "cli import-scans"), _json_problem(proc, "cli import-scans --json")]


def _backup(exe: Path, cli: list[str], tmp: Path) -> list[str | None]:
    """An encrypted backup (cryptography's Rust/OpenSSL extension, Argon2id) and its full check."""
    secret = tmp / "password.txt"
    secret.write_text("dist-check-password\n", encoding="utf-8")
    proc = _run(cli + ["--json", "backup", "--out", str(tmp / "usb"), "--password-file", str(secret)])
    problems = [_failed(proc, "cli backup")]
    if proc.returncode == 0:
        archive = json.loads(proc.stdout)["archive"]
        proc = _run([str(exe), "verify-archive", archive, "--password-file", str(secret)])
        problems.append(_failed(proc, "cli verify-archive"))
    return problems


def _cli(exe: Path) -> list[str | None]:
    with tempfile.TemporaryDirectory(prefix="vpr-dist-check-") as folder:
        tmp = Path(folder)
        cli = [str(exe), "--data-dir", str(tmp / "data")]
        problems = [_failed(_run(cli + ["init", "--school", "Школа", "--login", "sch123456"]), "cli init")]
        proc = _run(cli + ["list", "classes", "--json"])
        problems += [_failed(proc, "cli list classes --json"), _json_problem(proc, "cli list classes --json")]
        documents, pdfs = _documents(cli, tmp)
        return problems + documents + _scans(cli, pdfs) + _backup(exe, cli, tmp)


def _bundle(dist_dir: Path) -> list[str | None]:
    problems: list[str | None] = []
    # reportlab's C accelerators are a hidden import (see pyinstaller.spec); without them the PDFs
    # are still made, only slower, so nothing above would notice their absence.
    if not any(dist_dir.rglob("_rl_accel*")):
        problems.append("reportlab's C accelerators (_rl_accel) are not in the bundle")
    # Qt's own texts (message-box buttons, context menus) are Russian only if this file travels.
    if not any(dist_dir.rglob("qtbase_ru.qm")):
        problems.append("Qt's Russian translation (qtbase_ru.qm) is not in the bundle")
    return problems + windows_minimum_problems(dist_dir)


def main(argv: list[str]) -> int:
    for stream in (sys.stdout, sys.stderr):      # the children's output is echoed whatever it holds
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    dist_dir = Path(argv[0]) if argv else ROOT / "dist" / "vpr-coordinator"
    exe = _exe(dist_dir)
    if not exe.exists():
        print(f"check_dist: {exe} not found; build first", file=sys.stderr)
        return 1
    problems = [p for p in _smoke(exe) + _cli(exe) + _bundle(dist_dir) if p]
    size = _size(dist_dir)
    files = sum(1 for p in dist_dir.rglob("*") if p.is_file())
    print(f"bundle: {dist_dir} — {size / 2**20:.1f} MiB in {files} files")
    for p in problems:
        print(f"check_dist: FAILED — {p}", file=sys.stderr)
    if not problems:
        print("check_dist: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
