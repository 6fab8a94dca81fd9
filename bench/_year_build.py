"""Builder of the year-sized store (issue 9), used by bench/year_store.py. Not run by run_all.py.

One school year of one school: 1500 pupils of grades 4–8 (60 classes, the benchmark list of
tests/fixtures/pupil_lists.py), 30 works = 6 subjects × grades 4–8, each created from a ФИС ОКО
form template (tests/fixtures/fisoko_forms.py) and dated in April 2026 (so every work is past its
90-day retention in December 2026), codes assigned (≈ 9000 participants), every participant
scored in every task, and ≈ 20,000 scanned pages imported through the real scan importer: per
participant a title page with the label the program prints (tests/fixtures/scan_pages.py) and one
or two plain pages. Pages are 100 dpi greyscale JPEGs to keep the build and the disk small.

Also a second, small store: one work of 1500 participants (one grade, 15 classes), scored and with
variants, as bench/exports.py builds it, for the figures the issue states on 1500 participants of
one work (`scores --work`, the form export, labels and slips).

Everything is built once into `<cache>/<key>.partial-<pid>` and renamed to `<cache>/<key>` when
complete; a stale partial directory (an interrupted build) is removed and the build starts again.
The key names the builder's version and the schema version, so a changed builder or a new
migration rebuilds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT  # noqa: F401 - puts the project root on sys.path for tests.fixtures

BUILDER_VERSION = 1
DPI = 100
JPEG_QUALITY = 60
LOGIN = "sch123456"
GRADES = (4, 5, 6, 7, 8)
WORK_MONTH = (2026, 4)


def _subjects() -> list[tuple[str, Any]]:
    from tests.fixtures import fisoko_forms as f

    maths = [(str(i), 2 if i in (9, 10, 11, 12) else 1) for i in range(1, 13)]
    biology = [(str(i), 2 if i % 3 == 0 else 1) for i in range(1, 11)]
    return [
        ("Русский язык", f.RUSSIAN4_2026_TASKS),
        ("Математика", maths),
        ("История", f.HISTORY6_TASKS),
        ("География", f.GEOGRAPHY7_2025_TASKS),
        ("Английский язык", f.ENGLISH8_2026_TASKS),
        ("Биология", biology),
    ]


def cache_key(pupils: int = 1500) -> str:
    from coordinator_app.storage.migrations import latest_version

    size = "" if pupils == 1500 else f"-p{pupils}"
    return f"year-b{BUILDER_VERSION}-s{latest_version()}-dpi{DPI}{size}"


def _older_schema_cache(root: Path, pupils: int) -> Path | None:
    """A complete cache of this builder at an older schema version (the newest such), if any."""
    import re

    from coordinator_app.storage.migrations import latest_version

    size = "" if pupils == 1500 else f"-p{pupils}"
    pattern = re.compile(rf"^year-b{BUILDER_VERSION}-s(\d+)-dpi{DPI}{re.escape(size)}$")
    found = []
    for entry in root.iterdir() if root.is_dir() else []:
        m = pattern.match(entry.name)
        if m and int(m.group(1)) < latest_version() and (entry / "meta.json").is_file():
            found.append((int(m.group(1)), entry))
    return max(found)[1] if found else None


def cache_dir(root: Path, pupils: int = 1500) -> Path:
    return root / cache_key(pupils)


def ensure(root: Path, log: Callable[[str], None] = print, pupils: int = 1500) -> Path:
    """The complete cached build under `root` (built now if missing); returns its directory.
    `pupils` below 1500 makes a smaller store of the same shape (a separate cache entry), for
    trying the benchmark out."""
    final = cache_dir(root, pupils)
    participants_1500 = pupils
    if (final / "meta.json").is_file():
        return final
    older = _older_schema_cache(root, pupils)
    if older is not None:
        log(f"using {older.name}: built by the same builder at an older schema version; every "
            "working copy is migrated before it is measured, as a school's store is on an update")
        return older
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f"{final.name}.partial-*"):
        pid = int(stale.name.rsplit("-", 1)[1])
        if _alive(pid):
            raise SystemExit(f"another build is running (process {pid}) into {stale}: wait for it")
        log(f"removing an interrupted build: {stale}")
        shutil.rmtree(stale, ignore_errors=True)
    partial = root / f"{final.name}.partial-{os.getpid()}"
    partial.mkdir()
    started = time.perf_counter()
    meta: dict[str, Any] = {"key": final.name, "builder_version": BUILDER_VERSION, "dpi": DPI}
    meta["year"] = build_year(partial, log, pupils)
    t = time.perf_counter()
    meta["one_work_1500"] = build_one_work(partial, participants_1500, log)
    log(f"one-work store of {participants_1500} participants built in {time.perf_counter() - t:.0f} s")
    meta["build_seconds"] = round(time.perf_counter() - started, 1)
    meta["built_at"] = dt.datetime.now().isoformat(timespec="seconds")
    (partial / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, final)
    log(f"year store built in {meta['build_seconds']:.0f} s: {final}")
    return final


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the year store -------------------------------------------------------------------------------


def build_year(base: Path, log: Callable[[str], None], pupils: int = 1500) -> dict[str, Any]:
    from coordinator_app.codes import assign_codes
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.school import School, save_school
    from coordinator_app.scoring import set_scores
    from coordinator_app.storage import open_store
    from coordinator_app.students import import_pupils
    from coordinator_app.works import create_work, get_work, work_from_template
    from tests.fixtures import fisoko_forms
    from tests.fixtures.pupil_lists import big_list_xlsx

    t0 = time.perf_counter()
    scratch = base / "scratch"
    scratch.mkdir()
    store = open_store(base / "data")
    save_school(store, School(name="МБОУ «Гимназия № 3»", login=LOGIN, academic_year="2025/2026",
                              director="Петрова А. И."))
    import_pupils(store, parse_pupil_list(big_list_xlsx(scratch, n=pupils)))
    log(f"pupils: {store.scalar('SELECT COUNT(*) FROM students')} in "
        f"{store.scalar('SELECT COUNT(*) FROM classes')} classes ({time.perf_counter() - t0:.0f} s)")

    works: list[dict[str, Any]] = []
    day = 0
    for grade in GRADES:
        classes = [r["name"] for r in store.query(
            "SELECT CAST(grade AS TEXT) || letter AS name FROM classes WHERE grade = ? ORDER BY letter", [grade])]
        for subject, tasks in _subjects():
            day += 1
            template = fisoko_forms.make_form(
                scratch / f"template-{grade}-{len(works)}.xlsx", tasks=tasks, grade=grade, rows=400,
                code_range=(grade * 10000 + 1, grade * 10000 + 9999))
            defn = work_from_template(template, subject=subject, grade=grade,
                                      work_date=dt.date(*WORK_MONTH, 1 + day % 28), classes=classes)
            work_id, _ = create_work(store, defn)
            assign_codes(store, work_id)
            work = get_work(store, work_id)
            codes = [r["code"] for r in store.query(
                "SELECT code FROM participants WHERE work_id = ? ORDER BY code", [work_id])]
            cells = [(code, task.task_id, str((n + i) % (task.max_score + 1)))
                     for n, code in enumerate(codes) for i, task in enumerate(work.tasks)]
            set_scores(store, work_id, cells)
            works.append({"id": work_id, "key": work.work_key, "grade": grade, "subject": subject,
                          "participants": len(codes)})
    log(f"works: {len(works)}, participants: {store.scalar('SELECT COUNT(*) FROM participants')}, "
        f"scores: {store.scalar('SELECT COUNT(*) FROM scores')} ({time.perf_counter() - t0:.0f} s)")

    # Pages of the next work are made (in a thread) while the current one is imported.
    from concurrent.futures import ThreadPoolExecutor

    from coordinator_app.codes import list_participants

    def make(work: dict[str, Any]) -> tuple[Path, int]:
        folder = scratch / f"scans-{work['id']}"
        return folder, _make_pages(work["codes"], work, folder)

    for work in works:
        work["codes"] = [p.code for p in list_participants(store, work["id"])]   # the labels PDF's order
    total_pages = 0
    with ThreadPoolExecutor(1) as maker:
        pending = maker.submit(make, works[0])
        for number, work in enumerate(works, start=1):
            t = time.perf_counter()
            folder, made = pending.result()
            if number < len(works):
                pending = maker.submit(make, works[number])
            report = _import(store, folder, work["id"])
            shutil.rmtree(folder)
            total_pages += report.imported
            log(f"scans {number}/{len(works)}: work {work['id']} ({work['subject']}, {work['grade']}): "
                f"{made} pages, qr {report.identified_qr}, following {report.identified_following}, "
                f"unassigned {report.unassigned}, in {time.perf_counter() - t:.0f} s "
                f"(total {total_pages} pages, {time.perf_counter() - t0:.0f} s)")
    for work in works:
        del work["codes"]
    shutil.rmtree(scratch)
    summary = {
        "data": "year/data", "works": works, "pupils": store.scalar("SELECT COUNT(*) FROM students"),
        "participants": store.scalar("SELECT COUNT(*) FROM participants"),
        "scores": store.scalar("SELECT COUNT(*) FROM scores"),
        "pages": store.scalar("SELECT COUNT(*) FROM scan_pages"),
        "unassigned": store.scalar("SELECT COUNT(*) FROM scan_pages WHERE participant_id IS NULL"),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    store.close()
    (base / "year").mkdir()
    os.replace(base / "data", base / "year" / "data")
    return summary


class _LabelMaker:
    """Labels as the program prints them, fast enough for 9000 participants.

    One label of the work is rendered from a real labels PDF (the fixture's `label_image`:
    `write_labels_pdf` + pdfium at DPI); for every other participant the QR symbol in that image
    is repainted module by module from the same encoder and error-correction level the labels PDF
    uses (reportlab's QRCode, `QR_LEVEL`), at the same place and module size, and the code text is
    redrawn. Rendering a PDF per label would cost ~40 ms each (issue 9), an hour for the year."""

    def __init__(self, work_key: str, first_code: str, dpi: int = DPI) -> None:
        from tests.fixtures import scan_pages as sp

        self.sp = sp
        self.dpi = dpi
        self.work_key = work_key
        self.base = sp.label_image(first_code, login=LOGIN, work_key=work_key, dpi=dpi)
        payload = sp.label_payload(first_code, LOGIN, work_key)
        self.left, self.top, self.module, self.modules = sp.qr_symbol_box("a4-3x8", payload, dpi)

    def image(self, code: str):
        from PIL import ImageDraw
        from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

        from coordinator_app.formats.pdf.labels import QR_LEVEL

        qr = QRCode(None, getattr(QRErrorCorrectLevel, QR_LEVEL))
        qr.addData(self.sp.label_payload(code, LOGIN, self.work_key))
        qr.make()
        if qr.getModuleCount() != self.modules:
            raise RuntimeError("label payloads of one work differ in QR size")
        label = self.base.copy()
        draw = ImageDraw.Draw(label)
        m, x0, y0 = self.module, self.left, self.top
        draw.rectangle((round(x0), round(y0), round(x0 + m * self.modules) - 1, round(y0 + m * self.modules) - 1),
                       fill=255)
        for r in range(self.modules):
            for c in range(self.modules):
                if qr.isDark(r, c):
                    draw.rectangle((round(x0 + c * m), round(y0 + r * m),
                                    round(x0 + (c + 1) * m) - 1, round(y0 + (r + 1) * m) - 1), fill=0)
        # the code in digits, right of the symbol, over the first participant's
        text_left = round(x0 + m * (self.modules + 4))
        draw.rectangle((text_left, 0, label.width - 2, round(label.height * 0.45)), fill=255)
        draw.text((text_left + 2, round(label.height * 0.15)), code, fill=0,
                  font=self.sp._font(max(8, round(14 * self.dpi / 72))))
        return label


def _make_pages(codes: list[str], work: dict[str, Any], folder: Path) -> int:
    """Title page + 1 or 2 plain pages per participant (2 for about 2 in 9), file names in order.

    A title page is the fixture's title page (tests/fixtures/scan_pages.title_page: text, the
    label's place, the scanner's paper and ink) with this participant's label stuck on it, taken
    from the work's real labels PDF and toned the same way."""
    from PIL import ImageDraw

    from tests.fixtures import scan_pages as sp

    folder.mkdir()
    labels = _LabelMaker(work["key"], codes[0])
    bases = [sp.plain_page(dpi=DPI, seed=s) for s in range(4)]
    titles = [sp.title_page(codes[0], login=LOGIN, work_key=work["key"], dpi=DPI, seed=s) for s in range(3)]
    tone = [round(sp.INK_GREY + (sp.PAPER_GREY - sp.INK_GREY) * v / 255) for v in range(256)]
    seq = 0
    for n, code in enumerate(codes):
        title = titles[n % len(titles)].copy()
        label = labels.image(code).point(tone)
        left = title.width - sp._px(sp.LABEL_RIGHT_MM, DPI) - label.width
        top = sp._px(sp.LABEL_TOP_MM, DPI)
        title.paste(label, (left, top))
        ImageDraw.Draw(title).rectangle((left - 1, top - 1, left + label.width, top + label.height), outline=200)
        pages = [title]
        for k in range(2 if n % 9 < 2 else 1):
            page = bases[(n + k) % len(bases)].copy()
            ImageDraw.Draw(page).text((30, page.height - 30), f"{work['key']} {code} {k}", fill=0)  # unique
            pages.append(page)
        for page in pages:
            seq += 1
            page.save(folder / f"scan{seq:05d}.jpg", "JPEG", quality=JPEG_QUALITY)
    return seq


def _import(store, folder: Path, work_id: int):
    from coordinator_app.scans.importer import import_scans

    return import_scans(store, [folder], work_id=work_id, workers=2)


# -- one work of 1500 participants -----------------------------------------------------------------


def build_one_work(base: Path, participants: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The store bench/exports.py builds: one grade-5 work from a template, every participant
    scored and with a variant, no scans."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import exports  # bench/exports.py

    target = base / "one_work_1500"
    target.mkdir()
    store, work_id, codes = exports.build(target, participants, 0)
    summary = {"data": "one_work_1500/data", "work_id": work_id, "participants": len(codes),
               "template": "one_work_1500/template.xlsx"}
    store.close()
    return summary


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="build the cached year store")
    parser.add_argument("--pupils", type=int, default=1500)
    parser.add_argument("cache", nargs="?", default=str(Path(__file__).resolve().parent / "out" / "year_store"))
    args = parser.parse_args()
    print(ensure(Path(args.cache), lambda text: print(text, flush=True), args.pupils))
