"""The re-check package for the municipality (seed 004 §6.9–6.10), written to a USB stick: which
works go (a reproducible random sample, codes chosen by hand, or everyone), what the coordinator is
warned about, and the plan of files, written through `media.verified_folder` and recorded with
its audit record. The files themselves are `formats.recheck_package` (names, manifest, sums,
checking a package later), `formats.scan_pdf` (a participant's scans as one PDF),
`formats.protocol_xlsx` and the cover letter.

Crash and stick safety is the verified folder's: everything is written into a hidden partial
folder, every file read back, the folder renamed and checked once more; any failure removes what
was written, so nothing that looks complete is ever left behind. 100 pages at 200 dpi take
≈ 0.4 s (JPEG) / 0.2 s (black-and-white) plus the time the stick needs to take the bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import math
import random
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import APP_TITLE, audit
from .attachments import Attachment, list_attachments
from .errors import UserError
from .formats.protocol_xlsx import protocol_xlsx_bytes
from .formats.recheck_package import (
    MANIFEST,
    SUMS,
    ManifestHead,
    Sample,
    criteria_name,
    manifest_bytes,
    os_junk,
    package_name,
    sums_bytes,
)
from .formats.scan_pdf import SourceError, scan_pdf_chunks
from .media.verified_folder import LOCAL, Cancelled, Medium, Mismatch, VerifiedFolder
from .scans.pages import ParticipantScans, page_count_mismatches, work_scans
from .school import School, require_school
from .scoring import ScoreRow, score_sheet
from .storage import Store, now_iso
from .works import Work, get_work

ProgressFn = Callable[[int, int, str], None]
CHUNK = 1 << 20


# -- the sample -----------------------------------------------------------------------------------------


def _code_key(code: str) -> tuple[int, str]:
    return (len(code), code)


def choose_sample(codes: list[str], pct: float | None, seed: int | None,
                  extra: list[str]) -> tuple[list[str], int]:
    """The codes to send: a random draw of at least `pct` % (and at least one) of `codes` (the
    present participants with scans), plus `extra`. `pct=None` or 0: no draw, only `extra`.
    Returns (sorted codes, seed used); the same codes, pct and seed always give the same draw."""
    if seed is None:
        seed = secrets.randbelow(999_999) + 1
    pool = sorted(set(codes), key=_code_key)
    chosen: set[str] = set(extra)
    if pct and pool:
        if pct < 0 or pct > 100:
            raise UserError(f"Доля выборки {pct} % вне пределов 0–100 %.")
        count = min(len(pool), max(1, math.ceil(len(pool) * pct / 100 - 1e-9)))
        chosen.update(random.Random(seed).sample(pool, count))
    return sorted(chosen, key=_code_key), int(seed)


@dataclass
class _Choice:
    """The work, its protocol and scans, and which participants' works go into the package."""
    school: School
    work: Work
    sheet: list[ScoreRow]
    scans: dict[str, ParticipantScans]
    present: list[str]
    pool: list[str]
    chosen: list[str] = field(default_factory=list)
    seed: int = 0
    pct: float | None = None
    extra: list[str] = field(default_factory=list)
    everyone: bool = False

    @property
    def by_code(self) -> dict[str, ScoreRow]:
        return {r.code: r for r in self.sheet}

    def sample(self) -> Sample:
        return Sample(self.pct, self.seed, self.chosen, self.extra, self.everyone, len(self.pool))


def _has_scans(scans: dict[str, ParticipantScans], code: str) -> bool:
    return bool(scans.get(code) and scans[code].pages)


def _load(store: Store, work_id: int) -> _Choice:
    school = require_school(store)
    work = get_work(store, work_id)
    scans = {p.code: p for p in work_scans(store, work_id)}
    sheet = score_sheet(store, work_id, final=True)
    if not sheet:
        raise UserError(f"У работы «{work.title}» ещё нет протокола: сначала выдайте коды.")
    present = [r.code for r in sheet if not r.absent]
    pool = [c for c in present if _has_scans(scans, c)]
    if not pool:
        raise UserError(f"У работы «{work.title}» нет ни одного отсканированного листа участников, выполнявших "
                        "работу. Сначала отсканируйте работы и импортируйте сканы (шаг «Сканы»).")
    return _Choice(school, work, sheet, scans, present, pool)


def _check_codes(choice: _Choice, extra: list[str]) -> None:
    """Every code chosen by hand must be a present participant of the work with scans."""
    by_code, problems = choice.by_code, []
    for code in extra:
        row = by_code.get(code)
        if row is None:
            problems.append(f"код {code}: такого участника в протоколе работы нет")
        elif row.absent:
            problems.append(f"код {code}: участник отмечен отсутствующим")
        elif not _has_scans(choice.scans, code):
            problems.append(f"код {code}: сканов работы нет — отсканируйте её или уберите код из списка")
    if problems:
        raise UserError("Пакет не создан: не все выбранные работы можно отправить.", details=problems)


def _choose(choice: _Choice, sample_pct: float | None, seed: int | None, codes: list[str] | None,
            everyone: bool) -> None:
    extra = sorted({str(c).strip() for c in (codes or []) if str(c).strip()}, key=_code_key)
    _check_codes(choice, extra)
    if everyone:
        choice.chosen, choice.seed = choose_sample(choice.pool, 100.0, seed, [])
        choice.pct, choice.extra, choice.everyone = 100.0, [], True
    else:
        choice.pct = sample_pct if sample_pct else None
        choice.chosen, choice.seed = choose_sample(choice.pool, choice.pct, seed, extra)
        choice.extra = extra
    if not choice.chosen:
        raise UserError("Не выбрано ни одной работы: укажите долю выборки, коды участников или «все работы».")


# -- warnings -------------------------------------------------------------------------------------------


def _criteria_warning(choice: _Choice, attachments: list[Attachment]) -> str | None:
    if not attachments:
        return "К работе не прикреплены критерии оценивания: пакет создан без них."
    covered = {a.variant for a in attachments}
    if None in covered:
        return None
    by_code = choice.by_code
    sent_variants = {v for c in choice.chosen for v in by_code[c].variants.values() if v}
    missing = sorted(sent_variants - covered)
    return "Нет критериев для вариантов: " + ", ".join(missing) + "." if missing else None


def _warnings(store: Store, choice: _Choice, attachments: list[Attachment]) -> list[str]:
    """What the coordinator should look at before sending (the package is written all the same)."""
    warnings: list[str] = []
    by_code = choice.by_code
    unscored = [c for c in choice.chosen if by_code[c].status != "scored"]
    if unscored:
        warnings.append("Не все задания оценены у участников: " + ", ".join(unscored)
                        + ". Перед отправкой проверьте, что баллы проставлены за каждое задание.")
    expected, odd = page_count_mismatches(store, choice.work.id, list(choice.scans.values()))
    odd = [s for s in odd if s.code in set(choice.chosen)]
    if odd:
        warnings.append(f"Число страниц не как в работе ({expected}) у участников: "
                        + ", ".join(f"{s.code} — {len(s.pages)}" for s in odd)
                        + ". Проверьте, не попали ли к ним чужие страницы (или не потерялись ли их).")
    criteria = _criteria_warning(choice, attachments)
    if criteria:
        warnings.append(criteria)
    return warnings


# -- the plan: every file with a producer of its bytes ----------------------------------------------------

Planned = tuple[str, Callable[[], Iterable[bytes]]]


def _read_chunks(path: Path) -> Iterator[bytes]:
    try:
        stream = open(path, "rb")
    except OSError as err:
        raise SourceError(f"файл «{path.name}» не читается: {err.strerror or err}") from err
    with stream:
        while True:
            try:
                block = stream.read(CHUNK)
            except OSError as err:
                raise SourceError(f"файл «{path.name}» не читается: {err.strerror or err}") from err
            if not block:
                return
            yield block


def _variant_text(variants: dict[int, str | None]) -> str:
    values = [v for v in variants.values() if v]
    if not values:
        return "—"
    if len(set(values)) == 1 and len(values) == len(variants):
        return values[0]
    return " / ".join(v or "—" for v in variants.values())


def _works_plan(store: Store, choice: _Choice) -> list[Planned]:
    work = choice.work
    subject_line = f"ВПР: {work.subject}, {work.grade} класс, {work.work_date:%d.%m.%Y}"
    plan: list[Planned] = []
    for code in choice.chosen:
        pages = [(store.path(p.image_path), p.rotation) for p in choice.scans[code].pages]
        plan.append((f"works/{code}.pdf", lambda pages=pages, code=code: scan_pdf_chunks(
            pages, f"Работа участника {code}", subject_line)))
    return plan


def _criteria_plan(store: Store, attachments: list[Attachment]) -> tuple[list[Planned], list[str]]:
    """The criteria files under neutral names, and the variants they are for (in order)."""
    plan: list[Planned] = []
    used: set[str] = set()
    variants: list[str] = []
    for attachment in attachments:
        number = 1
        # unique even on a case-insensitive stick (FAT, exFAT, NTFS)
        while (rel := f"criteria/{criteria_name(attachment.variant, number, attachment.original_name)}"
               ).casefold() in used:
            number += 1
        used.add(rel.casefold())
        source = store.path(attachment.stored_path)
        plan.append((rel, lambda source=source: _read_chunks(source)))
        if attachment.variant and attachment.variant not in variants:
            variants.append(attachment.variant)
    return plan, variants


def _cover_letter(choice: _Choice, name: str, attachments: list[Attachment], criteria_variants: list[str]) -> bytes:
    # start-up: the cover letter pulls in reportlab
    from .formats.pdf.cover_letter import CoverLetter, CoverRow, cover_letter_bytes

    school, work, by_code = choice.school, choice.work, choice.by_code
    letter = CoverLetter(
        school=school.name, login=school.login, municipality=school.municipality, director=school.director,
        subject=work.subject, grade=work.grade, work_date=work.work_date, outgoing_date=dt.date.today(),
        folder_name=name, participants_present=len(choice.present), pool=len(choice.pool),
        rows=[CoverRow(c, by_code[c].class_name, _variant_text(by_code[c].variants), len(choice.scans[c].pages),
                       scored=by_code[c].status == "scored") for c in choice.chosen],
        sample_pct=choice.pct, seed=choice.seed, extra_codes=choice.extra, everyone=choice.everyone,
        criteria_files=len(attachments), criteria_variants=criteria_variants)
    return cover_letter_bytes(letter)


def _plan(store: Store, choice: _Choice, name: str, attachments: list[Attachment]) -> list[Planned]:
    criteria, criteria_variants = _criteria_plan(store, attachments)
    sent = set(choice.chosen)
    # The letter and the protocol are CPU work; the scans are I/O. Starting the CPU work first lets
    # the writer threads overlap it with the scans' reads, hashing and fsync.
    return [
        ("protocol.xlsx", lambda: [protocol_xlsx_bytes(choice.work, choice.sheet, sent)]),
        ("cover_letter.pdf", lambda: [_cover_letter(choice, name, attachments, criteria_variants)]),
        *_works_plan(store, choice),
        *criteria,
    ]


# -- writing --------------------------------------------------------------------------------------------


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(value: int) -> str:
    return f"{value / (1 << 20):.1f}".replace(".", ",") + " МБ"


def _check_space(store: Store, choice: _Choice, attachments: list[Attachment], out_dir: Path,
                 medium: Medium) -> None:
    estimate = sum(_size_or_zero(store.path(p.image_path)) for c in choice.chosen for p in choice.scans[c].pages)
    estimate += sum(a.size for a in attachments) + (2 << 20)
    with contextlib.suppress(OSError):
        free = medium.free_bytes(out_dir)
        if free < estimate:
            raise UserError(f"На носителе «{out_dir}» свободно {_mb(free)}, а пакету нужно около {_mb(estimate)}. "
                            "Освободите место или вставьте другой носитель.")


def _interrupted(err: OSError) -> UserError:
    code = err.errno
    if code == errno.ENOSPC:
        return UserError("Запись на носитель прервана: на носителе не хватает места. Пакет не создан; "
                         "освободите место или вставьте другой носитель и повторите.")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "носитель защищён от записи или нет прав на запись в эту папку"
    elif code in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENOTDIR, errno.ENXIO):
        reason = "носитель недоступен (извлечён?)"
    else:
        reason = (err.strerror or str(err)).rstrip(".")
    return UserError(f"Запись на носитель прервана: {reason}. Пакет не создан; вставьте носитель и повторите.")


@dataclass
class _Written:
    folder: Path
    files: int
    bytes: int
    manifest_sha256: str


def _write(folder: VerifiedFolder, choice: _Choice, plan: list[Planned], step: Callable[[str], None]) -> _Written:
    """Every planned file, then the manifest and the sums, then the rename and the final check."""
    written = folder.write_many(plan, lambda rel: step(f"Запись и проверка: {rel}"))
    entries = [w.as_entry() for w in sorted(written, key=lambda w: w.path)]
    school, work = choice.school, choice.work
    head = ManifestHead(now_iso(), APP_TITLE, school.name, school.login, work.subject, work.grade, work.work_date,
                        work.work_key, choice.sample())
    manifest = manifest_bytes(head, entries)
    manifest_sha = folder.write(MANIFEST, [manifest], keep=True).sha256
    step(f"Запись: {MANIFEST}")
    sums = sums_bytes(entries, manifest_sha)
    folder.write(SUMS, [sums], keep=True)
    step(f"Запись: {SUMS}")
    final = folder.commit()
    step("Проверка пакета на носителе")
    return _Written(final, len(entries) + 2, sum(w.size for w in written) + len(manifest) + len(sums), manifest_sha)


def _write_or_explain(out_dir: Path, name: str, choice: _Choice, plan: list[Planned], step: Callable[[str], None],
                      medium: Medium, cancelled: Callable[[], bool]) -> _Written:
    """`_write` through a verified folder (which removes whatever was written on any failure), its
    failures said in Russian."""
    try:
        with VerifiedFolder(out_dir, name, medium=medium, cancelled=cancelled, ignore=os_junk) as folder:
            return _write(folder, choice, plan, step)
    except Mismatch as err:
        raise UserError("Записанный на носитель пакет не совпадает с исходным (носитель неисправен?). "
                        "Пакет удалён; вставьте другой носитель и повторите.", details=list(err.args)) from None
    except Cancelled:
        raise UserError("Создание пакета отменено; неполная папка удалена с носителя.") from None
    except SourceError as err:
        raise UserError(f"Пакет не создан: {err} Проверьте папку данных («Сервис» → «Проверка данных»).") from err
    except OSError as err:
        raise _interrupted(err) from err


@dataclass
class PackageResult:
    folder: Path
    files: int
    bytes: int
    codes: list[str]
    seed: int
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "files": self.files, "bytes": self.bytes, "codes": self.codes,
                "seed": self.seed, "manifest_sha256": self.manifest_sha256, "warnings": self.warnings}


def _record(store: Store, choice: _Choice, written: _Written) -> None:
    work_id = choice.work.id
    details = {"codes": choice.chosen, "seed": choice.seed, "pct": choice.pct, "extra_codes": choice.extra,
               "everyone": choice.everyone, "bytes": written.bytes, "folder": written.folder.name}
    with store.atomic() as db:
        export_id = db["exports"].insert({
            "kind": "package", "work_id": work_id, "target": str(written.folder), "files": written.files,
            "manifest_sha256": written.manifest_sha256, "at": now_iso(), "actor": store.actor,
            "details": json.dumps(details, ensure_ascii=False)}).last_pk
        audit.record(store, "package.export", "exports", export_id, work_id=work_id, target=str(written.folder),
                     files=written.files, manifest_sha256=written.manifest_sha256, codes=choice.chosen,
                     seed=choice.seed, pct=choice.pct, everyone=choice.everyone)


def export_package(store: Store, work_id: int, out_dir: Path | str, *, sample_pct: float | None = 1.0,
                   seed: int | None = None, codes: list[str] | None = None, everyone: bool = False,
                   progress: ProgressFn | None = None, cancelled: Callable[[], bool] = lambda: False,
                   medium: Medium = LOCAL) -> PackageResult:
    """Write the re-check package of a work into a new folder in `out_dir` (a USB stick's root).

    Which works: `everyone` → all present participants with scans; otherwise a random draw of
    `sample_pct` % (at least one; None = no draw) with `seed` (drawn if None), plus `codes`."""
    out_dir = Path(out_dir)
    choice = _load(store, work_id)
    _choose(choice, sample_pct, seed, codes, everyone)
    if not out_dir.is_dir():
        raise UserError(f"Папка «{out_dir}» не найдена (носитель извлечён?). Вставьте носитель и повторите.")
    attachments = [a for a in list_attachments(store, work_id) if a.kind == "criteria"]
    warnings = _warnings(store, choice, attachments)
    work = choice.work
    name = package_name(work.subject, work.grade, work.work_date, choice.school.login)
    plan = _plan(store, choice, name, attachments)
    _check_space(store, choice, attachments, out_dir, medium)

    total = len(plan) + 3       # every file written and read back, manifest, sums, the final check
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    written = _write_or_explain(out_dir, name, choice, plan, step, medium, cancelled)
    _record(store, choice, written)
    return PackageResult(written.folder, written.files, written.bytes, choice.chosen, choice.seed,
                         written.manifest_sha256, warnings)
