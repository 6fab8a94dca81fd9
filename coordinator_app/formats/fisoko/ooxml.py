"""What openpyxl loses or writes differently, put right at the XML level of an .xlsx package.

- the sheets' members (`sheet_paths`);
- Excel 2010+ data validations (`<extLst>/<x14:dataValidations>`): openpyxl drops them on load, so
  the blocks are copied back from the template after an openpyxl save (`finish`);
- cached formula results: openpyxl writes none, so the Итого results are put into the formula
  cells (`finish`);
- shared strings: openpyxl writes text inline, Excel and ФИС ОКО keep it in
  `xl/sharedStrings.xml` (`shared_strings`);
- `fullCalcOnLoad` and the document properties naming this program as the writer.

Every rewrite is checked to parse (or to read back the same) and left out otherwise.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import warnings
import zipfile
from pathlib import PurePosixPath
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from coordinator_app import APP_TITLE
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.totals import RECALCULATE

__all__ = [
    "INLINE_RE",
    "LIBRARY_AUTHORS",
    "NS_MAIN",
    "SST_REL",
    "SST_TYPE",
    "Unusual",
    "document_properties",
    "finish",
    "full_calc_on_load",
    "load",
    "relationships",
    "shared_strings",
    "sheet_paths",
]

log = logging.getLogger(__name__)

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_X14_DV_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"


class Unusual(Exception):
    """The package is not laid out the way the splicer expects (or did not read back as meant)."""


def load(data: bytes, read_only: bool = False) -> Workbook:
    """The package loaded by openpyxl, its «extension not supported» warnings silenced."""
    with warnings.catch_warnings():
        # "Data Validation extension is not supported": copied back after saving.
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data), read_only=read_only)


def sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML member in the package."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {
        rel.get("Id"): rel.get("Target") or ""
        for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship")
    }
    out: dict[str, str] = {}
    for sheet in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_NS_REL}}}id"))
        if not target:
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            parts: list[str] = []
            for piece in PurePosixPath("xl", target).parts:
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece != ".":
                    parts.append(piece)
            path = "/".join(parts)
        out[value_text(sheet.get("name"))] = path
    return out



# --------------------------------------------------------------------------------------------
# Excel 2010+ data validations (sheet <extLst>), lost by openpyxl

_ROOT_TAG_RE = re.compile(r"<(?:[\w.-]+:)?worksheet\b[^>]*>", re.DOTALL)
_NS_DECL_RE = re.compile(r'\bxmlns(?::([\w.-]+))?\s*=\s*"([^"]*)"')
_EXT_RE = re.compile(
    r"<(?P<tag>(?:[\w.-]+:)?ext)\b(?P<attrs>[^>]*\buri\s*=\s*\"" + re.escape(_X14_DV_URI)
    + r"\"[^>]*)>(?P<body>.*?)</(?P=tag)\s*>",
    re.DOTALL | re.IGNORECASE,
)
_PREFIX_RE = re.compile(r"</?([\w.-]+):[\w.-]+|\s([\w.-]+):[\w.-]+\s*=")


def _x14_block(xml: str) -> str | None:
    """The sheet's x14 data-validation `<ext>` element, namespaces declared on it; None if none."""
    m = _EXT_RE.search(xml)
    if m is None:
        return None
    root = _ROOT_TAG_RE.search(xml)
    declared_on_root = dict(_NS_DECL_RE.findall(root.group(0))) if root else {}
    block = m.group(0)
    declared_inside = {p for p, _uri in _NS_DECL_RE.findall(block)}
    used = {a or b for a, b in _PREFIX_RE.findall(block)} - {"xmlns", "xml"}
    missing = sorted(p for p in used - declared_inside if p in declared_on_root)
    if any(p not in declared_on_root for p in used - declared_inside):
        return None  # a prefix we cannot resolve: better no block than a broken file
    decls = "".join(f' xmlns:{p}="{declared_on_root[p]}"' for p in missing)
    tag, attrs = m.group("tag"), m.group("attrs")
    if ":" not in tag and declared_on_root.get("", NS_MAIN) != NS_MAIN:
        return None
    return f"<{tag}{attrs}{decls}>{m.group('body')}</{tag}>"


def _x14_blocks(template: bytes) -> dict[str, str]:
    """Sheet title → its x14 data-validation `<ext>` block in the template."""
    blocks: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as zf:
            for title, member in sheet_paths(zf).items():
                try:
                    xml = zf.read(member).decode("utf-8")
                except (KeyError, UnicodeDecodeError):
                    continue
                block = _x14_block(xml)
                if block is not None:
                    blocks[title] = block
    except Exception:
        log.warning("could not read the template's x14 data validations", exc_info=True)
    return blocks


def finish(
    output: bytes,
    *,
    template: bytes | None,
    sheet: str,
    total_column: int | None,
    totals: dict[int, int | str],
) -> bytes:
    """Post-process the saved package: x14 validations back from the template; Итого results
    cached in the formula cells of `sheet`."""
    blocks = _x14_blocks(template) if template is not None else {}
    if not blocks and not (totals and total_column):
        return output
    with zipfile.ZipFile(io.BytesIO(output)) as zf:
        paths = sheet_paths(zf)
        members = [(item, zf.read(item.filename)) for item in zf.infolist()]
    by_member = {paths[t]: b for t, b in blocks.items() if t in paths}
    protocol = paths.get(value_text(sheet))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as out:
        for item, data in members:
            if item.filename == protocol and totals and total_column:
                data = _cache_totals(data, get_column_letter(total_column), totals, item.filename)
            block = by_member.get(item.filename)
            if block is not None:
                data = _insert_ext(data, block, item.filename)
            out.writestr(item, data)
    return result.getvalue()


_FORMULA_CELL_RE = re.compile(
    r'<c r="(?P<col>[A-Z]{1,3})(?P<row>\d+)"(?P<attrs>[^>]*?)>(?P<f><f>[^<]*</f>)'
    r"(?:<v\s*/>|<v></v>)?</c>"
)


def _cache_totals(data: bytes, letter: str, totals: dict[int, int | str], member: str) -> bytes:
    xml = data.decode("utf-8")

    def replace(m: re.Match[str]) -> str:
        if m.group("col") != letter or " t=" in m.group("attrs"):
            return m.group(0)
        value = totals.get(int(m.group("row")))
        if value is None or value is RECALCULATE:   # openpyxl wrote no cached result: Excel computes
            return m.group(0)
        ref, attrs, formula = m.group("col") + m.group("row"), m.group("attrs"), m.group("f")
        if value == "":
            return f'<c r="{ref}"{attrs} t="str">{formula}<v></v></c>'
        return f'<c r="{ref}"{attrs}>{formula}<v>{value}</v></c>'

    new = _FORMULA_CELL_RE.sub(replace, xml)
    try:
        ElementTree.fromstring(new.encode("utf-8"))
    except ElementTree.ParseError:
        log.warning("caching the Итого results broke %s; left out", member, exc_info=True)
        return data
    return new.encode("utf-8")


def _insert_ext(data: bytes, block: str, member: str) -> bytes:
    xml = data.decode("utf-8")
    if "<extLst>" in xml and "</extLst>" in xml:
        new = xml.replace("</extLst>", block + "</extLst>", 1)
    else:
        end = xml.rfind("</worksheet>")
        if end < 0:
            log.warning("no </worksheet> in %s; x14 validations not restored", member)
            return data
        new = xml[:end] + "<extLst>" + block + "</extLst>" + xml[end:]
    try:
        ElementTree.fromstring(new.encode("utf-8"))
    except ElementTree.ParseError:
        log.warning("restoring x14 validations broke %s; left out", member, exc_info=True)
        return data
    return new.encode("utf-8")




# --------------------------------------------------------------------------------------------
# Shared strings: openpyxl writes every text cell inline (`t="inlineStr"`); Excel, and the form
# downloaded from ФИС ОКО, keep text in xl/sharedStrings.xml. Uploaders that read only shared
# strings would see «отсутствовал», «X» and «не пройд.» as empty cells, so the saved package is
# rewritten to Excel's own layout.

INLINE_RE = re.compile(
    r'<c (?P<a>[^>]*?)t="inlineStr"(?P<b>[^>]*)><is><t(?: xml:space="preserve")?>(?P<text>[^<]*)</t></is></c>')
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def shared_strings(data: bytes) -> bytes:
    """The package with inline strings moved into a shared-strings table; the original bytes if
    anything looks unusual (an existing table, rich text) or the result does not read back the same."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "xl/sharedStrings.xml" in names:
                return data
            members = [(item, zf.read(item.filename)) for item in zf.infolist()]
        strings: dict[str, int] = {}
        count = 0

        def replace(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            index = strings.setdefault(m.group("text"), len(strings))
            return f'<c {m.group("a")}t="s"{m.group("b")}><v>{index}</v></c>'

        rewritten = []
        for item, body in members:
            if item.filename.startswith("xl/worksheets/sheet") and item.filename.endswith(".xml"):
                body = INLINE_RE.sub(replace, body.decode("utf-8")).encode("utf-8")
                if b't="inlineStr"' in body:      # rich text or an odd form: keep the original
                    return data
            rewritten.append((item, body))
        if not strings:
            return data
        sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" '
               f'uniqueCount="{len(strings)}">'
               + "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings) + "</sst>")
        result = io.BytesIO()
        with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as out:
            for item, body in rewritten:
                if item.filename == "[Content_Types].xml":
                    body = body.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                       f'ContentType="{SST_TYPE}"/></Types>'.encode())
                elif item.filename == "xl/_rels/workbook.xml.rels":
                    body = body.replace(b"</Relationships>", f'<Relationship Id="rIdVprSharedStrings" '
                                                               f'Type="{SST_REL}" Target="sharedStrings.xml"/>'
                                                               f"</Relationships>".encode())
                out.writestr(item, body)
            out.writestr("xl/sharedStrings.xml", sst.encode("utf-8"))
        converted = result.getvalue()
        if not _same_values(data, converted):
            log.warning("shared-strings rewrite changed values; the inline form is kept")
            return data
        return converted
    except Exception:
        log.warning("shared-strings rewrite failed; the inline form is kept", exc_info=True)
        return data


def _same_values(a: bytes, b: bytes) -> bool:
    first, second = load(a, read_only=True), load(b, read_only=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # read-only sheets are parsed here, not in load
            if first.sheetnames != second.sheetnames:
                return False
            for name in first.sheetnames:
                rows_a = list(first[name].iter_rows(values_only=True))
                rows_b = list(second[name].iter_rows(values_only=True))
                if rows_a != rows_b:
                    return False
            return True
    finally:
        first.close()
        second.close()



ATTRS = r"(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*?)"
_CALC_PR_RE = re.compile(r"<calcPr\b" + ATTRS + r"(?P<end>/?)>")
_FULL_CALC_RE = re.compile(r"\sfullCalcOnLoad\s*=\s*\"[^\"]*\"")
_AFTER_CALC_PR = ("<oleSize", "<customWorkbookViews", "<pivotCaches", "<smartTagPr",
                  "<smartTagTypes", "<webPublishing", "<fileRecoveryPr", "<webPublishObjects",
                  "<extLst", "</workbook>")


def full_calc_on_load(xml: str) -> str:
    """workbook.xml asking Excel to recalculate on opening (the cached results are ours)."""
    m = _CALC_PR_RE.search(xml)
    if m is not None:
        attrs = _FULL_CALC_RE.sub("", m.group("attrs")).rstrip()
        return xml[:m.start()] + f'<calcPr{attrs} fullCalcOnLoad="1"{m.group("end")}>' + xml[m.end():]
    for tag in _AFTER_CALC_PR:
        at = xml.find(tag)
        if at >= 0:
            return xml[:at] + '<calcPr fullCalcOnLoad="1"/>' + xml[at:]
    raise Unusual("no </workbook>")


def relationships(zf: zipfile.ZipFile, member: str) -> list[dict[str, str]]:
    root = ElementTree.fromstring(zf.read(member))
    return [dict(rel.attrib) for rel in root]


_CREATOR_RE = re.compile(r"<(\w+:)?creator(\b[^>]*)>([^<]*)</(\w+:)?creator>")
_LAST_BY_RE = re.compile(r"<(\w+:)?lastModifiedBy\b[^>]*>[^<]*</(\w+:)?lastModifiedBy>|<(\w+:)?lastModifiedBy\b[^>]*/>")
_MODIFIED_RE = re.compile(r"(<(\w+:)?modified\b[^>]*>)[^<]*(</(\w+:)?modified>)")
_CORE_END_RE = re.compile(r"</(\w+:)?coreProperties>")
_APPLICATION_RE = re.compile(r"<Application>[^<]*</Application>|<Application\s*/>")
#: Names of libraries a template may carry as its author: the form is this program's work.
LIBRARY_AUTHORS = {"", "openpyxl", "xlsxwriter", "npoi", "epplus", "closedxml", "apache poi"}


def document_properties(members: dict[str, bytes]) -> dict[str, bytes]:
    """docProps/core.xml and app.xml naming this program as the form's last writer (and as its
    author where the template names only a library), modified now. Unusual properties are left."""
    changed: dict[str, bytes] = {}
    core = _core_properties(members.get("docProps/core.xml"))
    if core is not None:
        changed["docProps/core.xml"] = core
    app = _app_properties(members.get("docProps/app.xml"))
    if app is not None:
        changed["docProps/app.xml"] = app
    return changed


def _decoded(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _core_properties(core: bytes | None) -> bytes | None:
    xml = _decoded(core)
    end = _CORE_END_RE.search(xml) if xml else None
    if xml is None or end is None:
        return None
    who = escape(APP_TITLE)
    cp = end.group(1) or ""
    creator = _CREATOR_RE.search(xml)
    if creator is not None and creator.group(3).strip().casefold() in LIBRARY_AUTHORS:
        prefix = creator.group(1) or ""
        xml = (xml[:creator.start()] + f"<{prefix}creator{creator.group(2)}>{who}</{prefix}creator>"
               + xml[creator.end():])
    by = f"<{cp}lastModifiedBy>{who}</{cp}lastModifiedBy>"
    xml, found = _LAST_BY_RE.subn(lambda _m: by, xml, count=1)
    if not found:
        end = _CORE_END_RE.search(xml)
        assert end is not None   # found above; the substitution keeps it
        xml = xml[:end.start()] + by + xml[end.start():]
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = _MODIFIED_RE.sub(lambda m: m.group(1) + now + m.group(3), xml, count=1)
    return xml.encode("utf-8")


def _app_properties(app: bytes | None) -> bytes | None:
    text = _decoded(app)
    if text is None or not _APPLICATION_RE.search(text):
        return None
    return _APPLICATION_RE.sub(lambda _m: f"<Application>{escape(APP_TITLE)}</Application>",
                               text, count=1).encode("utf-8")
