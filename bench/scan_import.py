"""Scan import throughput and memory.

Builds a store (1500 pupils, a grade-4 work with codes) and batches of A4 pages at 200 dpi,
greyscale JPEG, shaped like real works: each participant's title page carries the label the app
prints (rendered from the real labels PDF), followed by two plain pages. Each import runs in a
fresh subprocess on a pristine copy of the store, so its time and memory are its own:
  - pages/s for the whole import (store + SHA-256 + thumbnail + QR + matching + rows) with both
    cores (2 worker processes), for the JPEG files and for the same pages as one multi-page PDF;
  - the time to merely decode the same JPEGs with Pillow (one process), and the ratio;
  - peak RSS of the importing process (VmHWM) and of the largest worker for 2000 pages.
Targets (issue 3): ≥ 20 pages/s, ≤ 3× the plain decode time, < 500 MB peak.

Usage: python bench/scan_import.py [--pages 500] [--big 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, Report
from PIL import Image, ImageDraw


def build_store(root: Path) -> tuple[str, int, list[str]]:
    from coordinator_app.codes import assign_codes
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.school import School, save_school
    from coordinator_app.storage import open_store
    from coordinator_app.students import import_pupils
    from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
    from tests.fixtures.pupil_lists import big_list_xlsx

    store = open_store(root / "base")
    save_school(store, School(name="Школа", login="sch123456", academic_year="2025/2026"))
    import_pupils(store, parse_pupil_list(big_list_xlsx(root, n=1500)))
    grade4 = [r["name"] for r in store.query(
        "SELECT CAST(grade AS TEXT) || letter AS name FROM classes WHERE grade = 4 ORDER BY letter")]
    work_id, _ = create_work(store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)], classes=grade4))
    assign_codes(store, work_id)
    codes = [r["code"] for r in store.query("SELECT code FROM participants WHERE work_id = ? ORDER BY code", [work_id])]
    key = get_work(store, work_id).work_key
    store.close()
    return key, work_id, codes


def make_batch(folder: Path, pages: int, work_key: str, codes: list[str]) -> list[Path]:
    from tests.fixtures.scan_pages import plain_page, title_page

    folder.mkdir(parents=True, exist_ok=True)
    bases = [plain_page(seed=s) for s in range(6)]
    titles = [title_page(codes[i], login="sch123456", work_key=work_key, seed=i % 5) for i in range(len(codes))]
    files: list[Path] = []
    for index in range(pages):
        page = (titles[(index // 3) % len(titles)] if index % 3 == 0 else bases[index % len(bases)]).copy()
        ImageDraw.Draw(page).text((60, page.height - 60), f"page {index}", fill=0)   # every page unique
        path = folder / f"scan{index:05d}.jpg"
        page.save(path, "JPEG", quality=85)
        files.append(path)
    return files


def import_in_subprocess(base: Path, target: Path, inputs: list[Path], work_id: int) -> dict:
    shutil.copytree(base, target)
    listing = target.parent / f"{target.name}.inputs.json"
    listing.write_text(json.dumps([str(p) for p in inputs]))
    out = subprocess.run([sys.executable, __file__, "--child", str(target), str(listing), str(work_id)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def vm_hwm_mib() -> float:
    """Peak RSS of this process image. Unlike ru_maxrss, which Linux carries across exec (so a
    child would report its parent's peak), VmHWM starts afresh with the new program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(data_dir: str, listing: str, work_id: str) -> None:
    from coordinator_app.scans.importer import import_scans
    from coordinator_app.storage import open_store

    inputs = json.loads(Path(listing).read_text())
    store = open_store(Path(data_dir))
    start = time.perf_counter()
    result = import_scans(store, inputs, work_id=int(work_id), workers=2)
    seconds = time.perf_counter() - start
    store.close()
    print(json.dumps({
        "seconds": seconds, "pages": result.imported, "qr": result.identified_qr,
        "following": result.identified_following, "unassigned": result.unassigned,
        "rss_main_mib": vm_hwm_mib(),
        "rss_worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--big", type=int, default=2000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    report = Report("scan_import")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key, work_id, codes = build_store(root)
        t = time.perf_counter()
        files = make_batch(root / "jpeg", args.pages, key, codes)
        pdf = root / "batch.pdf"
        images = [Image.open(p) for p in files]
        images[0].save(pdf, "PDF", resolution=200.0, save_all=True, append_images=images[1:])
        for image in images:
            image.close()
        report.note(f"generated {len(files)} pages (+ the same as one PDF) in {time.perf_counter() - t:.1f} s")

        start = time.perf_counter()
        for path in files:
            with Image.open(path) as image:
                image.load()
        decode = time.perf_counter() - start
        report.figure("plain_decode_seconds", round(decode, 2), "s")
        report.figure("plain_decode_pages_per_s", round(len(files) / decode, 1), "pages/s")

        jpeg = import_in_subprocess(root / "base", root / "s-jpeg", files, work_id)
        report.figure("jpeg_import_seconds", round(jpeg["seconds"], 2), "s")
        report.figure("jpeg_import_pages_per_s", round(jpeg["pages"] / jpeg["seconds"], 1), "pages/s")
        report.figure("jpeg_ratio_to_plain_decode", round(jpeg["seconds"] / decode, 2), "x")
        report.figure("jpeg_identified", f"qr {jpeg['qr']}, following {jpeg['following']}, unassigned {jpeg['unassigned']}")

        one_pdf = import_in_subprocess(root / "base", root / "s-pdf", [pdf], work_id)
        report.figure("pdf_import_seconds", round(one_pdf["seconds"], 2), "s")
        report.figure("pdf_import_pages_per_s", round(one_pdf["pages"] / one_pdf["seconds"], 1), "pages/s")
        report.figure("pdf_identified", f"qr {one_pdf['qr']}, following {one_pdf['following']}, unassigned {one_pdf['unassigned']}")

        if args.big:
            shutil.rmtree(root / "s-jpeg")
            shutil.rmtree(root / "s-pdf")
            big_files = make_batch(root / "big", args.big, key, codes)
            big = import_in_subprocess(root / "base", root / "s-big", big_files, work_id)
            report.figure("big_pages", big["pages"], "pages")
            report.figure("big_pages_per_s", round(big["pages"] / big["seconds"], 1), "pages/s")
            report.figure("big_peak_rss_main_mib", round(big["rss_main_mib"], 1), "MiB")
            report.figure("big_peak_rss_worker_mib", round(big["rss_worker_mib"], 1), "MiB")
    report.finish()


if __name__ == "__main__":
    sys.exit(main())
