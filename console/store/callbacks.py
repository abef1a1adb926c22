"""Callbacks, and the policy's callback verification route.

A callback is booked from what the caller said: it silently holds the name
match's person ids (never shown to the operator who booked it) and is placed
to the phone numbers on file. When nobody matched it closes at once as
"no number on file" for a supervisor to review; the booking operator sees
the same confirmation either way, and an operator completes only open
callbacks assigned to them, every refusal worded alike. An answered callback
followed by a name match verifies with possession only once a supervisor who
did not place it has countersigned it, or once the PBX attested the call the
operator dialled through their softphone (a dial intent, synced to the hub,
and the hub's attestation fed back): console.core.attest.callback_attested.
"""

import json
import uuid

from console.core import attest
from console.core.contact import dial_uri, phone_display, split_phones
from console.core.policy import CallerClaim, is_name_match
from console.core.records import callback_item_id, overdue_before
from console.core.telephony import number_masked
from console.core.timeutil import now, utc_text
from console.store import persons, settings
from console.store.audit import append_audit
from console.store.connection import write_transaction
from console.store.outbox import queue_outbox

OUTCOMES = ("answered", "no_answer", "wrong_number", "declined", "no_number_on_file")
COLUMNS = (
    "callback_id, booked_at, due_at, booked_by, assigned_to, workstation, call_id, person_ids, reason, status, "
    "completed_at, completed_by, outcome, notes, revision, countersigned_by, countersigned_at"
)


class CallbackError(ValueError):
    pass


def _row(cursor_row, description) -> dict:
    row = dict(zip([d[0] for d in description], cursor_row))
    row["person_ids"] = json.loads(row["person_ids"])
    return row


def _numbers(db, person_ids) -> list[str]:
    """The valid numbers on file of these persons, as the operator dials them.

    A number that does not parse as valid (the policy's phone rule) is not a
    number anyone can be called back on, so it is not "on file"."""
    numbers = []
    for person in persons.person_rows(db, person_ids):
        numbers += [shown for shown in map(phone_display, split_phones(person["phones"])) if shown]
    return list(dict.fromkeys(numbers))


def get_callback(db, callback_id: str) -> dict | None:
    cursor = db.execute(f"SELECT {COLUMNS} FROM callbacks WHERE callback_id = ?", [callback_id])
    found = cursor.fetchone()
    return _row(found, cursor.description) if found else None


def book_callback(db, claim: CallerClaim, *, operator, workstation, due_at=None, call_id=None,
                  reason: str = "caller_asked") -> dict:
    """Book a callback for what the caller said; returns what the operator may see."""
    matches = []
    if claim.date_of_birth:
        matches = [p.person_id for p in persons.persons_born_on(db, claim.date_of_birth.isoformat())
                   if is_name_match(claim, p)]
    has_number = bool(_numbers(db, matches))
    callback_id = str(uuid.uuid4())
    booked = now()
    row = {
        "callback_id": callback_id, "booked_at": utc_text(booked), "due_at": utc_text(due_at or booked),
        "booked_by": operator, "assigned_to": None, "workstation": workstation, "call_id": call_id,
        "person_ids": json.dumps(matches), "reason": reason,
        "status": "open" if has_number else "closed",
        "completed_at": None if has_number else utc_text(booked),
        "completed_by": None, "outcome": None if has_number else "no_number_on_file", "notes": None,
        "revision": 1, "countersigned_by": None, "countersigned_at": None,
    }
    with write_transaction(db):
        db.execute(f"INSERT INTO callbacks ({COLUMNS}) VALUES ({', '.join(':' + c.strip() for c in COLUMNS.split(','))})", row)
        append_audit(db, "callback_booked", operator=operator, workstation=workstation,
                     detail={"callback_id": callback_id, "name_matches": len(matches), "reason": reason,
                             "closed_no_number": not has_number})
        queue_outbox(db, "callback", callback_item_id(callback_id, 1), dict(row, person_ids=matches))
    # identical whatever matched: the id and when it is due
    return {"callback_id": callback_id, "due_at": row["due_at"], "status": "booked"}


def list_callbacks(db, *, which: str = "open", operator: str | None = None, at=None) -> list[dict]:
    """which: open, due, overdue, closed or all; operator narrows to those assigned to them."""
    at = at or now()
    clauses, params = [], []
    if which in ("open", "due", "overdue"):
        clauses.append("status = 'open'")
    elif which == "closed":
        clauses.append("status = 'closed'")
    elif which != "all":
        raise CallbackError(f"{which!r} is not one of open, due, overdue, closed, all.")
    if which == "due":
        clauses.append("due_at <= ?")
        params.append(utc_text(at))
    if which == "overdue":
        clauses.append("due_at < ?")
        params.append(overdue_before(at))
    if operator:
        clauses.append("assigned_to = ?")
        params.append(operator)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.execute(f"SELECT {COLUMNS} FROM callbacks{where} ORDER BY due_at", params)
    rows = [_row(r, cursor.description) for r in cursor]
    for row in rows:
        row["numbers"] = _numbers(db, row["person_ids"]) if row["status"] == "open" else []
        row["overdue"] = row["status"] == "open" and row["due_at"] < overdue_before(at)
        del row["person_ids"]  # who matched is never shown
    return rows


def not_yours(callback_id: str) -> CallbackError:
    """The one refusal an operator gets for a callback they may not complete,
    whether it is missing, closed (however: even "no number on file") or
    someone else's: it never tells whether anyone matched."""
    return CallbackError(f"Callback {callback_id} is not an open callback assigned to you; "
                         "a supervisor can assign it to you.")


def _update(db, callback_id: str, operator, workstation, kind: str, changes: dict, detail: dict,
            must_be_open: bool = False, assigned_only: bool = False, check=None) -> dict:
    with write_transaction(db):
        # checked inside the write lock, so two workstations' operators cannot both close one callback
        current = get_callback(db, callback_id)
        if assigned_only and (current is None or current["status"] != "open" or current["assigned_to"] != operator):
            raise not_yours(callback_id)
        if current is None:
            raise CallbackError(f"There is no callback {callback_id}.")
        if must_be_open and current["status"] != "open":
            raise CallbackError(f"Callback {callback_id} is already closed ({current['outcome']}).")
        if check is not None:
            problem = check(current)
            if problem:
                raise CallbackError(f"Callback {callback_id}: {problem}")
        changes = dict(changes, revision=current["revision"] + 1)
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        db.execute(f"UPDATE callbacks SET {sets} WHERE callback_id = :callback_id", dict(changes, callback_id=callback_id))
        append_audit(db, kind, operator=operator, workstation=workstation, detail=dict(detail, callback_id=callback_id))
        updated = get_callback(db, callback_id)
        # each revision travels: a supervisor elsewhere may already hold the one before
        queue_outbox(db, "callback", callback_item_id(callback_id, updated["revision"]), updated)
    return updated


def assign_callback(db, callback_id: str, assignee: str, *, operator, workstation) -> dict:
    return _update(db, callback_id, operator, workstation, "callback_assigned",
                   {"assigned_to": assignee}, {"assigned_to": assignee})


def complete_callback(db, callback_id: str, outcome: str, *, operator, workstation, notes: str | None = None,
                      assigned_only: bool = False) -> dict:
    """Close a callback with its outcome. assigned_only (an operator): only an
    open callback assigned to `operator`, refused otherwise with `not_yours`."""
    if outcome not in OUTCOMES:
        raise CallbackError(f"{outcome!r} is not one of {', '.join(OUTCOMES)}.")
    return _update(db, callback_id, operator, workstation, "callback_completed",
                   {"status": "closed", "outcome": outcome, "completed_at": utc_text(now()),
                    "completed_by": operator, "notes": notes},
                   {"outcome": outcome}, must_be_open=True, assigned_only=assigned_only)


def countersign_callback(db, callback_id: str, *, operator, role, workstation) -> dict:
    """A supervisor attests that a callback completed as answered was answered
    (attest.countersign_problem: not their own); audited, and synced as a revision."""
    return _update(db, callback_id, operator, workstation, "callback_countersigned",
                   {"countersigned_by": operator, "countersigned_at": utc_text(now())}, {},
                   check=lambda current: attest.countersign_problem(role, operator, current))


def callbacks_to_dial(db, operator: str) -> list[dict]:
    """The open callbacks assigned to `operator`, each with its numbers on
    file masked to their last three digits (as missed callers are listed):
    the operator dials one by its place in the list (`dial_callback`)."""
    cursor = db.execute(f"SELECT {COLUMNS} FROM callbacks WHERE status = 'open' AND assigned_to = ? "
                        "ORDER BY due_at", [operator])
    now_at = now()
    return [{"callback_id": row["callback_id"], "due_at": row["due_at"],
             "overdue": row["due_at"] < overdue_before(now_at),
             "numbers": [number_masked(n) for n in _numbers(db, row["person_ids"])]}
            for row in (_row(r, cursor.description) for r in cursor)]


def dial_callback(db, callback_id: str, index: int, *, operator, workstation) -> dict:
    """Record the intent to dial number `index` (from 0) on file of an open
    callback assigned to `operator`, and give the URI the softphone dials
    (settings dial_scheme, sip_domain). The intent goes to the hub with the
    number only as attest.number_digest; the audit says which place on the
    list was dialled, never the number. Nothing is recorded when it cannot be dialled."""
    with write_transaction(db):
        current = get_callback(db, callback_id)
        if current is None or current["status"] != "open" or current["assigned_to"] != operator:
            raise not_yours(callback_id)
        numbers = _numbers(db, current["person_ids"])
        if not 0 <= index < len(numbers):
            raise CallbackError(f"Callback {callback_id} has no number {index + 1} on file; "
                                f"it has {len(numbers)}.")
        try:
            uri = dial_uri(numbers[index], settings.get(db, "dial_scheme"), settings.get(db, "sip_domain"))
        except ValueError as exc:
            raise CallbackError(str(exc)) from None
        intent_id = str(uuid.uuid4())
        intent = {"intent_id": intent_id, "callback_id": callback_id, "operator": operator,
                  "workstation": workstation, "at": utc_text(now()),
                  "number_digest": attest.number_digest(callback_id, numbers[index])}
        append_audit(db, "callback_dialled", operator=operator, workstation=workstation,
                     detail={"callback_id": callback_id, "intent_id": intent_id, "number": index + 1})
        queue_outbox(db, "dial_intent", intent_id, intent)
    return {"intent_id": intent_id, "uri": uri}


def store_attestation(db, body: dict) -> None:
    """Keep an attestation the hub fed (the PBX's answered outbound call that
    followed a dial intent); fed again, kept once."""
    db.execute("INSERT OR IGNORE INTO callback_attestations (pbx, call_id, callback_id, operator, answered_at) "
               "VALUES (:pbx, :call_id, :callback_id, :operator, :answered_at)", body)


def attestations_of(db, callback_id: str) -> list[dict]:
    cursor = db.execute("SELECT callback_id, operator FROM callback_attestations WHERE callback_id = ?",
                        [callback_id])
    return [{"callback_id": c, "operator": o} for c, o in cursor]


def answered_callback_persons(db, callback_id: str) -> frozenset[str]:
    """The persons an attested answered callback reached: a name match among
    them is confirmed by possession. Empty for any other callback, and for
    one an operator completed as answered that nobody attested (neither a
    supervisor's countersign nor the PBX's call after a dial intent)."""
    callback = get_callback(db, callback_id)
    if not attest.callback_attested(callback, attestations_of(db, callback_id)):
        return frozenset()
    return frozenset(callback["person_ids"])


def open_callbacks_for_person(db, person_id: str) -> list[dict]:
    """Open callbacks whose name match included this person, for a verified
    caller's history (shown only after they are verified)."""
    cursor = db.execute(
        f"SELECT {COLUMNS} FROM callbacks, json_each(callbacks.person_ids) "
        "WHERE status = 'open' AND json_each.value = ? ORDER BY due_at",
        [person_id],
    )
    return [_row(r, cursor.description) for r in cursor]


def store_callback(db, body: dict) -> bool:
    """Take a callback revision from the hub if it is newer than ours; whether it was."""
    current = db.execute("SELECT revision FROM callbacks WHERE callback_id = ?", [body["callback_id"]]).fetchone()
    if current is not None and current[0] >= body["revision"]:
        return False
    row = {column.strip(): body.get(column.strip()) for column in COLUMNS.split(",")}
    row["person_ids"] = json.dumps(row["person_ids"] or [])
    db.execute(f"INSERT OR REPLACE INTO callbacks ({COLUMNS}) VALUES ({', '.join(':' + c.strip() for c in COLUMNS.split(','))})", row)
    return True
