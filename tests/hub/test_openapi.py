"""The hub against its own OpenAPI document, with schemathesis: generated
requests, valid and invalid, never get a 5xx or an error that is not a
sentence, and without a token (or with a bogus one) no protected operation
ever succeeds.

The cases come from schemathesis' Hypothesis strategies (`as_strategy`) run
with `@given` inside each test, so every test keeps its own hub and database
fixture on each backend.
"""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from console.hub.app import WORKSTATION_ID, make_app
from console.hub.sessions import issue_token

from tests.hub.conftest import WORKSTATION

EXAMPLES = 25  # per operation and backend: enough to walk each field's edges, quick enough to run every time
DOCUMENT = make_app(db=None).openapi()  # the document needs no database
OPERATIONS = [pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
              for path, methods in DOCUMENT["paths"].items() for method in methods]
NOT_A_TOKEN = ({}, {"Authorization": "Bearer bogus-token"}, {"Authorization": "Basic c3VwLTE6cHc="})


def signed_by(device, token: str):
    """A requests auth hook (schemathesis sends with requests) signing as the enrolled workstation."""
    from console.core.device_proof import SIGNATURE_HEADER, WORKSTATION_HEADER, request_message

    def sign(request):
        body = request.body or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        request.headers[WORKSTATION_HEADER] = device.workstation
        request.headers[SIGNATURE_HEADER] = device.sign(request_message(request.method, request.path_url, body, token))
        return request

    return sign


def fresh_token(hub, case, operator_id: str = "sup-1") -> str:
    """A token of that account, made directly (a generated DELETE /v1/sessions
    ends the session it is given), for the workstation a generated push names,
    so the push's items are checked rather than refused for their workstation."""
    named = case.body.get("workstation") if isinstance(case.body, dict) else None
    workstation = named if isinstance(named, str) and re.fullmatch(WORKSTATION_ID, named) else WORKSTATION
    with hub.db.write() as tx:
        token, _ = issue_token(tx, operator_id, workstation, hub.device.workstation)
    return token


def cases(operation):
    modes = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            modes.append(operation.as_strategy(mode))
        except Exception:  # an operation with nothing to get wrong has no negative cases
            pass
    return st.one_of(modes)


def without_authorization(case) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}


def assert_answered_properly(case, response) -> None:
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"].endswith("."), response.text


SUPERVISOR_ONLY = ("unlocks", "escalation_acks")  # what no operator's push may store (console.core.authorship)


def supervisor_records(hub) -> int:
    with hub.db.read() as tx:
        return sum(tx.value(f"SELECT count(*) FROM {table}") for table in SUPERVISOR_ONLY)


def streams_end_at_their_first_quiet_moment(monkeypatch) -> None:
    """GET /v1/live answers a stream that lasts as long as its session; a generated request cannot read an
    endless body, so here each stream ends at its first quiet moment, as it does when its session ends
    (what the stream carries is tested in tests/hub/test_live.py)."""
    from types import SimpleNamespace

    from console.hub import live

    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.0)
    monkeypatch.setattr(live, "sessions", SimpleNamespace(session_for=lambda *_: "The session has ended."))


@pytest.mark.parametrize("role", ["supervisor", "operator"])
@pytest.mark.parametrize("method, path", OPERATIONS)
def test_generated_requests(hub, method, path, role, monkeypatch):
    streams_end_at_their_first_quiet_moment(monkeypatch)
    account = hub.add("sup-1" if role == "supervisor" else "op-1", role)
    operation = schemathesis.openapi.from_asgi("/openapi.json", hub.app)[path][method]
    protected = bool(operation.definition.raw.get("security"))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases(operation), not_a_token=st.sampled_from(NOT_A_TOKEN))
    def exercise(case, not_a_token):
        without_authorization(case)
        token = fresh_token(hub, case, account)
        assert_answered_properly(case, case.call(headers={"Authorization": f"Bearer {token}"},
                                                 auth=signed_by(hub.device, token)))
        if role == "operator":
            assert supervisor_records(hub) == 0
        if protected:
            response = case.call(headers=not_a_token)
            assert_answered_properly(case, response)
            assert not 200 <= response.status_code < 300, (not_a_token, response.status_code)

    exercise()
