"""The protocol, code slips and QR labels PDFs, read back as a person and a scanner would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from coordinator_app.errors import UserError
from coordinator_app.formats.pdf.common import WorkHeader
from coordinator_app.formats.pdf.labels import (
    DEFAULT_LAYOUT,
    LAYOUTS,
    PAD,
    PAGE_SAFE,
    QR_LEVEL,
    QUIET_MODULES,
    Label,
    label_geometry,
    label_origin,
    qr_matrix,
    qr_module_count,
    write_labels_pdf,
)
from coordinator_app.formats.pdf.protocol import ClassSection, ProtocolRow, write_protocol_pdf
from coordinator_app.formats.pdf.slips import Slip, write_slips_pdf
from coordinator_app.qr_payload import decode_label, encode_label

try:  # tests/ may or may not be a package
    from .pdf_helpers import (
        MM,
        char_boxes,
        decode_qrs,
        page_count,
        page_texts,
        render_page,
        sample_header,
        to_black_and_white,
    )
except ImportError:
    from pdf_helpers import (
        MM,
        char_boxes,
        decode_qrs,
        page_count,
        page_texts,
        render_page,
        sample_header,
        to_black_and_white,
    )

DPI = 150
PAGE_W_PT, PAGE_H_PT = 210 * MM, 297 * MM

SURNAMES = ["Иванова", "Щербаков", "Ёлкина", "Жуковский", "Сидоренко-Константинопольская", "Юсупов",
            "Фёдорова", "Эйхвальд", "Цой", "Шахназарова"]
NAMES = ["Анна", "Пётр", "Алиса-Мария", "Ярослав", "Ульяна"]
PATRONYMICS = ["Сергеевна", "Александрович", "", "Эльдарович", "Игоревна"]


@pytest.fixture
def header() -> WorkHeader:
    return sample_header()


def make_rows(count: int, start: int = 51000) -> list[ProtocolRow]:
    return [
        ProtocolRow(
            code=str(start + i),
            surname=SURNAMES[i % len(SURNAMES)],
            name=NAMES[i % len(NAMES)],
            patronymic=PATRONYMICS[i % len(PATRONYMICS)],
            variant=[None, "1", "2", ""][i % 4],
            absent=i % 7 == 3,
        )
        for i in range(count)
    ]


def make_labels(count: int, start: int = 51000, login: str = "sch123456", key: str = "7K3QF9",
                class_name: str = "5А") -> list[Label]:
    return [
        Label(code=str(start + i), class_name=class_name, payload=encode_label(login, key, str(start + i)))
        for i in range(count)
    ]


def flat(text: str) -> str:
    """Page text with line breaks (wrapped cells) turned into single spaces; pdfium reports a
    hyphen at the end of a wrapped line as U+0002."""
    return " ".join(text.replace("\x02", "-").split()).replace("- ", "-")


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


def assert_chars_inside(path: Path, left=12 * MM, right=PAGE_W_PT - 12 * MM, bottom=5 * MM,
                        top=PAGE_H_PT - 5 * MM) -> None:
    for page in range(page_count(path)):
        for char, (l, b, r, t) in char_boxes(path, page):
            assert l >= left and r <= right and b >= bottom and t <= top, (page, char, (l, b, r, t))


# ---------------------------------------------------------------- protocol


def test_protocol_has_cyrillic_names_codes_and_columns(tmp_path, header):
    rows = make_rows(8)
    out = tmp_path / "protocol.pdf"
    write_protocol_pdf(out, header, [ClassSection("5А", rows)])
    assert no_temp_files(tmp_path)
    texts = page_texts(out)
    assert len(texts) == 1
    text = flat(texts[0])
    # Extracted Cyrillic proves the font embeds it with a proper ToUnicode map.
    assert "Протокол проведения ВПР: соответствие кодов участников и ФИО" in text
    for row in rows:
        assert row.code in text
        assert row.surname in text
    assert "Иванова Анна Сергеевна" in text
    for label in ["Код участника", "ФИО", "Вариант", "Подпись", "sch123456", "Математика", "5 класс",
                  "15.04.2025", "2024/2025", "5А", "персональные данные"]:
        assert label in text, label
    assert text.count("отсутствовал") - text.count("Присутствовал / отсутствовал") == sum(r.absent for r in rows)
    assert text.count("присутствовал") == sum(not r.absent for r in rows)
    assert "Организатор в аудитории" in text and "Школьный координатор" in text


def test_protocol_60_pupils_spans_pages_with_repeated_header(tmp_path, header):
    rows = make_rows(60)
    out = tmp_path / "protocol.pdf"
    calls = []
    write_protocol_pdf(out, header, [ClassSection("5Б", rows)], progress=lambda d, t: calls.append((d, t)))
    texts = [flat(t) for t in page_texts(out)]
    pages = len(texts)
    assert pages >= 2
    for number, text in enumerate(texts, start=1):
        assert "Код участника" in text and "ФИО" in text and "Вариант" in text, number
        assert f"Стр. {number} из {pages}" in text
        assert "ВПР-Координатор" in text
        if number > 1:
            assert "продолжение" in text and "5Б" in text
    joined = "\n".join(texts)
    for row in rows:
        assert joined.count(row.code) == 1, row.code
    assert "Школьный координатор" in texts[-1]
    # Progress: monotonic, ends at (total, total), intermediate steps per page.
    assert calls[0] == (0, 60) and calls[-1] == (60, 60)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert len({d for d, _ in calls}) >= pages
    assert_chars_inside(out)


def test_protocol_each_class_starts_on_new_page(tmp_path, header):
    out = tmp_path / "protocol.pdf"
    a, b = make_rows(3, 51000), make_rows(4, 52000)
    write_protocol_pdf(out, header, [ClassSection("5А", a), ClassSection("5Б", b), ClassSection("5В", [])])
    texts = [flat(t) for t in page_texts(out)]
    assert len(texts) == 2
    assert all(r.code in texts[0] for r in a) and not any(r.code in texts[0] for r in b)
    assert all(r.code in texts[1] for r in b) and not any(r.code in texts[1] for r in a)
    assert "Класс" in texts[1] and "5Б" in texts[1]
    assert texts[0].count("Школьный координатор") == 1 and texts[1].count("Школьный координатор") == 1


def test_protocol_long_names_wrap_inside_the_page(tmp_path, header):
    long_row = ProtocolRow("51000", "Римского-Корсакова-Константинопольская-Старомосковская",
                           "Анастасия-Александра-Виктория", "Владимировна-Вячеславовна", "1", False)
    out = tmp_path / "protocol.pdf"
    write_protocol_pdf(out, header, [ClassSection("5А", [long_row] + make_rows(3, 51001))])
    text = flat(page_texts(out)[0])
    assert "Римского-Корсакова-Константинопольская-Старомосковская" in text
    assert "Владимировна-Вячеславовна" in text
    assert_chars_inside(out, right=PAGE_W_PT - 14 * MM)
    # The name stays inside its column: every character between the table header and the
    # signatures that starts in the ФИО column also ends in it.
    fio_left, fio_right = (15 + 9 + 23) * MM, (15 + 9 + 23 + 69) * MM
    boxes = char_boxes(out, 0)
    chars = "".join(char for char, _ in boxes)
    head_bottom = boxes[chars.index("ФИО", chars.index("участника"))][1][1]
    sign_top = boxes[chars.index("Организатор")][1][3]
    in_column = [
        (char, box) for char, box in boxes
        if fio_left <= box[0] < fio_right and sign_top < (box[1] + box[3]) / 2 < head_bottom
    ]
    assert len(in_column) > 80
    assert all(box[2] <= fio_right for _, box in in_column)


def test_protocol_without_pupils_is_a_user_error(tmp_path, header):
    with pytest.raises(UserError):
        write_protocol_pdf(tmp_path / "p.pdf", header, [ClassSection("5А", [])])
    assert not (tmp_path / "p.pdf").exists()


# ---------------------------------------------------------------- slips


def test_slips_have_codes_and_no_names(tmp_path, header):
    rows = make_rows(13)
    slips = [Slip(code=r.code, class_name="5А") for r in rows]
    out = tmp_path / "slips.pdf"
    calls = []
    write_slips_pdf(out, header, slips, progress=lambda d, t: calls.append((d, t)))
    assert no_temp_files(tmp_path)
    texts = [flat(t) for t in page_texts(out)]
    assert len(texts) == 2
    assert calls == [(0, 2), (1, 2), (2, 2)]
    joined = "\n".join(texts)
    for slip in slips:
        assert joined.count(slip.code) == 1
    assert joined.count("Код участника ВПР — впишите его в бланк работы") == 13
    assert "Математика" in joined and "5А" in joined and "15.04.2025" in joined
    assert "Стр. 2 из 2" in texts[1]
    for surname in SURNAMES + NAMES:
        assert surname not in joined
    assert_chars_inside(out, left=9 * MM, right=PAGE_W_PT - 9 * MM)


def test_slip_code_is_large(tmp_path, header):
    out = tmp_path / "slips.pdf"
    write_slips_pdf(out, header, [Slip("51234", "5А")])
    digits = [box for char, box in char_boxes(out, 0) if char.isdigit() and box[3] - box[1] > 6 * MM]
    # The five code digits, each about 8 mm tall (32 pt bold).
    assert len(digits) == 5


def test_slips_without_codes_is_a_user_error(tmp_path, header):
    with pytest.raises(UserError):
        write_slips_pdf(tmp_path / "s.pdf", header, [])


# ---------------------------------------------------------------- labels: layouts and geometry


def test_layouts_fit_a4():
    assert {"a4-3x8", "a4-3x7", "a4-2x8", "a4-4x10"} <= set(LAYOUTS)
    assert DEFAULT_LAYOUT == "a4-3x8"
    expected = {"a4-3x8": (24, 70, 37), "a4-3x7": (21, 70, 42.3), "a4-2x8": (16, 105, 37),
                "a4-4x10": (40, 48.5, 25.4)}
    for name, layout in LAYOUTS.items():
        assert layout.name == name
        assert layout.margin_left_mm >= 0 and layout.margin_top_mm >= 0
        right = layout.margin_left_mm + layout.cols * layout.label_w_mm + (layout.cols - 1) * layout.gap_x_mm
        bottom = layout.margin_top_mm + layout.rows * layout.label_h_mm + (layout.rows - 1) * layout.gap_y_mm
        assert right <= 210 + 1e-9, name
        assert bottom <= 297 + 1e-9, name
        assert str(layout.cols * layout.rows) in layout.title
        if name in expected:
            count, w, h = expected[name]
            assert (layout.per_sheet, layout.label_w_mm, layout.label_h_mm) == (count, w, h)
    small = LAYOUTS["a4-4x10"]
    assert (small.margin_left_mm, small.margin_top_mm) == (8, 21.5)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("login", ["sch123456", "sch1234567890abcdefg"])
def test_label_geometry(name, login):
    layout = LAYOUTS[name]
    modules = qr_module_count(encode_label(login, "7K3QF9", "51234"))
    assert modules in (25, 29)  # QR version 2 or 3
    geo = label_geometry(layout, modules)
    x, y, side = geo.qr_box
    min_qr = 17 if layout.label_h_mm < 30 else 18
    assert geo.qr_symbol_mm >= min_qr
    quiet = geo.module_mm * 4
    assert abs(side - (geo.qr_symbol_mm + 2 * quiet)) < 1e-6
    # The widget (quiet zone included) is inside the label; the symbol is inside the padding.
    assert x >= 0 and y >= -1e-9 and x + side <= layout.label_w_mm and y + side <= layout.label_h_mm + 1e-9
    assert x + quiet >= PAD and y + quiet >= PAD - 1e-9
    assert x + side - quiet <= layout.label_w_mm - PAD
    assert y + side - quiet <= layout.label_h_mm - PAD + 1e-9
    # The text starts right of the quiet zone and ends before the padding.
    assert geo.text_x >= x + side
    assert geo.text_x + geo.text_w <= layout.label_w_mm - PAD + 1e-9
    assert geo.code_pt >= 16


# ---------------------------------------------------------------- labels: content and scanning


def _decode_page(path: Path, page: int, transform=lambda im: im) -> list:
    return decode_qrs(transform(render_page(path, page, DPI)))


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_label_qr_decodes_at_150_dpi(tmp_path, header, name):
    layout = LAYOUTS[name]
    labels = make_labels(layout.per_sheet)
    out = tmp_path / f"labels-{name}.pdf"
    write_labels_pdf(out, header, labels, layout=name)
    assert no_temp_files(tmp_path)
    assert page_count(out) == 1
    printed = {label.payload for label in labels}

    found = _decode_page(out, 0)
    assert {b.text for b in found} == printed
    # Each label's QR carries its own participant, in sheet order.
    assert _qr_positions(out, 0, layout) == [(i, label.payload) for i, label in enumerate(labels)]
    for barcode in found:
        assert decode_label(barcode.text).login == "sch123456"

    image = render_page(out, 0, DPI)
    bw = to_black_and_white(image)
    for angle in (0, 90, 180, 270):
        rotated = bw.rotate(angle, expand=True)
        assert {b.text for b in decode_qrs(rotated)} == printed, (name, angle)
    # A plain 1-bit threshold (no dithering) too.
    assert {b.text for b in decode_qrs(to_black_and_white(image, dither=False))} == printed

    text = flat(page_texts(out)[0])
    for label in labels:
        assert label.code in text
    assert "Математика" in text and "5А" in text and "15.04.2025" in text
    for surname in SURNAMES + NAMES:
        assert surname not in text


def test_smallest_labels_decode_from_skewed_bw_scan(tmp_path, header):
    layout = LAYOUTS["a4-4x10"]
    labels = make_labels(layout.per_sheet, login="sch1234567890abcdefg")  # QR version 3
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, header, labels, layout="a4-4x10")
    image = render_page(out, 0, DPI).convert("L")
    skewed = image.rotate(3, resample=Image.BICUBIC, expand=True, fillcolor=255)
    assert {b.text for b in decode_qrs(to_black_and_white(skewed, dither=False))} == {l.payload for l in labels}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_nothing_crosses_label_edges(tmp_path, header, name):
    layout = LAYOUTS[name]
    labels = make_labels(layout.per_sheet)
    long_header = WorkHeader(**{**header.__dict__, "subject": "Иностранный язык (английский язык)"})
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, long_header, labels, layout=name)
    px = DPI / 25.4
    image = render_page(out, 0, DPI).convert("L")
    band = PAD - 0.4  # mm, a little less than the padding to allow for anti-aliasing
    safe = PAGE_SAFE - 0.4
    rects = []
    for position in range(layout.per_sheet):
        x0, y0 = label_origin(layout, position)
        top = 297 - y0 - layout.label_h_mm
        rects.append((x0, top, x0 + layout.label_w_mm, top + layout.label_h_mm))
    # Mask: 255 where nothing may be printed, 0 where content is allowed.
    forbidden = Image.new("L", image.size, 255)
    draw = ImageDraw.Draw(forbidden)
    for (left, top, right, bottom) in rects:
        box = (max(left + band, safe), max(top + band, safe), min(right - band, 210 - safe),
               min(bottom - band, 297 - safe))
        draw.rectangle([round(v * px) for v in box], fill=0)
    dark = image.point(lambda v: 255 if v < 200 else 0)
    assert ImageChops.multiply(dark, forbidden).getbbox() is None
    # And every character lies inside the padded box of some label.
    for char, (l, b, r, t) in char_boxes(out, 0):
        x_l, x_r = l / MM, r / MM
        y_top, y_bottom = 297 - t / MM, 297 - b / MM
        assert any(
            x_l >= left + PAD - 0.1 and x_r <= right - PAD + 0.1 and y_top >= top + PAD - 0.1
            and y_bottom <= bottom - PAD + 0.1
            for (left, top, right, bottom) in rects
        ), (char, (x_l, y_top, x_r, y_bottom))


def _qr_positions(path: Path, page: int, layout) -> list[tuple[int, str]]:
    """(label position on the sheet, payload) of every QR on a page."""
    px = DPI / 25.4
    result = []
    for barcode in _decode_page(path, page):
        pos = barcode.position
        cx = (pos.top_left.x + pos.bottom_right.x) / 2 / px
        cy = (pos.top_left.y + pos.bottom_right.y) / 2 / px
        col = int((cx - layout.margin_left_mm) // (layout.label_w_mm + layout.gap_x_mm))
        row = int((cy - layout.margin_top_mm) // (layout.label_h_mm + layout.gap_y_mm))
        result.append((row * layout.cols + col, barcode.text))
    return sorted(result)


@pytest.mark.parametrize("login", ["s", "sch123456", "sch1234567890ab", "sch1234567890abc",
                                   "sch1234567890abcdefg"])
def test_qr_symbol_carries_the_documented_codewords(login):
    """The symbol is the one docs/qr_format.md describes: level M, alphanumeric mode, version 2
    up to a 15-character login and 3 beyond. reportlab's encoder (the reference the format was
    written against) gives the same modules under one of the 8 masks: same version, level, mode
    and data and error-correction codewords; only the mask choice may differ."""
    from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

    for code in ("51234", "10000", "99999", "47010"):
        payload = encode_label(login, "7K3QF9", code)
        symbol = qr_matrix(payload)
        assert symbol.shape == ((25, 25) if len(login) <= 15 else (29, 29))
        reference = QRCode(None, getattr(QRErrorCorrectLevel, QR_LEVEL))
        reference.addData(payload)
        reference.version = reference.calculate_version()
        masks = []
        for mask in range(8):
            reference.makeImpl(False, mask)
            masks.append([[bool(v) for v in row] for row in reference.modules])
        assert symbol.tolist() in masks, (login, code)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_printed_module_is_where_the_geometry_puts_it(tmp_path, header, name):
    """Rendered at 300 dpi, the centre of every module of every label on the sheet has the colour
    of the encoded symbol (same size, position and orientation as the layout says), and the
    4-module quiet zone around each symbol is blank."""
    layout = LAYOUTS[name]
    labels = make_labels(layout.per_sheet)
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, header, labels, layout=name)
    dpi = 300
    px = dpi / 25.4
    image = render_page(out, 0, dpi).convert("L")
    pixels = image.load()
    modules = qr_module_count(labels[0].payload)
    geo = label_geometry(layout, modules)
    qx, qy, side = geo.qr_box
    for position, label in enumerate(labels):
        symbol = qr_matrix(label.payload)
        x0, y0 = label_origin(layout, position)
        left_mm = x0 + qx
        top_mm = 297 - (y0 + qy + side)
        total = modules + 2 * QUIET_MODULES
        seen = []
        for row in range(total):
            seen_row = []
            for col in range(total):
                x = (left_mm + (col + 0.5) * geo.module_mm) * px
                y = (top_mm + (row + 0.5) * geo.module_mm) * px
                seen_row.append(pixels[int(x), int(y)] < 128)
            seen.append(seen_row)
        q = QUIET_MODULES
        expected = [[False] * total for _ in range(total)]
        for r, row in enumerate(symbol.tolist()):
            expected[r + q][q:q + modules] = row
        assert seen == expected, (name, position)


def test_qr_is_vector_art_drawn_crisp_at_150_dpi(tmp_path, header):
    """No raster QR: the page has no images; and at 150 dpi the symbols render with hard edges
    (each run of modules is its own rectangle, which renderers align to the pixel grid, as they
    did for reportlab's widget), so a 1-bit scan threshold has nothing to guess."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    layout = LAYOUTS["a4-3x8"]
    labels = make_labels(layout.per_sheet)
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, header, labels, layout="a4-3x8", outlines=True)
    pdf = pdfium.PdfDocument(str(out))
    try:
        kinds = {obj.type for obj in pdf[0].get_objects(max_depth=5)}
    finally:
        pdf.close()
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in kinds and pdfium_c.FPDF_PAGEOBJ_PATH in kinds
    image = render_page(out, 0, DPI).convert("L")
    px = DPI / 25.4
    geo = label_geometry(layout, qr_module_count(labels[0].payload))
    qx, qy, side = geo.qr_box
    grey = total = 0
    for position in range(layout.per_sheet):
        x0, y0 = label_origin(layout, position)
        quiet = QUIET_MODULES * geo.module_mm
        box = [round(v * px) for v in (x0 + qx + quiet, 297 - (y0 + qy + side) + quiet,
                                        x0 + qx + side - quiet, 297 - (y0 + qy) - quiet)]
        histogram = image.crop(box).histogram()
        grey += sum(histogram[40:216])
        total += sum(histogram)
    assert grey / total < 0.005


def test_skip_and_copies(tmp_path, header):
    layout = LAYOUTS["a4-3x8"]
    labels = make_labels(12)
    out = tmp_path / "labels.pdf"
    calls = []
    write_labels_pdf(out, header, labels, layout="a4-3x8", copies=2, skip=5,
                     progress=lambda d, t: calls.append((d, t)))
    # 5 skipped + 24 printed = 29 positions: two sheets, 19 + 5 labels.
    assert page_count(out) == 2
    assert calls == [(0, 2), (1, 2), (2, 2)]
    first, second = _qr_positions(out, 0, layout), _qr_positions(out, 1, layout)
    assert [p for p, _ in first] == list(range(5, 24))
    assert [p for p, _ in second] == list(range(0, 5))
    counts = Counter(text for _, text in first + second)
    assert counts == {label.payload: 2 for label in labels}
    # Copies sit next to each other, in the order given.
    assert [t for _, t in first][:4] == [labels[0].payload] * 2 + [labels[1].payload] * 2


def test_skip_fills_partly_used_sheet(tmp_path, header):
    layout = LAYOUTS["a4-4x10"]
    labels = make_labels(3)
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, header, labels, layout="a4-4x10", skip=37)
    assert page_count(out) == 1
    assert _qr_positions(out, 0, layout) == [(37 + i, l.payload) for i, l in enumerate(labels)]


def test_unknown_layout_lists_available_ones(tmp_path, header):
    with pytest.raises(UserError) as info:
        write_labels_pdf(tmp_path / "l.pdf", header, make_labels(1), layout="letter-5x2")
    message = str(info.value)
    assert "letter-5x2" in message and "Неизвестный формат листа наклеек" in message
    for name, layout in LAYOUTS.items():
        assert name in message and layout.title in message
    assert not (tmp_path / "l.pdf").exists()


@pytest.mark.parametrize("kwargs", [{"skip": -1}, {"skip": 24}, {"copies": 0}, {"copies": 11}])
def test_bad_skip_or_copies_is_a_user_error(tmp_path, header, kwargs):
    with pytest.raises(UserError):
        write_labels_pdf(tmp_path / "l.pdf", header, make_labels(2), **kwargs)


def test_no_labels_is_a_user_error(tmp_path, header):
    with pytest.raises(UserError):
        write_labels_pdf(tmp_path / "l.pdf", header, [])


def test_outlines_for_trial_print(tmp_path, header):
    out = tmp_path / "labels.pdf"
    write_labels_pdf(out, header, make_labels(2), outlines=True)
    image = render_page(out, 0, DPI).convert("L")
    # A dashed border of the last (empty) label on the sheet is drawn.
    px = DPI / 25.4
    layout = LAYOUTS[DEFAULT_LAYOUT]
    x0, y0 = label_origin(layout, layout.per_sheet - 2)
    top = 297 - y0 - layout.label_h_mm
    row = int(top * px)
    values = [image.getpixel((x, row)) for x in range(int(x0 * px), int((x0 + layout.label_w_mm) * px))]
    values += [image.getpixel((x, row + 1)) for x in range(int(x0 * px), int((x0 + layout.label_w_mm) * px))]
    assert min(values) < 230


def test_reportlab_uses_its_c_accelerators():
    # Declared in pyproject (rl_accel); without it reportlab silently uses pure-Python fallbacks
    # and every PDF (the cover letter of 1500 codes most of all) is built slower.
    from reportlab.lib import rl_accel

    assert rl_accel.fp_str.__module__ == "_rl_accel"
    assert rl_accel.asciiBase85Encode.__module__ == "_rl_accel"
