"""Exports: the ФИС ОКО form for 1500 participants; the USB package of 2000 pages against a plain
copy of the same bytes; backup and restore of that store.

Targets (issue 5): package throughput at least 70 % of the plain copy's, read-back check included.

Usage: python bench/exports.py [--participants 1500] [--pages 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Report


def build(root: Path, participants: int, pages: int):
    from coordinator_app.codes import assign_codes, set_variant
    from coordinator_app.school import School, save_school
    from coordinator_app.scoring import set_scores
    from coordinator_app.storage import open_store
    from coordinator_app.students import add_student
    from coordinator_app.works import create_work, work_from_template
    from tests.fixtures import fisoko_forms

    store = open_store(root / "data")
    save_school(store, School(name="МБОУ СОШ № 1", login="sch123456", academic_year="2025/2026", director="Петрова А. И."))
    letters = "АБВГДЕЖИКЛМНОПРС"
    with store.atomic():
        for i in range(participants):
            add_student(store, f"Фамилия{chr(1072 + i % 32)}", "Имя", "", f"5{letters[i // 100 % len(letters)]}")
    template = fisoko_forms.make_form(root / "template.xlsx", tasks=fisoko_forms.RUSSIAN4_2026_TASKS, grade=5,
                                      rows=participants + 2, code_range=(50001, 59999))
    classes = sorted({f"5{letters[i // 100 % len(letters)]}" for i in range(participants)})
    defn = work_from_template(template, subject="Русский язык", work_date=dt.date.today(), classes=classes,
                              scale=[10, 16, 21])
    work_id, _ = create_work(store, defn)
    assign_codes(store, work_id)
    codes = [r["code"] for r in store.query("SELECT code FROM participants WHERE work_id = ? ORDER BY code", [work_id])]
    cells = []
    for n, code in enumerate(codes):
        set_variant(store, work_id, code, 1, str(n % 2 + 1))
        cells += [(code, task, str((n + i) % (m + 1))) for i, (task, m) in enumerate(fisoko_forms.RUSSIAN4_2026_TASKS)]
    set_scores(store, work_id, cells)
    return store, work_id, codes


def add_pages(store, work_id: int, codes: list[str], pages: int, root: Path) -> None:
    from PIL import ImageDraw

    from coordinator_app.scans.importer import import_scans
    from tests.fixtures.scan_pages import plain_page

    folder = root / "scans-in"
    folder.mkdir()
    base = plain_page(seed=1)
    per = max(1, pages // len(codes))
    made = 0
    for code in codes:
        for k in range(per):
            if made >= pages:
                break
            page = base.copy()
            ImageDraw.Draw(page).text((60, 60), f"{code}-{k}", fill=0)
            page.save(folder / f"{code}_{k + 1}.jpg", "JPEG", quality=85)
            made += 1
    import_scans(store, [folder], work_id=work_id, workers=2)


def plain_copy(store, work_id: int, target: Path) -> tuple[float, int]:
    """Copy the bytes the package carries (the page images) and read them back, with fsync."""
    import hashlib

    paths = [store.path(r["image_path"]) for r in store.query("SELECT image_path FROM scan_pages WHERE work_id = ?", [work_id])]
    target.mkdir(parents=True)
    start = time.perf_counter()
    size = 0
    for i, src in enumerate(paths):
        dst = target / f"{i}.jpg"
        with open(src, "rb") as a, open(dst, "wb") as b:
            data = a.read()
            b.write(data)
            b.flush()
            os.fsync(b.fileno())
            if hasattr(os, "posix_fadvise"):    # the read-back reads the disk, as the package's does
                os.posix_fadvise(b.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        size += len(data)
    for i in range(len(paths)):
        hashlib.sha256((target / f"{i}.jpg").read_bytes()).hexdigest()
    return time.perf_counter() - start, size


def _settle() -> None:
    """Let the disk write back what earlier steps left in the page cache (POSIX only)."""
    if hasattr(os, "sync"):
        os.sync()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=1500)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3, help="timed pairs of plain copy and package")
    args = parser.parse_args()
    report = Report("exports")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        store, work_id, codes = build(root, args.participants, args.pages)
        report.note(f"store with {len(codes)} scored participants built in {time.perf_counter() - t:.1f} s")

        from coordinator_app.form_export import export_form

        start = time.perf_counter()
        export_form(store, work_id, root / "form.xlsx")
        report.figure("form_export_seconds", round(time.perf_counter() - start, 2), "s",
                      f"form export, {len(codes)} participants")

        t = time.perf_counter()
        add_pages(store, work_id, codes, args.pages, root)
        report.note(f"{args.pages} pages imported in {time.perf_counter() - t:.1f} s")

        from coordinator_app.package import export_package

        # The two are timed in alternating pairs, each after os.sync(): the disk's writeback of
        # whatever came before (the import's 800 MB, the other run's files) must not be charged
        # to either. The ratio is that of the medians.
        copies: list[float] = []
        packages: list[float] = []
        result = None
        size = 0
        for rep in range(args.pairs):
            order = ("copy", "package") if rep % 2 == 0 else ("package", "copy")
            for which in order:
                shutil.rmtree(root / "plain", ignore_errors=True)
                shutil.rmtree(root / "usb", ignore_errors=True)
                (root / "usb").mkdir()      # the "stick": export_package never creates its target
                _settle()
                if which == "copy":
                    seconds, size = plain_copy(store, work_id, root / "plain")
                    copies.append(seconds)
                else:
                    start = time.perf_counter()
                    result = export_package(store, work_id, root / "usb", everyone=True, sample_pct=None)
                    packages.append(time.perf_counter() - start)
        copy_seconds, package_seconds = statistics.median(copies), statistics.median(packages)
        report.figure("plain_copy_seconds", round(copy_seconds, 2), "s",
                      f"plain copy + read-back of {size / 2**20:.0f} MiB, median of {len(copies)} "
                      f"({min(copies):.2f}–{max(copies):.2f})")
        report.figure("package_seconds", round(package_seconds, 2), "s",
                      f"package of everyone ({len(result.codes)} works, {result.files} files), read-back "
                      f"included, median of {len(packages)} ({min(packages):.2f}–{max(packages):.2f})")
        report.figure("package_vs_plain_copy", round(copy_seconds / package_seconds * 100, 1), "%",
                      "package throughput as a share of the plain copy's (target ≥ 70 %)")

        from coordinator_app.backup import create_backup, restore_backup

        start = time.perf_counter()
        backup = create_backup(store, root / "backups", password="bench-password")   # encrypted, as made
        report.figure("backup_seconds", round(time.perf_counter() - start, 2), "s",
                      f"backup ({backup.files} files, {backup.bytes / 2**20:.0f} MiB)")
        store.close()
        start = time.perf_counter()
        restore_backup(backup.path, root / "restored", "bench-password")
        report.figure("restore_seconds", round(time.perf_counter() - start, 2), "s", "restore into an empty data dir")
        shutil.rmtree(root / "plain", ignore_errors=True)
    report.finish()


if __name__ == "__main__":
    sys.exit(main())
