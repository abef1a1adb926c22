"""The call screen: one keyboard-first flow from greeting to saved log.

Ctrl+N starts a call and its clock; the caller's details are typed as said;
Enter checks them in the background; the guidance due appears in order and
Space ticks each as delivered; Ctrl+S saves the record and clears the form.
Nothing on this screen ever says why a caller was not verified.

The screen is composed of its panels, each in a file of its own: the caller
form, the result, the guidance and the wrap-up. Every text a person reads
goes through Qt's translation in one context, "CallScreen", whichever panel
shows it; constants are marked with QT_TRANSLATE_NOOP and translated where
they are shown.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from console.core.timeutil import now
from console.ui.call.caller_form import CallerForm
from console.ui.call.guidance import GuidancePanel
from console.ui.call.result import ResultPanel
from console.ui.call.widgets import named
from console.ui.call.wrap_up import WrapUp


SHORTCUTS = (
    ("Ctrl+N", QT_TRANSLATE_NOOP("CallScreen", "New call (starts the handle-time clock)")),
    ("Enter", QT_TRANSLATE_NOOP("CallScreen", "Check the caller's details")),
    ("Space", QT_TRANSLATE_NOOP("CallScreen", "Tick the selected guidance script as delivered and go to the next")),
    ("Ctrl+G", QT_TRANSLATE_NOOP("CallScreen", "Go to the guidance list")),
    ("Alt+D / Alt+X / Alt+M / Alt+P",
     QT_TRANSLATE_NOOP("CallScreen", "Flags: distressed, extortion contact, media, complaint")),
    ("Ctrl+B", QT_TRANSLATE_NOOP("CallScreen", "Book a callback to the numbers on file")),
    ("Ctrl+E", QT_TRANSLATE_NOOP("CallScreen", "Escalate this call")),
    ("Ctrl+R", QT_TRANSLATE_NOOP("CallScreen", "Scam report: open its fields")),
    ("Ctrl+W", QT_TRANSLATE_NOOP("CallScreen", "Go to the wrap-up (outcome, topics, notes)")),
    ("Ctrl+S", QT_TRANSLATE_NOOP("CallScreen", "Save the call and clear the form")),
    ("Ctrl+Shift+H", QT_TRANSLATE_NOOP("CallScreen", "High-contrast theme on or off")),
    ("Ctrl+Shift+D", QT_TRANSLATE_NOOP("CallScreen", "Supervisor dashboard on or off (supervisors and admins)")),
    ("F1", QT_TRANSLATE_NOOP("CallScreen", "This list of shortcuts")),
)


@dataclass
class CallState:
    """What the current call has gathered so far."""

    started_at: datetime
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    verification: dict | None = None  # the check's result as shown (no reason)
    region: str | None = None


class CallScreen(CallerForm, ResultPanel, GuidancePanel, WrapUp, QWidget):
    """The whole call flow on one screen."""

    status_message = Signal(str)

    def __init__(self, worker, scripts, services, operator: str, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.scripts = scripts
        self.services = services
        self.operator = operator
        self.register_version = None
        self.call: CallState | None = None
        self._build()
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._clear_form()

    def _build(self):
        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        self.clock_label = named(QLabel(), self.tr("Handle time"))
        self.register_label = named(QLabel(), self.tr("Register version"))
        self.call_state_label = named(QLabel(), self.tr("Call state"))
        header.addWidget(self.call_state_label)
        header.addStretch(1)
        header.addWidget(self.clock_label)
        header.addSpacing(24)
        header.addWidget(self.register_label)
        outer.addLayout(header)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self._build_caller())
        splitter.addWidget(self._build_result())
        splitter.addWidget(self._build_guidance())
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter, 4)
        outer.addWidget(self._build_wrap_up(), 1)

    def set_register_version(self, version: str | None):
        self.register_version = version
        self.register_label.setText(self.tr("Register as of {version}").format(version=version) if version
                                    else self.tr("No register imported"))

    def _tick(self):
        if self.call is None:
            self.clock_label.setText(self.tr("No call in progress"))
            return
        seconds = int((now() - self.call.started_at).total_seconds())
        self.clock_label.setText(self.tr("Call time {time}").format(time=f"{seconds // 60:02d}:{seconds % 60:02d}"))

    def new_call(self):
        """Ctrl+N: clear the form and start the clock."""
        self._clear_form()
        self.call = CallState(started_at=now())
        self.call_state_label.setText(self.tr("Call in progress"))
        self._tick()
        self._refresh_guidance()
        self.family_name.setFocus()

    def _clear_form(self):
        self.call = None
        for edit in (self.family_name, self.given_name, self.dob, self.code, self.nhi, self.phone, self.email,
                     self.scam_contact, self.scam_claimed, self.scam_asked, self.skip_reason):
            edit.clear()
        self.caller_type.setCurrentIndex(0)
        self.relationship.setCurrentIndex(0)
        for box in self.flag_boxes.values():
            box.setChecked(False)
        for row in range(self.topics.count()):
            self.topics.item(row).setCheckState(Qt.Unchecked)
        self.outcome.setCurrentIndex(0)
        self.escalate.setChecked(False)
        self.callback_wanted.setChecked(False)
        self.callback_due.setDateTime(QDateTime.currentDateTime().addSecs(3600))
        self.notes.clear()
        self.scam.setChecked(False)
        self._scam_toggled(False)
        self.save_message.clear()
        self._show_skip_reason(False)
        self._show_result(None)
        self.guidance.clear()
        self.script_text.clear()
        self.call_state_label.setText(self.tr("Ready: Ctrl+N starts a call"))
        self._caller_type_changed()
        self._details_changed()
        self._tick()

    def shortcut_actions(self):
        """(keys, description, slot) for the window to bind."""
        return [
            (QKeySequence("Ctrl+N"), self.new_call),
            (QKeySequence("Ctrl+S"), self.save_call),
            (QKeySequence("Ctrl+B"), self.book_callback),
            (QKeySequence("Ctrl+G"), self.guidance_view.setFocus),
            (QKeySequence("Ctrl+W"), self.outcome.setFocus),
            (QKeySequence("Ctrl+E"), lambda: self.escalate.setChecked(not self.escalate.isChecked())),
            (QKeySequence("Ctrl+R"), lambda: self.scam.setChecked(not self.scam.isChecked())),
        ]

