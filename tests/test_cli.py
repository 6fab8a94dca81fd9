"""The command line end to end: the same flow a coordinator does in the GUI, with --json output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coordinator_app.cli import main
from tests.fixtures import fisoko_forms
from tests.fixtures.pupil_lists import xlsx_from_rows

ROOT = Path(__file__).resolve().parent.parent


class Cli:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir, self.capsys = data_dir, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--data-dir", str(self.data_dir), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str):
        code, out, err = self("--json", *args)
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path / "data", capsys)


@pytest.fixture
def pupils_file(tmp_path: Path) -> Path:
    rows = [["Список обучающихся"], [], ["ФИО", "Класс", "Пол"]]
    rows += [[f"{surname} Иван Петрович", "4-а", "м"] for surname in ("Иванов", "Орлов", "Соколов")]
    rows += [[f"{surname} Анна Сергеевна", "4 б", "Женский"] for surname in ("Петрова", "Лебедева")]
    return xlsx_from_rows(tmp_path / "journal.xlsx", {"Класс": rows})


def test_whole_flow_from_an_empty_dir_to_printed_documents(cli: Cli, pupils_file: Path, tmp_path: Path) -> None:
    code, out, _ = cli("init", "--school", "МБОУ СОШ № 7", "--login", "sch123456", "--year", "2025/2026",
                       "--director", "Петрова А. И.")
    assert code == 0 and "Сведения о школе сохранены" in out

    report = cli.json("import-students", str(pupils_file))
    assert (report["created"], report["problems"], report["imported"]) == (5, [], True)

    template = fisoko_forms.russian4_2026(tmp_path / "form.xlsx")
    work = cli.json("add-work", "--subject", "Русский язык", "--grade", "4", "--date", "2026-04-21",
                    "--template", str(template), "--scale", "10,16,21", "--classes", "4А,4Б")
    assert work["id"] == 1 and work["max_total"] == 24 and work["parts"] == 1
    assert {"id": "9.1", "max": 1, "part": 1, "level": None, "open": None, "requirement": None} in work["tasks"]

    works = cli.json("list", "works")
    assert works[0]["scale"] == [10, 16, 21] and works[0]["date"] == "2026-04-21"

    assigned = cli.json("assign-codes", "--work", "1")
    assert assigned["assigned"] == 5 and assigned["ranges"] == {"4А": ["40001", "40003"], "4Б": ["40004", "40005"]}

    students = cli.json("list", "students")
    assert {s["code"] for s in students} == {"40001", "40002", "40003", "40004", "40005"}
    assert set(students[0]) >= {"surname", "name", "patronymic", "class", "gender", "code"}

    assert cli("mark-absent", "--work", "1", "--code", "40004")[0] == 0
    participants = cli.json("list", "participants", "--work", "1")
    assert [p["code"] for p in participants if p["absent"]] == ["40004"]
    assert set(participants[0]) >= {"work_id", "code", "class", "surname", "name", "absent"}
    assert cli("mark-absent", "--work", "1", "--code", "40004", "--undo")[0] == 0
    assert not any(p["absent"] for p in cli.json("list", "participants", "--work", "1"))

    for command in ("protocol", "slips", "labels"):
        out_file = tmp_path / f"{command}.pdf"
        result = cli.json(command, "--work", "1", "--out", str(out_file))
        assert Path(result["file"]) == out_file and out_file.read_bytes().startswith(b"%PDF")


def test_tasks_by_hand_and_from_the_catalogue(cli: Cli, pupils_file: Path) -> None:
    cli("init", "--school", "Школа", "--login", "sch123456")
    cli("import-students", str(pupils_file))
    manual = cli.json("add-work", "--subject", "Математика", "--grade", "4", "--date", "21.04.2026",
                      "--tasks", "1:2,2:1,9.1:1,8(1):2,4К1:3")
    assert [t["id"] for t in manual["tasks"]] == ["1", "2", "9.1", "8(1)", "4К1"]
    catalogue = cli.json("add-work", "--date", "2026-04-22", "--catalogue", "rus4-2026", "--classes", "4А")
    assert catalogue["subject"] == "Русский язык" and catalogue["scale"] == [10, 16, 21]


def test_bad_input_exits_1_with_a_russian_message_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("init", "--school", "Школа", "--login", "sch123456")
    code, out, err = cli("add-work", "--subject", "Математика", "--grade", "4", "--date", "2026-04-21",
                         "--tasks", "1:2,1:3", "--scale", "3,2,1")
    assert code == 1 and "указано дважды" in err and "возрастать" in err
    assert cli.json("list", "works") == []

    fake_xls = tmp_path / "list.xls"
    fake_xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    code, _, err = cli("import-students", str(fake_xls))
    assert code == 1 and ".xlsx" in err
    assert cli.json("list", "students") == []

    code, out, err = cli("--json", "mark-absent", "--work", "7", "--code", "40001")
    assert code == 1 and json.loads(out)["error"].startswith("Работа № 7 не найдена")

    code, _, err = cli("init", "--school", "Школа", "--login", "school")
    assert code == 1 and "sch123456" in err


def test_import_with_problem_rows_reports_each_row_and_saves_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("init", "--school", "Школа", "--login", "sch123456")
    bad = xlsx_from_rows(tmp_path / "bad.xlsx", {"Лист1": [
        ["Фамилия", "Имя", "Класс"], ["Иванов", "Иван", "5А"], ["Петров", "", "5А"], ["Сидоров", "Олег", "15Я"]]})
    code, out, _ = cli("--json", "import-students", str(bad))
    report = json.loads(out)
    assert code == 1 and report["imported"] is False
    assert [p["row"] for p in report["problems"]] == [3, 4]
    assert cli.json("list", "students") == []


def test_wrong_usage_exits_2(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("add-work", "--subject", "X")
    assert exc.value.code == 2
    assert "обязательные параметры" in cli.capsys.readouterr().err


def test_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "ui", "--data-dir", str(tmp_path / "d")]
    ok = subprocess.run([*exe, "init", "--school", "Школа", "--login", "sch123456"], capture_output=True,
                        text=True, timeout=120, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*exe, "list", "pupils"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 2 and "недопустимое значение" in bad.stderr
    wrong = subprocess.run([*exe, "assign-codes", "--work", "5"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert wrong.returncode == 1 and "не найдена" in wrong.stderr


def test_cli_package_export_and_verify(tmp_path: Path, capsys) -> None:
    """export-package writes a verified package; verify-package names a damaged file (exit 1)."""
    import datetime as dt

    from coordinator_app.codes import assign_codes
    from coordinator_app.scans.importer import import_scans
    from coordinator_app.school import School, save_school
    from coordinator_app.scoring import set_score
    from coordinator_app.storage import open_store
    from coordinator_app.students import add_student
    from coordinator_app.works import TaskDef, WorkDef, create_work
    from tests.fixtures.scan_pages import plain_page, save_jpeg

    data = tmp_path / "data"
    store = open_store(data)
    save_school(store, School(name="Школа", login="sch123456", academic_year="2025/2026"))
    for surname in ("Иванов", "Петров"):
        add_student(store, surname, "Иван", "", "4А")
    work_id, _ = create_work(store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(store, work_id)
    for code in ("40001", "40002"):
        save_jpeg(plain_page(seed=int(code)), tmp_path / f"{code}.jpg")
        set_score(store, work_id, code, "1", "1")
    import_scans(store, [tmp_path / "40001.jpg", tmp_path / "40002.jpg"], work_id=work_id, workers=1)
    store.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    base = ["--data-dir", str(data), "--json"]
    assert main([*base, "export-package", "--work", str(work_id), "--seed", "5", "--out", str(usb)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["codes"]) == 1 and result["seed"] == 5
    folder = Path(result["folder"])
    assert main([*base, "verify-package", str(folder)]) == 0
    capsys.readouterr()
    victim = next((folder / "works").iterdir())
    victim.write_bytes(victim.read_bytes()[:100])
    assert main([*base, "verify-package", str(folder)]) == 1
    assert any("обрезан" in p for p in json.loads(capsys.readouterr().out)["problems"])


def _parse(parser, argv: list[str]) -> tuple[object, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(argv)
            result: object = sorted((k, repr(v)) for k, v in vars(args).items() if k != "func")
            result = (result, getattr(args.func, "__qualname__", None))
        except SystemExit as exc:
            result = exc.code
    return result, out.getvalue(), err.getvalue()


def test_a_command_parses_alike_with_only_its_own_subparser_built() -> None:
    """A run builds only the subparser of the command it names: help, errors and values are the same
    as with the whole parser, for every command."""
    from coordinator_app.cli import _COMMANDS, _command_in, build_parser

    whole = build_parser()
    assert len(_COMMANDS) == 56       # every command is checked below
    everything = ["--work", "3", "--out", "o", "--code", "1", "--task", "1", "--value", "1", "--mark", "5",
                  "--days", "3", "--date", "2026-01-01", "--tasks", "1:1", "--school", "s", "--login", "l", "f"]
    for name in _COMMANDS:
        for argv in ([name, "--help"], [name], [name, "--bogus"], ["--json", name, "--work", "x"],
                     ["--data-dir", "/x", name, *everything], ["--data", "/x", name, "a"]):
            assert _command_in(argv) == name
            expected = _parse(whole, argv)
            assert _parse(build_parser(only=name), argv) == expected, argv
        assert "использование:" in _parse(whole, [name, "--help"])[1]  # every command's help prints


def test_the_command_is_found_the_way_argparse_reads_the_top_level_options() -> None:
    from coordinator_app.cli import _command_in

    assert _command_in([]) == "" and _command_in(["--data-dir", "D"]) == "" and _command_in(["--json"]) == ""
    assert _command_in(["--data-dir=D", "scores", "--work", "1"]) == "scores"
    assert _command_in(["--da", "D", "--js", "list", "works"]) == "list"
    assert _command_in(["--data-dir", "list", "works"]) is None   # "list" is the folder; "works" no command
    for argv in (["--help", "list"], ["-h"], ["--version"], ["bogus"], ["--", "list"], ["--json=1", "list"],
                 ["--x", "list"]):
        assert _command_in(argv) is None, argv  # only the whole parser can answer these


def test_a_reader_that_quits_early_gets_no_traceback_and_the_work_is_kept(tmp_path: Path) -> None:
    """`vpr-coordinator … | more`, and the coordinator quits «more» at once: the command has done
    its work; the closed pipe is not an error to report."""
    import os

    exe = [sys.executable, "-m", "ui", "--data-dir", str(tmp_path / "d")]
    read_end, write_end = os.pipe()
    os.close(read_end)                          # the reader is gone before anything is written
    try:
        done = subprocess.run([*exe, "init", "--school", "Школа № 1", "--login", "sch123456"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(write_end)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    from coordinator_app.school import get_school
    from coordinator_app.storage import open_store

    with open_store(tmp_path / "d") as store:
        assert get_school(store).name == "Школа № 1"


def test_output_streams_are_utf8_on_linux_and_the_ansi_code_page_in_windows_pipes() -> None:
    """Windows code paths with the OS faked: a console shows Unicode as it is; a pipe or a file gets
    what Windows programs read (the ANSI code page, «?» for what it lacks) unless UTF-8 is asked."""
    from coordinator_app.cli import stream_settings

    assert stream_settings(False, False, {}, False) == {"encoding": "utf-8"}
    assert stream_settings(True, True, {}, False) == {}
    assert stream_settings(True, False, {}, False) == {"errors": "replace"}
    assert stream_settings(True, False, {}, True) == {}
    assert stream_settings(True, False, {"PYTHONIOENCODING": "utf-8"}, False) == {"encoding": "utf-8",
                                                                                  "errors": "replace"}
    assert stream_settings(True, True, {"PYTHONIOENCODING": "utf-8:strict"}, False) == {"encoding": "utf-8",
                                                                                      "errors": "strict"}


def test_a_closed_pipe_is_told_apart_from_other_write_errors() -> None:
    import errno

    from coordinator_app.cli.common import closed_pipe

    assert closed_pipe(BrokenPipeError(errno.EPIPE, "Broken pipe"), windows=False)
    assert closed_pipe(OSError(errno.EINVAL, "Invalid argument"), windows=True)       # Windows' word for it
    assert not closed_pipe(OSError(errno.EINVAL, "Invalid argument"), windows=False)
    assert not closed_pipe(OSError(errno.ENOSPC, "No space left on device"), windows=True)
