"""The keystroke goals of issue 15: the six kinds of call, driven through the real window by keys,
stay within the goals (a code-verified call in at most 15 command keys, an extortion contact with its
scam report in at most 22), and every call is saved as driven, complete: the topic of each script
delivered, the outcome and a note (the window before issue 15 took 30 and 40 keys for the same records:
tests/perf/bench_keystrokes.py --baseline ecb2982^)."""

from datetime import date

import pytest

from tests.support.call_keys import (BUDGETS, GOALS, KINDS, NOTE, OUTCOMES, TOPIC_OF_SCRIPT, drive_all,
                                     pick_callers, write_register)
from test_call_flow import saved_calls


@pytest.fixture
def demo_window(qtbot, tmp_path):
    from tests.support.window import window_on

    register = write_register(tmp_path / "register")
    window = window_on(register, "op-keys", tmp_path)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.session is not None, timeout=10_000)
    yield window, register
    window.worker.shutdown()


def test_the_six_calls_stay_within_the_keystroke_goals(qtbot, demo_window):
    window, register = demo_window
    callers = pick_callers(register, date.today())
    counts = drive_all(window, lambda condition, ms: qtbot.waitUntil(condition, timeout=ms), callers)
    for kind, goal in GOALS.items():
        assert counts[kind].keys <= goal, (kind, counts[kind].keys, counts[kind].steps)
    over = {kind: (counts[kind].keys, counts[kind].steps) for kind in KINDS if counts[kind].keys > BUDGETS[kind]}
    assert not over
    records = saved_calls(window)
    assert len(records) == len(KINDS)
    by_kind = dict(zip(KINDS, records))
    assert by_kind["parent-of-14"]["relationship"] == "parent"
    assert "distress" in by_kind["distressed"]["flags"]
    extortion = by_kind["extortion-scam"]
    assert extortion["flags"] == ["extortion"]
    assert extortion["scam_report"] == {"channel": "text", "contact": "022 123 4567", "claimed_identity": "their GP",
                                        "asked_for": "card details"}
    assert by_kind["not-verified-callback"]["outcome"] == "callback"
    for kind, record in by_kind.items():
        delivered = [item["id"] for item in record["guidance_delivered"]]
        assert set(record["topics"]) >= {TOPIC_OF_SCRIPT[i] for i in delivered if i in TOPIC_OF_SCRIPT}, kind
        assert record["outcome"] == OUTCOMES.get(kind, "resolved") and record["notes"].startswith(NOTE), kind
