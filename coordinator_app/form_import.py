"""Import of a filled ФИС ОКО form into a work: every cell validated, all or nothing.

Schools often type scores straight into the form. The file is read and checked by
`imports.filled_form` (values against the work's maxima and lists, codes against the protocol),
then checked against the store (class ordinals), and only a form without a single problem is
written: variants, absence, task values (round 1), journal marks and gender, in one transaction,
each changed cell audited with its old and new value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes
from .classes import list_classes
from .errors import UserError
from .scoring import SCORES, _write
from .storage import Store
from .works import get_work


@dataclass
class FormImportResult:
    rows: int = 0
    present: int = 0
    absent: int = 0
    cells_changed: int = 0
    not_in_form: list[str] = field(default_factory=list)     # protocol codes the form does not mention
    changes: Changes = field(default_factory=Changes)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "present": self.present, "absent": self.absent,
                "cells_changed": self.cells_changed, "not_in_form": self.not_in_form}

    def summary(self) -> str:
        text = (f"Форма импортирована: строк {self.rows} (писали {self.present}, отсутствовали {self.absent}); "
                f"изменено значений: {self.cells_changed}.")
        if self.not_in_form:
            text += f" В форме нет участников протокола: {', '.join(self.not_in_form[:20])}" + (
                " …" if len(self.not_in_form) > 20 else "") + "."
        return text


def import_form(store: Store, work_id: int, path: Path | str, *, expert: str | None = None,
                partial: bool = False) -> FormImportResult:
    """A filled form into the work, all or nothing. `partial`: rows whose task cells are partly
    empty are imported too; their empty cells stay as they are (unscored) instead of being an
    error."""
    from .imports.filled_form import read_filled_form

    work = get_work(store, work_id)
    participants = {r["code"]: r for r in store.query(
        "SELECT id, code, class_id, student_id, absent FROM participants WHERE work_id = ?", [work_id])}
    if not participants:
        raise UserError(f"У работы «{work.title}» ещё нет протокола: сначала выдайте коды.")
    form = read_filled_form(Path(path), tasks=[(t.task_id, t.max_score, t.part) for t in work.tasks],
                            parts=work.parts, allows_not_passed=work.allows_not_passed,
                            known_codes=set(participants))
    if partial:
        form.problems = [p for p in form.problems if p.reason != "не заполнено"]
    problems = [p.text() for p in form.problems]
    ordinals = {c.id: (c.ordinal, c.name) for c in list_classes(store, grade=work.grade)}
    for row in form.rows:
        participant = participants.get(row.code)
        if participant is None or row.class_ordinal is None:
            continue
        ordinal, name = ordinals.get(participant["class_id"], (None, "?"))
        if ordinal is not None and row.class_ordinal != ordinal:
            problems.append(f"строка {row.row}, код {row.code}: порядковый номер класса {row.class_ordinal}, "
                            f"а участник — из класса {name} (№ {ordinal})")
    unknown = [p for p in form.problems if p.reason == "кода нет в протоколе работы"]
    if unknown and len(unknown) * 2 >= len(form.rows):
        # Most codes are unknown: the file is right and the program's codes differ (the school
        # gave out ФИС ОКО's codes or a paper protocol's). Editing the file is the wrong advice.
        raise UserError(
            f"Коды в форме не совпадают с протоколом работы «{work.title}» в программе: {len(unknown)} из "
            f"{len(form.rows)} кодов формы в нём нет. Если коды выдавали по списку ФИС ОКО или по бумажному "
            "протоколу, загрузите их в программу: команда import-codes ФАЙЛ_ПРОТОКОЛА --work "
            f"{work.id} (или import-codes с этой формой, если в ней есть ФИО), затем повторите импорт формы. "
            "В программе ничего не изменено.", details=problems)
    if problems:
        raise UserError(f"Форма не импортирована: ошибок — {len(problems)}. Исправьте их в файле и повторите; "
                        "в программе ничего не изменено.", details=problems)
    result = FormImportResult(rows=len(form.rows))
    tasks = {t.task_id: t for t in work.tasks}
    with store.atomic() as db:
        for row in form.rows:
            participant = participants[row.code]
            if row.absent:
                result.absent += 1
                for task in work.tasks:
                    result.cells_changed += _write(store, work, {**participant, "absent": False}, task, None, expert, 1)
                if not participant["absent"]:
                    db["participants"].update(participant["id"], {"absent": 1})
                    result.cells_changed += 1
                continue
            result.present += 1
            update: dict[str, Any] = {"absent": 0}
            for part, variant in row.variants.items():
                update[f"variant{part}"] = variant
            if row.journal_mark is not None:
                update["journal_mark"] = row.journal_mark
            db["participants"].update(participant["id"], update)
            live = {**participant, "absent": False}
            for task_id, value in row.scores.items():
                if partial and value is None:
                    continue          # an empty cell of a partly filled row: left unscored
                result.cells_changed += _write(store, work, live, tasks[task_id], value, expert, 1)
            if row.gender is not None:
                db["students"].update(participant["student_id"], {"gender": row.gender})
        audit.record(store, "form.import", "works", work_id, file=Path(path).name, **result.as_dict())
    mentioned = {r.code for r in form.rows}
    result.not_in_form = sorted((c for c in participants if c not in mentioned), key=int)
    result.changes = Changes.of(SCORES, "participants")
    return result
