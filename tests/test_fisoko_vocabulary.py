"""The ФИС ОКО vocabulary: one set of gender spellings for every reader, and codes of ASCII digits
only."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_app.formats.fisoko.check import FormRowData, check_rows
from coordinator_app.formats.fisoko.filled import read_filled_form
from coordinator_app.formats.fisoko.template import read_template
from coordinator_app.formats.fisoko.vocabulary import (
    CODE_RE,
    GENDER_SPELLINGS,
    gender_of,
    is_code,
    is_not_passed,
    is_x,
)
from coordinator_app.names import normalize_gender
from tests.fixtures.fisoko_forms import russian4_2026
from tests.test_filled_form import ROWS, RUSSIAN, _russian_row, read

#: What the pupil-list normaliser accepts, as people type it: each spelling, a capital, a dot,
#: «… пол».
PUPIL_LIST_SPELLINGS = sorted(
    {*GENDER_SPELLINGS, "Мальчик", "ДЕВОЧКА", "Жен.", "муж.", "Мужской пол", "женский пол", "M", "F"}
)


@pytest.mark.parametrize("spelling", PUPIL_LIST_SPELLINGS)
def test_a_gender_spelling_reads_the_same_in_the_vocabulary_and_the_pupil_list(spelling: str) -> None:
    assert gender_of(spelling) == normalize_gender(spelling)
    assert gender_of(spelling) in ("м", "ж")


def test_the_filled_form_reader_accepts_every_gender_the_pupil_list_accepts(tmp_path: Path) -> None:
    """«мальчик», «Девочка», «F», «мужской пол» … in a filled form read as the pupil list reads them."""
    rows = [_russian_row(code=40001 + i, gender=spelling)
            for i, spelling in enumerate(PUPIL_LIST_SPELLINGS)]
    path = russian4_2026(tmp_path / "genders.xlsx", rows=ROWS, filled=rows)
    form = read(path, RUSSIAN)
    assert form.ok, [p.text() for p in form.problems]
    assert [r.gender for r in form.rows] == [normalize_gender(s) for s in PUPIL_LIST_SPELLINGS]


def test_a_word_that_is_no_gender_is_refused_by_both() -> None:
    assert gender_of("кот") is None
    with pytest.raises(Exception, match="Непонятный пол"):
        normalize_gender("кот")


@pytest.mark.parametrize("text", ["40007", "00001", "99999"])
def test_five_ascii_digits_are_a_code(text: str) -> None:
    assert is_code(text)


@pytest.mark.parametrize("text", ["４０００７", "٤٠٠٠٧", "4000７", "4000", "400070", "4000a", " 40007", ""])
def test_full_width_or_other_digits_are_no_code(text: str) -> None:
    assert not is_code(text)
    assert "\\d" not in CODE_RE.pattern


def test_a_full_width_code_in_a_filled_form_is_a_problem(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "wide.xlsx", rows=ROWS, filled=[_russian_row(code="４０００７")])
    form = read_filled_form(path, tasks=RUSSIAN, parts=1, allows_not_passed=True)
    assert [p.reason for p in form.problems] == ["код участника — пять цифр"]


def test_a_full_width_code_does_not_go_into_the_form(tmp_path: Path) -> None:
    info = read_template(russian4_2026(tmp_path / "t.xlsx", rows=ROWS))
    row = FormRowData(code="４０００７", absent=True, variants={}, scores={})
    assert [p.reason for p in check_rows(info, [row])] == ["код участника — пять цифр"]


@pytest.mark.parametrize("text", ["X", "x", "Х", "х"])
def test_x_in_latin_or_cyrillic(text: str) -> None:
    assert is_x(text)


@pytest.mark.parametrize("text", ["не пройд.", "не пройд", "непройд.", "НЕ ПРОЙД."])
def test_not_passed_written_loosely(text: str) -> None:
    assert is_not_passed(text)


def test_the_schema_s_journal_marks_are_the_vocabulary_s() -> None:
    """The journal-mark CHECK of the schema (migration 3, SQL) repeats the vocabulary's marks: a
    change to one without the other fails here."""
    import re

    import coordinator_app.storage as storage
    from coordinator_app.formats.fisoko.vocabulary import MARKS

    text = (Path(storage.__file__).parent / "migration_0003.sql").read_text(encoding="utf-8")
    listed = re.search(r"journal_mark IN \(([^)]*)\)", text).group(1)
    assert tuple(v.strip().strip("'") for v in listed.split(",")) == MARKS
