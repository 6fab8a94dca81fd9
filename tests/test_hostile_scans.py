"""Scan files that must not break a batch or exhaust memory: decompression bombs (a huge page in a
multi-page TIFF, a PNG whose header declares more than the limit), decoder failures, memory
running out, PDF pages far beyond A3. Each bad file is rejected with its name and a Russian
reason; the rest of the batch is imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PIL import Image

from coordinator_app.codes import assign_codes
from coordinator_app.scans import decode
from coordinator_app.scans.importer import import_scans
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils
from tests.fixtures.hostile import pdf_with_page_size, png_declaring, tiff_with_a_huge_page


@pytest.fixture
def work_id(school_store: Store) -> int:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)],
                                                   classes=["4А"]))
    assign_codes(school_store, work_id)
    return work_id


def _good_files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"good{n:02d}.png"
        Image.new("L", (120, 170), 5 + 12 * n).save(path)
        paths.append(path)
    return paths


def _reasons(report) -> dict[str, str]:
    return {Path(r["file"]).name: r["reason"] for r in report.rejected}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_huge_page_in_a_multipage_tiff_rejects_that_file_and_the_batch_goes_on(
        school_store, work_id, tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "batch"
    _good_files(folder, 18)
    tiff_with_a_huge_page(folder / "good09a.tif", pages=3, huge=2)        # in the middle of the batch
    report = import_scans(school_store, [folder], work_id=work_id, workers=workers)
    assert report.files == 18 and report.imported == 18
    assert _reasons(report) == {"good09a.tif": "страница 2: изображение слишком большое для скана страницы "
                                               "(16000×16000 точек, больше 120 млн точек)"}
    assert school_store.scalar("SELECT COUNT(*) FROM scan_files") == 18
    assert "Не приняты файлы: 1." in report.summary()


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(school_store, work_id, tmp_path: Path) -> None:
    """225 Mpx is under Pillow's hard limit (2 × MAX_PIXELS) but over ours: refused before decoding."""
    folder = tmp_path / "batch"
    _good_files(folder, 2)
    png_declaring(folder / "huge.png", 15000, 15000)
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 2
    assert _reasons(report) == {"huge.png": "изображение слишком большое для скана страницы "
                                            "(больше 120 млн точек)"}


def test_a_colour_image_is_limited_by_the_memory_it_would_take(school_store, work_id, tmp_path: Path) -> None:
    """Pillow keeps colour in four bytes a pixel: 81 Mpx in colour would take 324 MB."""
    folder = tmp_path / "batch"
    _good_files(folder, 1)
    png_declaring(folder / "colour.png", 9000, 9000, colour=True)
    png_declaring(folder / "grey.png", 9000, 9000)        # passes the check (and is then refused as broken)
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    reasons = _reasons(report)
    assert reasons["colour.png"] == ("изображение слишком большое для скана страницы "
                                     "(9000×9000 точек, больше 75 млн точек)")
    assert "слишком большое" not in reasons["grey.png"]


def test_a_file_that_changes_while_it_is_imported_is_rejected_and_nothing_is_stored(
        school_store, work_id, tmp_path: Path, monkeypatch) -> None:
    import coordinator_app.scans.plan as plan

    folder = tmp_path / "batch"
    _good_files(folder, 2)
    real = plan.sha256_file
    monkeypatch.setattr(plan, "sha256_file", lambda p: "0" * 64 if p.name == "good01.png" else real(p))
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 1
    assert _reasons(report) == {"good01.png": "файл изменился во время импорта: повторите импорт"}
    stored = {p.name for p in (school_store.data_dir / "scans" / "originals").rglob("*") if p.is_file()}
    assert len(stored) == 1


@pytest.mark.parametrize("error", [KeyError("tile"), MemoryError(), RuntimeError("pdfium"),
                                   Image.DecompressionBombError("bomb")])
def test_any_decoder_error_rejects_only_its_file(school_store, work_id, tmp_path: Path, monkeypatch,
                                                  error: BaseException) -> None:
    import coordinator_app.scans.worker as worker

    real = worker.iter_pages

    def iter_pages(kind, data, first=1, last=None):
        if Path(data).read_bytes() == bad.read_bytes():          # the stored copy of the bad file
            raise error
        return real(kind, data, first, last)

    monkeypatch.setattr(worker, "iter_pages", iter_pages)
    folder = tmp_path / "batch"
    _good_files(folder, 3)
    bad = folder / "good01bad.png"
    Image.new("L", (100, 100), 200).save(bad)
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 3
    reason = _reasons(report)["good01bad.png"]
    assert reason.startswith(("файл не удалось прочитать", "не хватило памяти", "изображение слишком большое"))
    assert all("Error" not in part for part in reason.split("(")[:1])   # Russian, no traceback


def test_a_failing_page_count_rejects_only_its_file(school_store, work_id, tmp_path: Path, monkeypatch) -> None:
    import coordinator_app.scans.plan as plan

    real = plan.page_info
    monkeypatch.setattr(plan, "page_info",
                        lambda kind, data: (_ for _ in ()).throw(ZeroDivisionError()) if kind == "tiff" else real(kind, data))
    folder = tmp_path / "batch"
    _good_files(folder, 2)
    tiff_with_a_huge_page(folder / "odd.tif", pages=2, huge=2, size=(200, 300))
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 2 and list(_reasons(report)) == ["odd.tif"]


def test_a_pdf_page_far_beyond_a3_is_refused_without_rendering(school_store, work_id, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    _good_files(folder, 2)
    pdf_with_page_size(folder / "poster.pdf", 14400, 14400)     # 5 × 5 m: 4.6 GB at 200 dpi
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 2
    assert _reasons(report) == {"poster.pdf": "страница 1 PDF размером 5080×5080 мм намного больше формата A3: "
                                              "это не скан работы"}


def test_a_pdf_page_larger_than_a3_is_stored_downscaled_and_named(school_store, work_id, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    pdf_with_page_size(folder / "a2.pdf" if folder.mkdir() is None else folder, 1191, 1684)   # A2
    report = import_scans(school_store, [folder], work_id=work_id, workers=1)
    assert report.imported == 1 and not report.rejected
    assert [(Path(w["file"]).name, w["page"]) for w in report.warnings] == [("a2.pdf", 1)]
    assert report.warnings[0]["reason"].startswith("страница 1 размером 420×594 мм больше формата A3: "
                                                   "сохранена уменьшенной")
    assert "Сохранены с замечаниями страниц: 1." in report.summary()
    row = school_store.one("SELECT width, height FROM scan_pages")
    assert row["width"] * row["height"] <= decode.PDF_MAX_PIXELS


def test_an_a4_pdf_page_is_rendered_at_full_resolution_without_a_warning(school_store, work_id, tmp_path: Path) -> None:
    pdf_with_page_size(tmp_path / "a4.pdf", 595, 842)
    report = import_scans(school_store, [tmp_path / "a4.pdf"], work_id=work_id, workers=1)
    assert report.imported == 1 and not report.warnings
    row = school_store.one("SELECT width, height FROM scan_pages")
    assert (row["width"], row["height"]) == (round(595 * 200 / 72), round(842 * 200 / 72))


def test_a_file_that_kills_its_worker_is_rejected_and_the_batch_goes_on(school_store, work_id, tmp_path: Path,
                                                                         monkeypatch) -> None:
    import coordinator_app.scans.pipeline as pipeline
    from tests.fixtures.hostile import CRASH_MARK, run_task_that_crashes

    monkeypatch.setattr(pipeline, "run_task", run_task_that_crashes)
    folder = tmp_path / "batch"
    _good_files(folder, 8)
    crash = folder / "good03crash.png"
    Image.new("L", (100, 100), 77).save(crash)
    crash.write_bytes(crash.read_bytes() + CRASH_MARK)      # after IEND: still a readable PNG
    report = import_scans(school_store, [folder], work_id=work_id, workers=2)
    assert report.imported == 8 and report.files == 8
    assert _reasons(report) == {"good03crash.png": "обработка файла оборвалась аварийно (программа чтения страниц "
                                                    "завершилась): файл повреждён или слишком велик"}
