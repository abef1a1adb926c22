"""The main window: the call screen, a status bar, menus and the shortcuts panel."""

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QHeaderView, QLabel, QMainWindow, QStackedWidget, QTableWidget, QTableWidgetItem,
)

from console import __version__
from console.core import roles
from console.core.session import Session, idle_lock_minutes
from console.ui.call_screen import SHORTCUTS, CallScreen
from console.ui.gate import Gate
from console.ui.theme import apply_theme

STATUS_REFRESH_MS = 5_000
SESSION_CHECK_MS = 5_000


class MainWindow(QMainWindow):
    def __init__(self, worker, scripts, services, operator: str, demo=None, clock=time.monotonic):
        super().__init__()
        self.worker = worker
        self.operator = operator
        self.clock = clock
        self.session: Session | None = None
        self.role: str | None = None
        self.setup_mode = False
        self.supervisor = None  # the Supervisor dashboard, built when first opened
        self._hub_dashboard = None
        self.setWindowTitle(f"Helpline Console {__version__}" + (" — DEMO DATA" if demo else ""))
        self.setAccessibleName("Helpline Console")
        self.call_screen = CallScreen(worker, scripts, services, operator, self)
        self.gate = Gate(self)
        self.gate.submitted.connect(self._sign_in)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.gate)
        self.stack.addWidget(self.call_screen)
        self.setCentralWidget(self.stack)
        self.stack.setCurrentWidget(self.gate)
        self.gate.title.setText("Opening the cache…")
        self._build_status_bar()
        self._build_menus()
        self._build_shortcuts_panel()
        self.call_screen.saved.connect(lambda _: self.refresh_status())
        self.call_screen.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        worker.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_REFRESH_MS)
        self._session_timer = QTimer(self)
        self._session_timer.timeout.connect(self.check_session)
        self._session_timer.start(SESSION_CHECK_MS)
        self._activity = _Activity(self)
        QApplication.instance().installEventFilter(self._activity)
        self._set_call_actions(False)
        worker.run(lambda cache: (cache.setup_mode, cache.meta("setting.idle_lock_minutes")), self._opened)
        QTimer.singleShot(0, worker.start)

    # sign-in, lock

    def _opened(self, result):
        setup_mode, idle_setting = result
        self.setup_mode = setup_mode
        self.idle_minutes = idle_lock_minutes(idle_setting)
        if setup_mode:
            # no accounts yet (a new or demo workstation): the named operator acts
            self._start_session(self.operator)
        else:
            self.gate.ask_sign_in(None)

    def _sign_in(self, operator_id: str, password: str):
        def sign_in(cache):
            return cache.sign_in(operator_id, password)

        def refused(error):
            self.gate.refused(str(error) if hasattr(error, "args") and error.args else "Sign-in failed.")

        if self.session is not None and self.session.locked:
            if operator_id != self.session.operator:
                return self.gate.refused("Only the operator who locked this console can unlock it.")
            self.worker.run(sign_in, lambda _: self._unlocked(), refused)
        else:
            self.worker.run(sign_in, lambda role: self._start_session(operator_id, role), refused)

    def _start_session(self, operator_id: str, role: str | None = None):
        self.role = role
        self.operator = operator_id
        self.call_screen.operator = operator_id
        self.operator_label.setText(f"Operator: {operator_id}")
        self.session = Session(operator_id, self.idle_minutes, clock=self.clock)
        self.stack.setCurrentWidget(self.call_screen)
        self._set_call_actions(True)
        self.dashboard_action.setEnabled(self.may_supervise())
        self.refresh_status()

    def check_session(self):
        """Lock when the session says so; the call's form stays as it was, hidden."""
        if self.session is None or self.stack.currentWidget() is self.gate:
            return
        why = self.session.check()
        if why:
            self._page_before_lock = self.stack.currentWidget()
            self._set_call_actions(False)
            self.dashboard_action.setEnabled(False)
            self.stack.setCurrentWidget(self.gate)
            self.gate.ask_unlock(self.session.operator, why)

    def _unlocked(self):
        self.session.unlocked()
        self.dashboard_action.setEnabled(self.may_supervise())
        page = getattr(self, "_page_before_lock", self.call_screen)
        self.stack.setCurrentWidget(page)
        self._set_call_actions(page is self.call_screen)

    def note_activity(self):
        if self.session is not None:
            self.session.activity()

    def _set_call_actions(self, enabled: bool):
        for action in self.call_actions:
            action.setEnabled(enabled)

    def _build_status_bar(self):
        bar = self.statusBar()
        self.operator_label = QLabel(f"Operator: {self.operator}")
        self.version_label = QLabel("Register: …")
        self.outbox_label = QLabel("Not yet synced: …")
        self.connection_label = QLabel("Standalone: no hub configured")
        for label, name in ((self.operator_label, "Operator"), (self.version_label, "Register version"),
                            (self.outbox_label, "Calls not yet synced"), (self.connection_label, "Connection")):
            label.setAccessibleName(name)
            bar.addPermanentWidget(label)

    def _build_menus(self):
        call_menu = self.menuBar().addMenu("&Call")
        self.call_actions = []
        for keys, slot in self.call_screen.shortcut_actions():
            action = QAction(self._describe(keys), self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ApplicationShortcut)
            action.triggered.connect(slot)
            call_menu.addAction(action)
            self.addAction(action)
            self.call_actions.append(action)
        view_menu = self.menuBar().addMenu("&View")
        self.high_contrast = QAction("&High contrast", self, checkable=True)
        self.high_contrast.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.high_contrast.toggled.connect(lambda on: apply_theme(on))
        view_menu.addAction(self.high_contrast)
        self.dashboard_action = QAction(self.tr("Supervisor &dashboard"), self, checkable=True)
        self.dashboard_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.dashboard_action.setShortcutContext(Qt.ApplicationShortcut)
        self.dashboard_action.setEnabled(False)
        self.dashboard_action.toggled.connect(lambda on: self.show_supervisor() if on else self.show_call_screen())
        view_menu.addAction(self.dashboard_action)
        self.addAction(self.dashboard_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Shortcuts", self, checkable=True)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        help_menu.addAction(self.shortcuts_action)

    @staticmethod
    def _describe(keys: QKeySequence) -> str:
        text = keys.toString()
        return next((description for shortcut, description in SHORTCUTS if shortcut == text), text)

    def _build_shortcuts_panel(self):
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        for row, (keys, description) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(description))
        self.shortcuts_panel = QDockWidget("Shortcuts", self)
        self.shortcuts_panel.setAccessibleName("Shortcuts panel")
        self.shortcuts_panel.setWidget(table)
        self.addDockWidget(Qt.RightDockWidgetArea, self.shortcuts_panel)
        self.shortcuts_panel.hide()
        self.shortcuts_action.toggled.connect(self.shortcuts_panel.setVisible)
        self.shortcuts_panel.visibilityChanged.connect(self.shortcuts_action.setChecked)

    # the supervisor's dashboard

    def may_supervise(self) -> bool:
        return self.session is not None and (self.setup_mode or roles.role_allows(self.role, "dashboard"))

    def show_supervisor(self):
        """Ctrl+Shift+D: the dashboard in place of the call screen (whose open
        call is kept as it is); only for a supervisor or an admin."""
        if not self.may_supervise() or self.stack.currentWidget() is self.gate:
            self.dashboard_action.setChecked(False)
            self.statusBar().showMessage(self.tr("The supervisor dashboard is for supervisors and admins."), 8000)
            return
        if self.supervisor is None:
            from console.ui.supervisor import SupervisorView

            self.supervisor = SupervisorView(self.worker, lambda: 1 if self.call_screen.call is not None else 0, self)
            self.supervisor.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
            if self._hub_dashboard is not None:
                self.supervisor.set_hub_source(self._hub_dashboard)
            self.stack.addWidget(self.supervisor)
        self._set_call_actions(False)
        self.stack.setCurrentWidget(self.supervisor)
        self.dashboard_action.setChecked(True)

    def show_call_screen(self):
        if self.stack.currentWidget() is self.supervisor:
            self.stack.setCurrentWidget(self.call_screen)
            self._set_call_actions(True)
        self.dashboard_action.setChecked(False)

    def set_dashboard_hub_source(self, fetch):
        """For the sync: fetch(day) returns the hub's figures (GET /v1/dashboard);
        None goes back to the local cache's."""
        self._hub_dashboard = fetch
        if self.supervisor is not None:
            self.supervisor.set_hub_source(fetch)

    def refresh_dashboard(self):
        """For the sync, after each sync: the dashboard reads its figures again if it is open."""
        if self.supervisor is not None and self.supervisor.isVisible():
            self.supervisor.refresh()

    def refresh_status(self):
        def read(cache):
            from console.store.calls import outbox_count

            return cache.register_version, outbox_count(cache.db, "call")

        def show(result):
            version, outbox = result
            self.version_label.setText(f"Register: {version or 'none imported'}")
            self.outbox_label.setText(f"Not yet synced: {outbox} call{'s' if outbox != 1 else ''}")
            if self.call_screen.register_version is None:
                self.call_screen.set_register_version(version)

        self.worker.run(read, show)

    def refuse_damaged_cache(self, error):
        """The cache could not be opened or failed its startup check: nothing
        more is read from or written to it."""
        self.call_screen.setEnabled(False)
        self.call_screen.call_state_label.setText(str(error))
        self._set_call_actions(False)
        self.stack.setCurrentWidget(self.gate)
        self.gate.title.setText(str(error))
        self.gate.title.setWordWrap(True)
        self.gate.setEnabled(False)
        self.statusBar().showMessage(str(error))
        self.damaged = str(error)

    def closeEvent(self, event):
        if self.call_screen.call is not None and self.call_screen.family_name.text():
            self.statusBar().showMessage("A call is in progress: save it (Ctrl+S) before closing.", 8000)
            event.ignore()
            return
        QApplication.instance().removeEventFilter(self._activity)
        self._status_timer.stop()
        if self.supervisor is not None:
            self.supervisor.close_down()
        super().closeEvent(event)


class _Activity(QObject):
    """Any key or mouse input counts as the operator being there."""

    KINDS = (QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.Wheel)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event):
        if event.type() in self.KINDS:
            self.window.note_activity()
        return False
