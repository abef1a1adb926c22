"""console.telephony_relay: events Kamailio handed over survive the relay's
own kill -9 and the hub's absence, and reach the hub once each."""

import httpx
import pytest


@pytest.mark.slow(seconds=10)
def test_the_relay_keeps_every_event_across_its_kill_and_the_hubs_absence(relayed_line):
    line, calls = relayed_line, 40
    line.hub.kill()  # the hub is down for the whole burst
    callers = line.callers("caller_answered", "agent_answers", calls, rate=10).start()
    line.kamailio.wait_delivered(20)  # accepted by the relay (202), on its disk
    line.relay.kill()
    line.kamailio.wait_for(lambda k: k.retries >= 1, "retried a post while the relay was down")
    line.relay.start()
    counts = callers.finish()
    assert (counts.successful, counts.failed) == (calls, 0)
    line.kamailio.wait_delivered(3 * calls)  # every event on the relay's disk
    assert line.relay.delivered == 0
    line.hub.start()
    # a post the relay stored but was killed before answering is stored again: wait for an empty queue
    line.relay.wait_for(lambda r: r.delivered >= 3 * calls and r.queued == 0, f"delivered all {3 * calls} events")
    events = line.events()
    assert len(events) == 3 * calls == len({(e["callId"], e["event"]) for e in events})
    # each event posted at least once; a post whose answer was lost is posted again and counted once by the hub
    assert line.relay.delivered >= 3 * calls


def test_the_relay_refuses_an_event_without_a_length(relayed_line):
    answer = httpx.post(relayed_line.relay.url, content=iter([b"{}"]), timeout=10)
    assert answer.status_code == 411 and "Content-Length" in answer.json()["error"]
