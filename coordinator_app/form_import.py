"""Import of a filled ФИС ОКО form into a work: every cell validated, all or nothing.

Schools often type scores straight into the form. The file is read and checked by
`formats.fisoko.filled` (values against the work's maxima and lists, codes against the protocol),
then checked against the store (class ordinals), and only a form without a single problem is
written: variants, absence, task values (round 1), journal marks and gender, in one transaction,
each changed cell audited with its old and new value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .attachments import set_textbook
from .changes import Changes, Topic
from .classes import list_classes, set_ordinal
from .errors import UserError
from .school_years import require_open
from .scoring import _write
from .storage import Store
from .works import get_work


@dataclass
class FormImportResult:
    rows: int = 0
    present: int = 0
    absent: int = 0
    cells_changed: int = 0
    not_in_form: list[str] = field(default_factory=list)     # protocol codes the form does not mention
    class_numbers_taken: dict[str, int] = field(default_factory=dict)   # class → the form's number
    textbooks: dict[str, str] = field(default_factory=dict)             # class → textbook from «Классы»
    changes: Changes = field(default_factory=Changes)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "present": self.present, "absent": self.absent,
                "cells_changed": self.cells_changed, "not_in_form": self.not_in_form}

    def summary(self) -> str:
        text = (f"Форма импортирована: строк {self.rows} (писали {self.present}, отсутствовали {self.absent}); "
                f"изменено значений: {self.cells_changed}.")
        if self.textbooks:
            text += f" Учебники из листа «Классы»: {len(self.textbooks)} ({', '.join(self.textbooks)})."
        if self.class_numbers_taken:
            text += " Приняты номера классов из формы: " + ", ".join(
                f"{name} — № {n}" for name, n in self.class_numbers_taken.items()) + "."
        if self.not_in_form:
            text += f" В форме нет участников протокола: {', '.join(self.not_in_form[:20])}" + (
                " …" if len(self.not_in_form) > 20 else "") + "."
        return text


def _import_textbooks(store: Store, work: Any, path: Path | str) -> dict[str, str]:
    """The textbooks of a filled «Классы» sheet for the work's classes (by their ordinal), inside
    the caller's transaction. Only the form's own list is taken; other text is left out."""
    from .formats.fisoko.filled import (
        read_class_textbooks,  # start-up: the form's modules load openpyxl
    )

    books = read_class_textbooks(path)
    if not books:
        return {}
    allowed = set((work.template_info or {}).get("textbooks") or [])
    mine = {cid for cid, _ in work.classes}
    by_ordinal = {c.ordinal: c.name for c in list_classes(store, grade=work.grade) if c.id in mine}
    taken = {}
    for ordinal, book in books.items():
        name = by_ordinal.get(ordinal)
        if name is None or (allowed and book not in allowed):
            continue
        set_textbook(store, work.id, name, book)
        taken[name] = book
    return taken


class ClassNumbersDiffer(UserError):
    """The form numbers whole classes differently from the program, consistently: an offer to take
    the form's numbering (`import_form(..., take_form_class_numbers=True)`)."""

    def __init__(self, message: str, renumbering: dict[int, int], *, details: list[str]) -> None:
        super().__init__(message, details=details)
        self.renumbering = renumbering


def _consistent_numbering(seen: dict[int, set[int]], ordinals: dict[int, tuple[int | None, str]]) -> dict[int, int]:
    """{class id: the form's number} when every class of the form has one number for all its
    participants, the numbers differ from the program's for some class, and no two classes share
    one; else {} (the differences are mistakes of rows, not another numbering)."""
    if not seen or any(len(numbers) != 1 for numbers in seen.values()):
        return {}
    wanted = {class_id: next(iter(numbers)) for class_id, numbers in seen.items()}
    if len(set(wanted.values())) != len(wanted):
        return {}
    taken_elsewhere = {o for c, (o, _n) in ordinals.items() if c not in wanted and o is not None}
    if set(wanted.values()) & taken_elsewhere:
        return {}
    changed = {c: n for c, n in wanted.items() if ordinals.get(c, (None, ""))[0] != n}
    return changed


@dataclass
class _Checked:
    """A filled form read and checked against the work and the store, ready to be written."""

    form: Any                                       # the `FilledForm`
    participants: dict[str, dict[str, Any]]         # code -> the participant's row
    ordinals: dict[int, tuple[int | None, str]]     # class id -> (its ordinal, its name)
    renumbering: dict[int, int]                     # class id -> the form's number, to take


def import_form(store: Store, work_id: int, path: Path | str, *, expert: str | None = None,
                partial: bool = False, take_form_class_numbers: bool = False) -> FormImportResult:
    """A filled form into the work, all or nothing. `partial`: rows whose task cells are partly
    empty are imported too; their empty cells stay as they are (unscored) instead of being an
    error."""
    require_open(store, work_id)
    work = get_work(store, work_id)
    checked = _check(store, work, path, partial=partial, take_numbers=take_form_class_numbers)
    result = FormImportResult(rows=len(checked.form.rows))
    with store.atomic() as db:
        if checked.renumbering:
            result.class_numbers_taken = _take_class_numbers(store, checked)
        for row in checked.form.rows:
            _write_row(db, store, work, row, checked.participants[row.code], result, expert=expert,
                       partial=partial)
        result.textbooks = _import_textbooks(store, work, path)
        audit.record(store, "form.import", "works", work_id, file=Path(path).name, **result.as_dict())
    mentioned = {r.code for r in checked.form.rows}
    result.not_in_form = sorted((c for c in checked.participants if c not in mentioned), key=int)
    result.changes = Changes.of(Topic.SCORES, Topic.PARTICIPANTS)
    return result


def _check(store: Store, work: Any, path: Path | str, *, partial: bool, take_numbers: bool) -> _Checked:
    """The form read and every problem found, raised as one `UserError` (nothing written)."""
    form, participants = _read(store, work, path, partial=partial)
    problems = [p.text() for p in form.problems]
    ordinals = {c.id: (c.ordinal, c.name) for c in list_classes(store, grade=work.grade)}
    ordinal_problems, renumbering = _class_ordinals(form, participants, ordinals)
    take = bool(ordinal_problems and renumbering and take_numbers)
    if take:
        ordinal_problems = []                     # taken with the scores, in their transaction
    if ordinal_problems and renumbering and not problems:
        _offer_renumbering(ordinals, renumbering, ordinal_problems)
    problems += ordinal_problems
    _refuse_unknown_codes(work, form, problems)
    if problems:
        raise UserError(f"Форма не импортирована: ошибок — {len(problems)}. Исправьте их в файле и повторите; "
                        "в программе ничего не изменено.", details=problems)
    return _Checked(form, participants, ordinals, renumbering if take else {})


def _read(store: Store, work: Any, path: Path | str, *, partial: bool) -> tuple[Any, dict[str, dict[str, Any]]]:
    """The filled form read against the work's tasks and protocol codes (a partly filled row's
    empty cells are no problem when `partial`), and the work's participants by code."""
    from .formats.fisoko.filled import (
        read_filled_form,  # start-up: the form's modules load openpyxl
    )

    participants = {r["code"]: r for r in store.query(
        "SELECT id, code, class_id, student_id, absent FROM participants WHERE work_id = ?", [work.id])}
    if not participants:
        raise UserError(f"У работы «{work.title}» ещё нет протокола: сначала выдайте коды.")
    form = read_filled_form(Path(path), tasks=[(t.task_id, t.max_score, t.part) for t in work.tasks],
                            parts=work.parts, allows_not_passed=work.allows_not_passed,
                            known_codes=set(participants))
    if partial:
        form.problems = [p for p in form.problems if p.reason != "не заполнено"]
    return form, participants


def _class_ordinals(form: Any, participants: dict[str, dict[str, Any]],
                    ordinals: dict[int, tuple[int | None, str]]) -> tuple[list[str], dict[int, int]]:
    """The rows whose class ordinal is not their class's, and the form's own consistent
    numbering of the classes ({} if there is none)."""
    seen: dict[int, set[int]] = {}            # class id -> the form's numbers for its participants
    problems = []
    for row in form.rows:
        participant = participants.get(row.code)
        if participant is None or row.class_ordinal is None:
            continue
        seen.setdefault(participant["class_id"], set()).add(row.class_ordinal)
        ordinal, name = ordinals.get(participant["class_id"], (None, "?"))
        if ordinal is not None and row.class_ordinal != ordinal:
            problems.append(f"строка {row.row}, код {row.code}: порядковый номер класса {row.class_ordinal}, "
                            f"а участник — из класса {name} (№ {ordinal})")
    return problems, _consistent_numbering(seen, ordinals)


def _offer_renumbering(ordinals: dict[int, tuple[int | None, str]], renumbering: dict[int, int],
                       ordinal_problems: list[str]) -> None:
    names = ", ".join(f"{ordinals[c][1]} — № {n} (в программе № {ordinals[c][0]})" for c, n in renumbering.items())
    raise ClassNumbersDiffer(
        f"Порядковые номера классов в форме расходятся с программой целыми классами: {names}. Номера "
        "классов даёт ФИС ОКО; если в форме они верны, примите их (кнопка «Принять номера из формы» "
        "или import-form … --take-class-numbers) — баллы импортируются вместе с ними. В программе "
        "ничего не изменено.", renumbering, details=ordinal_problems)


def _refuse_unknown_codes(work: Any, form: Any, problems: list[str]) -> None:
    """Most codes are unknown: the file is right and the program's codes differ (the school gave
    out ФИС ОКО's codes or a paper protocol's). Editing the file is the wrong advice."""
    unknown = [p for p in form.problems if p.reason == "кода нет в протоколе работы"]
    if unknown and len(unknown) * 2 >= len(form.rows):
        raise UserError(
            f"Коды в форме не совпадают с протоколом работы «{work.title}» в программе: {len(unknown)} из "
            f"{len(form.rows)} кодов формы в нём нет. Если коды выдавали по списку ФИС ОКО или по бумажному "
            "протоколу, загрузите их в программу: команда import-codes ФАЙЛ_ПРОТОКОЛА --work "
            f"{work.id} (или import-codes с этой формой, если в ней есть ФИО), затем повторите импорт формы. "
            "В программе ничего не изменено.", details=problems)


def _take_class_numbers(store: Store, checked: _Checked) -> dict[str, int]:
    """The form's class numbering taken, inside the caller's transaction."""
    for class_id in checked.renumbering:
        set_ordinal(store, class_id, None)    # free the numbers first: classes may swap them
    for class_id, number in checked.renumbering.items():
        set_ordinal(store, class_id, number)
    return {checked.ordinals[c][1]: n for c, n in checked.renumbering.items()}


def _write_row(db: Any, store: Store, work: Any, row: Any, participant: dict[str, Any],
               result: FormImportResult, *, expert: str | None, partial: bool) -> None:
    """One row of the form into the store, inside the caller's transaction (`db`)."""
    if row.absent:
        result.absent += 1
        for task in work.tasks:
            result.cells_changed += _write(store, work, {**participant, "absent": False}, task, None, expert, 1)
        if not participant["absent"]:
            db["participants"].update(participant["id"], {"absent": 1})
            result.cells_changed += 1
        return
    result.present += 1
    update: dict[str, Any] = {"absent": 0}
    for part, variant in row.variants.items():
        update[f"variant{part}"] = variant
    if row.journal_mark is not None:
        update["journal_mark"] = row.journal_mark
    db["participants"].update(participant["id"], update)
    live = {**participant, "absent": False}
    tasks = {t.task_id: t for t in work.tasks}
    for task_id, value in row.scores.items():
        if partial and value is None:
            continue          # an empty cell of a partly filled row: left unscored
        result.cells_changed += _write(store, work, live, tasks[task_id], value, expert, 1)
    if row.gender is not None:
        db["students"].update(participant["student_id"], {"gender": row.gender})
