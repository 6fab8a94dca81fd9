"""What the re-check protocol (`recheck`) prints, as plain data, and how its values read: a score
as a number, the difference re-check − school, whether a mark changed, and how they are shown in
the protocol's narrow cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..fisoko.vocabulary import X, is_not_passed, is_x
from .common import WorkHeader


@dataclass
class RecheckTaskRow:
    task_id: str
    max_score: int
    first: str | None      # school's score: "0".."max", "X", "не пройд." or None (not scored)
    second: str | None     # re-check score, same values


@dataclass
class RecheckParticipant:
    code: str
    class_name: str
    tasks: list[RecheckTaskRow]
    first_total: int
    second_total: int
    first_mark: str | None
    second_mark: str | None
    final_total: int | None = None     # after the commission settled, if it did
    final_mark: str | None = None
    complete: bool = True              # the re-check expert scored every task


@dataclass
class TaskSummary:
    task_id: str
    max_score: int
    compared: int
    differing: int
    mean_abs_diff: float


@dataclass
class RecheckDoc:
    header: WorkHeader
    first_expert: str          # may be ""
    second_expert: str         # may be ""
    sample_note: str           # «выборка 10 % (12 работ), случайная, зерно 4242»
    participants: list[RecheckParticipant]
    summary: list[TaskSummary]  # sorted by differing desc


def score_value(value: str | None) -> int | None:
    """The number a score stands for: digits as is, «X» and «не пройд.» (anything else) as 0,
    None (not scored) as None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    return 0


def shown(value: str | None) -> str:
    """How a score is printed in a narrow cell."""
    if value is None or not value.strip():
        return "—"
    text = value.strip()
    if is_x(text):
        return X
    if is_not_passed(text):
        return "н/п"
    return text


def signed(value: int) -> str:
    # ASCII hyphen-minus, so that the printed difference can be searched for as typed.
    return f"+{value}" if value > 0 else str(value)


def task_difference(task: RecheckTaskRow) -> int | None:
    """Re-check minus school for one task, or None when either side was not scored."""
    first, second = score_value(task.first), score_value(task.second)
    if first is None or second is None:
        return None
    return second - first


def mark_text(value: str | None) -> str:
    return value.strip() if value and value.strip() else "—"


def marks_differ(a: str | None, b: str | None) -> bool:
    return bool(a and a.strip() and b and b.strip() and a.strip() != b.strip())


def settled(p: RecheckParticipant) -> bool:
    """The commission settled the work's final total or mark."""
    return p.final_total is not None or bool(p.final_mark and p.final_mark.strip())


def mark_changed(p: RecheckParticipant) -> bool:
    """The mark that stands now (the commission's if it settled, else the re-check's) is not the
    school's."""
    if settled(p) and p.final_mark and p.final_mark.strip():
        return marks_differ(p.first_mark, p.final_mark)
    return p.complete and marks_differ(p.first_mark, p.second_mark)


def fmt_float(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "—"
    text = fmt_float(100.0 * part / whole, 1)
    return (text[:-2] if text.endswith(",0") else text) + " %"
