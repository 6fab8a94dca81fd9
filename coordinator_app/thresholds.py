"""The analysis thresholds (OBJECTIVITY.md §2, §3): every number the «Анализ» step compares with is a
setting with its default, unit and source. The coordinator changes them; a municipality hands its
own values to its schools as a file, and a value taken from such a file is marked «изменено
муниципалитетом».

Only changed values are stored (`analysis_thresholds`); a key without a row has its default. Some
thresholds have no default (the municipal corridor, seed 004 gives no number): unset, their
indicator is not computed.

The exchange file is JSON, not XLSX: it carries the values exactly (no decimal comma, no cell
formatting, no formula or date conversion by Excel), with their sources and a format version, it
reads in Notepad, and importing it needs no Office parser (nothing to unpack, no size guard).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store, now_iso

FILE_FORMAT = "vpr-coordinator-thresholds"
FILE_VERSION = 1
MAX_FILE_BYTES = 1 << 20
MAX_SOURCE = 300


@dataclass(frozen=True)
class ThresholdDef:
    key: str
    title: str                  # what it is, in Russian
    unit: str                   # «чел.», «%», «п.п.», «б.», «» …
    default: float | None       # None: no default (not computed until set)
    source: str                 # where the default comes from (OBJECTIVITY.md tags)
    low: float                  # the range a value may take
    high: float
    integer: bool = False


#: Russian title and allowed range of each field of `analysis.model.Thresholds` (which holds its
#: default, unit and source): the one list of the analysis's thresholds.
_CORE: dict[str, tuple[str, float, float]] = {
    "reliable_n": ("Группа «информативно» — от", 2, 10000),
    "approximate_n": ("Группа «приблизительно» — от", 2, 10000),
    "limited_n": ("Группа «ограниченно» — от", 1, 10000),
    "alpha": ("Уровень значимости на границах отметок (α)", 0.0001, 0.5),
    "boundaries_corrected": ("Поправка Бонферрони: α делится на", 1, 100),
    "basic_green": ("Задания Б: «достаточно» — от", 0, 100),
    "basic_red": ("Задания Б: «недостаточно» — ниже", 0, 100),
    "advanced_green": ("Задания П и В: «достаточно» — от", 0, 100),
    "advanced_red": ("Задания П и В: «недостаточно» — ниже", 0, 100),
    "not_confirmed_pct": ("«Не подтвердили» — признак для перепроверки, более", 0, 100),
    "journal_gap": ("Расхождение с журналом — от", 1, 3),
    "crossing_pp": ("Пересечение групп по отметкам — более", 0, 100),
    "group_min_n": ("Группа по отметке — не меньше", 2, 1000),
    "crossing_p": ("Пересечение групп: уровень значимости", 0.0001, 0.5),
    "permutations": ("Пересечение групп: число перестановок", 100, 100000),
    "permutation_seed": ("Пересечение групп: зерно случайных перестановок", 0, 2**31 - 1),
    "guttman_top_pct": ("Необычный профиль решения: верхняя доля G*", 0.1, 50),
    "guttman_margin": ("Профиль решения: не считать, если решено шагов меньше", 0, 20),
    "inversion_pp": ("«Сложные лучше простых»: разница П/В и Б — от", 0, 100),
    "profile_rho": ("Профиль заданий не похож на эталонный: ρ ниже", -1, 1),
    "profile_min_tasks": ("Сравнение профиля: заданий не меньше", 2, 100),
    "reference_p": ("Выше эталона: уровень значимости", 0.0001, 0.5),
    "reference_pp_45": ("Выше эталона по «4»+«5» — от", 0, 100),
    "reference_pp_5": ("Выше эталона по «5» — от", 0, 100),
    "objective_tolerance": ("«Объективно оценена»: расхождение суммы — не более", 0, 100),
    "objective_target_pct": ("Цель: доля объективно оценённых работ — от", 0, 100),
    "kappa_min_pairs": ("Каппа по заданию — при парах от", 2, 10000),
    "sign_test_below": ("Знаковый тест — при парах меньше", 2, 10000),
    "dynamics_fail_pp": ("Динамика: рост доли «2» за год — от", 0, 100),
    "dynamics_good_pp": ("Динамика: изменение доли «4»+«5» за год — от", 0, 100),
}
_CORRIDOR_SOURCE = "муниципальный коридор [REGIONAL]; по умолчанию не задан"
#: The municipal corridor (`analysis.model.Corridor`): no defaults.
CORRIDOR_KEYS = {"corridor_min2_pct": "min2_pct", "corridor_max4_pct": "max4_pct", "corridor_max5_pct": "max5_pct"}


def _definitions() -> tuple[ThresholdDef, ...]:
    from dataclasses import fields

    from .analysis.model import Thresholds

    result = []
    for f in fields(Thresholds):
        title, low, high = _CORE[f.name]
        result.append(ThresholdDef(f.name, title, f.metadata["unit"], f.default, f.metadata["source"], low, high,
                                   f.type in ("int", int)))
    result += [
        ThresholdDef("corridor_min2_pct", "Коридор: доля «2» — не меньше", "%", None, _CORRIDOR_SOURCE, 0, 100),
        ThresholdDef("corridor_max4_pct", "Коридор: доля «4» — не больше", "%", None, _CORRIDOR_SOURCE, 0, 100),
        ThresholdDef("corridor_max5_pct", "Коридор: доля «5» — не больше", "%", None, _CORRIDOR_SOURCE, 0, 100),
        ThresholdDef("recheck_random_pct", "Случайная часть перепроверки — не меньше", "%", 1,
                     "Семя 004 §6.4: не менее 1 % работ", 0.1, 100),
    ]
    return tuple(result)


DEFINITIONS = _definitions()
BY_KEY = {d.key: d for d in DEFINITIONS}


@dataclass(frozen=True)
class Threshold:
    """One threshold as the program uses it now."""

    definition: ThresholdDef
    value: float | None
    source: str
    changed: bool               # differs from the program's default (stored)
    municipal: bool             # taken from a municipality's file
    changed_at: str | None

    @property
    def key(self) -> str:
        return self.definition.key

    def as_dict(self) -> dict[str, Any]:
        d = self.definition
        return {"key": d.key, "title": d.title, "value": self.value, "unit": d.unit, "source": self.source,
                "default": d.default, "default_source": d.source, "changed": self.changed,
                "municipal": self.municipal, "changed_at": self.changed_at}


def value_text(value: float | None, unit: str = "") -> str:
    """«57», «28,5», «0,05 %», «не задано»."""
    if value is None:
        return "не задано"
    text = (f"{value:.6g}" if not float(value).is_integer() else str(int(value))).replace(".", ",")
    return f"{text} {unit}".strip()


def list_thresholds(store: Store) -> list[Threshold]:
    stored = {r["key"]: r for r in store.query("SELECT * FROM analysis_thresholds")}
    result = []
    for d in DEFINITIONS:
        row = stored.get(d.key)
        if row is None:
            result.append(Threshold(d, d.default, d.source, False, False, None))
        else:
            result.append(Threshold(d, row["value"], row["source"] or d.source, True, bool(row["municipal"]),
                                    row["changed_at"]))
    return result


def values(store: Store) -> dict[str, float | None]:
    """{key: current value} for the analysis."""
    return {t.key: t.value for t in list_thresholds(store)}


def _definition(key: str) -> ThresholdDef:
    d = BY_KEY.get(key.strip())
    if d is None:
        raise UserError(f"Порога «{key}» нет. Пороги: {', '.join(BY_KEY)}.")
    return d


def parse_value(d: ThresholdDef, raw: Any) -> float:
    """A typed or read value checked against the threshold's range («28,5» is read as 28.5)."""
    if isinstance(raw, bool):
        raise UserError(f"Порог «{d.title}»: нужно число, а указано «{raw}».")
    try:
        value = float(str(raw).strip().replace(",", ".").rstrip("%").strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise UserError(f"Порог «{d.title}»: нужно число, а указано «{raw}».") from None
    if not math.isfinite(value) or not d.low <= value <= d.high:
        raise UserError(f"Порог «{d.title}»: значение {value_text(value)} вне допустимого "
                        f"({value_text(d.low)}–{value_text(d.high, d.unit)}).")
    if d.integer and not value.is_integer():
        raise UserError(f"Порог «{d.title}»: нужно целое число, а указано {value_text(value)}.")
    return value


def _clean_source(text: str | None) -> str:
    source = " ".join(str(text or "").split())
    if len(source) > MAX_SOURCE:
        raise UserError(f"Источник порога длиннее {MAX_SOURCE} знаков.")
    return source


def set_threshold(store: Store, key: str, value: Any, source: str | None = None) -> Changes:
    """Set one threshold (the coordinator's own value; `source` says where it comes from)."""
    d = _definition(key)
    number = parse_value(d, value)
    text = _clean_source(source) or "изменено координатором"
    old = next(t for t in list_thresholds(store) if t.key == d.key)
    with store.atomic() as db:
        db.execute("INSERT OR REPLACE INTO analysis_thresholds (key, value, source, changed_at, municipal) "
                   "VALUES (?, ?, ?, ?, 0)", [d.key, number, text, now_iso()])
        audit.record(store, "threshold.set", "analysis_thresholds", d.key, old=old.value, new=number, source=text)
    return Changes.of(Topic.THRESHOLDS)


def reset_thresholds(store: Store, key: str | None = None) -> Changes:
    """Back to the program's default: one threshold, or all of them (`key` None)."""
    keys = [_definition(key).key] if key else [r["key"] for r in store.query("SELECT key FROM analysis_thresholds")]
    if not keys:
        return Changes()
    with store.atomic() as db:
        db.execute(f"DELETE FROM analysis_thresholds WHERE key IN ({','.join('?' * len(keys))})", keys)
        audit.record(store, "threshold.reset", "analysis_thresholds", key, keys=keys)
    return Changes.of(Topic.THRESHOLDS)


def export_thresholds(store: Store, path: Path | str, issued_by: str = "") -> Path:
    """Write every threshold (value, unit, source, default, changed) to a JSON file."""
    from .fsutil import atomic_write_bytes

    path = Path(path)
    data = {"format": FILE_FORMAT, "version": FILE_VERSION, "issued_by": issued_by, "written_at": now_iso(),
            "thresholds": [t.as_dict() for t in list_thresholds(store)]}
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    return path


@dataclass(frozen=True)
class ThresholdImport:
    changed: list[str]          # keys set from the file
    defaults: list[str]         # keys the file keeps at the program's default
    ignored: list[str]          # keys this program does not know (a newer program's file)
    changes: Changes

    def summary(self) -> str:
        text = f"Пороги из файла муниципалитета приняты: изменено {len(self.changed)}, по умолчанию {len(self.defaults)}."
        if self.ignored:
            text += f" Неизвестные этой версии программы пропущены: {', '.join(self.ignored)}."
        return text


def _read_file(path: Path) -> list[dict[str, Any]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"Файл «{path.name}» слишком большой для файла порогов.")
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"Файл «{path}» не найден.") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise UserError(f"Файл «{path.name}» — не файл порогов ВПР-Координатора (ожидается .json, выгруженный "
                        "командой «Экспорт порогов»).") from None
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT or not isinstance(data.get("thresholds"), list):
        raise UserError(f"Файл «{path.name}» — не файл порогов ВПР-Координатора.")
    if not isinstance(data.get("version"), int) or data["version"] > FILE_VERSION:
        raise UserError(f"Файл «{path.name}» записан более новой версией программы. Обновите программу.")
    return [item for item in data["thresholds"] if isinstance(item, dict)]


def _plan(items: list[dict[str, Any]]) -> tuple[dict[str, tuple[float, str]], list[str], list[str]]:
    """({key: (value, source)} to store, keys at their default, unknown keys); `UserError` naming
    every bad value."""
    chosen: dict[str, tuple[float, str]] = {}
    defaults: list[str] = []
    ignored: list[str] = []
    problems: list[str] = []
    for item in items:
        key = str(item.get("key", ""))
        d = BY_KEY.get(key)
        if d is None:
            ignored.append(key)
            continue
        if item.get("value") is None:
            if d.default is None:
                defaults.append(key)
                continue
            problems.append(f"«{d.title}»: значение не указано")
            continue
        try:
            value = parse_value(d, item["value"])
            source = _clean_source(item.get("source")) or "файл муниципалитета"
        except UserError as err:
            problems.append(err.message)
            continue
        if value == d.default:
            defaults.append(key)
        else:
            chosen[key] = (value, source)
    if problems:
        raise UserError("Пороги из файла не приняты: ничего не изменено.", details=problems)
    return chosen, defaults, ignored


def import_thresholds(store: Store, path: Path | str) -> ThresholdImport:
    """Take a municipality's thresholds, all or nothing: a value differing from the default is stored
    as «изменено муниципалитетом»; one equal to it puts the default back. Thresholds missing from the
    file keep their values."""
    path = Path(path)
    chosen, defaults, ignored = _plan(_read_file(path))
    stamp = now_iso()
    with store.atomic() as db:
        if defaults:
            db.execute(f"DELETE FROM analysis_thresholds WHERE key IN ({','.join('?' * len(defaults))})", defaults)
        for key, (value, source) in chosen.items():
            db.execute("INSERT OR REPLACE INTO analysis_thresholds (key, value, source, changed_at, municipal) "
                       "VALUES (?, ?, ?, ?, 1)", [key, value, source, stamp])
        audit.record(store, "threshold.import", "analysis_thresholds", None, file=path.name,
                     values={k: v for k, (v, _) in chosen.items()}, defaults=defaults)
    return ThresholdImport(sorted(chosen), defaults, ignored, Changes.of(Topic.THRESHOLDS))


def model(store: Store) -> Any:
    """The current thresholds as the analysis takes them (`analysis.model.Thresholds`)."""
    from .analysis.model import Thresholds

    current = values(store)
    kwargs: dict[str, Any] = {}
    for d in DEFINITIONS:
        if d.key in _CORE:
            value = current[d.key]
            kwargs[d.key] = int(value) if d.integer and value is not None else value
    return Thresholds(**kwargs)


def corridor(store: Store) -> Any:
    """The municipal corridor (`analysis.model.Corridor`), or None when none of it is set."""
    from .analysis.model import Corridor

    current = values(store)
    given = {field: current[key] for key, field in CORRIDOR_KEYS.items() if current[key] is not None}
    return Corridor(**given) if given else None
