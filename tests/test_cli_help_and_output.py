"""The command line speaks Russian everywhere, prints long lists readably and echoes what it stored."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from coordinator_app.cli import _COMMANDS, build_parser, main
from tests.test_cli import Cli

CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def test_every_option_and_argument_of_every_command_has_russian_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, sub in [("", parser), *commands.choices.items()]:
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not (action.help and CYRILLIC.search(action.help)):
                missing.append(f"{name or '<общие>'} {action.option_strings or action.dest}")
    assert missing == []


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_help_of_every_command_works(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("использование:") and CYRILLIC.search(out)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(tmp_path / "data", capsys)
    assert c("init", "--school", "Школа", "--login", "sch123456")[0] == 0
    return c


def test_a_long_problem_list_shows_twenty_and_counts_the_rest(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(["Фамилия;Имя;Отчество;Класс", *[f"Иванов{i};;;" for i in range(45)]]), encoding="utf-8")
    code, out, _ = cli("import-students", str(bad))
    assert code == 1
    listed = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(listed) == 21 and listed[-1] == "  … и ещё 25"
    assert "Ничего не изменено" in out
    code, out, _ = cli("--json", "import-students", str(bad))
    assert code == 1 and len(json.loads(out)["problems"]) == 45


def test_an_error_with_many_details_names_twenty(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    from coordinator_app import cli as cli_module
    from coordinator_app.errors import UserError

    def failing(_args) -> int:
        raise UserError("Баллы не сохранены.", details=[f"ошибка {i}" for i in range(30)])

    code, _out, err = cli("list", "works")
    assert code == 0
    parser, args = cli_module.parse_args(["--data-dir", str(cli.data_dir), "list", "works"])
    args.func = failing
    original = cli_module.parse_args
    try:
        cli_module.parse_args = lambda argv=None: (parser, args)
        code, _out, err = cli("list", "works")
    finally:
        cli_module.parse_args = original
    bullets = [line for line in err.splitlines() if line.startswith("• ")]
    assert code == 1 and len(bullets) == 21 and bullets[-1] == "• … и ещё 10"


def test_set_score_echoes_the_value_as_stored(cli: Cli) -> None:
    pupils = cli.data_dir.parent / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;4А\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    assert cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21",
               "--tasks", "1:2,4к1:1", "--classes", "4А")[0] == 0
    code, out, _ = cli("assign-codes", "--work", "1")
    assert code == 0 and "4А: 40001." in out and "40001–40001" not in out      # one code, not a range
    code, out, _ = cli("set-score", "--work", "1", "--code", "40001", "--task", "4к1", "--value", "х")
    assert code == 0 and "задание 4К1 — X;" in out


def test_set_textbook_from_the_forms_list_and_the_form_export_warns_about_a_class_without_one(
        cli: Cli, tmp_path: Path) -> None:
    from tests.fixtures import fisoko_forms

    pupils = tmp_path / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;4А\nПетрова;Анна;4Б\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    template = fisoko_forms.russian4_2026(tmp_path / "form.xlsx")
    assert cli("add-work", "--subject", "Русский язык", "--grade", "4", "--date", "2026-04-21",
               "--template", str(template), "--classes", "4А,4Б")[0] == 0
    assert cli("assign-codes", "--work", "1")[0] == 0
    code, out, _ = cli("set-textbook", "--work", "1", "--class", "4А", "--textbook", "Учебник 2")
    assert code == 0 and "4А: учебник «sub4.2 |" in out
    for code_ in ("40001", "40002"):
        assert cli("mark-absent", "--work", "1", "--code", code_)[0] == 0
    code, out, _ = cli("export-form", "--work", "1", "--out", str(tmp_path / "f.xlsx"))
    assert code == 0 and "Внимание: Не выбран учебник для классов: 4Б." in out
    code, _, err = cli("set-textbook", "--work", "1", "--class", "4Б", "--textbook", "Учебник")   # five match
    assert code == 1 and "1. sub4.1" in err
    code, out, _ = cli("set-textbook", "--work", "1", "--class", "4Б", "--textbook", "Азбука Петрова")
    assert code == 0 and "записано «другое»" in out
    code, out, _ = cli("export-form", "--work", "1", "--out", str(tmp_path / "g.xlsx"))
    assert code == 0 and "Внимание" not in out


def test_edit_work_over_the_same_use_case_as_the_work_dialog(cli: Cli, tmp_path: Path) -> None:
    pupils = tmp_path / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;4А\nПетрова;Анна;4Б\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    assert cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21",
               "--tasks", "1:2,2:1", "--classes", "4А", "--pages", "4")[0] == 0
    assert cli.json("list", "works")[0]["pages_per_work"] == 4
    code, out, _ = cli("edit-work", "--work", "1", "--date", "2026-04-22", "--classes", "4А,4Б", "--pages", "3",
                       "--scale", "1,2,3")
    assert code == 0 and "страниц в работе: 3" in out
    work = cli.json("list", "works")[0]
    assert (work["date"], work["classes"], work["pages_per_work"], work["scale"]) == ("2026-04-22", ["4А", "4Б"], 3,
                                                                                       [1, 2, 3])
    code, _, err = cli("edit-work", "--work", "1", "--pages", "0")
    assert code == 1 and "от 1 до 50" in err
    code, _, err = cli("edit-work", "--work", "1")
    assert code == 1 and "Укажите, что изменить" in err
    assert cli("edit-work", "--work", "1", "--pages", "-")[0] == 0
    assert cli.json("list", "works")[0]["pages_per_work"] is None


def test_codes_for_the_year_fill_every_work_classes_default_and_a_second_identical_work_is_refused(
        cli: Cli, tmp_path: Path) -> None:
    pupils = tmp_path / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;4А\nПетрова;Анна;4Б\nСидоров;Пётр;5А\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    assert cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21", "--tasks", "1:2")[0] == 0
    assert cli.json("list", "works")[0]["classes"] == ["4А", "4Б"]        # no --classes: the whole grade
    assert cli("add-work", "--subject", "Русский язык", "--grade", "5", "--date", "2026-04-22", "--tasks", "1:2")[0] == 0
    code, _, err = cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21", "--tasks", "1:1")
    assert code == 1 and "Такая работа уже есть: № 1" in err
    code, out, _ = cli("assign-codes")                                       # no --work: the year's codes
    assert code == 0 and "Добавлено в протоколы работ (2): 3." in out
    assert len(cli.json("list", "participants", "--work", "1")) == 2
    assert len(cli.json("list", "participants", "--work", "2")) == 1


def test_set_class_sets_the_fisoko_ordinal(cli: Cli, tmp_path: Path) -> None:
    pupils = tmp_path / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;7А\nПетрова;Анна;7Б\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    code, out, _ = cli("set-class", "--class", "7Б", "--ordinal", "3")
    assert code == 0 and "7Б: порядковый номер в ФИС ОКО — 3 (задан вручную)." in out
    assert {c["name"]: c["ordinal"] for c in cli.json("list", "classes")}["7Б"] == 3
    assert cli("set-class", "--class", "7Б", "--ordinal", "-")[0] == 0
    assert {c["name"]: c["ordinal"] for c in cli.json("list", "classes")}["7Б"] == 2
    code, _, err = cli("set-class", "--class", "7В", "--ordinal", "1")
    assert code == 1 and "Класса 7В нет" in err


def test_variants_criteria_experts_and_the_second_check_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    pupils = tmp_path / "p.csv"
    pupils.write_text("Фамилия;Имя;Класс\nИванов;Иван;4А\nПетрова;Анна;4А\n", encoding="utf-8")
    assert cli("import-students", str(pupils))[0] == 0
    assert cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21", "--tasks", "1:2,2:1")[0] == 0
    assert cli("assign-codes", "--work", "1")[0] == 0
    code, out, _ = cli("set-variant", "--work", "1", "--code", "40001", "--value", "2")
    assert code == 0 and "вариант — 2" in out
    criteria = tmp_path / "критерии.pdf"
    criteria.write_bytes(b"%PDF-1.4 criteria")
    code, out, _ = cli("attach-criteria", "--work", "1", str(criteria), "--variant", "2")
    assert code == 0 and "Критерии прикреплены: критерии.pdf (вариант 2)." in out
    assert cli("experts", "add", "--name", "Кузнецов  Иван Ильич", "--subjects", "Математика", "--classes", "4А")[0] == 0
    code, out, _ = cli("experts", "list")
    assert code == 0 and "Кузнецов Иван Ильич; предметы: Математика; классы: 4А" in out
    for c in ("40001", "40002"):
        for task, value in (("1", "2"), ("2", "1")):
            assert cli("set-score", "--work", "1", "--code", c, "--task", task, "--value", value)[0] == 0
    code, out, _ = cli("second-check", "create", "--work", "1", "--codes", "40002", "--expert", "Кузнецов Иван Ильич")
    assert code == 0 and "40002" in out
    code, out, _ = cli("second-check", "score", "--work", "1", "--code", "40002", "--task", "1", "--value", "1")
    assert code == 0 and "Балл перепроверки записан" in out and "→" not in out           # blind
    code, _, err = cli("second-check", "protocol", "--work", "1", "--out", str(tmp_path / "p.pdf"))
    assert code == 1 and "Перепроверка не закончена" in err
    assert cli("second-check", "score", "--work", "1", "--code", "40002", "--task", "2", "--value", "1")[0] == 0
    code, out, _ = cli("second-check", "status", "--work", "1")
    assert code == 0 and "перепроверено полностью: 1" in out and "1: 2→1" in out
    code, _, err = cli("second-check", "settle", "--work", "1", "--code", "40002", "--task", "1", "--value", "1")
    assert code == 1 and "--reason" in err
    assert cli("second-check", "settle", "--work", "1", "--code", "40002", "--task", "1", "--value", "1",
               "--reason", "Решение комиссии")[0] == 0
    code, out, _ = cli("second-check", "protocol", "--work", "1", "--out", str(tmp_path / "p.pdf"))
    assert code == 0 and (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    assert cli("experts", "remove", "--name", "кузнецов иван ильич")[0] == 0
    assert "Список пуст." in cli("experts", "list")[1]
