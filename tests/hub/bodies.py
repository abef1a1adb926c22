"""Push items as a workstation makes them (console/store: calls, callbacks,
attempts, unlocks, audit entries), for the hub's tests."""

import json
import uuid

from console.core.calls import validate_call_record
from console.core.audit_chain import GENESIS, entry_hash
from console.sync.protocol import callback_item_id

from tests.hub.conftest import WORKSTATION


def call_item(call_id=None, *, started="2026-01-06T09:12:00+13:00", ended="2026-01-06T09:19:30+13:00",
              workstation=WORKSTATION, **fields) -> dict:
    record = {"call_id": call_id or str(uuid.uuid4()), "started_at": started, "ended_at": ended,
              "operator": "op-17", "caller_type": "patient", "verification": "not_attempted",
              "outcome": "resolved", "region": "Northland", **fields}
    body = dict(validate_call_record(record), register_version="sample-2026-01-05.1", workstation=workstation)
    return {"kind": "call", "id": body["call_id"], "body": body}


def callback_item(callback_id="cb-1", revision=1, *, workstation=WORKSTATION, **fields) -> dict:
    body = {"callback_id": callback_id, "booked_at": "2026-01-06T09:00:00.000000+00:00",
            "due_at": "2026-01-06T10:00:00.000000+00:00", "booked_by": "op-17", "assigned_to": None,
            "workstation": workstation, "call_id": None, "person_ids": ["P0001"], "reason": "caller_asked",
            "status": "open", "completed_at": None, "completed_by": None, "outcome": None, "notes": None,
            "revision": revision, **fields}
    return {"kind": "callback", "id": callback_item_id(callback_id, revision), "body": body}


def attempt_item(attempt_id=None, person_id="P0001", at="2026-01-06T09:00:00.000000+00:00",
                 workstation=WORKSTATION) -> dict:
    attempt_id = attempt_id or str(uuid.uuid4())
    return {"kind": "attempt", "id": attempt_id, "body": {"attempt_id": attempt_id, "person_id": person_id,
                                                          "at": at, "operator": "op-17", "workstation": workstation}}


def unlock_item(unlock_id=None, person_id="P0001", at="2026-01-06T12:00:00.000000+00:00",
                workstation=WORKSTATION) -> dict:
    unlock_id = unlock_id or str(uuid.uuid4())
    return {"kind": "unlock", "id": unlock_id, "body": {"unlock_id": unlock_id, "person_id": person_id, "at": at,
                                                        "operator": "sup-1", "workstation": workstation,
                                                        "reason": "confirmed by supervisor"}}


class Chain:
    """A workstation's audit chain, entries made exactly as console.store.audit makes them."""

    def __init__(self, workstation=WORKSTATION):
        self.workstation = workstation
        self.entries: list[dict] = []

    @property
    def head(self) -> dict:
        if not self.entries:
            return {"seq": 0, "hash": GENESIS}
        return {"seq": self.entries[-1]["seq"], "hash": self.entries[-1]["hash"]}

    def append(self, kind="search", person_id=None, detail=None) -> dict:
        seq, prev_hash = self.head["seq"], self.head["hash"]
        entry_id = str(uuid.uuid4())
        at = f"2026-01-06T09:{len(self.entries) % 60:02d}:00.000000+00:00"
        detail_text = json.dumps(detail or {"results": 1}, sort_keys=True, separators=(",", ":"))
        digest = entry_hash(prev_hash, entry_id, at, "op-17", self.workstation, kind, person_id, detail_text)
        entry = {"seq": seq + 1, "entry_id": entry_id, "at": at, "operator": "op-17", "workstation": self.workstation,
                 "kind": kind, "person_id": person_id, "detail": detail_text, "prev_hash": prev_hash, "hash": digest}
        self.entries.append(entry)
        return entry

    def truncate(self, seq: int) -> None:
        del self.entries[seq:]


def audit_item(entry: dict) -> dict:
    return {"kind": "audit", "id": entry["entry_id"], "body": dict(entry)}
