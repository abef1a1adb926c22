"""Attested callbacks on the hub (policy v2, "Callback route"): an operator's
dial intent, pushed by their workstation, and the PBX's answered outbound
call to that number from that operator's extension make an attestation of
the callback, fed to that operator and to supervisors.

An intent (push kind `dial_intent`) names the callback, the operator, the
time and the dialled number as a digest keyed by the callback's id
(console.core.attest.number_digest): the hub never holds the number on file
itself, and seals the digest with the intent's body (console/hub/sealing.py):
the callback's id is no secret, so a digest in clear would give the number to
whoever tried them all. Whichever arrives last, the intent or the call's second event, looks
for its match (console.core.attest.dial_attests decides); a PBX call attests
at most one callback, and an attestation is stored and fed once. Whether a
callback is attested is then the one rule, console.core.attest.callback_attested,
given the callback's newest revision and its attestations.
"""

import re
from datetime import datetime, timezone

from console.core import attest
from console.core.timeutil import parse_instant, utc_text
from console.hub.changes import append_change

DIGEST = re.compile(r"^[0-9a-f]{64}$")
INTENT_KEYS = ("intent_id", "callback_id", "operator", "workstation", "at", "number_digest")
FED = ("callback_id", "pbx", "call_id", "operator", "answered_at")  # what a workstation is told of an attestation


def digest_problem(value) -> str | None:
    if isinstance(value, str) and DIGEST.match(value):
        return None
    return "number_digest must be the 64 hexadecimal digits of console.core.attest.number_digest."


def intent_refusal(tx, body: dict) -> str | None:
    """Why the hub refuses a dial intent its author may otherwise push: the
    callback must be one the hub holds, assigned to the intent's operator."""
    row = tx.one("SELECT assigned_to FROM callbacks WHERE callback_id = ?", [body.get("callback_id")])
    if row is None or row[0] != body.get("operator"):
        return (f"This dial intent is for callback {body.get('callback_id')}, which is not an open callback "
                f"assigned to {body.get('operator')} on the hub; a supervisor can assign it.")
    return None


def store_intent(tx, intent_id: str, body: dict, text: str, at: str) -> None:
    """Keep a checked, new dial intent and attest the calls it matches."""
    tx.execute("INSERT INTO dial_intents (intent_id, callback_id, operator, workstation, at, number_digest, body, "
               "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [intent_id, body["callback_id"], body["operator"], body["workstation"],
                utc_text(parse_instant(body["at"])),
                tx.seal("dial_intents", intent_id, "number_digest", body["number_digest"]),
                tx.seal("dial_intents", intent_id, "body", text), at])
    start = parse_instant(body["at"]) - attest.CLOCK_SKEW
    rows = tx.all("SELECT pbx, call_id FROM cti_calls WHERE direction = 'out' AND answer_at IS NOT NULL "
                  "AND new_at >= ? AND new_at <= ? ORDER BY new_at",
                  [utc_text(start), utc_text(parse_instant(body["at"]) + attest.DIAL_WINDOW)])
    for pbx, call_id in rows:
        attest_call(tx, pbx, call_id)


def _outbound_call(tx, pbx: str, call_id: str) -> dict | None:
    """The call as console.core.attest.dial_attests reads it, from its stored
    events (their bodies sealed: opened by console.hub.telephony.stored_events):
    the number dialled and the extensions named (the newCall's `from` and
    `user`, the answer's `user`) with the operators mapped to them."""
    from console.hub.telephony import operators_for, stored_events  # telephony calls attest_call

    call = {"direction": None, "number": None, "new_at": None, "answer_at": None}
    extensions = set()
    rows = tx.all("SELECT pbx, call_id, event, body, at FROM cti_events WHERE pbx = ? AND call_id = ?",
                  [pbx, call_id])
    for event, at in stored_events(tx, rows):
        if event.event == "newCall":
            call.update(direction=event.direction, number=event.to_number, new_at=at)
            extensions.update((event.from_number, *event.users))
        elif event.event == "answer":
            call["answer_at"] = at
            extensions.update(event.users)
    if call["direction"] != "out" or call["answer_at"] is None:
        return None
    call["operators"] = set(operators_for(tx, sorted(extensions)))
    return call


def attest_call(tx, pbx: str, call_id: str) -> None:
    """After an event of an outbound call is stored: if the call is answered
    and attests a dial intent, record and feed the attestation (once)."""
    if tx.one("SELECT 1 FROM callback_attestations WHERE pbx = ? AND call_id = ?", [pbx, call_id]):
        return
    call = _outbound_call(tx, pbx, call_id)
    if call is None or not call["operators"]:
        return
    marks = ", ".join("?" for _ in call["operators"])
    rows = tx.all(f"SELECT intent_id, callback_id, operator, at, number_digest FROM dial_intents "
                  f"WHERE operator IN ({marks}) AND at >= ? AND at <= ? ORDER BY at DESC, intent_id",
                  [*sorted(call["operators"]), utc_text(call["new_at"] - attest.DIAL_WINDOW),
                   utc_text(call["new_at"] + attest.CLOCK_SKEW)])
    for intent_id, callback_id, operator, at, digest in rows:  # the newest intent the call follows
        intent = {"callback_id": callback_id, "operator": operator,
                  "number_digest": tx.open("dial_intents", intent_id, "number_digest", digest),
                  "at": parse_instant(at)}
        if attest.dial_attests(intent, call):
            answered = utc_text(call["answer_at"])
            tx.execute("INSERT INTO callback_attestations (pbx, call_id, callback_id, intent_id, operator, "
                       "answered_at, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [pbx, call_id, callback_id, intent_id, operator, answered, utc_text(datetime.now(timezone.utc))])
            append_change(tx, "attestation", callback_id, {"callback_id": callback_id, "pbx": pbx, "call_id": call_id,
                                                           "operator": operator, "answered_at": answered})
            return


def attestations_by_callback(tx) -> dict[str, list[dict]]:
    """Every attestation, by callback, as console.core.attest.callback_attested takes them."""
    found: dict[str, list[dict]] = {}
    for row in tx.all(f"SELECT {', '.join(FED)} FROM callback_attestations"):
        attestation = dict(zip(FED, row))
        found.setdefault(attestation["callback_id"], []).append(attestation)
    return found

