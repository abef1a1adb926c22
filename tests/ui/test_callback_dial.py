"""Dialling a callback from the call screen (offscreen): the intent is
recorded and the number handed to the softphone as a tel: URI through the
desktop; an answered callback the hub's feed attests verifies the caller by
possession, an answered one it does not attest does not."""

import json
from datetime import date

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QDesktopServices

from console.core.policy import CallerClaim
from console.store import sync_state
from console.ui.operations import QueryOp

POTAE = CallerClaim(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))  # 09 401 7777


class Softphone(QObject):
    """The desktop's tel: handler, as the operator's softphone registers it."""

    def __init__(self):
        super().__init__()
        self.dialled = []

    @Slot("QUrl")
    def dial(self, url):
        self.dialled.append(url.toString())


@pytest.fixture
def softphone():
    phone = Softphone()
    QDesktopServices.setUrlHandler("tel", phone, "dial")
    yield phone
    QDesktopServices.unsetUrlHandler("tel")


@pytest.fixture
def dialling(qtbot, tmp_path, sample_register):
    """The window of op-ui, with an open callback to Wiremu Pōtae assigned to op-ui."""
    from console.store.cache import Cache
    from console.ui.app import build_window

    db_path = tmp_path / "cache.db"
    cache = Cache.open(db_path, operator="setup")
    cache.import_register(sample_register)
    callback_id = cache.book_callback(POTAE)["callback_id"]
    cache.assign_callback(callback_id, "op-ui")
    cache.close()
    window = build_window(db_path, operator="op-ui")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    screen = window.call_screen
    qtbot.waitUntil(lambda: screen.dial_choice.count() == 1, timeout=5000)
    yield window, screen, callback_id
    window.worker.shutdown()


def on_cache(qtbot, screen, op):
    """Run op(cache) on the window's cache thread and give its result."""
    results = []
    QueryOp(screen, op, results.append).run_in_background()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    return results[0]


def attest(qtbot, screen, callback_id):
    """The hub's feed brings the PBX's attestation of op-ui's dialled call."""
    change = {"seq": 1, "kind": "attestation", "id": callback_id,
              "body": {"callback_id": callback_id, "pbx": "pbx-1", "call_id": "out-1", "operator": "op-ui",
                       "answered_at": "2026-12-04T01:00:31.000000+00:00"}}
    on_cache(qtbot, screen, lambda cache: sync_state.apply_changes(cache.db, [change], 1))


def dial_answer_and_check(qtbot, screen, softphone, before_answer=lambda: None):
    assert "401" not in screen.dial_choice.currentText() and screen.dial_choice.currentText().endswith("…777")
    with qtbot.waitSignal(screen.sync_wanted, timeout=5000):  # the intent pushed at once when there is a hub
        qtbot.mouseClick(screen.dial_button, Qt.LeftButton)
    assert softphone.dialled == ["tel:+6494017777"]
    assert screen.call is not None and screen.call.callback_id
    before_answer()
    qtbot.mouseClick(screen.answered_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: screen.call.callback_outcome == "answered", timeout=5000)
    screen.family_name.setText("Pōtae")
    screen.given_name.setText("Wiremu")
    screen.dob.setText("24/12/1944")
    screen.request_check()
    qtbot.waitUntil(lambda: screen.call.verification is not None, timeout=5000)
    return screen.call.verification


def test_a_dialled_callback_the_pbx_attests_verifies_by_possession(qtbot, dialling, softphone):
    window, screen, callback_id = dialling
    # the PBX answered op-ui's outbound call to the number on file; the feed brings the attestation
    shown = dial_answer_and_check(qtbot, screen, softphone, lambda: attest(qtbot, screen, callback_id))
    assert shown["outcome"] == "verified" and shown["assurance"] == "possession"
    intents = on_cache(qtbot, screen, lambda cache: [json.loads(b) for (b,) in cache.db.execute(
        "SELECT body FROM outbox WHERE kind = 'dial_intent'")])
    assert [i["callback_id"] for i in intents] == [callback_id]
    assert not any(number in json.dumps(intents) for number in ("+6494017777", "09 401 7777", "094017777"))


def test_an_answered_callback_nobody_attested_does_not_verify(qtbot, dialling, softphone):
    window, screen, callback_id = dialling
    shown = dial_answer_and_check(qtbot, screen, softphone)
    assert shown["outcome"] != "verified"
