"""The call screen's wrap-up: outcome, topics, notes, a callback, and saving the call (with the scam report
the caller form's extortion flag opened)."""

from datetime import timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, QDateTime, Qt, QTime, QTimeZone
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDateTimeEdit, QGridLayout, QGroupBox, QLabel, QLineEdit,
    QListWidgetItem, QPlainTextEdit, QPushButton, QSizePolicy,
)

from console.core.calls import NOTES_MAX, OUTCOMES, CallRecordInvalid, validate_call_record
from console.core.timeutil import HELPLINE_ZONE, now
from console.ui.call.widgets import SpaceTicks, WholeList, named
from console.ui.operations import callbacks, calls

translate = QCoreApplication.translate  # the call screen's words keep its context, "CallScreen"

TOPICS = (("am-i-affected", QT_TRANSLATE_NOOP("CallScreen", "Am I affected?")),
          ("which-files", QT_TRANSLATE_NOOP("CallScreen", "Which files")),
          ("scam-contact", QT_TRANSLATE_NOOP("CallScreen", "Scam contact")),
          ("passwords", QT_TRANSLATE_NOOP("CallScreen", "Passwords / 2FA")),
          ("identity", QT_TRANSLATE_NOOP("CallScreen", "Identity protection")),
          ("sensitive", QT_TRANSLATE_NOOP("CallScreen", "Sensitive records")),
          ("complaint", QT_TRANSLATE_NOOP("CallScreen", "Complaint")),
          ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))

SKIP_REASON_MIN = 5  # a reason for scripts not delivered is words, not a keystroke to get past the question

# the topic a delivered script covers, ticked for the operator (who can untick it)
SCRIPT_TOPICS = {"status-affected": "am-i-affected", "status-not-affected": "am-i-affected",
                 "password-2fa": "passwords", "identity-protection": "identity", "sensitive-support": "sensitive",
                 "extortion": "scam-contact"}

# the words for core.calls' OUTCOMES
OUTCOME_WORDS = {"resolved": QT_TRANSLATE_NOOP("CallScreen", "Resolved"),
                 "callback": QT_TRANSLATE_NOOP("CallScreen", "Callback"),
                 "escalated": QT_TRANSLATE_NOOP("CallScreen", "Escalated"),
                 "referred": QT_TRANSLATE_NOOP("CallScreen", "Referred"),
                 "abandoned": QT_TRANSLATE_NOOP("CallScreen", "Abandoned")}

class OneStopDateTime(QDateTimeEdit):
    """A date and time that Tab leaves in one stop (its parts are reached with the arrow keys),
    so a note is never typed into a time's parts by accident."""

    def focusNextPrevChild(self, next_):
        return QAbstractSpinBox.focusNextPrevChild(self, next_)


class WrapUp:
    """The wrap-up panel, mixed into CallScreen: it works on that view's state."""

    def _build_wrap_up(self):
        box = QGroupBox(translate("CallScreen", "Wrap-up"))
        grid = QGridLayout(box)
        self.topics = named(WholeList(), translate("CallScreen", "Topics discussed"))
        for value, text in TOPICS:
            item = QListWidgetItem(translate("CallScreen", text))
            item.setData(Qt.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.topics.addItem(item)
        self.topics.installEventFilter(SpaceTicks(self, self.topics))
        self.outcome = named(QComboBox(), translate("CallScreen", "Outcome"))
        for value in OUTCOMES:
            self.outcome.addItem(translate("CallScreen", OUTCOME_WORDS[value]), value)
        self.escalate = named(QCheckBox(translate("CallScreen", "&Escalate to a supervisor")),
                              translate("CallScreen", "Escalate"))
        self.escalate.toggled.connect(self._escalate_toggled)
        self.callback_wanted = named(QCheckBox(translate("CallScreen", "Callback booked")),
                                     translate("CallScreen", "Callback booked"))
        self.callback_wanted.setEnabled(False)
        self.callback_due = named(OneStopDateTime(), translate("CallScreen", "Callback due"), translate(
            "CallScreen", "Helpline time (New Zealand). Left and Right move between its parts; Ctrl+B or Enter books"))
        self.callback_due.setCalendarPopup(True)
        # a wall clock on the helpline's time, held as UTC so that the workstation's own zone never moves
        # it (a time in that zone's daylight-saving gap was shifted by an hour)
        self.callback_due.setTimeZone(QTimeZone(QTimeZone.UTC))
        self.callback_due.installEventFilter(self)
        self.callback_due.hide()  # shown only while a callback is being booked
        self.callback_due.setDisplayFormat(translate("CallScreen", "d MMM yyyy h:mm ap"))
        self.notes = named(QPlainTextEdit(), translate("CallScreen", "Notes"),
                           translate("CallScreen", "Up to {limit} characters; never copy in record contents").format(
                               limit=f"{NOTES_MAX:,}"))
        self.notes.setTabChangesFocus(True)
        self.notes_count = named(QLabel(), translate("CallScreen", "Notes length"))
        self.notes.textChanged.connect(self._notes_changed)
        self.skip_reason = named(QLineEdit(), translate("CallScreen", "Reason scripts were not delivered"))
        self.skip_reason_label = QLabel()
        self.skip_reason_label.setWordWrap(True)
        self.save_message = named(QLabel(), translate("CallScreen", "Save status"))
        self.save_message.setWordWrap(True)
        self.save_button = named(QPushButton(translate("CallScreen", "&Save call")),
                                 translate("CallScreen", "Save call"),
                                 translate("CallScreen", "Save the call record (Ctrl+S)"))
        self.save_button.clicked.connect(self.save_call)
        for column, (text, field) in enumerate(((translate("CallScreen", "Topics"), self.topics),
                                                (translate("CallScreen", "Outcome"), self.outcome),
                                                (translate("CallScreen", "Notes"), self.notes))):
            label = QLabel(text)
            label.setBuddy(field)  # a screen reader says which field it labels
            grid.addWidget(label, 0, column)
        grid.addWidget(self.topics, 1, 0, 4, 1)
        grid.addWidget(self.outcome, 1, 1)
        grid.addWidget(self.escalate, 2, 1)
        grid.addWidget(self.callback_wanted, 3, 1)
        grid.addWidget(self.callback_due, 4, 1)
        grid.addWidget(self.notes, 1, 2, 3, 1)
        grid.addWidget(self.notes_count, 4, 2)
        grid.addWidget(self.skip_reason_label, 5, 0, 1, 2)
        grid.addWidget(self.skip_reason, 5, 2)
        grid.addWidget(self.save_button, 5, 3)
        grid.addWidget(self.save_message, 6, 0, 1, 4)
        grid.setColumnStretch(2, 2)
        self.skip_reason.returnPressed.connect(self.save_call)
        box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
        return box

    def eventFilter(self, obj, event):
        if obj is getattr(self, "callback_due", None) and event.type() == event.Type.KeyPress:
            if event.key() in (Qt.Key_Return, Qt.Key_Enter):
                self.book_callback()
                return True
            if event.key() == Qt.Key_Escape and not self.callback_wanted.isChecked():
                # no callback after all: the time goes, and with it its stop in the Tab order
                self.callback_due.hide()
                self.guidance_view.setFocus()
                self.status_message.emit(translate("CallScreen", "No callback booked."))
                return True
        return super().eventFilter(obj, event)

    def _escalate_toggled(self, on: bool):
        """Escalating sets the outcome; turning it off puts back the outcome chosen before."""
        if on:
            self._outcome_before_escalating = self.outcome.currentData()
            self.outcome.setCurrentIndex(self.outcome.findData("escalated"))
        elif self.outcome.currentData() == "escalated":
            before = self._outcome_before_escalating or "resolved"
            self.outcome.setCurrentIndex(self.outcome.findData(before))

    def _tick_topic_of(self, script_id: str):
        topic = SCRIPT_TOPICS.get(script_id)
        if script_id == "status-affected" and self.documents.rowCount():
            self._tick_topic("which-files")
        if topic:
            self._tick_topic(topic)

    def _tick_topic(self, topic: str):
        for row in range(self.topics.count()):
            if self.topics.item(row).data(Qt.UserRole) == topic:
                self.topics.item(row).setCheckState(Qt.Checked)

    def _topics(self) -> list[str]:
        return [self.topics.item(r).data(Qt.UserRole) for r in range(self.topics.count())
                if self.topics.item(r).checkState() == Qt.Checked]

    def _reset_callback_time(self):
        """An hour from now on the helpline's clock, whatever the workstation's zone."""
        due = now().astimezone(HELPLINE_ZONE) + timedelta(hours=1)
        self.callback_due.setDateTime(QDateTime(QDate(due.year, due.month, due.day), QTime(due.hour, due.minute),
                                                QTimeZone(QTimeZone.UTC)))
        self.callback_due.hide()
        self._booking = False

    def _notes_changed(self):
        length = len(self.notes.toPlainText())
        counts = {"length": f"{length:,}", "limit": f"{NOTES_MAX:,}"}
        self.notes_count.setText(
            translate("CallScreen", "{length} / {limit} characters — too long").format(**counts)
            if length > NOTES_MAX else translate("CallScreen", "{length} / {limit} characters").format(**counts))

    def _show_skip_reason(self, missing):
        self.skip_reason.setVisible(bool(missing))
        self.skip_reason_label.setVisible(bool(missing))
        if missing:
            titles = ", ".join(self.scripts[i].title if i in self.scripts else i for i in missing)
            self.skip_reason_label.setText(translate(
                "CallScreen", "Not ticked as delivered: {titles}. Say why, then save again:").format(titles=titles))

    def book_callback(self):
        """Ctrl+B: book a callback to the numbers on file of whoever matched,
        without learning who or whether anyone did. The first press shows the time
        (helpline time) to agree with the caller; Ctrl+B or Enter again books it, once."""
        if self.call is None:
            self.status_message.emit(translate("CallScreen", "Start a call first (Ctrl+N)."))
            return
        if self.callback_wanted.isChecked():
            self.status_message.emit(translate("CallScreen", "A callback is already booked for this call."))
            return
        if not self.callback_due.isVisible():
            self.callback_due.show()
            self.callback_due.setFocus()
            self.status_message.emit(translate("CallScreen", "Agree the callback time (helpline time) with the caller, "
                                                             "then Ctrl+B or Enter books it."))
            return
        if self._booking:
            return
        due = self.callback_due.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE)
        if due <= now():
            self.callback_due.setFocus()
            self.status_message.emit(translate(
                "CallScreen", "That time has passed (it is {time} helpline time): agree a later one with the "
                              "caller.").format(time=f"{now().astimezone(HELPLINE_ZONE):%H:%M}"))
            return
        self._booking = True
        claim = self.claim()
        call_id = self.call.call_id
        shown = self.call.verification
        reason = "not_verified" if shown and shown["outcome"] != "verified" else "caller_asked"

        def booked(result):
            if self.call is None or self.call.call_id != call_id:
                return
            self.callback_wanted.setChecked(True)
            was_asking = self.callback_due.hasFocus()
            self.callback_due.setEnabled(False)
            if was_asking:  # booked: back to the guidance, where the call goes on
                self.guidance_view.setFocus()
            if self.outcome.currentData() == "resolved":
                self.outcome.setCurrentIndex(self.outcome.findData("callback"))
            self.status_message.emit(translate("CallScreen", "Callback booked for {due}.").format(
                due=self.callback_due.dateTime().toString(translate("CallScreen", "d MMM h:mm ap"))))

        def failed(error):
            self._booking = False
            self.status_message.emit(translate("CallScreen", "The callback could not be booked; try again."))

        callbacks.book_callback(self, claim, due, call_id, reason, booked).failure(failed).run_in_background()

    def call_record(self) -> dict:
        shown = self.call.verification
        verified = bool(shown) and shown["outcome"] == "verified"
        notes = self.notes.toPlainText().strip()
        missing = self.guidance.undelivered
        if missing and len(self.skip_reason.text().strip()) >= SKIP_REASON_MIN:
            notes = (notes + "\n\n" if notes else "") + (
                f"Scripts not delivered ({', '.join(missing)}): {self.skip_reason.text().strip()}")
        record = {
            "call_id": self.call.call_id,
            "started_at": self.call.started_at.isoformat(timespec="seconds"),
            "ended_at": self.ended_at().isoformat(timespec="seconds"),
            "operator": self.operator,
            "caller_type": self.caller_type.currentData(),
            "relationship": self.relationship.currentData(),
            "person_id": shown["person_id"] if verified else None,
            "verification": shown["outcome"] if shown else "not_attempted",
            "assurance": shown["assurance"] if verified else None,
            "disclosed_status": shown["affected_status"] if verified else None,
            "guidance_delivered": [{"id": i, "version": str(self.scripts[i].version)}
                                   for i in self.guidance.delivered if i in self.scripts],
            "topics": self._topics(),
            "flags": list(self.flags()),
            "outcome": self.outcome.currentData(),
            "region": self.call.region,
            "notes": notes or None,
            **self.line_record(),
        }
        if "extortion" in record["flags"]:  # the contact and its report: one event, recorded once
            record["scam_report"] = {"channel": self.scam_channel.currentData(),
                                     "contact": self.scam_contact.text().strip() or None,
                                     "claimed_identity": self.scam_claimed.text().strip() or None,
                                     "asked_for": self.scam_asked.text().strip() or None}
        return record

    def save_call(self, then_new_call: bool = False):
        """Ctrl+S: save durably, then clear the form for the next call (and start it, from Ctrl+N).
        A save that fails keeps the call and says so."""
        if self.call is None:
            self.save_message.setText(translate("CallScreen", "No call in progress: Ctrl+N starts one."))
            return
        missing = self.guidance.undelivered
        if missing and len(self.skip_reason.text().strip()) < SKIP_REASON_MIN:
            self._show_skip_reason(missing)
            self.leave_bar.hide()
            self.skip_reason.setFocus()
            return
        try:
            record = validate_call_record(self.call_record())
        except CallRecordInvalid as exc:
            self.save_message.setText(translate("CallScreen", "Not saved: {problems}").format(
                problems=" ".join(exc.problems)))
            self.leave_bar.hide()
            return
        self.save_button.setEnabled(False)
        self.save_message.setText(translate("CallScreen", "Saving…"))

        def done(_):
            self.save_button.setEnabled(True)
            if then_new_call:
                self._start_call()
            else:
                self._clear_form()
            self.save_message.setText(translate("CallScreen", "Saved call {call} at {time}.").format(
                call=record["call_id"][:8], time=f"{now().astimezone(HELPLINE_ZONE):%H:%M}"))

        def failed(error):
            from console.store.connection import CacheDiskFull

            self.save_button.setEnabled(True)
            self.leave_bar.hide()
            if isinstance(error, CacheDiskFull):  # said as what it is: the call is kept here, nothing was lost
                self.save_message.setText(translate(
                    "CallScreen", "NOT SAVED: the disk holding the cache is full. Nothing saved before was lost "
                                  "and this call stays on screen: ask IT to free some space, then Ctrl+S again; "
                                  "meanwhile write the call on paper."))
                return
            self.save_message.setText(translate(
                "CallScreen", "NOT SAVED: the cache could not store this call. Try Ctrl+S again; "
                              "if it fails again, write the call on paper and tell your supervisor."))

        calls.save_call(self, record, done).failure(failed).run_in_background()
