"""The call screen's traps on a surge day (issue 15): none of them may lose a caller or a record.

Each test drives the real window by keys, as the reviewer did.
"""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from test_call_flow import Keys, saved_calls, wait_result


def type_into(qtbot, widget, text):
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def check_verified_caller(qtbot, screen):
    """A caller with her notification code, checked: verified by possession, not affected."""
    for edit, text in ((screen.family_name, "Chen"), (screen.given_name, "Vivian"), (screen.dob, "20/1/1985"),
                       (screen.code, "HH4D-2Z7Q")):
        edit.setText(text)
    screen.check_caller()
    wait_result(qtbot, screen)


def audit_kinds(window):
    return [row[0] for row in window.worker.cache.db.conn.execute("SELECT kind FROM audit ORDER BY seq")]


def test_early_enter_runs_no_check_and_says_what_is_missing(qtbot, window, screen):
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    keys.type("Smith")
    keys.press(Qt.Key_Return)  # given name and date of birth still missing
    assert screen.result_title.text() == "Not checked yet" and screen.call.verification is None
    assert "given name" in screen.next_prompt.text() and "date of birth" in screen.next_prompt.text()
    assert "verification" not in audit_kinds(window)
    # names and date of birth but nothing that could verify: still no check (policy v2, Lockout)
    screen.given_name.setText("Jane")
    screen.dob.setText("9/9/2012")
    screen.nhi.setFocus()
    keys.press(Qt.Key_Return)
    assert screen.result_title.text() == "Not checked yet"
    assert "notification code" in screen.next_prompt.text()
    assert not screen.check_button.isEnabled()
    # a phone the form flags is asked about before it is checked
    screen.code.setText("Q9W8-E7R6")
    screen.phone.setText("02l 555 O123")
    screen.phone.setFocus()
    keys.press(Qt.Key_Return)
    assert screen.result_title.text() == "Not checked yet"
    assert "phone" in screen.next_prompt.text().lower() and "Enter again" in screen.next_prompt.text()
    assert "verification" not in audit_kinds(window)
    keys.press(Qt.Key_Return)  # the operator has asked, and checks anyway
    wait_result(qtbot, screen)


def test_ctrl_n_mid_call_keeps_saves_or_discards_with_a_reason(qtbot, window, screen):
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    keys.type("Chen")
    first = screen.call.call_id
    keys.press(Qt.Key_N, Qt.ControlModifier)
    assert screen.call.call_id == first and screen.family_name.text() == "Chen"
    assert screen.leave_bar.isVisible() and screen.leave_reason.hasFocus()
    keys.press(Qt.Key_Escape)  # keep the call
    assert not screen.leave_bar.isVisible() and screen.call.call_id == first
    keys.press(Qt.Key_N, Qt.ControlModifier)
    screen.discard_button.click()  # no reason: refused
    assert screen.call.call_id == first and "reason" in screen.leave_message.text()
    keys.type("caller hung up before giving details")
    keys.press(Qt.Key_Return)
    qtbot.waitUntil(lambda: screen.call is not None and screen.call.call_id != first, timeout=5000)
    assert screen.family_name.text() == "" and screen.family_name.hasFocus()
    (reason,) = [row[0] for row in window.worker.cache.db.conn.execute(
        "SELECT detail FROM audit WHERE kind = 'call_discarded'")]
    assert first in reason and "caller hung up" in reason
    # an empty call is simply replaced
    second = screen.call.call_id
    keys.press(Qt.Key_N, Qt.ControlModifier)
    assert screen.call.call_id != second and not screen.leave_bar.isVisible()


def test_ctrl_n_can_save_the_call_first(qtbot, window, screen):
    screen.new_call()
    screen.family_name.setText("Chen")
    screen.skip_reason.setText("caller had to go")
    first = screen.call.call_id
    screen.new_call()
    screen.save_next_button.click()
    qtbot.waitUntil(lambda: screen.call is not None and screen.call.call_id != first, timeout=5000)
    assert [r["call_id"] for r in saved_calls(window)] == [first]


def test_alt_d_then_space_keeps_the_distress_flag(qtbot, window, screen):
    screen.new_call()
    check_verified_caller(qtbot, screen)
    keys = Keys(qtbot, window)
    assert screen.guidance_view.hasFocus()
    keys.press(Qt.Key_Space)  # opening delivered
    keys.press(Qt.Key_D, Qt.AltModifier)
    assert screen.flag_boxes["distress"].isChecked()
    assert screen.guidance_view.hasFocus()
    current = screen.guidance_view.currentIndex()
    assert current.data(Qt.UserRole) == "wellbeing-support"
    assert "new" in current.data(Qt.DisplayRole).lower()
    keys.press(Qt.Key_Space)
    assert screen.flag_boxes["distress"].isChecked()
    assert "wellbeing-support" in screen.guidance.delivered
    while screen.guidance.undelivered:
        keys.press(Qt.Key_Space)
    keys.press(Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    (record,) = saved_calls(window)
    assert "distress" in record["flags"]  # saved with the flag


def test_notes_have_their_own_key_and_the_callback_time_is_one_stop_only_when_booking(qtbot, window, screen):
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    keys.press(Qt.Key_T, Qt.ControlModifier)
    assert screen.notes.hasFocus()
    keys.press(Qt.Key_W, Qt.ControlModifier)
    assert screen.outcome.hasFocus()
    assert not screen.callback_due.isVisible()
    stops = []
    while not screen.notes.hasFocus() and len(stops) < 10:
        keys.press(Qt.Key_Tab)
        stops.append(QApplication.focusWidget())
    assert screen.notes.hasFocus() and len(stops) <= 3
    keys.type("caller will ring back")
    keys.press(Qt.Key_B, Qt.ControlModifier)  # asks for the time: the callback time is shown
    assert screen.callback_due.isVisible() and screen.callback_due.hasFocus()
    keys.press(Qt.Key_Tab)
    assert not screen.callback_due.hasFocus()  # one stop, not six
    assert screen.notes.toPlainText() == "caller will ring back"
    screen.skip_reason.setText("caller had to go")  # the opening was not read
    keys.press(Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    (record,) = saved_calls(window)
    assert record["notes"].startswith("caller will ring back\n")  # not null (the skip reason follows it)


def test_a_representative_is_asked_for_the_relationship_first_and_it_is_recorded(qtbot, window, screen):
    screen.new_call()
    screen.caller_type.setCurrentIndex(screen.caller_type.findData("representative"))
    for edit, text in ((screen.family_name, "Smith"), (screen.given_name, "Jane"), (screen.dob, "9/9/2012"),
                       (screen.code, "Q9W8-E7R6")):
        edit.setText(text)
    assert "relationship" in screen.next_prompt.text()
    type_into(qtbot, screen.code, "")
    qtbot.keyClick(screen.code, Qt.Key_Return)
    assert screen.result_title.text() == "Not checked yet" and screen.relationship.hasFocus()
    screen.relationship.setCurrentIndex(screen.relationship.findData("parent"))
    screen.code.setFocus()
    qtbot.keyClick(screen.code, Qt.Key_Return)
    wait_result(qtbot, screen)
    assert screen.call.verification["outcome"] == "verified"
    for _ in screen.guidance.due:
        screen.tick_current_script()
    screen.save_call()
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    (record,) = saved_calls(window)
    assert record["caller_type"] == "representative" and record["relationship"] == "parent"


def test_ctrl_z_never_brings_earlier_callers_back(qtbot, window, screen):
    callers = (("Alpha", "Ann", "1/1/1950", "AAAA-1111"), ("Bravo", "Bob", "2/2/1960", "BBBB-2222"),
               ("Charlie", "Cat", "3/3/1970", "CCCC-3333"))
    fields = (screen.family_name, screen.given_name, screen.dob, screen.code, screen.nhi, screen.phone,
              screen.email)
    for family, given, dob, code in callers:
        screen.new_call()
        for edit, text in zip(fields, (family, given, dob, code, "ZZZ0016", "021 555 0100", "a@b.nz")):
            type_into(qtbot, edit, text)
        type_into(qtbot, screen.notes, f"notes about {family}")
        screen.flag_boxes["extortion"].setChecked(True)
        type_into(qtbot, screen.scam_contact, f"scammer of {family}")
        screen._clear_form()  # as a save does
    screen.new_call()
    for edit in fields + (screen.scam_contact, screen.skip_reason):
        edit.setEnabled(True)
        edit.setFocus()
        for _ in range(5):
            qtbot.keyClick(edit, Qt.Key_Z, Qt.ControlModifier)
        assert edit.text() == "" and not edit.isUndoAvailable(), edit.accessibleName()
    screen.notes.setFocus()
    qtbot.keyClick(screen.notes, Qt.Key_Z, Qt.ControlModifier)
    assert screen.notes.toPlainText() == ""


def test_with_saves_failing_ctrl_n_never_drops_the_unsaved_call(qtbot, window, screen, monkeypatch):
    """Trap 8: the disk full (the store's own error, as the connection raises it), four calls in a row: each
    is kept with the disk's sentence, Ctrl+N drops none of them, and saving again fails again, saying so."""
    from console.store.connection import CacheDiskFull

    def disk_full(self, records, fault=None):
        raise CacheDiskFull(CacheDiskFull.MESSAGE)

    monkeypatch.setattr(type(window.worker.cache), "log_calls", disk_full)
    screen.new_call()
    screen.family_name.setText("Chen")
    screen.skip_reason.setText("caller had to go")
    first = screen.call.call_id
    for attempt in range(4):
        screen.save_call() if attempt == 0 else screen.save_next_button.click()
        qtbot.waitUntil(lambda: "NOT SAVED" in screen.save_message.text() and screen.save_button.isEnabled(),
                        timeout=5000)
        assert "disk holding the cache is full" in screen.save_message.text()
        screen.new_call()  # Ctrl+N: asks, never drops it
        assert screen.call.call_id == first and screen.leave_bar.isVisible()
        assert screen.family_name.text() == "Chen"


def test_the_verdict_is_a_banner_saying_what_may_be_said(qtbot, window, screen):
    from console.ui.call.result import may_say

    assert may_say({"outcome": "verified", "assurance": "knowledge"}) == "status"
    base = QApplication.font().pointSizeF()
    screen.new_call()
    check_verified_caller(qtbot, screen)
    assert screen.verdict.isVisible() and "the status and the files" in screen.verdict.text()
    assert screen.verdict.font().pointSizeF() >= base + 4
    assert screen.result_title.font().pointSizeF() > base
    screen.code.setText("ZZZZ-ZZZZ")
    screen.check_caller()
    qtbot.waitUntil(lambda: screen.result_title.text() == "Not verified", timeout=5000)
    assert "You may say: nothing" in screen.verdict.text()
    # two details, no code: the banner in the window says the status only, and no file is listed
    screen.new_call()
    for edit, text in ((screen.family_name, "Tupou"), (screen.given_name, "Sione"), (screen.dob, "15/6/1990"),
                       (screen.nhi, "ZAA0067"), (screen.phone, "022 987 6543")):
        edit.setText(text)
    screen.check_caller()
    qtbot.waitUntil(lambda: screen.result_title.text().startswith("Verified"), timeout=5000)
    assert screen.verdict.isVisible() and "You may say: the status only" in screen.verdict.text()
    assert screen.verdict.property("may_say") == "status" and not screen.documents_view.isVisible()


def test_the_callback_time_is_helpline_time_asked_and_booked_once(qtbot, window, screen, monkeypatch):
    from datetime import datetime, timezone

    # 23:30 UTC is 12:30 the next day in Auckland (NZDT): whatever the workstation's zone says
    monkeypatch.setattr("console.ui.call.wrap_up.now", lambda: datetime(2026, 12, 3, 23, 30, tzinfo=timezone.utc))
    screen.new_call()
    shown = screen.callback_due.dateTime().toPython()
    assert shown == datetime(2026, 12, 4, 13, 30)
    screen.family_name.setText("Pōtae")
    qtbot.keyClick(screen.family_name, Qt.Key_B, Qt.ControlModifier)  # asks: nothing booked yet
    assert screen.callback_due.isVisible() and screen.callback_due.hasFocus()
    assert not screen.callback_wanted.isChecked()
    conn = window.worker.cache.db.conn
    assert conn.execute("SELECT count(*) FROM callbacks").fetchone()[0] == 0
    qtbot.keyClick(screen.callback_due, Qt.Key_Return)  # books
    qtbot.keyClick(screen.callback_due, Qt.Key_B, Qt.ControlModifier)  # a second press books nothing more
    qtbot.waitUntil(lambda: screen.callback_wanted.isChecked(), timeout=5000)
    qtbot.keyClick(screen.family_name, Qt.Key_B, Qt.ControlModifier)
    rows = conn.execute("SELECT due_at FROM callbacks").fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("2026-12-04T00:30:00")  # 13:30 in Auckland, stored in UTC


def test_handle_time_is_measured_on_a_monotonic_clock(qtbot, window, screen, monkeypatch):
    from datetime import datetime, timedelta, timezone

    wall = [datetime(2026, 12, 4, 1, 0, tzinfo=timezone.utc)]
    ticks = [1000.0]
    for module in ("console.ui.call.screen", "console.ui.call.wrap_up"):
        monkeypatch.setattr(f"{module}.now", lambda: wall[0])
    monkeypatch.setattr("console.ui.call.screen.monotonic", lambda: ticks[0])
    for step in (timedelta(seconds=-10), timedelta(days=1)):
        screen.new_call()
        screen.skip_reason.setText("testing the clock")
        ticks[0] += 95  # 95 seconds of call
        wall[0] += step  # while the wall clock is corrected by a time sync
        screen.save_call()
        qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    first, second = saved_calls(window)
    for record in (first, second):
        started = datetime.fromisoformat(record["started_at"])
        assert datetime.fromisoformat(record["ended_at"]) - started == timedelta(seconds=95)
    assert second["started_at"] == "2026-12-04T00:59:50+00:00"  # stamped with the wall clock


def test_a_date_of_birth_that_does_not_exist_is_named_and_the_age_is_shown(qtbot, window, screen, monkeypatch):
    from datetime import datetime, timezone

    monkeypatch.setattr("console.ui.call.caller_form.now", lambda: datetime(2026, 12, 4, tzinfo=timezone.utc))
    screen.new_call()
    screen.dob.setText("31/2/1980")
    assert screen.dob_echo.text().startswith("There is no 31 February 1980")
    screen.dob.setText("29 February 1981")
    assert screen.dob_echo.text().startswith("There is no 29 February 1981")
    screen.dob.setText("3/4/25")
    assert screen.dob_echo.text() == "3 April 2025 (Thursday): age 1"


def test_wrap_up_follows_the_call_and_starts_afresh(qtbot, window, screen):
    screen.new_call()
    check_verified_caller(qtbot, screen)
    for _ in screen.guidance.due:
        screen.tick_current_script()
    assert "wrap up" in screen.next_prompt.text()
    assert "am-i-affected" in screen._topics()  # filled in from the scripts delivered
    screen.outcome.setCurrentIndex(screen.outcome.findData("referred"))
    screen.escalate.setChecked(True)
    screen.escalate.setChecked(False)
    assert screen.outcome.currentData() == "referred"  # turning Escalate off keeps the chosen outcome
    screen.topics.setCurrentRow(5)
    screen.flag_boxes["extortion"].setChecked(True)
    screen.scam_channel.setCurrentIndex(screen.scam_channel.findData("email"))
    while screen.guidance.undelivered:  # the extortion script the flag made due
        screen.tick_current_script()
    screen.save_call()
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    screen.new_call()
    assert screen.topics.currentRow() == 0 and screen._topics() == []
    assert screen.scam_channel.currentData() == "call"


def test_enter_on_the_check_button_presses_it(qtbot, window, screen):
    screen.new_call()
    for edit, text in ((screen.family_name, "Chen"), (screen.given_name, "Vivian"), (screen.dob, "20/1/1985"),
                       (screen.code, "HH4D-2Z7Q"), (screen.phone, "02l 555 O123")):
        edit.setText(text)
    assert screen.check_button.isEnabled()
    screen.check_button.setFocus()
    qtbot.keyClick(screen.check_button, Qt.Key_Return)
    assert "Enter again" in screen.next_prompt.text()


def test_earlier_calls_read_as_words_and_a_skip_needs_a_real_reason(qtbot, window, screen):
    from console.ui.call.result import history_rows

    (row,) = history_rows({"calls": [{"started_at": "2026-12-03T21:05:00+00:00", "topics": ["passwords"],
                                      "outcome": "resolved"}], "open_callbacks": []})
    assert row == {"when": "04 Dec 2026 10:05", "what": "Call (Passwords / 2FA)", "outcome": "Resolved"}
    screen.new_call()
    screen.family_name.setText("Chen")
    screen.skip_reason.setText("x")
    screen.save_call()
    assert screen.call is not None and screen.skip_reason.isVisible()


def notes_only(screen):
    screen.notes.setPlainText("caller rang about her son")


def a_flag_only(screen):
    screen.flag_boxes["distress"].setChecked(True)


def a_script_ticked(screen):
    screen.guidance_view.setFocus()
    screen.tick_current_script()


def a_line_call(screen):
    screen.call.pbx_call_id = "pbx-7781"


def an_outcome_chosen(screen):
    screen.outcome.setCurrentIndex(screen.outcome.findData("referred"))


def a_callback_time_opened(screen):
    screen.family_name.setFocus()
    screen.book_callback()  # the time is being agreed with the caller; nothing typed yet
    screen.family_name.setText("")


@pytest.mark.parametrize("fill_in", [notes_only, a_flag_only, a_script_ticked, a_line_call, an_outcome_chosen,
                                     a_callback_time_opened])
def test_closing_the_window_is_refused_for_any_call_ctrl_n_would_ask_about(qtbot, window, screen, fill_in):
    screen.new_call()
    fill_in(screen)
    assert screen.has_content()  # Ctrl+N would ask: so does closing
    assert not window.close()
    assert window.isVisible() and "save it" in window.statusBar().currentMessage()


def test_closing_the_window_between_calls_or_on_an_empty_call_is_not_refused(qtbot, window, screen):
    screen.new_call()
    assert not screen.has_content()
    assert window.close()


def test_the_next_step_line_says_what_to_do_now(qtbot, window, screen):
    def prompt():
        return screen.next_prompt.text()

    assert "Ctrl+N" in prompt()  # between calls
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    assert "Ctrl+N" not in prompt() and "family name" in prompt()  # what to ask first, at once
    screen.guidance_view.setFocus()
    keys.press(Qt.Key_Space)  # the opening, the only script due before the check
    assert screen.guidance.undelivered == [] and "wrap up" not in prompt()  # nobody is checked yet
    check_verified_caller(qtbot, screen)
    assert "Press Enter to check" not in prompt() and "guidance" in prompt() and "wrap up" not in prompt()
    while screen.guidance.undelivered:
        keys.press(Qt.Key_Space)
    assert "wrap up" in prompt()
    keys.press(Qt.Key_D, Qt.AltModifier)  # a flag makes the wellbeing script due: not done yet
    assert screen.guidance.undelivered == ["wellbeing-support"]
    assert "wrap up" not in prompt() and "guidance" in prompt()
    keys.press(Qt.Key_Space)
    assert "wrap up" in prompt()


def test_the_opening_shown_has_nothing_in_brackets_to_read_out(qtbot, window, screen):
    screen.new_call()
    assert screen.guidance_view.currentIndex().data(Qt.UserRole) == "opening"
    assert "Kia ora" in screen.script_text.toPlainText()
    assert "[" not in screen.script_text.toPlainText()


def test_a_verified_caller_with_no_files_taken_sees_no_empty_files_table(qtbot, window, screen):
    screen.new_call()
    check_verified_caller(qtbot, screen)
    assert screen.result_title.text().startswith("Verified") and screen.documents.rowCount() == 0
    assert not screen.documents_view.isVisible() and not screen.documents_label.isVisible()


def test_the_last_topic_is_in_sight_at_1280_by_720(qtbot, window, screen):
    window.resize(1280, 720)
    screen.new_call()
    qtbot.wait(50)
    last = screen.topics.item(screen.topics.count() - 1)
    for high_contrast in (False, True, False):
        window.high_contrast.setChecked(high_contrast)
        qtbot.wait(50)
        assert screen.topics.viewport().rect().contains(screen.topics.visualItemRect(last)), (
            high_contrast, screen.topics.visualItemRect(last), screen.topics.viewport().rect())


def test_the_result_tables_columns_stay_put_from_one_caller_to_the_next(qtbot, window, screen):
    """Columns sized to each caller's rows jumped between calls. Now each column is as wide as the widest
    thing it can show (every category, a date, every outcome) and the free text ("what" of an earlier call,
    the sensitive marker) takes the rest: two callers see the same columns, and no category, date or outcome
    is cut off."""
    fixed = {screen.documents_view: (0, 1), screen.earlier_view: (0, 2)}

    def shown(result, history):
        screen._show_result(result, history)
        QApplication.processEvents()
        return {view: [view.columnWidth(c) for c in columns] for view, columns in fixed.items()}

    verified = {"outcome": "verified", "assurance": "possession", "affected_status": "affected"}
    short = dict(verified, documents=[{"category": "user_upload", "document_date": "2025-03-01", "sensitive": 0}])
    long = dict(verified, documents=[{"category": "discharge_summary", "document_date": None, "sensitive": 1},
                                     {"category": "referral_letter", "document_date": "2024-11-30", "sensitive": 0}])
    screen.new_call()
    first = shown(short, [{"when": "05 Jan 2026 09:12", "what": "Call", "outcome": "Resolved"}])
    second = shown(long, [{"when": "30 Sep 2026 23:59", "what": "Call (am I affected, scams, my files)",
                           "outcome": "Abandoned"}, {"when": "01 Oct 2026 10:00", "what": "Open callback",
                                                     "outcome": "due"}])
    assert second == first
    for view, columns in fixed.items():
        metrics = view.fontMetrics()
        for row in range(view.model().rowCount()):
            for column in columns:
                text = view.model().index(row, column).data()
                assert metrics.horizontalAdvance(text) < view.columnWidth(column), (text, view.columnWidth(column))


def test_a_callback_time_that_has_passed_is_not_booked(qtbot, window, screen):
    """The time agreed with the caller is helpline time, and one already past (a slip of the hour, or
    of the day) is refused with a sentence rather than booked as overdue from the start."""
    from datetime import datetime, timedelta

    from console.core.timeutil import HELPLINE_ZONE

    screen.new_call()
    screen.family_name.setText("Pōtae")
    qtbot.keyClick(screen.family_name, Qt.Key_B, Qt.ControlModifier)  # asks for the time
    past = datetime.now(HELPLINE_ZONE).replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=1)
    screen.callback_due.setDateTime(past)
    messages = []
    screen.status_message.connect(messages.append)
    qtbot.keyClick(screen.callback_due, Qt.Key_Return)
    assert messages and "has passed" in messages[-1]
    assert not screen.callback_wanted.isChecked() and screen.callback_due.hasFocus()
    assert window.worker.cache.db.conn.execute("SELECT count(*) FROM callbacks").fetchone()[0] == 0


def test_ctrl_n_after_the_stolen_files_were_shown_asks_and_the_disclosure_keeps_its_call(qtbot, window, screen):
    """The reviewer's case (trap 2): the files of an affected caller were listed, then Ctrl+N. The call is
    not thrown away: Ctrl+N asks, and saving first leaves a call record beside the audit's disclosure."""
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    for edit, text in zip((screen.family_name, screen.given_name, screen.dob, screen.code),
                          ("Ngāti-Rēhia", "Hine", "29/2/1968", "7QF2-M9DA")):
        edit.setText(text)
    screen.check_caller()
    wait_result(qtbot, screen)
    assert screen.documents.rowCount() == 2 and screen.documents_view.isVisible()
    first = screen.call.call_id
    keys.press(Qt.Key_N, Qt.ControlModifier)
    assert screen.call.call_id == first and screen.leave_bar.isVisible()
    screen.skip_reason.setText("caller had to go")
    screen.save_next_button.click()
    qtbot.waitUntil(lambda: screen.call is not None and screen.call.call_id != first, timeout=5000)
    (saved,) = saved_calls(window)
    assert saved["call_id"] == first and saved["verification"] == "verified"
    assert saved["disclosed_status"] == "affected"
    assert "disclosure" in audit_kinds(window)


def test_a_callback_time_in_the_workstations_own_daylight_saving_gap_is_kept(qtbot, window, screen, monkeypatch):
    """The time is helpline time, whatever the workstation's zone: on a workstation set to London, 01:30 on
    28 March 2027 does not exist there (its clocks go from 01:00 to 02:00), and Qt moved a callback agreed
    for 01:30 New Zealand time to 02:30. It is kept as agreed and stored as 12:30 UTC."""
    import os
    import time
    from datetime import datetime, timezone

    # 11:30 UTC is 00:30 on 28 March in Auckland (NZDT): the callback offered is an hour on, 01:30
    monkeypatch.setattr("console.ui.call.wrap_up.now", lambda: datetime(2027, 3, 27, 11, 30, tzinfo=timezone.utc))
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    try:
        screen.new_call()
        assert screen.callback_due.dateTime().toPython().replace(tzinfo=None) == datetime(2027, 3, 28, 1, 30)
        screen.family_name.setText("Pōtae")
        qtbot.keyClick(screen.family_name, Qt.Key_B, Qt.ControlModifier)
        qtbot.keyClick(screen.callback_due, Qt.Key_Return)
        qtbot.waitUntil(lambda: screen.callback_wanted.isChecked(), timeout=5000)
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    (due,) = [row[0] for row in window.worker.cache.db.conn.execute("SELECT due_at FROM callbacks")]
    assert due.startswith("2027-03-27T12:30:00")


def test_escape_on_the_callback_time_books_nothing_and_takes_it_away(qtbot, window, screen):
    """Trap 5: after Ctrl+B the time stayed on screen (and in the Tab order) for the rest of the call when
    the caller wanted no callback after all. Escape takes it away, books nothing, and the guidance has the focus."""
    screen.new_call()
    screen.family_name.setText("Pōtae")
    qtbot.keyClick(screen.family_name, Qt.Key_B, Qt.ControlModifier)
    assert screen.callback_due.isVisible() and screen.callback_due.hasFocus()
    qtbot.keyClick(screen.callback_due, Qt.Key_Escape)
    assert not screen.callback_due.isVisible() and screen.guidance_view.hasFocus()
    assert not screen.callback_wanted.isChecked()
    assert window.worker.cache.db.conn.execute("SELECT count(*) FROM callbacks").fetchone()[0] == 0
