"""«Анализ»: the signs of non-objective scoring that the municipality and FIOKO look for, on the
school's own data, before the form goes to ФИС ОКО (issue 14).

The work (or the whole year) and a class are chosen at the top; the «светофор» says each sign in
one sentence; below, each indicator with its numbers and its chart. Everything is read and
computed by a worker (`PageLoader`): the page's GUI thread only shows the result. Coordinator
only: expert mode never shows this step.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.analysis.report import WorkAnalysis, YearAnalysis, summary_sentences
from coordinator_app.analysis.sentences import num
from coordinator_app.changes import Topic
from coordinator_app.dynamics import WorkDynamics, work_dynamics
from coordinator_app.errors import UserError
from coordinator_app.fsutil import safe_file_name
from coordinator_app.results_import import Reconciliation, import_results_files, reconcile, write_reconciliation
from coordinator_app.second_check import create_check
from coordinator_app.work_analysis import (
    analysable_works,
    analyse,
    analyse_all,
    second_check_agreement,
    second_check_points,
    write_class_list,
    write_parent_slips,
    write_report,
)
from coordinator_app.works import works_for_view

from ... import context, messages, style
from ...context import AppContext
from ...dialogs.reference_dialog import ReferenceDialog
from ...dialogs.thresholds_dialog import ThresholdsDialog
from ...loader import PageLoader
from ...ops import ChangeOp
from ...widgets import fit_columns, page_title
from .charts import BlandAltman, HeatMap, Histogram, MarkGroupLines, StackedMarks, TaskBars

YEAR = -1          # the work box's «Все работы года»
_WORDS = {"lower": "Понизили (Отметка < Отметка по журналу)", "equal": "Подтвердили (Отметка = Отметке по журналу)",
          "higher": "Повысили (Отметка > Отметка по журналу)"}


PAST_ONLY_TEXT = ("Работы этого года импортированы из отчётов ФИС ОКО без шкалы перевода баллов в отметку: "
                  "их доли отметок — в разделе «Динамика» работ текущего года. Для разбора по заданиям и границам "
                  "отметок задайте шкалу работы, импортированной из «Индивидуальных результатов» («Работы» → "
                  "«Изменить»).")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{num(value)} %"


def _read(store, work_id: int | None, class_name: str | None, year: str | None = None) -> dict[str, Any]:
    """Off the GUI thread: the works of the school year that can be analysed and the analysis asked for."""
    works = analysable_works(store, year)
    result: dict[str, Any] = {"works": works, "analysis": None, "error": None}
    if not works:               # past works from ФИС ОКО without a scale: nothing to set, their marks are in «Динамика»
        result["past_only"] = any(w.source == "results" for w in works_for_view(store, year))
    if work_id != YEAR and work_id not in {w.id for w in works}:      # none yet, or of another year
        work_id = works[0].id if works else None
    try:
        if work_id == YEAR:
            result["analysis"] = analyse_all(store, year)
        elif work_id is not None:
            result["analysis"] = analyse(store, work_id, class_name)
            result["second"] = _second_check(store, work_id)
            result["reconciliation"] = reconcile(store, work_id)
            result["dynamics"] = work_dynamics(store, work_id)
    except UserError as err:
        result["error"] = err.message
    result["work_id"] = work_id
    return result


def _second_check(store, work_id: int) -> tuple[Any, dict[str, Any]] | None:
    """The second check's agreement (over its random part) and its Bland–Altman points, if any."""
    points = second_check_points(store, work_id)
    if points is None:
        return None
    return second_check_agreement(store, work_id).main, points


def _section(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class AnalysisPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.analysis: WorkAnalysis | YearAnalysis | None = None
        self.work_id: int | None = None
        self._filling = False
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Анализ", "Признаки необъективного оценивания, которые ищут муниципалитет и "
                                               "ФИОКО, — на данных школы, до загрузки формы в ФИС ОКО. Это признаки, "
                                               "требующие анализа, а не выводы о классе или учителе."))
        layout.addLayout(self._choosers())
        self.signs = _label()
        layout.addWidget(self.signs)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._sections())
        layout.addWidget(scroll, 1)
        self.subscription = ctx.bus.subscribe(
            self, (Topic.SCORES, Topic.WORKS, Topic.PARTICIPANTS, Topic.THRESHOLDS, Topic.REFERENCES),
            lambda _changes: self.reload())
        self.loader = PageLoader(self, overlay=scroll.viewport(), guard=[self.boundary_button])
        self.reload()

    # -- building -----------------------------------------------------------------------------------
    def _choosers(self) -> QHBoxLayout:
        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(300)
        self.work_box.currentIndexChanged.connect(self._work_chosen)
        self.class_box = QComboBox()
        self.class_box.setMinimumWidth(120)
        self.class_box.currentIndexChanged.connect(self._class_chosen)
        self.report_button = QPushButton("Справка (PDF)")
        self.report_button.setToolTip("«Справка по результатам ВПР» выбранной работы или года: без имён и кодов, "
                                      "её можно публиковать")
        self.report_button.clicked.connect(lambda: self.make_report())
        self.results_button = QPushButton("Отчёты ФИС ОКО…")
        self.results_button.setToolTip("Импорт отчётов из раздела «Аналитика» ФИС ОКО: «Индивидуальные результаты», "
                                       "«Статистика по отметкам», «Сравнение отметок с отметками по журналу» — "
                                       "сверка с данными школы, эталонные данные, работы прошлых лет")
        self.results_button.clicked.connect(lambda: self.import_reports())
        row = QHBoxLayout()
        row.addWidget(QLabel("Работа:"))
        row.addWidget(self.work_box, 1)
        row.addWidget(QLabel("Класс:"))
        row.addWidget(self.class_box)
        row.addWidget(self.report_button)
        row.addWidget(self.results_button)
        self.more_button = QToolButton()
        self.more_button.setText("Ещё")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        more.addAction("Пороги анализа…", lambda: ThresholdsDialog(self.ctx, self).exec())
        more.addAction("Эталонные данные…", self._references)
        more.addSeparator()
        self.class_list_action = more.addAction("Список класса с результатами (с ФИО)…", lambda: self.make_class_list())
        self.slips_action = more.addAction("Листки для родителей (с ФИО)…", lambda: self.make_parent_slips())
        self.more_button.setMenu(more)
        row.addWidget(self.more_button)
        return row

    def _sections(self) -> QWidget:
        self.marks_text, self.journal_text, self.boundary_text, self.tasks_text, self.year_text = (
            _label(), _label(), _label(), _label(), _label())
        self.stacked, self.histogram, self.task_bars, self.heat = StackedMarks(), Histogram(), TaskBars(), HeatMap()
        self.groups_chart, self.bland_altman = MarkGroupLines(), BlandAltman()
        self.groups_text, self.second_text = _label(), _label()
        self.dynamics_text, self.cohort_text, self.dynamics_chart = _label(), _label(), StackedMarks()
        self.boundary_button = QPushButton("Отобрать пограничные работы на перепроверку")
        self.boundary_button.setToolTip("Работы с баллом b и b − 1 у границ с признаком пика или провала — в выборку "
                                        "второй проверки, отдельной частью «у границы отметки»")
        self.boundary_button.clicked.connect(self.sample_boundary_works)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.year_table = QTableWidget(0, 7)
        self.year_table.setHorizontalHeaderLabels(["Работа", "N", "Надёжность", "«2»", "«3»", "«4»", "«5»"])
        self.year_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.year_table.verticalHeader().setVisible(False)
        self.year_table.setMinimumHeight(320)
        self.year_box = _section("Работы года", self.year_table, self.year_text)
        self.reconcile_text = _label()
        self.reconcile_table = QTableWidget(0, 4)
        self.reconcile_table.setHorizontalHeaderLabels(["Код участника", "Что различается", "В данных школы",
                                                        "В ФИС ОКО"])
        self.reconcile_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.reconcile_table.verticalHeader().setVisible(False)
        self.reconcile_button = QPushButton("Сверка для муниципалитета (PDF)")
        self.reconcile_button.setToolTip("Все расхождения с ФИС ОКО с графой «Пояснение»: коды участников, без ФИО")
        self.reconcile_button.clicked.connect(lambda: self.save_reconciliation())
        buttons = QWidget()
        button_row = QHBoxLayout(buttons)
        button_row.setContentsMargins(0, 0, 0, 0)
        button_row.addWidget(self.reconcile_button)
        button_row.addStretch(1)
        self.reconcile_box = _section("Сверка с ФИС ОКО", self.reconcile_text, self.reconcile_table, buttons)
        self.work_sections = [
            self.reconcile_box,
            _section("Отметки", self.marks_text, self.stacked),
            _section("Сравнение с журналом", self.journal_text, self.heat),
            _section("Границы отметок", self.histogram, self.boundary_text, self.boundary_button),
            _section("Задания", self.task_bars, self.tasks_text),
            _section("Группы по отметкам", self.groups_chart, self.groups_text),
            _section("Вторая проверка", self.second_text, self.bland_altman),
            _section("Динамика", self.dynamics_text, self.dynamics_chart, self.cohort_text),
        ]
        for box in [self.year_box, *self.work_sections]:
            layout.addWidget(box)
        layout.addStretch(1)
        return inner

    # -- loading ------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.subscription.forget()
        work_id, class_name, year = self.work_id, self.class_box.currentData(), self.ctx.year
        self.loader.load(lambda store: _read(store, work_id, class_name, year), self._apply)

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply(self, data: dict[str, Any]) -> None:
        self._fill_works(data["works"], data["work_id"])
        self.work_id = data["work_id"]
        self.analysis = data["analysis"]
        if data["error"] or self.analysis is None:
            self.signs.setText(style.error_html(escape(data["error"]), bold=False) if data["error"] else
                               PAST_ONLY_TEXT if data.get("past_only") else
                               "Нет работ со шкалой перевода баллов в отметку: анализировать нечего. Задайте шкалу в "
                               "карточке работы («Работы» → «Изменить»).")
            for box in [self.year_box, *self.work_sections]:
                box.hide()
            return
        self._show_signs()
        if isinstance(self.analysis, YearAnalysis):
            self._show_year(self.analysis)
        else:
            self._show_work(self.analysis)
            self._show_second(data.get("second"))
            self._show_reconciliation(data.get("reconciliation"))
            self._show_dynamics(data.get("dynamics"))

    def _fill_works(self, works, chosen: int | None) -> None:
        self._filling = True
        self.work_box.clear()
        for work in works:
            self.work_box.addItem(work.title, work.id)
        if works:
            self.work_box.addItem("Все работы года", YEAR)
        index = self.work_box.findData(chosen)
        self.work_box.setCurrentIndex(max(index, 0))
        self._filling = False

    def _fill_classes(self, analysis: WorkAnalysis | None) -> None:
        self._filling = True
        chosen = self.class_box.currentData()
        self.class_box.clear()
        self.class_box.addItem("Все классы", None)
        for name, _ in (analysis.classes if analysis is not None and analysis.class_name is None else []):
            self.class_box.addItem(name, name)
        if analysis is not None and analysis.class_name is not None:
            self.class_box.addItem(analysis.class_name, analysis.class_name)
        self.class_box.setCurrentIndex(max(self.class_box.findData(chosen), 0))
        self.class_box.setEnabled(analysis is not None)
        self._filling = False

    # -- showing ------------------------------------------------------------------------------------
    def _show_signs(self) -> None:
        signs = summary_sentences(self.analysis)
        if not signs:
            self.signs.setText(style.ok_html("Признаков, требующих анализа, не найдено."))
            return
        self.signs.setText("<br>".join(
            f"<span style='color:{style.SIGN_COLOURS.get(s.level, style.MUTED)}'>●</span> {escape(s.text)}"
            for s in signs))

    def _show_year(self, year: YearAnalysis) -> None:
        self._fill_classes(None)
        self.year_box.show()
        for box in self.work_sections:
            box.hide()
        # A table widget, not rich text: a word-wrapped label lays a 30-row table out again and again.
        self.year_table.setRowCount(len(year.works))
        for row, a in enumerate(year.works):
            cells = [a.label, str(a.marks.n), a.marks.reliability, *(_pct(a.marks.pct.get(m)) for m in (2, 3, 4, 5))]
            for column, text in enumerate(cells):
                self.year_table.setItem(row, column, QTableWidgetItem(text))
        fit_columns(self.year_table)
        p = year.pooled
        self.year_text.setText(f"Все границы всех работ вместе: на границе — {p.at}, на балл ниже — {p.below}.")

    def _show_work(self, analysis: WorkAnalysis) -> None:
        self._fill_classes(analysis)
        self.year_box.hide()
        for box in self.work_sections:
            box.show()
        self._show_marks(analysis)
        self._show_journal(analysis)
        self._show_boundaries(analysis)
        self._show_tasks(analysis)
        self._show_groups(analysis)

    def _show_marks(self, a: WorkAnalysis) -> None:
        m = a.marks
        cells = "".join(f"<td align=right>{m.counts.get(k, 0)} ({_pct(m.pct.get(k))})</td>" for k in (2, 3, 4, 5))
        self.marks_text.setText(
            f"<p>Участников с полной проверкой: <b>{m.n}</b> — {m.reliability}.</p>"
            "<table cellspacing=0 cellpadding=3><tr><th>«2»</th><th>«3»</th><th>«4»</th><th>«5»</th>"
            f"<th>Успеваемость</th><th>Качество</th><th>Средний балл</th></tr><tr>{cells}"
            f"<td align=right>{_pct(m.success_pct)}</td><td align=right>{_pct(m.quality_pct)}</td>"
            f"<td align=right>{'—' if m.mean_score is None else num(m.mean_score, 2)}</td></tr></table>")
        rows = [(name, summary.pct) for name, summary in a.classes] if a.class_name is None else []
        self.stacked.set_data(rows + [("Всего", m.pct)])

    def _show_journal(self, a: WorkAnalysis) -> None:
        j = a.journal
        self.heat.set_data(j.table)
        if not j.compared:
            self.journal_text.setText("Отметок по журналу нет: сравнивать не с чем.")
            return
        lines = [escape(f"{_WORDS[key]}: {count} ({_pct(pct)})") for key, count, pct in (
            ("lower", j.lower, j.lower_pct), ("equal", j.equal, j.equal_pct), ("higher", j.higher, j.higher_pct))]
        warning = (style.error_html(f"Не подтвердили {_pct(j.not_confirmed_pct)} — больше 50 %: признак, по которому "
                                    "школу включают в муниципальную перепроверку.") if j.trigger else
                   f"Не подтвердили {_pct(j.not_confirmed_pct)}.")
        gaps = ", ".join(j.gap2) if j.gap2 else "нет"
        self.journal_text.setText(f"<p>Сравнено: {j.compared} ({j.reliability}).<br>" + "<br>".join(lines) +
                                  f"</p><p>{warning}</p><p>Коды с расхождением на 2 отметки и более: {gaps}</p>")

    def _show_boundaries(self, a: WorkAnalysis) -> None:
        self.histogram.set_data(a.histogram, a.scale.max_total, [(b.mark, b.score, b.flag) for b in a.boundaries])
        lines = []
        for b in a.boundaries:
            flag = {"peak": "пик", "valley": "провал"}.get(b.flag or "", "без признаков")
            lines.append(f"Граница «{b.mark}» ({b.score} б.): на границе {b.at}, на балл ниже {b.below} — {flag}.")
        self.boundary_text.setText("<br>".join(lines))
        self.boundary_button.setEnabled(a.class_name is None and bool(a.second_look.get("boundary")))

    def _show_tasks(self, a: WorkAnalysis) -> None:
        self.task_bars.set_data([(t.id, t.pct, t.status, t.level) for t in a.tasks],
                                {t.id: t.reference_pct for t in a.tasks if t.reference_pct is not None})
        hard = [f"{escape(t.id)} ({_pct(t.pct)}){': ' + escape(t.requirement) if t.requirement else ''}"
                for t in a.difficulties]
        levels = "" if any(t.level for t in a.tasks) else (
            "<br>Уровни заданий (Б/П/В) не указаны: цвета не ставятся. Укажите их в карточке работы.")
        reference = ("<br>Черта поперёк столбца — выполнение задания в эталонных данных."
                     if any(t.reference_pct is not None for t in a.tasks) else "")
        self.tasks_text.setText("Типичные затруднения: " + ("; ".join(hard) if hard else "нет") + levels + reference)

    def _show_groups(self, a: WorkAnalysis) -> None:
        minimum = a.thresholds.group_min_n
        groups = [(g.mark, g.n, g.tasks_pct) for g in a.groups if g.n >= minimum]
        shown = [c for c in a.crossings if c.shown]
        self.groups_chart.set_data([t.id for t in a.tasks], groups, [(c.task, c.lower_mark) for c in shown])
        small = [f"«{g.mark}» ({g.n})" for g in a.groups if g.n < minimum]
        lines = [f"Пересечение: задание {escape(c.task)} — группа «{c.lower_mark}» выполнила на {num(c.diff_pp)} п.п. "
                 f"лучше группы «{c.higher_mark}» (p = {num(c.p, 3)}). Требует анализа." for c in shown]
        if small:
            lines.append(f"Группы меньше {minimum} работ не показаны: {', '.join(small)}.")
        self.groups_text.setText("<br>".join(lines) or "Пересечений групп нет.")

    def _show_reconciliation(self, found: Reconciliation | None) -> None:
        self.reconciliation = found
        if found is None or not found.kinds:
            self.reconcile_text.setText("Отчёты ФИС ОКО по этой работе ещё не импортированы. Когда ФИС ОКО вернёт "
                                        "результаты, скачайте их в разделе «Аналитика» и импортируйте кнопкой "
                                        "«Отчёты ФИС ОКО…»: программа сверит их с данными школы.")
            self.reconcile_table.hide()
            self.reconcile_button.hide()
            return
        kinds = ", ".join(f"«{k['title']}»" for k in found.kinds.values())
        text = escape(found.summary())
        self.reconcile_text.setText(f"Импортировано: {escape(kinds)}.<br>" +
                                    (style.error_html(text, bold=False) if found.differences else style.ok_html(text)))
        self.reconcile_table.setVisible(bool(found.differences))
        self.reconcile_button.show()
        self.reconcile_table.setRowCount(len(found.differences))
        for row, d in enumerate(found.differences):
            for column, value in enumerate((d.code or "школа в целом", d.field_text, d.school or "—", d.fisoko or "—")):
                self.reconcile_table.setItem(row, column, QTableWidgetItem(value))
        fit_columns(self.reconcile_table)
        table = self.reconcile_table              # as tall as its rows, up to ten; then it scrolls
        rows = min(len(found.differences), 10)
        table.setFixedHeight(table.horizontalHeader().height() + rows * table.verticalHeader().defaultSectionSize() + 6)

    def _show_dynamics(self, found: WorkDynamics | None) -> None:
        if found is None:
            return
        d = found.subject
        if len(d.years) < 2:
            self.dynamics_text.setText(
                "Динамика появится, когда в программе будут результаты этого предмета и класса хотя бы за два учебных "
                "года: импортируйте прошлогодние «Индивидуальные результаты» или «Статистику по отметкам» ФИС ОКО "
                "(кнопка «Отчёты ФИС ОКО…») — по ним создаётся работа прошлого года без сканов.")
            self.dynamics_chart.hide()
        else:
            rows = "".join(
                f"<tr><td>{escape(y.year)}</td><td align=right>{y.n}</td>"
                + "".join(f"<td align=right>{_pct(y.pct(m))}</td>" for m in (2, 3, 4, 5)) + "</tr>" for y in d.years)
            lines = [(style.error_html(escape(c.sentence()), bold=False) if c.negative or c.sharp else escape(c.sentence()))
                     for c in d.changes]
            self.dynamics_text.setText(
                f"<p>{escape(d.subject)}, {d.grade} класс, по учебным годам:</p><table cellspacing=0 cellpadding=3>"
                "<tr><th>Год</th><th>N</th><th>«2»</th><th>«3»</th><th>«4»</th><th>«5»</th></tr>"
                f"{rows}</table><p>" + "<br>".join(lines) + "</p>")
            self.dynamics_chart.set_data([(y.year, {m: y.pct(m) or 0.0 for m in (2, 3, 4, 5)}) for y in d.years])
            self.dynamics_chart.show()
        c = found.cohort
        self.cohort_text.setText(escape(c.sentence()) if c is not None else
                                 "Те же ученики год назад: в программе нет работы по этому предмету в предыдущем классе "
                                 "прошлого учебного года с результатами учеников.")

    def _show_second(self, second: tuple[Any, dict[str, Any]] | None) -> None:
        if second is None:
            self.second_text.setText("Второй проверки этой работы ещё нет (или ни одна работа в ней не проверена "
                                     "полностью).")
            self.bland_altman.set_data([], None, None, None)
            return
        agreement, points = second
        diff = "—" if agreement.mean_signed_diff is None else num(agreement.mean_signed_diff, 2, signed=True)
        self.second_text.setText(
            f"Пар работ: {agreement.pairs} ({agreement.reliability}). Средняя разность суммы (школа − перепроверка): "
            f"{diff}; точное совпадение: {_pct(agreement.exact_agreement_pct)}; объективно оценённых: "
            f"{_pct(agreement.objective_pct)}; отметка выше после перепроверки: {agreement.marks_up}, ниже: "
            f"{agreement.marks_down}.")
        self.bland_altman.set_data(points["points"], points["mean"], points["lo"], points["hi"])

    # -- actions ------------------------------------------------------------------------------------
    def _work_chosen(self, _index: int) -> None:
        if not self._filling:
            self.work_id = self.work_box.currentData()
            self._filling = True
            self.class_box.setCurrentIndex(0)
            self._filling = False
            self.reload()

    def _class_chosen(self, _index: int) -> None:
        if not self._filling:
            self.reload()

    def make_report(self, out: Path | None = None) -> None:
        """The справка of the chosen work (and class) or of the year, written off the GUI thread and opened."""
        if self.work_id is None:
            return
        work_id = None if self.work_id == YEAR else self.work_id
        class_name = self.class_box.currentData() if work_id is not None else None
        name = "год" if work_id is None else safe_file_name(self.work_box.currentText())
        out = out or self.ctx.documents_dir / f"Справка_ВПР_{name}{'_' + class_name if class_name else ''}.pdf"

        def done(path: Path) -> None:
            self.last_report = path
            context.open_path(path)

        year = self.ctx.year
        ChangeOp(self.ctx, self, lambda task: write_report(task.open_store(), out, work_id=work_id, year=year,
                                                           class_name=class_name, progress=task.progress)) \
            .success(done).run_in_background("Справка по результатам ВПР")

    def _references(self) -> None:
        if self.work_id not in (None, YEAR):
            ReferenceDialog(self.ctx, self.work_id, self).exec()

    def sample_boundary_works(self) -> None:
        """The works at b and b − 1 of the flagged boundaries into the second check's sample."""
        analysis = self.analysis
        if not isinstance(analysis, WorkAnalysis) or self.work_id in (None, YEAR):
            return
        codes, work_id = list(analysis.second_look.get("boundary", [])), self.work_id
        ChangeOp(self.ctx, self, lambda store: create_check(store, work_id, targeted={"boundary": codes})) \
            .confirm(f"Добавить в выборку второй проверки {len(codes)} работ у границ с признаком пика или провала?",
                     yes="Добавить") \
            .success(lambda _r: self.signs.setText(
                self.signs.text() + "<br>" + style.ok_html(f"В выборку второй проверки добавлено работ: {len(codes)}."))) \
            .run()

    def import_reports(self, paths: list[Path] | None = None) -> None:
        """Reports of ФИС ОКО's «Аналитика» into their works, off the GUI thread; a report of a work
        the program does not have asks to create it as a past work."""
        if paths is None:
            names, _ = QFileDialog.getOpenFileNames(self, "Отчёты ФИС ОКО", str(Path.home()), "Excel (*.xlsx)")
            paths = [Path(n) for n in names]
        if not paths:
            return
        chosen = list(paths)
        ChangeOp(self.ctx, self, lambda task: import_results_files(task.open_store(), chosen, progress=task.progress),
                 error_title="Отчёт ФИС ОКО не импортирован") \
            .if_asked(lambda task: import_results_files(task.open_store(), chosen, create_work=True,
                                                        progress=task.progress), title="Работа прошлых лет",
                      yes="Создать работу") \
            .success(lambda batch: messages.inform(self, batch.summary(), "Отчёты ФИС ОКО")) \
            .run_in_background("Импорт отчётов ФИС ОКО")

    def save_reconciliation(self, out: Path | None = None) -> None:
        """The reconciliation of the chosen work as a PDF for the municipality, written off the GUI thread and opened."""
        if self.work_id in (None, YEAR):
            return
        work_id = self.work_id
        out = out or self.ctx.documents_dir / f"Сверка_ФИС_ОКО_{safe_file_name(self.work_box.currentText())}.pdf"

        def done(path: Path) -> None:
            self.last_reconciliation = path
            context.open_path(path)

        ChangeOp(self.ctx, self, lambda task: write_reconciliation(task.open_store(), work_id, out)) \
            .success(done).run_in_background("Сверка с ФИС ОКО")

    def _names_target(self, title: str, stem: str, filters: str) -> tuple[int, str | None, Path] | None:
        """The work, the class and the file for a document with names (asked with a save dialog)."""
        if self.work_id in (None, YEAR):
            messages.show_error(self, "Выберите одну работу (не «Все работы года»): списки с именами делаются по работе.")
            return None
        class_name = self.class_box.currentData()
        suggested = self.ctx.documents_dir / f"{stem}_{safe_file_name(self.work_box.currentText())}" \
                                              f"{'_' + class_name if class_name else ''}.pdf"
        name, _ = QFileDialog.getSaveFileName(self, title, str(suggested), filters)
        return (self.work_id, class_name, Path(name)) if name else None

    def make_class_list(self, out: Path | None = None) -> None:
        """The class teacher's list with names and every task (PDF or XLSX), off the GUI thread, opened."""
        target = (self.work_id, self.class_box.currentData(), out) if out is not None else \
            self._names_target("Список класса с результатами", "Список_класса", "PDF (*.pdf);;Excel (*.xlsx)")
        if target is None or target[0] in (None, YEAR):
            return
        work_id, class_name, path = target
        ChangeOp(self.ctx, self, lambda task: write_class_list(task.open_store(), work_id, path, class_name)) \
            .success(lambda written: self._opened(written)).run_in_background("Список класса с результатами")

    def make_parent_slips(self, out: Path | None = None) -> None:
        """A slip for every pupil's family, off the GUI thread, opened."""
        target = (self.work_id, self.class_box.currentData(), out) if out is not None else \
            self._names_target("Листки для родителей", "Листки_для_родителей", "PDF (*.pdf)")
        if target is None or target[0] in (None, YEAR):
            return
        work_id, class_name, path = target
        ChangeOp(self.ctx, self, lambda task: write_parent_slips(task.open_store(), work_id, path, class_name)) \
            .success(lambda written: self._opened(written)).run_in_background("Листки для родителей")

    def _opened(self, path: Path) -> None:
        self.last_document = path
        context.open_path(path)
