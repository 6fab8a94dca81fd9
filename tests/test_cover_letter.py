"""«Сопроводительное письмо» says only what is true (issue 10), read back as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from coordinator_app.formats.pdf.cover_letter import CoverLetter, CoverRow, cover_letter_bytes
from tests.pdf_helpers import page_texts


def letter(rows: int = 3, *, criteria: int = 0, unscored: tuple[int, ...] = (), pct: float | None = 10.0) -> CoverLetter:
    return CoverLetter(
        school="МБОУ СОШ № 7", login="sch123456", municipality="г. Тестовск", director="Петрова Анна Ивановна",
        subject="Русский язык", grade=4, work_date=dt.date(2026, 4, 21), outgoing_date=dt.date(2026, 4, 30),
        folder_name="ВПР_Русский_4кл", participants_present=30, pool=28,
        rows=[CoverRow(str(40001 + i), "4А", "1", 2, scored=i not in unscored) for i in range(rows)],
        sample_pct=pct, seed=4242, criteria_files=criteria, criteria_variants=["1"] if criteria else [])


def pages_of(tmp_path: Path, doc: CoverLetter) -> list[str]:
    out = tmp_path / "letter.pdf"
    out.write_bytes(cover_letter_bytes(doc))
    return [" ".join(text.split()) for text in page_texts(out)]


def test_criteria_are_named_only_when_attached(tmp_path: Path) -> None:
    without = " ".join(pages_of(tmp_path, letter(criteria=0)))
    assert "критерии оценивания по вариантам" not in without
    assert "направляет сканированные копии работ" in without and "электронный протокол проверки" in without
    assert "критерии оценивания к работе в программе не прикреплены" in without
    with_criteria = " ".join(pages_of(tmp_path, letter(criteria=2)))
    assert "критерии оценивания по вариантам и электронный протокол" in with_criteria


def test_scores_are_said_to_be_filled_only_where_they_are(tmp_path: Path) -> None:
    assert "Баллы за каждое задание и итоговый балл проставлены в протоколе." in " ".join(pages_of(tmp_path, letter()))
    partly = " ".join(pages_of(tmp_path, letter(unscored=(1,))))
    assert "проставлены в протоколе, кроме работ с кодами 40002: их проверка школой не завершена" in partly
    none = " ".join(pages_of(tmp_path, letter(unscored=(0, 1, 2))))
    assert "Баллы школы в протоколе не проставлены" in none and "проставлены в протоколе." not in none


def test_the_sampling_method_is_plain_russian_and_keeps_its_seed(tmp_path: Path) -> None:
    text = " ".join(pages_of(tmp_path, letter()))
    assert "random" not in text and "Python" not in text
    assert "по числу-зерну 4242" in text and "тот же список кодов" in text


def test_the_signature_never_stands_alone_on_a_page(tmp_path: Path) -> None:
    for rows in range(1, 121, 7):
        pages = pages_of(tmp_path, letter(rows))
        signed = [page for page in pages if "Директор" in page]
        assert len(signed) == 1, rows
        assert "Приложение: электронный носитель" in signed[0] and "SHA256SUMS" in signed[0], (rows, len(pages))
