"""The dashboard's reports tab: the daily PDF report and the CSV exports, each recorded in
the audit trail.
"""

from datetime import date
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from console.core.dashboard import day_bounds
from console.ui.dashboard.incident_report import IncidentReport
from console.ui.operations import dashboard

translate = QCoreApplication.translate  # the dashboard's words keep its context, "SupervisorView"


def _still_loading() -> str:
    return translate("SupervisorView", "The figures are still loading; try again in a moment.")


class ReportsTab:
    """The Reports tab, mixed into SupervisorView: it works on that view's state."""

    def _build_reports(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(translate("SupervisorView",
                                          "Notes for the incident lead (they go into the PDF report):")))
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName(translate("SupervisorView", "Notes for the incident lead"))
        self.notes.setTabChangesFocus(True)
        layout.addWidget(self.notes, 1)
        buttons = QHBoxLayout()
        self.pdf_button = QPushButton(translate("SupervisorView", "Save the daily report (P&DF)…"))
        self.pdf_button.clicked.connect(self.save_report)
        self.calls_csv_button = QPushButton(translate("SupervisorView", "Export the day's ca&lls (CSV)…"))
        self.calls_csv_button.clicked.connect(self.export_calls)
        self.figures_csv_button = QPushButton(translate("SupervisorView", "Export the &figures (CSV)…"))
        self.figures_csv_button.clicked.connect(self.export_figures)
        for button in (self.pdf_button, self.calls_csv_button, self.figures_csv_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.report_message = QLabel(translate(
            "SupervisorView", "Every export is recorded in the audit trail. Keep exported files on "
                              "encrypted storage and delete them when done."))
        self.report_message.setAccessibleName(translate("SupervisorView", "Report result"))
        self.report_message.setWordWrap(True)
        layout.addWidget(self.report_message)
        return page

    def _ask_save_path(self, title: str, suggested: str, kinds: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, kinds)
        return path or None

    @staticmethod
    def _in_exports_folder(name: str) -> str:
        """A suggested file in the user's Documents folder, never the console's working directory."""
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or Path.home())
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / name)

    def _export(self, operation, title: str, suggested: str, kinds: str, done_text):
        """Ask where, then write on the worker: operation(path, success) is the
        export to path, whose result done_text(result, path) tells."""
        if self.figures is None:
            self.report_message.setText(_still_loading())
            return
        path = self.ask_save_path(title, self._in_exports_folder(suggested), kinds)
        if not path:
            return

        def failed(error):
            self.report_message.setText(
                translate("SupervisorView", "{path} could not be written ({reason}).").format(
                    path=path, reason=error.strerror)
                if isinstance(error, OSError) else
                translate("SupervisorView", "The export failed ({error}).").format(error=type(error).__name__))

        operation(path, lambda result: self.report_message.setText(done_text(result, path))).failure(
            failed).run_in_background()

    def save_report(self):
        figures, source, notes = self.figures, self.source_text, self.notes.toPlainText()
        if figures is None:
            self.report_message.setText(_still_loading())
            return
        path = self.ask_save_path(translate("SupervisorView", "Save the daily report"),
                                  self._in_exports_folder(f"helpline-report-{figures['day']}.pdf"),
                                  translate("SupervisorView", "PDF (*.pdf)"))
        if not path:
            return
        try:
            # charts are drawn on the main thread (a few tens of milliseconds); the worker records the export
            IncidentReport(figures, source, notes, self).write(path)
        except OSError as error:
            self.report_message.setText(translate("SupervisorView", "{path} could not be written ({reason}).").format(
                path=path, reason=error.strerror))
            return
        dashboard.record_report(self, figures, lambda _: self.report_message.setText(translate(
            "SupervisorView", "The report for {day} is saved to {path}.").format(day=figures["day"], path=path))
        ).run_in_background()

    def export_calls(self):
        day = date.fromisoformat(self.figures["day"]) if self.figures else self.day()
        since, until = day_bounds(day)
        self._export(lambda path, done: dashboard.export_calls(self, path, since, until, day.isoformat(), done),
                     translate("SupervisorView", "Export the day's calls"), f"helpline-calls-{day}.csv",
                     translate("SupervisorView", "CSV (*.csv)"),
                     lambda n, path: translate("SupervisorView", "{n:,} calls of {day} exported to {path}.").format(
                         n=n, day=day, path=path))

    def export_figures(self):
        figures = self.figures
        day = figures["day"] if figures else self.day()
        self._export(lambda path, done: dashboard.export_figures(self, path, figures, done),
                     translate("SupervisorView", "Export the figures"), f"helpline-figures-{day}.csv",
                     translate("SupervisorView", "CSV (*.csv)"),
                     lambda rows, path: translate("SupervisorView", "The figures of {day} exported to {path}.").format(
                         day=day, path=path))
