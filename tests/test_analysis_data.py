"""The analysis's data (issue 14): task levels, «развёрнутый ответ» and requirements; thresholds with
their exchange file; reference rows; migration 9 from a version-8 store keeping everything."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from coordinator_app import catalogue, references, thresholds
from coordinator_app.backup import verify_store
from coordinator_app.catalogue import get_entry
from coordinator_app.errors import UserError
from coordinator_app.storage import DB_NAME, Store, open_store
from coordinator_app.task_info import TaskInfo, import_tasks, set_task, set_tasks
from coordinator_app.works import TaskDef, WorkDef, create_work, delete_work, get_work


@pytest.fixture
def work_id(school_store: Store) -> int:
    work, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date(2026, 4, 21),
                                                [TaskDef("1", 2), TaskDef("2", 1), TaskDef("9.1", 1), TaskDef("4К1", 3)]))
    return work


def _task(store: Store, work: int, task_id: str) -> TaskDef:
    return next(t for t in get_work(store, work).tasks if t.task_id == task_id)


# -- tasks ----------------------------------------------------------------------------------------

def test_a_task_gets_its_level_open_answer_and_requirement_with_an_audit_record(school_store, work_id) -> None:
    set_task(school_store, work_id, "9.1", level="повышенный", open_answer="да", requirement="  Умение  читать ")
    task = _task(school_store, work_id, "9.1")
    assert (task.level, task.open_answer, task.requirement) == ("П", True, "Умение читать")
    set_task(school_store, work_id, "9.1", open_answer=None)          # the rest is left as it is
    task = _task(school_store, work_id, "9.1")
    assert (task.level, task.open_answer, task.requirement) == ("П", None, "Умение читать")
    record = school_store.one("SELECT * FROM audit_log WHERE action = 'work.tasks' ORDER BY id DESC")
    assert json.loads(record["details"])["tasks"]["9.1"]["old"]["open"] is True
    assert get_work(school_store, work_id).as_dict()["tasks"][2]["level"] == "П"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"task_id": "13", "level": "Б"}, ["задания «13» в работе нет", "есть: 1, 2, 9.1, 4К1"]),
    ({"task_id": "1", "level": "средний"}, ["уровень «средний» не распознан", "Б (базовый)"]),
    ({"task_id": "1", "level": "B"}, ["латиницей"]),
    ({"task_id": "1", "open_answer": "может быть"}, ["не «да» и не «нет»"]),
    ({"task_id": "1"}, ["Укажите, что изменить"]),
])
def test_a_bad_task_change_is_one_clear_russian_sentence(school_store, work_id, kwargs, words) -> None:
    task_id = kwargs.pop("task_id")
    with pytest.raises(UserError) as err:
        set_task(school_store, work_id, task_id, **kwargs)
    assert all(w in str(err.value) for w in words), str(err.value)
    assert _task(school_store, work_id, "1").level is None


def test_a_latin_k_in_the_task_number_finds_the_task(school_store, work_id) -> None:
    set_task(school_store, work_id, "4K1", level="В")
    assert _task(school_store, work_id, "4К1").level == "В"


def test_several_tasks_are_set_all_or_nothing(school_store, work_id) -> None:
    with pytest.raises(UserError) as err:
        set_tasks(school_store, work_id, [TaskInfo("1", "Б"), TaskInfo("2", "Х")])
    assert "ничего не изменено" in err.value.message
    assert _task(school_store, work_id, "1").level is None


def test_the_import_reads_a_two_column_csv_without_a_header(school_store, work_id, tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("1;Орфографические нормы\n2;Пунктуация\n9.1;Смысл текста\n", encoding="cp1251")
    result = import_tasks(school_store, work_id, path)
    assert result.rows == 3 and "3 строки" in result.summary()
    assert _task(school_store, work_id, "2").requirement == "Пунктуация"
    assert _task(school_store, work_id, "4К1").requirement == ""


def test_the_import_reads_an_xlsx_with_a_header_and_optional_columns(school_store, work_id, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Описание работы"])
    sheet.append(["№ задания", "Уровень сложности", "Проверяемые требования (умения)", "Развёрнутый ответ"])
    sheet.append([1, "Б", "Списывать текст", "да"])
    sheet.append([9.1, "П", "Понимать текст", "нет"])
    sheet.append(["4К1", "", "Писать письмо", ""])
    book.save(tmp_path / "tasks.xlsx")
    set_task(school_store, work_id, "4К1", level="В")
    import_tasks(school_store, work_id, tmp_path / "tasks.xlsx")
    assert (_task(school_store, work_id, "1").level, _task(school_store, work_id, "1").open_answer) == ("Б", True)
    assert (_task(school_store, work_id, "9.1").level, _task(school_store, work_id, "9.1").open_answer) == ("П", False)
    assert _task(school_store, work_id, "4К1").level == "В"          # an empty cell leaves it as it was
    assert _task(school_store, work_id, "4К1").requirement == "Писать письмо"


def test_a_bad_import_names_every_row_and_changes_nothing(school_store, work_id, tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("Задание;Проверяемое умение;Уровень\n1;Нормы;Б\n15;Лишнее;Б\n2;Пунктуация;Z\n1;Повтор;П\n",
                    encoding="utf-8")
    with pytest.raises(UserError) as err:
        import_tasks(school_store, work_id, path)
    details = "\n".join(err.value.details)
    assert "строка 3: задания «15» в работе нет" in details
    assert "строка 4: задание «2»: уровень «Z» не распознан" in details
    assert "строка 5: задание «1» указано второй раз" in details
    assert _task(school_store, work_id, "1").requirement == ""


def test_a_file_without_a_task_table_is_refused(school_store, work_id, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Фамилия;Имя\nИванов;Иван\n", encoding="utf-8")
    with pytest.raises(UserError, match="не найдена таблица заданий"):
        import_tasks(school_store, work_id, path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(UserError, match="старом формате"):
        import_tasks(school_store, work_id, tmp_path / "old.xls")


def test_a_work_made_from_the_catalogue_has_levels_only_where_its_source_states_them(
        school_store, monkeypatch) -> None:
    assert all(t.level is None for e in catalogue.load_catalogue() for t in e.tasks)   # no source, no levels
    data = {"works": [
        {"id": "x-2026", "subject": "История", "grade": 5, "year": 2026, "tasks": [["1", 1], ["2", 2]], "scale": None,
         "source": "Критерии", "levels": {"1": "Б", "2": "П"}, "levels_source": "Описание КИМ ВПР 2026"},
        {"id": "y-2026", "subject": "Биология", "grade": 5, "year": 2026, "tasks": [["1", 1]], "scale": None,
         "source": "Критерии", "levels": {"1": "Б"}},
    ]}
    monkeypatch.setattr(catalogue, "resource_path", lambda *_: _json_file(school_store.data_dir, data))
    catalogue.load_catalogue.cache_clear()
    try:
        work, _ = create_work(school_store, get_entry("x-2026").to_definition(dt.date(2026, 4, 22)))
        assert [t.level for t in get_work(school_store, work).tasks] == ["Б", "П"]
        assert "Описание КИМ ВПР 2026" in get_entry("x-2026").source
        assert get_entry("y-2026").tasks[0].level is None
    finally:
        catalogue.load_catalogue.cache_clear()


def _json_file(folder: Path, data: dict) -> Path:
    path = folder / "catalogue.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# -- thresholds -----------------------------------------------------------------------------------

def test_every_threshold_has_a_unit_a_source_and_a_default_within_its_range() -> None:
    for d in thresholds.DEFINITIONS:
        assert d.source and d.title
        assert d.default is None or d.low <= d.default <= d.high
    assert thresholds.BY_KEY["basic_red"].default == 57
    assert {d.key for d in thresholds.DEFINITIONS if d.default is None} == {
        "corridor_min2_pct", "corridor_max4_pct", "corridor_max5_pct"}


def test_a_threshold_is_set_listed_as_changed_and_reset(school_store) -> None:
    thresholds.set_threshold(school_store, "basic_red", "55,5", source="Приказ УО № 5")
    item = {t.key: t for t in thresholds.list_thresholds(school_store)}["basic_red"]
    assert (item.value, item.source, item.changed, item.municipal) == (55.5, "Приказ УО № 5", True, False)
    assert thresholds.values(school_store)["alpha"] == 0.05
    thresholds.set_threshold(school_store, "alpha", 0.01)
    thresholds.reset_thresholds(school_store, "basic_red")
    assert thresholds.values(school_store)["basic_red"] == 57
    assert thresholds.values(school_store)["alpha"] == 0.01
    thresholds.reset_thresholds(school_store)
    assert not any(t.changed for t in thresholds.list_thresholds(school_store))
    actions = [r["action"] for r in school_store.query("SELECT action FROM audit_log WHERE entity = 'analysis_thresholds'")]
    assert actions == ["threshold.set", "threshold.set", "threshold.reset", "threshold.reset"]


@pytest.mark.parametrize(("key", "value", "words"), [
    ("no_such", "1", "Порога «no_such» нет"), ("basic_red", "120", "вне допустимого"),
    ("boundaries_corrected", "2,5", "целое число"), ("alpha", "много", "нужно число"),
    ("basic_red", "nan", "вне допустимого"),
])
def test_a_bad_threshold_is_refused(school_store, key, value, words) -> None:
    with pytest.raises(UserError, match=words):
        thresholds.set_threshold(school_store, key, value)


def test_the_municipality_file_round_trips_and_marks_its_values(school_store, tmp_path: Path) -> None:
    thresholds.set_threshold(school_store, "corridor_max5_pct", 25, source="Приказ УО № 12")
    thresholds.set_threshold(school_store, "crossing_pp", 7)
    path = thresholds.export_thresholds(school_store, tmp_path / "пороги.json", issued_by="УО г. Тестовск")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == thresholds.FILE_FORMAT and data["issued_by"] == "УО г. Тестовск"
    thresholds.reset_thresholds(school_store)
    thresholds.set_threshold(school_store, "alpha", 0.02)   # not in the file's changes: back to default
    result = thresholds.import_thresholds(school_store, path)
    assert result.changed == ["corridor_max5_pct", "crossing_pp"]
    items = {t.key: t for t in thresholds.list_thresholds(school_store)}
    assert items["corridor_max5_pct"].value == 25 and items["corridor_max5_pct"].municipal
    assert items["corridor_max5_pct"].source == "Приказ УО № 12"
    assert items["alpha"].value == 0.05 and not items["alpha"].changed


def test_a_bad_municipality_file_changes_nothing(school_store, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"format": thresholds.FILE_FORMAT, "version": 1, "thresholds": [
        {"key": "basic_red", "value": 50}, {"key": "alpha", "value": 7},
        {"key": "future_key", "value": 1}]}), encoding="utf-8")
    with pytest.raises(UserError) as err:
        thresholds.import_thresholds(school_store, path)
    assert "вне допустимого" in "\n".join(err.value.details)
    assert thresholds.values(school_store)["basic_red"] == 57
    path.write_text(json.dumps({"format": thresholds.FILE_FORMAT, "version": 1, "thresholds": [
        {"key": "future_key", "value": 1}, {"key": "basic_red", "value": 50}]}), encoding="utf-8")
    assert "future_key" in thresholds.import_thresholds(school_store, path).summary()
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="не файл порогов"):
        thresholds.import_thresholds(school_store, path)


# -- reference rows -------------------------------------------------------------------------------

def _region(work: int, **kw) -> references.ReferenceRow:
    base = {"year": 2025, "marks": {"2": 13.44, "3": 44.15, "4": 36.28, "5": 6.13}, "tasks": {"1": 71.2, "4K1": 40},
            "not_confirmed": 39.0, "source": "Аналитика ФИС ОКО"}
    base.update(kw)
    return references.ReferenceRow(work, "region", **base)


def test_reference_rows_are_set_replaced_listed_and_cleared(school_store, work_id) -> None:
    references.set_reference(school_store, _region(work_id))
    references.set_reference(school_store, references.ReferenceRow(work_id, "russia", None, {}, {}, 41.5))
    rows = references.list_references(school_store, work_id)
    assert [r.scope for r in rows] == ["russia", "region"]
    assert rows[1].tasks == {"1": 71.2, "4К1": 40} and rows[1].marks["5"] == 6.13
    references.set_reference(school_store, _region(work_id, tasks={}, not_confirmed=None))
    assert references.list_references(school_store, work_id)[1].tasks == {}
    references.clear_references(school_store, work_id, "region")
    assert [r.scope for r in references.list_references(school_store, work_id)] == ["russia"]
    delete_work(school_store, work_id)
    assert school_store.scalar("SELECT COUNT(*) FROM reference_rows") == 0


@pytest.mark.parametrize(("kw", "words"), [
    ({"marks": {"2": 50, "3": 10, "4": 10, "5": 10}}, "в сумме 80,0 %"),
    ({"tasks": {"99": 10}}, "задания «99» в работе нет"),
    ({"year": 2030}, "год 2030"),
    ({"marks": {}, "tasks": {}, "not_confirmed": None}, "не указано ни одной цифры"),
])
def test_a_bad_reference_row_is_refused_with_its_problem(school_store, work_id, kw, words) -> None:
    with pytest.raises(UserError) as err:
        references.set_reference(school_store, _region(work_id, **kw))
    assert words in "\n".join(err.value.details)


def test_reference_values_parse_as_typed() -> None:
    assert references.parse_pairs("2=13,44,3=44,15;4=36.28, 5=6,13") == {"2": "13,44", "3": "44,15", "4": "36.28",
                                                                          "5": "6,13"}
    assert references.parse_pct("12,5 %", "x") == 12.5
    assert references.parse_scope("Муниципалитет") == "municipality"
    with pytest.raises(UserError, match="от 0 до 100"):
        references.parse_pct("101", "доля «5»")
    with pytest.raises(UserError, match="россия"):
        references.parse_scope("страна")


# -- migration ------------------------------------------------------------------------------------

def test_a_version_8_store_migrates_to_9_keeping_every_row(data_dir: Path, monkeypatch) -> None:
    import coordinator_app.storage as storage
    from coordinator_app.school import School, save_school
    from coordinator_app.storage import migrations

    before = [m for m in migrations.MIGRATIONS if m.target <= 8]
    monkeypatch.setattr(storage, "MIGRATIONS", before)
    monkeypatch.setattr(storage, "latest_version", lambda: 8)
    old = open_store(data_dir)
    save_school(old, School(name="Школа", login="sch123456"))
    with old.atomic() as db:
        db["works"].insert({"id": 1, "work_key": "K1", "subject": "Математика", "grade": 4, "work_date": "2025-04-20",
                            "parts": 1, "source": "manual", "created_at": "2025-04-01", "updated_at": "2025-04-01"})
        db["work_tasks"].insert_all([{"work_id": 1, "position": i, "task_id": str(i), "max_score": i, "part": 1}
                                     for i in (1, 2, 3)])
    assert old.schema_version == 8
    tables = {r["name"]: old.scalar(f"SELECT COUNT(*) FROM {r['name']}")
              for r in old.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    old.close()
    monkeypatch.undo()
    store = open_store(data_dir)
    assert store.schema_version == migrations.latest_version() >= 9
    for table, count in tables.items():
        assert store.scalar(f"SELECT COUNT(*) FROM {table}") == count, table
    work = get_work(store, 1)
    assert [(t.task_id, t.max_score, t.level, t.open_answer, t.requirement) for t in work.tasks] == [
        ("1", 1, None, None, ""), ("2", 2, None, None, ""), ("3", 3, None, None, "")]
    assert list((data_dir / "backups").glob("pre-migration-v8-*.sqlite3"))
    set_task(store, 1, "2", level="Б")
    thresholds.set_threshold(store, "group_min_n", 12)
    references.set_reference(store, references.ReferenceRow(1, "municipality", 2024, {}, {"3": 20}))
    report = verify_store(store)
    assert report.ok, report.problems
    store.close()


def test_the_database_refuses_a_level_written_around_the_program(store: Store, work_id) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE work_tasks SET level = 'X' WHERE work_id = ?", [work_id])
    assert (store.data_dir / DB_NAME).is_file()


# -- what the analysis takes ----------------------------------------------------------------------

def test_the_registry_holds_every_threshold_of_the_analysis_with_its_default_and_source(school_store) -> None:
    from dataclasses import fields

    from coordinator_app.analysis.model import Corridor, Thresholds

    for f in fields(Thresholds):
        d = thresholds.BY_KEY[f.name]
        assert (d.default, d.unit, d.source) == (f.default, f.metadata["unit"], f.metadata["source"])
    assert thresholds.model(school_store) == Thresholds()
    assert thresholds.corridor(school_store) is None
    thresholds.set_threshold(school_store, "reliable_n", "40")
    thresholds.set_threshold(school_store, "alpha", "0,01")
    thresholds.set_threshold(school_store, "corridor_max5_pct", 25)
    model = thresholds.model(school_store)
    assert model.reliable_n == 40 and isinstance(model.reliable_n, int) and model.alpha == 0.01
    assert thresholds.corridor(school_store) == Corridor(max5_pct=25.0)


def test_tasks_and_reference_rows_convert_to_the_analysis_model(school_store, work_id) -> None:
    from coordinator_app.analysis.model import TaskInfo as AnalysisTask
    from coordinator_app.task_info import analysis_tasks

    set_task(school_store, work_id, "2", level="Б", open_answer="нет", requirement="Счёт")
    tasks = analysis_tasks(get_work(school_store, work_id).tasks)
    assert tasks[1] == AnalysisTask("2", 1, "Б", False, "Счёт") and tasks[0] == AnalysisTask("1", 2)
    references.set_reference(school_store, _region(work_id, mean_pct=58.3))
    reference = references.model(school_store, work_id)
    assert reference.russia is None and reference.region.name == "регион 2025"
    assert reference.region.marks_pct == {2: 13.44, 3: 44.15, 4: 36.28, 5: 6.13}
    assert reference.region.mean_pct == 58.3 and reference.tasks_row().tasks_pct == {"1": 71.2, "4К1": 40}
