"""«Классы и ученики»: classes on the left, the pupils of the chosen class on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.changes import Topic
from coordinator_app.classes import add_class, delete_class, list_classes, set_ordinal
from coordinator_app.codes import set_student_code
from coordinator_app.school_years import mark_left, not_in_new_lists
from coordinator_app.students import Student, delete_student, list_students, move_student

from ..context import AppContext
from ..dialogs.import_students import ImportStudentsDialog
from ..dialogs.student_dialog import StudentDialog
from ..messages import confirm, show_error
from ..ops import ChangeOp
from ..table_model import Column, RecordTableModel, SearchProxy
from ..widgets import fit_columns, page_title, search_field, table_view

ALL = -1


class StudentsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx

        left = self._classes_panel()
        self._build_table()
        right = self._pupils_panel()

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Классы и ученики",
                                    "Импортируйте списки из электронного журнала (.xlsx или .csv) или добавьте учеников вручную."))
        layout.addWidget(splitter, 1)
        self.subscription = ctx.bus.subscribe(self, (Topic.STUDENTS, Topic.CLASSES, Topic.PARTICIPANTS),
                                              lambda _changes: self.reload())
        self.reload()

    # -- building -----------------------------------------------------------------------------------
    def _classes_panel(self) -> QWidget:
        """The classes on the left, with «Добавить класс…» and the «Ещё» menu."""
        self.class_list = QListWidget()
        self.class_list.setMaximumWidth(220)
        self.class_list.currentItemChanged.connect(lambda *_: self._class_changed())
        class_buttons = QHBoxLayout()
        add_class_button = QPushButton("Добавить класс…")
        add_class_button.clicked.connect(self.add_class)
        self.class_menu_button = QToolButton()
        self.class_menu_button.setText("Ещё ▾")
        self.class_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addAction("Порядковый номер класса…", self.set_class_ordinal)
        menu.addAction("Удалить пустой класс", self.delete_class)
        self.class_menu_button.setMenu(menu)
        class_buttons.addWidget(add_class_button)
        class_buttons.addWidget(self.class_menu_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Классы:"))
        left_layout.addWidget(self.class_list, 1)
        left_layout.addLayout(class_buttons)
        return left

    def _build_table(self) -> None:
        """The pupils of the chosen class, sortable and searchable."""
        columns: list[Column[Student]] = [
            Column("Код", lambda s: s.code or "—", sort_key=lambda s: s.code or "99999"),
            Column("Класс", lambda s: s.class_name, sort_key=lambda s: (s.grade, s.letter)),
            Column("Фамилия", lambda s: s.surname),
            Column("Имя", lambda s: s.name),
            Column("Отчество", lambda s: s.patronymic),
            Column("Пол", lambda s: s.gender or ""),
            Column("Дата рождения", lambda s: s.birth_text, sort_key=lambda s: s.birth_date or ""),
        ]
        self.model: RecordTableModel[Student] = RecordTableModel(columns, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = table_view(self)
        self.table.setModel(self.proxy)
        self.table.doubleClicked.connect(lambda _: self.edit_student())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.search = search_field(self, "Поиск по ФИО или коду (Ctrl+F)")
        self.search.textChanged.connect(self.proxy.set_search)

    def _toolbar(self) -> QHBoxLayout:
        """The pupils' actions (with their shortcuts) and the search field."""
        self.import_button = QPushButton("Импорт списка…")
        self.import_button.setShortcut(QKeySequence("Ctrl+I"))
        self.import_button.setToolTip("Импорт из .xlsx или .csv (Ctrl+I)")
        self.import_button.clicked.connect(self.import_list)
        self.add_button = QPushButton("Добавить")
        self.add_button.setShortcut(QKeySequence("Ctrl+N"))
        self.add_button.setToolTip("Добавить ученика (Ctrl+N)")
        self.add_button.clicked.connect(self.add_student)
        self.edit_button = QPushButton("Изменить")
        self.edit_button.setToolTip("Изменить ученика (Enter или двойной щелчок)")
        self.edit_button.clicked.connect(self.edit_student)
        self.move_button = QPushButton("Перевести в класс…")
        self.move_button.clicked.connect(self.move_students)
        self.code_button = QPushButton("Изменить код…")
        self.code_button.clicked.connect(self.change_code)
        self.delete_button = QPushButton("Удалить")
        self.delete_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_button.setToolTip("Удалить выбранных учеников (Delete)")
        self.delete_button.clicked.connect(self.delete_students)
        toolbar = QHBoxLayout()
        for button in (self.import_button, self.add_button, self.edit_button, self.move_button, self.code_button,
                       self.delete_button):
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.search)
        return toolbar

    def _pupils_panel(self) -> QWidget:
        """The toolbar, the table and the count on the right."""
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(self._toolbar())
        right_layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        self.leavers_button = QPushButton()
        self.leavers_button.setToolTip("Ученики прошлого года, которых нет ни в одном списке нового года: отметить "
                                       "выбывшими (они останутся в работах прошлых лет)")
        self.leavers_button.clicked.connect(self.mark_leavers)
        self.leavers_button.hide()
        bottom.addWidget(self.leavers_button)
        right_layout.addLayout(bottom)
        return right

    # -- data -----------------------------------------------------------------------------------
    def _current_class_id(self) -> int:
        item = self.class_list.currentItem()
        return ALL if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _current_class_name(self) -> str | None:
        item = self.class_list.currentItem()
        if item is None or int(item.data(Qt.ItemDataRole.UserRole)) == ALL:
            return None
        return str(item.data(Qt.ItemDataRole.UserRole + 1))

    def reload(self) -> None:
        self.subscription.forget()
        keep = self._current_class_id()
        self.class_list.blockSignals(True)
        self.class_list.clear()
        classes = list_classes(self.ctx.store)
        total = sum(c.pupils for c in classes)
        all_item = QListWidgetItem(f"Все классы ({total})")
        all_item.setData(Qt.ItemDataRole.UserRole, ALL)
        self.class_list.addItem(all_item)
        current = all_item
        for c in classes:
            item = QListWidgetItem(f"{c.name} · {c.pupils} уч. · № {c.ordinal}")
            item.setToolTip(f"Порядковый номер класса в форме ФИС ОКО: {c.ordinal}"
                            + (" (задан вручную)" if c.ordinal_manual else " (по порядку букв)"))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, c.name)
            self.class_list.addItem(item)
            if c.id == keep:
                current = item
        self.class_list.setCurrentItem(current)
        self.class_list.blockSignals(False)
        self._class_changed()
        self.leavers = not_in_new_lists(self.ctx.store)
        self.leavers_button.setText(f"Нет в списках нового года: {len(self.leavers)} — отметить выбывшими…")
        self.leavers_button.setVisible(bool(self.leavers))

    def _class_changed(self) -> None:
        class_id = self._current_class_id()
        students = list_students(self.ctx.store, None if class_id == ALL else class_id)
        self.model.set_records(students)
        fit_columns(self.table)
        with_code = sum(1 for s in students if s.code)
        self.count_label.setText(f"Учеников: {len(students)}, с кодом: {with_code}")
        self._update_buttons()

    def _selected(self) -> list[Student]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.record_at(r) for r in rows]

    def _update_buttons(self) -> None:
        selected = self._selected()
        self.edit_button.setEnabled(len(selected) == 1)
        self.code_button.setEnabled(len(selected) == 1)
        self.move_button.setEnabled(bool(selected))
        self.delete_button.setEnabled(bool(selected))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.edit_student()
            return
        super().keyPressEvent(event)

    # -- actions --------------------------------------------------------------------------------
    def import_list(self) -> None:
        ImportStudentsDialog(self.ctx, self).exec()

    def add_student(self) -> None:
        StudentDialog(self.ctx, default_class=self._current_class_name(), parent=self).exec()   # it publishes

    def edit_student(self) -> None:
        selected = self._selected()
        if len(selected) != 1:
            return
        StudentDialog(self.ctx, student=selected[0], parent=self).exec()      # it publishes

    def move_students(self) -> None:
        selected = self._selected()
        if not selected:
            return
        names = [c.name for c in list_classes(self.ctx.store)]
        target, ok = QInputDialog.getItem(self, "Перевести в класс", f"Учеников: {len(selected)}. Новый класс:",
                                          names, 0, True)
        if not ok or not target.strip():
            return
        for student in selected:        # one op each: those moved before an error stay moved
            if ChangeOp(self.ctx, self, lambda store, s=student: move_student(store, s.id, target)).run() is None:
                break

    def change_code(self) -> None:
        selected = self._selected()
        if len(selected) != 1:
            return
        student = selected[0]
        code, ok = QInputDialog.getText(
            self, "Изменить код", f"Код участника ({student.class_name}). Пять цифр, первая — параллель:",
            text=student.code or "")
        if not ok or not code.strip():
            return
        op = ChangeOp(self.ctx, self, lambda store: set_student_code(store, student.id, code))
        if student.code:
            op.confirm(f"Код {student.code} заменится на {code.strip()} во всех протоколах. Продолжить?",
                       destructive=True, yes="Заменить")
        op.run()

    def delete_students(self) -> None:
        selected = self._selected()
        if not selected:
            return
        text = (f"Удалить ученика {selected[0].fio} ({selected[0].class_name})?" if len(selected) == 1
                else f"Удалить выбранных учеников ({len(selected)})?")
        if not confirm(self, text + " Это действие нельзя отменить.", yes="Удалить", destructive=True):
            return
        for student in selected:        # one op each: a pupil who cannot go does not keep the others
            ChangeOp(self.ctx, self, lambda store, s=student: delete_student(store, s.id)) \
                .if_asked(lambda store, s=student: delete_student(store, s.id, force=True), yes="Удалить",
                          destructive=True) \
                .run()

    def mark_leavers(self) -> None:
        """Last year's pupils no list of the new year names: confirmed, marked as left."""
        pupils = list(self.leavers)
        if not pupils:
            return
        names = "\n".join(f"{p.class_name} — {p.fio}" for p in pupils[:30])
        more = f"\n… и ещё {len(pupils) - 30}" if len(pupils) > 30 else ""
        ChangeOp(self.ctx, self, lambda store: mark_left(store, [p.id for p in pupils])) \
            .confirm(f"Этих учеников прошлого года нет ни в одном импортированном списке нового года:\n\n{names}{more}"
                     "\n\nОтметить их выбывшими? Они исчезнут из списков и протоколов нового года, но останутся в "
                     "работах прошлых лет. Если импортированы ещё не все списки, сначала импортируйте их.",
                     title="Выбывшие ученики", yes="Отметить выбывшими") \
            .run()

    def add_class(self) -> None:
        name, ok = QInputDialog.getText(self, "Добавить класс", "Класс (например, 4А):")
        if ok and name.strip():
            ChangeOp(self.ctx, self, lambda store: add_class(store, name)).run()

    def set_class_ordinal(self) -> None:
        class_id = self._current_class_id()
        if class_id == ALL:
            show_error(self, "Сначала выберите класс в списке слева.")
            return
        info = next(c for c in list_classes(self.ctx.store) if c.id == class_id)
        value, ok = QInputDialog.getInt(
            self, "Порядковый номер класса",
            f"Порядковый номер класса {info.name} в форме ФИС ОКО (0 — по порядку букв):", info.ordinal, 0, 50)
        if ok:
            ChangeOp(self.ctx, self, lambda store: set_ordinal(store, class_id, value or None)).run()

    def delete_class(self) -> None:
        class_id = self._current_class_id()
        if class_id == ALL:
            show_error(self, "Сначала выберите класс в списке слева.")
            return
        ChangeOp(self.ctx, self, lambda store: delete_class(store, class_id)) \
            .confirm("Удалить выбранный класс? Удаляется только пустой класс.", yes="Удалить", destructive=True) \
            .run()
