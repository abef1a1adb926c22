"""Sign-in, tokens, the sign-in rate limit, and who may call what."""

import hashlib

import pytest

from console.hub.accounts import disable_operator
from console.sync.protocol import SIGN_IN_FAILURES, SIGN_IN_WINDOW_SECONDS, TOKEN_HOURS

from tests.hub.conftest import PASSWORD, WORKSTATION

# every endpoint that needs a token, with a request it accepts once signed in
PROTECTED = [
    ("DELETE", "/v1/sessions", None),
    ("POST", "/v1/push", {"workstation": WORKSTATION, "items": [], "audit_head": None}),
    ("GET", "/v1/changes", None),
    ("GET", "/v1/register", None),
    ("GET", "/v1/register/1/snapshot", None),
    ("GET", "/v1/stats", None),
    ("GET", "/v1/audit", None),
    ("GET", "/v1/audit/chains", None),
    ("GET", "/v1/callbacks", None),
    ("GET", "/v1/locked", None),
]
SUPERVISOR_ONLY = ["/v1/stats", "/v1/audit", "/v1/audit/chains", "/v1/callbacks", "/v1/locked"]


def test_sign_in_gives_a_token_kept_only_as_its_digest(hub):
    hub.add("op-1", "supervisor")
    reply = hub.sign_in("op-1")
    assert reply.status_code == 200
    body = reply.json()
    assert body["operator_id"] == "op-1" and body["role"] == "supervisor"
    assert set(body) == {"token", "operator_id", "role", "expires_at"}
    with hub.db.read() as tx:
        stored = tx.all("SELECT token_sha256, operator_id, workstation, created_at, expires_at FROM tokens")
    assert len(stored) == 1
    digest, operator_id, workstation, created_at, expires_at = stored[0]
    assert digest == hashlib.sha256(body["token"].encode()).hexdigest()
    assert (operator_id, workstation, expires_at) == ("op-1", WORKSTATION, body["expires_at"])
    from datetime import datetime

    lasts = datetime.fromisoformat(expires_at) - datetime.fromisoformat(created_at)
    assert lasts.total_seconds() == TOKEN_HOURS * 3600
    assert hub.client.get("/v1/changes", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200


def test_wrong_password_and_unknown_id_get_the_same_sentence(hub):
    hub.add("op-1")
    wrong = hub.sign_in("op-1", "not the password")
    unknown = hub.sign_in("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "wrong" in wrong.json()["error"]


def test_a_disabled_account_is_answered_exactly_like_a_wrong_password(hub):
    hub.add("op-1")
    disable_operator(hub.db, "op-1")
    right = hub.sign_in("op-1")
    guess = hub.sign_in("op-1", "a guess at it")
    assert right.status_code == guess.status_code == 401  # the answer confirms no password
    assert right.json() == guess.json()


def test_too_many_failures_are_refused_with_429_and_retry_after(hub):
    hub.add("op-1")
    for _ in range(SIGN_IN_FAILURES):
        assert hub.sign_in("op-1", "wrong password").status_code == 401
    refused = hub.sign_in("op-1")  # even the right password, until the window passes
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= SIGN_IN_WINDOW_SECONDS
    assert "Too many failed sign-ins" in refused.json()["error"]
    # another operator is not held back; the account is, from any address (a growing delay)
    hub.add("op-2")
    assert hub.sign_in("op-2").status_code == 200
    elsewhere = hub.client_at("10.0.0.9")
    throttled = elsewhere.post("/v1/sessions", json={"operator_id": "op-1", "password": PASSWORD,
                                                     "workstation": WORKSTATION})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


def test_failures_older_than_the_window_no_longer_count(hub):
    hub.add("op-1")
    for _ in range(SIGN_IN_FAILURES):
        hub.sign_in("op-1", "wrong password")
    with hub.db.write() as tx:
        tx.execute("UPDATE sign_in_failures SET at = at - ?", [SIGN_IN_WINDOW_SECONDS + 1])
    assert hub.sign_in("op-1").status_code == 200


def test_a_right_password_clears_the_failures(hub):
    hub.add("op-1")
    for _ in range(SIGN_IN_FAILURES - 1):
        hub.sign_in("op-1", "wrong password")
    assert hub.sign_in("op-1").status_code == 200
    for _ in range(SIGN_IN_FAILURES - 1):
        assert hub.sign_in("op-1", "wrong password").status_code == 401
    assert hub.sign_in("op-1").status_code == 200


def test_an_expired_token_is_refused(hub):
    headers = hub.token("op-1")
    with hub.db.write() as tx:
        tx.execute("UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000000+00:00'")
    reply = hub.client.get("/v1/changes", headers=headers)
    assert reply.status_code == 401
    assert "expired" in reply.json()["error"]
    assert reply.headers["WWW-Authenticate"] == "Bearer"


def test_disabling_an_account_revokes_its_tokens(hub):
    headers = hub.token("op-1")
    assert disable_operator(hub.db, "op-1") == 1
    reply = hub.client.get("/v1/changes", headers=headers)
    assert reply.status_code == 401


def test_signing_out_ends_only_that_session(hub):
    first = hub.token("op-1")
    second_reply = hub.sign_in("op-1", workstation="ws-south-2")
    second = {"Authorization": f"Bearer {second_reply.json()['token']}"}
    assert hub.client.delete("/v1/sessions", headers=first).status_code == 204
    assert hub.client.get("/v1/changes", headers=first).status_code == 401
    assert hub.client.get("/v1/changes", headers=second).status_code == 200


@pytest.mark.parametrize("method, path, payload", PROTECTED)
def test_every_protected_endpoint_needs_a_valid_token(hub, method, path, payload):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic b3A6cHc="}):
        reply = hub.client.request(method, path, headers=headers, json=payload)
        assert reply.status_code == 401, (headers, reply.text)
        assert reply.json()["error"].endswith(".")


@pytest.mark.parametrize("path", SUPERVISOR_ONLY)
def test_supervisor_endpoints_refuse_operators_with_a_sentence(hub, path):
    operator = hub.token("op-1", "operator")
    reply = hub.client.get(path, headers=operator)
    assert reply.status_code == 403
    assert reply.json() == {"error": "Only a supervisor or an admin may read this; op-1 is an operator."}
    for role in ("supervisor", "admin"):
        assert hub.client.get(path, headers=hub.token(f"{role}-1", role)).status_code == 200


def test_health_needs_no_token(hub):
    assert hub.client.get("/v1/health").json()["ok"] is True


def test_enrolling_again_keeps_when_the_workstation_was_first_enrolled(hub_db):
    """What it made before its new key is still its own: the hub judges records by the first enrolment."""
    from console.hub.workstations import create_enrolment, enrol, list_workstations
    from console.sync.device import Device

    def enrolled_at() -> str:
        return next(w["enrolled_at"] for w in list_workstations(hub_db) if w["workstation"] == "ws-again")

    enrol(hub_db, create_enrolment(hub_db, "ws-again", created_by="test")["code"], Device.generate().public_key())
    first = enrolled_at()
    enrol(hub_db, create_enrolment(hub_db, "ws-again", created_by="test")["code"], Device.generate().public_key())
    assert enrolled_at() == first


def test_the_enrolment_answer_carries_the_first_enrolment_time_as_the_workstation_checks_it(hub):
    """The workstation judges what it records by it (console.store.enrolment), as the hub judges a push."""
    from console.hub.workstations import create_enrolment, list_workstations
    from console.sync.device import Device
    from console.sync.protocol import check_enrolled

    def enrol_once():
        code = create_enrolment(hub.db, "ws-answer", created_by="test")["code"]
        reply = hub.client.post("/v1/workstations", json={"code": code, "public_key": Device.generate().public_key()})
        assert reply.status_code == 200, reply.text
        return check_enrolled(reply.json())

    first = enrol_once()
    listed = next(w["enrolled_at"] for w in list_workstations(hub.db) if w["workstation"] == "ws-answer")
    assert first == {"workstation": "ws-answer", "enrolled_at": listed}
    assert enrol_once()["enrolled_at"] == listed  # enrolled again: still the first time
