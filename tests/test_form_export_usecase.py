"""Exporting a work's results into its ФИС ОКО form, and the round trip through import."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from coordinator_app.codes import assign_codes, set_absent, set_variant
from coordinator_app.errors import UserError
from coordinator_app.form_export import export_form
from coordinator_app.form_import import import_form
from coordinator_app.scoring import score_sheet, set_journal_mark, set_score
from coordinator_app.works import TaskDef, WorkDef, create_work, work_from_template
from tests.conftest import add_pupils
from tests.fixtures import fisoko_forms

SURNAMES = ["Абрамов", "Борисова", "Васильев"]


@pytest.fixture
def scored(school_store, tmp_path: Path):
    add_pupils(school_store, [(SURNAMES[0], "Кирилл", "", "4А"), (SURNAMES[1], "Мария", "", "4А"),
                              (SURNAMES[2], "Глеб", "", "4Б")])
    template = fisoko_forms.russian4_2026(tmp_path / "template.xlsx")
    defn = work_from_template(template, subject="Русский язык", work_date=dt.date(2026, 4, 21),
                              classes=["4А", "4Б"], scale=[10, 16, 21])
    work_id, _ = create_work(school_store, defn)
    assign_codes(school_store, work_id)
    for code, variant in (("40001", "1"), ("40003", "2")):
        set_variant(school_store, work_id, code, 1, variant)
        for i, (task, maximum) in enumerate(fisoko_forms.RUSSIAN4_2026_TASKS):
            value = ["X", "0", str(maximum), "не пройд."][(i + int(code)) % 4]
            set_score(school_store, work_id, code, task, value)
        set_journal_mark(school_store, work_id, code, "4")
    set_absent(school_store, work_id, "40002")
    return school_store, work_id, tmp_path


def test_exported_form_imports_back_into_an_empty_copy_with_the_same_scores(scored) -> None:
    store, work_id, tmp = scored
    out = export_form(store, work_id, tmp / "out.xlsx").path
    book = openpyxl.load_workbook(out)
    assert book["Служебный"].sheet_state == "hidden"
    # an empty copy of the work: same template, no scores
    copy_defn = work_from_template(store.path(json.loads(json.dumps(
        store.one("SELECT template_file FROM works WHERE id = ?", [work_id])))["template_file"]),
        subject="Русский язык (копия)", work_date=dt.date(2026, 4, 22), classes=["4А", "4Б"])
    copy_id, _ = create_work(store, copy_defn)
    assign_codes(store, copy_id)
    import_form(store, copy_id, out)
    original = [(r.code, r.absent, r.variants, r.scores, r.journal_mark) for r in score_sheet(store, work_id, final=True)]
    again = [(r.code, r.absent, r.variants, r.scores, r.journal_mark) for r in score_sheet(store, copy_id)]
    assert again == original


def test_the_form_carries_no_names(scored) -> None:
    import zipfile

    store, work_id, tmp = scored
    out = export_form(store, work_id, tmp / "out.xlsx").path
    with zipfile.ZipFile(out) as z:
        text = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    assert not [s for s in SURNAMES if s in text]


def test_an_incomplete_work_is_not_written_and_problems_are_listed(school_store, tmp_path: Path) -> None:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 22), [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(school_store, work_id)
    with pytest.raises(UserError) as err:
        export_form(school_store, work_id, tmp_path / "m.xlsx")
    assert any("40001" in d for d in err.value.details)
    assert not (tmp_path / "m.xlsx").exists()


def test_cli_export_form_without_template(school_store, tmp_path: Path, capsys) -> None:
    from coordinator_app.cli import main

    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 22), [TaskDef("1", 2), TaskDef("2", 1)],
                                                   classes=["4А"]))
    assign_codes(school_store, work_id)
    set_variant(school_store, work_id, "40001", 1, "1")
    set_score(school_store, work_id, "40001", "1", "2")
    set_score(school_store, work_id, "40001", "2", "X")
    out = tmp_path / "gen.xlsx"
    assert main(["--data-dir", str(school_store.data_dir), "--json", "export-form", "--work", str(work_id),
                 "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["from_template"] is False and out.exists()
    from coordinator_app.formats.fisoko.template import read_template

    assert [t.task_id for t in read_template(out).tasks] == ["1", "2"]
