"""The results form for ФИС ОКО: the work's template filled in place (or a generated form of the
same structure when there is no template), checked against the template's own lists first.

A form ФИС ОКО would reject is not written: the coordinator gets every problem (code, column,
value, why). Names never go into the form: it carries codes, variants, task values, the class
ordinal, gender and the journal mark only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .attachments import textbooks as class_textbooks
from .classes import list_classes
from .errors import UserError
from .fsutil import sha256_file
from .scoring import score_sheet
from .storage import Store, now_iso
from .works import get_work


@dataclass
class FormExportResult:
    path: Path
    rows: int
    from_template: bool
    sha256: str
    warnings: list[str] = field(default_factory=list)   # written anyway, but worth a look

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "rows": self.rows, "from_template": self.from_template, "sha256": self.sha256,
                "warnings": self.warnings}


def form_rows(store: Store, work_id: int) -> list[Any]:
    """The work's final results as the form's rows (`FormRowData`), in the protocol's order."""
    from .formats.fisoko.check import (
        FormRowData,  # start-up: the form's modules load openpyxl
    )

    work = get_work(store, work_id)
    ordinals = {c.id: c.ordinal for c in list_classes(store, grade=work.grade)}
    has_mark = bool((work.template_info or {}).get("has_journal_mark", True))
    return [FormRowData(
        code=row.code, absent=row.absent, variants=row.variants, scores=row.scores,
        class_ordinal=ordinals.get(row.class_id), gender=row.gender if work.has_gender else None,
        journal_mark=row.journal_mark if has_mark else None,
    ) for row in score_sheet(store, work_id, final=True, experts=False)]


def export_form(store: Store, work_id: int, out: Path | str, *, template: Path | str | None = None,
                progress: Callable[[int, int], None] | None = None) -> FormExportResult:
    """The work's results written into its ФИС ОКО form `out` (the template filled, or a form
    of the same structure built), recorded with its audit entry."""
    from .formats.fisoko.blank import (
        generate_form,  # start-up: the form's modules load openpyxl
    )
    from .formats.fisoko.fill import fill_template

    work = get_work(store, work_id)
    out = Path(out)
    rows = form_rows(store, work_id)
    if not rows:
        raise UserError(f"У работы «{work.title}» ещё нет участников: сначала выдайте коды.")
    books = _textbooks_by_ordinal(store, work) or None
    source = _template_source(store, work, template)
    if source is not None:
        fill_template(source, out, rows, textbooks=books, progress=progress)
    else:
        generate_form(out, _form_spec(work), rows, textbooks=books, progress=progress)
    result = FormExportResult(out, len(rows), source is not None, sha256_file(out))
    result.warnings += _missing_textbooks(store, work)
    _record(store, work_id, result)
    return result


def _textbooks_by_ordinal(store: Store, work: Any) -> dict[int, str]:
    """{class ordinal: textbook} of the work's classes that have both."""
    ordinals = {c.id: c.ordinal for c in list_classes(store, grade=work.grade)}
    return {ordinals[cid]: book for cid, book in class_textbooks(store, work.id).items()
            if cid in ordinals}


def _template_source(store: Store, work: Any, template: Path | str | None) -> Path | None:
    """The template to fill: the one given, else the work's stored one, else None (generate)."""
    source = Path(template) if template else (store.path(work.template_file) if work.template_file else None)
    if source is not None and not source.is_file():
        raise UserError(f"Шаблон формы «{source}» не найден.")
    return source


def _form_spec(work: Any) -> Any:
    """The work's definition as the blank form's `FormSpec`."""
    from .formats.fisoko.blank import (
        FormSpec,  # start-up: the form's modules load openpyxl
    )

    info = work.template_info or {}
    return FormSpec(grade=work.grade, tasks=[(t.task_id, t.max_score, t.part) for t in work.tasks],
                    parts=work.parts, has_gender=work.has_gender, allows_not_passed=work.allows_not_passed,
                    has_journal_mark=bool(info.get("has_journal_mark", True)),
                    code_range=tuple(info["code_range"]) if info.get("code_range") else None,
                    textbooks=list(info.get("textbooks") or []))


def _missing_textbooks(store: Store, work: Any) -> list[str]:
    """A warning naming the classes without a textbook, when the form has a «Классы» sheet."""
    if not work.has_classes_sheet:
        return []
    by_id = class_textbooks(store, work.id)
    missing = [name for class_id, name in work.classes if not by_id.get(class_id)]
    if not missing:
        return []
    return ["Не выбран учебник для классов: " + ", ".join(missing) + ". Лист «Классы» формы для них "
            "не заполнен; выберите учебник (на странице «Выгрузка» или командой set-textbook) и выгрузите "
            "форму ещё раз."]


def _record(store: Store, work_id: int, result: FormExportResult) -> None:
    """The export's row and its audit record, in one transaction."""
    with store.atomic() as db:
        db["exports"].insert({"kind": "form", "work_id": work_id, "target": str(result.path), "files": 1,
                              "manifest_sha256": result.sha256, "at": now_iso(), "actor": store.actor,
                              "details": json.dumps({"rows": result.rows,
                                                     "from_template": result.from_template})})
        audit.record(store, "export.form", "works", work_id, file=str(result.path), rows=result.rows,
                     sha256=result.sha256, from_template=result.from_template)
