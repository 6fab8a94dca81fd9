"""Office packages (.xlsx, .docx) that unpack far beyond their size are refused before openpyxl or
python-docx touch them, wherever the program opens one: pupil lists, ФИС ОКО templates, filled
forms, code lists (Word and Excel). The message is Russian and names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_app.errors import UserError
from coordinator_app.imports.code_list import read_code_list
from coordinator_app.formats.fisoko.filled import read_filled_form
from coordinator_app.formats.fisoko.template import read_template
from coordinator_app.imports.pupil_list import parse_pupil_list
from tests.fixtures.hostile import zip_bomb

READERS = {
    "pupil list": lambda path: parse_pupil_list(path),
    "ФИС ОКО template": lambda path: read_template(path),
    "filled form": lambda path: read_filled_form(path, tasks=[("1", 2, 1)], parts=1, allows_not_passed=False),
    "code list": lambda path: read_code_list(path),
}


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """3 MB that unpack to 100 MB would do; this one is ~100 KB."""
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "список.xlsx", unpacked_mb=100)


@pytest.mark.parametrize("reader", list(READERS))
def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_parsing(bomb: Path, reader: str) -> None:
    with pytest.raises(UserError) as caught:
        READERS[reader](bomb)
    assert caught.value.message.startswith("Файл «список.xlsx» не открыт: внутри он распаковывается в 100 МБ "
                                           "(допустимо не больше 64 МБ). Это не похоже на книгу Excel")


def test_a_word_protocol_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "протокол.docx", member="word/document.xml", unpacked_mb=100)
    with pytest.raises(UserError) as caught:
        read_code_list(path)
    assert caught.value.message.startswith("Файл «протокол.docx» не открыт: внутри он распаковывается в 100 МБ")
    assert "не похоже на документ Word с протоколом" in caught.value.message


def test_a_part_compressed_like_padding_is_refused_even_under_the_size_limit(tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / "форма.xlsx", unpacked_mb=20)
    with pytest.raises(UserError) as caught:
        read_template(path)
    assert "его часть xl/worksheets/sheet1.xml сжата в" in caught.value.message
    assert "так сжимаются только пустые повторы" in caught.value.message


def test_the_cli_says_why_and_exits_1(bomb: Path, school_store, capsys) -> None:
    from coordinator_app.cli import main

    assert main(["--data-dir", str(school_store.data_dir), "import-students", str(bomb)]) == 1
    err = capsys.readouterr().err
    assert "Файл «список.xlsx» не открыт: внутри он распаковывается в 100 МБ" in err
    assert "Traceback" not in err
