"""One guard in front of every Office package the program opens (.xlsx, .docx).

An .xlsx or .docx is a ZIP of XML parts. A small file can unpack to gigabytes (a few MB that
unpack to 784 MB took openpyxl 226 s and 1.4 GB), and openpyxl/python-docx unpack whatever the
package holds. `check_package` reads only the ZIP's central directory — the declared sizes of
the parts, never their contents — and refuses a package whose parts together, or any one part,
unpack beyond what a pupil list, a ФИС ОКО form or a code list can be, or whose part is
compressed far more than real spreadsheets are. Python's zipfile (under openpyxl and
python-docx) never inflates a part beyond its declared size, so the declared sizes bound the
memory. A package that is not a readable ZIP is left to the caller's own "damaged file" message.

The limits: a real form or school list unpacks to a few MB; 64 MB of sheet XML costs openpyxl
≈ 600 MB when it loads the whole workbook (ФИС ОКО templates are loaded whole), which keeps any
import under 1 GB.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..errors import UserError

MAX_PACKAGE_BYTES = 64 << 20       # the file itself
MAX_UNPACKED_BYTES = 64 << 20      # all parts together, and so any one part
MAX_MEMBERS = 10_000
#: Sheet XML compresses 5–30 times; a part over RATIO_FLOOR bytes compressed more than this is
#: padding made to unpack (repeated rows), not data.
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20

#: What the file should have been (accusative: «не похоже на …»).
_WHAT = {"xlsx": "книгу Excel со списком или формой", "docx": "документ Word с протоколом"}


def _mb(size: int) -> str:
    return f"{max(1, round(size / (1 << 20)))} МБ"


def _refusal(name: str, kind: str, why: str) -> UserError:
    return UserError(f"Файл «{name}» не открыт: {why}. Это не похоже на {_WHAT.get(kind, 'документ')}: "
                     "откройте файл, проверьте его содержимое и сохраните заново, или выберите другой файл.")


def check_package(source: bytes | Path | str, name: str, kind: str = "xlsx") -> None:
    """Raise UserError (Russian) if the package at `source` (its bytes or path) would unpack
    beyond the limits; return quietly otherwise, also for a file that is no readable ZIP."""
    if isinstance(source, (str, Path)):
        try:
            size = Path(source).stat().st_size
        except OSError:
            return                                   # the caller reports a missing file
    else:
        size = len(source)
    if size > MAX_PACKAGE_BYTES:
        raise _refusal(name, kind, f"он занимает {_mb(size)} (допустимо не больше {_mb(MAX_PACKAGE_BYTES)})")
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return
    if len(infos) > MAX_MEMBERS:
        raise _refusal(name, kind, f"в нём {len(infos)} частей (допустимо не больше {MAX_MEMBERS})")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _refusal(name, kind, f"внутри он распаковывается в {_mb(total)} "
                                   f"(допустимо не больше {_mb(MAX_UNPACKED_BYTES)})")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refusal(name, kind, f"его часть {info.filename} сжата в "
                                       f"{info.file_size // max(info.compress_size, 1)} раз — так сжимаются "
                                       "только пустые повторы, а не данные")
