"""Finding label QR codes on scanned pages (coordinator_app.scans.qr) on realistic scans made
from the labels the app really prints (tests/fixtures/scan_pages.py)."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from coordinator_app.qr_payload import LabelFormatError, decode_label
from coordinator_app.scans.qr import QrHit, find_labels, page_rotation
from tests.fixtures.scan_pages import (
    LABEL_RIGHT_MM,
    LABEL_TOP_MM,
    label_image,
    label_payload,
    plain_page,
    qr_symbol_box,
    save_jpeg,
    save_pdf,
    save_tiff,
    title_page,
)

#: Scan profiles: (dpi, mode, JPEG quality of the degraded variant).
PROFILES = {
    "200dpi-grey": (200, "L", 30),
    "300dpi-colour": (300, "RGB", 30),
    "150dpi-bw": (150, "1", None),
}
NOISE = 0.01  # 1 % of the pixels turned black or white


def upright(image: Image.Image, rotation: int) -> Image.Image:
    """The page turned clockwise by `rotation` degrees."""
    return image.rotate(-rotation, expand=True) if rotation else image


def expected_center(code: str, dpi: int, layout: str = "a4-3x8", login: str = "sch123456",
                    rotation: int = 0) -> tuple[float, float]:
    """Where the QR centre of the label of an unskewed `title_page` is, in pixels, on the page
    as generated with `rotation` (counter-clockwise quarter turns)."""
    payload = label_payload(code, login)
    label = label_image(code, login=login, dpi=dpi, layout=layout)
    width, height = round(210 * dpi / 25.4), round(297 * dpi / 25.4)
    left = width - round(LABEL_RIGHT_MM * dpi / 25.4) - label.width
    top = round(LABEL_TOP_MM * dpi / 25.4)
    sym_left, sym_top, module, modules = qr_symbol_box(layout, payload, dpi)
    x = left + sym_left + module * modules / 2
    y = top + sym_top + module * modules / 2
    if rotation == 90:  # counter-clockwise: (x, y) -> (y, W - x)
        return y, width - x
    if rotation == 180:
        return width - x, height - y
    if rotation == 270:
        return height - y, x
    return x, y


def assert_identified(image: Image.Image, code: str, rotation: int, *, dpi: int,
                      layout: str = "a4-3x8", login: str = "sch123456", skew: float = 0.0) -> QrHit:
    """The page holds exactly our label, it decodes to `code`, its rotation is right (turning
    the page by it gives a page whose label reads rotation 0, at the top right)."""
    hits = find_labels(image)
    assert len(hits) == 1, hits
    hit = hits[0]
    payload = decode_label(hit.text)
    assert payload.code == code
    assert payload.login == login
    assert hit.rotation == rotation  # generated turned counter-clockwise by `rotation`
    assert page_rotation(hits) == hit.rotation
    tolerance = 1.5 * dpi / 25.4  # 1.5 mm
    if not skew:
        ex, ey = expected_center(code, dpi, layout, login, rotation)
        assert abs(hit.center[0] - ex) < tolerance and abs(hit.center[1] - ey) < tolerance, (hit, ex, ey)
    else:
        assert 0 <= hit.center[0] < image.width and 0 <= hit.center[1] < image.height

    fixed = upright(image, hit.rotation)
    again = find_labels(fixed)
    assert [h.text for h in again] == [hit.text]
    assert again[0].rotation == 0
    # Upright, the label is where the pupil stuck it: the top right of the sheet.
    assert again[0].center[0] > fixed.width * 0.6 and again[0].center[1] < fixed.height * 0.25
    return hit


# ---------------------------------------------------------------- the scan matrix


@pytest.mark.parametrize("skew", [0.0, 3.0, -3.0])
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("degraded", [False, True], ids=["clean", "noise+jpeg"])
def test_label_found_in_every_orientation(profile, rotation, skew, degraded):
    dpi, mode, quality = PROFILES[profile]
    code = str(50000 + rotation + int(skew * 10) % 100 + dpi)
    image = title_page(code, dpi=dpi, mode=mode, rotation=rotation, skew=skew,
                       noise=NOISE if degraded else 0.0,
                       jpeg_quality=quality if degraded else None, seed=rotation + dpi)
    assert image.mode == mode
    assert_identified(image, code, rotation, dpi=dpi, skew=skew)


@pytest.mark.parametrize("rotation, skew, degraded", [(90, 3.0, True), (180, 0.0, False)])
def test_600_dpi_grey(rotation, skew, degraded):
    image = title_page("61234", dpi=600, rotation=rotation, skew=skew,
                       noise=NOISE if degraded else 0.0, jpeg_quality=30 if degraded else None)
    assert_identified(image, "61234", rotation, dpi=600, skew=skew)


@pytest.mark.parametrize("login", ["sch123456", "sch1234567890abcdefg"])  # QR version 2 and 3
@pytest.mark.parametrize("rotation, skew", [(0, 0.0), (90, 3.0), (180, -3.0), (270, 3.0)])
def test_smallest_layout_150_dpi_black_and_white(login, rotation, skew):
    image = title_page("71234", login=login, dpi=150, layout="a4-4x10", mode="1",
                       rotation=rotation, skew=skew, noise=NOISE, seed=rotation)
    assert_identified(image, "71234", rotation, dpi=150, layout="a4-4x10", login=login, skew=skew)


def test_heavy_speckle_needs_the_fallback():
    # 4 % salt-and-pepper on a skewed 150 dpi 1-bit scan defeats the fast pass; the median does it.
    image = title_page("81234", dpi=150, mode="1", rotation=90, skew=3.7, noise=0.04,
                       layout="a4-3x7", seed=5)
    assert_identified(image, "81234", 90, dpi=150, layout="a4-3x7", skew=3.7)


# ---------------------------------------------------------------- pages without a label


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("rotation", [0, 90])
def test_plain_pages_give_nothing(profile, rotation):
    dpi, mode, quality = PROFILES[profile]
    page = plain_page(dpi=dpi, mode=mode, rotation=rotation, seed=rotation, noise=NOISE,
                      jpeg_quality=quality)
    assert find_labels(page) == []
    assert page_rotation(find_labels(page)) is None


# ---------------------------------------------------------------- damaged and forged labels


@pytest.mark.parametrize("damage", [0.01, 0.03, 0.1, 0.3])
def test_damaged_label_never_gives_a_wrong_code(damage):
    found = 0
    for seed in range(5):
        page = title_page("51234", damage=damage, seed=seed)
        for hit in find_labels(page):
            try:
                payload = decode_label(hit.text)
            except LabelFormatError:
                continue
            assert payload.code == "51234"  # Reed-Solomon repaired it, or nothing
            found += 1
    if damage >= 0.1:
        assert found == 0  # painted over this much, the symbol does not decode at all


def test_altered_label_text_is_rejected_by_the_check():
    genuine = label_payload("51234")
    # The code changed, the check left as it was: a misprint or a forgery.
    altered = genuine.replace(":51234:", ":51284:")
    hits = find_labels(title_page("51284", payload=altered))
    assert [hit.text for hit in hits] == [altered]
    with pytest.raises(LabelFormatError) as err:
        decode_label(hits[0].text)
    assert err.value.kind == LabelFormatError.CHECK


def test_foreign_qr_is_returned_for_the_caller_to_reject():
    hits = find_labels(title_page("51234", payload="https://example.org/vpr"))
    assert [hit.text for hit in hits] == ["https://example.org/vpr"]
    with pytest.raises(LabelFormatError):
        decode_label(hits[0].text)


def test_foreign_qr_beside_our_label_gives_both():
    page = title_page("51234", payload="https://example.org/vpr", extra_codes=("62345",))
    texts = [hit.text for hit in find_labels(page)]
    assert sorted(texts) == sorted(["https://example.org/vpr", label_payload("62345")])


def test_a_foreign_qr_does_not_stop_the_fallbacks(monkeypatch):
    # The fast pass sees only some other QR code; our label turns up in a fallback pass.
    import coordinator_app.scans.qr as qr

    ours = label_payload("51234")
    calls: list[str] = []

    def fake_read(array, binarizer, scale):
        calls.append(binarizer)
        if len(calls) == 1:
            return [QrHit("https://example.org", 0, (1.0, 1.0))]
        if len(calls) == 3:
            return [QrHit(ours, 90, (2.0, 2.0)), QrHit("https://example.org", 0, (1.0, 1.0))]
        return []

    monkeypatch.setattr(qr, "_read", fake_read)
    hits = find_labels(plain_page())
    assert [hit.text for hit in hits] == ["https://example.org", ours]
    assert len(calls) == 3  # stopped at the pass that found our label
    assert page_rotation(hits) == 90  # our label decides, not the foreign code


# ---------------------------------------------------------------- several labels


@pytest.mark.parametrize("rotation", [0, 270])
def test_page_with_two_labels_gives_both(rotation):
    page = title_page("51234", extra_codes=("62345",), rotation=rotation, skew=1.5, noise=NOISE)
    hits = find_labels(page)
    assert sorted(decode_label(hit.text).code for hit in hits) == ["51234", "62345"]
    assert {hit.rotation for hit in hits} == {rotation}
    assert page_rotation(hits) == rotation
    first, second = sorted(hits, key=lambda h: decode_label(h.text).code)
    assert first.center != second.center


def test_duplicate_labels_are_reported_once():
    page = title_page("51234", extra_codes=("51234",))
    assert [decode_label(hit.text).code for hit in find_labels(page)] == ["51234"]


def test_page_rotation_votes():
    def hit(rotation: int, text: str) -> QrHit:
        return QrHit(text=text, rotation=rotation, center=(0.0, 0.0))

    assert page_rotation([]) is None
    assert page_rotation([hit(90, "a")]) == 90
    assert page_rotation([hit(0, "a"), hit(180, "b"), hit(180, "c")]) == 180
    assert page_rotation([hit(270, "a"), hit(0, "b")]) == 270  # a tie: the first found
    ours = label_payload("51234")
    assert page_rotation([hit(0, "a"), hit(0, "b"), hit(180, ours)]) == 180  # labels outvote


# ---------------------------------------------------------------- image modes and odd images


@pytest.mark.parametrize("mode", ["1", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F"])
def test_image_modes(mode):
    base = title_page("51234", dpi=200, rotation=90, mode="RGB" if mode in ("P", "RGBA", "CMYK") else "L")
    if mode == "I;16":
        # A 16-bit scan: 0..255 spread over 0..65535.
        wide = np.asarray(base).astype("<u2") * 257
        image = Image.frombytes("I;16", base.size, wide.tobytes())
    elif mode == "RGBA":
        image = base.convert("RGBA")
        image.putalpha(255)
    else:
        image = base.convert(mode)
    assert image.mode == mode
    assert_identified(image, "51234", 90, dpi=200)


def test_transparent_background_counts_as_paper():
    # A PNG whose paper is transparent black: composited over white, the label reads.
    grey = title_page("51234", dpi=200)
    alpha = grey.point(lambda v: 255 - v)  # ink opaque, paper transparent
    image = Image.merge("RGBA", (Image.new("L", grey.size, 0),) * 3 + (alpha,))
    assert [decode_label(h.text).code for h in find_labels(image)] == ["51234"]


@pytest.mark.parametrize("image", [
    Image.new("L", (1, 1), 0),
    Image.new("L", (0, 0)),
    Image.new("RGB", (20, 20), (255, 255, 255)),
    Image.new("L", (1654, 2339), 0),
    Image.new("L", (1654, 2339), 255),
    Image.new("1", (1240, 1754), 0),
    Image.new("P", (1654, 2339), 3),
    Image.new("I;16", (800, 600), 1000),
    Image.new("F", (800, 600), float("nan")),
    Image.new("L", (5, 40000), 0),
], ids=["1x1", "0x0", "tiny", "black", "white", "bw-black", "palette", "i16-flat", "nan",
        "thin"])
def test_odd_images_give_nothing(image):
    assert find_labels(image) == []


def test_not_an_image_and_truncated_file():
    assert find_labels(None) == []  # type: ignore[arg-type]
    buffer = io.BytesIO()
    title_page("51234").save(buffer, "JPEG", quality=80)
    truncated = Image.open(io.BytesIO(buffer.getvalue()[: len(buffer.getvalue()) // 3]))
    assert find_labels(truncated) == []


def test_huge_image_is_reduced_and_centre_maps_back():
    # A 9000 x 7000 sheet (63 Mpx, more than a 600 dpi A4): reduced before decoding.
    label = label_image("51234", dpi=600)
    page = Image.new("L", (9000, 7000), 255)
    page.paste(label, (6000, 4000))
    hits = find_labels(page)
    assert [decode_label(h.text).code for h in hits] == ["51234"]
    left, top, module, modules = qr_symbol_box("a4-3x8", label_payload("51234"), 600)
    ex, ey = 6000 + left + module * modules / 2, 4000 + top + module * modules / 2
    assert abs(hits[0].center[0] - ex) < 30 and abs(hits[0].center[1] - ey) < 30


# ---------------------------------------------------------------- scan files from the fixtures


def test_fixture_files_read_back(tmp_path):
    bw = [title_page("51234", dpi=150, mode="1"), plain_page(dpi=150, mode="1")]
    tiff = save_tiff(bw, tmp_path / "scan.tif")
    with Image.open(tiff) as image:
        assert image.n_frames == 2 and image.info.get("compression") == "group4"
        image.seek(0)
        assert [decode_label(h.text).code for h in find_labels(image)] == ["51234"]
        image.seek(1)
        assert find_labels(image) == []

    jpeg = save_jpeg(title_page("52345", dpi=200, mode="RGB", rotation=180), tmp_path / "p.jpg")
    with Image.open(jpeg) as image:
        hits = find_labels(image)
        assert [decode_label(h.text).code for h in hits] == ["52345"] and hits[0].rotation == 180

    pdf_path = save_pdf([title_page("53456", dpi=200), plain_page(dpi=200)], tmp_path / "scan.pdf",
                        dpi=200)
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # an A4 page
        image = pdf[0].render(scale=200 / 72, grayscale=True).to_pil()
        assert [decode_label(h.text).code for h in find_labels(image)] == ["53456"]
    finally:
        pdf.close()


# ---------------------------------------------------------------- which passes a page pays for


def _spy_reads(monkeypatch) -> list[tuple[int, int]]:
    """Shapes of the arrays the decoder is run on, in order."""
    import coordinator_app.scans.qr as qr

    shapes: list[tuple[int, int]] = []
    real = qr._read

    def spy(array, binarizer, scale):
        shapes.append(array.shape)
        return real(array, binarizer, scale)

    monkeypatch.setattr(qr, "_read", spy)
    return shapes


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_page_without_a_label_gets_one_whole_page_pass_and_nothing(monkeypatch, profile):
    # Printed text is nowhere as dark as a QR symbol: no region is searched, no fallback runs.
    dpi, mode, quality = PROFILES[profile]
    page = plain_page(dpi=dpi, mode=mode, rotation=90, noise=NOISE, jpeg_quality=quality, seed=3)
    shapes = _spy_reads(monkeypatch)
    assert find_labels(page) == []
    assert len(shapes) == 1


@pytest.mark.parametrize("rotation, skew", [(90, 3.0), (180, -3.5), (270, 0.0)])
def test_a_turned_and_skewed_label_is_read_in_its_region_without_a_whole_page_pass(
        monkeypatch, rotation, skew):
    page = title_page("51234", rotation=rotation, skew=skew, noise=NOISE, jpeg_quality=30, seed=2)
    shapes = _spy_reads(monkeypatch)
    assert_identified(page, "51234", rotation, dpi=200, skew=skew)  # centre mapped back too
    whole = (page.height, page.width)
    assert shapes and whole not in shapes
    assert all(h * w < 0.25 * page.width * page.height for h, w in shapes)


def test_a_label_the_locator_misses_is_read_by_the_whole_page_pass(monkeypatch):
    import coordinator_app.scans.qr as qr

    monkeypatch.setattr(qr, "_candidate_boxes", lambda *args, **kwargs: [])
    page = title_page("51234", rotation=180, skew=2.0, noise=NOISE, jpeg_quality=40)
    assert [decode_label(h.text).code for h in find_labels(page)] == ["51234"]


def test_a_faint_label_on_a_page_with_black_ink_is_read_by_the_whole_page_pass(monkeypatch):
    # The label printed pale (30 % of the contrast) on a page whose darkest ink is a black bar:
    # measured against that ink the symbol is not dark enough for the locator, and the pass on
    # the whole page is what reads it.
    page = title_page("51234", rotation=90, seed=4)
    pixels = np.asarray(page).astype(np.int32)
    box = slice(0, pixels.shape[0] * 2 // 3), slice(0, pixels.shape[1] // 2)  # the label's part
    pixels[box] = 255 - (255 - pixels[box]) * 30 // 100
    pixels[-200:-150, 100:900] = 0
    faint = Image.fromarray(pixels.astype(np.uint8), "L")
    shapes = _spy_reads(monkeypatch)
    assert [decode_label(h.text).code for h in find_labels(faint)] == ["51234"]
    assert shapes[-1] == (faint.height, faint.width)


def test_the_quarter_given_by_the_caller_changes_nothing():
    page = title_page("51234", rotation=270, skew=1.0, noise=NOISE)
    assert find_labels(page, quarter=page.reduce(4)) == find_labels(page)
    plain = plain_page(seed=1)
    assert find_labels(plain, quarter=plain.reduce(4)) == []
