"""«Перепроверка»: the coordinator draws a sample of fully scored works, a second expert enters
their scores blind (round 2), the discrepancies are listed and settled by the commission (round 3),
and the protocol is printed as a PDF."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.fsutil import safe_file_name
from coordinator_app.second_check import (
    STRATUM_TEXT,
    Discrepancy,
    RecheckUnfinished,
    TaskDiff,
    checks,
    create_check,
    discrepancies,
    make_recheck_pdf,
    sampled_ids,
)
from coordinator_app.work_analysis import targeted_codes
from coordinator_app.works import Work

from ... import context, messages
from ...context import AppContext
from ...dialogs.second_check_dialog import SettleDialog
from ...ops import ChangeOp
from ...table_model import Column, RecordTableModel
from ...tasks import TaskContext
from ...widgets import table_view
from .cells import error_label
from .colours import DIFF_FG, ERROR_STYLE, HINT_STYLE, MISSING_BG, OK_STYLE
from .grid_tab import GridTab
from .sheet import ScoreSheet, shown


class SecondCheckTab(QWidget):
    """«Перепроверка»: the sample, the second expert's blind entry and the discrepancies."""

    published = Signal(object)      # Changes this tab made (the page passes them on to the other pages)

    def __init__(self, sheet: ScoreSheet, ctx: AppContext) -> None:
        super().__init__()
        self.sheet = sheet              # the blind round (2) of the sampled participants
        self.ctx = ctx
        self.work: Work | None = None
        # Who settles a discrepancy in the commission's name: the page's expert choice.
        self.committee_expert: Callable[[], str | None] = lambda: None
        self.report = None
        self.inner = QTabWidget()
        self.inner.addTab(self._build_sample(), "Выборка и ввод вслепую")
        self.inner.addTab(self._build_discrepancies(), "Расхождения")
        self.inner.currentChanged.connect(lambda _: self.refresh_discrepancies() if self.inner.currentIndex() == 1
                                          else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.inner)
        sheet.row_changed.connect(lambda _: setattr(self, "_stale", True))
        self._stale = True

    def _build_sample(self) -> QWidget:
        tab = QWidget()
        self.share = QSpinBox()
        self.share.setRange(0, 100)
        self.share.setValue(10)
        self.share.setSuffix(" %")
        self.share.setSpecialValueText("нет")
        self.share.setToolTip("Доля полностью проверенных работ, которые второй эксперт проверит ещё раз "
                              "(0 — только перечисленные коды)")
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("случайное")
        self.seed.setMaximumWidth(110)
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,9}"), self.seed))
        self.seed.setToolTip("Число, от которого зависит выбор работ: записывается в протокол, чтобы выбор можно "
                             "было повторить. Пусто — программа выберет сама.")
        self.codes = QLineEdit()
        self.codes.setPlaceholderText("и/или коды через запятую")
        self.targeted = QCheckBox("+ целевые по «Анализу»")
        self.targeted.setToolTip("Добавить в выборку, отдельными частями, работы, которые «Анализ» отмечает: у "
                                 "границы отметки с признаком пика или провала, с расхождением с журналом на 2 и "
                                 "более, с маловероятным профилем ответов. Согласованность считается по случайной "
                                 "части, целевые части — отдельно.")
        self.expert_box = QComboBox()
        self.expert_box.setMinimumWidth(200)
        self.expert_box.setToolTip("Второй эксперт: баллы перепроверки сохраняются от его имени")
        self.create_button = QPushButton("Создать выборку")
        self.create_button.clicked.connect(self.create)
        # Making a sample is the coordinator's: hidden in expert mode (the second expert's blind
        # entry below and the choice of who enters stay).
        self.sample_controls = QWidget()
        sample_row = QHBoxLayout(self.sample_controls)
        sample_row.setContentsMargins(0, 0, 0, 0)
        sample_row.addWidget(QLabel("Доля:"))
        sample_row.addWidget(self.share)
        sample_row.addWidget(QLabel("зерно:"))
        sample_row.addWidget(self.seed)
        sample_row.addWidget(self.codes, 1)
        sample_row.addWidget(self.targeted)
        row = QHBoxLayout()
        row.addWidget(self.sample_controls, 1)
        row.addWidget(QLabel("Второй эксперт:"))
        row.addWidget(self.expert_box)
        row.addWidget(self.create_button)
        self.coordinator_widgets: list[QWidget] = [self.sample_controls, self.create_button]
        self.checks_label = QLabel()
        self.checks_label.setWordWrap(True)
        self.checks_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_error = error_label()
        self.sample_error.setMinimumHeight(0)
        self.grid = GridTab(self.sheet, tab, variants_editable=False, legend=(
            "Ввод второго эксперта вслепую: баллы первого эксперта здесь не показываются. Enter или Tab — "
            "следующее задание; Ctrl+V — вставить диапазон, Ctrl+Z — отменить."))
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.checks_label)
        layout.addWidget(self.sample_error)
        layout.addWidget(self.grid, 1)
        return tab

    def _build_discrepancies(self) -> QWidget:
        tab = QWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.diff_model: RecordTableModel[tuple[Discrepancy, TaskDiff]] = RecordTableModel([
            Column("Код", lambda d: d[0].code),
            Column("Класс", lambda d: d[0].class_name),
            Column("Задание", lambda d: d[1].task_id),
            Column("Макс.", lambda d: d[1].max_score, Qt.AlignmentFlag.AlignRight),
            Column("Эксперт 1", lambda d: shown(d[1].first), Qt.AlignmentFlag.AlignCenter),
            Column("Эксперт 2", lambda d: shown(d[1].second), Qt.AlignmentFlag.AlignCenter),
            Column("Разница", lambda d: f"{d[1].diff:+d}" if d[1].diff else "0", Qt.AlignmentFlag.AlignCenter,
                   foreground=lambda d: DIFF_FG if d[1].diff else None),
            Column("Итоговый", lambda d: shown(d[1].final), Qt.AlignmentFlag.AlignCenter,
                   background=lambda d: None if d[1].final is not None else MISSING_BG,
                   tooltip=lambda d: "Итоговый балл установлен" if d[1].final is not None else "Не урегулировано"),
        ], self)
        self.diff_view = table_view(self)
        self.diff_view.setSortingEnabled(False)
        self.diff_view.setModel(self.diff_model)
        self.diff_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.diff_view.doubleClicked.connect(lambda _: self.settle_current())
        self.totals_model: RecordTableModel[Discrepancy] = RecordTableModel([
            Column("Код", lambda d: d.code),
            Column("Класс", lambda d: d.class_name),
            Column("Итого 1", lambda d: d.first_total, Qt.AlignmentFlag.AlignRight),
            Column("Итого 2", lambda d: d.second_total if d.complete else f"{d.second_total}…",
                   Qt.AlignmentFlag.AlignRight,
                   tooltip=lambda d: None if d.complete else "Второй эксперт проверил не все задания"),
            Column("Отметка 1", lambda d: d.first_mark or "", Qt.AlignmentFlag.AlignCenter),
            Column("Отметка 2", lambda d: d.second_mark or "", Qt.AlignmentFlag.AlignCenter,
                   foreground=lambda d: DIFF_FG if d.complete and d.first_mark != d.second_mark else None),
            Column("Итог", lambda d: "" if d.final_total is None else d.final_total, Qt.AlignmentFlag.AlignRight),
            Column("Итоговая отметка", lambda d: d.final_mark or "", Qt.AlignmentFlag.AlignCenter),
        ], self)
        self.totals_view = table_view(self)
        self.totals_view.setSortingEnabled(False)
        self.totals_view.setModel(self.totals_model)
        self.settle_button = QPushButton("Итоговый балл…")
        self.settle_button.setToolTip("Решение комиссии по выбранному расхождению: балл и причина (двойной щелчок)")
        self.settle_button.clicked.connect(lambda: self.settle_current())
        self.pdf_button = QPushButton("Протокол перепроверки (PDF)")
        self.pdf_button.clicked.connect(self.make_pdf)
        self.pdf_status = QLabel()
        self.pdf_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.settle_button)
        buttons.addWidget(self.pdf_button)
        self.coordinator_widgets += [self.settle_button, self.pdf_button]
        buttons.addWidget(self.pdf_status, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Задания с разными баллами:"))
        top_layout.addWidget(self.diff_view)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(QLabel("Итоги по работам выборки:"))
        bottom_layout.addWidget(self.totals_view)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        return tab

    # -- data -------------------------------------------------------------------------------------
    def expert(self) -> str | None:
        return self.expert_box.currentData()

    def fill_experts(self, names: list[tuple[str, bool]]) -> None:
        keep = self.expert_box.currentData()
        self.expert_box.blockSignals(True)
        self.expert_box.clear()
        self.expert_box.addItem("— не выбран —", None)
        for name, assigned in names:
            self.expert_box.addItem(name if assigned else f"{name} (не назначен)", name)
        self.expert_box.setCurrentIndex(max(self.expert_box.findData(keep), 0))
        self.expert_box.blockSignals(False)

    @staticmethod
    def read(store, work: Work | None) -> dict:
        """The samples of `work` and their blind round's rows: only reads (a page loader's thread)."""
        ids = sampled_ids(store, work.id) if work else set()
        return {"ids": ids, "rows": ScoreSheet.read(store, work if ids else None, 2, ids),
                "checks": checks(store, work.id) if work else []}

    def reload(self) -> None:
        self.show_data(self.work, self.read(self.ctx.store, self.work))

    def show_data(self, work: Work | None, data: dict) -> None:
        """Show `work`'s samples as `read` returned them."""
        self.work = work
        ids = data["ids"]
        self.sheet.apply(work if ids else None, ids, data["rows"])
        info = data["checks"]
        lines = []
        for number, c in enumerate(info, start=1):
            how = (f"{c.share * 100:g} % проверенных работ, зерно {c.seed}" if c.share else "выбранные коды")
            parts = "; ".join(f"{STRATUM_TEXT[name]}: {', '.join(codes)}" for name, codes in c.strata.items())
            lines.append(f"Выборка {number} ({c.created_at[:10]}): {how}; второй эксперт: {c.expert or 'не указан'}; "
                         f"работ: {len(c.codes)} — {parts}")
        self.checks_label.setText("\n".join(lines) if lines else
                                  "Выборки ещё нет. Укажите долю (и, если нужно, зерно) или коды работ и нажмите "
                                  "«Создать выборку».")
        self.create_button.setEnabled(work is not None and not self.sheet.read_only)
        self.grid.setVisible(bool(ids))
        self._stale = True
        if self.inner.currentIndex() == 1 and self.isVisible():
            self.refresh_discrepancies()

    def create(self) -> None:
        work = self.work
        if work is None or self.ctx.expert_mode:      # the coordinator's, not an expert's
            return
        codes = [c for c in re.split(r"[\s,;]+", self.codes.text()) if c]
        seed = int(self.seed.text()) if self.seed.text().strip() else None
        share = self.share.value() / 100 or None
        expert, work_id, targeted = self.expert(), work.id, self.targeted.isChecked()

        def sample(store):
            parts = targeted_codes(store, work_id) if targeted else None
            return create_check(store, work_id, share=share, codes=codes or None, seed=seed, expert=expert,
                                targeted=parts)

        def made(_result) -> None:
            self.sample_error.clear()
            self.codes.clear()
            self.reload()

        def failed(err: BaseException) -> None:
            self.sample_error.setText(err.message if isinstance(err, UserError) else
                                      f"Выборка не создана: {err}. Подробности записаны в журнал.")

        page = self.parentWidget()          # the change is the page's, shown by this tab's own reload
        while page is not None and not hasattr(page, "subscription"):
            page = page.parentWidget()

        def configured(op) -> ChangeOp:
            return ChangeOp(self.ctx, self, op, initiator=page).shown().success(made).failure(failed)

        if targeted:        # the analysis of the work first: off the GUI thread
            configured(lambda task: sample(task.open_store())).run_in_background("Выборка для перепроверки",
                                                                                   cancellable=False)
        else:
            configured(sample).run()

    def refresh_discrepancies(self) -> None:
        work = self.work
        self._stale = False
        if work is None:
            self.diff_model.set_records([])
            self.totals_model.set_records([])
            self.summary.setText("Выберите работу.")
            return
        report = discrepancies(self.ctx.store, work.id)
        self.report = report
        rows = [(p, t) for p in report.participants for t in p.differing]
        self.diff_model.set_records(rows)
        self.totals_model.set_records(report.participants)
        for view in (self.diff_view, self.totals_view):
            view.resizeColumnsToContents()
        compared = sum(1 for p in report.participants if p.complete)
        unsettled = sum(1 for _, t in rows if t.final is None)
        if not report.participants:
            self.summary.setText("Выборки для перепроверки ещё нет.")
        else:
            self.summary.setText(
                f"В выборке работ: <b>{len(report.participants)}</b>, второй эксперт проверил полностью: "
                f"<b>{compared}</b>. Расхождений по заданиям: <b>{len(rows)}</b> (не урегулировано: {unsettled}). "
                f"Изменился бы итог у <b>{report.changed_totals}</b>, отметка — у <b>{report.changed_marks}</b>.")
        self.settle_button.setEnabled(bool(rows) and not self.sheet.read_only)

    def settle_current(self, dialog_hook: Callable[[Any], None] | None = None) -> bool:
        if self.ctx.expert_mode:                         # the commission's decision: not an expert's
            return False
        index = self.diff_view.currentIndex()
        work = self.work
        if work is None or not index.isValid():
            return False
        participant, task = self.diff_model.record(index.row())
        dialog = SettleDialog(self.ctx.store, work.id, participant.code, task.task_id, task.max_score, task.first,
                              task.second, task.final, expert=self.committee_expert(), parent=self)
        if dialog_hook is not None:
            dialog_hook(dialog)
        elif dialog.exec() != SettleDialog.DialogCode.Accepted:
            return False
        if dialog.result() != SettleDialog.DialogCode.Accepted:
            return False
        self.published.emit(dialog.changes)
        self.refresh_discrepancies()
        return True

    def make_pdf(self, unfinished_ok: bool = False) -> None:
        if self.ctx.expert_mode:
            return
        work = self.work
        if work is None:
            return
        out = self.ctx.documents_dir / (f"Протокол_перепроверки_{safe_file_name(work.subject)}_{work.grade}кл_"
                                        f"{work.work_date:%Y-%m-%d}.pdf")
        work_id = work.id

        def job(task: TaskContext) -> Path:
            return make_recheck_pdf(task.open_store(), work_id, out, progress=task.progress_callback("Протокол"),
                                    unfinished_ok=unfinished_ok)

        def done(path: Path) -> None:
            self.pdf_button.setEnabled(True)
            self.pdf_status.setStyleSheet(OK_STYLE)
            self.pdf_status.setText(f"Сохранено: {path}")
            self.last_pdf = path
            context.open_path(path)

        def failed(err: BaseException) -> None:
            self.pdf_button.setEnabled(True)
            if isinstance(err, RecheckUnfinished):
                self.pdf_status.setText("")
                if messages.confirm(self, err.message + "\n\nНапечатать протокол сейчас?", title="Перепроверка не закончена",
                                    yes="Напечатать", no="Отмена"):
                    self.make_pdf(unfinished_ok=True)
                return
            self.pdf_status.setStyleSheet(ERROR_STYLE)
            self.pdf_status.setText(err.message if isinstance(err, UserError) else
                                    f"Протокол не создан: {err}. Подробности записаны в журнал.")

        self.pdf_button.setEnabled(False)
        self.pdf_status.setStyleSheet(HINT_STYLE)
        self.pdf_status.setText("Создаётся протокол…")
        ChangeOp(self.ctx, self, job).success(done).failure(failed).run_in_background("Протокол перепроверки")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale and self.inner.currentIndex() == 1:
            self.refresh_discrepancies()
