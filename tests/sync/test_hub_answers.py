"""The workstation trusts the hub's answers no more than the hub trusts it:
every answer is checked against the protocol, an item leaves the outbox only
on a valid acknowledgement of that item, and a malformed, truncated or HTML
answer is a sentence and a retry, never a traceback."""

import json
from datetime import datetime, timezone

import httpx
import pytest

from console.store import attempts, sync_state
from console.store.connection import write_transaction
from console.store.outbox import outbox_count
from console.sync.client import HubAnswerInvalid, HubClient, HubUnreachable
from console.sync.engine import Sync, SyncFailed

AT = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
EMPTY_PAGE = {"changes": [], "cursor": 0, "more": False}


def hub_answering(push=None, changes=None):
    """A HubClient whose hub answers a push with `push(sent_items)` and the feed with `changes`."""
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/push":
            return push(json.loads(request.content)["items"])
        if request.url.path == "/v1/changes":
            return changes if isinstance(changes, httpx.Response) else httpx.Response(200, json=changes or EMPTY_PAGE)
        return httpx.Response(404, json={"error": "No register has been imported on this hub yet."})

    return HubClient("http://hub.test", "token", transport=httpx.MockTransport(handle))


def queued(cache, persons=("S0001", "S0002")) -> int:
    with write_transaction(cache.db):
        attempts.record_failed_attempts(cache.db, list(persons), AT, operator=cache.operator,
                                        workstation=cache.workstation)
    return outbox_count(cache.db)


def sync(cache, client) -> None:
    Sync(cache.db, client, cache.workstation, cache.operator).run()


def answer(results) -> httpx.Response:
    return httpx.Response(200, json={"results": results, "audit_alert": None})


def test_a_result_without_a_status_leaves_the_item_queued(cache):
    """Before, an answer with no status for an item still removed it from the outbox."""
    assert queued(cache) == 2
    client = hub_answering(lambda items: answer([{"kind": i["kind"], "id": i["id"]} for i in items]))
    with pytest.raises(HubAnswerInvalid, match="a result's status is one of stored, duplicate"):
        sync(cache, client)
    assert outbox_count(cache.db) == 2
    assert sync_state.acknowledge(cache.db, sync_state.outbox_batch(cache.db, 10),
                                  [{"kind": "attempt", "id": i["id"]} for i in sync_state.outbox_batch(cache.db, 10)]
                                  ) == {}
    assert outbox_count(cache.db) == 2


@pytest.mark.parametrize("results", [
    [{"kind": "attempt", "id": "not-sent", "status": "stored"}],
    [{"kind": "call", "id": "x", "status": "stored"}, 7],
    [{"status": "stored"}],
], ids=["another item", "not an object", "no kind or id"])
def test_a_result_for_something_not_sent_is_an_invalid_answer_and_nothing_leaves(cache, results):
    queued(cache)
    with pytest.raises(HubAnswerInvalid):
        sync(cache, hub_answering(lambda items: answer(results)))
    assert outbox_count(cache.db) == 2


@pytest.mark.parametrize("response, sentence", [
    (httpx.Response(200, text="<html><body>Proxy login</body></html>", headers={"content-type": "text/html"}),
     "was not JSON (text/html"),
    (httpx.Response(200, text='{"results": [{"kind": "attempt", "id"', headers={"content-type": "application/json"}),
     "was not JSON (application/json"),
    (httpx.Response(200, json=[1, 2, 3]), "a push reply has results"),
    (httpx.Response(200, json={"results": [], "audit_alert": 5}), "audit_alert is a sentence or null"),
    (httpx.Response(502, text="<html>Bad gateway</html>"), "The hub answered 502 Bad Gateway"),
], ids=["html", "truncated", "a list", "alert not text", "a proxy's 502"])
def test_a_malformed_truncated_or_html_answer_is_a_sentence_and_a_retry(cache, response, sentence):
    queued(cache)
    with pytest.raises(HubUnreachable) as raised:  # the loop and the command line retry later
        sync(cache, hub_answering(lambda items: response))
    assert sentence in str(raised.value)
    assert "<html" not in str(raised.value)
    assert outbox_count(cache.db) == 2


@pytest.mark.parametrize("page, sentence", [
    ({"changes": [{"seq": 1, "kind": "account"}], "cursor": 1, "more": False}, "a change has a kind, an id"),
    ({"changes": [{"seq": 2, "kind": "attempt", "id": "a", "body": {}},
                  {"seq": 1, "kind": "attempt", "id": "b", "body": {}}], "cursor": 2, "more": False},
     "increasing seq order"),
    ({"changes": [], "cursor": "7", "more": False}, "cursor is a whole number"),
    ({"changes": [{"seq": 3, "kind": "attempt", "id": "a", "body": {}}], "cursor": 2, "more": False},
     "at or past the last change"),
], ids=["no id or body", "out of order", "cursor as text", "cursor behind"])
def test_a_page_of_changes_that_breaks_the_protocol_is_not_applied(cache, page, sentence):
    with pytest.raises(HubAnswerInvalid, match=sentence):
        sync(cache, hub_answering(lambda items: answer([]), changes=page))
    assert sync_state.change_cursor(cache.db) == 0


def test_a_change_whose_body_cannot_be_applied_is_a_sentence_and_nothing_of_its_page_is_kept(cache):
    page = {"changes": [{"seq": 1, "kind": "escalation_ack", "id": "c", "body": {"call_id": "c"}}],
            "cursor": 1, "more": False}
    with pytest.raises(SyncFailed, match="cannot apply"):
        sync(cache, hub_answering(lambda items: answer([]), changes=page))
    assert sync_state.change_cursor(cache.db) == 0


def test_a_refused_item_leaves_the_outbox_and_is_kept_aside_counted_by_kind(cache):
    queued(cache)
    refusal = "A attempt record needs a supervisor's session; this one is an operator's."
    client = hub_answering(lambda items: answer(
        [{"kind": items[0]["kind"], "id": items[0]["id"], "status": "refused", "message": refusal},
         {"kind": items[1]["kind"], "id": items[1]["id"], "status": "stored"}]))
    sync(cache, client)
    assert outbox_count(cache.db) == 0
    assert sync_state.refused_counts(cache.db) == {"attempt": 1}
    assert sync_state.conflicts(cache.db) == []
    assert cache.sync_status()["refused"] == {"attempt": 1}


def hub_enrolling(answer: httpx.Response):
    return httpx.MockTransport(lambda request: answer)


@pytest.mark.parametrize("reply, sentence", [
    ({"workstation": "ws-1"}, "lacks enrolled_at"),
    ({"workstation": "ws-1", "enrolled_at": "last Tuesday"}, "enrolled_at"),
    ({"workstation": "ws-1", "enrolled_at": "2026-11-20T09:00:00"}, "enrolled_at"),  # no offset: whose clock?
    ({"workstation": "", "enrolled_at": "2026-11-20T09:00:00+00:00"}, "lacks workstation"),
    ("<html>a proxy</html>", "was not JSON"),
])
def test_an_enrolment_answer_that_breaks_the_protocol_is_a_sentence_and_nothing_is_kept(reply, sentence):
    from console.sync.device import enrol, load_device

    response = (httpx.Response(200, json=reply) if isinstance(reply, dict)
                else httpx.Response(200, text=reply, headers={"content-type": "text/html"}))
    with pytest.raises(HubAnswerInvalid, match=sentence):
        enrol("http://hub.test", "CODE-1", transport=hub_enrolling(response))
    assert load_device("http://hub.test") is None


def test_the_enrolment_time_the_hub_answers_is_kept_beside_the_device():
    from console.sync.device import enrol, load_device

    answer = httpx.Response(200, json={"workstation": "ws-1", "enrolled_at": "2026-11-20T09:00:00.000000+00:00"})
    enrol("http://hub.test", "CODE-1", transport=hub_enrolling(answer))
    kept = load_device("http://hub.test")
    assert (kept.workstation, kept.enrolled_at) == ("ws-1", "2026-11-20T09:00:00.000000+00:00")


def test_every_client_to_the_hub_checks_its_certificate_through_one_shared_tls_context(tmp_path):
    """The sync and live clients share one TLS context (building one costs ~20 ms of CPU, once
    per client before), and sharing it verifies no less: a hub whose certificate no trusted
    authority signed is unreachable, with a sentence."""
    import datetime as dt
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from console.sync.client import tls_context
    from console.sync.live_client import LiveClient

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "hub.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(tmp_path / "hub.pem")
    server.socket = served.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        context = tls_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        with HubClient(f"https://127.0.0.1:{server.server_address[1]}") as one, HubClient("https://hub.test") as two:
            assert one._http._transport._pool._ssl_context is context is two._http._transport._pool._ssl_context
            with pytest.raises(HubUnreachable, match="cannot be reached"):
                one.health()
        live = LiveClient("https://hub.test", lambda: "token", on_event=lambda event: None)
        try:
            assert live._http._transport._pool._ssl_context is context
        finally:
            live._http.close()
    finally:
        server.shutdown()
        server.server_close()
