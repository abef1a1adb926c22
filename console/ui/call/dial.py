"""The call screen's callbacks to dial: the operator's open callbacks, each
number on file masked to its last three digits as missed callers are
listed. Dial records the dial intent (synced to the hub with the number only
as its keyed digest) and hands the number to the operator's softphone as a
`tel:`/`sip:` URI through the desktop (QDesktopServices.openUrl); the call
screen then holds a call for that callback. "They answered" completes the
callback as answered; a check of the caller on that call is then confirmed
by possession only when the callback is attested (the PBX's answered
outbound call from this operator's extension after the intent, fed back by
the hub, or a supervisor's countersign): console.core.attest.callback_attested.
The operator's word alone never is.
"""

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton

from console.ui.call.widgets import named
from console.ui.operations import callbacks

translate = QCoreApplication.translate


class DialPanel:
    """The callbacks-to-dial row and its slots, for CallScreen."""

    def _build_dial(self):
        box = QGroupBox(translate("CallScreen", "Callbacks to dial"))
        row = QHBoxLayout(box)
        self.dial_choice = named(QComboBox(), translate("CallScreen", "Callback and number to dial"),
                                 translate("CallScreen", "Your open callbacks; each number on file shows its "
                                                         "last three digits only"))
        self.dial_button = named(QPushButton(translate("CallScreen", "Dial")), translate("CallScreen", "Dial"),
                                 translate("CallScreen", "Dial through your softphone; the telephone system "
                                                         "attests the call"))
        self.answered_button = named(QPushButton(translate("CallScreen", "They answered")),
                                     translate("CallScreen", "They answered"))
        self.no_answer_button = named(QPushButton(translate("CallScreen", "No answer")),
                                      translate("CallScreen", "No answer"))
        label = QLabel(translate("CallScreen", "C&allback:"))  # Alt+C is the Call menu
        label.setBuddy(self.dial_choice)
        for widget in (label, self.dial_choice, self.dial_button, self.answered_button, self.no_answer_button):
            row.addWidget(widget)
        row.setStretch(1, 1)
        self.dial_box = box
        self.dial_button.clicked.connect(self.dial_selected)
        self.answered_button.clicked.connect(lambda: self.complete_dialled("answered"))
        self.no_answer_button.clicked.connect(lambda: self.complete_dialled("no_answer"))
        self._show_dial_state()
        return box

    def refresh_callbacks(self):
        """Read the operator's open callbacks again (after a write of callbacks, a sync, a sign-in)."""
        def show(rows):
            chosen = self.dial_choice.currentData()
            self.dial_choice.clear()
            for row in rows:
                due = row["due_at"][11:16]
                for index, masked in enumerate(row["numbers"]):
                    label = translate("CallScreen", "Due {due} · number {n}: {masked}").format(
                        due=due, n=index + 1, masked=masked)
                    if row["overdue"]:
                        label += translate("CallScreen", " (overdue)")
                    self.dial_choice.addItem(label, (row["callback_id"], index))
            if chosen is not None and self.dial_choice.findData(chosen) >= 0:
                self.dial_choice.setCurrentIndex(self.dial_choice.findData(chosen))
            self._show_dial_state()

        callbacks.callbacks_to_dial(self, show).run_in_background(key="callbacks-to-dial")

    def dial_selected(self):
        """Record the intent, then hand the URI to the softphone; the call screen holds a call for the callback."""
        chosen = self.dial_choice.currentData()
        if chosen is None:
            return
        callback_id, index = chosen
        if self.call is not None and self.call.callback_id not in (None, callback_id):
            self.status_message.emit(translate("CallScreen", "Save or discard the call on screen before dialling "
                                                             "another callback."))
            return

        def dialled(result):
            if self.call is None:
                self._start_call()
            self.call.callback_id = callback_id
            QDesktopServices.openUrl(QUrl(result["uri"]))
            self._show_dial_state()
            self.sync_wanted.emit()  # the intent to the hub before the PBX's events, if it can
            self.status_message.emit(translate("CallScreen", "Dialling the callback through your softphone."))

        def failed(error):
            self.status_message.emit(str(error))

        callbacks.dial_callback(self, callback_id, index, dialled).failure(failed).run_in_background()

    def complete_dialled(self, outcome: str):
        """Complete the dialled callback of the call on screen with `outcome`."""
        if self.call is None or self.call.callback_id is None or self.call.callback_outcome is not None:
            return
        call = self.call

        def completed(_row):
            call.callback_outcome = outcome
            self._show_dial_state()
            self.sync_wanted.emit()  # the attestation, if the hub has it, before the check
            self.next_prompt.setText(self._what_to_ask())

        def failed(error):
            self.status_message.emit(str(error))

        callbacks.complete_callback(self, call.callback_id, outcome, completed).failure(failed).run_in_background()

    def dialled_callback(self) -> str | None:
        """The callback a check on this call may rest on: dialled here, and completed as answered."""
        call = self.call
        return call.callback_id if call is not None and call.callback_outcome == "answered" else None

    def _show_dial_state(self):
        """Shown only while there is a callback to dial or one dialled on this call."""
        call = self.call
        dialling = call is not None and call.callback_id is not None
        self.dial_box.setVisible(dialling or self.dial_choice.count() > 0)
        self.dial_button.setEnabled(self.dial_choice.count() > 0 and not dialling)
        self.answered_button.setEnabled(dialling and call.callback_outcome is None)
        self.no_answer_button.setEnabled(dialling and call.callback_outcome is None)
