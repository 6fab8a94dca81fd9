"""«Протокол перепроверки ВПР» read back as text (no Qt)."""

from __future__ import annotations

import random

import pytest

from coordinator_app.formats.pdf.common import WorkHeader
from coordinator_app.formats.pdf.recheck import (
    RecheckDoc,
    RecheckParticipant,
    RecheckTaskRow,
    TaskSummary,
    score_value,
    task_difference,
    write_recheck_pdf,
)
from tests.pdf_helpers import char_boxes, page_texts, sample_header

MM = 72 / 25.4
PAGE_W_PT, PAGE_H_PT = 210 * MM, 297 * MM

#: 15 tasks the way ВПР numbers them: plain, sub-tasks and «К» criteria.
TASKS = [("1", 2), ("2", 1), ("3", 1), ("4К1", 3), ("4К2", 2), ("5", 1), ("6.1", 1), ("6.2", 2),
         ("7", 2), ("8", 1), ("9.1", 2), ("9.2", 1), ("10", 2), ("11", 1), ("12", 3)]
MARKS = [(0, "2"), (8, "3"), (14, "4"), (20, "5")]


def mark_for(total: int) -> str:
    return [m for low, m in MARKS if total >= low][-1]


@pytest.fixture
def header() -> WorkHeader:
    return sample_header()


def make_participants(count: int, seed: int = 4242) -> list[RecheckParticipant]:
    rng = random.Random(seed)
    result = []
    for i in range(count):
        rows = []
        for task_id, max_score in TASKS:
            first = rng.choice([str(rng.randint(0, max_score))] * 6 + ["X", "не пройд.", None])
            second = first
            if first is not None and rng.random() < 0.12:
                second = str(rng.randint(0, max_score))
            rows.append(RecheckTaskRow(task_id, max_score, first, second))
        first_total = sum(score_value(r.first) or 0 for r in rows)
        second_total = sum(score_value(r.second) or 0 for r in rows)
        p = RecheckParticipant(
            code=str(51000 + i), class_name="5А" if i % 2 else "5Б", tasks=rows,
            first_total=first_total, second_total=second_total,
            first_mark=mark_for(first_total), second_mark=mark_for(second_total),
        )
        if i % 9 == 4:   # the commission settled some
            p.final_total = (first_total + second_total) // 2
            p.final_mark = mark_for(p.final_total)
        result.append(p)
    # Deterministic cases the tests look for.
    fixed = result[0]
    fixed.tasks[0] = RecheckTaskRow("1", 2, "2", "1")          # -1
    fixed.tasks[3] = RecheckTaskRow("4К1", 3, "X", "2")        # +2 (X counts as 0)
    fixed.tasks[10] = RecheckTaskRow("9.1", 2, "не пройд.", "0")  # 0
    fixed.first_total = sum(score_value(r.first) or 0 for r in fixed.tasks)
    fixed.second_total = sum(score_value(r.second) or 0 for r in fixed.tasks)
    fixed.first_mark, fixed.second_mark = "4", "3"
    return result


def make_summary(participants: list[RecheckParticipant]) -> list[TaskSummary]:
    summary = []
    for index, (task_id, max_score) in enumerate(TASKS):
        diffs = [task_difference(p.tasks[index]) for p in participants]
        diffs = [d for d in diffs if d is not None]
        summary.append(TaskSummary(
            task_id, max_score, len(diffs), sum(1 for d in diffs if d),
            sum(abs(d) for d in diffs) / len(diffs) if diffs else 0.0,
        ))
    summary.sort(key=lambda s: -s.differing)
    return summary


def make_doc(header: WorkHeader, participants: list[RecheckParticipant], **kw) -> RecheckDoc:
    values = dict(
        header=header,
        first_expert="Смирнова Ольга Петровна",
        second_expert="Кузнецов Игорь Валентинович",
        sample_note="выборка 10 % (30 работ), случайная, зерно 4242",
        participants=participants,
        summary=make_summary(participants),
    )
    values.update(kw)
    return RecheckDoc(**values)


def flat(text: str) -> str:
    return " ".join(text.replace("\x02", "-").split()).replace("- ", "-")


# ---------------------------------------------------------------- values


def test_score_values_and_differences():
    assert score_value("2") == 2 and score_value("X") == 0 and score_value("не пройд.") == 0
    assert score_value(None) is None
    assert task_difference(RecheckTaskRow("1", 2, "2", "1")) == -1
    assert task_difference(RecheckTaskRow("1", 2, "X", "2")) == 2
    assert task_difference(RecheckTaskRow("1", 2, "не пройд.", "0")) == 0
    assert task_difference(RecheckTaskRow("1", 2, None, "1")) is None


# ---------------------------------------------------------------- document


def test_recheck_protocol_with_30_works(tmp_path, header):
    participants = make_participants(30)
    out = tmp_path / "recheck.pdf"
    calls = []
    write_recheck_pdf(out, make_doc(header, participants), progress=lambda d, t: calls.append((d, t)))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    texts = [flat(t) for t in page_texts(out)]
    pages = len(texts)
    assert pages >= 2
    joined = "\n".join(texts)

    assert "Протокол перепроверки ВПР" in texts[0]
    for label in ["Математика", "5 класс", "15.04.2025", "sch123456", "Средняя общеобразовательная школа № 17",
                  "Смирнова Ольга Петровна", "Кузнецов Игорь Валентинович", "зерно 4242"]:
        assert label in texts[0], label
    for p in participants:
        assert joined.count(f"Код {p.code}") == 1, p.code
    for label in ["Балл школы", "Балл перепроверки", "Разница", "4К1", "9.1", "6.2"]:
        assert label in joined, label
    assert "-1" in joined and "+2" in joined
    assert "отметка изменилась" in joined and "4→3" in joined
    assert "Решение комиссии" in joined
    # No pupil names anywhere: the only people named are the experts.
    for name in ["Иванов", "Сидоренко", "ФИО участника"]:
        assert name not in joined

    last = texts[-1]
    assert "Расхождения по заданиям" in joined
    assert "Среднее |разница|" in joined
    assert "Перепроверено работ: 30." in joined
    changed = sum(1 for p in participants if p.first_total != p.second_total)
    assert f"Сумма баллов по перепроверке изменилась: {changed} " in joined
    for role in ["Эксперт, проверявший работы", "Эксперт перепроверки", "Председатель комиссии"]:
        assert role in last, role
    assert "____" in last and "/" in last
    settled = sum(1 for p in participants if p.final_total is not None)
    assert f"Решение комиссии принято по работам: {settled};" in joined
    for number, text in enumerate(texts, start=1):
        assert f"Стр. {number} из {pages}" in text
        if number > 1:
            assert "продолжение" in text

    assert calls[0] == (0, 30) and calls[-1] == (30, 30)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    # Summary sorted by «С расхождением», most first: the task ids appear in that order after the title.
    summary = make_summary(participants)
    tail = joined[joined.index("Расхождения по заданиям"):]
    tail = tail[tail.index("Среднее |разница|"):]
    positions = [tail.index(f" {s.task_id} {s.max_score} {s.compared} {s.differing} ") for s in summary]
    assert positions == sorted(positions)

    # Everything stays on the paper, inside the margins.
    for page in range(pages):
        for char, (l, b, r, t) in char_boxes(out, page):
            assert l >= 12 * MM and r <= PAGE_W_PT - 12 * MM, (page, char, l, r)
            assert b >= 5 * MM and t <= PAGE_H_PT - 5 * MM, (page, char, b, t)


def test_many_tasks_wrap_into_a_second_band(tmp_path, header):
    tasks = [RecheckTaskRow(f"{i}К{j}", 2, "1", "2" if i == 13 else "1") for i in range(1, 15) for j in (1, 2)]
    p = RecheckParticipant("60001", "5В", tasks, 28, 30, "4", "4")
    out = tmp_path / "wide.pdf"
    write_recheck_pdf(out, make_doc(header, [p], summary=[]))
    text = flat("\n".join(page_texts(out)))
    assert "14К2" in text and "Сумма" in text and "+1" in text and "+2" in text
    assert "Нет данных для сравнения" in text
    for char, (l, _b, r, _t) in char_boxes(out, 0):
        assert l >= 12 * MM and r <= PAGE_W_PT - 12 * MM, (char, l, r)


def test_empty_sample_is_still_a_document(tmp_path, header):
    out = tmp_path / "empty.pdf"
    calls = []
    write_recheck_pdf(out, make_doc(header, [], first_expert="", second_expert="", sample_note=""),
                      progress=lambda d, t: calls.append((d, t)))
    texts = [flat(t) for t in page_texts(out)]
    assert len(texts) == 1
    text = texts[0]
    assert "Протокол перепроверки ВПР" in text
    assert "Работ для перепроверки нет" in text
    assert "Перепроверено работ: 0." in text
    assert "Председатель комиссии" in text and "Эксперт перепроверки" in text
    assert "Стр." not in text   # a single page carries no page number
    assert calls == [(0, 0), (0, 0)]


def test_unfinished_works_are_marked_and_left_out_of_the_totals(tmp_path, header):
    """3 of 8 re-checked: the protocol says so, never «Перепроверено работ: 8» or a −8 sum."""
    participants = []
    for i in range(8):
        done = i < 3
        rows = [RecheckTaskRow(task_id, max_score, "1", ("1" if done else None) if task_id != "1" else
                               ("2" if done and i == 0 else ("1" if done else None)))
                for task_id, max_score in TASKS[:6]]
        first_total = sum(score_value(r.first) or 0 for r in rows)
        second_total = sum(score_value(r.second) or 0 for r in rows)
        participants.append(RecheckParticipant(
            code=str(52000 + i), class_name="5А", tasks=rows, first_total=first_total, second_total=second_total,
            first_mark="3", second_mark="3" if done else None, complete=done))
    out = tmp_path / "unfinished.pdf"
    write_recheck_pdf(out, RecheckDoc(header, "Смирнова О. П.", "Кузнецов И. В.", "выбранные работы: 8",
                                      participants, summary=[]))
    text = flat("\n".join(page_texts(out)))
    assert "Перепроверено работ: 3 из 8." in text
    assert "Не перепроверены (в итоги не вошли): 5 — коды 52003, 52004, 52005, 52006, 52007." in text
    assert text.count("не перепроверена") == 5
    assert "Перепроверено работ: 8" not in text
    assert "-6" not in text and "−6" not in text          # an unfinished block has no re-check sum
    assert "Сумма баллов по перепроверке изменилась: 1 (33" in text   # of the 3, only 52000 changed
