"""Real SIP calls through the shipped Kamailio configuration, placed and
answered by SIPp, reaching the hub as CTI events (on both hub backends)."""

from collections import defaultdict

import pytest

from tests.support.sip import Line, independent_figures, queue_of_burst, require_tools

BURST_CALLS, BURST_ABANDONED = 1000, 200  # at 10 calls a second, 20% abandoned (issue 16)


def by_call(events) -> dict:
    calls = defaultdict(list)
    for event in events:
        calls[event["callId"]].append((event["event"], event.get("cause")))
    return calls


def test_answered_cancelled_and_busy_calls_give_zammads_events(line):
    expected = {"caller_answered": [("newCall", None), ("answer", None), ("hangup", "normalClearing")],
                "caller_gives_up": [("newCall", None), ("hangup", "cancel")],
                "caller_busy": [("newCall", None), ("hangup", "busy")]}
    agents = {"caller_answered": "agent_answers", "caller_gives_up": "agent_rings", "caller_busy": "agent_busy"}
    delivered = 0
    for scenario, events in expected.items():
        counts = line.callers(scenario, agents[scenario], calls=1).run()
        assert (counts.successful, counts.failed) == (1, 0), scenario
        delivered += len(events)
        line.kamailio.wait_delivered(delivered)
        newest = list(by_call(line.events()).values())[-1]
        assert newest == events, (scenario, newest)
    answer = [e for e in line.events() if e["event"] == "answer"][0]
    assert answer["user"] == "agent-1001" and answer["queue"] == "helpline" and answer["from"].startswith("+642155")


def incomplete(line) -> dict:
    """The calls whose events the hub holds only in part (to tell a lost event from a slow one)."""
    whole = (["answer", "hangup", "newCall"], ["hangup", "newCall"])
    return {call: kinds for call, kinds in
            ((call, sorted(kind for kind, _ in events)) for call, events in by_call(line.events()).items())
            if kinds not in whole}


def hub_figures(line, events) -> dict:
    return queue_of_burst(line.hub, events)


def check_burst(line, answered, gave_up) -> None:
    """The hub's queue figures for a finished burst equal SIPp's own counts and the event log's."""
    sipp_answered, sipp_gave_up = answered.finish(), gave_up.finish()
    assert (sipp_answered.failed, sipp_gave_up.failed) == (0, 0)
    try:
        line.kamailio.wait_delivered(3 * sipp_answered.successful + 2 * sipp_gave_up.successful)
    except AssertionError as stalled:
        raise AssertionError(f"{stalled}\nCalls the hub holds without all their events: {incomplete(line)}") from None
    events = line.events()
    figures = hub_figures(line, events)["overall"]
    assert figures["offered"] == sipp_answered.successful + sipp_gave_up.successful == BURST_CALLS
    assert figures["answered"] == sipp_answered.successful
    assert figures["abandoned"] + figures["short_abandoned"] == sipp_gave_up.successful
    independent = independent_figures(events)
    assert {name: figures[name] for name in independent} == independent
    assert figures["waiting_now"] == 0


@pytest.mark.slow(seconds=110)
def test_a_burst_of_1000_calls_gives_the_same_figures_from_sipp_the_event_log_and_the_hub(tmp_path,
                                                                                        postgres_database_url):
    """1,000 calls at 10 a second, 20% given up while ringing, on each backend at once (one 100-s burst)."""
    require_tools()
    lines, bursts = {}, {}
    try:
        lines["sqlite"] = Line({"data": str(tmp_path / "sqlite" / "hub")}, tmp_path / "sqlite")
        lines["postgresql"] = Line({"database_url": postgres_database_url}, tmp_path / "postgresql")
        rates = {"answered": 10 * (BURST_CALLS - BURST_ABANDONED) / BURST_CALLS, "gave_up": 10 * BURST_ABANDONED / BURST_CALLS}
        bursts.update({name: (line.callers("caller_answered", "agent_answers", BURST_CALLS - BURST_ABANDONED,
                                      rate=rates["answered"]).start(),
                         line.callers("caller_gives_up", "agent_rings", BURST_ABANDONED, rate=rates["gave_up"]).start())
                  for name, line in lines.items()})
        for name, line in lines.items():
            try:
                check_burst(line, *bursts[name])
            except AssertionError as failed:
                raise AssertionError(f"on {name}: {failed}") from None
    finally:
        for callers in (c for pair in bursts.values() for c in pair):
            callers.stop()
        for line in lines.values():
            line.stop()


@pytest.mark.slow(seconds=15)
def test_the_hub_killed_during_a_burst_loses_no_event_and_counts_none_twice(line):
    calls = 100
    callers = line.callers("caller_answered", "agent_answers", calls, rate=10).start()
    line.kamailio.wait_delivered(30)
    line.hub.kill()
    line.kamailio.wait_for(lambda k: k.retries >= 1, "retried a post while the hub was down")
    line.hub.start()
    counts = callers.finish()
    assert (counts.successful, counts.failed) == (calls, 0)
    line.kamailio.wait_delivered(3 * calls)
    events = line.events()
    assert len(events) == 3 * calls
    assert all(sorted(e for e, _ in call) == ["answer", "hangup", "newCall"] for call in by_call(events).values())
    figures = hub_figures(line, events)["overall"]
    assert (figures["offered"], figures["answered"], figures["waiting_now"]) == (calls, calls, 0)
