"""Fill a ФИС ОКО form (.xlsx) with a work's checked results and write it.

The coordinator downloaded the form from ФИС ОКО (`fill_template()`), or a form of the same
structure was built (`blank.generate_form()`); either way the rows of «Протокол» are filled in
place and everything else of the workbook is kept (header, the `Итого баллов` formulas, the hidden
«Служебный» sheet, data validations, widths, styles, defined names).

Nothing is written unless every value passes `check.plan()`. Values are written the way ФИС ОКО's
own forms hold them: the code, variants, scores, class ordinal and journal mark as numbers, «X»
(Latin), «не пройд.», «отсутствовал», «м»/«ж» and «нет отметки» as text spelled exactly as in the
form's list. An absent pupil gets «отсутствовал» in the variant column of part 1 only (like the
real 2025 form), every task cell left empty.

The workbook is read once, by openpyxl (`open_template`: the form's structure and formulas); the
file is then filled at the XML level (`fill_package`, with `splice`): only the `<sheetData>` of
«Протокол» (and of «Классы» when textbooks are given) is spliced, every other part of the package
is copied as it is, and what was written is read back (`readback`) before anything is saved. A
package laid out in a way the splicer does not know is filled the old way instead
(`fill_with_openpyxl`: openpyxl's load and save, then `ooxml.finish` and `ooxml.shared_strings`).
Either way the `Итого баллов` results are computed here (`totals`) and stored in the cells, so a
reader that does not calculate sees the right totals; Excel recalculates on opening anyway.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app import APP_TITLE
from coordinator_app.errors import UserError
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.check import (
    FormRowData,
    Planned,
    plan,
    raise_problems,
)
from coordinator_app.formats.fisoko.ooxml import (
    LIBRARY_AUTHORS,
    SST_REL,
    SST_TYPE,
    Unusual,
    document_properties,
    finish,
    full_calc_on_load,
    load,
    relationships,
    shared_strings,
    sheet_paths,
)
from coordinator_app.formats.fisoko.readback import check_package
from coordinator_app.formats.fisoko.splice import (
    SheetEdit,
    Strings,
    edit_sheet,
    shared_inline,
)
from coordinator_app.formats.fisoko.template import (
    TemplateInfo,
    classes_layout,
    open_template,
)
from coordinator_app.formats.fisoko.totals import cell_value_at, totals
from coordinator_app.formats.fisoko.validations import find_sheet
from coordinator_app.formats.fisoko.vocabulary import CLASSES_SHEET
from coordinator_app.fsutil import atomic_writer

__all__ = [
    "PACKAGE_DEFLATE_LEVEL",
    "ProgressFn",
    "check_fill_and_write",
    "fill_package",
    "fill_template",
    "fill_with_openpyxl",
    "put",
    "save",
]

log = logging.getLogger(__name__)
#: zlib level of the written form's members: level 1 is several times faster than the default 6 and
#: the form stays a few hundred kilobytes; Excel and ФИС ОКО read any level.
PACKAGE_DEFLATE_LEVEL = 1

ProgressFn = Callable[[int, int], None]


# --------------------------------------------------------------------------------------------
# The openpyxl way (the fallback): writing into a loaded workbook


def put(cell: Cell, value: int | str | None) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula


def _clear(ws: Worksheet, columns: list[int], first_row: int, last_row: int) -> None:
    """Empty the values (not the styles) of existing cells in `columns` × rows."""
    cells = ws._cells
    for (row, col), cell in list(cells.items()):
        if first_row <= row <= last_row and col in columns and cell.value is not None:
            cell.value = None


def _fill_workbook(
    wb: Workbook,
    info: TemplateInfo,
    planned: list[Planned],
    books: dict[int, str] | None,
    progress: ProgressFn | None,
) -> dict[int, int | str]:
    """Write the rows; return the Итого results to cache ({row: value}, see `totals`)."""
    ws = wb[info.sheet]
    inputs = [info.code_column, *info.variant_columns.values(), *(t.column for t in info.tasks)]
    inputs += [c for c in (info.class_ordinal_column, info.gender_column,
                           info.journal_mark_column) if c is not None]
    # A template filled before: stale rows below ours must not reach ФИС ОКО.
    _clear(ws, inputs, info.first_data_row, max(ws.max_row, info.last_data_row))
    total = len(planned)
    if progress is not None:
        progress(0, total)
    for i, row in enumerate(planned):
        r = info.first_data_row + i
        for col, value in row.cells.items():
            if value is None:
                continue
            put(ws.cell(row=r, column=col), value)
        if progress is not None:
            progress(i + 1, total)
    if books is not None:
        _fill_classes(wb, books)
    # openpyxl keeps no cached formula results: let Excel recalculate on opening, and store
    # the Итого results ourselves for readers that never calculate (see `finish`).
    if wb.calculation is not None:
        wb.calculation.fullCalcOnLoad = True
    return totals(ws, info, cell_value_at(ws))



def _fill_classes(wb: Workbook, books: dict[int, str]) -> None:
    ws = find_sheet(wb, CLASSES_SHEET)
    if ws is None:
        return
    header_row, ordinal_col, book_col, width = classes_layout(ws)
    _clear(ws, list(range(1, width + 1)), header_row + 1, ws.max_row)
    for i, (ordinal, book) in enumerate(sorted(books.items()), start=header_row + 1):
        put(ws.cell(row=i, column=ordinal_col), ordinal)
        put(ws.cell(row=i, column=book_col), book)


def save(wb: Workbook) -> bytes:
    """The workbook as openpyxl saves it."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Filling the package in place (see `splice`)


@dataclass
class _Package:
    """The template's package as read: its members in order, their bytes, the sheets' members
    and the workbook's relationships."""

    items: list[zipfile.ZipInfo]
    members: dict[str, bytes]
    paths: dict[str, str]
    rels: list[dict[str, str]]

    @classmethod
    def read(cls, data: bytes) -> _Package:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            items = zf.infolist()
            return cls(items, {item.filename: zf.read(item.filename) for item in items},
                       sheet_paths(zf), relationships(zf, "xl/_rels/workbook.xml.rels"))

    def shared_strings_member(self) -> str | None:
        """The shared-strings table's member, or None when the package has none."""
        targets = [r.get("Target", "") for r in self.rels if r.get("Type") == SST_REL]
        if len(targets) > 1:
            raise Unusual("two shared-strings tables")
        if not targets:
            if "xl/sharedStrings.xml" in self.members:
                raise Unusual("a shared-strings table without its relationship")
            return None
        target = targets[0]
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if member not in self.members:
            raise Unusual("the shared-strings table is missing")
        return member


def _input_columns(info: TemplateInfo) -> frozenset[int]:
    """The columns the fill writes (and clears below the rows it writes)."""
    return frozenset([info.code_column, *info.variant_columns.values(),
                      *(t.column for t in info.tasks),
                      *(c for c in (info.class_ordinal_column, info.gender_column,
                                    info.journal_mark_column) if c is not None)])


def _protocol_edit(info: TemplateInfo, ws: Worksheet, planned: list[Planned]) -> SheetEdit:
    """The rows written into «Протокол», the input columns cleared below, the Итого results
    computed from the values as they will be."""
    inputs = _input_columns(info)
    first = info.first_data_row
    writes: dict[int, dict[int, int | str]] = {}
    for i, row in enumerate(planned):
        cells = {c: v for c, v in sorted(row.cells.items()) if v is not None}
        if cells:
            writes[first + i] = cells
    written = {first + i: row.cells for i, row in enumerate(planned)}
    template_value = cell_value_at(ws)

    def value_at(r: int, c: int) -> Any:
        if r >= first and c in inputs:
            return written.get(r, {}).get(c)
        return template_value(r, c)

    return SheetEdit(first, inputs, writes, info.total_column, totals(ws, info, value_at))


def _classes_edit(wb: Workbook, books: dict[int, str],
                  package: _Package) -> tuple[str, SheetEdit] | None:
    """The «Классы» sheet's member and its rows (ordinal, textbook); None without the sheet."""
    classes = find_sheet(wb, CLASSES_SHEET)
    if classes is None:
        return None
    member = package.paths.get(value_text(classes.title))
    if member is None or member not in package.members:
        raise Unusual("no «Классы» member")
    header_row, ordinal_col, book_col, _width = classes_layout(classes)
    rows: dict[int, dict[int, int | str]] = {}
    for r, (ordinal, book) in enumerate(sorted(books.items()), start=header_row + 1):
        rows[r] = dict(sorted({ordinal_col: ordinal, book_col: book}.items()))
    return member, SheetEdit(header_row + 1, None, rows)


class _RowProgress:
    """`progress(done, total)` from the splicer's `row_done(excel row)`."""

    def __init__(self, progress: ProgressFn | None, first: int, writes: dict[int, Any],
                 total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self.row_of = {first + i: i + 1 for i in range(total) if first + i in writes}
        if progress is not None:
            progress(0, total)

    def row_done(self, n: int) -> None:
        if n in self.row_of and self.progress is not None:
            self.done = self.row_of[n]
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None and self.done < self.total:
            self.progress(self.total, self.total)  # rows with nothing to write (none for a real row)


def _spliced(package: _Package, edits: dict[str, SheetEdit], strings: Strings, protocol: str,
             row_done: Callable[[int], None]) -> dict[str, bytes]:
    """The sheets that change: the edited ones, and those with inline text to move into shared
    strings."""
    changed: dict[str, bytes] = {}
    sheets = set(package.paths.values())
    for name, body in package.members.items():
        if name in edits:
            xml = edit_sheet(body.decode("utf-8"), edits[name], strings,
                             row_done if name == protocol else None)
        elif name in sheets and b't="inlineStr"' in body:
            xml = body.decode("utf-8")
        else:
            continue
        changed[name] = shared_inline(xml, strings).encode("utf-8")
    return changed


def _strings_table(package: _Package, strings: Strings, sst_member: str | None,
                   changed: dict[str, bytes]) -> str | None:
    """The shared-strings table as the fill leaves it (a new one added to the package when the
    template had none); its member, or None when none is needed."""
    members = package.members
    if not (strings.references or strings.added or sst_member):
        return sst_member
    if sst_member is not None:
        if strings.added or strings.references:
            changed[sst_member] = strings.table(members[sst_member])
        return sst_member
    sst_member = "xl/sharedStrings.xml"
    changed["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                     f'ContentType="{SST_TYPE}"/></Types>'.encode())
    ids = {r.get("Id") for r in package.rels}
    rid = next(f"rIdVprSharedStrings{k or ''}" for k in range(len(ids) + 1)
               if f"rIdVprSharedStrings{k or ''}" not in ids)
    changed["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="{rid}" Type="{SST_REL}" '
                             f'Target="sharedStrings.xml"/></Relationships>'.encode())
    changed[sst_member] = strings.table(None)
    return sst_member


def _zipped(package: _Package, changed: dict[str, bytes], sst_member: str | None) -> bytes:
    result = io.BytesIO()
    items, members = package.items, package.members
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, compresslevel=PACKAGE_DEFLATE_LEVEL) as out:
        for item in items:
            out.writestr(item, changed.get(item.filename, members[item.filename]),
                         compresslevel=PACKAGE_DEFLATE_LEVEL)
        if sst_member is not None and sst_member not in members:
            out.writestr(zipfile.ZipInfo(sst_member, date_time=items[0].date_time),
                         changed[sst_member], compress_type=zipfile.ZIP_DEFLATED)
    return result.getvalue()


def fill_package(data: bytes, info: TemplateInfo, wb: Workbook, planned: list[Planned],
                 books: dict[int, str] | None, progress: ProgressFn | None) -> bytes:
    """The filled package, every change read back and checked (raises `Unusual` otherwise)."""
    package = _Package.read(data)
    sst_member = package.shared_strings_member()
    strings = Strings(package.members[sst_member] if sst_member else None)
    protocol = package.paths.get(value_text(info.sheet))
    if protocol is None or protocol not in package.members:
        raise Unusual("no «Протокол» member")
    edits = {protocol: _protocol_edit(info, wb[info.sheet], planned)}
    classes = _classes_edit(wb, books, package) if books is not None else None
    if classes is not None:
        edits[classes[0]] = classes[1]
    rows = _RowProgress(progress, info.first_data_row, edits[protocol].writes, len(planned))
    changed = _spliced(package, edits, strings, protocol, rows.row_done)
    rows.finish()
    changed["xl/workbook.xml"] = full_calc_on_load(
        package.members["xl/workbook.xml"].decode("utf-8")).encode("utf-8")
    changed.update(document_properties(package.members))
    sst_member = _strings_table(package, strings, sst_member, changed)
    check_package(package.members, changed, edits, sst_member)
    return _zipped(package, changed, sst_member)


def fill_template(
    template: Path,
    out: Path,
    rows: list[FormRowData],
    *,
    textbooks: dict[int, str] | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Fill the ФИС ОКО form `template` with `rows` (in order) and save it as `out`.

    `textbooks` ({class ordinal: textbook from the form's list}) fills the «Классы» sheet when the
    form has one (None: leave it as it is). `progress(done, total)` counts rows written.
    Raises `UserError` and writes nothing if any value does not fit the form.
    """
    template, out = Path(template), Path(out)
    if out.resolve() == template.resolve():
        raise UserError(
            "Сохраните заполненную форму под другим именем: файл, скачанный из ФИС ОКО, "
            "остаётся пустым шаблоном."
        )
    info, wb, data = _open_template_once(template)
    check_fill_and_write(out, data, info, wb, rows, textbooks, progress, template=data)


#: Templates already read in this process: (path, size, mtime) → (info, workbook, bytes). A
#: coordinator exports the same work's form again after each correction; the downloaded template
#: never changes, so it is parsed once. The workbook is only read from (the fallback that edits a
#: workbook loads its own copy); closing it is a no-op for a workbook openpyxl loaded in full.
_TEMPLATES: dict[tuple[str, int, int], tuple[TemplateInfo, Workbook, bytes]] = {}
_TEMPLATES_LOCK = threading.Lock()
_TEMPLATES_KEPT = 2


def _open_template_once(path: Path) -> tuple[TemplateInfo, Workbook, bytes]:
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return open_template(path)     # it reports what is wrong with the file
    with _TEMPLATES_LOCK:
        cached = _TEMPLATES.get(key)
    if cached is not None and hashlib.sha256(cached[2]).digest() == _file_digest(path):
        return cached
    opened = open_template(path)
    with _TEMPLATES_LOCK:
        while len(_TEMPLATES) >= _TEMPLATES_KEPT:
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
        _TEMPLATES[key] = opened
    return opened


def _file_digest(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None


def check_fill_and_write(out: Path, form: bytes, info: TemplateInfo, wb: Workbook, rows: list[FormRowData],
                          textbooks: dict[int, str] | None, progress: ProgressFn | None, *,
                          template: bytes | None) -> None:
    """Check every value of `rows` against the form, then fill and write it; closes `wb`."""
    try:
        planned, books, problems = plan(info, list(rows), textbooks)
        if problems:
            raise_problems(problems)
        _fill_and_write(out, form, info, wb, planned, books, progress, template=template)
    finally:
        wb.close()


def _fill_and_write(out: Path, form: bytes, info: TemplateInfo, wb: Workbook,
                    planned: list[Planned], books: dict[int, str] | None,
                    progress: ProgressFn | None, *, template: bytes | None) -> None:
    """Fill the (checked) plan into the package `form` (`wb`: the same, as openpyxl read it) and
    write the result atomically to `out`."""
    try:
        output = fill_package(form, info, wb, planned, books, progress)
    except (Unusual, UnicodeDecodeError, ElementTree.ParseError) as exc:
        log.warning("the form is filled through openpyxl: %s", exc)
        output = fill_with_openpyxl(form, info, planned, books, progress, template=template)
    with atomic_writer(out) as stream:
        stream.write(output)


def fill_with_openpyxl(form: bytes, info: TemplateInfo, planned: list[Planned],
                        books: dict[int, str] | None, progress: ProgressFn | None, *,
                        template: bytes | None) -> bytes:
    """The fallback: the whole workbook loaded and saved by openpyxl, then what openpyxl loses
    restored (compared with the downloaded `template`, if any) and text moved into shared
    strings, kept only if the workbook reads back the same."""
    wb = load(form)
    try:
        if (wb.properties.creator or "").strip().casefold() in LIBRARY_AUTHORS:
            wb.properties.creator = APP_TITLE
        wb.properties.lastModifiedBy = APP_TITLE
        totals = _fill_workbook(wb, info, planned, books, progress)
        output = save(wb)
    finally:
        wb.close()
    output = finish(output, template=template, sheet=info.sheet, total_column=info.total_column,
                     totals=totals)
    return shared_strings(output)

