"""Bad requests get a 4xx with one readable sentence, never a 500."""

import json

import pytest

from console.sync.protocol import MAX_BODY_BYTES

from tests.hub.bodies import attempt_item
from tests.hub.conftest import PASSWORD, WORKSTATION


@pytest.fixture
def operator(hub):
    return hub.token("op-17", "operator")


def refused(reply, status: int) -> str:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    assert set(reply.json()) == {"error"}
    sentence = reply.json()["error"]
    assert sentence[:1].isupper() and sentence.endswith("."), sentence
    return sentence


def post_push(hub, headers, content, content_type="application/json", **kwargs):
    return hub.client.post("/v1/push", headers={**headers, "Content-Type": content_type}, content=content, **kwargs)


def test_a_body_over_the_limit_is_413_with_or_without_its_length(hub, operator):
    too_big = b'{"workstation": "' + b"x" * MAX_BODY_BYTES + b'"}'
    sentence = refused(post_push(hub, operator, too_big), 413)
    assert f"{MAX_BODY_BYTES:,} bytes" in sentence

    def chunks():  # sent chunked, with no Content-Length
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    assert refused(post_push(hub, operator, chunks()), 413) == sentence


def test_a_body_at_the_limit_is_read(hub, operator):
    body = json.dumps({"workstation": WORKSTATION, "items": [attempt_item("a-1")], "audit_head": None})
    padded = body.encode() + b" " * (MAX_BODY_BYTES - len(body.encode()))
    reply = post_push(hub, operator, padded)
    assert reply.status_code == 200 and reply.json()["results"][0]["status"] == "stored"


# refused before anything reaches a database: one backend is enough (the fuzzing in test_openapi.py covers both)
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("content, content_type, expected", [
    (b'{"workstation": ', "application/json", "The request body is not valid JSON"),
    (b"", "application/json", "The request needs a JSON body."),
    (b"[1, 2]", "application/json", "The request body must be a JSON object"),
    (b'{"workstation": "ws-north-1", "items": []}', "text/plain", "The request body must be a JSON object"),
    (b'{"workstation": "ws-north-1", "items": [], "extra": 1}', "application/json",
     "The field extra is not part of this request; remove it."),
    (b'{"workstation": "ws-north-1"}', "application/json", "The field items is missing."),
    (b'{"workstation": 7, "items": []}', "application/json", "The field workstation: input should be a valid string"),
    (b'{"workstation": "ws north", "items": []}', "application/json", "The field workstation: string should match pattern"),
    (b'{"workstation": "ws-north-1", "items": {}}', "application/json", "The field items: input should be a valid list"),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "call", "id": "c"}]}', "application/json",
     "The field items[0].body is missing."),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "gossip", "id": "c", "body": {}}]}', "application/json",
     "The field items[0].kind: input should be 'call', 'callback', 'attempt', 'unlock', 'audit', 'escalation_ack' or "
     "'dial_intent'."),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "call", "id": "", "body": {}}]}', "application/json",
     "The field items[0].id: string should have at least 1 character"),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "call", "id": "c", "body": []}]}', "application/json",
     "The field items[0].body: input should be a valid dictionary"),
    (b'{"workstation": "ws-north-1", "items": [], "audit_head": {"seq": "5", "hash": "h"}}', "application/json",
     "The field audit_head.seq: input should be a valid integer"),
    (b'{"workstation": "ws-north-1", "items": [], "audit_head": {"seq": 1e400, "hash": "h"}}', "application/json",
     "The field audit_head.seq: input should be a valid integer"),
    (b'{"workstation": "ws-north-1", "items": [], "audit_head": {"seq": 99999999999999999999999, "hash": "h"}}',
     "application/json", "The field audit_head.seq: input should be less than or equal to"),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "attempt", "id": "a", "body": {"person_id": "P\\u0000"}}]}',
     "application/json", "The field items[0].body.person_id holds text that is not storable"),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "attempt", "id": "a", "body": {"\\ud800": 1}}]}',
     "application/json", "The field items[0].body.\\ud800 holds text that is not storable"),
    (b'[' * 100_000 + b']' * 100_000, "application/json", "The request body could not be read as JSON."),
    (b'{"workstation": "ws-north-1", "items": [{"kind": "call", "id": "c", "body": {"notes": '
     + b'{"a": ' * 900 + b'1' + b'}' * 900 + b'}}]}', "application/json",
     "The field items[0].body.notes.a.a"),
])
def test_malformed_pushes_are_refused_with_a_sentence_naming_the_field(hub, operator, content, content_type, expected):
    sentence = refused(post_push(hub, operator, content, content_type), 400)
    assert sentence.startswith(expected), sentence


def test_several_problems_are_counted_after_the_first(hub, operator):
    sentence = refused(post_push(hub, operator, b'{"items": 5, "other": 1}'), 400)
    assert sentence == "The field workstation is missing (and 2 more problems in this request)."


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("body, expected", [
    ({"operator_id": "op-1", "password": PASSWORD}, "The field workstation is missing."),
    ({"operator_id": 17, "password": PASSWORD, "workstation": WORKSTATION}, "The field operator_id: input should be"),
    ({"operator_id": "op-1", "password": "x" * 2000, "workstation": WORKSTATION},
     "The field password: string should have at most 1024 characters"),
    ({"operator_id": "op-1", "password": PASSWORD, "workstation": WORKSTATION, "remember": True},
     "The field remember is not part of this request"),
    ({"operator_id": "op-\x00", "password": PASSWORD, "workstation": WORKSTATION}, "The field operator_id holds text"),
])
def test_malformed_sign_ins_are_refused_with_a_sentence(hub, body, expected):
    sentence = refused(hub.client.post("/v1/sessions", json=body), 400)
    assert sentence.startswith(expected), sentence


def test_query_text_that_cannot_be_stored_is_refused(hub):
    supervisor = hub.token("sup-1", "supervisor")
    sentence = refused(hub.client.get("/v1/audit?person=P%00", headers=supervisor), 400)
    assert sentence.startswith("The query parameter person: ")
    refused(hub.client.get("/v1/audit", headers=supervisor, params={"limit": 0}), 400)


def test_unknown_paths_and_methods_are_sentences(hub, operator):
    assert "There is no /v1/nowhere on this hub" in refused(hub.client.get("/v1/nowhere"), 404)
    assert refused(hub.client.get("/v1/push", headers=operator), 405) == "GET is not allowed on /v1/push."
