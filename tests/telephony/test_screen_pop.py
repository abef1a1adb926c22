"""The screen pop end to end: a real SIP call through Kamailio, answered by
operator A's extension (SIPp), reaches a real `hub serve` process as CTI
events, and the hub's live channel pops the call in A's window (offscreen,
signed in through the console's own live client) and in no one else's."""

from datetime import datetime, timezone

import httpx
import pytest

from tests.support.hub import PASSWORD
from tests.support.sip import Line, require_tools
from tests.ui.test_live_window import close_window, open_window

POP_MS = 60_000  # a generous deadline: the test waits for the event, never for time


@pytest.fixture
def line(tmp_path):
    require_tools()
    running = Line({"data": str(tmp_path / "hub")}, tmp_path, operators=(
        ("op-a", "operator"), ("op-b", "operator"), ("sup-1", "supervisor")),
        extensions={"op-a": "agent-1001", "op-b": "agent-2002"})
    yield running
    running.stop()


def test_a_real_sip_answer_pops_the_call_in_the_answering_operators_window_only(qtbot, tmp_path, sample_register,
                                                                               line):
    hub = line.hub
    mine = open_window(qtbot, tmp_path / "a", sample_register, hub, "op-a", in_process=False)
    theirs = open_window(qtbot, tmp_path / "b", sample_register, hub, "op-b", in_process=False)
    seen_by_b = []
    theirs.live.event_arrived.connect(seen_by_b.append)
    try:
        callers = line.callers("caller_answered", "agent_answers", calls=1, pause_ms=1000).start()
        screen = mine.call_screen
        qtbot.waitUntil(lambda: screen.call is not None, timeout=POP_MS)
        (answer,) = [e for e in line.events() if e["event"] == "answer"]
        assert answer["user"] == "agent-1001"
        # the clock started at the answer: Kamailio's dialog:start (the 200 OK), as the PBX stamped it
        answered = datetime.fromtimestamp(float(answer["at"]), timezone.utc)
        assert abs((screen.call.started_at - answered).total_seconds()) < 0.001
        assert screen.call.pbx_call_id == answer["callId"]
        assert screen.calling_from_label.isVisible()
        assert f"Calling from {answer['from']}" in screen.calling_from_label.text()
        assert screen.phone.text() == ""  # caller ID is shown, never used as a factor

        # B's stream is in order: a message broadcast after the answer reaches B first of all, with no call
        sup = httpx.post(hub.url + "/v1/sessions", json={"operator_id": "sup-1", "password": PASSWORD,
                                                         "workstation": "ws-sup"}, auth=hub.auth, timeout=30)
        with qtbot.waitSignal(theirs.live.event_arrived, timeout=POP_MS):
            assert httpx.post(hub.url + "/v1/message", json={"text": "Counts confirmed."}, auth=hub.auth, timeout=30,
                              headers={"Authorization": f"Bearer {sup.json()['token']}"}).status_code == 200
        assert [event["type"] for event in seen_by_b] == ["message"]
        assert theirs.call_screen.call is None and not theirs.call_screen.pop_banner.isVisible()
        # the caller hangs up: A's call keeps the cause; SIPp counts its call as gone right
        qtbot.waitUntil(lambda: screen.call.hangup_cause is not None, timeout=POP_MS)
        assert (screen.call.hangup_cause, screen.call.pbx_call_id) == ("normalClearing", answer["callId"])
        counts = callers.finish()
        assert (counts.successful, counts.failed) == (1, 0)
        assert [event["type"] for event in seen_by_b] == ["message"]
    finally:
        close_window(qtbot, mine)
        close_window(qtbot, theirs)
