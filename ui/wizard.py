"""First-run wizard: the school's details, saved through the same use-case as `init`."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget, QWizard, QWizardPage

from coordinator_app.errors import UserError
from coordinator_app.school import School, default_academic_year, save_school, validate
from coordinator_app.storage import Store

from . import style
from .ops import ChangeOp


class SchoolForm(QWidget):
    """The school's fields; shared by the wizard and the «Школа» page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("МБОУ «Средняя общеобразовательная школа № 1»")
        self.login = QLineEdit()
        self.login.setPlaceholderText("sch123456")
        self.municipality = QLineEdit()
        self.municipality.setPlaceholderText("Городской округ …")
        self.year = QLineEdit(default_academic_year())
        self.director = QLineEdit()
        self.director.setPlaceholderText("Фамилия Имя Отчество")
        form = QFormLayout(self)
        form.addRow("Название школы:", self.name)
        form.addRow("Логин ФИС ОКО:", self.login)
        form.addRow("Муниципалитет:", self.municipality)
        form.addRow("Учебный год:", self.year)
        form.addRow("Директор:", self.director)

    def value(self) -> School:
        return School(name=self.name.text(), login=self.login.text(), municipality=self.municipality.text(),
                      academic_year=self.year.text(), director=self.director.text())

    def set_value(self, school: School) -> None:
        self.name.setText(school.name)
        self.login.setText(school.login)
        self.municipality.setText(school.municipality)
        self.year.setText(school.academic_year)
        self.director.setText(school.director)


class _SchoolPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Сведения о школе")
        self.setSubTitle("Они печатаются в протоколах и письмах. Всё можно изменить позже на странице «Школа».")
        self.form = SchoolForm()
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        for field in (self.form.name, self.form.login, self.form.year):
            field.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return bool(self.form.name.text().strip() and self.form.login.text().strip() and self.form.year.text().strip())

    def validatePage(self) -> bool:
        try:
            validate(self.form.value())
        except UserError as err:
            self.error.setText(str(err))
            return False
        self.error.clear()
        return True


class FirstRunWizard(QWizard):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("ВПР-Координатор — первый запуск")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setButtonText(QWizard.WizardButton.NextButton, "Далее >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< Назад")
        self.setButtonText(QWizard.WizardButton.FinishButton, "Готово")
        self.setButtonText(QWizard.WizardButton.CancelButton, "Отмена")

        intro = QWizardPage()
        intro.setTitle("Добро пожаловать")
        text = QLabel(
            "ВПР-Координатор помогает школьному координатору провести ВПР: списки классов, коды участников, "
            "протокол «код — ФИО», листки с кодами и наклейки с QR-кодами.\n\n"
            "Программа работает без интернета. Все данные хранятся на этом компьютере, в папке:\n"
            f"{store.data_dir}\n\nДальше — сведения о школе."
        )
        text.setWordWrap(True)
        QVBoxLayout(intro).addWidget(text)
        self.addPage(intro)
        self.school_page = _SchoolPage()
        self.addPage(self.school_page)

        done = QWizardPage()
        done.setTitle("Всё готово")
        hint = QLabel(
            "Следующие шаги слева в окне программы:\n"
            "1. «Классы и ученики» — импортируйте списки из электронного журнала.\n"
            "2. «Работы» — создайте работу из шаблона формы ФИС ОКО.\n"
            "3. «Коды и протокол» — выдайте коды и напечатайте протокол, листки и наклейки."
        )
        hint.setWordWrap(True)
        QVBoxLayout(done).addWidget(hint)
        self.addPage(done)
        self.resize(640, 460)

    def accept(self) -> None:
        """Save the school (the main window publishes it); an error sends the user back to the form."""
        school = self.school_page.form.value()
        ChangeOp(self.store, self, lambda store: save_school(store, school)) \
            .failure(self._failed) \
            .success(lambda _changes: super(FirstRunWizard, self).accept()) \
            .run()

    def _failed(self, err: BaseException) -> None:
        self.school_page.error.setText(str(err))
        self.back()
