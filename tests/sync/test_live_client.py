"""The workstation's live client (console/sync/live_client.py): every event is
checked against the protocol, a malformed one is skipped with a log line that
quotes nothing of it, and a reconnection says the last id it saw."""

import logging
import threading

import httpx

from console.store import sync_state
from console.sync.live_client import LiveClient, SSEParser

GOOD = ('{"type":"answer","callId":"pbx-9","from":"+6421555123","queue":"breach","waitSeconds":3,'
        '"answeredAt":"2026-12-04T16:30:05+00:00"}')


def stream_of(*bodies: str, seen: list | None = None):
    """A transport answering GET /v1/live with each body in turn (an SSE stream each), recording the requests."""
    answers = iter(bodies)

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = next(answers, None)
        if body is None:
            return httpx.Response(503, json={"error": "The hub is stopping."})
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handle)


def test_a_malformed_event_is_skipped_and_logged_without_its_contents(caplog):
    body = ("retry: 2000\n: live\n\n"
            "id: e-1\nevent: answer\ndata: {not json +6421555123\n\n"
            "id: e-2\nevent: answer\ndata: {\"type\":\"answer\",\"callId\":\"pbx-8\",\"from\":\"+6421555123\","
            "\"answeredAt\":\"soon\"}\n\n"
            "id: e-3\nevent: hangup\ndata: " + GOOD + "\n\n"
            "id: e-4\nevent: answer\ndata: " + GOOD + "\n\n")
    events = []
    client = LiveClient("http://hub.test", lambda: "t0k3n", events.append, transport=stream_of(body))
    with caplog.at_level(logging.WARNING, logger="console.sync.live"):
        assert client.listen_once()
    assert [e["callId"] for e in events] == ["pbx-9"]
    assert client.last_event_id == "e-4"
    skipped = [r.getMessage() for r in caplog.records]
    assert len(skipped) == 3 and all("skipped" in line for line in skipped)
    assert not any("6421555123" in line or "pbx-8" in line for line in skipped)  # nothing of the event itself


def test_a_reconnection_sends_last_event_id_and_backs_off():
    requests: list[httpx.Request] = []
    first = "id: hub-7\n\n"  # the id alone moves the cursor
    second = "id: hub-8\nevent: answer\ndata: " + GOOD + "\n\n"
    delivered = threading.Event()
    client = LiveClient("http://hub.test", lambda: "t0k3n", lambda e: delivered.set(),
                        transport=stream_of(first, second, seen=requests), backoff=(0.01, 0.02))
    runner = threading.Thread(target=client.run)
    runner.start()
    try:
        assert delivered.wait(10)
    finally:
        client.close()
        runner.join(10)
    assert "last-event-id" not in requests[0].headers
    assert requests[1].headers["last-event-id"] == "hub-7"
    assert requests[1].headers["authorization"] == "Bearer t0k3n"
    assert client.state == "stopped"


def test_the_parser_follows_the_event_stream_format():
    parser = SSEParser()
    frames = [parser.feed(line) for line in (": keep-alive", "", "id: 5", "event: message", "data: {\"a\":", "data: 1}",
                                             "")]
    done = [f for f in frames if f is not None]
    assert len(done) == 1 and (done[0].id, done[0].event, done[0].data) == ("5", "message", "{\"a\":\n1}")


def test_the_message_fed_at_sync_is_kept_newest_first(cache):
    message = {"type": "message", "version": 2, "text": "Counts confirmed.", "author": "sup-1",
               "publishedAt": "2026-12-04T16:30:05+00:00"}
    sync_state.apply_changes(cache.db, [{"seq": 1, "kind": "message", "id": "2", "body": message}], 1)
    older = dict(message, version=1, text="Old news.")
    sync_state.apply_changes(cache.db, [{"seq": 2, "kind": "message", "id": "1", "body": older}], 2)
    assert cache.synced_message() == message
