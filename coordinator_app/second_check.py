"""The second check: a sample of works scored again, blind, by a second expert; discrepancies;
the commission's settled scores; the «Протокол перепроверки».

The same functions serve the municipal commission that re-checks a package later: it imports the
works and enters its scores as the second round.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .school_years import require_open
from .scoring import ScoreRow, points, score_sheet, set_score
from .storage import Store, now_iso
from .words import works as works_text
from .works import Work, get_work, mark_for

#: The parts of a sample (migration 10): the random part the agreement figures are computed on, the
#: targeted parts of «Анализ» (works at a flagged boundary, journal gaps of 2 or more, unlikely
#: answer patterns) and works named by code. A work in several parts counts in the first.
STRATA = ("random", "boundary", "journal_gap", "guttman", "named")
STRATUM_TEXT = {"random": "случайная выборка", "boundary": "у границы отметки", "journal_gap": "расхождение с журналом",
                "guttman": "маловероятный профиль ответов", "named": "по кодам"}
TARGETED = ("boundary", "journal_gap", "guttman")
#: At least this share of the works is drawn at random (seed 004 §6.4).
MIN_RANDOM_SHARE = 0.01


@dataclass
class CheckInfo:
    id: int
    created_at: str
    expert: str | None
    share: float | None
    seed: int | None
    codes: list[str]
    strata: dict[str, list[str]] = field(default_factory=dict)


def _random_sample(sheet: list[ScoreRow], share: float, seed: int | None) -> tuple[list[ScoreRow], int]:
    """A random `share` (at least one) of the fully scored works, and the seed that chose them
    (drawn when not given, so that the sample can be repeated)."""
    if not MIN_RANDOM_SHARE <= share <= 1:
        raise UserError("Доля случайной выборки — от 1 до 100 % работ (п. 6.4 порядка проведения ВПР: не менее 1 %).")
    scored = [r for r in sheet if r.status == "scored"]
    if not scored:
        raise UserError("В работе ещё нет полностью проверенных работ для перепроверки.")
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10**6)
    count = max(1, math.ceil(share * len(scored)))
    return random.Random(seed).sample(scored, min(count, len(scored))), seed


def _add_codes(chosen: dict[int, tuple[ScoreRow, str]], by_code: dict[str, ScoreRow], codes: list[str], work: Work,
               stratum: str) -> None:
    """The works named by code added to the sample in `stratum` (a work already in it keeps its
    first part); a code of no present participant is refused."""
    for code in codes:
        row = by_code.get(code.strip())
        if row is None:
            raise UserError(f"Кода {code.strip()} нет среди присутствовавших участников работы «{work.title}».")
        chosen.setdefault(row.participant_id, (row, stratum))


def create_check(store: Store, work_id: int, *, share: float | None = None, codes: list[str] | None = None,
                 seed: int | None = None, expert: str | None = None,
                 targeted: dict[str, list[str]] | None = None) -> tuple[int, Changes]:
    """Choose the works for the second expert: a random share of the scored works (recorded seed),
    the targeted parts «Анализ» found (`targeted`: part → codes) and any codes given, each work
    labelled with its part."""
    require_open(store, work_id)
    work = get_work(store, work_id)
    sheet = [r for r in score_sheet(store, work_id) if not r.absent]
    chosen: dict[int, tuple[ScoreRow, str]] = {}
    if share:
        sampled, seed = _random_sample(sheet, share, seed)
        chosen.update((r.participant_id, (r, "random")) for r in sampled)
    by_code = {r.code: r for r in sheet}
    for stratum, part in (targeted or {}).items():
        if stratum not in TARGETED:
            raise UserError(f"Неизвестная часть выборки «{stratum}»: допустимы {', '.join(TARGETED)}.")
        _add_codes(chosen, by_code, part, work, stratum)
    _add_codes(chosen, by_code, codes or [], work, "named")
    if not chosen:
        raise UserError("Укажите долю выборки, целевые части или коды работ для перепроверки.")
    with store.atomic() as db:
        check_id = db["second_checks"].insert({
            "work_id": work_id, "created_at": now_iso(), "created_by": store.actor, "expert": expert,
            "share": share, "seed": seed if share else None,
        }).last_pk
        for row, stratum in chosen.values():
            db.execute("INSERT OR IGNORE INTO second_check_items (check_id, participant_id, stratum) VALUES (?, ?, ?)",
                       [check_id, row.participant_id, stratum])
        audit.record(store, "second_check.create", "second_checks", check_id, work_id=work_id, share=share,
                     seed=seed if share else None, codes=sorted(r.code for r, _ in chosen.values()), expert=expert,
                     strata={s: sorted(r.code for r, t in chosen.values() if t == s) for s in STRATA
                             if any(t == s for _, t in chosen.values())})
    return int(check_id), Changes.of(Topic.SCORES)


def checks(store: Store, work_id: int) -> list[CheckInfo]:
    result = []
    for r in store.query("SELECT * FROM second_checks WHERE work_id = ? ORDER BY id", [work_id]):
        items = store.query(
            """SELECT p.code, i.stratum FROM second_check_items i JOIN participants p ON p.id = i.participant_id
               WHERE i.check_id = ? ORDER BY CAST(p.code AS INTEGER)""", [r["id"]])
        strata: dict[str, list[str]] = {}
        for x in items:
            strata.setdefault(x["stratum"], []).append(x["code"])
        result.append(CheckInfo(r["id"], r["created_at"], r["expert"], r["share"], r["seed"],
                                [x["code"] for x in items], strata))
    return result


def sample_strata(store: Store, work_id: int) -> dict[str, str]:
    """Each re-checked work's code → its part of the sample (the first part, over all the work's checks)."""
    found: dict[str, str] = {}
    for r in store.query(
            """SELECT p.code, i.stratum FROM second_check_items i JOIN second_checks c ON c.id = i.check_id
               JOIN participants p ON p.id = i.participant_id WHERE c.work_id = ? ORDER BY c.id""", [work_id]):
        current = found.get(r["code"])
        if current is None or STRATA.index(r["stratum"]) < STRATA.index(current):
            found[r["code"]] = r["stratum"]
    return found


def sampled_ids(store: Store, work_id: int) -> set[int]:
    return {r["participant_id"] for r in store.query(
        """SELECT i.participant_id FROM second_check_items i JOIN second_checks c ON c.id = i.check_id
           WHERE c.work_id = ?""", [work_id])}


@dataclass
class TaskDiff:
    task_id: str
    max_score: int
    first: str | None
    second: str | None
    final: str | None           # settled (round 3), if any

    @property
    def differs(self) -> bool:
        return self.second is not None and points(self.first) != points(self.second) or (
            self.second is not None and self.first != self.second)

    @property
    def diff(self) -> int:
        return points(self.second) - points(self.first)


@dataclass
class Discrepancy:
    participant_id: int
    code: str
    class_name: str
    tasks: list[TaskDiff]
    first_total: int
    second_total: int
    first_mark: str | None
    second_mark: str | None
    final_total: int | None = None
    final_mark: str | None = None
    complete: bool = False      # the second expert scored every task

    @property
    def differing(self) -> list[TaskDiff]:
        return [t for t in self.tasks if t.differs]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "class": self.class_name, "first_total": self.first_total,
                "second_total": self.second_total, "first_mark": self.first_mark, "second_mark": self.second_mark,
                "final_total": self.final_total, "final_mark": self.final_mark, "complete": self.complete,
                "tasks": [{"task": t.task_id, "first": t.first, "second": t.second, "final": t.final, "diff": t.diff}
                          for t in self.differing]}


@dataclass
class TaskSummaryRow:
    task_id: str
    max_score: int
    compared: int = 0
    differing: int = 0
    abs_diff: int = 0

    @property
    def mean_abs_diff(self) -> float:
        return self.abs_diff / self.compared if self.compared else 0.0


@dataclass
class DiscrepancyReport:
    participants: list[Discrepancy] = field(default_factory=list)
    tasks: list[TaskSummaryRow] = field(default_factory=list)

    @property
    def changed_totals(self) -> int:
        return sum(1 for p in self.participants if p.complete and p.first_total != p.second_total)

    @property
    def changed_marks(self) -> int:
        return sum(1 for p in self.participants if p.complete and p.first_mark != p.second_mark)


def _discrepancy(work: Work, one: ScoreRow, two: ScoreRow, three: ScoreRow) -> Discrepancy:
    """One sampled participant: the first, second and settled score of every task, totals, marks."""
    tasks = [TaskDiff(t.task_id, t.max_score, one.scores[t.task_id], two.scores[t.task_id], three.scores[t.task_id])
             for t in work.tasks]
    complete = all(t.second is not None for t in tasks)
    final_scores = {t.task_id: (t.final if t.final is not None else t.first) for t in tasks}
    any_settled = any(t.final is not None for t in tasks)
    final_total = sum(points(v) for v in final_scores.values()) if any_settled else None
    return Discrepancy(
        one.participant_id, one.code, one.class_name, tasks, one.total, two.total,
        mark_for(work.scale, one.total) if one.status == "scored" else None,
        mark_for(work.scale, two.total) if complete else None,
        final_total, mark_for(work.scale, final_total) if final_total is not None else None, complete)


def _count_in_summary(summary: dict[str, TaskSummaryRow], entry: Discrepancy) -> None:
    """A participant's re-checked tasks added to the per-task summary."""
    for t in entry.tasks:
        if t.second is None:
            continue
        row = summary[t.task_id]
        row.compared += 1
        row.abs_diff += abs(t.diff)
        row.differing += int(t.differs)


def discrepancies(store: Store, work_id: int) -> DiscrepancyReport:
    work = get_work(store, work_id)
    ids = sampled_ids(store, work_id)
    first = {r.participant_id: r for r in score_sheet(store, work_id, 1, participant_ids=ids)}
    second = {r.participant_id: r for r in score_sheet(store, work_id, 2, participant_ids=ids)}
    settled = {r.participant_id: r for r in score_sheet(store, work_id, 3, participant_ids=ids)}
    summary = {t.task_id: TaskSummaryRow(t.task_id, t.max_score) for t in work.tasks}
    report = DiscrepancyReport()
    for pid, one in first.items():
        entry = _discrepancy(work, one, second[pid], settled[pid])
        report.participants.append(entry)
        if entry.complete:   # an unfinished re-check stays out of the per-task summary
            _count_in_summary(summary, entry)
    report.tasks = sorted(summary.values(), key=lambda r: (-r.differing, -r.mean_abs_diff))
    return report


def settle(store: Store, work_id: int, code: str, task_id: str, value: Any, reason: str,
           expert: str | None = None) -> Changes:
    """The commission's final score for one task (round 3, with a reason); rounds 1 and 2 stay."""
    require_open(store, work_id)
    return set_score(store, work_id, code, task_id, value, round=3, reason=reason, expert=expert)


class RecheckUnfinished(UserError):
    """The protocol was asked for while some sampled works are not re-checked in full."""

    def __init__(self, done: int, total: int, codes: list[str]) -> None:
        shown = ", ".join(codes[:20]) + (f" … и ещё {len(codes) - 20}" if len(codes) > 20 else "")
        super().__init__(
            f"Перепроверка не закончена: перепроверено работ {done} из {total}. "
            f"Не перепроверены: {shown}. В протоколе они будут отмечены «не перепроверена» и не войдут в итоги.")
        self.done, self.total, self.codes = done, total, codes


def make_recheck_pdf(store: Store, work_id: int, out: Path, progress=None, *,
                     unfinished_ok: bool = False) -> Path:
    """The «Протокол перепроверки». While the re-check is unfinished it raises `RecheckUnfinished`
    (the caller asks the user) unless `unfinished_ok`."""
    # start-up: the PDF side loads reportlab and PIL
    from .documents import work_header
    from .formats.pdf.recheck import RecheckDoc, RecheckParticipant, RecheckTaskRow, TaskSummary, write_recheck_pdf

    work = get_work(store, work_id)
    report = discrepancies(store, work_id)
    unfinished = [p.code for p in report.participants if not p.complete]
    if unfinished and not unfinished_ok:
        raise RecheckUnfinished(len(report.participants) - len(unfinished), len(report.participants), unfinished)
    info = checks(store, work_id)
    experts = sorted({c.expert for c in info if c.expert})
    first_experts = sorted({r["expert"] for r in store.query(
        """SELECT DISTINCT sc.expert FROM scores sc JOIN participants p ON p.id = sc.participant_id
           WHERE p.work_id = ? AND sc.round = 1 AND sc.expert IS NOT NULL""", [work_id])})
    notes = []
    for c in info:
        if c.share:
            notes.append(f"выборка {c.share * 100:g} % ({works_text(len(c.codes))}), случайная, зерно {c.seed}")
        else:
            notes.append(f"выбранные работы: {len(c.codes)}")
    doc = RecheckDoc(
        header=work_header(store, work), first_expert=", ".join(first_experts), second_expert=", ".join(experts),
        sample_note="; ".join(notes) or "перепроверка не назначена",
        participants=[RecheckParticipant(
            code=p.code, class_name=p.class_name,
            tasks=[RecheckTaskRow(t.task_id, t.max_score, t.first, t.second) for t in p.tasks],
            first_total=p.first_total, second_total=p.second_total, first_mark=p.first_mark,
            second_mark=p.second_mark, final_total=p.final_total, final_mark=p.final_mark, complete=p.complete)
            for p in report.participants],
        summary=[TaskSummary(t.task_id, t.max_score, t.compared, t.differing, t.mean_abs_diff) for t in report.tasks],
    )
    write_recheck_pdf(Path(out), doc, progress=progress)
    with store.atomic():
        audit.record(store, "print.recheck", "works", work_id, file=str(out), participants=len(report.participants))
    return Path(out)
