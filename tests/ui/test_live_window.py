"""The line in the real window (offscreen), over a real hub's live channel:
an answer pops a call with its clock at the answer and the calling number as
"calling from" only; an open call is never touched by a pop; the live message
a supervisor publishes reaches this workstation's call screen, and the saved
call records the version shown."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from console.core.timeutil import parse_instant
from console.hub import live
from tests.support.hub import prepare_hub
from tests.support.live import ThreadedHub, sign_in
from tests.ui.test_call_flow import saved_calls


@pytest.fixture
def line(tmp_path):
    """A hub on a thread of this process (its live channel reachable by live.publish), with accounts."""
    location = {"data": str(tmp_path / "hub")}
    prepare_hub(location, operators=(("op-ui", "operator"), ("sup-1", "supervisor")))
    hub = ThreadedHub(location).start()
    yield hub
    hub.stop()


def open_window(qtbot, tmp_path, sample_register, hub, operator: str, in_process: bool = True):
    """A workstation set to `hub`, `operator` signed in to it, its live stream
    open (with in_process, a ThreadedHub's: its channel is asked too)."""
    from console.store.cache import Cache
    from console.sync.tokens import save_token
    from console.ui.app import build_window

    db_path = tmp_path / f"{operator}.db"
    cache = Cache.open(db_path, operator="setup")
    cache.import_register(sample_register)
    cache.set_setting("hub_url", hub.url)
    workstation = cache.workstation
    cache.close()
    save_token(hub.url, operator, workstation, sign_in(hub.url, operator, workstation))
    window = build_window(db_path, operator=operator)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.live is not None and window.live.client.state == "live", timeout=30_000)
    if in_process:
        qtbot.waitUntil(lambda: live.channel.listening(operator) > 0, timeout=10_000)
    return window


def close_window(qtbot, window):
    window.call_screen.call = None  # closing asks for an open call to be saved first
    window.close()
    window.worker.shutdown()


def answer(call_id: str, answered: datetime) -> dict:
    return {"type": "answer", "callId": call_id, "from": "+6421555123", "queue": "breach", "waitSeconds": 81.5,
            "answeredAt": answered.isoformat()}


def save(qtbot, screen):
    screen.skip_reason.setText("caller had to go")
    screen.save_call()
    qtbot.waitUntil(lambda: screen.call is None, timeout=10_000)


@pytest.fixture
def window(qtbot, tmp_path, sample_register, line):
    window = open_window(qtbot, tmp_path, sample_register, line, "op-ui")
    yield window
    close_window(qtbot, window)


def test_an_answer_pops_the_call_with_its_clock_at_the_answer(qtbot, window):
    screen = window.call_screen
    answered = datetime.now(timezone.utc) - timedelta(seconds=7)
    live.publish("op-ui", answer("pbx-1001", answered))
    qtbot.waitUntil(lambda: screen.call is not None, timeout=10_000)
    assert screen.call.started_at == answered
    assert screen.handle_time() >= timedelta(seconds=7)
    assert screen.calling_from_label.isVisible() and "+6421555123" in screen.calling_from_label.text()
    assert "not a verification" in screen.calling_from_label.text()
    assert screen.phone.text() == ""  # caller ID can be forged: never a factor, never filled in
    live.publish("op-ui", {"type": "hangup", "callId": "pbx-1001", "cause": "normalClearing", "hungUpBy": "caller",
                           "talkSeconds": 95})
    qtbot.waitUntil(lambda: screen.call.hangup_cause is not None, timeout=10_000)
    assert "ended by the caller" in screen.call_state_label.text()
    save(qtbot, screen)
    (record,) = saved_calls(window)
    assert parse_instant(record["started_at"]) == answered.replace(microsecond=0)
    assert {k: record.get(k) for k in ("pbx_call_id", "queue", "wait_seconds", "talk_seconds", "hangup_cause",
                                       "hung_up_by")} == {
        "pbx_call_id": "pbx-1001", "queue": "breach", "wait_seconds": 81.5, "talk_seconds": 95,
        "hangup_cause": "normalClearing", "hung_up_by": "caller"}
    assert "6421555123" not in json.dumps(record)  # the number is shown, not kept with the call


def test_a_pop_never_touches_the_open_call(qtbot, window):
    screen = window.call_screen
    screen.new_call()
    screen.family_name.setText("Pōtae")
    before = (screen.call.call_id, screen.call.started_at, screen.call.clock_started)
    live.publish("op-ui", answer("pbx-1002", datetime.now(timezone.utc)))
    qtbot.waitUntil(lambda: screen.pop_banner.isVisible(), timeout=10_000)
    assert (screen.call.call_id, screen.call.started_at, screen.call.clock_started) == before
    assert screen.call.pbx_call_id is None and screen.family_name.text() == "Pōtae"
    assert not screen.calling_from_label.isVisible()
    assert "not opened" in screen.pop_banner.text()


def test_the_supervisors_message_reaches_this_call_screen_and_the_call_keeps_its_version(qtbot, window, line):
    from console.sync.client import HubClient

    screen = window.call_screen
    with HubClient(line.url, sign_in(line.url, "sup-1", "ws-sup"), auth=line.auth) as supervisor:
        started = time.monotonic()
        with qtbot.waitSignal(window.live.event_arrived, timeout=10_000,
                              check_params_cb=lambda event: event["type"] == "message"):
            published = supervisor.publish_message("Counts confirmed: 3,400. Blank notification e-mails are a "
                                                   "known fault: say so.")
    assert time.monotonic() - started < 10
    assert screen.message_label.isVisible() and "Blank notification e-mails" in screen.message_label.text()
    assert screen.message_version == published["version"]
    screen.new_call()
    save(qtbot, screen)
    (record,) = saved_calls(window)
    assert record["message_version"] == published["version"]


def test_an_operator_cannot_publish_the_message_from_the_dashboard(qtbot, window):
    # this workstation has no accounts yet (setup mode), so the dashboard opens; the hub says no
    window.dashboard_action.trigger()
    view = window.supervisor
    view.message_text.setPlainText("Counts confirmed.")
    view.publish_message()
    qtbot.waitUntil(lambda: view.publish_button.isEnabled() and "Not published" in view.message_status.text(),
                    timeout=10_000)
    assert "supervisor" in view.message_status.text()


def test_a_supervisor_publishes_from_the_dashboard(qtbot, tmp_path, sample_register, line, window):
    boss = open_window(qtbot, tmp_path / "boss", sample_register, line, "sup-1")
    try:
        boss.dashboard_action.trigger()
        view = boss.supervisor
        view.message_text.setPlainText("Calls about blank e-mails: they are a known fault.")
        with qtbot.waitSignal(window.live.event_arrived, timeout=10_000):
            view.publish_message()
        qtbot.waitUntil(lambda: "Version 1 published" in view.message_status.text(), timeout=10_000)
        assert "blank e-mails" in window.call_screen.message_label.text()
    finally:
        close_window(qtbot, boss)
