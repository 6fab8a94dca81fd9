"""Normalisation of what schools type for classes, names and gender.

Everything here is pure string work used by the importers and by matching code.

Class names
-----------
`normalize_class_name` accepts the usual ways of writing a class: "4А", "4-А", "4 а", "4a",
" 10б ", "11-Б", "5 «В»", '5"В"', "7В класс", "7 В кл.", "класс 6Г". The result is
``(grade, letter)`` with the letter as an upper-case Cyrillic letter. The grade must be 4..11
(the ВПР is written in grades 4–8, 10 and 11; 9 is accepted too so that a whole school list loads).

Latin letters typed instead of Cyrillic ones are mapped as follows.

Look-alikes (the letter that looks the same)::

    A→А  B→В  C→С  E→Е  H→Н  K→К  M→М  O→О  P→Р  T→Т  X→Х
    a→а  c→с  e→е  o→о  p→р  x→х  k→к  m→м  t→т

Transliterations for the other letters (either case)::

    b→Б  v→В  g→Г  d→Д  z→З  i→И  l→Л  u→У  f→Ф

Note that upper-case "B" is the look-alike "В" while lower-case "b" is the transliteration "Б".
Any other Latin letter is rejected. The Cyrillic letters Ъ, Ь and Ы are rejected as class letters.

Person names
------------
`normalize_person_part` cleans one part of a name (surname, name or patronymic): spaces, NBSP,
case ("ИВАНОВА" → "Иванова", "римский-корсаков" → "Римский-Корсаков"), and keeps «ё». Latin
look-alike letters inside a word that also has Cyrillic letters (a frequent typing accident,
"Иванoв" with a Latin "o") are replaced by the Cyrillic ones; all-Latin words are left alone.
`name_key` builds the key used to match people (case-insensitive, ё = е).
"""

from __future__ import annotations

import re

from .errors import UserError
from .formats.fisoko.vocabulary import gender_of

__all__ = [
    "class_display",
    "name_key",
    "normalize_class_name",
    "normalize_gender",
    "normalize_person_part",
    "split_fio",
]

MIN_GRADE = 4
MAX_GRADE = 11

# Latin -> Cyrillic for class letters (see module docstring).
_CLASS_LETTER_LATIN: dict[str, str] = {
    # look-alikes, upper case
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М",
    "O": "О", "P": "Р", "T": "Т", "X": "Х",
    # look-alikes, lower case
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "k": "к", "m": "м", "t": "т",
    # transliterations for the rest
    "b": "Б", "v": "В", "V": "В", "g": "Г", "G": "Г", "d": "Д", "D": "Д", "z": "З", "Z": "З",
    "i": "И", "I": "И", "l": "Л", "L": "Л", "u": "У", "U": "У", "f": "Ф", "F": "Ф",
}  # fmt: skip

_BAD_CLASS_LETTERS = {"Ъ", "Ь", "Ы"}

# Latin look-alikes fixed inside otherwise Cyrillic words of a person's name.
_NAME_LOOKALIKES: dict[str, str] = {
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М",
    "O": "О", "P": "Р", "T": "Т", "X": "Х",
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у",
}  # fmt: skip

# Parts of a patronymic that are written in lower case when not the first word.
_LOWER_PARTICLES = {"оглы", "кызы", "оглу", "гызы", "улы", "уулу"}

# Every kind of space, NBSP included.
_SPACES_RE = re.compile(r"[\s\u00a0\u2007\u202f\u2060\ufeff]+")
_DASHES_RE = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2212]")
_QUOTES_RE = re.compile(r"[«»\"'“”„‟`´‘’]")
_CLASS_WORD_RE = re.compile(r"(?:\bкласс[а-яё]*|\bкл)\.?", re.IGNORECASE)
_CLASS_RE = re.compile(r"(\d{1,2})\s*[-_/.]?\s*([^\W\d_])")
_DIGITS_ONLY_RE = re.compile(r"(\d{1,2})(?:[.,]0+)?")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")


def _clean_spaces(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip()


def _class_hint_error(raw: str) -> UserError:
    return UserError(
        f"Не удалось понять класс «{raw}»: ожидается номер {MIN_GRADE}–{MAX_GRADE} и буква, "
        f"например 4А."
    )


def normalize_class_name(raw: str) -> tuple[int, str]:
    """Parse a class as typed by a school into ``(grade, letter)``, e.g. "4-a" -> (4, "А").

    Raises `UserError` (Russian) when the text is not a class of grade 4..11 with one letter.
    """
    if raw is None:
        raise UserError("Класс не указан: ожидается номер 4–11 и буква, например 4А.")
    shown = _clean_spaces(str(raw))
    if not shown:
        raise UserError("Класс не указан: ожидается номер 4–11 и буква, например 4А.")
    text = _DASHES_RE.sub("-", shown)
    text = _QUOTES_RE.sub(" ", text)
    text = _CLASS_WORD_RE.sub(" ", text)
    text = _clean_spaces(text)
    if _DIGITS_ONLY_RE.fullmatch(text):
        grade = int(_DIGITS_ONLY_RE.fullmatch(text).group(1))  # type: ignore[union-attr]
        example = f"{grade}А" if MIN_GRADE <= grade <= MAX_GRADE else "5А"
        raise UserError(
            f"Класс «{shown}» указан без буквы: ожидается номер и буква, например {example}."
        )
    match = _CLASS_RE.fullmatch(text)
    if not match:
        raise _class_hint_error(shown)
    grade = int(match.group(1))
    letter_raw = match.group(2)
    if _CYRILLIC_RE.fullmatch(letter_raw):
        letter = letter_raw.upper()
    elif letter_raw in _CLASS_LETTER_LATIN:
        letter = _CLASS_LETTER_LATIN[letter_raw].upper()
    else:
        raise _class_hint_error(shown)
    if letter in _BAD_CLASS_LETTERS:
        raise _class_hint_error(shown)
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise UserError(
            f"Класс «{shown}»: номер класса должен быть от {MIN_GRADE} до {MAX_GRADE} "
            f"(ВПР пишут в 4–8, 10 и 11 классах)."
        )
    return grade, letter


def class_display(grade: int, letter: str) -> str:
    """The class as shown everywhere in the program: (4, "А") -> "4А"."""
    return f"{int(grade)}{letter.strip().upper()}"


def _fix_lookalikes(word: str) -> str:
    """Replace Latin look-alikes in a word that also has Cyrillic letters ("Иванoв")."""
    if not _CYRILLIC_RE.search(word):
        return word
    latin = [ch for ch in word if ("A" <= ch <= "Z") or ("a" <= ch <= "z")]
    if not latin or any(ch not in _NAME_LOOKALIKES for ch in latin):
        return word
    return "".join(_NAME_LOOKALIKES.get(ch, ch) for ch in word)


def normalize_person_part(raw: str | None) -> str:
    """Clean one part of a person's name: "  иВАНОВ " -> "Иванов"; None -> ""."""
    if raw is None:
        return ""
    text = _clean_spaces(str(raw))
    if not text:
        return ""
    text = _DASHES_RE.sub("-", text)
    text = re.sub(r"\s*-\s*", "-", text).strip("-").strip()
    # Split into words and separators, keeping the separators.
    pieces = re.split(r"([ -])", text)
    out: list[str] = []
    first = True
    for piece in pieces:
        if piece in (" ", "-") or piece == "":
            out.append(piece)
            continue
        word = _fix_lookalikes(piece)
        lower = word.lower()
        if not first and lower in _LOWER_PARTICLES:
            out.append(lower)
        else:
            out.append(word[:1].upper() + word[1:].lower())
        first = False
    return "".join(out)


def name_key(surname: str | None, name: str | None, patronymic: str | None) -> str:
    """Key for matching people: case-insensitive, ё = е, spaces collapsed.

    ``name_key("Алёшин", "Пётр", "") == name_key("АЛЕШИН ", "петр", None) == "алешин петр"``.
    """
    parts = [normalize_person_part(p) for p in (surname, name, patronymic)]
    joined = " ".join(p for p in parts if p)
    return _clean_spaces(joined.casefold().replace("ё", "е"))


def normalize_gender(raw: object) -> str | None:
    """"м"/"Мужской"/"male"/"m" -> "м"; "ж"/"Женский"/"female"/"f" -> "ж"; empty -> None.

    Anything else raises `UserError` «Непонятный пол «x»: ожидается м или ж».
    """
    if raw is None:
        return None
    shown = _clean_spaces(str(raw))
    if not shown:
        return None
    found = gender_of(shown)
    if found is not None:
        return found
    raise UserError(f"Непонятный пол «{shown}»: ожидается м или ж.")


def split_fio(full: str) -> tuple[str, str, str]:
    """Split "Фамилия Имя Отчество" into three parts (not re-capitalised).

    Two words -> patronymic is ""; more than three words -> the rest goes to the patronymic
    ("Мамедов Али Гусейн оглы" -> ("Мамедов", "Али", "Гусейн оглы")). One word or nothing
    raises `UserError`.
    """
    text = _clean_spaces(str(full)) if full is not None else ""
    text = _DASHES_RE.sub("-", text)
    # "Петров - Водкин" is one hyphenated surname, not three words.
    text = re.sub(r"(?<=\w)\s*-\s*(?=\w)", "-", text)
    words = text.split(" ") if text else []
    if not words:
        raise UserError("ФИО не указано: нужны хотя бы фамилия и имя.")
    if len(words) == 1:
        raise UserError(
            f"В ФИО «{text}» только одно слово: нужны хотя бы фамилия и имя "
            f"(например, «Иванов Иван Иванович»)."
        )
    surname, name, *rest = words
    return surname, name, " ".join(rest)
