"""The main window: the call screen, a status bar, menus and the shortcuts panel."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTableWidget, QTableWidgetItem, QHeaderView

from console import __version__
from console.ui.call_screen import SHORTCUTS, CallScreen
from console.ui.theme import apply_theme

STATUS_REFRESH_MS = 5_000


class MainWindow(QMainWindow):
    def __init__(self, worker, scripts, services, operator: str, demo=None):
        super().__init__()
        self.worker = worker
        self.operator = operator
        self.setWindowTitle(f"Helpline Console {__version__}" + (" — DEMO DATA" if demo else ""))
        self.setAccessibleName("Helpline Console")
        self.call_screen = CallScreen(worker, scripts, services, operator, self)
        self.setCentralWidget(self.call_screen)
        self._build_status_bar()
        self._build_menus()
        self._build_shortcuts_panel()
        self.call_screen.saved.connect(lambda _: self.refresh_status())
        self.call_screen.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        worker.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(STATUS_REFRESH_MS)
        self.refresh_status()

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
        for keys, slot in self.call_screen.shortcut_actions():
            action = QAction(self._describe(keys), self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ApplicationShortcut)
            action.triggered.connect(slot)
            call_menu.addAction(action)
            self.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        self.high_contrast = QAction("&High contrast", self, checkable=True)
        self.high_contrast.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.high_contrast.toggled.connect(lambda on: apply_theme(on))
        view_menu.addAction(self.high_contrast)
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
        self.statusBar().showMessage(str(error))
        self.damaged = str(error)

    def closeEvent(self, event):
        if self.call_screen.call is not None and self.call_screen.family_name.text():
            self.statusBar().showMessage("A call is in progress: save it (Ctrl+S) before closing.", 8000)
            event.ignore()
            return
        self._status_timer.stop()
        super().closeEvent(event)
