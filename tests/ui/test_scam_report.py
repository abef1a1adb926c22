"""The extortion flag and its scam report are one control for one event (issue 15): Alt+X flags the
contact and opens the report's fields in place; the record carries the flag with its report, and a
new call starts with an empty report on its first channel."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QGroupBox

from test_call_flow import Keys, saved_calls
from test_call_traps import check_verified_caller


def test_alt_x_opens_the_scam_report_in_place_and_enter_goes_back_to_the_guidance(qtbot, window, screen):
    assert not [box for box in window.findChildren(QGroupBox) if box.isCheckable()]  # no second control
    assert "Ctrl+R" not in [a.shortcut().toString() for a in window.actions()]
    screen.new_call()
    check_verified_caller(qtbot, screen)
    assert not screen.scam_channel.isVisible()
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_Space)  # opening delivered
    keys.press(Qt.Key_X, Qt.AltModifier)  # one key: the flag and its report
    assert screen.flag_boxes["extortion"].isChecked()
    assert screen.scam_channel.isVisible() and screen.scam_channel.hasFocus()
    keys.type("T")  # Text
    keys.press(Qt.Key_Return)  # Enter moves to the next field of the report
    assert screen.scam_contact.hasFocus()
    keys.type("022 123 4567")
    keys.press(Qt.Key_Return)
    keys.type("their GP")
    keys.press(Qt.Key_Return)
    assert screen.scam_asked.hasFocus()
    keys.type("card details")
    keys.press(Qt.Key_Return)  # the report is done: back to the guidance, on the script the flag made due
    assert screen.guidance_view.hasFocus()
    assert screen.guidance_view.currentIndex().data(Qt.UserRole) == "extortion"
    while screen.guidance.undelivered:
        keys.press(Qt.Key_Space)
    keys.press(Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    (record,) = saved_calls(window)
    assert record["flags"] == ["extortion"]
    assert record["scam_report"] == {"channel": "text", "contact": "022 123 4567", "claimed_identity": "their GP",
                                     "asked_for": "card details"}


def test_unflagging_extortion_closes_the_report_and_the_record_carries_none(qtbot, window, screen):
    screen.new_call()
    check_verified_caller(qtbot, screen)
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_X, Qt.AltModifier)
    keys.type("E")
    keys.press(Qt.Key_X, Qt.AltModifier)  # pressed by mistake: undone
    assert not screen.flag_boxes["extortion"].isChecked() and not screen.scam_channel.isVisible()
    assert QApplication.focusWidget() is screen.guidance_view  # back where the operator was
    for _ in list(screen.guidance.undelivered):
        screen.tick_current_script()
    screen.save_call()
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    (record,) = saved_calls(window)
    assert record["flags"] == [] and record.get("scam_report") is None


def test_the_scam_channel_and_fields_start_afresh_with_each_call(qtbot, window, screen):
    keys = Keys(qtbot, window)
    screen.new_call()
    check_verified_caller(qtbot, screen)
    keys.press(Qt.Key_X, Qt.AltModifier)
    keys.type("E")  # Email
    assert screen.scam_channel.currentData() == "email"
    keys.press(Qt.Key_Return)
    keys.type("scammer@example.com")
    screen.skip_reason.setText("caller had to go")
    keys.press(Qt.Key_S, Qt.ControlModifier)
    keys.press(Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: screen.call is None, timeout=5000)
    assert saved_calls(window)[0]["scam_report"]["channel"] == "email"
    keys.press(Qt.Key_N, Qt.ControlModifier)
    assert not screen.scam_channel.isVisible()
    keys.press(Qt.Key_X, Qt.AltModifier)
    assert screen.scam_channel.currentData() == "call" and screen.scam_contact.text() == ""
    assert not screen.scam_contact.isUndoAvailable()


def test_a_booked_callback_goes_back_to_the_guidance_and_enter_on_a_choice_goes_on(qtbot, window, screen):
    keys = Keys(qtbot, window)
    keys.press(Qt.Key_N, Qt.ControlModifier)
    keys.press(Qt.Key_Backtab)
    assert screen.caller_type.hasFocus()
    keys.type("R")  # Representative of the patient
    keys.press(Qt.Key_Return)  # Enter goes on to what is still to ask: the relationship
    assert screen.relationship.hasFocus()
    keys.type("P")
    keys.press(Qt.Key_Return)
    assert screen.family_name.hasFocus()
    for edit, text in ((screen.family_name, "Pōtae"), (screen.given_name, "Wiremu"), (screen.dob, "24/12/1944"),
                       (screen.code, "ZZZZ-ZZZZ")):
        edit.setText(text)
    screen.check_caller()
    qtbot.waitUntil(lambda: screen.call.verification is not None, timeout=5000)
    keys.press(Qt.Key_B, Qt.ControlModifier)
    keys.press(Qt.Key_Return)
    qtbot.waitUntil(lambda: screen.callback_wanted.isChecked(), timeout=5000)
    assert screen.guidance_view.hasFocus()
