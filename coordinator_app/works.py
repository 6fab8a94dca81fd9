"""Works: one ВПР (subject, grade, date, classes, parts, tasks with maxima, score → mark scale).

A work is created by hand, from the bundled catalogue, or from the ФИС ОКО result-form template
the coordinator downloaded; the template file is kept with the work to be filled later.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes, Topic
from .classes import find_class
from .errors import UserError
from .fsutil import atomic_copy
from .names import class_display, normalize_class_name
from .qr_payload import new_work_key
from .school_years import require_open, require_open_date
from .storage import Store, now_iso
from .students import NeedsConfirmation
from .task_levels import ValueProblem, clean_requirement, parse_level
from .words import counted

MARKS = ("3", "4", "5")
_LATIN_TO_CYR = str.maketrans({"K": "К", "k": "К", "к": "К"})


@dataclass
class TaskDef:
    task_id: str
    max_score: int
    part: int = 1
    level: str | None = None           # «Б», «П», «В»; None: not known
    open_answer: bool | None = None    # scored by an expert's judgement («развёрнутый ответ»); None: not known
    requirement: str = ""              # the checked requirement («проверяемое умение»)


@dataclass
class WorkDef:
    """Everything needed to create a work; `validate_work` normalises and checks it."""

    subject: str
    grade: int
    work_date: dt.date
    tasks: list[TaskDef]
    parts: int = 1
    scale: list[int] | None = None         # lowest score for «3», «4», «5»
    classes: list[str] = field(default_factory=list)
    source: str = "manual"
    template_path: Path | None = None
    template_info: dict[str, Any] | None = None
    has_gender: bool = False
    has_classes_sheet: bool = False
    allows_not_passed: bool = False
    pages_per_work: int | None = None      # pages of one participant's work (None: not set)

    @property
    def max_total(self) -> int:
        return sum(t.max_score for t in self.tasks)


@dataclass
class Work:
    id: int
    work_key: str
    subject: str
    grade: int
    work_date: dt.date
    parts: int
    scale: list[int] | None
    source: str
    tasks: list[TaskDef]
    classes: list[tuple[int, str]]          # (class id, "4А")
    template_file: str | None
    template_info: dict[str, Any] | None
    has_gender: bool
    has_classes_sheet: bool
    allows_not_passed: bool
    pages_per_work: int | None = None

    @property
    def max_total(self) -> int:
        return sum(t.max_score for t in self.tasks)

    @property
    def title(self) -> str:
        return f"{self.subject}, {self.grade} класс, {self.work_date:%d.%m.%Y}"

    def mark_for(self, total: int) -> str | None:
        return mark_for(self.scale, total)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.work_key,
            "subject": self.subject,
            "grade": self.grade,
            "date": self.work_date.isoformat(),
            "parts": self.parts,
            "tasks": [{"id": t.task_id, "max": t.max_score, "part": t.part, "level": t.level,
                       "open": t.open_answer, "requirement": t.requirement or None} for t in self.tasks],
            "max_total": self.max_total,
            "scale": self.scale,
            "classes": [name for _, name in self.classes],
            "source": self.source,
            "has_template": bool(self.template_file),
            "has_gender": self.has_gender,
            "allows_not_passed": self.allows_not_passed,
            "pages_per_work": self.pages_per_work,
        }


#: The most pages one participant's work may be set to have.
MAX_PAGES_PER_WORK = 50


def mark_for(scale: list[int] | None, total: int) -> str | None:
    if not scale:
        return None
    mark = "2"
    for threshold, name in zip(scale, MARKS):
        if total >= threshold:
            mark = name
    return mark


# -- parsing of the CLI / dialog notations ----------------------------------------------------


def normalize_task_id(raw: str) -> str:
    return re.sub(r"\s+", "", str(raw)).translate(_LATIN_TO_CYR)


def parse_tasks_spec(spec: str) -> list[TaskDef]:
    """`"1:2,2:1,9.1:1"`; a `|` starts part 2: `"1:1,2:1|10:1,11:2"`."""
    tasks: list[TaskDef] = []
    problems: list[str] = []
    for part_no, part_spec in enumerate(spec.split("|"), start=1):
        for item in filter(None, (x.strip() for x in part_spec.split(","))):
            task_id, sep, max_text = item.rpartition(":")
            if not sep or not task_id.strip():
                problems.append(f"«{item}»: ожидается номер задания и максимум через двоеточие, например 9.1:2")
                continue
            try:
                max_score = int(max_text)
            except ValueError:
                problems.append(f"«{item}»: максимум «{max_text}» — не целое число")
                continue
            tasks.append(TaskDef(normalize_task_id(task_id), max_score, part_no))
    if problems:
        raise UserError("Список заданий записан неверно.", details=problems)
    return tasks


def parse_scale(text: str | None) -> list[int] | None:
    if text is None or not str(text).strip():
        return None
    try:
        return [int(x) for x in re.split(r"[,;\s]+", str(text).strip())]
    except ValueError as err:
        raise UserError(f"Шкала «{text}» записана неверно: три числа через запятую, например 10,16,21.") from err


def parse_date(text: str) -> dt.date:
    text = str(text).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UserError(f"Дата «{text}» записана неверно: ожидается ГГГГ-ММ-ДД или ДД.ММ.ГГГГ.")


# -- validation --------------------------------------------------------------------------------


def _task_problems(tasks: list[TaskDef], source: str = "manual") -> list[str]:
    """Each task needs a number of its own, a positive maximum and a part 1 or 2. Only a past work
    known from «Статистика по отметкам» alone (source «results») may have no tasks yet."""
    problems: list[str] = []
    if not tasks and source != "results":
        problems.append("В работе нет ни одного задания.")
    seen: set[str] = set()
    for t in tasks:
        if not t.task_id:
            problems.append("У задания пустой номер.")
        elif t.task_id in seen:
            problems.append(f"Задание «{t.task_id}» указано дважды: номера заданий не должны повторяться.")
        seen.add(t.task_id)
        if t.max_score <= 0:
            problems.append(f"Задание «{t.task_id}»: максимальный балл должен быть положительным, а указан {t.max_score}.")
        if t.part not in (1, 2):
            problems.append(f"Задание «{t.task_id}»: часть {t.part} — у работы бывает одна или две части.")
    return problems


def _scale_problems(scale: list[int] | None, max_total: int) -> list[str]:
    """The scale: three thresholds, rising, above 0, the «5» one reachable."""
    if scale is None:
        return []
    if len(scale) != 3:
        return ["Шкала перевода: нужны три порога — наименьший балл для «3», «4» и «5»."]
    problems = []
    if any(b <= a for a, b in zip(scale, scale[1:])) or scale[0] <= 0:
        problems.append(
            f"Шкала перевода {scale[0]}/{scale[1]}/{scale[2]}: пороги «3» < «4» < «5» должны возрастать и быть больше 0."
        )
    if scale[-1] > max_total:
        problems.append(f"Шкала перевода: порог «5» ({scale[-1]}) больше максимального балла работы ({max_total}).")
    return problems


def _clean_classes(raw_classes: list[str], grade: int, problems: list[str]) -> list[str]:
    """The work's classes as displayed, each once; a class not recognised or of another grade is
    added to `problems`."""
    classes: list[str] = []
    for raw in raw_classes:
        try:
            class_grade, letter = normalize_class_name(raw)
        except UserError as err:
            problems.append(str(err))
            continue
        if class_grade != grade:
            problems.append(f"Класс {class_display(class_grade, letter)} не из {grade}-й параллели.")
        name = class_display(class_grade, letter)
        if name not in classes:
            classes.append(name)
    return classes


def _parts(given: int, tasks: list[TaskDef]) -> int:
    """The work's parts: as its tasks have them (a second part asked for needs a task in it)."""
    parts = max((t.part for t in tasks), default=1)
    if given == 2 and parts == 1:
        parts = 2 if any(t.part == 2 for t in tasks) else 1
    return parts


def _pages_problems(pages: Any) -> list[str]:
    if pages is not None and not (isinstance(pages, int) and 1 <= pages <= MAX_PAGES_PER_WORK):
        return [f"Страниц в работе одного участника — от 1 до {MAX_PAGES_PER_WORK}, а указано {pages}."]
    return []


def _clean_task(task: TaskDef, problems: list[str]) -> TaskDef:
    """The task with its number normalised and its level and requirement checked."""
    task_id = normalize_task_id(task.task_id)
    try:
        level = parse_level(task.level)
        requirement = clean_requirement(task.requirement)
    except ValueProblem as err:
        problems.append(f"Задание «{task_id}»: {err}.")
        level, requirement = None, ""
    open_answer = None if task.open_answer is None else bool(task.open_answer)
    return TaskDef(task_id, int(task.max_score), int(task.part), level, open_answer, requirement)


def validate_work(defn: WorkDef) -> WorkDef:
    problems: list[str] = []
    subject = " ".join(defn.subject.split())
    if not subject:
        problems.append("Укажите предмет.")
    if not 4 <= int(defn.grade) <= 11:
        problems.append(f"Параллель {defn.grade}: ВПР пишут в 4–11 классах.")
    tasks = [_clean_task(t, problems) for t in defn.tasks]
    problems += _task_problems(tasks, defn.source)
    parts = _parts(defn.parts, tasks)
    scale = list(defn.scale) if defn.scale else None
    problems += _scale_problems(scale, sum(t.max_score for t in tasks if t.max_score > 0))
    classes = _clean_classes(defn.classes, int(defn.grade), problems)
    pages = defn.pages_per_work
    problems += _pages_problems(pages)
    if problems:
        raise UserError("Работа не сохранена.", details=problems)
    return WorkDef(
        subject=subject, grade=int(defn.grade), work_date=defn.work_date, tasks=tasks, parts=parts,
        scale=scale, classes=classes, source=defn.source, template_path=defn.template_path,
        template_info=defn.template_info, has_gender=defn.has_gender,
        has_classes_sheet=defn.has_classes_sheet, allows_not_passed=defn.allows_not_passed,
        pages_per_work=pages,
    )


def unknown_columns_notice(template_info: dict[str, Any] | None) -> str:
    """The Russian notices about the template ("" if none): columns this program does not know,
    and results the file already holds."""
    info = template_info or {}
    notes = []
    unknown = list(info.get("unknown_columns") or [])
    if unknown:
        notes.append("В форме есть столбцы, которых программа не знает: " + "; ".join(unknown)
                     + ". Они не заполняются и не читаются; если в них нужны данные, впишите их в Excel.")
    filled = int(info.get("filled_rows") or 0)
    if filled:
        notes.append(f"В файле уже есть результаты ({counted(filled, 'участник', 'участника', 'участников')}). "
                     "Работа создана по его заголовкам, а сохранённый шаблон при выгрузке заполняется "
                     "заново. Чтобы перенести эти результаты в программу, после выдачи кодов "
                     "импортируйте файл: кнопка «Импорт формы…» на странице «Проверка» "
                     "или команда import-form ФАЙЛ --work НОМЕР.")
    return " ".join(notes)


def work_from_template(
    path: Path | str, *, subject: str, work_date: dt.date, grade: int | None = None,
    classes: list[str] | None = None, scale: list[int] | None = None,
) -> WorkDef:
    """Read the ФИС ОКО template's header into a work definition (not yet saved)."""
    from .formats.fisoko.template import read_template  # start-up: the template reader loads openpyxl

    info = read_template(path)
    if grade is None:
        if info.grade is None:
            raise UserError("По шаблону не удалось определить параллель: укажите её.")
        grade = info.grade
    elif info.grade is not None and info.grade != grade and not (grade >= 10 and info.grade == 1):
        raise UserError(
            f"Шаблон рассчитан на коды {info.code_range[0]}–{info.code_range[1]} ({info.grade} класс), "
            f"а указан {grade} класс. Проверьте, тот ли шаблон выбран."
        )
    template_info = {
        "code_range": list(info.code_range) if info.code_range else None,
        "has_journal_mark": info.journal_mark_column is not None,
        "textbooks": info.textbooks,
        "file_name": Path(path).name,
        "unknown_columns": info.unknown_columns,
        "filled_rows": info.filled_rows,
    }
    return WorkDef(
        subject=subject, grade=grade, work_date=work_date,
        tasks=[TaskDef(t.task_id, t.max_score, t.part) for t in info.tasks],
        parts=info.parts, scale=scale, classes=list(classes or []), source="template",
        template_path=Path(path), template_info=template_info,
        has_gender=info.gender_column is not None, has_classes_sheet=info.has_classes_sheet,
        allows_not_passed=info.allows_not_passed,
    )


# -- persistence -------------------------------------------------------------------------------


def _class_ids(store: Store, names: list[str]) -> list[int]:
    """Ids of existing classes; a work never creates classes (a typo would make an empty one)."""
    ids, missing = [], []
    for name in names:
        class_id = find_class(store, name)
        if class_id is None:
            missing.append(name)
        else:
            ids.append(class_id)
    if missing:
        raise UserError(
            f"Классов {', '.join(missing)} нет в программе. Сначала импортируйте списки учеников "
            "или добавьте классы на странице «Классы и ученики»."
        )
    return ids


def _insert_tasks(db: Any, work_id: int, tasks: list[TaskDef]) -> None:
    """A work's tasks in their order (a new work's, or a past work's that had none)."""
    db["work_tasks"].insert_all(
        {"work_id": work_id, "position": i, "task_id": t.task_id, "max_score": t.max_score, "part": t.part,
         "level": t.level, "open_answer": None if t.open_answer is None else int(t.open_answer),
         "requirement": t.requirement or None}
        for i, t in enumerate(tasks, start=1)
    )


def add_past_work_tasks(store: Store, work_id: int, tasks: list[TaskDef], scale: list[int] | None) -> None:
    """The tasks (and, if the work has none, the scale) of a past work created without them, from
    its «Индивидуальные результаты» imported later. Runs inside the caller's transaction."""
    problems: list[str] = []
    clean = [_clean_task(t, problems) for t in tasks]
    problems += _task_problems(clean)
    if problems:
        raise UserError("Задания работы не сохранены.", details=problems)
    db = store.db
    _insert_tasks(db, work_id, clean)
    db.execute("UPDATE works SET parts = ?, scale = COALESCE(scale, ?), updated_at = ? WHERE id = ?",
               [_parts(1, clean), json.dumps(scale) if scale else None, now_iso(), work_id])


def create_work(store: Store, defn: WorkDef) -> tuple[int, Changes]:
    clean = validate_work(defn)
    if clean.source != "results":          # a past work imported from ФИС ОКО belongs to a past year
        require_open_date(store, clean.work_date)
    _class_ids(store, clean.classes)  # refuse unknown classes before copying any file
    same = store.one("SELECT id FROM works WHERE subject = ? AND grade = ? AND work_date = ?",
                     [clean.subject, clean.grade, clean.work_date.isoformat()])
    if same is not None:
        raise UserError(f"Такая работа уже есть: № {same['id']} — «{get_work(store, same['id']).title}». "
                        "Откройте её (или измените дату, если это другая работа).")
    key = new_work_key()
    while store.scalar("SELECT 1 FROM works WHERE work_key = ?", [key]):
        key = new_work_key()
    template_rel = template_sha = None
    if clean.template_path is not None:
        template_rel = f"templates/{key}.xlsx"
        template_sha = atomic_copy(clean.template_path, store.path(template_rel))
    stamp = now_iso()
    try:
        with store.atomic() as db:
            work_id = db["works"].insert({
                "work_key": key, "subject": clean.subject, "grade": clean.grade,
                "work_date": clean.work_date.isoformat(), "parts": clean.parts,
                "scale": json.dumps(clean.scale) if clean.scale else None, "source": clean.source,
                "template_file": template_rel, "template_sha256": template_sha,
                "template_info": json.dumps(clean.template_info, ensure_ascii=False) if clean.template_info else None,
                "has_gender": int(clean.has_gender), "has_classes_sheet": int(clean.has_classes_sheet),
                "allows_not_passed": int(clean.allows_not_passed), "pages_per_work": clean.pages_per_work,
                "created_at": stamp, "updated_at": stamp,
            }).last_pk
            _insert_tasks(db, work_id, clean.tasks)
            for class_id in _class_ids(store, clean.classes):
                db["work_classes"].insert({"work_id": work_id, "class_id": class_id})
            audit.record(
                store, "work.create", "works", work_id, subject=clean.subject, grade=clean.grade,
                date=clean.work_date.isoformat(), source=clean.source, tasks=len(clean.tasks),
                max_total=clean.max_total, classes=clean.classes, template_sha256=template_sha,
            )
    except BaseException:
        if template_rel:
            store.path(template_rel).unlink(missing_ok=True)
        raise
    return int(work_id), Changes.of(Topic.WORKS)


def get_work(store: Store, work_id: int) -> Work:
    row = store.one("SELECT * FROM works WHERE id = ?", [work_id])
    if row is None:
        raise UserError(f"Работа № {work_id} не найдена.")
    tasks = [
        TaskDef(r["task_id"], r["max_score"], r["part"], r["level"],
                None if r["open_answer"] is None else bool(r["open_answer"]), r["requirement"] or "")
        for r in store.query("SELECT * FROM work_tasks WHERE work_id = ? ORDER BY position", [work_id])
    ]
    classes = [
        (r["id"], class_display(r["grade"], r["letter"]))
        for r in store.query(
            """SELECT c.id, c.grade, c.letter FROM work_classes wc JOIN classes c ON c.id = wc.class_id
               WHERE wc.work_id = ? ORDER BY c.letter""",
            [work_id],
        )
    ]
    return Work(
        id=row["id"], work_key=row["work_key"], subject=row["subject"], grade=row["grade"],
        work_date=dt.date.fromisoformat(row["work_date"]), parts=row["parts"],
        scale=json.loads(row["scale"]) if row["scale"] else None, source=row["source"], tasks=tasks,
        classes=classes, template_file=row["template_file"],
        template_info=json.loads(row["template_info"]) if row["template_info"] else None,
        has_gender=bool(row["has_gender"]), has_classes_sheet=bool(row["has_classes_sheet"]),
        allows_not_passed=bool(row["allows_not_passed"]), pages_per_work=row["pages_per_work"],
    )


def list_works(store: Store, year: str | None = None) -> list[Work]:
    """The works in date order; with `year` («2025/2026»), that school year's only."""
    from .school_years import academic_year_of

    rows = store.query("SELECT id, work_date FROM works ORDER BY work_date, grade, subject, id")
    ids = [r["id"] for r in rows
           if year is None or academic_year_of(dt.date.fromisoformat(r["work_date"])) == year]
    return [get_work(store, i) for i in ids]


def works_for_view(store: Store, year: str | None = None) -> list[Work]:
    """What the pages show: the works of school year `year`, or — `None`, the current view — every
    work of a year not closed, except past works imported from ФИС ОКО for years before the current
    one (they are shown under their own year). A school whose year setting lags behind its works'
    dates still sees them all."""
    if year is not None:
        return list_works(store, year)
    from .school_years import academic_year_of, closed_years, current_year

    closed, current = closed_years(store), current_year(store) or ""
    return [w for w in list_works(store)
            if academic_year_of(w.work_date) not in closed
            and not (w.source == "results" and academic_year_of(w.work_date) < current)]


def _check_removed_classes(store: Store, work: Work, clean: WorkDef) -> None:
    """A class leaves a work only while none of its pupils has a code of the work."""
    removed = {n for _, n in work.classes} - set(clean.classes)
    if not removed:
        return
    used = store.scalar(
        f"""SELECT COUNT(*) FROM participants p JOIN classes c ON c.id = p.class_id
            WHERE p.work_id = ? AND (CAST(c.grade AS TEXT) || c.letter) IN ({','.join('?' * len(removed))})""",
        [work.id, *removed],
    )
    if used:
        raise UserError(
            "Нельзя убрать из работы классы, ученикам которых уже выданы коды этой работы: "
            + ", ".join(sorted(removed)) + "."
        )


def _check_date_move(store: Store, work: Work, clean: WorkDef) -> bool:
    """Whether the date moves on a work with stored scans or audio (their keeping is then
    extended); moving it back on such a work is refused."""
    stored = clean.work_date != work.work_date and bool(store.scalar(
        "SELECT EXISTS (SELECT 1 FROM scan_pages WHERE work_id = ?) OR EXISTS (SELECT 1 FROM audio_files WHERE work_id = ?)",
        [work.id, work.id]))
    if stored and clean.work_date < work.work_date:
        # Seed 004 §3.2: scans are kept from the work's date «исключая возможность внесения изменений».
        raise UserError(
            f"Дату работы «{work.title}» нельзя перенести назад: у работы уже есть сканы или аудиозаписи, и срок "
            f"их хранения отсчитывается от даты работы ({work.work_date:%d.%m.%Y}). Перенести дату можно только "
            "вперёд — срок хранения тогда продлится.")
    return stored


def update_work(
    store: Store, work_id: int, *, subject: str | None = None, work_date: dt.date | None = None,
    scale: list[int] | None | bool = False, classes: list[str] | None = None,
    pages_per_work: int | None | bool = False,
) -> Changes:
    """Edit what may change after creation. `scale=False`, `pages_per_work=False` leave them as is."""
    require_open(store, work_id)
    work = get_work(store, work_id)
    defn = WorkDef(
        subject=subject if subject is not None else work.subject, grade=work.grade,
        work_date=work_date or work.work_date, tasks=work.tasks, parts=work.parts,
        scale=work.scale if scale is False else scale,  # type: ignore[arg-type]
        classes=classes if classes is not None else [n for _, n in work.classes],
        pages_per_work=work.pages_per_work if pages_per_work is False else pages_per_work,  # type: ignore[arg-type]
    )
    clean = validate_work(defn)
    _check_removed_classes(store, work, clean)
    stored = _check_date_move(store, work, clean)
    with store.atomic() as db:
        db["works"].update(work_id, {
            "subject": clean.subject, "work_date": clean.work_date.isoformat(),
            "scale": json.dumps(clean.scale) if clean.scale else None, "pages_per_work": clean.pages_per_work,
            "updated_at": now_iso(),
        })
        db.execute("DELETE FROM work_classes WHERE work_id = ?", [work_id])
        for class_id in _class_ids(store, clean.classes):
            db["work_classes"].insert({"work_id": work_id, "class_id": class_id})
        audit.record(
            store, "work.update", "works", work_id,
            old={"subject": work.subject, "date": work.work_date.isoformat(), "scale": work.scale,
                 "classes": [n for _, n in work.classes], "pages_per_work": work.pages_per_work},
            new={"subject": clean.subject, "date": clean.work_date.isoformat(), "scale": clean.scale,
                 "classes": clean.classes, "pages_per_work": clean.pages_per_work},
            **({"retention_extended": True} if stored else {}),
        )
    return Changes.of(Topic.WORKS)


def delete_work(store: Store, work_id: int, *, force: bool = False) -> Changes:
    require_open(store, work_id)
    work = get_work(store, work_id)
    stored = int(store.scalar("SELECT COUNT(*) FROM scan_pages WHERE work_id = ?", [work_id])) + int(
        store.scalar("SELECT COUNT(*) FROM audio_files WHERE work_id = ?", [work_id]))
    if stored:
        raise UserError(
            f"У работы «{work.title}» есть сканы или аудиозаписи ({stored}). Их хранят весь срок хранения; "
            "после него удалите их («Удалить просроченные»), затем работу."
        )
    participants = int(store.scalar("SELECT COUNT(*) FROM participants WHERE work_id = ?", [work_id]))
    if participants and not force:
        raise NeedsConfirmation(
            f"У работы «{work.title}» уже есть протокол ({counted(participants, 'участник', 'участника', 'участников')}). "
            "Удалить работу вместе с протоколом?"
        )
    with store.atomic() as db:
        db.execute("DELETE FROM participants WHERE work_id = ?", [work_id])
        db["works"].delete(work_id)
        audit.record(store, "work.delete", "works", work_id, title=work.title, participants=participants,
                     template_file=work.template_file)
    if work.template_file:
        store.path(work.template_file).unlink(missing_ok=True)
    return Changes.of(Topic.WORKS, Topic.PARTICIPANTS)

