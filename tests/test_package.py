"""The re-check package on a USB stick: sample rules and seed, folder structure, manifest and
SHA256SUMS, the protocol and the cover letter, no pupil name anywhere, damage detection,
failures and cancel that leave nothing behind, removable drives."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest
from PIL import Image

from coordinator_app import audit
from coordinator_app.attachments import attach
from coordinator_app.codes import assign_codes, distribute_variants, set_absent
from coordinator_app.errors import UserError
from coordinator_app.formats import scan_pdf
from coordinator_app.formats.recheck_package import verify_package
from coordinator_app.media import drives as drive_list
from coordinator_app.media import verified_folder
from coordinator_app.media.drives import Drive, removable_drives
from coordinator_app.package import choose_sample, export_package
from coordinator_app.scans.importer import import_scans
from coordinator_app.scans.pages import work_scans
from coordinator_app.school import School, save_school
from coordinator_app.scoring import set_score
from coordinator_app.storage import open_store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests.conftest import add_pupils
from tests.fake_medium import FakeStick
from tests.fixtures.scan_pages import (
    plain_page,
    save_jpeg,
    save_pdf,
    save_tiff,
    title_page,
)
from tests.pdf_helpers import decode_qrs, page_count, page_texts, render_page

PUPILS = [
    ("Зябликова", "Эльвира", "Ростиславовна", "4А"),
    ("Пржевальский", "Ярополк", "Игоревич", "4А"),
    ("Шкуропатенко", "Евлампия", "Тихоновна", "4А"),
    ("Кудрявцева-Длинношеева", "Агриппина", "Саввична", "4А"),
    ("Ферапонтов", "Еремей", "Савватиевич", "4А"),
    ("Толстопятова", "Августа", "Феоктистовна", "4А"),
    ("Вольдемаров", "Аристарх", "Феофанович", "4Б"),
    ("Бржезинская", "Виолетта", "Онисимовна", "4Б"),
    ("Непомнящий", "Елисей", "Мефодьевич", "4Б"),
    ("Цыпленкова", "Снежана", "Авксентьевна", "4Б"),
    ("Гаврилюк", "Онуфрий", "Пафнутьевич", "4Б"),
    ("Мамаева", "Златослава", "Евстигнеевна", "4Б"),
]
NAMES = sorted({part for row in PUPILS for part in row[:3] if part})
ROTATED = {"40001": 90, "40002": 180, "40003": 270}
POOL = [f"400{n:02d}" for n in range(1, 11)]           # present, with scans
NO_SCANS, ABSENT = "40011", "40012"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, int]:
    """A data dir built once per module (each test works on its own copy): 12 pupils with unusual
    names, a work with codes and variants, scans for 10 of them (three labelled title pages turned
    90/180/270, plain pages matched by file name, a JPEG with names in its EXIF and comment, PNG,
    TIFF), scores, one absent, one without scans, two criteria files (one named after a pupil)."""
    root = tmp_path_factory.mktemp("package-template")
    store = open_store(root / "data")
    try:
        save_school(store, School(name="МБОУ СОШ № 7", login="sch123456", municipality="г. Тестовск",
                                  academic_year="2025/2026", director="Петрова Анна Ивановна"))
        add_pupils(store, PUPILS)
        work_id, _ = create_work(store, WorkDef("Русский язык", 4, dt.date(2026, 4, 21),
                                                [TaskDef("1", 2), TaskDef("2", 1), TaskDef("9.1", 2)],
                                                scale=[2, 3, 4], classes=["4А", "4Б"]))
        assign_codes(store, work_id)
        distribute_variants(store, work_id, 2)
        set_absent(store, work_id, ABSENT)
        work = get_work(store, work_id)
        src = root / "scans"
        src.mkdir()
        save_jpeg(title_page("40001", work_key=work.work_key, dpi=150, rotation=90), src / "a01.jpg")
        save_jpeg(plain_page(dpi=100, seed=1, rotation=90), src / "a02.jpg")
        save_pdf([title_page("40002", work_key=work.work_key, dpi=150, rotation=180),
                  plain_page(dpi=100, seed=2, rotation=180)], src / "b.pdf", dpi=150)
        save_tiff([title_page("40003", work_key=work.work_key, dpi=150, rotation=270, mode="1"),
                   plain_page(dpi=150, seed=3, mode="1")], src / "c.tif")
        names = src / "by_name"
        names.mkdir()
        for n in range(4, 11):
            save_jpeg(plain_page(dpi=72, seed=n), names / f"400{n:02d}.jpg")
        # The operator's camera wrote a pupil's name into the JPEG; the file name carries one too.
        exif = Image.Exif()
        exif[0x013B] = "Зябликова Эльвира"          # Artist
        exif[0x010E] = "Пржевальский Ярополк"       # ImageDescription
        plain_page(dpi=72, seed=40).save(names / "40004_2_Пржевальский.jpg", "JPEG", quality=80, exif=exif,
                                         comment="Шкуропатенко Евлампия".encode())
        plain_page(dpi=72, seed=50, mode="RGB").save(names / "40005_2.png", "PNG")
        report = import_scans(store, [src], work_id=work_id, workers=1)
        assert report.unassigned == 0 and not report.rejected, report
        for code in POOL:
            for task, value in (("1", 2), ("2", "X"), ("9.1", 1)):
                if code == "40010" and task == "9.1":
                    continue                                   # partly scored: a warning
                set_score(store, work_id, code, task, value)
        crit = root / "crit"
        crit.mkdir()
        save_pdf([plain_page(dpi=50, seed=90)], crit / "Критерии вариант 1.pdf", dpi=50)
        save_jpeg(plain_page(dpi=50, seed=91), crit / "Зябликова_критерии_в2.jpg")
        attach(store, work_id, crit / "Критерии вариант 1.pdf", variant="1")
        attach(store, work_id, crit / "Зябликова_критерии_в2.jpg", variant="2")
    finally:
        store.close()
    return root / "data", work_id


@pytest.fixture
def setup(prepared, tmp_path: Path):
    template, work_id = prepared
    shutil.copytree(template, tmp_path / "data")
    store = open_store(tmp_path / "data")
    stick = tmp_path / "stick"
    stick.mkdir()
    yield store, work_id, stick
    store.close()


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check_structure(folder: Path, codes: list[str]) -> dict:
    files = files_of(folder)
    works = sorted(k for k in files if k.startswith("works/"))
    assert works == [f"works/{c}.pdf" for c in codes]
    assert sorted(k for k in files if k.startswith("criteria/")) == [
        "criteria/criteria_variant1_1.pdf", "criteria/criteria_variant2_1.jpg"]
    assert {"protocol.xlsx", "cover_letter.pdf", "manifest.json", "SHA256SUMS"} <= set(files)
    assert len(files) == len(codes) + 6
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "vpr-coordinator-package/1"
    assert manifest["school"] == {"name": "МБОУ СОШ № 7", "login": "sch123456"}
    assert manifest["work"]["subject"] == "Русский язык" and manifest["work"]["grade"] == 4
    assert manifest["work"]["date"] == "2026-04-21"
    listed = {e["path"]: e for e in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        assert entry["size"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
    sums = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        sha, path = line.split("  ", 1)
        sums[path] = sha
    assert set(sums) == set(files) - {"SHA256SUMS"}
    for path, sha in sums.items():
        assert sha == hashlib.sha256(files[path]).hexdigest()
    assert verify_package(folder).ok
    return manifest


# ---------------------------------------------------------------- samples


def test_choose_sample_rules_and_seed() -> None:
    codes = [str(40001 + i) for i in range(250)]
    chosen, seed = choose_sample(codes, 1.0, 77, [])
    assert len(chosen) == 3 and seed == 77                    # ceil(2.5): «не менее 1 %»
    assert choose_sample(list(reversed(codes)), 1.0, 77, []) == (chosen, 77)   # order of input is irrelevant
    assert choose_sample(codes[:100], 1.0, 5, [])[0].__len__() == 1
    assert len(choose_sample(codes[:10], 1.0, 5, [])[0]) == 1             # at least one work
    assert len(choose_sample(codes[:30], 5, 5, [])[0]) == 2
    assert len(choose_sample(codes[:7], 100, 5, [])[0]) == 7
    drawn, seed = choose_sample(codes, 1.0, None, [])
    assert isinstance(seed, int) and seed > 0 and choose_sample(codes, 1.0, seed, []) == (drawn, seed)
    assert choose_sample(codes, None, 3, ["40100", "40002"]) == (["40002", "40100"], 3)
    with_extra, _ = choose_sample(codes, 1.0, 77, ["40250"])
    assert set(with_extra) == set(chosen) | {"40250"} and with_extra == sorted(with_extra)
    assert choose_sample([], 1.0, 1, []) == ([], 1)


def test_one_percent_sample_is_one_work_and_the_seed_reproduces_it(setup) -> None:
    store, work_id, stick = setup
    done = []
    result = export_package(store, work_id, stick, progress=lambda d, t, label: done.append((d, t, label)))
    assert result.folder.parent == stick and result.folder.name == "ВПР_Русский_язык_4кл_2026-04-21_sch123456"
    assert len(result.codes) == 1 and result.codes[0] in POOL
    manifest = check_structure(result.folder, result.codes)
    assert manifest["sample"] == {"pct": 1.0, "seed": result.seed, "codes": result.codes, "extra_codes": [],
                                  "everyone": False, "pool": len(POOL)}
    assert choose_sample(POOL, 1.0, result.seed, [])[0] == result.codes
    assert result.files == len(result.codes) + 6
    assert result.bytes == sum(p.stat().st_size for p in result.folder.rglob("*") if p.is_file())
    assert result.manifest_sha256 == hashlib.sha256((result.folder / "manifest.json").read_bytes()).hexdigest()
    assert done[-1][0] == done[-1][1] and [d for d, _, _ in done] == list(range(1, len(done) + 1))
    assert any(lbl.startswith("Проверка") for _, _, lbl in done)
    assert [p.name for p in stick.iterdir()] == [result.folder.name]    # no partial folder left
    row = store.one("SELECT * FROM exports WHERE kind = 'package'")
    assert row["work_id"] == work_id and row["target"] == str(result.folder) and row["files"] == result.files
    assert row["manifest_sha256"] == result.manifest_sha256
    assert json.loads(row["details"])["codes"] == result.codes and json.loads(row["details"])["seed"] == result.seed
    entry = audit.entries(store, entity="exports")[0]
    assert entry["action"] == "package.export" and entry["details"]["seed"] == result.seed


def test_explicit_codes_protocol_and_cover_letter(setup) -> None:
    store, work_id, stick = setup
    result = export_package(store, work_id, stick, sample_pct=None, codes=["40003", " 40001"])
    assert result.codes == ["40001", "40003"]
    manifest = check_structure(result.folder, result.codes)
    assert manifest["sample"]["extra_codes"] == ["40001", "40003"] and manifest["sample"]["pct"] is None

    book = openpyxl.load_workbook(result.folder / "protocol.xlsx")
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Код участника", "Класс", "Вариант", "1 (2б)", "2 (1б)", "9.1 (2б)", "Итого баллов",
                       "Отметка", "В пакете")
    assert all(cell.font.bold for cell in sheet[1])
    by_code = {str(r[0]): r for r in rows[1:]}
    assert sorted(by_code) == [f"400{n:02d}" for n in range(1, 13)]              # every participant
    assert by_code["40001"][3:] == (2, "X", 1, 3, 4, "да")
    assert by_code["40002"][-1] == "нет" and by_code["40003"][-1] == "да"
    assert by_code[ABSENT][2] == "отсутствовал" and by_code[ABSENT][3:8] == (None,) * 5
    assert by_code["40010"][5:8] == (None, 2, None)                                # partly scored: no mark
    assert sheet.column_dimensions["A"].width >= 12

    text = "\n".join(page_texts(result.folder / "cover_letter.pdf"))
    flat = " ".join(text.split())
    for expected in ("МБОУ СОШ № 7", "г. Тестовск", "sch123456", "О направлении работ ВПР для перепроверки",
                     "«Русский язык»", "21.04.2026", "40001", "40003", "Директор", "А. И. Петрова",
                     "protocol.xlsx", "criteria/", "SHA256SUMS", "Количество направляемых работ: 2"):
        assert expected in flat, expected
    assert "40002" not in flat
    assert result.warnings == []              # both scored, criteria for both variants attached


def test_everyone_upright_pages_and_a_second_package_beside_the_first(setup) -> None:
    store, work_id, stick = setup
    first = export_package(store, work_id, stick, everyone=True)
    assert first.codes == POOL                                  # not the absent one, not the one without scans
    manifest = check_structure(first.folder, POOL)
    assert manifest["sample"]["everyone"] is True
    scans = {p.code: p for p in work_scans(store, work_id)}
    for code in POOL:
        assert page_count(first.folder / "works" / f"{code}.pdf") == len(scans[code].pages)
    for code, rotation in ROTATED.items():
        page = render_page(first.folder / "works" / f"{code}.pdf", 0, dpi=100)
        assert page.height > page.width, code                   # portrait again
        hits = decode_qrs(page)
        assert hits, code
        pos = hits[0].position
        assert pos.top_left.x > page.width / 2 and pos.top_left.y < page.height / 3, (code, rotation)
    # the page size follows the image's dpi (A4 at 150 dpi, A4 at 72 dpi by the A4 rule)
    pdf = pdfium.PdfDocument(str(first.folder / "works" / "40003.pdf"))
    w, h = pdf[0].get_size()
    pdf.close()
    assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2
    assert any("40010" in w for w in first.warnings)          # partly scored
    second = export_package(store, work_id, stick, everyone=True)
    assert second.folder.name == first.folder.name + " (2)" and verify_package(second.folder).ok
    assert sorted(p.name for p in stick.iterdir()) == sorted([first.folder.name, second.folder.name])


def test_sample_plus_extra_codes(setup) -> None:
    store, work_id, stick = setup
    result = export_package(store, work_id, stick, sample_pct=1.0, seed=4242, codes=["40009"])
    drawn, _ = choose_sample(POOL, 1.0, 4242, [])
    assert result.seed == 4242 and result.codes == sorted(set(drawn) | {"40009"})
    manifest = check_structure(result.folder, result.codes)
    assert manifest["sample"]["seed"] == 4242 and manifest["sample"]["extra_codes"] == ["40009"]


def test_codes_that_cannot_be_sent_are_explained(setup) -> None:
    store, work_id, stick = setup
    with pytest.raises(UserError) as err:
        export_package(store, work_id, stick, sample_pct=None, codes=["49999", ABSENT, NO_SCANS])
    text = str(err.value)
    assert "49999" in text and "отсутствующим" in text and f"{NO_SCANS}: сканов работы нет" in text
    with pytest.raises(UserError, match="Не выбрано ни одной работы"):
        export_package(store, work_id, stick, sample_pct=None)
    with pytest.raises(UserError, match="носитель извлечён"):
        export_package(store, work_id, stick / "gone")
    assert list(stick.iterdir()) == []
    other, _ = create_work(store, WorkDef("Математика", 4, dt.date(2026, 4, 23), [TaskDef("1", 1)],
                                          classes=["4А"]))
    assign_codes(store, other)
    with pytest.raises(UserError, match="нет ни одного отсканированного листа"):
        export_package(store, other, stick)


# ---------------------------------------------------------------- no names


def _variants(name: str) -> set[str]:
    return {name, name.upper(), name.lower(), name.capitalize()}


def _raw_hits(data: bytes) -> list[str]:
    hits = []
    for name in NAMES:
        for form in _variants(name):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be", "cp1251"):
                if form.encode(encoding) in data:
                    hits.append(f"{name} ({encoding})")
    return hits


def _text_hits(text: str) -> list[str]:
    folded = text.casefold()
    return [name for name in NAMES if name.casefold() in folded]


def test_no_pupil_name_anywhere_in_the_package(setup) -> None:
    store, work_id, stick = setup
    result = export_package(store, work_id, stick, everyone=True)
    folder = result.folder
    assert not _text_hits(folder.name)
    checked_pdfs = checked_xml = 0
    for rel, data in files_of(folder).items():
        assert not _text_hits(rel), rel
        assert not _raw_hits(data), rel
        if rel.endswith(".pdf"):
            pdf = pdfium.PdfDocument(data)
            try:
                meta = pdf.get_metadata_dict()
                assert not _text_hits(" ".join(str(v) for v in meta.values())), (rel, meta)
                for page in pdf:
                    textpage = page.get_textpage()
                    assert not _text_hits(textpage.get_text_bounded()), rel
                    textpage.close()
                    page.close()
            finally:
                pdf.close()
            checked_pdfs += 1
        if rel.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    content = archive.read(member)
                    assert not _raw_hits(content), (rel, member)
                    assert not _text_hits(content.decode("utf-8", errors="replace")), (rel, member)
                    checked_xml += 1
        if rel.endswith(".json") or rel == "SHA256SUMS":
            assert not _text_hits(data.decode("utf-8")), rel
    assert checked_pdfs == len(POOL) + 2 and checked_xml >= 5
    # The JPEG page that carried names in EXIF and a comment keeps its pixels exactly.
    stored = next(p for p in work_scans(store, work_id) if p.code == "40004").pages[1]
    original = Image.open(store.path(stored.image_path))
    assert "exif" in original.info and _raw_hits(store.path(stored.image_path).read_bytes())
    pdf = pdfium.PdfDocument(str(folder / "works" / "40004.pdf"))
    try:
        embedded = [obj for obj in pdf[1].get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE][0]
        jpeg = bytes(embedded.get_data(decode_simple=False))
    finally:
        pdf.close()
    assert not _raw_hits(jpeg)
    assert Image.open(io.BytesIO(jpeg)).tobytes() == original.tobytes()


def test_strip_jpeg_keeps_the_image_data() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x013B] = "Зябликова"
    plain_page(dpi=40, seed=3).save(buffer, "JPEG", exif=exif, comment=b"secret comment", quality=70)
    data = buffer.getvalue()
    clean = scan_pdf.strip_jpeg(data)
    assert b"secret comment" not in clean and "Зябликова".encode() not in clean and b"Exif" not in clean
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(io.BytesIO(data)).tobytes()
    with pytest.raises(ValueError):
        scan_pdf.strip_jpeg(b"not a jpeg")


def test_strip_jpeg_passes_a_clean_jpeg_through_unchanged() -> None:
    # What scanners and Pillow write (JFIF header only) goes into the PDF byte for byte, uncopied.
    buffer = io.BytesIO()
    plain_page(dpi=40, seed=4).save(buffer, "JPEG", quality=70)
    data = buffer.getvalue()
    assert scan_pdf.strip_jpeg(data) is data
    # A segment to drop anywhere among the headers: only it goes.
    with_comment = data[:2] + b"\xff\xfe\x00\x08secret" + data[2:]
    assert scan_pdf.strip_jpeg(with_comment) == data


# ---------------------------------------------------------------- verification


def test_verify_names_every_damage(setup, tmp_path: Path) -> None:
    store, work_id, stick = setup
    good = export_package(store, work_id, stick, sample_pct=None, codes=["40001", "40002", "40004"]).folder
    report = verify_package(good)
    assert report.ok and report.problems == [] and report.files_checked == 3 + 6

    def damaged(name: str, harm) -> list[str]:
        copy = tmp_path / "copies" / name
        shutil.copytree(good, copy)
        harm(copy)
        result = verify_package(copy)
        assert not result.ok
        return result.problems

    assert damaged("deleted", lambda f: (f / "works" / "40002.pdf").unlink()) == ["отсутствует: works/40002.pdf"]
    size = (good / "protocol.xlsx").stat().st_size

    def truncate(folder: Path) -> None:
        with open(folder / "protocol.xlsx", "r+b") as stream:
            stream.truncate(size - 100)

    assert damaged("truncated", truncate) == [f"обрезан: protocol.xlsx (размер {size - 100} вместо {size})"]

    def flip(folder: Path) -> None:
        path = folder / "works" / "40004.pdf"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))

    assert damaged("flipped", flip) == ["изменён: works/40004.pdf (SHA-256 не совпадает)"]
    assert damaged("extra", lambda f: (f / "works" / "40099.pdf").write_bytes(b"%PDF")) == [
        "лишний файл: works/40099.pdf"]
    problems = damaged("manifest", lambda f: (f / "manifest.json").write_text("{\"format\": oops"))
    assert problems == ["manifest.json повреждён"]

    def manifest_and_file(folder: Path) -> None:
        (folder / "manifest.json").write_bytes(b"garbage")
        (folder / "cover_letter.pdf").unlink()

    assert damaged("both", manifest_and_file) == ["manifest.json повреждён", "отсутствует: cover_letter.pdf"]
    assert damaged("no-sums", lambda f: (f / "SHA256SUMS").unlink()) == ["отсутствует: SHA256SUMS"]

    def edit_manifest(folder: Path) -> None:           # a valid manifest that is not the one summed
        data = json.loads((folder / "manifest.json").read_text())
        data["sample"]["codes"] = ["40001"]
        (folder / "manifest.json").write_text(json.dumps(data))

    assert damaged("edited", edit_manifest) == ["изменён: manifest.json (SHA-256 не совпадает)"]
    assert not verify_package(tmp_path / "nowhere").ok
    # OS junk is not «лишний»
    (good / ".DS_Store").write_bytes(b"x")
    assert verify_package(good).ok


# ---------------------------------------------------------------- failures


def _bytes_of_a_whole_package(store, work_id, tmp_path: Path) -> int:
    """What the stick takes for the whole package (written once to another folder)."""
    counting = FakeStick()
    other = tmp_path / "other stick"
    other.mkdir()
    export_package(store, work_id, other, everyone=True, medium=counting)
    return counting.taken


def test_full_stick_halfway_leaves_nothing(setup, tmp_path: Path) -> None:
    store, work_id, stick = setup
    whole = _bytes_of_a_whole_package(store, work_id, tmp_path)
    before = store.scalar("SELECT COUNT(*) FROM exports")
    full = FakeStick(full_after=whole // 3)
    with pytest.raises(UserError) as err:
        export_package(store, work_id, stick, everyone=True, medium=full)
    assert "Запись на носитель прервана" in str(err.value) and "не хватает места" in str(err.value)
    assert "Пакет не создан" in str(err.value)
    assert list(stick.iterdir()) == []                       # neither the final nor the partial folder
    assert store.scalar("SELECT COUNT(*) FROM exports") == before     # nothing recorded as made


def test_writing_stops_at_the_first_failure(setup) -> None:
    store, work_id, stick = setup
    full = FakeStick(full_after=1)                            # the first byte of the first file fails
    with pytest.raises(UserError, match="не хватает места"):
        export_package(store, work_id, stick, everyone=True, medium=full)
    assert 1 <= len(full.created) <= verified_folder.WRITE_THREADS
    assert list(stick.iterdir()) == []


def test_pulled_out_stick_and_read_only_target(setup, tmp_path: Path) -> None:
    store, work_id, stick = setup
    whole = _bytes_of_a_whole_package(store, work_id, tmp_path)
    before = store.scalar("SELECT COUNT(*) FROM exports")
    pulled = FakeStick(pulled_after=whole // 2)
    with pytest.raises(UserError, match="Запись на носитель прервана: носитель недоступен .*вставьте носитель"):
        export_package(store, work_id, stick, everyone=True, medium=pulled)
    assert pulled.pulled and list(stick.iterdir()) == []
    with pytest.raises(UserError, match="защищён от записи"):
        export_package(store, work_id, stick, everyone=True, medium=FakeStick(read_only=True))
    assert list(stick.iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports") == before


def test_error_during_read_back_removes_the_package(setup) -> None:
    store, work_id, stick = setup
    pulled = FakeStick(pulled_on_read=3)
    with pytest.raises(UserError, match="Запись на носитель прервана.*Пакет не создан"):
        export_package(store, work_id, stick, everyone=True, medium=pulled)
    assert pulled.read_backs >= 3 and list(stick.iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports") == 0


@pytest.mark.parametrize("damage, detail", [
    ("flip", "изменён: protocol.xlsx (прочитано не то, что записано)"),
    ("cut", "обрезан: protocol.xlsx (прочитано 100 байт из "),
])
@pytest.mark.parametrize("compare", ["bytes", "crc"])
def test_read_back_mismatch_removes_the_package(setup, monkeypatch, damage: str, detail: str,
                                                compare: str) -> None:
    # A stick that keeps other bytes than it was given (a failing flash cell, a fake capacity);
    # small files are compared byte for byte, large ones by CRC-32.
    store, work_id, stick = setup
    if compare == "crc":
        monkeypatch.setattr(verified_folder, "KEEP_FOR_COMPARE", 1000)
    faulty = FakeStick(flip="protocol.xlsx") if damage == "flip" else FakeStick(cut=("protocol.xlsx", 100))
    with pytest.raises(UserError) as err:
        export_package(store, work_id, stick, everyone=True, medium=faulty)
    assert "не совпадает с исходным" in err.value.message
    assert len(err.value.details) == 1 and err.value.details[0].startswith(detail)
    assert list(stick.iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports") == 0


def test_a_file_changed_after_the_rename_is_caught_by_the_final_check(setup) -> None:
    store, work_id, stick = setup

    def tamper(folder: Path) -> None:
        (folder / "works" / "stray.pdf").write_bytes(b"%PDF-1.4")
        (folder / "cover_letter.pdf").write_bytes(b"%PDF-1.4 short")

    with pytest.raises(UserError) as err:
        export_package(store, work_id, stick, everyone=True, medium=FakeStick(after_rename=tamper))
    assert err.value.details[0].startswith("изменён: cover_letter.pdf (размер 14 вместо ")
    assert err.value.details[1:] == ["лишний файл: works/stray.pdf"]
    assert list(stick.iterdir()) == []


def test_cancel_removes_the_partial_folder(setup) -> None:
    store, work_id, stick = setup
    seen = []

    def cancelled() -> bool:
        seen.append(1)
        return len(seen) > 3

    with pytest.raises(UserError, match="отменено"):
        export_package(store, work_id, stick, everyone=True, cancelled=cancelled)
    assert list(stick.iterdir()) == []


def test_not_enough_free_space_is_said_before_writing(setup) -> None:
    store, work_id, stick = setup
    with pytest.raises(UserError, match="свободно 0,0 МБ, а пакету нужно около"):
        export_package(store, work_id, stick, everyone=True, medium=FakeStick(free=1000))
    assert list(stick.iterdir()) == []


# ---------------------------------------------------------------- drives


def test_removable_drives_never_raise(monkeypatch) -> None:
    drives = removable_drives()
    assert isinstance(drives, list) and all(isinstance(d, Drive) for d in drives)
    for drive in drives:
        assert drive.path.exists() and drive.total_bytes >= drive.free_bytes >= 0
    monkeypatch.setattr(sys, "platform", "win32")      # no ctypes.windll here: still a list
    assert removable_drives() == [] or os.name == "nt"


@pytest.mark.skipif(sys.platform == "win32", reason="Linux only: reads /proc/mounts and /sys/class/block")
def test_linux_drives_from_mounts(monkeypatch, tmp_path: Path) -> None:
    mount = tmp_path / "media" / "user" / "MY STICK"
    mount.mkdir(parents=True)
    mounts = (f"/dev/sdz1 {str(mount).replace(' ', chr(92) + '040')} vfat rw 0 0\n"
              "/dev/sda2 / ext4 rw 0 0\n")
    monkeypatch.setattr(drive_list, "MEDIA_ROOTS", (str(tmp_path / "media") + "/",))
    monkeypatch.setattr(drive_list, "block_removable", lambda device: device == "/dev/sdz1")
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: mounts if str(self) == "/proc/mounts"
                        else real_read(self, *a, **k))
    drives = drive_list.linux_drives()
    assert [(d.path, d.label) for d in drives] == [(mount, "MY STICK")]


# ---------------------------------------------------------------- the scan PDF writer


def _marked(mode: str, size=(120, 170)) -> Image.Image:
    """A light page with a dark square in its top-left corner."""
    light = {"1": 1, "L": 230, "RGB": (230, 230, 230), "RGBA": (230, 230, 230, 255), "CMYK": (0, 0, 0, 20),
             "I;16": 60000, "P": 1}[mode]
    dark = {"1": 0, "L": 0, "RGB": (0, 0, 0), "RGBA": (0, 0, 0, 255), "CMYK": (0, 0, 0, 255),
            "I;16": 0, "P": 0}[mode]
    image = Image.new(mode, size, light)
    if mode == "P":
        image.putpalette([0, 0, 0, 230, 230, 230] + [0] * 762)
    image.paste(dark, (0, 0, 30, 30))
    return image


@pytest.mark.parametrize("kind", ["jpeg-L", "jpeg-RGB", "jpeg-CMYK", "png-1", "png-L", "png-RGB", "png-P",
                                  "png-RGBA", "png-I16", "png-interlaced", "bmp-RGB"])
def test_every_page_format_is_drawn_upright_for_every_rotation(tmp_path: Path, kind: str) -> None:
    fmt, _, mode = kind.partition("-")
    image = _marked({"I16": "I;16", "interlaced": "L"}.get(mode, mode))
    path = tmp_path / f"page.{fmt}"
    if fmt == "jpeg":
        image.save(path, "JPEG", quality=95)
    elif mode == "interlaced":
        image.save(path, "PNG", interlace=1)
    else:
        image.save(path, fmt.upper())
    turn = {0: None, 90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_270}
    pages = []
    for rotation, transpose in turn.items():
        # Stored turned counter-clockwise by `rotation`; shown turned clockwise by it → upright.
        stored = tmp_path / f"r{rotation}{path.suffix}"
        (image if transpose is None else image.transpose(transpose)).save(
            stored, **({"quality": 95} if fmt == "jpeg" else {}))
        pages.append((stored, rotation))
    pdf_path = tmp_path / "out.pdf"
    pdf_path.write_bytes(b"".join(scan_pdf.scan_pdf_chunks(pages, "Работа участника 40001", "ВПР")))
    assert page_count(pdf_path) == 4
    for index in range(4):
        page = render_page(pdf_path, index, dpi=30).convert("L")
        assert page.height > page.width, (kind, index)
        w, h = page.size
        corners = {"tl": page.getpixel((3, 3)), "tr": page.getpixel((w - 4, 3)),
                   "bl": page.getpixel((3, h - 4)), "br": page.getpixel((w - 4, h - 4))}
        assert corners["tl"] < 80 and min(corners["tr"], corners["bl"], corners["br"]) > 150, (kind, index, corners)


def test_a_partial_folder_left_by_a_killed_run_is_removed(setup) -> None:
    store, work_id, stick = setup
    stale = stick / ".ВПР_Русский_язык_4кл_2026-04-21_sch123456.partial-0a1b2c3d"
    (stale / "works").mkdir(parents=True)
    (stale / "works" / "40001.pdf").write_bytes(b"%PDF-1.4 half")
    other = stick / "my files"
    other.mkdir()
    result = export_package(store, work_id, stick, sample_pct=None, codes=["40002"])
    assert sorted(p.name for p in stick.iterdir()) == sorted([result.folder.name, "my files"])


def test_criteria_names_are_neutral_and_unique(setup, tmp_path: Path) -> None:
    store, work_id, stick = setup
    for index, variant in enumerate(("1/2", "1_2", "a", "A", None)):
        path = tmp_path / f"Гаврилюк {index}.PDF"
        save_pdf([plain_page(dpi=30, seed=200 + index)], path, dpi=30)
        attach(store, work_id, path, variant=variant)
    result = export_package(store, work_id, stick, sample_pct=None, codes=["40001"])
    names = sorted(p.name for p in (result.folder / "criteria").iterdir())
    assert len({n.casefold() for n in names}) == len(names) == 7
    assert "criteria_1.pdf" in names and "criteria_variant1_2_2.pdf" in names
    assert verify_package(result.folder).ok


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="POSIX only")
def test_read_back_reads_the_medium_not_the_cache(setup, monkeypatch) -> None:
    # Each file's cached pages are dropped after its fsync and before it is read back, so a stick
    # that silently loses writes cannot pass the check from the operating system's memory.
    store, work_id, stick = setup
    events: list[tuple[str, int]] = []
    real_fsync, real_advise = os.fsync, os.posix_fadvise
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", fd)), real_fsync(fd))[1])
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: (
        events.append(("drop", fd)) if advice == os.POSIX_FADV_DONTNEED else None,
        real_advise(fd, offset, length, advice))[1])
    result = export_package(store, work_id, stick, everyone=True)
    drops = [e for e in events if e[0] == "drop"]
    assert len(drops) == result.files            # every file, the manifest and SHA256SUMS too
    for index, event in enumerate(events):
        if event[0] == "drop":
            assert ("fsync", event[1]) in events[:index]


def test_verify_package_on_a_stick_root_checks_every_package_and_names_each(setup, capsys) -> None:
    from coordinator_app.cli import main

    store, work_id, stick = setup
    first = export_package(store, work_id, stick, everyone=True)
    second = export_package(store, work_id, stick, sample_pct=None, codes=["40001"])
    assert main(["verify-package", str(stick)]) == 0
    out = capsys.readouterr().out
    assert f"Пакет «{first.folder.name}» в порядке" in out and f"Пакет «{second.folder.name}» в порядке" in out
    assert "Пакетов проверено: 2, повреждено: 0." in out
    victim = next((second.folder / "works").iterdir())
    victim.write_bytes(victim.read_bytes()[:-10])
    assert main(["verify-package", str(stick)]) == 1
    out = capsys.readouterr().out
    assert f"Пакет «{second.folder.name}» повреждён" in out and "Пакетов проверено: 2, повреждено: 1." in out
    assert main(["verify-package", str(first.folder)]) == 0      # one package folder, as before


class _FakeKernel32:
    """kernel32 as `windows_drives` calls it: C: fixed, E: a stick, F: an empty card reader."""

    def __init__(self) -> None:
        self.error_modes: list[int] = []

    def SetErrorMode(self, mode: int) -> int:  # noqa: N802 - the Windows API's names
        self.error_modes.append(mode)
        return 0x8000 if len(self.error_modes) == 1 else 0

    def GetLogicalDrives(self) -> int:  # noqa: N802
        return (1 << 2) | (1 << 4) | (1 << 5)

    def GetDriveTypeW(self, root) -> int:  # noqa: N802
        return {"C:\\": 3, "E:\\": 2, "F:\\": 2}[root.value]

    def GetDiskFreeSpaceExW(self, root, free, total, _) -> int:  # noqa: N802
        if root.value == "F:\\":
            return 0                                         # no medium in the slot
        free._obj.value, total._obj.value = 3 << 30, 8 << 30
        return 1

    def GetVolumeInformationW(self, root, name, size, *rest) -> int:  # noqa: N802
        name.value = "ФЛЕШКА"
        return 1


def test_windows_drives_are_the_removable_ones_with_a_medium() -> None:
    """The Windows drive discovery with kernel32 faked: fixed disks and empty slots are left out,
    no «insert a disk» dialog (the error mode) and it is put back afterwards."""
    from pathlib import PureWindowsPath

    fake = _FakeKernel32()
    drives = drive_list.windows_drives(fake)
    assert [(PureWindowsPath(str(d.path)).drive, d.label, d.free_bytes, d.total_bytes) for d in drives] == [
        ("E:", "ФЛЕШКА (E:)", 3 << 30, 8 << 30)]
    assert fake.error_modes == [0x0001, 0x8000]


def test_a_windows_bundle_whose_qt_needs_the_systems_icu_is_refused(tmp_path: Path) -> None:
    """The build check guards the supported minimum Windows (10 1809 / LTSC 2019: no system ICU)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_dist", Path(__file__).resolve().parents[1] / "packaging" / "check_dist.py")
    check_dist = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_dist)
    bundle = tmp_path / "dist" / "_internal" / "PySide6"
    bundle.mkdir(parents=True)
    (bundle / "Qt6Core.dll").write_bytes(b"MZ\0\0 KERNEL32.dll\0 MSVCP140.dll\0")
    assert check_dist.windows_minimum_problems(tmp_path / "dist") == []
    (bundle / "Qt6Core.dll").write_bytes(b"MZ\0\0 KERNEL32.dll\0 ICUUC.DLL\0")
    problems = check_dist.windows_minimum_problems(tmp_path / "dist")
    assert len(problems) == 1 and "LTSC 2019" in problems[0]
