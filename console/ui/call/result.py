"""The call screen's result panel: the check's answer, the stolen files and earlier calls.

Nothing here ever says why a caller was not verified.
"""

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QAbstractItemView, QGroupBox, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout

from console.core.timeutil import HELPLINE_ZONE, now, parse_instant
from console.ui.call.models import CATEGORY_WORDS, DocumentsModel, EarlierCallsModel
from console.ui.call.widgets import named
from console.ui.call.wrap_up import OUTCOME_WORDS, TOPICS
from console.ui.operations import calls

translate = QCoreApplication.translate  # the call screen's words keep its context, "CallScreen"


# the verdict banner: what the operator may say, by what the check allows
MAY_SAY = {"nothing": QT_TRANSLATE_NOOP("CallScreen", "NOT VERIFIED. You may say: nothing about any record."),
           "status": QT_TRANSLATE_NOOP("CallScreen", "VERIFIED by knowledge. You may say: the status only."),
           "files": QT_TRANSLATE_NOOP("CallScreen", "VERIFIED by the code. You may say: the status and the files.")}


def may_say(shown: dict | None) -> str | None:
    """What a check's answer lets the operator tell the caller: nothing, the status only, or the
    status and the files; None before a check."""
    if not shown:
        return None
    if shown["outcome"] != "verified":
        return "nothing"
    return "files" if shown["assurance"] == "possession" else "status"


NOT_VERIFIED_MESSAGE = QT_TRANSLATE_NOOP(
    "CallScreen",
    "We could not confirm this caller's identity.\n"
    "Give no information about any record. Offer a callback to the numbers on file (Ctrl+B).")


class ResultPanel:
    """The result panel, mixed into CallScreen: it works on that view's state."""

    def _build_result(self):
        box = QGroupBox(translate("CallScreen", "Result"))
        layout = QVBoxLayout(box)
        self.verdict = named(QLabel(), translate("CallScreen", "What you may say"))
        self.verdict.setProperty("role", "verdict")
        self.verdict.setWordWrap(True)
        self.verdict.hide()
        self.result_title = named(QLabel(), translate("CallScreen", "Check result"))
        self.result_title.setProperty("role", "result")
        self.result_title.setWordWrap(True)
        self.result_detail = named(QLabel(), translate("CallScreen", "Result details"))
        self.result_detail.setWordWrap(True)
        self.documents_view = named(QTableView(), translate("CallScreen", "Stolen files"))
        self.documents = DocumentsModel(self)
        self.documents_view.setModel(self.documents)
        self.earlier_view = named(QTableView(), translate("CallScreen", "Earlier calls and open callbacks"))
        self.earlier = EarlierCallsModel(self)
        self.earlier_view.setModel(self.earlier)
        for view in (self.documents_view, self.earlier_view):
            view.horizontalHeader().setStretchLastSection(False)
            view.horizontalHeader().setMinimumSectionSize(0)
            view.verticalHeader().hide()
            view.setSelectionBehavior(QAbstractItemView.SelectRows)
            view.setEditTriggers(QAbstractItemView.NoEditTriggers)
            view.setTabKeyNavigation(False)  # Tab leaves the table (the arrows move within it)
        self.documents_label = QLabel(translate("CallScreen",
                                                "Stolen files (category, date, sensitive; never contents)"))
        self.earlier_label = QLabel(translate("CallScreen", "Earlier calls"))
        self.callback_button = named(QPushButton(translate("CallScreen", "Book a callback")),
                                     translate("CallScreen", "Book a callback"),
                                     translate("CallScreen", "Book a callback to the numbers on file (Ctrl+B)"))
        self.callback_button.clicked.connect(self.book_callback)
        layout.setAlignment(Qt.AlignTop)
        layout.addWidget(self.verdict)
        layout.addWidget(self.result_title)
        layout.addWidget(self.result_detail)
        layout.addWidget(self.documents_label)
        layout.addWidget(self.documents_view, 2)
        layout.addWidget(self.earlier_label)
        layout.addWidget(self.earlier_view, 1)
        layout.addWidget(self.callback_button)
        layout.addStretch(0)
        self._fit_result_columns()
        return box

    def _fit_result_columns(self):
        """Each column of the result tables as wide as the widest thing it can hold (every
        category, a date, every outcome: the file's category is read aloud and is never cut
        off), the free text taking the rest: the same columns for every caller, never
        jumping from one call to the next. Again at each result, in case the font changed."""
        categories = [DocumentsModel.tr(words) for words in CATEGORY_WORDS.values()]
        dates = ["2026-12-31", DocumentsModel.tr("date unknown")]
        whens = [helpline_time("2026-09-30T23:59:00+13:00")]
        outcomes = [translate("CallScreen", words) for words in OUTCOME_WORDS.values()] + [
            translate("CallScreen", "due")]
        for view, fitted, free in ((self.documents_view, {0: categories, 1: dates}, 2),
                                   (self.earlier_view, {0: whens, 2: outcomes}, 1)):
            header = view.horizontalHeader()
            cells, heads = view.fontMetrics(), header.fontMetrics()
            model = view.model()
            for column, texts in fitted.items():
                title = model.headerData(column, Qt.Horizontal)
                widest = max([cells.horizontalAdvance(t) for t in texts] + [heads.horizontalAdvance(title)])
                header.setSectionResizeMode(column, QHeaderView.Fixed)
                view.setColumnWidth(column, widest + 4 * cells.averageCharWidth())  # the cell's margins
            header.setSectionResizeMode(free, QHeaderView.Stretch)

    def check_caller(self):
        """Enter: verify in the background; the answer replaces the result panel.
        A newer check supersedes one still running, whose answer is then dropped."""
        if self.call is None:
            self.new_call()
        claim = self.claim()
        self.check_button.setEnabled(False)
        self.result_title.setText(translate("CallScreen", "Checking…"))

        def done(result):
            if self.call is None:
                return  # the operator moved on
            shown, region, history, version = result
            self.call.verification = shown
            self.call.region = region
            self.set_register_version(version)
            self._show_result(shown, history)
            self._refresh_guidance()  # and the next-step line, on the scripts now due
            self.check_button.setEnabled(True)
            self.guidance_view.setFocus()
            self._select_next_undelivered()

        def failed(error):
            self.check_button.setEnabled(True)
            self.result_title.setText(translate("CallScreen", "The check could not be completed; try again."))
            self.status_message.emit(translate("CallScreen", "The check could not be completed."))

        calls.check_caller(self, claim, now(), history_rows, done, callback_id=self.dialled_callback()).failure(
            failed).run_in_background(key="check-caller")

    def _show_result(self, shown: dict | None, history=()):
        verified = bool(shown) and shown["outcome"] == "verified"
        listed = verified and bool(shown.get("documents"))  # no empty table for a caller with no files taken
        self.documents_label.setVisible(listed)
        self.documents_view.setVisible(listed)
        self.earlier_label.setVisible(verified)
        self.earlier_view.setVisible(verified)
        self.callback_button.setVisible(bool(shown) and not verified)
        say = may_say(shown)
        text = translate("CallScreen", MAY_SAY[say]) if say else ""
        self.verdict.setVisible(say is not None)
        self.verdict.setText(text)
        # a screen reader hears what may be said (the banner's name), announced at once as it changes
        self.verdict.setAccessibleName(text or translate("CallScreen", "What you may say"))
        if text:
            announcement = QAccessibleAnnouncementEvent(self.verdict, text)
            announcement.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
            QAccessible.updateAccessibility(announcement)
        self.verdict.setProperty("may_say", say or "")
        self.verdict.style().unpolish(self.verdict)  # the banner's colour follows what may be said
        self.verdict.style().polish(self.verdict)
        if shown is None:
            self.result_title.setText(translate("CallScreen", "Not checked yet"))
            self.result_detail.clear()
            self.documents.set_rows([])
            self.earlier.set_rows([])
            return
        if not verified:
            # identical whatever the reason: the reason is in the audit trail only
            self.result_title.setText(translate("CallScreen", "Not verified"))
            self.result_detail.setText(translate("CallScreen", NOT_VERIFIED_MESSAGE))
            self.documents.set_rows([])
            self.earlier.set_rows([])
            return
        affected = shown["affected_status"] == "affected"
        self.result_title.setText(
            translate("CallScreen", "Verified: AFFECTED. Their files were taken.") if affected
            else translate("CallScreen", "Verified: NOT AFFECTED. None of their files were taken."))
        self.result_detail.setText(
            translate("CallScreen", "Verified by the notification code (possession): you may give the list of files.")
            if shown["assurance"] == "possession" else
            translate("CallScreen", "Verified by knowledge (two details): give the status only; "
                      "the file list needs the code or a callback."))
        self._fit_result_columns()
        self.documents.set_rows(shown.get("documents", []))
        self.earlier.set_rows(list(history))


TOPIC_WORDS = dict(TOPICS)


def helpline_time(text: str) -> str:
    """A stored instant as a whole date and time on the helpline's clock."""
    return parse_instant(text).astimezone(HELPLINE_ZONE).strftime("%d %b %Y %H:%M")


def history_rows(context: dict) -> list[dict]:
    """A verified caller's earlier calls and open callbacks, worded for the result panel
    (on the cache thread: Qt's translation is thread-safe)."""
    history = []
    for record in context["calls"]:
        topics = [translate("CallScreen", TOPIC_WORDS[t]) if t in TOPIC_WORDS else t for t in record["topics"]]
        what = (translate("CallScreen", "Call ({topics})").format(topics=", ".join(topics))
                if topics else translate("CallScreen", "Call"))
        if record.get("queue"):
            what += translate("CallScreen", "; queue {queue}").format(queue=record["queue"])
        if record.get("message_version"):
            what += translate("CallScreen", "; live message version {version} shown").format(
                version=record["message_version"])
        outcome = OUTCOME_WORDS.get(record["outcome"])
        history.append({"when": helpline_time(record["started_at"]), "what": what,
                        "outcome": translate("CallScreen", outcome) if outcome else record["outcome"]})
    for row in context["open_callbacks"]:
        history.append({"when": helpline_time(row["due_at"]), "what": translate("CallScreen", "Open callback"),
                        "outcome": translate("CallScreen", "due")})
    return history
