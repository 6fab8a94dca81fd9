"""Documents printed from the store: the protocol has names; slips and labels carry only codes and QR."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from coordinator_app.codes import assign_codes, set_absent
from coordinator_app.documents import make_labels, make_protocol, make_slips
from coordinator_app.errors import UserError
from coordinator_app.qr_payload import decode_label
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work

SURNAMES = ("Яковлев", "Борисова", "Ёлкин", "Абрамов", "Андреева")


def _text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


@pytest.fixture
def work_id(grade4) -> int:
    wid, _ = create_work(grade4, WorkDef("Русский язык", 4, dt.date(2026, 4, 21), [TaskDef("1", 2)], classes=["4А", "4Б"]))
    assign_codes(grade4, wid)
    set_absent(grade4, wid, "40002")
    return wid


def test_protocol_lists_codes_names_and_absence_per_class(grade4, work_id: int, tmp_path: Path) -> None:
    out = make_protocol(grade4, work_id, tmp_path / "p.pdf")
    text = _text(out)
    for surname in SURNAMES:
        assert surname in text
    assert "40001" in text and "отсутствовал" in text and "sch123456" in text and "4А" in text and "4Б" in text


def test_slips_and_labels_carry_no_names(grade4, work_id: int, tmp_path: Path) -> None:
    for maker in (make_slips, make_labels):
        text = _text(maker(grade4, work_id, tmp_path / f"{maker.__name__}.pdf"))
        assert "40005" in text
        assert not [s for s in SURNAMES if s in text]


def test_label_qr_codes_identify_the_school_work_and_code(grade4, work_id: int, tmp_path: Path) -> None:
    out = make_labels(grade4, work_id, tmp_path / "labels.pdf")
    image = pdfium.PdfDocument(str(out))[0].render(scale=200 / 72).to_pil().convert("L")
    payloads = [decode_label(r.text) for r in zxingcpp.read_barcodes(image)]
    work = get_work(grade4, work_id)
    assert {(p.login, p.work_key) for p in payloads} == {("sch123456", work.work_key)}
    assert sorted(p.code for p in payloads) == ["40001", "40002", "40003", "40004", "40005"]


def test_printing_only_one_class(grade4, work_id: int, tmp_path: Path) -> None:
    text = _text(make_protocol(grade4, work_id, tmp_path / "p.pdf", classes=["4Б"]))
    assert "Яковлев" in text and "Абрамов" not in text


def test_documents_before_codes_are_given_explain_what_to_do(grade4, tmp_path: Path) -> None:
    wid, _ = create_work(grade4, WorkDef("Математика", 4, dt.date(2026, 4, 22), [TaskDef("1", 1)], classes=["4А"]))
    with pytest.raises(UserError, match="выдайте коды"):
        make_protocol(grade4, wid, tmp_path / "p.pdf")
    assert not (tmp_path / "p.pdf").exists()
