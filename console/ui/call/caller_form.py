"""The call screen's caller form: who is calling, their details as said, the flags.

What to ask next is worked out as the operator types; Enter checks the details,
but only once they could verify someone (policy v2, "Lockout"): until then it
says what is missing, and a detail the form flags is asked about first.
"""

import re
from calendar import monthrange

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, QLocale, Qt
from PySide6.QtWidgets import (
    QApplication, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
)

from console.core import contact, policy
from console.core.calls import SCAM_CHANNELS
from console.core.nhi import nhi_problem
from console.core.timeutil import age_on, now, parse_spoken_date
from console.ui.call.widgets import EnterMovesOn, FlagBox, NoCopy, named

translate = QCoreApplication.translate  # the call screen's words keep its context, "CallScreen"

CALLER_TYPES = (("patient", QT_TRANSLATE_NOOP("CallScreen", "Patient")),
                ("representative", QT_TRANSLATE_NOOP("CallScreen", "Representative of the patient")),
                ("practice", QT_TRANSLATE_NOOP("CallScreen", "GP practice")),
                ("media", QT_TRANSLATE_NOOP("CallScreen", "Media")),
                ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))

RELATIONSHIPS = (("parent", QT_TRANSLATE_NOOP("CallScreen", "Parent")),
                 ("guardian", QT_TRANSLATE_NOOP("CallScreen", "Guardian")),
                 ("attorney", QT_TRANSLATE_NOOP("CallScreen", "Enduring power of attorney / welfare guardian")),
                 ("other", QT_TRANSLATE_NOOP("CallScreen", "Other")))

# the words for core.calls' SCAM_CHANNELS
SCAM_CHANNEL_WORDS = {"call": QT_TRANSLATE_NOOP("CallScreen", "Call"),
                      "text": QT_TRANSLATE_NOOP("CallScreen", "Text"),
                      "email": QT_TRANSLATE_NOOP("CallScreen", "Email"),
                      "other": QT_TRANSLATE_NOOP("CallScreen", "Other")}

FLAGS = (("distress", QT_TRANSLATE_NOOP("CallScreen", "&Distressed")),
         ("extortion", QT_TRANSLATE_NOOP("CallScreen", "E&xtortion contact")),
         ("media", QT_TRANSLATE_NOOP("CallScreen", "&Media")),
         ("complaint", QT_TRANSLATE_NOOP("CallScreen", "Compla&int")))


class CallerForm:
    """The caller panel, mixed into CallScreen: it works on that view's state."""

    def _build_caller(self):
        box = QGroupBox(translate("CallScreen", "Caller"))
        form = QFormLayout(box)
        self.caller_type = named(QComboBox(), translate("CallScreen", "Caller type"))
        for value, text in CALLER_TYPES:
            self.caller_type.addItem(translate("CallScreen", text), value)
        self.relationship = named(QComboBox(), translate("CallScreen", "Relationship to the patient"))
        self.relationship.addItem(translate("CallScreen", "(choose)"), None)
        for value, text in RELATIONSHIPS:
            self.relationship.addItem(translate("CallScreen", text), value)
        self.family_name = named(QLineEdit(), translate("CallScreen", "Family name"))
        self.given_name = named(QLineEdit(), translate("CallScreen", "Given name"))
        self.dob = named(QLineEdit(), translate("CallScreen", "Date of birth"), translate(
            "CallScreen", "Type it as the caller says it, e.g. 12/4/1975 or 12 April 1975"))
        self.dob_echo = named(QLabel(), translate("CallScreen", "Date of birth as understood"))
        self.code = named(QLineEdit(), translate("CallScreen", "Notification code"),
                          translate("CallScreen", "The code printed on the breach letter, e.g. K7QF-2M9D"))
        self.nhi = named(QLineEdit(), translate("CallScreen", "NHI number"))
        self.nhi_hint = named(QLabel(), translate("CallScreen", "NHI hint"))
        self.phone = named(QLineEdit(), translate("CallScreen", "Phone number"))
        self.phone_hint = named(QLabel(), translate("CallScreen", "Phone hint"))
        self.email = named(QLineEdit(), translate("CallScreen", "Email address"))
        self.email_hint = named(QLabel(), translate("CallScreen", "Email hint"))
        for hint in (self.dob_echo, self.nhi_hint, self.phone_hint, self.email_hint):
            hint.setWordWrap(True)
            hint.setProperty("role", "hint")
        for edit in (self.family_name, self.given_name, self.dob, self.code, self.nhi, self.phone, self.email):
            edit.returnPressed.connect(self.request_check)
            edit.textChanged.connect(self._details_changed)
            # no copying caller details out of the console
            edit.setContextMenuPolicy(Qt.NoContextMenu)
            edit.installEventFilter(NoCopy(edit))
        self.caller_type.currentIndexChanged.connect(self._caller_type_changed)
        for choice in (self.caller_type, self.relationship):  # Enter goes on to what is still to ask
            choice.installEventFilter(EnterMovesOn(choice, self.request_check))
        self.check_button = named(QPushButton(translate("CallScreen", "Chec&k")),
                                  translate("CallScreen", "Check caller"),
                                  translate("CallScreen", "Check the caller's details (Enter)"))
        self.check_button.clicked.connect(self.request_check)
        self.next_prompt = named(QLabel(), translate("CallScreen", "What to ask next"))
        self.next_prompt.setWordWrap(True)
        self.next_prompt.setProperty("role", "prompt")
        # the order operators ask in, which is also the tab order
        for label, widget in (
            (translate("CallScreen", "Caller &type"), self.caller_type),
            (translate("CallScreen", "&Relationship"), self.relationship),
            (translate("CallScreen", "&Family name"), self.family_name),
            (translate("CallScreen", "&Given name"), self.given_name),
            (translate("CallScreen", "Date of &birth"), self.dob), ("", self.dob_echo),
            (translate("CallScreen", "Notification c&ode"), self.code),
            (translate("CallScreen", "&NHI"), self.nhi), ("", self.nhi_hint),
            (translate("CallScreen", "&Phone"), self.phone), ("", self.phone_hint),
            (translate("CallScreen", "Emai&l"), self.email), ("", self.email_hint),
        ):
            form.addRow(label, widget)
        form.addRow(self.next_prompt)
        form.addRow(self.check_button)
        flags = QHBoxLayout()
        self.flag_boxes = {}
        for value, text in FLAGS:
            text = translate("CallScreen", text)
            box_ = named(FlagBox(text), translate("CallScreen", "Flag: {flag}").format(flag=text.replace("&", "")))
            box_.toggled.connect(lambda on, flag=value: self._flag_toggled(flag, on))
            self.flag_boxes[value] = box_
            flags.addWidget(box_)
        form.addRow(flags)
        form.addRow(self._build_scam_report())
        return box

    def _build_scam_report(self):
        """The extortion contact's scam report, opened in place by its flag (Alt+X): one control for
        one event. Enter moves through its fields; on the last it goes back to the guidance."""
        self.scam = named(QGroupBox(translate("CallScreen", "Scam report: how the extortion contact was made")),
                          translate("CallScreen", "Scam report"))
        scam_form = QFormLayout(self.scam)
        self.scam_channel = named(QComboBox(), translate("CallScreen", "Scam contact channel"),
                                  translate("CallScreen", "Type its first letter: Call, Text, Email, Other"))
        for value in SCAM_CHANNELS:
            self.scam_channel.addItem(translate("CallScreen", SCAM_CHANNEL_WORDS[value]), value)
        self.scam_contact = named(QLineEdit(), translate("CallScreen", "Number or address the scammer used"))
        self.scam_claimed = named(QLineEdit(), translate("CallScreen", "Who the scammer claimed to be"))
        self.scam_asked = named(QLineEdit(), translate("CallScreen", "What the scammer asked for"))
        scam_form.addRow(translate("CallScreen", "How"), self.scam_channel)
        scam_form.addRow(translate("CallScreen", "From (number/address)"), self.scam_contact)
        scam_form.addRow(translate("CallScreen", "Claimed to be"), self.scam_claimed)
        scam_form.addRow(translate("CallScreen", "Asked for"), self.scam_asked)
        fields = (self.scam_channel, self.scam_contact, self.scam_claimed, self.scam_asked)
        for widget, after in zip(fields, fields[1:] + (None,)):
            widget.installEventFilter(EnterMovesOn(widget, after.setFocus if after else self._scam_report_done))
        self._show_scam_report(False)
        return self.scam

    def _show_scam_report(self, on: bool):
        self.scam.setVisible(on)
        for widget in (self.scam_channel, self.scam_contact, self.scam_claimed, self.scam_asked):
            widget.setEnabled(on)

    def _scam_report_done(self):
        """Enter on the report's last field: back to the guidance, on the script the flag made due."""
        self.guidance_view.setFocus()

    def _caller_type_changed(self, *_):
        representative = self.caller_type.currentData() == "representative"
        self.relationship.setEnabled(representative)
        if not representative:
            self.relationship.setCurrentIndex(0)
        self._details_changed()

    def _details_changed(self, *_):
        spoken = parse_spoken_date(self.dob.text())
        no_such = no_such_day(self.dob.text())
        if spoken:
            # in the window's language, and without strftime's "%-d", which Windows lacks; the age
            # beside it, so "3/4/25" read as 2025 shows at once
            self.dob_echo.setText(translate("CallScreen", "{date}: age {age}").format(
                date=QLocale().toString(QDate(spoken.year, spoken.month, spoken.day),
                                        translate("CallScreen", "d MMMM yyyy (dddd)")),
                age=age_on(spoken, now().date())))
        elif no_such:
            day, month, year = no_such
            self.dob_echo.setText(translate(
                "CallScreen", "There is no {day} {month} {year}: check it with the caller").format(
                day=day, month=QLocale().standaloneMonthName(month), year=year))
        elif self.dob.text().strip():
            self.dob_echo.setText(translate("CallScreen",
                                            "Not a date yet: type it as said, e.g. 12/4/1975 or 12 April 1975"))
        else:
            self.dob_echo.clear()
        self.nhi_hint.setText(nhi_problem(self.nhi.text()) or "")
        phone = self.phone.text().strip()
        self.phone_hint.setText("" if not phone or contact.phone_e164(phone) else translate(
            "CallScreen", "This does not look like a valid phone number; check it with the caller"))
        email = self.email.text().strip()
        self.email_hint.setText("" if not email or ("@" in email and "." in email.rsplit("@", 1)[-1]) else
                                translate("CallScreen", "An email address has an @ and a domain"))
        self._flagged_confirmed = None  # a changed detail is asked about again
        self.next_prompt.setText(self._what_to_ask())
        if hasattr(self, "check_button"):
            self.check_button.setEnabled(self.call is not None and self._missing() is None)

    def _missing(self) -> tuple[str, object] | None:
        """What must still be asked before a check could verify anyone: (what to say, where to go)."""
        if self.caller_type.currentData() == "representative" and self.relationship.currentData() is None:
            return translate("CallScreen", "Ask for their relationship to the patient first."), self.relationship
        missing = [(label, edit) for label, edit in ((translate("CallScreen", "family name"), self.family_name),
                                                     (translate("CallScreen", "given name"), self.given_name))
                   if not edit.text().strip()]
        if not parse_spoken_date(self.dob.text()):
            missing.append((translate("CallScreen", "date of birth"), self.dob))
        if missing:
            return (translate("CallScreen", "Ask for their {details}.").format(
                details=", ".join(label for label, _ in missing)), missing[0][1])
        if not policy.could_verify(self.claim(), attested_callback=self.dialled_callback() is not None):
            return translate("CallScreen", "Ask for the notification code, or two of NHI / phone / email "
                                           "(a check without them cannot verify anyone)."), self.code
        return None

    def _flagged(self) -> list[str]:
        """The details the form flags as not looking right, which the operator asks about before checking."""
        return [name for name, hint in ((translate("CallScreen", "NHI"), self.nhi_hint),
                                        (translate("CallScreen", "phone number"), self.phone_hint),
                                        (translate("CallScreen", "email address"), self.email_hint))
                if hint.text()]

    def _what_to_ask(self) -> str:
        if self.call is None:
            return translate("CallScreen", "Press Ctrl+N when a call starts.")
        if self.call.verification is not None:
            if not self.guidance.undelivered:  # wrap up only once checked and every due script is delivered
                return translate("CallScreen", "Every script is delivered: wrap up (Ctrl+W; notes Ctrl+T), "
                                               "then save (Ctrl+S).")
            return translate("CallScreen", "Checked. Go through the guidance (Ctrl+G): Space ticks each script "
                                           "as it is read.")
        missing = self._missing()
        if missing:
            return missing[0]
        return translate("CallScreen", "Press Enter to check.")

    def request_check(self):
        """Enter or the Check button: a check only once it could verify someone, and a flagged
        detail only after the operator has asked about it (Enter again). Otherwise say what to ask."""
        if self.call is None:
            self.new_call()
            return
        missing = self._missing()
        if missing:
            text, where = missing
            self.next_prompt.setText(text)
            self.status_message.emit(text)
            where.setFocus()
            return
        flagged = self._flagged()
        if flagged and self._flagged_confirmed != flagged:
            self._flagged_confirmed = flagged
            self.next_prompt.setText(translate(
                "CallScreen", "The {details} does not look right: check it with the caller and correct it, "
                              "or press Enter again to check as it is.").format(details=", ".join(flagged)))
            return
        self.check_caller()

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

    def _flag_toggled(self, flag: str, on: bool):
        before = set(self.guidance.due)
        self._refresh_guidance()
        if on:
            self._mark_new_scripts([s for s in self.guidance.due if s not in before])
        if flag == "extortion":
            self._extortion_toggled(on)

    def _extortion_toggled(self, on: bool):
        """The extortion flag opens its scam report in place, the caller's account of it typed at once;
        unflagged, the report closes (it is not recorded) and the focus goes back to the guidance."""
        report_had_focus = self.scam.isAncestorOf(QApplication.focusWidget())
        self._show_scam_report(on)
        if on and self.call is not None:
            self.scam_channel.setFocus()
            scroller = self.scam.parentWidget()
            while scroller is not None and not isinstance(scroller, QScrollArea):
                scroller = scroller.parentWidget()
            if scroller is not None:
                scroller.ensureWidgetVisible(self.scam)
        elif report_had_focus:
            self.guidance_view.setFocus()

    def flags(self) -> tuple[str, ...]:
        return tuple(value for value, box in self.flag_boxes.items() if box.isChecked())


def no_such_day(text: str) -> tuple[int, int, int] | None:
    """(day, month, year) when what was typed reads as a date but the month has no such day
    ("31/2/1980"), read as parse_spoken_date reads dates; None otherwise."""
    words = re.findall(r"[A-Za-z]+|\d+", text or "")
    numbers = [w for w in words if w.isdigit()]
    if len(words) != 3 or not numbers:
        return None
    if len(numbers) == 2:  # a month word: the day is the shorter number
        day = numbers[0] if len(numbers[1]) >= len(numbers[0]) else numbers[1]
    else:
        day = words[2] if len(words[0]) == 4 else words[0]
    at = words.index(day)
    first = parse_spoken_date(" ".join(words[:at] + ["1"] + words[at + 1:]))
    if first is None or not monthrange(first.year, first.month)[1] < int(day) <= 31:
        return None
    return int(day), first.month, first.year
