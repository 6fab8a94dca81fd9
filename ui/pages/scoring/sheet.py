"""A work's scores of one round in memory, kept cell by cell.

`ScoreSheet` holds a work's `ScoreRow`s of one round (1: the school's experts, 2: the blind second
check). Every write goes straight to the domain (`set_score`, `set_scores`, `set_variant`,
`set_absent`: one short transaction per cell, audited), then the one row in memory is updated and
`row_changed(participant_id)` tells every view showing it. Nothing reloads the whole sheet after
a cell: with 1500 participants that would cost ~50 ms per keystroke. A row's total, status and
mark come from the domain's rule (`row_outcome`), the same that `score_sheet` applies.

No pupil names here: participants are codes, always.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from coordinator_app import settings
from coordinator_app.changes import Changes, Topic
from coordinator_app.codes import set_absent, set_variant
from coordinator_app.errors import UserError
from coordinator_app.names import normalize_gender
from coordinator_app.scoring import (
    ScoreRow,
    filled_count,
    normalize_value,
    row_outcome,
    score_sheet,
    set_gender,
    set_journal_mark,
    set_score,
    set_scores,
)
from coordinator_app.works import TaskDef, Work

_VARIANT_RE = re.compile(r"\d{1,2}")


def shown(value: str | None) -> str:
    """A stored value as the expert sees it ("" for an empty cell)."""
    return "" if value is None else value


def task_title(task: TaskDef) -> str:
    return f"{task.task_id} (макс. {task.max_score})"


def clean_variant(raw: Any) -> str | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not _VARIANT_RE.fullmatch(text):
        raise UserError(f"Вариант «{text}» неверен: ожидается номер варианта, например 1 или 2.")
    return text


class ScoreSheet(QObject):
    """A work's participants with their scores of one round, updated row by row as cells are written."""

    row_changed = Signal(int)       # participant id
    reloaded = Signal()

    def __init__(self, ctx, round: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.round = round
        self.work: Work | None = None
        self.rows: list[ScoreRow] = []
        self.by_id: dict[int, ScoreRow] = {}
        self.by_code: dict[str, ScoreRow] = {}
        self.participant_ids: set[int] | None = None
        self.counts: dict[str, int] = {}      # participants by status, kept up to date cell by cell
        self.one_key = True             # the «one key» setting, read at each load
        self.read_only = False          # the work belongs to a closed school year: set by the page
        self.expert: Callable[[], str | None] = lambda: None      # who is entering: set by the page
        self.publish: Callable[[Changes], None] = ctx.publish    # the page marks its own changes

    def set_one_key(self, on: bool) -> None:
        """Turn scoring by one key on or off (a setting of the data dir, kept between starts)."""
        self.one_key = bool(on)
        settings.set_value(self.ctx.store, "one_key_scoring", self.one_key)

    # -- loading ----------------------------------------------------------------------------------
    def load(self, work: Work | None, participant_ids: set[int] | None = None) -> None:
        """Read and show `work`'s rows here and now (`read` + `apply`)."""
        self.apply(work, participant_ids, self.read(self.ctx.store, work, self.round, participant_ids))

    @staticmethod
    def read(store, work: Work | None, round: int, participant_ids: set[int] | None = None) -> tuple[list[ScoreRow], bool]:
        """The rows of `work` for round `round` and the «one key» setting: only reads, so it runs on
        any thread with its own connection (a page loader's)."""
        rows = score_sheet(store, work.id, round, participant_ids=participant_ids) if work else []
        return rows, bool(settings.get(store, "one_key_scoring"))

    def apply(self, work: Work | None, participant_ids: set[int] | None, data: tuple[list[ScoreRow], bool]) -> None:
        """Take the rows `read` returned."""
        self.work = work
        self.participant_ids = participant_ids
        self.rows, self.one_key = data
        self.by_id = {r.participant_id: r for r in self.rows}
        self.by_code = {r.code: r for r in self.rows}
        self.counts = dict.fromkeys(("scored", "partial", "not_started", "absent"), 0)
        for r in self.rows:
            self.counts[r.status] += 1
        self.reloaded.emit()

    @property
    def tasks(self) -> list[TaskDef]:
        return self.work.tasks if self.work else []

    def task(self, task_id: str) -> TaskDef:
        return next(t for t in self.tasks if t.task_id == task_id)

    @property
    def max_total(self) -> int:
        return self.work.max_total if self.work else 0

    # -- checks -----------------------------------------------------------------------------------
    def clean(self, task_id: str, raw: Any) -> str | None:
        """The stored form of `raw` for the task, or UserError with the reason."""
        assert self.work is not None
        return normalize_value(raw, self.task(task_id), self.work.allows_not_passed)

    def problem(self, row: ScoreRow, task_id: str, raw: Any) -> str | None:
        """Why `raw` cannot go into the cell (None if it can); nothing is written."""
        try:
            clean = self.clean(task_id, raw)
        except UserError as err:
            return err.message
        if clean is not None and row.absent and self.round == 1:
            return f"Участник {row.code} отмечен отсутствующим: баллы ему не ставятся."
        return None

    # -- writes -----------------------------------------------------------------------------------
    def _entered(self, row: ScoreRow, task_id: str, clean: str | None) -> None:
        row.scores[task_id] = clean
        row.experts[task_id] = (self.expert() or self.ctx.store.actor) if clean is not None else None

    def write(self, row: ScoreRow, task_id: str, raw: Any) -> bool:
        """One cell. UserError (nothing written) if the value is not allowed; True if it changed."""
        assert self.work is not None
        clean = self.clean(task_id, raw)
        changes = set_score(self.ctx.store, self.work.id, row.code, task_id, clean, expert=self.expert(),
                            round=self.round)
        if not changes:
            return False
        self._entered(row, task_id, clean)
        self.recompute(row)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_many(self, cells: list[tuple[ScoreRow, str, Any]]) -> bool:
        """A range of cells, all or nothing (`set_scores`); UserError lists every problem."""
        assert self.work is not None
        changes = set_scores(self.ctx.store, self.work.id, [(row.code, task_id, raw) for row, task_id, raw in cells],
                             expert=self.expert(), round=self.round)
        if not changes:
            return False
        touched: dict[int, ScoreRow] = {}
        for row, task_id, raw in cells:
            clean = self.clean(task_id, raw)
            if row.scores.get(task_id) != clean:
                self._entered(row, task_id, clean)
            touched[row.participant_id] = row
        for row in touched.values():
            self.recompute(row)
            self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_variant(self, row: ScoreRow, part: int, raw: Any) -> bool:
        assert self.work is not None
        value = clean_variant(raw)
        if row.variants.get(part) == value:
            return False
        changes = set_variant(self.ctx.store, self.work.id, row.code, part, value)
        row.variants[part] = value
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_absent(self, row: ScoreRow, absent: bool) -> bool:
        assert self.work is not None
        if row.absent == absent:
            return False
        changes = set_absent(self.ctx.store, self.work.id, row.code, absent)
        row.absent = absent
        self.recompute(row)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_journal_mark(self, row: ScoreRow, mark: Any) -> bool:
        assert self.work is not None
        changes = set_journal_mark(self.ctx.store, self.work.id, row.code, mark)
        if not changes:
            return False
        row.journal_mark = self.ctx.store.scalar("SELECT journal_mark FROM participants WHERE id = ?",
                                                 [row.participant_id])
        self.row_changed.emit(row.participant_id)
        # Only this page shows journal marks: other pages need not reload their participants.
        self.publish(Changes.of(Topic.SCORES))
        return True

    def write_gender(self, row: ScoreRow, gender: Any) -> bool:
        assert self.work is not None
        changes = set_gender(self.ctx.store, self.work.id, row.code, gender)
        if not changes:
            return False
        row.gender = normalize_gender(gender)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def recompute(self, row: ScoreRow) -> None:
        """Total, status and mark of one row by the domain's rule (`row_outcome`), and `counts`."""
        before = row.status
        row.total, row.status, row.mark = row_outcome(row.scores, [t.task_id for t in self.tasks], row.absent,
                                                      self.work.scale if self.work else None)
        if row.status != before and row.participant_id in self.by_id:
            self.counts[before] = self.counts.get(before, 0) - 1
            self.counts[row.status] = self.counts.get(row.status, 0) + 1

    def filled(self, row: ScoreRow) -> int:
        return filled_count(row.scores, [t.task_id for t in self.tasks])
