"""The live channel (console/hub/live.py): an operator's events reach that
operator's streams only, within a second; a reconnection with Last-Event-ID
gets what it missed; supervisors alone publish the live message."""

import time
from datetime import datetime, timezone

import pytest

from console.hub import live
from tests.hub.bodies import call_item
from tests.support.hub import HubProcess, prepare_hub
from tests.support.live import Stream, ThreadedHub, device_auth, sign_in


def answer(call_id="pbx-1") -> dict:
    return {"type": "answer", "callId": call_id, "from": "+6421555123", "queue": "breach", "waitSeconds": 42.5,
            "answeredAt": datetime.now(timezone.utc).isoformat()}


@pytest.fixture
def threaded_hub(database_location):
    prepare_hub(database_location, operators=(("op-1", "operator"), ("op-2", "operator"), ("sup-1", "supervisor")))
    hub = ThreadedHub(database_location).start()
    yield hub
    hub.stop()


def test_an_operators_event_reaches_that_operators_stream_only(threaded_hub):
    first = Stream(threaded_hub.url, sign_in(threaded_hub.url, "op-1", "ws-1"))
    second = Stream(threaded_hub.url, sign_in(threaded_hub.url, "op-2", "ws-2"))
    try:
        published = time.monotonic()
        live.publish("op-1", answer("pbx-77"))
        got = first.next()
        assert time.monotonic() - published < 1.0  # "within a second"
        assert got["type"] == "answer" and got["callId"] == "pbx-77" and got["queue"] == "breach"
        # a broadcast after it: the other operator's next event is the broadcast, never op-1's answer
        sup = {"Authorization": f"Bearer {sign_in(threaded_hub.url, 'sup-1', 'ws-3')}"}
        import httpx

        assert httpx.post(threaded_hub.url + "/v1/message", json={"text": "Counts confirmed: 3,400."},
                          headers=sup, timeout=30, auth=device_auth(threaded_hub.url)).status_code == 200
        message = second.next()
        assert (message["type"], message["version"], message["author"]) == ("message", 1, "sup-1")
        assert first.next() == message
    finally:
        first.close()
        second.close()


def test_a_reconnection_with_last_event_id_gets_what_it_missed(threaded_hub):
    import httpx

    token = sign_in(threaded_hub.url, "op-1", "ws-1")
    stream = Stream(threaded_hub.url, token)
    live.publish("op-1", answer("pbx-1"))
    assert stream.next()["callId"] == "pbx-1"
    seen = stream.last_event_id
    stream.close()
    # while it is away: an answer for it, one for someone else, and a message for all
    live.publish("op-1", answer("pbx-2"))
    live.publish("op-2", answer("pbx-3"))
    live.broadcast({"type": "message", "version": 9, "text": "Blank e-mails are a known fault.", "author": "sup-1",
                    "publishedAt": datetime.now(timezone.utc).isoformat()})
    again = Stream(threaded_hub.url, token, last_event_id=seen)
    try:
        assert again.next()["callId"] == "pbx-2"
        assert again.next()["version"] == 9
        live.publish("op-1", answer("pbx-4"))
        assert again.next()["callId"] == "pbx-4"  # pbx-3 was never op-1's, pbx-1 not sent twice
    finally:
        again.close()


def test_a_malformed_event_is_never_published(threaded_hub):
    with pytest.raises(ValueError, match="answeredAt"):
        live.publish("op-1", {**answer(), "answeredAt": "yesterday"})
    with pytest.raises(ValueError, match="cause"):
        live.publish("op-1", {"type": "hangup", "callId": "pbx-1", "cause": "gone"})


def test_the_message_missed_while_away_arrives_on_reconnection(database_location, tmp_path):
    """A real `hub serve` process: the message a supervisor publishes while a
    workstation's stream is down reaches it when it reconnects with Last-Event-ID."""
    import httpx

    prepare_hub(database_location, operators=(("op-1", "operator"), ("sup-1", "supervisor")))
    hub = HubProcess(database_location, tmp_path / "hub").start()
    try:
        token = sign_in(hub.url, "op-1", "ws-1")
        sup = {"Authorization": f"Bearer {sign_in(hub.url, 'sup-1', 'ws-2')}"}
        stream = Stream(hub.url, token)
        assert httpx.post(hub.url + "/v1/message", json={"text": "v1"}, headers=sup, timeout=30,
                          auth=hub.auth).status_code == 200
        assert stream.next()["text"] == "v1"
        seen = stream.last_event_id
        stream.close()
        assert httpx.post(hub.url + "/v1/message", json={"text": "v2: say the counts are confirmed"}, headers=sup,
                          timeout=30, auth=hub.auth).json()["version"] == 2
        again = Stream(hub.url, token, last_event_id=seen)
        try:
            missed = again.next()
            assert (missed["version"], missed["text"]) == (2, "v2: say the counts are confirmed")
        finally:
            again.close()
        # a stream that starts afresh is given the message in force first
        fresh = Stream(hub.url, token)
        try:
            assert fresh.next()["version"] == 2
        finally:
            fresh.close()
        assert httpx.get(hub.url + "/v1/live", timeout=30).status_code == 401
    finally:
        hub.stop()


def test_only_a_supervisor_publishes_the_message(hub):
    operator = hub.token("op-1")
    supervisor = hub.token("sup-1", "supervisor")
    assert hub.client.get("/v1/message", headers=operator).status_code == 404
    refused = hub.client.post("/v1/message", json={"text": "All fine."}, headers=operator)
    assert refused.status_code == 403 and "supervisor" in refused.json()["error"]
    assert hub.client.post("/v1/message", json={"text": "x" * 1001}, headers=supervisor).status_code == 400
    assert hub.client.post("/v1/message", json={"text": "   "}, headers=supervisor).status_code == 400
    published = hub.client.post("/v1/message", json={"text": "Counts confirmed."}, headers=supervisor).json()
    assert (published["version"], published["author"]) == (1, "sup-1")
    assert hub.client.get("/v1/message", headers=operator).json() == published
    # fed at sync too, for a workstation whose live channel is down
    feed = hub.client.get("/v1/changes", headers=operator).json()["changes"]
    assert [c["body"] for c in feed if c["kind"] == "message"] == [published]


def test_a_call_keeps_what_the_line_said(hub):
    headers = hub.token("op-17")
    line = {"pbx_call_id": "1701.42-" + "x" * 200, "queue": "breach", "wait_seconds": 81.5, "talk_seconds": 300,
            "hangup_cause": "normalClearing", "hung_up_by": "caller", "message_version": 3}
    item = call_item(started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     ended=datetime.now(timezone.utc).isoformat(timespec="seconds"), **line)
    reply = hub.push(headers, [item])
    assert reply.json()["results"][0]["status"] == "stored", reply.text
    with hub.db.read() as tx:
        row = tx.one("SELECT pbx_call_id, queue, wait_seconds, talk_seconds, hangup_cause, hung_up_by, "
                     "message_version FROM calls WHERE call_id = ?", [item["id"]])
    assert list(row) == list(line.values())
    for bad, word in (({"pbx_call_id": "x" * 251}, "pbx_call_id"), ({"wait_seconds": -1}, "wait_seconds"),
                      ({"hangup_cause": "hungry"}, "hangup_cause"), ({"message_version": "3"}, "message_version"),
                      ({"queue": "breach"}, "pbx_call_id")):
        broken = call_item(started=item["body"]["started_at"], ended=item["body"]["ended_at"])
        broken["body"].update(bad)
        answer = hub.push(headers, [broken])
        assert answer.status_code == 400 and word in answer.json()["error"], answer.text


def test_closing_a_stream_ends_it_at_once_not_at_the_hubs_next_keepalive(threaded_hub, monkeypatch):
    """Sign-out and closing the window close the live stream: the reading thread returns when the client is
    closed, not when the hub next writes (a quiet hub writes only every KEEPALIVE_SECONDS)."""
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 3600.0)
    streams = [Stream(threaded_hub.url, sign_in(threaded_hub.url, operator, f"ws-{n}"))
               for n, operator in enumerate(("op-1", "op-2"))]
    for n, stream in enumerate(streams):
        live.publish(f"op-{n + 1}", answer(f"pbx-{n}"))
        assert stream.next()["callId"] == f"pbx-{n}"
    for stream in streams:
        stream.client.close()
    for stream in streams:
        stream.thread.join(timeout=30)
        assert not stream.thread.is_alive()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_answer_posted_to_one_hub_process_reaches_a_stream_held_by_another(database_location, tmp_path):
    """Two `hub serve` processes on one PostgreSQL database (behind one load
    balancer): the PBX's answer posted to the first reaches the operator's
    stream held by the second within a second (LISTEN/NOTIFY), and only theirs."""
    import httpx

    from console.hub import telephony
    from console.hub.storage import open_database

    prepare_hub(database_location, operators=(("op-a", "operator"), ("op-b", "operator")))
    db = open_database(**database_location)
    try:
        cti = "/v1/cti/" + telephony.add_pbx(db, "pbx-1")
        telephony.map_extension(db, "op-a", "agent-1001")
        telephony.map_extension(db, "op-b", "agent-1002")
    finally:
        db.close()
    first = HubProcess(database_location, tmp_path / "first").start()
    second = HubProcess(database_location, tmp_path / "second").start()
    try:
        mine = Stream(second.url, sign_in(second.url, "op-a", "ws-a"))
        theirs = Stream(second.url, sign_in(second.url, "op-b", "ws-b"))
        call = {"callId": "pbx-77", "from": "+6421555001", "to": "0800111222", "direction": "in",
                "queue": "helpline"}
        assert httpx.post(first.url + cti, json={"event": "newCall", **call, "user": ["agent-1001"]},
                          timeout=30).status_code == 200
        import psycopg

        db = open_database(**database_location)
        try:  # what is not a live event on the hubs' channel is skipped, and the listening goes on
            name = live.Bridge(db, live.channel).name
        finally:
            db.close()
        with psycopg.connect(database_location["database_url"], autocommit=True) as conn:
            for junk in ("not json", '{"origin": "elsewhere", "to": "op-a", "event": {"type": "answer"}}',
                         '{"origin": "elsewhere", "to": 7, "event": {}}'):
                conn.execute("SELECT pg_notify(%s, %s)", [name, junk])
        posted = time.monotonic()
        assert httpx.post(first.url + cti, json={"event": "answer", **call, "user": "agent-1001"},
                          timeout=30).status_code == 200
        popped = mine.next()
        assert time.monotonic() - posted < 1.0
        assert (popped["type"], popped["callId"], popped["from"]) == ("answer", "pbx-77", "+6421555001")
        other = {**call, "callId": "pbx-78"}  # then a call op-b answers: the first event op-b's stream gets
        for kind in ("newCall", "answer"):
            assert httpx.post(first.url + cti, json={"event": kind, **other, "user": "agent-1002"},
                              timeout=30).status_code == 200
        assert theirs.next()["callId"] == "pbx-78"
        mine.close(), theirs.close()
    finally:
        first.stop(), second.stop()
