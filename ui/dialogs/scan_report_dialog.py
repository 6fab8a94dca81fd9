"""The end of a scan import: the report's summary and every file that was not taken, with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:   # the importer (and Pillow with it) is loaded when an import runs, not with the page
    from coordinator_app.scans.importer import ScanImportReport


def _where(file: str) -> tuple[str, str]:
    path = Path(file)
    return path.name, str(path.parent)


def problem_lines(report: ScanImportReport) -> list[str]:
    lines = []
    for item in report.rejected:
        name, folder = _where(item["file"])
        lines.append(f"• {name} — {item['reason']}\n   папка: {folder}")
    for item in report.flagged:
        name, folder = _where(item["file"])
        lines.append(f"• {name}, стр. {item['page']} — {item['reason']}\n   папка: {folder}")
    for item in report.warnings:
        name, folder = _where(item["file"])
        lines.append(f"• {name} — {item['reason']}\n   папка: {folder}")
    return lines


class ScanReportDialog(QDialog):
    def __init__(self, report: ScanImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Импорт сканов")
        self.summary = QLabel(report.summary())
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        lines = problem_lines(report)
        if lines:
            parts = []
            if report.rejected:
                parts.append(f"не приняты файлы: {len(report.rejected)}")
            if report.flagged:
                parts.append(f"наклейки не подошли: {len(report.flagged)} (эти страницы ждут в «Нераспознанных»)")
            if report.warnings:
                parts.append(f"сохранены с замечаниями: {len(report.warnings)}")
            layout.addWidget(QLabel("Обратите внимание — " + "; ".join(parts) + ":"))
            self.problems.setPlainText("\n".join(lines))
            layout.addWidget(self.problems, 1)
            self.resize(720, 420)
        else:
            self.problems.hide()
            self.resize(480, 160)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Закрыть")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def show_import_report(parent: QWidget | None, report: ScanImportReport) -> None:
    """Shown after every import; tests replace it."""
    ScanReportDialog(report, parent).exec()
