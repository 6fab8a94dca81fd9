"""The analysis's data from the command line (issue 14): set-task, import-tasks, the thresholds and
their exchange file, reference rows; an expert cannot change any of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coordinator_app.access import set_expert_mode, set_pin
from coordinator_app.cli import main
from coordinator_app.storage import Store
from coordinator_app.thresholds import values
from coordinator_app.works import get_work


@pytest.fixture
def cli(school_store: Store, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(school_store.data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = run("add-work", "--date", "2026-04-21", "--catalogue", "rus4-2026")
    assert code == 0, err
    return run


def test_set_task_prints_what_was_stored_and_refuses_bad_values(cli, school_store) -> None:
    code, out, _ = cli("set-task", "--work", "1", "--task", "12.1", "--level", "П", "--open", "yes",
                       "--requirement", "Умение строить речевое высказывание")
    assert code == 0 and "Задание 12.1: уровень П (повышенный); развёрнутый ответ: да" in out
    code, out, _ = cli("--json", "set-task", "--work", "1", "--task", "12.1", "--level", "-")
    assert code == 0 and json.loads(out)["level"] is None and json.loads(out)["open"] is True
    code, _, err = cli("set-task", "--work", "1", "--task", "12.1", "--level", "Х")
    assert code == 1 and "уровень «Х» не распознан" in err
    code, _, err = cli("set-task", "--work", "1", "--task", "99", "--level", "Б")
    assert code == 1 and "задания «99» в работе нет" in err
    code, _, err = cli("set-task", "--work", "7", "--task", "1", "--level", "Б")
    assert code == 1 and "Работа № 7 не найдена" in err


def test_import_tasks_from_a_csv(cli, school_store, tmp_path: Path) -> None:
    path = tmp_path / "описание.csv"
    path.write_text("Задание;Проверяемое умение;Уровень\n1;Списывание текста;Б\n12.2;Речевое высказывание;П\n",
                    encoding="utf-8-sig")
    code, out, err = cli("import-tasks", str(path), "--work", "1")
    assert code == 0, err
    assert "Описание заданий импортировано: 2 строки." in out and "Задание 12.2: уровень П (повышенный)" in out
    assert get_work(school_store, 1).tasks[0].requirement == "Списывание текста"


def test_thresholds_are_listed_set_exported_imported_and_reset(cli, school_store, tmp_path: Path) -> None:
    code, out, _ = cli("thresholds")
    assert code == 0 and "basic_red: 57 %" in out and "Источник:" in out
    code, out, _ = cli("set-threshold", "basic_red", "55,5", "--source", "Приказ УО № 5")
    assert code == 0 and "55,5 % [изменено] (по умолчанию 57)" in out
    code, out, _ = cli("export-thresholds", str(tmp_path / "t.json"), "--issued-by", "УО")
    assert code == 0 and (tmp_path / "t.json").is_file()
    code, out, _ = cli("reset-thresholds")
    assert code == 0 and values(school_store)["basic_red"] == 57
    code, out, _ = cli("import-thresholds", str(tmp_path / "t.json"))
    assert code == 0 and "изменено 1" in out
    code, out, _ = cli("--json", "thresholds")
    item = next(i for i in json.loads(out) if i["key"] == "basic_red")
    assert item["value"] == 55.5 and item["municipal"] and item["default"] == 57 and item["unit"] == "%"
    code, _, err = cli("set-threshold", "alpha", "2")
    assert code == 1 and "вне допустимого" in err
    code, out, _ = cli("reset-thresholds", "basic_red")
    assert code == 0 and values(school_store)["basic_red"] == 57


def test_reference_rows_from_the_command_line(cli) -> None:
    code, out, err = cli("set-reference", "--work", "1", "--scope", "регион", "--year", "2025",
                         "--marks", "2=13,44,3=44,15,4=36,28,5=6,13", "--tasks", "1=71,2;12.2=40",
                         "--not-confirmed", "39", "--mean", "58,3", "--source", "Аналитика ФИС ОКО")
    assert code == 0, err
    assert out.startswith("регион, 2025; отметки «2» 13,44 %") and "12.2: 40 %" in out
    code, out, _ = cli("--json", "references", "--work", "1")
    rows = json.loads(out)
    assert rows[0]["marks_pct"] == {"2": 13.44, "3": 44.15, "4": 36.28, "5": 6.13}
    assert rows[0]["mean_pct"] == 58.3 and rows[0]["not_confirmed_pct"] == 39.0 and rows[0]["tasks_pct"] == {"1": 71.2, "12.2": 40.0}
    code, _, err = cli("set-reference", "--work", "1", "--scope", "страна", "--not-confirmed", "10")
    assert code == 1 and "не распознан" in err
    code, _, err = cli("set-reference", "--work", "1", "--scope", "россия", "--marks", "2=abc")
    assert code == 1 and "нужен процент" in err
    code, out, _ = cli("set-reference", "--work", "1", "--scope", "регион", "--clear")
    assert code == 0 and "удалены" in out
    code, out, _ = cli("references", "--work", "1")
    assert "эталонных данных нет" in out


@pytest.mark.parametrize("argv", [
    ["set-task", "--work", "1", "--task", "1", "--level", "Б"], ["import-tasks", "f.csv", "--work", "1"],
    ["set-threshold", "alpha", "0.01"], ["reset-thresholds"], ["import-thresholds", "t.json"],
    ["set-reference", "--work", "1", "--scope", "регион", "--not-confirmed", "10"],
])
def test_an_expert_cannot_change_the_analysis_data(cli, school_store, argv) -> None:
    set_pin(school_store, "2468")
    set_expert_mode(school_store, True)
    code, _, err = cli(*argv)
    assert code == 1 and "Включён режим эксперта" in err
    assert school_store.scalar("SELECT COUNT(*) FROM analysis_thresholds") == 0
    assert school_store.scalar("SELECT COUNT(*) FROM reference_rows") == 0
    assert all(t.level is None for t in get_work(school_store, 1).tasks)
    code, out, _ = cli("thresholds")                       # reading stays open
    assert code == 0 and "alpha" in out


def test_the_new_commands_have_russian_help(cli, capsys) -> None:
    for command in ("set-task", "import-tasks", "thresholds", "set-threshold", "reset-thresholds",
                    "export-thresholds", "import-thresholds", "set-reference", "references"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert out.startswith("использование:") and "показать эту справку" in out, command
