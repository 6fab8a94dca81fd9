"""The school's own details, entered once in the first-run wizard (or `init`)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store, now_iso

LOGIN_RE = re.compile(r"^sch\d{4,8}$")
YEAR_RE = re.compile(r"^(\d{4})\s*[/\-–]\s*(\d{4})$")


@dataclass
class School:
    name: str
    login: str
    municipality: str = ""
    academic_year: str = ""
    director: str = ""


def default_academic_year(today: "date | None" = None) -> str:  # noqa: F821 - doc type
    import datetime as dt

    today = today or dt.date.today()
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}/{start + 1}"


def validate(school: School) -> School:
    """Normalise and check; raises UserError listing every problem."""
    problems: list[str] = []
    name = " ".join(school.name.split())
    if not name:
        problems.append("Укажите название школы.")
    login = school.login.strip().lower()
    if not LOGIN_RE.match(login):
        problems.append(
            f"Логин ФИС ОКО «{school.login.strip()}» не похож на логин школы: "
            "ожидается sch и цифры, например sch123456."
        )
    year = school.academic_year.strip() or default_academic_year()
    match = YEAR_RE.match(year)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        problems.append(f"Учебный год «{year}» указан неверно: ожидается, например, 2025/2026.")
    else:
        year = f"{match.group(1)}/{match.group(2)}"
    if problems:
        raise UserError("Сведения о школе не сохранены.", details=problems)
    return School(
        name=name,
        login=login,
        municipality=" ".join(school.municipality.split()),
        academic_year=year,
        director=" ".join(school.director.split()),
    )


def get_school(store: Store) -> School | None:
    row = store.one("SELECT name, login, municipality, academic_year, director FROM school WHERE id = 1")
    return School(**row) if row else None


def require_school(store: Store) -> School:
    school = get_school(store)
    if school is None:
        raise UserError("Сначала укажите сведения о школе (мастер первого запуска или команда init).")
    return school


def save_school(store: Store, school: School) -> Changes:
    clean = validate(school)
    old = get_school(store)
    if old is not None and clean.academic_year != old.academic_year and store.scalar(
            "SELECT 1 FROM school_years WHERE year = ? AND closed_at IS NOT NULL", [clean.academic_year]):
        raise UserError(f"Учебный год {clean.academic_year} закрыт: вернуться в него нельзя. Его работы "
                        "открываются только для просмотра (выбор года в окне программы).")
    stamp = now_iso()
    with store.atomic() as db:
        if old is None:
            db["school"].insert({"id": 1, **asdict(clean), "created_at": stamp, "updated_at": stamp})
            audit.record(store, "school.create", "school", 1, **asdict(clean))
        else:
            db["school"].update(1, {**asdict(clean), "updated_at": stamp})
            audit.record(store, "school.update", "school", 1, changed=audit.diff(asdict(old), asdict(clean)))
    return Changes.of(Topic.SCHOOL)
