"""The call screen: one keyboard-first flow from greeting to saved log.

Ctrl+N starts a call and its clock; the caller's details are typed as said;
Enter checks them in the background; the guidance due appears in order and
Space ticks each as delivered; Ctrl+S saves the record and clears the form.
Nothing on this screen ever says why a caller was not verified.

Every text a person reads goes through Qt's translation (context
"CallScreen"); the constants below are marked with QT_TRANSLATE_NOOP and
translated where they are shown.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate, QDateTime, QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDateTimeEdit, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListView, QListWidget, QListWidgetItem, QPlainTextEdit,
    QPushButton, QSizePolicy, QSplitter, QTableView, QTextBrowser, QVBoxLayout, QWidget,
)

from console.core import contact, policy
from console.core.calls import NOTES_MAX, OUTCOMES, SCAM_CHANNELS, CallRecordInvalid, validate_call_record
from console.core.guidance import render
from console.core.nhi import nhi_problem
from console.core.timeutil import HELPLINE_ZONE, now, parse_spoken_date
from console.ui.models import DocumentsModel, EarlierCallsModel, GuidanceModel

CALLER_TYPES = (("patient", QT_TRANSLATE_NOOP("CallScreen", "Patient")),
                ("representative", QT_TRANSLATE_NOOP("CallScreen", "Representative of the patient")),
                ("practice", QT_TRANSLATE_NOOP("CallScreen", "GP practice")),
                ("media", QT_TRANSLATE_NOOP("CallScreen", "Media")),
                ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))
RELATIONSHIPS = (("parent", QT_TRANSLATE_NOOP("CallScreen", "Parent")),
                 ("guardian", QT_TRANSLATE_NOOP("CallScreen", "Guardian")),
                 ("attorney", QT_TRANSLATE_NOOP("CallScreen", "Enduring power of attorney / welfare guardian")),
                 ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))
FLAGS = (("distress", QT_TRANSLATE_NOOP("CallScreen", "&Distressed")),
         ("extortion", QT_TRANSLATE_NOOP("CallScreen", "E&xtortion contact")),
         ("media", QT_TRANSLATE_NOOP("CallScreen", "&Media")),
         ("complaint", QT_TRANSLATE_NOOP("CallScreen", "Com&plaint")))
TOPICS = (("am-i-affected", QT_TRANSLATE_NOOP("CallScreen", "Am I affected?")),
          ("which-files", QT_TRANSLATE_NOOP("CallScreen", "Which files")),
          ("scam-contact", QT_TRANSLATE_NOOP("CallScreen", "Scam contact")),
          ("passwords", QT_TRANSLATE_NOOP("CallScreen", "Passwords / 2FA")),
          ("identity", QT_TRANSLATE_NOOP("CallScreen", "Identity protection")),
          ("sensitive", QT_TRANSLATE_NOOP("CallScreen", "Sensitive records")),
          ("complaint", QT_TRANSLATE_NOOP("CallScreen", "Complaint")),
          ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))
# the words for core.calls' OUTCOMES and SCAM_CHANNELS
OUTCOME_WORDS = {"resolved": QT_TRANSLATE_NOOP("CallScreen", "Resolved"),
                 "callback": QT_TRANSLATE_NOOP("CallScreen", "Callback"),
                 "escalated": QT_TRANSLATE_NOOP("CallScreen", "Escalated"),
                 "referred": QT_TRANSLATE_NOOP("CallScreen", "Referred"),
                 "abandoned": QT_TRANSLATE_NOOP("CallScreen", "Abandoned")}
SCAM_CHANNEL_WORDS = {"call": QT_TRANSLATE_NOOP("CallScreen", "Call"), "text": QT_TRANSLATE_NOOP("CallScreen", "Text"),
                      "email": QT_TRANSLATE_NOOP("CallScreen", "Email"), "other": QT_TRANSLATE_NOOP("CallScreen", "Other")}
NOT_VERIFIED_MESSAGE = QT_TRANSLATE_NOOP(
    "CallScreen",
    "We could not confirm this caller's identity.\n"
    "Give no information about any record. Offer a callback to the numbers on file (Ctrl+B).")

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
    claim: policy.CallerClaim | None = None


class CallScreen(QWidget):
    """The whole call flow on one screen."""

    saved = Signal(str)  # call_id, after COMMIT returned
    status_message = Signal(str)

    def __init__(self, worker, scripts, services, operator: str, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.scripts = scripts
        self.services = services
        self.operator = operator
        self.register_version = None
        self.call: CallState | None = None
        self.check_requests = 0
        self._build()
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._clear_form()

    # building

    def _named(self, widget, name: str, description: str | None = None):
        widget.setAccessibleName(name)
        if description:
            widget.setAccessibleDescription(description)
            widget.setToolTip(description)
        return widget

    def _build(self):
        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        self.clock_label = self._named(QLabel(), self.tr("Handle time"))
        self.register_label = self._named(QLabel(), self.tr("Register version"))
        self.call_state_label = self._named(QLabel(), self.tr("Call state"))
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

    def _build_caller(self):
        box = QGroupBox(self.tr("Caller"))
        form = QFormLayout(box)
        self.caller_type = self._named(QComboBox(), self.tr("Caller type"))
        for value, text in CALLER_TYPES:
            self.caller_type.addItem(self.tr(text), value)
        self.relationship = self._named(QComboBox(), self.tr("Relationship to the patient"))
        self.relationship.addItem(self.tr("(choose)"), None)
        for value, text in RELATIONSHIPS:
            self.relationship.addItem(self.tr(text), value)
        self.family_name = self._named(QLineEdit(), self.tr("Family name"))
        self.given_name = self._named(QLineEdit(), self.tr("Given name"))
        self.dob = self._named(QLineEdit(), self.tr("Date of birth"),
                               self.tr("Type it as the caller says it, e.g. 12/4/1975 or 12 April 1975"))
        self.dob_echo = self._named(QLabel(), self.tr("Date of birth as understood"))
        self.code = self._named(QLineEdit(), self.tr("Notification code"),
                                self.tr("The code printed on the breach letter, e.g. K7QF-2M9D"))
        self.nhi = self._named(QLineEdit(), self.tr("NHI number"))
        self.nhi_hint = self._named(QLabel(), self.tr("NHI hint"))
        self.phone = self._named(QLineEdit(), self.tr("Phone number"))
        self.phone_hint = self._named(QLabel(), self.tr("Phone hint"))
        self.email = self._named(QLineEdit(), self.tr("Email address"))
        self.email_hint = self._named(QLabel(), self.tr("Email hint"))
        for hint in (self.dob_echo, self.nhi_hint, self.phone_hint, self.email_hint):
            hint.setWordWrap(True)
            hint.setProperty("role", "hint")
        for edit in (self.family_name, self.given_name, self.dob, self.code, self.nhi, self.phone, self.email):
            edit.returnPressed.connect(self.check_caller)
            edit.textChanged.connect(self._details_changed)
            # no copying caller details out of the console
            edit.setContextMenuPolicy(Qt.NoContextMenu)
            edit.installEventFilter(_NoCopy(edit))
        self.caller_type.currentIndexChanged.connect(self._caller_type_changed)
        self.check_button = self._named(QPushButton(self.tr("&Check")), self.tr("Check caller"),
                                        self.tr("Check the caller's details (Enter)"))
        self.check_button.clicked.connect(self.check_caller)
        self.next_prompt = self._named(QLabel(), self.tr("What to ask next"))
        self.next_prompt.setWordWrap(True)
        self.next_prompt.setProperty("role", "prompt")
        # the order operators ask in, which is also the tab order
        for label, widget in (
            (self.tr("Caller &type"), self.caller_type), (self.tr("&Relationship"), self.relationship),
            (self.tr("&Family name"), self.family_name), (self.tr("&Given name"), self.given_name),
            (self.tr("Date of &birth"), self.dob), ("", self.dob_echo), (self.tr("Notification c&ode"), self.code),
            (self.tr("&NHI"), self.nhi), ("", self.nhi_hint), (self.tr("P&hone"), self.phone), ("", self.phone_hint),
            (self.tr("Emai&l"), self.email), ("", self.email_hint),
        ):
            form.addRow(label, widget)
        form.addRow(self.next_prompt)
        form.addRow(self.check_button)
        flags = QHBoxLayout()
        self.flag_boxes = {}
        for value, text in FLAGS:
            text = self.tr(text)
            box_ = self._named(QCheckBox(text), self.tr("Flag: {flag}").format(flag=text.replace("&", "")))
            box_.toggled.connect(self._refresh_guidance)
            self.flag_boxes[value] = box_
            flags.addWidget(box_)
        form.addRow(flags)
        return box

    def _build_result(self):
        box = QGroupBox(self.tr("Result"))
        layout = QVBoxLayout(box)
        self.result_title = self._named(QLabel(), self.tr("Check result"))
        self.result_title.setProperty("role", "result")
        self.result_title.setWordWrap(True)
        self.result_detail = self._named(QLabel(), self.tr("Result details"))
        self.result_detail.setWordWrap(True)
        self.documents_view = self._named(QTableView(), self.tr("Stolen files"))
        self.documents = DocumentsModel(self)
        self.documents_view.setModel(self.documents)
        self.earlier_view = self._named(QTableView(), self.tr("Earlier calls and open callbacks"))
        self.earlier = EarlierCallsModel(self)
        self.earlier_view.setModel(self.earlier)
        for view in (self.documents_view, self.earlier_view):
            view.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
            view.verticalHeader().hide()
            view.setSelectionBehavior(QAbstractItemView.SelectRows)
            view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.documents_label = QLabel(self.tr("Stolen files (category, date, sensitive; never contents)"))
        self.earlier_label = QLabel(self.tr("Earlier calls"))
        self.callback_button = self._named(QPushButton(self.tr("Book a call&back")), self.tr("Book a callback"),
                                           self.tr("Book a callback to the numbers on file (Ctrl+B)"))
        self.callback_button.clicked.connect(self.book_callback)
        layout.setAlignment(Qt.AlignTop)
        layout.addWidget(self.result_title)
        layout.addWidget(self.result_detail)
        layout.addWidget(self.documents_label)
        layout.addWidget(self.documents_view, 2)
        layout.addWidget(self.earlier_label)
        layout.addWidget(self.earlier_view, 1)
        layout.addWidget(self.callback_button)
        layout.addStretch(0)
        return box

    def _build_guidance(self):
        box = QGroupBox(self.tr("Guidance, in order"))
        layout = QVBoxLayout(box)
        self.guidance = GuidanceModel(self.scripts, self)
        self.guidance_view = self._named(QListView(), self.tr("Guidance scripts due"),
                                         self.tr("Space ticks the selected script as delivered and moves to the next"))
        self.guidance_view.setModel(self.guidance)
        self.guidance_view.installEventFilter(_SpaceTicks(self))
        self.guidance_view.selectionModel().currentChanged.connect(self._show_script)
        self.guidance.modelReset.connect(self._guidance_reset)
        self.script_text = self._named(QTextBrowser(), self.tr("Script to read"))
        self.script_text.setOpenExternalLinks(False)
        layout.addWidget(self.guidance_view, 1)
        layout.addWidget(self.script_text, 3)
        return box

    def _build_wrap_up(self):
        box = QGroupBox(self.tr("Wrap-up"))
        grid = QGridLayout(box)
        self.topics = self._named(QListWidget(), self.tr("Topics discussed"))
        for value, text in TOPICS:
            item = QListWidgetItem(self.tr(text))
            item.setData(Qt.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.topics.addItem(item)
        self.topics.installEventFilter(_SpaceTicks(self, self.topics))
        self.outcome = self._named(QComboBox(), self.tr("Outcome"))
        for value in OUTCOMES:
            self.outcome.addItem(self.tr(OUTCOME_WORDS[value]), value)
        self.escalate = self._named(QCheckBox(self.tr("&Escalate to a supervisor")), self.tr("Escalate"))
        self.escalate.toggled.connect(lambda on: self.outcome.setCurrentIndex(self.outcome.findData("escalated" if on else "resolved")))
        self.callback_wanted = self._named(QCheckBox(self.tr("Callback booked")), self.tr("Callback booked"))
        self.callback_wanted.setEnabled(False)
        self.callback_due = self._named(QDateTimeEdit(), self.tr("Callback due"))
        self.callback_due.setCalendarPopup(True)
        self.callback_due.setDisplayFormat(self.tr("d MMM yyyy h:mm ap"))
        self.notes = self._named(QPlainTextEdit(), self.tr("Notes"),
                                 self.tr("Up to {limit} characters; never copy in record contents").format(
                                     limit=f"{NOTES_MAX:,}"))
        self.notes.setTabChangesFocus(True)
        self.notes_count = self._named(QLabel(), self.tr("Notes length"))
        self.notes.textChanged.connect(self._notes_changed)
        self.scam = self._named(QGroupBox(self.tr("Sca&m report (someone exploiting the breach contacted the caller)")),
                                self.tr("Scam report"))
        self.scam.setCheckable(True)
        scam_form = QFormLayout(self.scam)
        self.scam_channel = self._named(QComboBox(), self.tr("Scam contact channel"))
        for value in SCAM_CHANNELS:
            self.scam_channel.addItem(self.tr(SCAM_CHANNEL_WORDS[value]), value)
        self.scam_contact = self._named(QLineEdit(), self.tr("Number or address the scammer used"))
        self.scam_claimed = self._named(QLineEdit(), self.tr("Who the scammer claimed to be"))
        self.scam_asked = self._named(QLineEdit(), self.tr("What the scammer asked for"))
        scam_form.addRow(self.tr("How"), self.scam_channel)
        scam_form.addRow(self.tr("From (number/address)"), self.scam_contact)
        scam_form.addRow(self.tr("Claimed to be"), self.scam_claimed)
        scam_form.addRow(self.tr("Asked for"), self.scam_asked)
        self.scam.toggled.connect(self._scam_toggled)
        self.skip_reason = self._named(QLineEdit(), self.tr("Reason scripts were not delivered"))
        self.skip_reason_label = QLabel()
        self.skip_reason_label.setWordWrap(True)
        self.save_message = self._named(QLabel(), self.tr("Save status"))
        self.save_message.setWordWrap(True)
        self.save_button = self._named(QPushButton(self.tr("&Save call")), self.tr("Save call"),
                                       self.tr("Save the call record (Ctrl+S)"))
        self.save_button.clicked.connect(self.save_call)
        grid.addWidget(QLabel(self.tr("Topics")), 0, 0)
        grid.addWidget(self.topics, 1, 0, 4, 1)
        grid.addWidget(QLabel(self.tr("Outcome")), 0, 1)
        grid.addWidget(self.outcome, 1, 1)
        grid.addWidget(self.escalate, 2, 1)
        grid.addWidget(self.callback_wanted, 3, 1)
        grid.addWidget(self.callback_due, 4, 1)
        grid.addWidget(QLabel(self.tr("Notes")), 0, 2)
        grid.addWidget(self.notes, 1, 2, 3, 1)
        grid.addWidget(self.notes_count, 4, 2)
        grid.addWidget(self.scam, 0, 3, 5, 1)
        grid.addWidget(self.skip_reason_label, 5, 0, 1, 2)
        grid.addWidget(self.skip_reason, 5, 2)
        grid.addWidget(self.save_button, 5, 3)
        grid.addWidget(self.save_message, 6, 0, 1, 4)
        grid.setColumnStretch(2, 2)
        self.skip_reason.returnPressed.connect(self.save_call)
        self.topics.setMaximumHeight(self.topics.sizeHintForRow(0) * (len(TOPICS) + 1))
        box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
        return box

    # state

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

    def _caller_type_changed(self, *_):
        representative = self.caller_type.currentData() == "representative"
        self.relationship.setEnabled(representative)
        if not representative:
            self.relationship.setCurrentIndex(0)

    def _details_changed(self, *_):
        spoken = parse_spoken_date(self.dob.text())
        if spoken:
            # in the window's language, and without strftime's "%-d", which Windows lacks
            self.dob_echo.setText(QLocale().toString(QDate(spoken.year, spoken.month, spoken.day),
                                                     self.tr("d MMMM yyyy (dddd)")))
        elif self.dob.text().strip():
            self.dob_echo.setText(self.tr("Not a date yet: type it as said, e.g. 12/4/1975 or 12 April 1975"))
        else:
            self.dob_echo.clear()
        self.nhi_hint.setText(nhi_problem(self.nhi.text()) or "")
        phone = self.phone.text().strip()
        self.phone_hint.setText("" if not phone or contact.phone_e164(phone) else
                                self.tr("This does not look like a valid phone number; check it with the caller"))
        email = self.email.text().strip()
        self.email_hint.setText("" if not email or ("@" in email and "." in email.rsplit("@", 1)[-1]) else
                                self.tr("An email address has an @ and a domain"))
        self.next_prompt.setText(self._what_to_ask())

    def _what_to_ask(self) -> str:
        if self.call is None:
            return self.tr("Press Ctrl+N when a call starts.")
        missing = [label for label, edit in ((self.tr("family name"), self.family_name),
                                             (self.tr("given name"), self.given_name)) if not edit.text().strip()]
        if not parse_spoken_date(self.dob.text()):
            missing.append(self.tr("date of birth"))
        if missing:
            return self.tr("Ask for their {details}.").format(details=", ".join(missing))
        strong = sum(bool(e.text().strip()) for e in (self.nhi, self.phone, self.email))
        if not self.code.text().strip() and strong < 2:
            return self.tr("Ask for the notification code, or two of NHI / phone / email. Then press Enter.")
        return self.tr("Press Enter to check.")

    def claim(self) -> policy.CallerClaim:
        return policy.CallerClaim(
            family_name=self.family_name.text().strip() or None,
            given_name=self.given_name.text().strip() or None,
            date_of_birth=parse_spoken_date(self.dob.text()),
            nhi=self.nhi.text().strip() or None,
            phone=self.phone.text().strip() or None,
            email=self.email.text().strip() or None,
            code=self.code.text().strip() or None,
            caller_type=self.caller_type.currentData(),
            relationship=self.relationship.currentData(),
            flags=self.flags(),
        )

    def flags(self) -> tuple[str, ...]:
        return tuple(value for value, box in self.flag_boxes.items() if box.isChecked())

    # checking

    def check_caller(self):
        """Enter: verify in the background; the answer replaces the result panel."""
        if self.call is None:
            self.new_call()
        claim = self.claim()
        self.call.claim = claim
        self.check_requests += 1
        request = self.check_requests
        at = now()
        self.check_button.setEnabled(False)
        self.result_title.setText(self.tr("Checking…"))

        def verify(cache):
            from console.store import callbacks, persons

            verification = cache.verify_caller(claim, at)
            shown = verification.as_json()
            region, history = None, []
            if verification.decision.verified:
                person_id = verification.decision.person.person_id
                rows = persons.person_rows(cache.db, [person_id])
                region = rows[0]["region"] if rows else None
                # (Qt's translation is thread-safe: these are worded here, on the cache thread)
                for record in cache.call_history(person_id):
                    what = (self.tr("Call ({topics})").format(topics=", ".join(record["topics"])) if record["topics"]
                            else self.tr("Call"))
                    outcome = OUTCOME_WORDS.get(record["outcome"])
                    history.append({"when": record["started_at"][:16].replace("T", " "), "what": what,
                                    "outcome": self.tr(outcome) if outcome else record["outcome"]})
                for row in callbacks.open_callbacks_for_person(cache.db, person_id):
                    history.append({"when": row["due_at"][:16].replace("T", " "), "what": self.tr("Open callback"),
                                    "outcome": self.tr("due")})
            return shown, region, history, verification.register_version

        def done(result):
            if request != self.check_requests or self.call is None:
                return  # the operator moved on
            shown, region, history, version = result
            self.call.verification = shown
            self.call.region = region
            self.set_register_version(version)
            self._show_result(shown, history)
            self._refresh_guidance()
            self.check_button.setEnabled(True)
            self.guidance_view.setFocus()
            self._select_next_undelivered()

        def failed(error):
            self.check_button.setEnabled(True)
            self.result_title.setText(self.tr("The check could not be completed; try again."))
            self.status_message.emit(self.tr("The check could not be completed."))

        self.worker.run(verify, done, failed)

    def _show_result(self, shown: dict | None, history=()):
        verified = bool(shown) and shown["outcome"] == "verified"
        self.documents_label.setVisible(verified and "documents" in shown)
        self.documents_view.setVisible(verified and "documents" in shown)
        self.earlier_label.setVisible(verified)
        self.earlier_view.setVisible(verified)
        self.callback_button.setVisible(bool(shown) and not verified)
        if shown is None:
            self.result_title.setText(self.tr("Not checked yet"))
            self.result_detail.clear()
            self.documents.set_rows([])
            self.earlier.set_rows([])
            return
        if not verified:
            # identical whatever the reason: the reason is in the audit trail only
            self.result_title.setText(self.tr("Not verified"))
            self.result_detail.setText(self.tr(NOT_VERIFIED_MESSAGE))
            self.documents.set_rows([])
            self.earlier.set_rows([])
            return
        affected = shown["affected_status"] == "affected"
        self.result_title.setText(self.tr("Verified: AFFECTED. Their files were taken.") if affected
                                  else self.tr("Verified: NOT AFFECTED. None of their files were taken."))
        self.result_detail.setText(
            self.tr("Verified by the notification code (possession): you may give the list of files.")
            if shown["assurance"] == "possession" else
            self.tr("Verified by knowledge (two details): give the status only; "
                    "the file list needs the code or a callback."))
        self.documents.set_rows(shown.get("documents", []))
        self.earlier.set_rows(list(history))

    # guidance

    def _due_scripts(self) -> list[str]:
        shown = self.call.verification if self.call else None
        flags = self.flags()
        if shown is None:
            # before the check: what is due whatever its answer
            due = ["opening"] + (["wellbeing-support"] if "distress" in flags else [])
            return due
        verified = shown["outcome"] == "verified"
        sensitive = any(d["sensitive"] for d in shown.get("documents", []))
        return policy.guidance_for(shown["outcome"], shown.get("assurance"),
                                   shown.get("affected_status") if verified else None, sensitive, flags)

    def _refresh_guidance(self, *_):
        if self.call is None:
            return
        current = self.guidance_view.currentIndex().data(Qt.UserRole)
        self.guidance.set_due(self._due_scripts())
        if current in self.guidance.due:
            self.guidance_view.setCurrentIndex(self.guidance.index(self.guidance.due.index(current)))

    def _guidance_reset(self):
        if self.guidance.rowCount():
            self._select_next_undelivered()

    def _select_next_undelivered(self, after: int = -1):
        due = self.guidance.due
        for row in list(range(after + 1, len(due))) + list(range(0, after + 1)):
            if due[row] in self.guidance.undelivered:
                self.guidance_view.setCurrentIndex(self.guidance.index(row))
                return
        if due:
            self.guidance_view.setCurrentIndex(self.guidance.index(len(due) - 1))

    def tick_current_script(self):
        index = self.guidance_view.currentIndex()
        if not index.isValid():
            return
        self.guidance.toggle(index.row())
        if index.data(Qt.UserRole) in self.guidance.delivered:
            self._select_next_undelivered(index.row())

    def _show_script(self, current, _previous=None):
        script_id = current.data(Qt.UserRole) if current.isValid() else None
        script = self.scripts.get(script_id)
        if script is None:
            self.script_text.clear()
            return
        context = {"register_version": self.register_version}
        if self.call and self.call.verification and self.call.verification["outcome"] == "verified":
            context["caller_name"] = self.given_name.text().strip()
        self.script_text.setMarkdown(f"## {script.title}\n\n" + render(script, context, self.services))

    # wrap-up

    def _notes_changed(self):
        length = len(self.notes.toPlainText())
        counts = {"length": f"{length:,}", "limit": f"{NOTES_MAX:,}"}
        self.notes_count.setText(self.tr("{length} / {limit} characters — too long").format(**counts)
                                 if length > NOTES_MAX else self.tr("{length} / {limit} characters").format(**counts))

    def _scam_toggled(self, on: bool):
        for widget in (self.scam_channel, self.scam_contact, self.scam_claimed, self.scam_asked):
            widget.setEnabled(on)
        if on:
            self.scam_channel.setFocus()

    def _show_skip_reason(self, missing):
        self.skip_reason.setVisible(bool(missing))
        self.skip_reason_label.setVisible(bool(missing))
        if missing:
            titles = ", ".join(self.scripts[i].title if i in self.scripts else i for i in missing)
            self.skip_reason_label.setText(
                self.tr("Not ticked as delivered: {titles}. Say why, then save again:").format(titles=titles))

    def book_callback(self):
        """Ctrl+B: book a callback to the numbers on file of whoever matched,
        without learning who or whether anyone did."""
        if self.call is None:
            self.status_message.emit(self.tr("Start a call first (Ctrl+N)."))
            return
        claim = self.claim()
        due = self.callback_due.dateTime().toPython().replace(tzinfo=HELPLINE_ZONE)
        call_id = self.call.call_id
        reason = "not_verified" if self.call.verification and self.call.verification["outcome"] != "verified" else "caller_asked"

        def book(cache):
            return cache.book_callback(claim, due_at=due, call_id=call_id, reason=reason)

        def booked(result):
            self.callback_wanted.setChecked(True)
            if self.outcome.currentData() == "resolved":
                self.outcome.setCurrentIndex(self.outcome.findData("callback"))
            self.status_message.emit(self.tr("Callback booked for {due}.").format(
                due=self.callback_due.dateTime().toString(self.tr("d MMM h:mm ap"))))

        self.worker.run(book, booked)

    def call_record(self) -> dict:
        shown = self.call.verification
        verified = bool(shown) and shown["outcome"] == "verified"
        notes = self.notes.toPlainText().strip()
        missing = self.guidance.undelivered
        if missing and self.skip_reason.text().strip():
            notes = (notes + "\n\n" if notes else "") + (
                f"Scripts not delivered ({', '.join(missing)}): {self.skip_reason.text().strip()}")
        record = {
            "call_id": self.call.call_id,
            "started_at": self.call.started_at.isoformat(timespec="seconds"),
            "ended_at": now().isoformat(timespec="seconds"),
            "operator": self.operator,
            "caller_type": self.caller_type.currentData(),
            "person_id": shown["person_id"] if verified else None,
            "verification": shown["outcome"] if shown else "not_attempted",
            "assurance": shown["assurance"] if verified else None,
            "disclosed_status": shown["affected_status"] if verified else None,
            "guidance_delivered": [{"id": i, "version": str(self.scripts[i].version)}
                                   for i in self.guidance.delivered if i in self.scripts],
            "topics": [self.topics.item(r).data(Qt.UserRole) for r in range(self.topics.count())
                       if self.topics.item(r).checkState() == Qt.Checked],
            "flags": list(self.flags()),
            "outcome": self.outcome.currentData(),
            "region": self.call.region,
            "notes": notes or None,
        }
        if self.scam.isChecked():
            record["scam_report"] = {"channel": self.scam_channel.currentData(),
                                     "contact": self.scam_contact.text().strip() or None,
                                     "claimed_identity": self.scam_claimed.text().strip() or None,
                                     "asked_for": self.scam_asked.text().strip() or None}
        return record

    def save_call(self):
        """Ctrl+S: save durably, then clear the form for the next call."""
        if self.call is None:
            self.save_message.setText(self.tr("No call in progress: Ctrl+N starts one."))
            return
        missing = self.guidance.undelivered
        if missing and not self.skip_reason.text().strip():
            self._show_skip_reason(missing)
            self.skip_reason.setFocus()
            return
        try:
            record = validate_call_record(self.call_record())
        except CallRecordInvalid as exc:
            self.save_message.setText(self.tr("Not saved: {problems}").format(problems=" ".join(exc.problems)))
            return
        self.save_button.setEnabled(False)
        self.save_message.setText(self.tr("Saving…"))

        def save(cache):
            return cache.log_calls([record])

        def done(_):
            self.save_button.setEnabled(True)
            self._clear_form()
            self.save_message.setText(self.tr("Saved call {call} at {time}.").format(
                call=record["call_id"][:8], time=f"{now():%H:%M}"))
            self.saved.emit(record["call_id"])

        def failed(error):
            self.save_button.setEnabled(True)
            self.save_message.setText(self.tr("NOT SAVED: the cache could not store this call. Try Ctrl+S again; "
                                              "if it fails again, write the call on paper and tell your supervisor."))

        self.worker.run(save, done, failed)

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


class _SpaceTicks(QObject):
    """Space on a checklist ticks the current item (and, for guidance, moves on)."""

    def __init__(self, screen: CallScreen, widget: QListWidget | None = None):
        super().__init__(widget or screen)
        self.screen = screen
        self.widget = widget

    def eventFilter(self, obj, event):
        if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Space and not event.modifiers():
            if self.widget is None:
                self.screen.tick_current_script()
            else:
                item = self.widget.currentItem()
                if item is not None:
                    item.setCheckState(Qt.Unchecked if item.checkState() == Qt.Checked else Qt.Checked)
            return True
        return False


class _NoCopy(QObject):
    """Caller details never leave the console through the clipboard."""

    def eventFilter(self, obj, event):
        if event.type() == QEvent.ShortcutOverride or event.type() == QEvent.KeyPress:
            if event.matches(QKeySequence.Copy) or event.matches(QKeySequence.Cut):
                event.accept()
                return True
        return False

