"""Results with names, for the school only (issue 15): the class teacher's list with every task's
score and what each task checks (PDF and XLSX), and a slip for each pupil's family; each says it
holds personal data and stays at school; an expert gets neither."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coordinator_app.access import set_expert_mode, set_pin
from coordinator_app.codes import list_participants, set_absent
from coordinator_app.errors import UserError
from coordinator_app.task_info import set_task
from coordinator_app.work_analysis import write_class_list, write_parent_slips
from tests.pdf_helpers import page_count, page_texts
from tests.test_analysis_cli import TOTALS, run, scored  # noqa: F401 - the fixture


def _absent(store, code: str) -> None:
    from coordinator_app.scoring import set_scores

    set_scores(store, 1, [(code, str(t), "") for t in range(1, 5)])      # its scores cleared first
    set_absent(store, 1, code)


def _text(path: Path) -> str:
    return " ".join(" ".join(page_texts(path)).split())


@pytest.fixture
def described(scored):  # noqa: F811 - the fixture imported above
    set_task(scored, 1, "1", level="Б", requirement="Умение складывать дроби")
    set_task(scored, 1, "4", level="П", requirement="Решение задачи в два действия")
    return scored


def test_the_class_list_has_every_task_s_score_and_the_legend(described, tmp_path) -> None:
    out = write_class_list(described, 1, tmp_path / "5А.pdf", "5А")
    text = _text(out)
    pupils = [p for p in list_participants(described, 1) if p.class_name == "5А"]
    assert all(p.surname in text for p in pupils)
    assert "Умение складывать дроби" in text and "Решение задачи в два действия" in text
    assert "Только для использования в школе" in text
    assert "Задания работы" in text and "Перв. балл" in text


def test_the_class_list_as_xlsx_reopens_with_the_columns_and_the_comments(described, tmp_path) -> None:
    _absent(described, list_participants(described, 1)[0].code)
    out = write_class_list(described, 1, tmp_path / "список.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["5А", "5Б", "Задания"]
    sheet = book["5Б"]
    assert "персональные данные" in sheet["A1"].value
    head = [c.value for c in sheet[3]]
    assert head[:6] == ["Обучающийся", "Код", "Первичный балл", "Отметка ВПР", "Отметка по журналу", "Разница"]
    assert head[6:] == ["Задание 1 (5 б.)", "Задание 2 (5 б.)", "Задание 3 (5 б.)", "Задание 4 (5 б.)"]
    assert sheet.cell(3, 7).comment.text == "Умение складывать дроби"
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert all(sum(r[6:]) == r[2] for r in rows)                       # the task scores add up to the total
    first = [[c.value for c in r] for r in book["5А"].iter_rows(min_row=4)][0]
    assert first[2] == "отсутствовал"
    legend = [[c.value for c in r] for r in book["Задания"].iter_rows(min_row=2)]
    assert legend[0] == ["1", 5, "Б", "Умение складывать дроби"]


def test_one_slip_per_pupil_who_wrote_never_split_over_pages(described, tmp_path) -> None:
    absent = list_participants(described, 1)[0]
    _absent(described, absent.code)
    out = write_parent_slips(described, 1, tmp_path / "листки.pdf")
    pages = page_texts(out)
    joined = " ".join(" ".join(pages).split())
    assert joined.count("Первичный балл:") == len(TOTALS) - 1
    assert absent.surname not in joined
    assert "Умение складывать дроби" in joined and "Перевод баллов в отметку: «2» — 0–4" in joined
    assert "передаётся только семье ученика" in joined
    for page in pages:                           # each slip whole on its page: name line and result together
        flat = " ".join(page.split())
        assert flat.count("Первичный балл:") == len(re.findall(r", 5[АБ] ", flat)) >= 3
    assert page_count(out) < len(TOTALS) / 2     # several to a page


def test_no_slip_without_a_scored_pupil_and_no_wrong_extension(described, tmp_path) -> None:
    with pytest.raises(UserError, match="листки сохраняются в PDF|Листки сохраняются в PDF"):
        write_parent_slips(described, 1, tmp_path / "листки.xlsx")
    with pytest.raises(UserError, match="нет класса «9Я»"):
        write_parent_slips(described, 1, tmp_path / "l.pdf", "9Я")


def test_the_command_line_writes_them_and_an_expert_gets_neither(described, capsys, tmp_path) -> None:
    code, printed, err = run(described, capsys, "parent-slips", "--work", "1", "--class", "5Б", "--out",
                             str(tmp_path / "l.pdf"))
    assert code == 0, err
    assert "только семье ученика" in printed
    code, _, err = run(described, capsys, "class-list", "--work", "1", "--out", str(tmp_path / "l.xlsx"))
    assert code == 0, err
    set_pin(described, "1234")
    set_expert_mode(described, True)
    for command in ("parent-slips", "class-list"):
        code, _, err = run(described, capsys, command, "--work", "1", "--out", str(tmp_path / "x.pdf"))
        assert code == 1 and "с именами" in err
