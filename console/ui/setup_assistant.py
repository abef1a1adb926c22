"""First run: set up a new workstation, in the window.

A new cache has no register, no accounts and no hub. The assistant offers the
two ways a helpline runs: connect to the helpline's hub (its address, the
operator's sign-in, then the first sync with its progress: accounts, guidance
and the register), or stand alone and import a register from a file (with the
first admin account). Every step runs on the cache's thread; progress is read
on a timer, so the window never waits; a refusal is shown as its sentence and
changes nothing, and a first sync that is stopped or cut off resumes where it
stopped.
"""

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
    QRadioButton, QStackedWidget, QVBoxLayout, QWidget,
)

from console.core.accounts import MIN_PASSWORD
from console.ui.operations import Progress, register

PROGRESS_POLL_MS = 200
STAGES = {
    "download": "Fetching the register from the hub",
    "persons": "Loading persons",
    "codes": "Hashing notification codes",
    "documents": "Loading the list of stolen files",
    "indexing": "Indexing for search",
}


class SetupAssistant(QWidget):
    """Emits `finished(operator_id, password, hub_url, role)` once the workstation is set up."""

    finished = Signal(str, str, str, str)

    def __init__(self, worker, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.progress = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._show_progress)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.title = QLabel(self.tr("This workstation is not set up yet"))
        self.title.setProperty("role", "result")
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setAccessibleName(self.tr("Setup title"))
        outer.addWidget(self.title)
        holder = QWidget()
        holder.setMaximumWidth(620)
        column = QVBoxLayout(holder)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choice_page())
        self.pages.addWidget(self._hub_page())
        self.pages.addWidget(self._file_page())
        column.addWidget(self.pages)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Setup message"))
        column.addWidget(self.message)
        self.bar = QProgressBar()
        self.bar.setAccessibleName(self.tr("Setup progress"))
        self.bar.hide()
        column.addWidget(self.bar)
        outer.addWidget(holder, 0, Qt.AlignHCenter)
        outer.addStretch(2)

    # pages

    def _choice_page(self):
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel(self.tr(
            "Choose how this workstation gets the breach register and its operators' accounts. "
            "You can change this later only by starting a new cache."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.use_hub = QRadioButton(self.tr("&Connect to the helpline's hub (recommended)"))
        self.use_file = QRadioButton(self.tr("&Standalone: import a register from a file (a site with no hub)"))
        self.use_hub.setChecked(True)
        group = QButtonGroup(page)
        for button in (self.use_hub, self.use_file):
            group.addButton(button)
            layout.addWidget(button)
        self.next_button = QPushButton(self.tr("C&ontinue"))
        self.next_button.clicked.connect(lambda: self.pages.setCurrentIndex(1 if self.use_hub.isChecked() else 2))
        layout.addWidget(self.next_button, 0, Qt.AlignRight)
        return page

    def _hub_page(self):
        page = QWidget()
        form = QFormLayout(page)
        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("https://hub.helpline.example")
        self.hub_operator = QLineEdit()
        self.hub_password = QLineEdit()
        self.hub_password.setEchoMode(QLineEdit.Password)
        self.hub_code = QLineEdit()
        self.hub_code.setPlaceholderText(self.tr("from your administrator; empty if this machine is enrolled"))
        for field, name in ((self.hub_url, self.tr("Hub address")), (self.hub_operator, self.tr("Operator id")),
                            (self.hub_password, self.tr("Password")), (self.hub_code, self.tr("Enrolment code"))):
            field.setAccessibleName(name)
        form.addRow(self.tr("Hub &address"), self.hub_url)
        form.addRow(self.tr("&Enrolment code"), self.hub_code)
        form.addRow(self.tr("&Operator"), self.hub_operator)
        form.addRow(self.tr("&Password"), self.hub_password)
        self.connect_button = QPushButton(self.tr("Connect and &fetch"))
        self.connect_button.clicked.connect(self.connect_to_hub)
        self.hub_password.returnPressed.connect(self.connect_to_hub)
        self.stop_button = QPushButton(self.tr("S&top"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self._stop)
        form.addRow(_row(self._back_button(), self.stop_button, self.connect_button))
        return page

    def _file_page(self):
        page = QWidget()
        form = QFormLayout(page)
        self.register_path = QLineEdit()
        self.register_path.setPlaceholderText(self.tr("A register folder or its .zip"))
        browse = QPushButton(self.tr("&Browse…"))
        browse.clicked.connect(self._browse)
        self.admin_id = QLineEdit()
        self.admin_password = QLineEdit()
        self.admin_repeat = QLineEdit()
        for field in (self.admin_password, self.admin_repeat):
            field.setEchoMode(QLineEdit.Password)
        for field, name in ((self.register_path, self.tr("Register file")), (self.admin_id, self.tr("Admin id")),
                            (self.admin_password, self.tr("Admin password")),
                            (self.admin_repeat, self.tr("Admin password again"))):
            field.setAccessibleName(name)
        form.addRow(self.tr("&Register"), _row(self.register_path, browse))
        form.addRow(QLabel(self.tr("The first account is this workstation's administrator.")))
        form.addRow(self.tr("Admin &id"), self.admin_id)
        form.addRow(self.tr("&Password"), self.admin_password)
        form.addRow(self.tr("Password a&gain"), self.admin_repeat)
        self.import_button = QPushButton(self.tr("Create the account and &import"))
        self.import_button.clicked.connect(self.import_from_file)
        form.addRow(_row(self._back_button(), self.import_button))
        return page

    def _back_button(self):
        back = QPushButton(self.tr("&Back"))
        back.clicked.connect(lambda: (self.pages.setCurrentIndex(0), self.message.clear()))
        return back

    def _browse(self):
        path = QFileDialog.getExistingDirectory(self, self.tr("Register folder"))
        if path:
            self.register_path.setText(path)

    # the work, on the cache's thread

    def connect_to_hub(self):
        url, operator, password = self.hub_url.text().strip(), self.hub_operator.text().strip(), self.hub_password.text()
        if not url.startswith(("https://", "http://")):
            return self._refused(self.tr("The hub's address starts with https:// (ask your IT team for it)."))
        if not operator or not password:
            return self._refused(self.tr("Enter your operator id and password for the hub."))
        progress = self._begin()
        register.connect_to_hub(self, url, operator, password, lambda role: self._done(operator, password, url, role),
                                self.hub_code.text().strip()).with_progress(progress).failure(self._failed
                                                                                              ).run_in_background()

    def import_from_file(self):
        path, admin = self.register_path.text().strip(), self.admin_id.text().strip()
        password, repeat = self.admin_password.text(), self.admin_repeat.text()
        if not path:
            return self._refused(self.tr("Choose the register folder or .zip to import."))
        if password != repeat:
            return self._refused(self.tr("The two passwords differ: type the same password twice."))
        if len(password) < MIN_PASSWORD:
            return self._refused(self.tr("The password must have at least %n characters.", "", MIN_PASSWORD))
        progress = self._begin()
        register.import_from_file(self, path, admin, password, lambda role: self._done(admin, password, "", role)
                                  ).with_progress(progress).failure(self._failed).run_in_background()

    def _begin(self) -> Progress:
        self.progress = Progress()
        self.message.setText(self.tr("Working…"))
        self.bar.setRange(0, 0)
        self.bar.show()
        for button in (self.connect_button, self.import_button):
            button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._timer.start(PROGRESS_POLL_MS)
        return self.progress

    def _stop(self):
        if self.progress is not None:
            self.progress.stop.set()
            self.message.setText(self.tr("Stopping after the current step…"))

    def _show_progress(self):
        value = self.progress.read() if self.progress else None
        if value is None:
            return
        stage, done, total = value
        self.message.setText(STAGES.get(stage, stage.capitalize()) + "…")
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _finish_work(self):
        self._timer.stop()
        self.bar.hide()
        for button in (self.connect_button, self.import_button):
            button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _failed(self, error):
        from console.sync.engine import Interrupted

        self._finish_work()
        if isinstance(error, Interrupted):
            return self._refused(self.tr("Stopped. What was fetched is kept: connect again to carry on from there."))
        self._refused(str(error) if str(error) else type(error).__name__)

    def _refused(self, sentence: str):
        self.message.setText(sentence)

    def _done(self, operator, password, hub_url, role):
        self._finish_work()
        self.message.setText(self.tr("This workstation is ready."))
        self.finished.emit(operator, password, hub_url, role)


def _row(*widgets) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder
