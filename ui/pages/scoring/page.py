"""«Проверка»: experts enter scores against the criteria, the coordinator follows the progress and
runs the second check.

Tabs: «По участнику» (a participant's pages beside one row of task cells), «По заданию» (one task
through every present participant), «Таблица класса» (a spreadsheet-like grid for transcribing
paper score tables), «Журнал и пол», «Ход проверки», «Перепроверка».

Every cell is written the moment it is entered (`ScoreSheet` → `set_score`: one short transaction
with its audit record), and only that participant's row is refreshed. The scores are saved in the
name of the expert chosen in «Эксперт:». Participants are codes everywhere on this page; only the
«Журнал и пол» tab shows ФИО, and only outside expert mode.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.changes import Changes, Topic
from coordinator_app.errors import UserError
from coordinator_app.experts import list_experts, work_experts
from coordinator_app.form_import import ClassNumbersDiffer, import_form
from coordinator_app.school_years import work_is_closed
from coordinator_app.scoring import ScoreRow
from coordinator_app.works import Work, get_work, works_for_view

from ... import messages
from ...context import AppContext
from ...dialogs.experts_dialog import ExpertsDialog
from ...loader import PageLoader
from ...ops import ChangeOp
from ...tasks import TaskContext
from ...widgets import page_title
from .colours import EXPERT_HINT_STYLE, HINT_STYLE
from .grid_tab import GridTab
from .journal_tab import JournalTab
from .participant_tab import ParticipantTab
from .progress_tab import ProgressTab
from .second_check_tab import SecondCheckTab
from .sheet import ScoreSheet
from .task_tab import TaskTab

TAB_PARTICIPANT, TAB_TASK, TAB_GRID, TAB_JOURNAL, TAB_PROGRESS, TAB_SECOND = range(6)


def _read_experts(store, work: Work | None) -> list[tuple[str, bool]]:
    """Every expert's name, those assigned to `work` first: (name, assigned)."""
    everyone = list_experts(store)
    assigned = {e.id for e in work_experts(store, work.id)} if work else set()
    return [(e.name, True) for e in everyone if e.id in assigned] + \
           [(e.name, False) for e in everyone if e.id not in assigned]


def _read_work(store, work_id: int | None) -> dict:
    """One work with its score sheets (both rounds), experts and samples: only reads, on the page
    loader's thread."""
    try:
        work = get_work(store, work_id) if work_id is not None else None
    except UserError:
        work = None
    return {"work": work, "sheet": ScoreSheet.read(store, work, 1), "experts": _read_experts(store, work),
            "second": SecondCheckTab.read(store, work),
            "closed": work is not None and work_is_closed(store, work.work_date)}


def _read_page(store, keep: int | None, year: str | None = None) -> dict:
    """The works and the one to show: `keep` if it is still there, else the first."""
    works = works_for_view(store, year)
    ids = [w.id for w in works]
    return {"works": works, **_read_work(store, keep if keep in ids else (ids[0] if ids else None))}


class ScoringPage(QWidget):
    handles_mode = True          # refreshes itself on Changes.of(Topic.MODE)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        # The page's own edits update its rows in place (`ScoreSheet`): they go out to the other pages
        # through `subscription.publish_shown` and do not reload this one.
        self.subscription = ctx.bus.subscribe(
            self, (Topic.WORKS, Topic.PARTICIPANTS, Topic.STUDENTS, Topic.CLASSES, Topic.SCORES, Topic.MODE, Topic.EXPERTS, Topic.SCANS), self._refresh)
        self.sheet = ScoreSheet(ctx, 1, self)
        self.sheet2 = ScoreSheet(ctx, 2, self)
        self.sheet.expert = self.current_expert
        self.sheet.publish = self._publish
        self.sheet2.publish = self._publish

        top, info = self._build_top()
        self._build_tabs()

        layout = QVBoxLayout(self)
        layout.addWidget(page_title(
            "Проверка работ",
            "Эксперт вносит баллы по критериям: каждая ячейка сохраняется сразу. Участники — только коды."))
        layout.addLayout(top)
        layout.addLayout(info)
        layout.addWidget(self.tabs, 1)

        self._follow_edits()
        self._wanted: int | None = None       # a work asked for while the page was loading
        self._focus_cell: int | None = None
        # While a work loads its score cells are not editable: an edit to rows about to be replaced
        # would vanish from the screen (not from the store) when the newer rows are applied.
        self.loader = PageLoader(self, overlay=self.tabs, guard=[
            self.tabs, self.class_box, self.import_form_button, self.experts_button])
        self.apply_mode()
        self.reload()

    def _build_top(self) -> tuple[QHBoxLayout, QHBoxLayout]:
        """The work, class and expert choices with the coordinator's buttons; the summary line."""
        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(340)
        self.work_box.currentIndexChanged.connect(lambda _: self._load_work())
        self.class_box = QComboBox()
        self.class_box.setMinimumWidth(120)
        self.class_box.currentIndexChanged.connect(lambda _: self._class_changed())
        self.expert_box = QComboBox()
        self.expert_box.setMinimumWidth(220)
        self.expert_box.setToolTip("Кто вносит баллы: они сохраняются от имени этого эксперта")
        self.expert_box.currentIndexChanged.connect(lambda _: self._expert_changed())
        self.experts_button = QPushButton("Эксперты…")
        self.experts_button.setToolTip("Список экспертов и назначение на эту работу")
        self.experts_button.clicked.connect(self.open_experts)
        self.import_form_button = QPushButton("Импорт формы…")
        self.import_form_button.setToolTip("Импорт заполненной формы ФИС ОКО с баллами (всё или ничего)")
        self.import_form_button.clicked.connect(lambda: self.import_form())
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 2)
        top.addWidget(QLabel("Класс:"))
        top.addWidget(self.class_box)
        top.addWidget(QLabel("Эксперт:"))
        top.addWidget(self.expert_box, 1)
        top.addWidget(self.experts_button)
        top.addWidget(self.import_form_button)
        self.expert_hint = QLabel()
        self.expert_hint.setStyleSheet(EXPERT_HINT_STYLE)
        self.summary = QLabel()
        self.summary.setStyleSheet(HINT_STYLE)
        info = QHBoxLayout()
        info.addWidget(self.summary, 1)
        info.addWidget(self.expert_hint)
        return top, info

    def _build_tabs(self) -> QTabWidget:
        """The tabs, each given the sheet it shows; what they signal is wired to the page."""
        self.tabs = QTabWidget()
        self.participant_tab = ParticipantTab(self.sheet, self.ctx)
        self.task_tab = TaskTab(self.sheet, self.ctx)
        self.grid_tab = GridTab(self.sheet, self)
        self.journal_tab = JournalTab(self.sheet, self.ctx)
        self.progress_tab = ProgressTab(self.sheet, self.ctx)
        self.second_tab = SecondCheckTab(self.sheet2, self.ctx)
        self.sheet2.expert = self.second_tab.expert
        self.second_tab.committee_expert = self.current_expert
        self.second_tab.published.connect(self._publish)
        self.progress_tab.open_participant.connect(self.open_participant)
        self.tabs.addTab(self.participant_tab, "По участнику")
        self.tabs.addTab(self.task_tab, "По заданию")
        self.tabs.addTab(self.grid_tab, "Таблица класса")
        self.tabs.addTab(self.journal_tab, "Журнал и пол")
        self.tabs.addTab(self.progress_tab, "Ход проверки")
        self.tabs.addTab(self.second_tab, "Перепроверка")
        self.tabs.currentChanged.connect(self._tab_changed)
        return self.tabs

    def _follow_edits(self) -> None:
        """After a cell is written: the summary at once, the progress tab a moment later (once per burst)."""
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(0)
        self._summary_timer.timeout.connect(self._update_summary)
        self.sheet.row_changed.connect(lambda _: self._summary_timer.start())
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(300)
        self._progress_timer.timeout.connect(self._refresh_progress_if_shown)
        self.sheet.row_changed.connect(lambda _: self._progress_timer.start())

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the works and the chosen work's score sheets off the GUI thread."""
        self.subscription.forget()
        keep = self.work_box.currentData() if self.work_box.count() else None
        self._remember_focus()
        year = self.ctx.year
        self.loader.load(lambda store: _read_page(store, keep, year), self._apply_page)

    def _remember_focus(self) -> None:
        """The score cell being typed in, to come back to after a reload rebuilds the cells."""
        focus = self.focusWidget() if self.isVisible() else None
        cells = self.participant_tab.cells
        self._focus_cell = cells.index(focus) if focus is not None and focus in cells else None

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply_page(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, None
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in data["works"]:
            self.work_box.addItem(f"№ {w.id}. {w.title}", w.id)
        if data["work"] is not None:
            self.work_box.setCurrentIndex(self.work_box.findData(data["work"].id))
        self.work_box.blockSignals(False)
        self._show_work(data, force=True)
        if wanted is not None and (data["work"] is None or wanted != data["work"].id):
            self.select_work(wanted)

    def select_work(self, work_id: int) -> None:
        """Show `work_id`; asked while the page is loading, it is shown once loaded."""
        if self.loader.is_loading():
            self._wanted = work_id      # chosen when the load in progress is applied, not superseding it
            return
        index = self.work_box.findData(work_id)
        if index >= 0:
            self.work_box.setCurrentIndex(index)

    def _load_work(self) -> None:
        work_id = self.work_box.currentData()
        self.loader.load(lambda store: _read_work(store, work_id), self._apply_work)

    def _apply_work(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, None
        self._show_work(data)
        if wanted is not None and (data["work"] is None or wanted != data["work"].id):
            self.select_work(wanted)

    def _show_work(self, data: dict, force: bool = False) -> None:
        """Show one work's score sheets (read by `_read_work`); `force` rebuilds the task cells even
        for the same work (its tasks may have changed)."""
        work = data["work"]
        changed = self.work is None or work is None or work.id != self.work.id
        self.work = work
        keep_class = self.class_box.currentData() if not changed else None
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItem("Все классы", None)
        for class_id, name in (self.work.classes if self.work else []):
            self.class_box.addItem(name, class_id)
        self.class_box.setCurrentIndex(max(self.class_box.findData(keep_class), 0))
        self.class_box.blockSignals(False)
        current = self.participant_tab.current()
        keep_participant = current.participant_id if current is not None and not changed else None
        self.sheet.read_only = self.sheet2.read_only = data["closed"]       # its widgets: `apply_mode`
        self.sheet.apply(self.work, None, data["sheet"])
        if changed or force:
            self.participant_tab.rebuild()
            self.task_tab.rebuild()
        self.fill_experts(data["experts"])          # its hint follows the sheet's read-only state
        self._apply_rows(keep_participant)
        self.second_tab.show_data(self.work, data["second"])
        self._update_summary()
        self._refresh_progress_if_shown()
        self.apply_mode()
        focus, self._focus_cell = self._focus_cell, None
        if focus is not None and not changed and self.tabs.currentWidget() is self.participant_tab:
            # After Qt's queued show of rebuilt cells: focus goes only to a shown widget.
            QTimer.singleShot(0, self, lambda: self.participant_tab.focus_cell(focus))

    def apply_mode(self) -> None:
        """In expert mode only scoring stays: the form import, the experts, the sample and the
        commission's settlement are the coordinator's."""
        coordinator = not self.ctx.expert_mode
        for widget in (self.import_form_button, self.experts_button, *self.second_tab.coordinator_widgets):
            widget.setVisible(coordinator)
        # A work of a closed school year is only looked at (the store refuses changes anyway).
        open_year = not self.sheet.read_only
        for widget in (self.import_form_button, *(w for tab in (self.participant_tab, self.task_tab)
                                                  for w in (tab.x_button, tab.np_button, tab.one_key_box))):
            widget.setEnabled(open_year)

    def visible_rows(self) -> list[ScoreRow]:
        class_id = self.class_box.currentData()
        return [r for r in self.sheet.rows if class_id is None or r.class_id == class_id]

    def _apply_rows(self, keep_participant: int | None = None) -> None:
        rows = self.visible_rows()
        class_id = self.class_box.currentData()
        self.participant_tab.set_rows(rows, keep_participant)
        self.task_tab.set_rows(rows)
        self.grid_tab.model.set_class(class_id)
        self.second_tab.grid.model.set_class(class_id)
        self.journal_tab.set_rows(rows)

    def _class_changed(self) -> None:
        current = self.participant_tab.current()
        self._apply_rows(current.participant_id if current is not None else None)

    def fill_experts(self, names: list[tuple[str, bool]] | None = None) -> None:
        """The experts to choose from (`names`: as `_read_experts` returns them; None: read now)."""
        if names is None:
            names = _read_experts(self.ctx.store, self.work)
        assigned = [name for name, on_work in names if on_work]
        keep = self.expert_box.currentData()
        self.expert_box.blockSignals(True)
        self.expert_box.clear()
        self.expert_box.addItem("— не выбран —", None)
        for name, on_work in names:
            self.expert_box.addItem(name if on_work else f"{name} (не назначен на работу)", name)
        index = self.expert_box.findData(keep) if keep is not None else -1
        if index < 0 and len(assigned) == 1:
            index = 1
        self.expert_box.setCurrentIndex(max(index, 0))
        self.expert_box.blockSignals(False)
        self.second_tab.fill_experts(names)
        self._expert_changed()

    def current_expert(self) -> str | None:
        return self.expert_box.currentData()

    def _expert_changed(self) -> None:
        if self.current_expert() is None and not self.sheet.read_only:
            self.expert_hint.setText(f"Эксперт не выбран: баллы запишутся от имени «{self.ctx.store.actor}».")
        else:
            self.expert_hint.clear()

    def _update_summary(self) -> None:
        if self.work is None:
            self.summary.setText("Работ пока нет: создайте работу на странице «Работы»." if not self.work_box.count()
                                 else "Выберите работу.")
            return
        rows = self.sheet.rows
        if not rows:
            self.summary.setText("У работы ещё нет участников: выдайте коды на странице «Коды и протокол».")
            return
        counts = self.sheet.counts       # kept by the sheet as cells are written: nothing to count here
        closed = "Учебный год закрыт: баллы только для просмотра. " if self.sheet.read_only else ""
        self.summary.setText(f"{closed}Участников: {len(rows)} · проверено: {counts['scored']} · частично: {counts['partial']}"
                             f" · не начато: {counts['not_started']} · отсутствовали: {counts['absent']}. "
                             f"Максимум за работу: {self.work.max_total}.")

    def _refresh_progress_if_shown(self) -> None:
        if self.tabs.currentIndex() == TAB_PROGRESS and self.isVisible():
            self.progress_tab.refresh()

    def _tab_changed(self, index: int) -> None:
        if index == TAB_PROGRESS:
            self.progress_tab.refresh()
        elif index == TAB_TASK:
            self.task_tab.refill()
            QTimer.singleShot(0, self.task_tab.cell.setFocus)
        elif index == TAB_PARTICIPANT:
            self.participant_tab.redraw()
        elif index == TAB_SECOND:
            if self.second_tab.inner.currentIndex() == 1:
                self.second_tab.refresh_discrepancies()

    def open_participant(self, code: str, task_id: str | None = None) -> bool:
        """«Ход проверки» → the participant in «По участнику», at the given task."""
        row = self.sheet.by_code.get(code)
        if row is None:
            return False
        if self.class_box.currentData() not in (None, row.class_id):
            self.class_box.setCurrentIndex(0)
        self.tabs.setCurrentIndex(TAB_PARTICIPANT)
        return self.participant_tab.go_to(row.participant_id, task_id)

    def import_form(self, path: Path | None = None, take_class_numbers: bool = False) -> None:
        """Import a filled ФИС ОКО form into the work: every cell checked, all or nothing. A form
        numbering whole classes otherwise is offered to be taken as ФИС ОКО's numbering."""
        if self.work is None or self.ctx.expert_mode:
            return
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "Заполненная форма ФИС ОКО", str(Path.home()),
                                                  "Книга Excel (*.xlsx);;Все файлы (*)")
            if not name:
                return
            path = Path(name)
        work_id, expert = self.work.id, self.expert_box.currentData()

        def job(ctx: TaskContext):
            return import_form(ctx.open_store(), work_id, path, expert=expert,
                               take_form_class_numbers=take_class_numbers)

        def imported(result) -> None:
            self.last_form_import = result
            messages.inform(self, result.summary(), "Форма импортирована")

        def failed(err: BaseException) -> None:
            self.last_form_import = err
            if isinstance(err, ClassNumbersDiffer):
                if messages.confirm(self, err.message, "Номера классов", yes="Принять номера из формы", no="Отмена"):
                    self.import_form(path, take_class_numbers=True)
                return
            messages.show_error(self, err, "Форма не импортирована")

        ChangeOp(self.ctx, self, job).success(imported).failure(failed) \
            .run_in_background("Импорт заполненной формы", cancellable=False)

    def open_experts(self) -> None:
        if self.ctx.expert_mode:
            return
        dialog = ExpertsDialog(self.ctx, self.work, self)
        dialog.exec()

    # -- the bus ----------------------------------------------------------------------------------
    def _publish(self, changes: Changes) -> None:
        self.subscription.publish_shown(changes)

    def _refresh(self, changes: Changes) -> None:
        """Another page (or a background task) changed what this page shows; called while the page is
        visible, or once when it is shown again."""
        if changes.touches(Topic.WORKS, Topic.PARTICIPANTS, Topic.STUDENTS, Topic.CLASSES, Topic.SCORES, Topic.MODE):
            self.reload()
            return
        if changes.touches(Topic.EXPERTS):
            self.fill_experts()
        if changes.touches(Topic.SCANS):
            for tab in (self.participant_tab, self.task_tab):
                tab.panel.refresh()
