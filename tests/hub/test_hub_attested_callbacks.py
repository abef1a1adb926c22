"""Attested callbacks on the hub (policy v2, "Callback route"): a dial intent
pushed by the operator's workstation and the PBX's outbound newCall to that
number from that operator's extension, followed by answer, within
DIAL_WINDOW, make an attestation of that callback, fed to that operator and to
supervisors; anything else makes none. On both backends."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from console.core import attest
from console.hub import telephony
from console.sync.protocol import callback_item_id

from tests.hub.bodies import callback_item
from tests.hub.conftest import WORKSTATION

NUMBER = "09 401 7777"  # the number on file
E164 = "+6494017777"


@pytest.fixture
def line(hub):
    """op-1 (extension 1001) and op-2 (1002) signed in, a callback cb-1 assigned to op-1 on the hub, a PBX."""
    line = Line(hub)
    yield line


class Line:
    def __init__(self, hub):
        self.hub = hub
        self.op1 = hub.token("op-1")
        self.op2 = hub.token("op-2")
        self.sup = hub.token("sup-1", "supervisor")
        telephony.map_extension(hub.db, "op-1", "1001")
        telephony.map_extension(hub.db, "op-2", "1002")
        self.cti = "/v1/cti/" + telephony.add_pbx(hub.db, "pbx-1")
        self.callback(revision=1, assigned_to="op-1")

    def callback(self, revision, callback_id="cb-1", headers=None, **fields):
        reply = self.hub.push(headers or self.sup, [callback_item(callback_id, revision, **fields)])
        assert [r["status"] for r in reply.json()["results"]] == ["stored"], reply.text

    def dial(self, at=None, callback_id="cb-1", number=NUMBER, operator="op-1", headers=None, **body):
        intent_id = str(uuid.uuid4())
        item = {"kind": "dial_intent", "id": intent_id, "body": {
            "intent_id": intent_id, "callback_id": callback_id, "operator": operator, "workstation": WORKSTATION,
            "at": (at or datetime.now(timezone.utc)).isoformat(),
            "number_digest": attest.number_digest(callback_id, number), **body}}
        return self.hub.push(headers or self.op1, [item])

    def event(self, kind, call_id, at, frm="1001", to=E164, **extra):
        body = {"event": kind, "callId": call_id, "from": frm, "to": to, "direction": "out", "user": frm,
                "at": at.isoformat(), **extra}
        reply = self.hub.client.post(self.cti, json=body)
        assert reply.status_code == 200, reply.text

    def call(self, call_id, new_at, answered=True, **options):
        self.event("newCall", call_id, new_at, **options)
        if answered:
            self.event("answer", call_id, new_at + timedelta(seconds=12), **options)
        self.event("hangup", call_id, new_at + timedelta(seconds=90), cause="normalClearing", **options)

    def attestations(self) -> list[tuple]:
        with self.hub.db.read() as tx:
            return tx.all("SELECT callback_id, pbx, call_id, operator FROM callback_attestations ORDER BY call_id")

    def fed(self, headers) -> list[dict]:
        reply = self.hub.client.get("/v1/changes", params={"after": 0, "limit": 1000}, headers=headers)
        return [c["body"] for c in reply.json()["changes"] if c["kind"] == "attestation"]

    def listed(self) -> dict:
        reply = self.hub.client.get("/v1/callbacks", params={"which": "all"}, headers=self.sup)
        return {c["callback_id"]: c["attested"] for c in reply.json()["callbacks"]}


def statuses(reply) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [r["status"] for r in reply.json()["results"]]


def test_intent_then_the_operators_answered_outbound_call_to_the_number_attests_the_callback(line):
    now = datetime.now(timezone.utc)
    assert statuses(line.dial(now - timedelta(minutes=3))) == ["stored"]
    line.call("out-1", now - timedelta(minutes=2))
    assert line.attestations() == [("cb-1", "pbx-1", "out-1", "op-1")]
    (fed,) = line.fed(line.op1)
    assert fed["callback_id"] == "cb-1" and fed["operator"] == "op-1" and fed["call_id"] == "out-1"
    assert fed["answered_at"] and set(fed) == {"callback_id", "pbx", "call_id", "operator", "answered_at"}
    assert line.fed(line.sup) == [fed] and line.fed(line.op2) == []  # the workstations concerned only
    # the hub re-checks with the same rule: attested once op-1 completes it as answered
    assert line.listed() == {"cb-1": False}
    line.callback(2, headers=line.op1, assigned_to="op-1", status="closed", outcome="answered", completed_by="op-1",
                  completed_at=now.isoformat())
    assert line.listed() == {"cb-1": True}


def test_the_intent_may_reach_the_hub_after_the_pbxs_events(line):
    now = datetime.now(timezone.utc)
    line.call("out-2", now - timedelta(minutes=2))
    assert line.attestations() == []
    assert statuses(line.dial(now - timedelta(minutes=3))) == ["stored"]
    assert line.attestations() == [("cb-1", "pbx-1", "out-2", "op-1")]


def test_events_in_any_order_and_repeated_attest_once(line):
    now = datetime.now(timezone.utc)
    line.dial(now - timedelta(minutes=3))
    line.event("answer", "out-3", now - timedelta(minutes=1))
    assert line.attestations() == []  # no newCall yet: not known to be outbound to that number from 1001
    line.event("newCall", "out-3", now - timedelta(minutes=2))
    line.event("newCall", "out-3", now - timedelta(minutes=2))
    line.event("answer", "out-3", now - timedelta(minutes=1))
    assert line.attestations() == [("cb-1", "pbx-1", "out-3", "op-1")]
    assert len(line.fed(line.op1)) == 1


@pytest.mark.parametrize("case", ["another extension", "another number", "no intent", "after the window",
                                  "never answered", "inbound", "unmapped extension", "another operators intent"])
def test_nothing_else_attests(line, case):
    now = datetime.now(timezone.utc)
    intent_at, new_at, options, answered = now - timedelta(minutes=3), now - timedelta(minutes=2), {}, True
    if case == "another extension":
        options = {"frm": "1002"}
    elif case == "another number":
        options = {"to": "+6494017778"}
    elif case == "after the window":
        intent_at = now - attest.DIAL_WINDOW - timedelta(minutes=3)
    elif case == "never answered":
        answered = False
    elif case == "inbound":
        options = {"direction": "in", "frm": E164, "to": "1001"}
    elif case == "unmapped extension":
        options = {"frm": "1999"}
    if case == "another operators intent":
        line.callback(2, assigned_to="op-2")
        assert statuses(line.dial(intent_at, operator="op-2", headers=line.op2)) == ["stored"]
    elif case != "no intent":
        assert statuses(line.dial(intent_at)) == ["stored"]
    line.call("out-x", new_at, answered=answered, **options)
    assert line.attestations() == []
    assert line.fed(line.op1) == [] and line.fed(line.sup) == []
    line.callback(3, headers=line.op1, assigned_to="op-1", status="closed", outcome="answered", completed_by="op-1",
                  completed_at=now.isoformat())
    assert line.listed() == {"cb-1": False}


def test_an_intent_is_the_pushing_operators_for_a_callback_assigned_to_them_never_in_the_future(line):
    now = datetime.now(timezone.utc)
    line.callback(1, callback_id="cb-2", assigned_to="op-2")
    refused = {
        "credited to another": line.dial(now, operator="op-9"),
        "not assigned to them": line.dial(now, callback_id="cb-2"),
        "no such callback": line.dial(now, callback_id="cb-none"),
        "in the future": line.dial(now + timedelta(minutes=6)),
    }
    for case, reply in refused.items():
        (result,) = reply.json()["results"]
        assert result["status"] == "refused" and result["message"], case
    assert "credited to op-9" in refused["credited to another"].json()["results"][0]["message"]
    assert "not an open callback assigned to op-1" in refused["not assigned to them"].json()["results"][0]["message"]
    bad = line.dial(now, number_digest="09 401 7777")
    assert bad.status_code == 400 and "number_digest" in bad.json()["error"]
    with line.hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM dial_intents") == 0
        assert tx.value("SELECT count(*) FROM refused_pushes WHERE kind = 'dial_intent'") == 4


def test_a_repeated_intent_is_a_duplicate_and_a_changed_one_a_conflict(line):
    now = datetime.now(timezone.utc)
    item = line.dial(now).json()["results"][0]["id"]
    with line.hub.db.read() as tx:
        body = tx.open("dial_intents", item, "body",
                       tx.value("SELECT body FROM dial_intents WHERE intent_id = ?", [item]))
    import json

    again = {"kind": "dial_intent", "id": item, "body": json.loads(body)}
    assert statuses(line.hub.push(line.op1, [again])) == ["duplicate"]
    again["body"]["number_digest"] = attest.number_digest("cb-1", "021 555 0192")
    assert statuses(line.hub.push(line.op1, [again])) == ["conflict"]


def test_an_intents_number_digest_is_sealed_at_rest(line):
    """The digest is keyed by the callback's id, which the hub holds in clear: on file it would
    let anyone who reads the database try the numbers until one matches, so it is sealed."""
    now = datetime.now(timezone.utc)
    digest = attest.number_digest("cb-1", NUMBER)
    assert statuses(line.dial(now)) == ["stored"]
    with line.hub.db.read() as tx:
        stored = repr(tx.all("SELECT * FROM dial_intents"))
    assert digest not in stored
    line.call("out-1", now + timedelta(seconds=5))
    assert line.attestations() == [("cb-1", "pbx-1", "out-1", "op-1")]
