"""Scanned works: import from files and folders, matching (QR, file name, following pages), queues,
duplicates, conflicts, broken input, immutability, retention and purge, audio, crash safety."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from coordinator_app import settings
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.scans import filestore
from coordinator_app.scans.audio import attach_audio, list_audio
from coordinator_app.scans.importer import import_scans
from coordinator_app.scans.pages import (
    assign_page,
    get_page,
    mark_page,
    participant_pages,
    queue,
    reorder_pages,
    resolve_conflict,
    rotate_page,
    work_scans,
)
from coordinator_app.scans.retention import expired_works, purge_work
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work, delete_work, get_work
from tests._process import kill_hard, own_group
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg, save_pdf, save_tiff, title_page

ROOT = Path(__file__).resolve().parent.parent


def _make_work(store: Store, date: dt.date, subject: str = "Русский язык") -> int:
    work_id, _ = create_work(store, WorkDef(subject, 4, date, [TaskDef("1", 2), TaskDef("2", 1)], classes=["4А", "4Б"]))
    assign_codes(store, work_id)
    return work_id


@pytest.fixture
def work(school_store: Store):
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А"),
                              ("Васильев", "Глеб", "", "4А"), ("Григорьева", "Софья", "", "4Б"),
                              ("Данилов", "Егор", "", "4Б")])
    work_id = _make_work(school_store, dt.date.today())
    return get_work(school_store, work_id)


def title(work, code: str, **kw):
    return title_page(code, login="sch123456", work_key=work.work_key, **kw)


def pages_of(store: Store, work, code: str):
    return next(p for p in work_scans(store, work.id) if p.code == code).pages


def test_labelled_pages_and_the_pages_after_them_go_to_their_participants(school_store, work, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    save_jpeg(title(work, "40001"), folder / "scan1.jpg")
    save_jpeg(plain_page(seed=1), folder / "scan2.jpg")
    save_jpeg(title(work, "40002", rotation=180), folder / "scan10.jpg")   # natural order: after scan2
    save_jpeg(plain_page(seed=2, rotation=180), folder / "scan11.jpg")
    report = import_scans(school_store, [folder], work_id=work.id, workers=1)
    assert (report.imported, report.identified_qr, report.identified_following, report.unassigned) == (4, 2, 2, 0)
    first, second = pages_of(school_store, work, "40001"), pages_of(school_store, work, "40002")
    assert [p.original_name for p in first] == ["scan1.jpg", "scan2.jpg"] and first[0].is_title
    assert [p.original_name for p in second] == ["scan10.jpg", "scan11.jpg"]
    # One sheet turned in an upright batch: its title is corrected, the page after it is shown as
    # scanned (the batch does not say it was turned too; issue 10)
    assert [p.rotation for p in second] == [180, 0]


def test_pages_after_titles_take_their_rotation_when_the_whole_batch_was_fed_turned(
        school_store, work, tmp_path: Path) -> None:
    folder = tmp_path / "turned"
    folder.mkdir()
    for n, code in enumerate(("40001", "40002", "40003")):
        save_jpeg(title(work, code, rotation=180), folder / f"scan{n}a.jpg")
        save_jpeg(plain_page(seed=n, rotation=180), folder / f"scan{n}b.jpg")
    import_scans(school_store, [folder], work_id=work.id, workers=1)
    for code in ("40001", "40002", "40003"):
        assert [p.rotation for p in pages_of(school_store, work, code)] == [180, 180]


def _batch_with_a_missing_label(work, folder: Path, pages: int = 3) -> None:
    """Four works of `pages` pages; the third's title page has no label (torn off)."""
    folder.mkdir()
    for n, code in enumerate(("40001", "40002", "40003", "40004")):
        first = plain_page(seed=100 + n) if code == "40003" else title(work, code)
        save_jpeg(first, folder / f"s{n}-1.jpg")
        for k in range(2, pages + 1):
            save_jpeg(plain_page(seed=10 * n + k), folder / f"s{n}-{k}.jpg")


def test_a_title_page_without_a_label_never_adds_its_pages_to_the_previous_participant(
        school_store, work, tmp_path: Path) -> None:
    _batch_with_a_missing_label(work, tmp_path / "batch")
    report = import_scans(school_store, [tmp_path / "batch"], work_id=work.id, workers=1)
    assert [p.original_name for p in pages_of(school_store, work, "40002")] == ["s1-1.jpg", "s1-2.jpg", "s1-3.jpg"]
    waiting = school_store.query("SELECT note FROM scan_pages WHERE status = 'unassigned' ORDER BY seq")
    assert len(waiting) == 3 and report.unassigned == 3
    assert all("лишняя страница после работы 40002" in r["note"] and "титульный лист без наклейки" in r["note"]
               for r in waiting)
    assert [p.original_name for p in pages_of(school_store, work, "40004")][0] == "s3-1.jpg"
    assert "Страниц в работе" in report.summary() and "3 (по первым работам пакета)" in report.summary()


def test_participants_whose_page_count_differs_are_listed_and_the_package_warns(
        school_store, work, tmp_path: Path, capsys) -> None:
    from coordinator_app.cli import main
    from coordinator_app.package import export_package
    from coordinator_app.scans.pages import assign_page, page_count_mismatches

    _batch_with_a_missing_label(work, tmp_path / "batch")
    import_scans(school_store, [tmp_path / "batch"], work_id=work.id, workers=1)
    assert page_count_mismatches(school_store, work.id) == (3, [])
    extra = school_store.scalar("SELECT id FROM scan_pages WHERE status = 'unassigned' ORDER BY seq LIMIT 1")
    assign_page(school_store, extra, "40002", work.id)           # one page too many, given by hand
    expected, odd = page_count_mismatches(school_store, work.id)
    assert expected == 3 and [(p.code, len(p.pages)) for p in odd] == [("40002", 4)]
    assert main(["--data-dir", str(school_store.data_dir), "scans", "--work", str(work.id)]) == 0
    out = capsys.readouterr().out
    assert "Число страниц не как в работе (3): 40002 — 4." in out
    assert "страницы " in out and f"{extra})" in out                 # page ids, for assign-page
    stick = tmp_path / "stick"
    stick.mkdir()
    result = export_package(school_store, work.id, stick, sample_pct=None, codes=["40002"])
    assert any("Число страниц не как в работе (3) у участников: 40002 — 4" in w for w in result.warnings)


def test_the_work_s_page_count_when_set_limits_from_the_first_work(school_store, work, tmp_path: Path) -> None:
    from coordinator_app.works import update_work

    update_work(school_store, work.id, pages_per_work=2)
    folder = tmp_path / "two"
    folder.mkdir()
    save_jpeg(title(work, "40001"), folder / "a1.jpg")
    for k in range(2, 5):                        # three more pages: one belongs, two wait
        save_jpeg(plain_page(seed=k), folder / f"a{k}.jpg")
    report = import_scans(school_store, [folder], work_id=work.id, workers=1)
    assert len(pages_of(school_store, work, "40001")) == 2 and report.unassigned == 2
    assert "Страниц в работе («" in report.summary() and "): 2." in report.summary()


def test_one_multipage_pdf_with_both_workers(school_store, work, tmp_path: Path) -> None:
    pages = []
    for code in ("40001", "40002", "40003", "40004", "40005"):
        pages += [title(work, code), plain_page(seed=int(code)), plain_page(seed=int(code) + 1)]
    pdf = save_pdf(pages, tmp_path / "batch.pdf")
    report = import_scans(school_store, [pdf], work_id=work.id, workers=2)
    assert (report.imported, report.identified_qr, report.identified_following) == (15, 5, 10)
    for code in ("40001", "40005"):
        found = pages_of(school_store, work, code)
        assert [p.page_no for p in found] == sorted(p.page_no for p in found) and len(found) == 3
    original = school_store.one("SELECT stored_path, sha256 FROM scan_files")
    assert hashlib.sha256(school_store.path(original["stored_path"]).read_bytes()).hexdigest() == original["sha256"]
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == original["sha256"]


def test_multipage_black_and_white_tiff(school_store, work, tmp_path: Path) -> None:
    tiff = save_tiff([title(work, "40003", dpi=150, mode="1"), plain_page(dpi=150, mode="1")], tmp_path / "s.tif")
    report = import_scans(school_store, [tiff], work_id=work.id, workers=1)
    assert (report.identified_qr, report.identified_following) == (1, 1)


def test_codes_in_file_names(school_store, work, tmp_path: Path) -> None:
    save_jpeg(plain_page(seed=3), tmp_path / "40003.jpg")
    save_jpeg(plain_page(seed=4), tmp_path / "40004_2.jpg")
    save_tiff([plain_page(seed=5)], tmp_path / "4Б_40005.tif")
    report = import_scans(school_store, sorted(tmp_path.glob("*")), work_id=work.id, workers=1)
    assert report.identified_filename == 3
    assert [len(pages_of(school_store, work, c)) for c in ("40003", "40004", "40005")] == [1, 1, 1]


def test_unlabelled_pages_wait_in_the_queue_and_are_assigned_by_hand(school_store, work, tmp_path: Path) -> None:
    save_jpeg(plain_page(seed=7), tmp_path / "a.jpg")
    save_jpeg(plain_page(seed=8), tmp_path / "b.jpg")
    report = import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    assert report.unassigned == 2
    waiting = queue(school_store, "unassigned", work.id)
    assert len(waiting) == 2 and "нет наклейки" in waiting[0].note
    assign_page(school_store, waiting[0].id, "40004")
    mark_page(school_store, waiting[1].id, "blank")
    assert [p.id for p in pages_of(school_store, work, "40004")] == [waiting[0].id]
    assert queue(school_store, "unassigned", work.id) == []
    with pytest.raises(UserError, match="нет участника с кодом 49999"):
        assign_page(school_store, waiting[1].id, "49999")


def test_following_rule_can_be_switched_off(school_store, work, tmp_path: Path) -> None:
    settings.set_value(school_store, "follow_unlabelled", False)
    save_pdf([title(work, "40001"), plain_page()], tmp_path / "s.pdf")
    report = import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    assert (report.identified_qr, report.identified_following, report.unassigned) == (1, 0, 1)


def test_the_same_file_twice_is_skipped(school_store, work, tmp_path: Path) -> None:
    save_jpeg(title(work, "40001"), tmp_path / "a.jpg")
    first = import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "same.jpg").write_bytes((tmp_path / "a.jpg").read_bytes())
    second = import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    assert first.imported == 1 and (second.imported, second.duplicates) == (0, 2)
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages") == 1


def test_a_second_title_page_is_a_conflict_and_nothing_is_overwritten(school_store, work, tmp_path: Path) -> None:
    save_jpeg(title(work, "40001"), tmp_path / "a.jpg")
    import_scans(school_store, [tmp_path / "a.jpg"], work_id=work.id, workers=1)
    save_jpeg(title(work, "40001", seed=9, skew=2), tmp_path / "b.jpg")
    save_jpeg(plain_page(seed=3), tmp_path / "c.jpg")
    report = import_scans(school_store, [tmp_path / "b.jpg", tmp_path / "c.jpg"], work_id=work.id, workers=1)
    assert report.conflicts == 2
    kept = pages_of(school_store, work, "40001")
    assert [p.original_name for p in kept] == ["a.jpg"]
    conflict = next(p for p in queue(school_store, "conflict", work.id) if p.original_name == "b.jpg")
    assert "второй титульный лист участника 40001" in conflict.note
    resolve_conflict(school_store, conflict.id, "new")
    assert [p.original_name for p in pages_of(school_store, work, "40001")][0] == "b.jpg"


def test_labels_of_another_school_or_work_and_damaged_ones_are_flagged_not_guessed(school_store, work, tmp_path: Path) -> None:
    other_id = _make_work(school_store, dt.date.today(), "Математика")
    other = get_work(school_store, other_id)
    save_jpeg(title(work, "40001", ), tmp_path / "1.jpg")
    save_jpeg(title_page("40002", login="sch999999", work_key=work.work_key), tmp_path / "2.jpg")
    save_jpeg(plain_page(seed=1), tmp_path / "3.jpg")           # follows a flagged page: not guessed
    save_jpeg(title_page("40003", login="sch123456", work_key=other.work_key), tmp_path / "4.jpg")
    forged = f"VPR1:SCH123456:{work.work_key}:40004:0000"
    save_jpeg(title_page("40004", payload=forged), tmp_path / "5.jpg")
    report = import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    assert (report.identified_qr, report.identified_following, report.unassigned) == (1, 0, 4)
    notes = [p.note for p in queue(school_store, "unassigned", work.id)]
    assert any("другой школы (sch999999)" in n for n in notes)
    assert any("другой работы" in n and "Математика" in n for n in notes)
    assert any("контрольная сумма" in n for n in notes)
    assert all(len(pages_of(school_store, work, c)) == 0 for c in ("40002", "40003", "40004"))


def test_broken_and_unsupported_files_are_rejected_each_with_a_reason(school_store, work, tmp_path: Path) -> None:
    save_jpeg(title(work, "40001"), tmp_path / "good.jpg")
    data = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[:400])
    (tmp_path / "notes.txt").write_text("не скан")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "voice.mp3").write_bytes(b"ID3" + b"\0" * 100)
    report = import_scans(school_store, [tmp_path, tmp_path / "missing.jpg"], work_id=work.id, workers=1)
    reasons = {Path(r["file"]).name: r["reason"] for r in report.rejected}
    assert report.identified_qr == 1
    assert set(reasons) == {"cut.jpg", "notes.txt", "empty.png", "fake.pdf", "voice.mp3", "missing.jpg"}
    assert "повреждён" in reasons["cut.jpg"] and "не поддерживается" in reasons["notes.txt"]
    assert "пустой" in reasons["empty.png"] and "PDF" in reasons["fake.pdf"] and "аудио" in reasons["voice.mp3"]
    stored = {p.relative_to(school_store.data_dir).as_posix() for p in (school_store.data_dir / "scans").rglob("*") if p.is_file()}
    assert stored == filestore.referenced_paths(school_store.db) - {None}


def test_stored_pages_never_change(school_store, work, tmp_path: Path) -> None:
    save_jpeg(title(work, "40001"), tmp_path / "a.jpg")
    import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    page = pages_of(school_store, work, "40001")[0]
    rotate_page(school_store, page.id, 90)
    assert get_page(school_store, page.id).rotation == 90
    assert hashlib.sha256(school_store.path(page.image_path).read_bytes()).hexdigest() == page.sha256
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        school_store.db.execute("UPDATE scan_pages SET sha256 = 'x' WHERE id = ?", [page.id])
    with pytest.raises(sqlite3.DatabaseError, match="retention"):
        school_store.db.execute("DELETE FROM scan_pages WHERE id = ?", [page.id])


def test_reordering_pages_puts_the_first_one_as_title(school_store, work, tmp_path: Path) -> None:
    save_pdf([title(work, "40001"), plain_page(seed=1), plain_page(seed=2)], tmp_path / "s.pdf")
    import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    ids = [p.id for p in pages_of(school_store, work, "40001")]
    participant = pages_of(school_store, work, "40001")[0].participant_id
    reorder_pages(school_store, participant, [ids[2], ids[0], ids[1]])
    assert [p.id for p in participant_pages(school_store, participant)] == [ids[2], ids[0], ids[1]]


def test_retention_refuses_early_deletion_and_says_from_when(school_store, work, tmp_path: Path) -> None:
    save_jpeg(title(work, "40001"), tmp_path / "a.jpg")
    import_scans(school_store, [tmp_path], work_id=work.id, workers=1)
    since = (dt.date.today() + dt.timedelta(days=90)).strftime("%d.%m.%Y")
    with pytest.raises(UserError, match=since):
        purge_work(school_store, work.id)
    with pytest.raises(UserError, match="сканы"):
        delete_work(school_store, work.id)
    assert expired_works(school_store) == []


def test_purge_after_retention_deletes_files_and_rows_and_prints_an_act(school_store, tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4Б")])
    old_id = _make_work(school_store, dt.date.today() - dt.timedelta(days=120))
    old = get_work(school_store, old_id)
    save_pdf([title(old, "40001"), plain_page()], tmp_path / "old.pdf")
    import_scans(school_store, [tmp_path / "old.pdf"], work_id=old_id, workers=1)
    wav = tmp_path / "oral.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * 800)
    attach_audio(school_store, old_id, "40001", wav)
    expired = expired_works(school_store)
    assert [e.work.id for e in expired] == [old_id] and expired[0].file_count == 2
    result = purge_work(school_store, old_id, tmp_path / "act.pdf")
    assert (result.pages, result.files) == (2, 2)
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages") == 0
    assert list_audio(school_store, old_id) == []
    assert not [p for p in (school_store.data_dir / "scans").rglob("*") if p.is_file()]
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(str(tmp_path / "act.pdf")))
    assert "Акт".upper() in text.upper() and hashlib.sha256((tmp_path / "old.pdf").read_bytes()).hexdigest()[:32] in text
    purge = school_store.one("SELECT * FROM purges")
    assert purge["files"] == 2 and json.loads(purge["details"])["pages"] == 2


def test_audio_attachment_checks_the_file(school_store, work, tmp_path: Path) -> None:
    bad = tmp_path / "oral.mp3"
    bad.write_text("не звук")
    with pytest.raises(UserError, match="не аудиофайл"):
        attach_audio(school_store, work.id, "40001", bad)
    wav = tmp_path / "oral.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * 800)
    attach_audio(school_store, work.id, "40001", wav)
    with pytest.raises(UserError, match="уже прикреплён"):
        attach_audio(school_store, work.id, "40001", wav)
    with pytest.raises(sqlite3.DatabaseError, match="retention"):
        school_store.db.execute("DELETE FROM audio_files")


def test_cancel_keeps_finished_files_and_leaves_no_orphans(school_store, work, tmp_path: Path) -> None:
    for i in range(6):
        save_jpeg(plain_page(seed=i), tmp_path / f"4000{i % 5 + 1}_{i}.jpg")
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return school_store.scalar("SELECT COUNT(*) FROM scan_pages") >= 2

    report = import_scans(school_store, [tmp_path], work_id=work.id, workers=1, cancelled=cancelled)
    assert report.cancelled and report.imported == 2
    on_disk = {p.relative_to(school_store.data_dir).as_posix() for p in (school_store.data_dir / "scans").rglob("*") if p.is_file()}
    assert on_disk == filestore.referenced_paths(school_store.db)


def test_a_killed_import_leaves_a_consistent_store(school_store, work, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        save_jpeg(plain_page(seed=i), folder / f"4000{i % 5 + 1}_{i:02d}.jpg")
    data_dir = school_store.data_dir
    proc = subprocess.Popen([sys.executable, "-m", "coordinator_app", "--data-dir", str(data_dir), "import-scans",
                             str(folder), "--work", str(work.id)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **own_group())
    # No clock: the import's own end bounds the wait (a busy machine only makes it longer).
    while proc.poll() is None and school_store.scalar("SELECT COUNT(*) FROM scan_pages") < 3:
        time.sleep(0.05)
    kill_hard(proc)
    rows = school_store.query("SELECT image_path, sha256, thumb_path FROM scan_pages")
    assert 3 <= len(rows) < 40
    for row in rows:   # every row has its complete file
        assert hashlib.sha256(school_store.path(row["image_path"]).read_bytes()).hexdigest() == row["sha256"]
        assert school_store.path(row["thumb_path"]).stat().st_size > 0
    report = import_scans(school_store, [folder], work_id=work.id, workers=2)   # the next import completes it
    assert report.duplicates == len(rows) and school_store.scalar("SELECT COUNT(*) FROM scan_pages") == 40
    on_disk = {p.relative_to(data_dir).as_posix() for p in (data_dir / "scans").rglob("*") if p.is_file()}
    assert on_disk == filestore.referenced_paths(school_store.db)


def test_cli_scan_commands(school_store, work, tmp_path: Path, capsys) -> None:
    from coordinator_app.cli import main

    save_pdf([title(work, "40001"), plain_page()], tmp_path / "s.pdf")
    save_jpeg(plain_page(seed=5), tmp_path / "a_first.jpg")   # before any title page: not guessed
    (tmp_path / "bad.txt").write_text("x")
    base = ["--data-dir", str(school_store.data_dir), "--json"]
    assert main([*base, "import-scans", str(tmp_path), "--work", str(work.id)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("imported", "identified_qr", "identified_following", "unassigned", "duplicates",
                                   "conflicts", "identified_filename")} == {
        "imported": 3, "identified_qr": 1, "identified_following": 1, "unassigned": 1, "duplicates": 0,
        "conflicts": 0, "identified_filename": 0}
    assert report["rejected"][0]["file"].endswith("bad.txt")
    assert main([*base, "scans", "--work", str(work.id)]) == 0
    scans = json.loads(capsys.readouterr().out)
    first = next(p for p in scans["participants"] if p["code"] == "40001")
    assert len(first["pages"]) == 2 and set(first["pages"][0]) >= {"id", "sha256", "source", "rotation"}
    page_id = scans["unassigned"][0]["id"]
    assert main([*base, "assign-page", str(page_id), "40002", "--work", str(work.id)]) == 0
    capsys.readouterr()
    assert main([*base, "purge-expired", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["works"] == []


def test_a_broken_worker_pool_does_not_lose_the_import(school_store, work, tmp_path: Path, monkeypatch) -> None:
    """If the worker processes die (killed, or a build without worker support), the remaining
    files are processed in the importing process and the import completes."""
    from concurrent.futures.process import BrokenProcessPool

    import coordinator_app.scans.pipeline as pipeline

    def broken(tasks, data_dir, workers, cancelled):
        first_file, _ = tasks[0]
        yield first_file, pipeline.run_task(tasks[0][1], str(data_dir))
        raise BrokenProcessPool("worker died")

    monkeypatch.setattr(pipeline, "pooled", broken)
    for i in range(4):
        save_jpeg(plain_page(seed=i), tmp_path / f"4000{i + 1}.jpg")
    report = import_scans(school_store, [tmp_path], work_id=work.id, workers=2)
    assert (report.imported, report.identified_filename) == (4, 4)


def test_a_later_batch_continues_after_the_pages_already_stored(school_store, work, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    save_jpeg(title(work, "40001"), first / "scan1.jpg")
    save_jpeg(plain_page(seed=1), first / "scan2.jpg")
    import_scans(school_store, [first], work_id=work.id, workers=1)
    save_jpeg(plain_page(seed=2), second / "40001_3.jpg")
    save_jpeg(title(work, "40001", seed=4), second / "scan3.jpg")       # a second title page
    save_jpeg(title(work, "40002"), second / "scan4.jpg")
    save_jpeg(plain_page(seed=3), second / "scan5.jpg")
    report = import_scans(school_store, [second], work_id=work.id, workers=1)
    assert (report.identified_filename, report.identified_qr, report.identified_following, report.conflicts) == (1, 1, 1, 1)
    pages = pages_of(school_store, work, "40001")
    assert [p.original_name for p in pages] == ["scan1.jpg", "scan2.jpg", "40001_3.jpg"]
    assert [p.original_name for p in pages_of(school_store, work, "40002")] == ["scan4.jpg", "scan5.jpg"]


def test_files_left_by_an_import_that_did_not_finish_are_swept_by_the_next(school_store, work, tmp_path: Path) -> None:
    data_dir = school_store.data_dir
    save_jpeg(title(work, "40001"), tmp_path / "a.jpg")
    import_scans(school_store, [tmp_path / "a.jpg"], work_id=work.id, workers=1)
    assert not filestore.writes_unfinished(data_dir)          # a finished import leaves no marker
    # An import killed after storing a page and before its rows: the marker stays behind.
    filestore.begin_writes(data_dir)
    orphan = data_dir / filestore.rel_path("pages", "ab" * 32, "png")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"half an import")
    save_jpeg(plain_page(seed=5), tmp_path / "b.jpg")
    import_scans(school_store, [tmp_path / "b.jpg"], work_id=work.id, workers=1)
    assert not orphan.exists() and not filestore.writes_unfinished(data_dir)
    on_disk = {p.relative_to(data_dir).as_posix() for p in (data_dir / "scans").rglob("*") if p.is_file()}
    assert on_disk == filestore.referenced_paths(school_store.db)
