"""The main window: the call screen, a status bar, menus and the shortcuts panel."""

import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton, QApplication, QDockWidget, QGroupBox, QHeaderView, QLabel, QMainWindow, QStackedWidget,
    QTableWidget, QTableWidgetItem, QTabWidget, QWidget,
)

from console import __version__
from console.core import roles
from console.core.session import Session
from console.ui.call.screen import SHORTCUTS, CallScreen
from console.ui.gate import Gate
from console.ui.operations import calls, session
from console.ui.theme import apply_theme

STATUS_REFRESH_MS = 5_000
IDLE_WARNING_SECONDS = 60  # the idle lock is announced this long before, with a way to stay (WCAG 2.2.1)
SESSION_CHECK_MS = 5_000
# the window's own shortcuts, beside the call screen's
WINDOW_SHORTCUTS = (
    ("F5", QT_TRANSLATE_NOOP("MainWindow", "Sync with the hub now")),
    ("Ctrl+L", QT_TRANSLATE_NOOP("MainWindow", "Lock the console (sign in again to unlock)")),
    ("Ctrl+Shift+L", QT_TRANSLATE_NOOP("MainWindow", "Sign out, for the next operator to sign in (shift handover)")),
    ("Ctrl+Shift+W", QT_TRANSLATE_NOOP("MainWindow", "Wallboard: the line's figures full screen (supervisors and "
                                                     "admins); Esc leaves it")),
)


def alt_keys(window: QMainWindow) -> list[tuple[str, str]]:
    """("Alt+X", what it reaches) for the menus and each control the window now shows."""
    texts = [action.text() for action in window.menuBar().actions()]
    for widget in window.centralWidget().findChildren(QWidget):
        if widget.isVisible():
            if isinstance(widget, (QLabel, QAbstractButton)):
                texts.append(widget.text())
            elif isinstance(widget, QGroupBox) and widget.isCheckable():
                texts.append(widget.title())
            elif isinstance(widget, QTabWidget):
                texts.extend(widget.tabText(i) for i in range(widget.count()))
    keys = []
    for text in texts:
        sequence = QKeySequence.mnemonic(text)
        if not sequence.isEmpty():
            keys.append((sequence.toString(), text.replace("&", "")))
    return sorted(keys)


class MainWindow(QMainWindow):
    def __init__(self, worker, scripts, services, operator: str, demo=None, clock=time.monotonic, db_path=None):
        super().__init__()
        self.worker = worker
        self.db_path = db_path
        self.sync = None  # a SyncController once a hub is set and someone is signed in
        self.live = None  # the live channel (console/ui/operations/live.py) of the signed-in operator
        self._hub_password = None
        self.operator = operator
        self.clock = clock
        self._idle_warning = None  # the status bar's warning of the idle lock, while shown
        self.session: Session | None = None
        self.role: str | None = None
        self.setup_mode = False
        self.supervisor = None  # the Supervisor dashboard, built when first opened
        self._hub_dashboard = None
        self._hub_reader = None  # read(path, **params): the hub's GET for the line's figures
        self.wallboard = None
        self.setWindowTitle(self.tr("Helpline Console {version}").format(version=__version__)
                            + (self.tr(" — DEMO DATA") if demo else ""))
        self.setAccessibleName("Helpline Console")
        self.call_screen = CallScreen(worker, scripts, services, operator, self)
        self.gate = Gate(self)
        self.demo = demo
        if demo is not None and getattr(demo, "password", None):
            # only a demo's throwaway accounts are ever shown on screen
            self.gate.show_hint(demo.sign_in_hint())
        self.gate.submitted.connect(self._sign_in)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.gate)
        self.stack.addWidget(self.call_screen)
        self.setCentralWidget(self.stack)
        self.stack.setCurrentWidget(self.gate)
        self.gate.title.setText(self.tr("Opening the cache…"))
        self._build_status_bar()
        self._build_menus()
        self._build_shortcuts_panel()
        worker.operation_did_execute.connect(self._changed)
        self.call_screen.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.call_screen.sync_wanted.connect(lambda: self.sync.sync_now() if self.sync is not None else None)
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
        session.opened(self, self._opened).run_in_background()
        QTimer.singleShot(0, worker.start)

    # sign-in, lock

    def _opened(self, opened: dict):
        self.idle_minutes, self.sync_interval = opened["idle_lock_minutes"], opened["sync_interval_seconds"]
        # the workstation's setting; Ctrl+Shift+H for this session
        self.high_contrast.setChecked(opened["high_contrast"])
        self.setup_mode = setup_mode = opened["setup_mode"]
        self.workstation = opened["workstation"]
        hub_url, register = opened["hub_url"], opened["register_version"]
        if hub_url:
            self._attach_hub(hub_url)
            self.load_hub_content()
        if setup_mode and register is None:
            self._show_setup(hub_url)
        elif setup_mode:
            # no accounts yet (a new or demo workstation): the named operator acts
            self._start_session(self.operator)
        else:
            self.gate.ask_sign_in(self.operator if self.demo is not None else None)

    def _attach_hub(self, hub_url: str):
        if self.db_path is None or self.sync is not None:
            return
        from console.ui.sync_status import SyncController

        self.sync = SyncController(self.db_path, hub_url, self.workstation, self,
                                   interval=getattr(self, "sync_interval", None))
        self.sync.changed.connect(self.connection_label.setText)
        self.sync.synced.connect(self.refresh_status)
        self.sync.synced.connect(self.load_hub_content)
        self.sync.synced.connect(self.refresh_dashboard)
        self.sync.synced.connect(self.load_live_message)
        self.sync.synced.connect(lambda *_: self.call_screen.refresh_callbacks())  # callbacks assigned elsewhere
        self.connection_label.setText(self.tr("Hub: waiting for sign-in"))

    def load_hub_content(self):
        """Guidance scripts and services as the hub last published them, in
        place of the ones shipped with the console (between calls)."""
        def use(content):
            if not content or content.get("version") == getattr(self, "content_version", None):
                return
            from console.core.guidance import content_guidance

            try:
                scripts, services = content_guidance(content)
            except (ValueError, KeyError) as exc:
                self.statusBar().showMessage(self.tr("The hub's guidance version {version} was not used: {problem}")
                                             .format(version=content.get("version"), problem=exc),
                                             15000)
                return
            self.content_version = content.get("version")
            self.call_screen.scripts, self.call_screen.services = scripts, services
            self.call_screen.guidance.set_scripts(scripts)

        session.synced_content(self, use).run_in_background()

    def _show_setup(self, hub_url: str | None):
        """A new workstation: nothing to sign in to yet, so the setup assistant."""
        from console.ui.setup_assistant import SetupAssistant

        self.setup_assistant = SetupAssistant(self.worker, self)
        if hub_url:
            self.setup_assistant.hub_url.setText(hub_url)
        self.setup_assistant.finished.connect(self._set_up)
        self.operator_label.setText(self.tr("Not signed in"))
        self.refresh_status()
        self.stack.addWidget(self.setup_assistant)
        self.stack.setCurrentWidget(self.setup_assistant)

    def _set_up(self, operator_id: str, password: str, hub_url: str, role: str):
        if hub_url:
            self._attach_hub(hub_url)
        self._hub_password = password
        self.setup_mode = False
        self.stack.removeWidget(self.setup_assistant)
        self._start_session(operator_id, role)

    def _sign_in(self, operator_id: str, password: str):
        def refused(error):
            self.gate.refused(str(error) if hasattr(error, "args") and error.args else self.tr("Sign-in failed."))

        if self.session is not None and self.session.locked:
            if operator_id != self.session.operator:
                return self.gate.refused(self.tr("Only the operator who locked this console can unlock it."))
            session.unlock(self, operator_id, password, lambda _: self._unlocked(password)).failure(
                refused).run_in_background()
        else:
            self._hub_password = password
            session.sign_in(self, operator_id, password, lambda role: self._start_session(operator_id, role)).failure(
                refused).run_in_background()

    def _start_session(self, operator_id: str, role: str | None = None):
        self.role = role
        self.operator = operator_id
        self.call_screen.operator = operator_id
        self.operator_label.setText(self.tr("Operator: {operator}").format(operator=operator_id))
        self.session = Session(operator_id, self.idle_minutes, clock=self.clock)
        self.stack.setCurrentWidget(self.call_screen)
        self._set_call_actions(True)
        self.dashboard_action.setEnabled(self.may_supervise())
        self.call_screen.refresh_callbacks()
        self.wallboard_action.setEnabled(self.may_supervise())
        self.refresh_status()
        self.load_live_message()
        if self.sync is not None:
            # the password goes to the hub once, for a token kept in the keystore, and is then dropped
            self.sync.start(operator_id, self._hub_password)
            if self.may_supervise():
                self.set_dashboard_hub_source(self.sync.dashboard_fetcher(operator_id))
                self.set_hub_reader(self.sync.reader(operator_id))
            self.start_live(operator_id)
        self._hub_password = None

    # the live channel: screen pops, the line's hangups, the live message

    def start_live(self, operator_id: str):
        """Hold this operator's live stream open (console/ui/operations/live.py)."""
        from console.sync.device import load_device
        from console.sync.tokens import load_token
        from console.ui.operations.live import LiveFeed, describe, publish_message

        if self.live is not None and self.live.operator == operator_id:
            return
        self.stop_live()
        hub_url, workstation = self.sync.hub_url, self.sync.workstation
        device = load_device(hub_url)
        if device is None:
            return  # not enrolled on the hub: the sync says so, and there is no live channel to open
        self.live = LiveFeed(hub_url, lambda: load_token(hub_url, operator_id, workstation), self, auth=device.stream_auth())
        self.live.operator = operator_id
        self.live.event_arrived.connect(self.live_event)
        self.live.state_changed.connect(lambda state: self.connection_label.setToolTip(describe(state)))
        self.live.start()
        self._message_publisher = lambda text: publish_message(hub_url, load_token(hub_url, operator_id, workstation),
                                                               text)
        if self.supervisor is not None:
            self.supervisor.set_message_publisher(self._message_publisher)

    def stop_live(self):
        if self.live is not None:
            self.live.stop()
            self.live = None

    def live_event(self, event: dict):
        """One checked event of the live channel, on the main thread."""
        if event["type"] == "answer":
            self.call_screen.screen_pop(event)
        elif event["type"] == "hangup":
            self.call_screen.line_hung_up(event)
        elif event["type"] == "message":
            self.call_screen.show_live_message(event)

    def load_live_message(self):
        """The live message as the last sync pulled it: shown if the live channel missed it."""
        def show(message):
            if message:
                self.call_screen.show_live_message(message)

        session.synced_message(self, show).run_in_background()

    def lock_now(self):
        if self.session is not None and self.stack.currentWidget() is not self.gate:
            self.session.locked = "operator"
            self.check_session()

    def sign_out(self):
        """Ctrl+Shift+L: the operator leaves and the next one signs in (a shift handover). An open
        call with anything in it is never left behind: it must be saved or discarded first."""
        if self.session is None or self.setup_mode:
            self.statusBar().showMessage(self.tr("Nobody is signed in: there is no one to sign out."), 8000)
            return
        if self.stack.currentWidget() is self.gate:
            self.statusBar().showMessage(self.tr("Unlock the console first; then sign out."), 8000)
            return
        if self.call_screen.has_content():
            self.show_call_screen()
            self.statusBar().showMessage(self.tr(
                "A call is open: save it (Ctrl+S), or discard it with a reason (Ctrl+N), before signing out."),
                15000)
            return
        session.sign_out(self, lambda _: self._signed_out()).run_in_background()

    def _signed_out(self):
        leaving = self.session.operator
        if self.sync is not None:
            self.sync.stop()
            self.connection_label.setText(self.tr("Hub: waiting for sign-in"))
        if self.supervisor is not None:  # the next operator may not be a supervisor: nothing of it stays
            self.stack.setCurrentWidget(self.call_screen)
            self.supervisor.close_down()
            self.stack.removeWidget(self.supervisor)
            self.supervisor.deleteLater()
            self.supervisor = None
        self.dashboard_action.setChecked(False)
        self.dashboard_action.setEnabled(False)
        self._hub_dashboard = None  # it fetched with the leaving operator's token
        self.session, self.role = None, None
        self.call_screen.reset_form()
        self._set_call_actions(False)
        self.operator_label.setText(self.tr("Not signed in"))
        self.stack.setCurrentWidget(self.gate)
        self.gate.ask_sign_in(None)
        self.gate.message.setText(self.tr("{operator} signed out. The next operator signs in here.").format(
            operator=leaving))

    def sync_now(self):
        if self.sync is None:
            self.statusBar().showMessage(self.tr("No hub is set for this workstation: it works standalone."), 8000)
        else:
            self.sync.sync_now()

    def check_session(self):
        """Lock when the session says so; the call's form stays as it was, hidden."""
        if self.session is None or self.stack.currentWidget() is self.gate:
            return
        why = self.session.check()
        left = self.session.idle_minutes * 60 - (self.clock() - self.session.last_activity)
        if not why and left <= IDLE_WARNING_SECONDS:
            first = self._idle_warning is None
            self._idle_warning = self.tr(
                "The console locks in {seconds} s for inactivity: press any key to stay signed in.").format(
                seconds=max(0, round(left)))
            self.statusBar().showMessage(self._idle_warning)
            if first:  # a screen reader says it at once, as it appears (WCAG 2.2.1), not at every tick
                announcement = QAccessibleAnnouncementEvent(self.statusBar(), self._idle_warning)
                announcement.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
                QAccessible.updateAccessibility(announcement)
        elif self._idle_warning:
            if self.statusBar().currentMessage() == self._idle_warning:
                self.statusBar().clearMessage()  # the operator is back
            self._idle_warning = None
        if why:
            self._page_before_lock = self.stack.currentWidget()
            if self.sync is not None:
                self.sync.sign_out()  # a locked console holds no hub token
            self._set_call_actions(False)
            self.dashboard_action.setEnabled(False)
            self.wallboard_action.setEnabled(False)
            if self.wallboard is not None:
                self.wallboard.close()  # a locked console holds no hub token: its figures would go stale
            self.stack.setCurrentWidget(self.gate)
            self.gate.ask_unlock(self.session.operator, why)

    def _unlocked(self, password=None):
        self.session.unlocked()
        if self.sync is not None and password:
            self.sync.start(self.session.operator, password)  # a hub sign-in that lapsed resumes
        self.dashboard_action.setEnabled(self.may_supervise())
        self.wallboard_action.setEnabled(self.may_supervise())
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
        self.operator_label = QLabel(self.tr("Not signed in"))  # no name before someone signs in
        self.version_label = QLabel(self.tr("Register: …"))
        self.outbox_label = QLabel(self.tr("Not yet synced: …"))
        self.connection_label = QLabel(self.tr("Standalone: no hub"))
        self.outbox_label.hide()  # shown once a hub is set: a standalone workstation has nothing to sync
        for label, name in ((self.operator_label, "Operator"), (self.version_label, "Register version"),
                            (self.outbox_label, "Calls not yet synced"), (self.connection_label, "Connection")):
            label.setAccessibleName(name)
            bar.addPermanentWidget(label)

    def _build_menus(self):
        call_menu = self.menuBar().addMenu(self.tr("&Call"))
        self.call_actions = []
        for keys, slot in self.call_screen.shortcut_actions():
            action = QAction(self._describe(keys), self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ApplicationShortcut)
            action.triggered.connect(slot)
            call_menu.addAction(action)
            self.addAction(action)
            self.call_actions.append(action)
        view_menu = self.menuBar().addMenu(self.tr("&View"))
        self.high_contrast = QAction(self.tr("&High contrast"), self, checkable=True)
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
        self.wallboard_action = QAction(self.tr("&Wallboard"), self)
        self.wallboard_action.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.wallboard_action.setEnabled(False)
        self.wallboard_action.triggered.connect(self.show_wallboard)
        view_menu.addAction(self.wallboard_action)
        hub_menu = self.menuBar().addMenu(self.tr("Session and h&ub"))
        self.sync_action = QAction(self.tr("&Sync now"), self)
        self.sync_action.setShortcut(QKeySequence("F5"))
        self.sync_action.triggered.connect(self.sync_now)
        hub_menu.addAction(self.sync_action)
        self.lock_action = QAction(self.tr("&Lock the console"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self.lock_now)
        hub_menu.addAction(self.lock_action)
        self.sign_out_action = QAction(self.tr("Sign &out (shift handover)"), self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.triggered.connect(self.sign_out)
        hub_menu.addAction(self.sign_out_action)
        for action in (self.sync_action, self.lock_action, self.sign_out_action):
            self.addAction(action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.shortcuts_action = QAction(self.tr("&Shortcuts"), self, checkable=True)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        help_menu.addAction(self.shortcuts_action)

    @staticmethod
    def _describe(keys: QKeySequence) -> str:
        text = keys.toString()
        return next((description for shortcut, description in SHORTCUTS if shortcut == text), text)

    def _build_shortcuts_panel(self):
        shortcuts = ([(keys, QCoreApplication.translate("CallScreen", text)) for keys, text in SHORTCUTS]
                     + [(keys, self.tr(text)) for keys, text in WINDOW_SHORTCUTS])
        table = QTableWidget(len(shortcuts), 2)
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Does")])
        table.verticalHeader().hide()
        # every row read whole: the keys on one line, what they do wrapped to the rest of the panel
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        table.setWordWrap(True)
        table.setMinimumWidth(table.fontMetrics().averageCharWidth() * 72)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        self._shortcut_rows = shortcuts
        self.shortcuts_panel = QDockWidget(self.tr("Shortcuts"), self)
        self.shortcuts_panel.setAccessibleName("Shortcuts panel")
        self.shortcuts_panel.setWidget(table)
        self.addDockWidget(Qt.RightDockWidgetArea, self.shortcuts_panel)
        self.shortcuts_panel.hide()
        self.shortcuts_action.toggled.connect(self.shortcuts_panel.setVisible)
        self.shortcuts_action.toggled.connect(lambda on: on and self._fill_shortcuts())
        self.shortcuts_panel.visibilityChanged.connect(self.shortcuts_action.setChecked)

    def _fill_shortcuts(self):
        """F1: every key, including the Alt+letter of each field and button now shown."""
        rows = list(self._shortcut_rows)
        seen = {keys for keys, _ in rows}
        for keys, text in alt_keys(self):
            if keys not in seen:
                seen.add(keys)
                rows.append((keys, text))
        table = self.shortcuts_panel.widget()
        table.setRowCount(len(rows))
        for row, (keys, description) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(description))

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
            from console.ui.dashboard.view import SupervisorView

            self.supervisor = SupervisorView(self.worker, lambda: 1 if self.call_screen.call is not None else 0, self)
            self.supervisor.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
            if self._hub_dashboard is not None:
                self.supervisor.set_hub_source(self._hub_dashboard)
            if self._hub_reader is not None:
                self.supervisor.line.set_hub_reader(self._hub_reader)
            self.supervisor.set_message_publisher(getattr(self, "_message_publisher", None))
            self.stack.addWidget(self.supervisor)
        self._set_call_actions(False)
        self.stack.setCurrentWidget(self.supervisor)
        self.dashboard_action.setChecked(True)

    def show_call_screen(self):
        if self.stack.currentWidget() is self.supervisor:
            self.stack.setCurrentWidget(self.call_screen)
            self._set_call_actions(True)
        self.dashboard_action.setChecked(False)

    def set_hub_reader(self, read):
        """For the sync: read(path, **params), the signed hub client's GET, for the line's figures."""
        self._hub_reader = read
        if self.supervisor is not None:
            self.supervisor.line.set_hub_reader(read)

    def show_wallboard(self):
        """View → Wallboard: the line's figures full screen (supervisors and admins); Escape leaves it."""
        if not self.may_supervise() or self.stack.currentWidget() is self.gate:
            self.statusBar().showMessage(self.tr("The wallboard is for supervisors and admins."), 8000)
            return
        from console.ui.operations import line
        from console.ui.wallboard import Wallboard

        def open_board(settings):
            if self.wallboard is not None:
                self.wallboard.close_down()
            role = "admin" if self.setup_mode else self.role
            self.wallboard = Wallboard(self.worker, self._hub_reader, role, settings)
            self.wallboard.show_full_screen()

        line.line_settings(self, open_board).run_in_background()

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

    def _changed(self, changes, _initiator):
        """After a write: the status bar's figures again, if the write concerned them."""
        if changes.any_of("calls", "register"):
            self.refresh_status()
        if changes.any_of("callbacks"):
            self.call_screen.refresh_callbacks()

    def refresh_status(self):
        def show(result):
            version, outbox = result
            self.version_label.setText(self.tr("Register: {version}").format(version=version or self.tr("none imported")))
            # a standalone workstation has no hub to sync with: its connection label says so, and no count waits
            self.outbox_label.setVisible(self.sync is not None)
            self.outbox_label.setText(self.tr("Not yet synced: 1 call") if outbox == 1 else
                                      self.tr("Not yet synced: {count} calls").format(count=outbox))
            if self.call_screen.register_version is None:
                self.call_screen.set_register_version(version)

        calls.status(self, show).run_in_background(key="status")

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
        if self.call_screen.has_content():  # the rule Ctrl+N and sign-out apply: a call is never dropped silently
            self.statusBar().showMessage(self.tr(
                "A call is in progress: save it (Ctrl+S), or discard it with a reason (Ctrl+N), before closing."),
                8000)
            event.ignore()
            return
        QApplication.instance().removeEventFilter(self._activity)
        self._status_timer.stop()
        if self.sync is not None:
            self.sync.stop()
            self.sync.sign_out()
        self.stop_live()
        if self.supervisor is not None:
            self.supervisor.close_down()
        if self.wallboard is not None:
            self.wallboard.close_down()
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
