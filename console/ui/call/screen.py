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
from datetime import datetime, timedelta
from time import monotonic

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget,
)

from console.core.timeutil import now
from console.ui.call.caller_form import CallerForm
from console.ui.call.dial import DialPanel
from console.ui.call.guidance import GuidancePanel
from console.ui.call.line import LinePanel
from console.ui.call.result import ResultPanel
from console.ui.call.widgets import named
from console.ui.call.wrap_up import WrapUp
from console.ui.operations import calls


SHORTCUTS = (
    ("Ctrl+N", QT_TRANSLATE_NOOP("CallScreen", "New call (starts the handle-time clock); a call with anything "
                                               "in it is first saved, kept or discarded with a reason")),
    ("Enter", QT_TRANSLATE_NOOP("CallScreen", "Check the caller's details")),
    ("Space", QT_TRANSLATE_NOOP("CallScreen", "Tick the selected guidance script as delivered and go to the next")),
    ("Ctrl+G", QT_TRANSLATE_NOOP("CallScreen", "Go to the guidance list")),
    ("Alt+D / Alt+X / Alt+M / Alt+I",
     QT_TRANSLATE_NOOP("CallScreen", "Flags: distressed, extortion contact (opens its scam report; Enter moves "
                                     "through it and back to the guidance), media, complaint")),
    ("Ctrl+B", QT_TRANSLATE_NOOP("CallScreen", "Book a callback to the numbers on file: shows the time "
                                               "(helpline time), Ctrl+B or Enter again books it, Esc books none")),
    ("Ctrl+E", QT_TRANSLATE_NOOP("CallScreen", "Escalate this call")),
    ("Ctrl+W", QT_TRANSLATE_NOOP("CallScreen", "Go to the wrap-up (outcome, topics, notes)")),
    ("Ctrl+T", QT_TRANSLATE_NOOP("CallScreen", "Go to the notes")),
    ("Ctrl+S", QT_TRANSLATE_NOOP("CallScreen", "Save the call and clear the form")),
    ("Ctrl+Shift+H", QT_TRANSLATE_NOOP("CallScreen", "High-contrast theme on or off")),
    ("Ctrl+Shift+D", QT_TRANSLATE_NOOP("CallScreen", "Supervisor dashboard on or off (supervisors and admins)")),
    ("F1", QT_TRANSLATE_NOOP("CallScreen", "This list of shortcuts")),
    ("Tab / Shift+Tab", QT_TRANSLATE_NOOP("CallScreen", "Next / previous field; Tab leaves any list or table")),
    ("Page Down / Page Up", QT_TRANSLATE_NOOP("CallScreen", "Scroll the script being read without leaving the list")),
    ("Left / Right", QT_TRANSLATE_NOOP("CallScreen", "In the callback time: move between its parts")),
    ("Esc", QT_TRANSLATE_NOOP("CallScreen", "Keep the call, when Ctrl+N asks what to do with it")),
)


@dataclass
class CallState:
    """What the current call has gathered so far."""

    started_at: datetime  # the wall clock's time when the call started: the call's stamp
    clock_started: float = field(default_factory=monotonic)  # the handle time's start, on a clock that never steps
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    verification: dict | None = None  # the check's result as shown (no reason)
    region: str | None = None
    # what the telephone line said of it (console/ui/call/line.py): none of it for a call started with Ctrl+N
    pbx_call_id: str | None = None
    queue: str | None = None
    wait_seconds: float | None = None
    calling_from: str | None = None  # shown, never a verification factor
    talk_seconds: float | None = None
    hangup_cause: str | None = None
    hung_up_by: str | None = None
    # a callback dialled from this screen (console/ui/call/dial.py), and how the operator completed it
    callback_id: str | None = None
    callback_outcome: str | None = None


class CallScreen(CallerForm, ResultPanel, GuidancePanel, WrapUp, LinePanel, DialPanel, QWidget):
    """The whole call flow on one screen."""

    status_message = Signal(str)
    sync_wanted = Signal()  # a dial intent to push, or an attestation to pull, now rather than at the next sync

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
        for label in self._build_line():
            outer.addWidget(label)
        outer.addWidget(self._build_leave_bar())
        outer.addWidget(self._build_dial())

        splitter = QSplitter(Qt.Horizontal)
        # the caller's details scroll on a small screen, so the window fits 1280×720
        caller = QScrollArea()
        caller.setWidget(self._build_caller())
        caller.setWidgetResizable(True)
        caller.setFrameShape(QFrame.NoFrame)
        caller.setFocusPolicy(Qt.NoFocus)  # its fields are the stops (it scrolls to each): no unnamed stop between
        splitter.addWidget(caller)
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
        seconds = int(self.handle_time().total_seconds())
        self.clock_label.setText(self.tr("Call time {time}").format(time=f"{seconds // 60:02d}:{seconds % 60:02d}"))

    def _build_leave_bar(self):
        """Asked when Ctrl+N would end a call with anything in it: save it, keep it, or discard it
        with a reason (audited). A call is never dropped silently."""
        self.leave_bar = QFrame()
        self.leave_bar.setProperty("role", "leave")
        layout = QHBoxLayout(self.leave_bar)
        self.leave_message = named(QLabel(), self.tr("Unsaved call"))
        self.leave_message.setWordWrap(True)
        self.leave_reason = named(QLineEdit(), self.tr("Reason for discarding this call"))
        self.leave_reason.setPlaceholderText(self.tr("Why discard it? (required)"))
        self.leave_reason.returnPressed.connect(self.discard_call)
        self.save_next_button = named(QPushButton(self.tr("Save it and start the next")),
                                      self.tr("Save this call and start the next"))
        self.keep_button = named(QPushButton(self.tr("Keep this call (Esc)")), self.tr("Keep this call"))
        self.discard_button = named(QPushButton(self.tr("Discard it (Enter)")), self.tr("Discard this call"))
        self.save_next_button.clicked.connect(lambda: self.save_call(then_new_call=True))
        self.keep_button.clicked.connect(self.keep_call)
        self.discard_button.clicked.connect(self.discard_call)
        layout.addWidget(self.leave_message, 2)
        layout.addWidget(self.leave_reason, 2)
        for button in (self.discard_button, self.save_next_button, self.keep_button):
            layout.addWidget(button)
        self.leave_bar.hide()
        return self.leave_bar

    def showEvent(self, event):
        # Enter on a focused button presses it, as Space does
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(True)
        super().showEvent(event)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Escape and self.leave_bar.isVisible():
            self.keep_call()
            return
        super().keyPressEvent(event)

    def has_content(self) -> bool:
        """Whether the call holds anything an operator typed, ticked or learned."""
        if self.call is None:
            return False
        if self.call.pbx_call_id is not None:
            return True  # a call the line put through is never dropped silently
        edits = (self.family_name, self.given_name, self.dob, self.code, self.nhi, self.phone, self.email,
                 self.scam_contact, self.scam_claimed, self.scam_asked, self.skip_reason)
        return (any(e.text().strip() for e in edits) or bool(self.notes.toPlainText().strip())
                or self.call.verification is not None or bool(self.flags()) or bool(self.guidance.delivered)
                or bool(self._topics()) or self.escalate.isChecked() or self.outcome.currentIndex() != 0
                or self.callback_wanted.isChecked() or self.callback_due.isVisible()  # a time being agreed
                or self.caller_type.currentIndex() != 0)

    def keep_call(self):
        self.leave_bar.hide()
        self.leave_reason.setText("")
        self.family_name.setFocus()

    def discard_call(self):
        """Discard the call only with a reason, which the audit trail keeps."""
        reason = self.leave_reason.text().strip()
        if len(reason) < 3:
            self.leave_message.setText(self.tr("Say why this call is discarded (a reason is required), "
                                               "or save it, or keep it (Esc)."))
            self.leave_reason.setFocus()
            return
        call_id = self.call.call_id

        def discarded(_):
            self.status_message.emit(self.tr("Call {call} discarded; the reason is in the audit trail.").format(
                call=call_id[:8]))
            self._start_call()

        def failed(error):
            self.leave_message.setText(self.tr("The call could not be discarded ({error}); it is kept.").format(
                error=type(error).__name__))

        calls.discard_call(self, call_id, reason, discarded).failure(failed).run_in_background()

    def handle_time(self) -> timedelta:
        """How long the call has lasted, on the monotonic clock: a wall clock stepped back or
        forward (a time sync) changes neither the handle time nor whether the call can be saved."""
        return timedelta(seconds=max(0.0, monotonic() - self.call.clock_started))

    def ended_at(self) -> datetime:
        return self.call.started_at + self.handle_time()

    def new_call(self):
        """Ctrl+N: start the next call and its clock. A call with anything in it is first saved,
        kept, or discarded with a reason: it is never thrown away silently."""
        if self.has_content():
            self.leave_message.setText(self.tr(
                "This call is not saved. Save it, keep it (Esc), or type why it is discarded and press Enter."))
            self.leave_bar.show()
            self.leave_reason.setFocus()
            return
        self._start_call()

    def _start_call(self):
        self._clear_form()
        self.call = CallState(started_at=now(), clock_started=monotonic())
        self.call_state_label.setText(self.tr("Call in progress"))
        self._tick()
        self._refresh_guidance()
        self.family_name.setFocus()

    def _clear_form(self):
        """Empty every field without an undoable edit: nothing of one call is reachable from the next
        (QLineEdit.clear() can be undone; setText() drops the undo history)."""
        self.call = None
        self._clear_line()
        self.leave_bar.hide()
        self.leave_reason.setText("")
        for edit in (self.family_name, self.given_name, self.dob, self.code, self.nhi, self.phone, self.email,
                     self.scam_contact, self.scam_claimed, self.scam_asked, self.skip_reason):
            edit.setText("")
        self.caller_type.setCurrentIndex(0)
        self.relationship.setCurrentIndex(0)
        for box in self.flag_boxes.values():
            box.setChecked(False)
        for row in range(self.topics.count()):
            self.topics.item(row).setCheckState(Qt.Unchecked)
        self.topics.setCurrentRow(0)  # Space on the topics starts at the top again, not on the last call's row
        self.scam_channel.setCurrentIndex(0)
        self.outcome.setCurrentIndex(0)
        self.escalate.setChecked(False)
        self._outcome_before_escalating = None
        self.callback_wanted.setChecked(False)
        self._reset_callback_time()
        self.notes.setPlainText("")
        self.save_message.clear()
        self._show_skip_reason(False)
        self._show_result(None)
        self.guidance.clear()
        self.script_text.clear()
        self.call_state_label.setText(self.tr("Ready: Ctrl+N starts a call"))
        self._show_dial_state()
        self._caller_type_changed()
        self._details_changed()
        self._tick()

    def reset_form(self):
        """No call open and an empty form, as between calls (after a sign-out)."""
        self._clear_form()

    def shortcut_actions(self):
        """(keys, description, slot) for the window to bind."""
        return [
            (QKeySequence("Ctrl+N"), self.new_call),
            (QKeySequence("Ctrl+S"), self.save_call),
            (QKeySequence("Ctrl+B"), self.book_callback),
            (QKeySequence("Ctrl+G"), self.guidance_view.setFocus),
            (QKeySequence("Ctrl+W"), self.outcome.setFocus),
            (QKeySequence("Ctrl+T"), self.notes.setFocus),
            (QKeySequence("Ctrl+E"), lambda: self.escalate.setChecked(not self.escalate.isChecked())),
        ]

