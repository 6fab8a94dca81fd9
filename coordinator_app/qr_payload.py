"""Content of the QR code printed on a participant's label (format described in docs/qr_format.md).

    VPR1:<LOGIN>:<WORKKEY>:<CODE>:<CHECK>

* ``VPR1``   - magic and format version;
* ``LOGIN``  - the school's ФИС ОКО login, upper-cased (``sch123456`` -> ``SCH123456``);
* ``WORKKEY``- 6 characters of Crockford base32, random, generated once per work and stored with it;
* ``CODE``   - the five-digit participant code (first digit not 0);
* ``CHECK``  - 4 upper-case hex digits: the low 16 bits of CRC-32 over everything before it,
  including the colon that precedes it.

Only QR alphanumeric-mode characters are used (0-9, A-Z and ``:``) so the symbol stays at
version 2-3 with error-correction level M. `decode_label` is strict: a reader must flag a label it
cannot decode and never guess.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from .errors import UserError

MAGIC = "VPR"
VERSION = 1
PREFIX = f"{MAGIC}{VERSION}"

#: Crockford base32: digits and upper-case letters without I, L, O, U.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
WORK_KEY_LENGTH = 6
LOGIN_MAX_LENGTH = 20

_LOGIN_RE = re.compile(rf"[A-Z0-9]{{1,{LOGIN_MAX_LENGTH}}}")
_WORK_KEY_RE = re.compile(rf"[{CROCKFORD_ALPHABET}]{{{WORK_KEY_LENGTH}}}")
_CODE_RE = re.compile(r"[1-9][0-9]{4}")
_VERSION_RE = re.compile(r"VPR(\d+)")


@dataclass(frozen=True)
class LabelPayload:
    """What a label identifies: the school (by ФИС ОКО login, lower-case), the work, the participant."""

    login: str
    work_key: str
    code: str


class LabelFormatError(ValueError):
    """A scanned text is not a valid label. `reason` is a Russian sentence for the user.

    `kind` is one of ``"foreign"`` (not our label at all), ``"version"`` (our magic, unknown
    format version), ``"structure"`` (wrong number or shape of fields) and ``"check"`` (the check
    value does not match - the label is damaged or misread).
    """

    FOREIGN = "foreign"
    VERSION = "version"
    STRUCTURE = "structure"
    CHECK = "check"

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.reason


class LabelInputError(UserError, ValueError):
    """`encode_label` got a value that cannot go on a label (a ValueError the UI can show as is)."""


def new_work_key() -> str:
    """A fresh random work key: 6 characters of Crockford base32 (30 bits from `secrets`)."""
    import secrets

    return "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(WORK_KEY_LENGTH))


def check_value(text: str) -> str:
    """The 4-hex-digit check over `text` (the label up to and including the last colon)."""
    return f"{zlib.crc32(text.encode('ascii')) & 0xFFFF:04X}"


def normalize_login(login: str) -> str:
    """The login as it goes into the label (upper case); raises LabelInputError if it cannot."""
    value = (login or "").strip().upper()
    if not _LOGIN_RE.fullmatch(value):
        raise LabelInputError(
            f"Логин ФИС ОКО «{login}» нельзя поместить на наклейку: допустимы только латинские буквы "
            f"и цифры, не более {LOGIN_MAX_LENGTH} символов."
        )
    return value


def validate_code(code: str) -> str:
    """The participant code: exactly five digits, the first one not 0."""
    value = (code or "").strip() if isinstance(code, str) else ""
    if not _CODE_RE.fullmatch(value):
        raise LabelInputError(
            f"Код участника «{code}» неверен: нужен пятизначный код, первая цифра не 0."
        )
    return value


def validate_work_key(work_key: str) -> str:
    value = (work_key or "").strip().upper() if isinstance(work_key, str) else ""
    if not _WORK_KEY_RE.fullmatch(value):
        raise LabelInputError(
            f"Ключ работы «{work_key}» неверен: нужно {WORK_KEY_LENGTH} символов Crockford base32 "
            "(цифры и латинские буквы без I, L, O, U)."
        )
    return value


def encode_label(login: str, work_key: str, code: str) -> str:
    """The QR text for one participant label.

    Raises `LabelInputError` (a ValueError and a UserError, Russian message) on bad input.
    """
    body = f"{PREFIX}:{normalize_login(login)}:{validate_work_key(work_key)}:{validate_code(code)}:"
    return body + check_value(body)


def decode_label(text: str) -> LabelPayload:
    """Parse a scanned label text strictly; raise LabelFormatError saying why it is rejected."""
    if not isinstance(text, str) or not text.startswith(MAGIC):
        raise LabelFormatError("Это не наклейка ВПР-Координатора.", LabelFormatError.FOREIGN)
    fields = text.split(":")
    head = fields[0]
    version = _VERSION_RE.fullmatch(head)
    if version is None:
        raise LabelFormatError("Это не наклейка ВПР-Координатора.", LabelFormatError.FOREIGN)
    if head != PREFIX:
        raise LabelFormatError(
            f"Наклейка другого формата ({head}): её создала другая версия ВПР-Координатора. "
            "Обновите программу.",
            LabelFormatError.VERSION,
        )
    if len(fields) != 5 or not all(fields[1:]):
        raise LabelFormatError(
            "Наклейка повреждена: неверная структура данных.", LabelFormatError.STRUCTURE
        )
    body, check = text[: text.rfind(":") + 1], fields[4]
    # Any flipped character, the check itself included, ends up here.
    if not body.isascii() or check != check_value(body):
        raise LabelFormatError(
            "Наклейка повреждена: не сходится контрольная сумма.", LabelFormatError.CHECK
        )
    login, work_key, code = fields[1], fields[2], fields[3]
    if not (
        _LOGIN_RE.fullmatch(login) and _WORK_KEY_RE.fullmatch(work_key) and _CODE_RE.fullmatch(code)
    ):
        # The check matches, so this was written by some other (buggy or foreign) encoder.
        raise LabelFormatError(
            "Наклейка повреждена: неверная структура данных.", LabelFormatError.STRUCTURE
        )
    return LabelPayload(login=login.lower(), work_key=work_key, code=code)
