"""What a workstation pushes: calls, callbacks, attempts, unlocks, audit entries.

Each item is checked first for its shape, all of them before anything is
written: a malformed item refuses the whole request with a sentence naming
it, and nothing is stored. Then each item is checked against policy v2's "Who
may attest what" (console.core.authorship): its author is the operator
pushing it, that operator's role may make it, it belongs to the pushing
workstation, it is not dated in the future nor before that workstation was
enrolled, the persons it names are in a register the hub has served, it is
not oversized. An item that
fails is answered "refused" with a sentence, kept in refused_pushes for
supervisors, and neither stored nor fed to anyone. Then one write transaction
stores the rest, giving every item a status (console/sync/protocol.py):
"stored", "duplicate" (already here, same body, compared as
protocol.canonical text), "stale" (an older callback revision) or "conflict"
(the same id with another body: the hub's copy is kept, never overwritten).
A workstation pushes at most PUSHES_PER_MINUTE times a minute, or what
`hub serve --pushes-per-minute` allows (429 beyond).

Audit entries are chained per workstation. The hub recomputes each entry's
hash with the workstation's own function (console.core.audit_chain) and checks it links to the last
entry it holds of that workstation, so an entry altered, removed or inserted
on the workstation after it reached the hub is found here, and the
workstation's reported head shows when its chain was cut short.
"""

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from console.core import attest, authorship
from console.core.audit_chain import GENESIS, entry_hash
from console.core.calls import CallRecordInvalid, call_row, validate_call_record
from console.core.records import callback_item_id, canonical, unlock_clearing
from console.core.timeutil import TimeFormatError, now, parse_instant, utc_text
from console.hub import attestations, telephony
from console.hub.changes import append_change, fed_body, feed_lock_state
from console.hub.sealing import row_id
from console.hub.registers import persons_known
from console.sync.protocol import MAX_PUSH_ITEMS

log = logging.getLogger("console.hub.push")

LARGEST_INTEGER = 2**62  # seqs and revisions beyond this are mistakes (and would not fit BIGINT arithmetic)


class PushRefused(Exception):
    """The whole push is refused (nothing stored); status 400, 403 or 413."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass
class Item:
    index: int
    kind: str
    id: str
    body: dict
    text: str  # protocol.canonical(body): what duplicates and conflicts are judged by
    pusher: str  # the workstation of the session that pushed it
    pushed_by: str | None = None  # the operator of that session
    record: dict | None = None  # a call: its validated record
    at_utc: str | None = None  # an attempt, unlock or audit entry: its time as sortable UTC text
    due_utc: str | None = None  # a callback: when it is due, as sortable UTC text
    times: tuple = ()  # every time the item states, as datetimes (none may be in the future)

    @property
    def where(self) -> str:
        return f"items[{self.index}] ({self.kind} {self.id})"


# checking items


def _bad(item: Item, problem: str) -> PushRefused:
    return PushRefused(400, f"In {item.where}: {problem}")


def _keys(item: Item, required: tuple, optional: tuple = ()) -> None:
    missing = [k for k in required if k not in item.body]
    if missing:
        raise _bad(item, f"the body lacks {', '.join(missing)}.")
    unknown = sorted(set(item.body) - set(required) - set(optional))
    if unknown:
        raise _bad(item, f"the body has unknown keys {', '.join(unknown)}; "
                         f"a {item.kind} has {', '.join(required + optional)}.")


def _text(item: Item, key: str, *, nullable: bool = False) -> None:
    value = item.body.get(key)
    if value is None and nullable:
        return
    if not isinstance(value, str) or not value:
        raise _bad(item, f"{key} must be {'text or null' if nullable else 'non-empty text'}.")


def _instant(item: Item, key: str, *, nullable: bool = False, made: bool = True) -> str | None:
    """The value as sortable UTC text (how range queries compare it). A time
    something was `made` (not a time it is due) joins the item's times."""
    value = item.body.get(key)
    if value is None and nullable:
        return None
    try:
        instant = parse_instant(value, key)
    except TimeFormatError as exc:
        raise _bad(item, f"{exc}.") from None
    if made:
        item.times += (instant,)
    return utc_text(instant)


def _integer(item: Item, key: str, least: int) -> int:
    value = item.body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= LARGEST_INTEGER:
        raise _bad(item, f"{key} must be a whole number from {least}.")
    return value


def _check_call(item: Item) -> None:
    record = {k: v for k, v in item.body.items() if k not in ("register_version", "workstation")}
    if record.get("call_id") != item.id:
        raise _bad(item, "the body's call_id must equal the item's id.")
    _text(item, "register_version", nullable=True)
    try:
        item.record = validate_call_record(record)
    except CallRecordInvalid as exc:
        raise _bad(item, " ".join(exc.problems)) from None
    _instant(item, "started_at")  # when the call is dated (its end is the call record's to check)


CALLBACK_REQUIRED = ("callback_id", "revision", "booked_at", "due_at", "workstation", "person_ids", "reason", "status")
CALLBACK_OPTIONAL = ("booked_by", "assigned_to", "call_id", "completed_at", "completed_by", "outcome", "notes",
                     "countersigned_by", "countersigned_at")


def _check_callback(item: Item) -> None:
    _keys(item, CALLBACK_REQUIRED, CALLBACK_OPTIONAL)
    for key in ("callback_id", "workstation", "reason"):
        _text(item, key)
    revision = _integer(item, "revision", 1)
    if item.id != callback_item_id(item.body["callback_id"], revision):
        raise _bad(item, f"the id of a callback item is <callback_id>@<revision>, here "
                         f"{callback_item_id(item.body['callback_id'], revision)!r}.")
    if item.body["status"] not in ("open", "closed"):
        raise _bad(item, "status must be open or closed.")
    persons = item.body["person_ids"]
    if not isinstance(persons, list) or not all(isinstance(p, str) and p for p in persons):
        raise _bad(item, "person_ids must be a list of person ids.")
    for key in CALLBACK_OPTIONAL:
        _text(item, key, nullable=True)
    _instant(item, "booked_at")
    _instant(item, "completed_at", nullable=True)
    item.due_utc = _instant(item, "due_at", made=False)


def _check_attempt(item: Item) -> None:
    _keys(item, ("attempt_id", "person_id", "at", "operator", "workstation"))
    if item.body["attempt_id"] != item.id:
        raise _bad(item, "the body's attempt_id must equal the item's id.")
    for key in ("person_id", "workstation"):
        _text(item, key)
    _text(item, "operator", nullable=True)
    item.at_utc = _instant(item, "at")


def _check_unlock(item: Item) -> None:
    _keys(item, ("unlock_id", "person_id", "at", "operator", "workstation", "reason"))
    if item.body["unlock_id"] != item.id:
        raise _bad(item, "the body's unlock_id must equal the item's id.")
    for key in ("person_id", "workstation"):
        _text(item, key)
    for key in ("operator", "reason"):
        _text(item, key, nullable=True)
    item.at_utc = _instant(item, "at")


def _check_escalation_ack(item: Item) -> None:
    _keys(item, ("call_id", "at", "operator", "workstation", "note"))
    if item.body["call_id"] != item.id:
        raise _bad(item, "the body's call_id must equal the item's id.")
    _text(item, "workstation")
    for key in ("operator", "note"):
        _text(item, key, nullable=True)
    item.at_utc = _instant(item, "at")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")  # NaN and Infinity could not be served back as JSON


AUDIT_FIELDS = ("seq", "entry_id", "at", "operator", "workstation", "kind", "person_id", "detail", "prev_hash", "hash")


def _check_audit(item: Item) -> None:
    _keys(item, AUDIT_FIELDS)
    if item.body["entry_id"] != item.id:
        raise _bad(item, "the body's entry_id must equal the item's id.")
    _integer(item, "seq", 1)
    for key in ("at", "workstation", "kind", "prev_hash", "hash"):
        _text(item, key)
    for key in ("operator", "person_id"):
        _text(item, key, nullable=True)
    try:
        detail = json.loads(item.body["detail"], parse_constant=_no_constant)
    except (TypeError, ValueError):
        detail = None
    if not isinstance(detail, dict):
        raise _bad(item, "detail must be the entry's details as the text of a JSON object.")
    item.at_utc = _instant(item, "at")


def _check_dial_intent(item: Item) -> None:
    _keys(item, attestations.INTENT_KEYS)
    if item.body["intent_id"] != item.id:
        raise _bad(item, "the body's intent_id must equal the item's id.")
    for key in ("callback_id", "operator", "workstation"):
        _text(item, key)
    problem = attestations.digest_problem(item.body["number_digest"])
    if problem:
        raise _bad(item, problem)
    item.at_utc = _instant(item, "at")


CHECKS = {"call": _check_call, "callback": _check_callback, "attempt": _check_attempt,
          "unlock": _check_unlock, "audit": _check_audit, "escalation_ack": _check_escalation_ack,
          "dial_intent": _check_dial_intent}


def check_items(raw_items: list, workstation: str, operator: str | None = None) -> list[Item]:
    if len(raw_items) > MAX_PUSH_ITEMS:
        raise PushRefused(413, f"A push carries at most {MAX_PUSH_ITEMS} items; this one has {len(raw_items)}. "
                               "Send them in smaller batches.")
    items = []
    for index, raw in enumerate(raw_items):
        item = Item(index, raw["kind"], raw["id"], raw["body"], canonical(raw["body"]), workstation, operator)
        CHECKS[item.kind](item)
        items.append(item)
    return items


# who may attest what (console.core.authorship)

ID_KEYS = ("call_id", "callback_id", "attempt_id", "unlock_id", "entry_id", "person_id", "operator", "workstation",
           "booked_by", "assigned_to", "completed_by")
TEXT_KEYS = ("notes", "note", "reason", "outcome")


def _signed_in_there(tx, operator: str | None, workstation: str, times: tuple) -> bool:
    """Whether `operator` held a hub session on `workstation` covering the record's first time."""
    if not operator or not times:
        return False
    at = utc_text(min(times))
    return tx.one("SELECT 1 FROM tokens WHERE operator_id = ? AND workstation = ? AND created_at <= ? "
                  "AND expires_at >= ?", [operator, workstation, at, at]) is not None


PERSON_KINDS = ("call", "attempt", "callback", "unlock")  # kinds of record naming persons of the register


def persons_named(item: Item) -> list[str]:
    """The persons a call, attempt, callback or unlock names."""
    if item.kind == "call":
        return [item.record["person_id"]] if item.record.get("person_id") else []
    if item.kind == "callback":
        return list(item.body["person_ids"])
    return [item.body["person_id"]] if item.kind in PERSON_KINDS else []


@dataclass
class Facts:
    """What the hub knows about one push, looked up once for all its items."""
    enrolled: datetime | None = None  # when the pushing workstation was (first) enrolled
    known_persons: set | None = None  # the persons named that are in a register the hub held; None: not judged


def push_facts(tx, session, items: list[Item]) -> Facts:
    row = tx.one("SELECT enrolled_at FROM workstations WHERE workstation_id = ?", [session.device])
    named = [person_id for item in items for person_id in persons_named(item)]
    return Facts(parse_instant(row[0]) if row and row[0] else None, persons_known(tx, named))


def refusal(tx, item: Item, session, at: datetime, facts: Facts | None = None) -> str | None:
    """Why policy v2 refuses this item from this session (a sentence), or None.
    facts.enrolled: nothing the workstation pushes is dated before its
    enrolment (its audit chain excepted: it starts with the cache, and is
    judged by its links); facts.known_persons: a record names only persons of
    a register the hub has held, so served."""
    facts = facts or Facts()
    body = item.body
    persons = body.get("person_ids") if isinstance(body.get("person_ids"), list) else []
    ids = {key: body.get(key) for key in ID_KEYS}
    ids.update({f"person_ids[{n}]": person for n, person in enumerate(persons)})
    problem = (authorship.size_refusal(item.id, item.text, ids, {key: body.get(key) for key in TEXT_KEYS})
               or (attest.unlock_problem(session.role, body.get("reason")) if item.kind == "unlock"
                   else authorship.role_refusal(item.kind, session.role))
               or authorship.workstation_refusal(item.kind, body.get("workstation"), session.workstation))
    if problem is None and item.kind in authorship.AUTHOR_KEYS:
        author = body.get(authorship.AUTHOR_KEYS[item.kind])
        problem = authorship.author_refusal(
            item.kind, author, session.operator_id, session.role,
            author != session.operator_id and _signed_in_there(tx, author, session.workstation, item.times))
    for instant in item.times:
        problem = (problem or authorship.check_time(instant, at)
                   or (attest.enrolment_problem(instant, facts.enrolled, "It") if item.kind != "audit" else None))
    if problem is None and item.kind == "dial_intent":
        problem = attestations.intent_refusal(tx, body)
    if facts.known_persons is not None:
        for person_id in persons_named(item):
            problem = problem or attest.person_problem(person_id, person_id in facts.known_persons,
                                                       "any register this hub has served")
    return problem


def _count_push(tx, workstation: str, at: datetime, limit: int) -> None:
    """Count this push against the workstation's minute; PushRefused 429 beyond `limit`."""
    minute = utc_text(at.replace(second=0, microsecond=0))
    row = tx.one("SELECT minute, pushes FROM push_rate WHERE workstation = ?", [workstation])
    pushes = row[1] + 1 if row and row[0] == minute else 1
    if pushes > limit:
        raise PushRefused(429, f"Workstation {workstation} has pushed {limit} times this "
                               "minute, the most the hub takes; the next sync sends the rest.",
                          retry_after=60 - at.second)
    tx.execute("INSERT INTO push_rate (workstation, minute, pushes) VALUES (?, ?, ?) ON CONFLICT (workstation) "
               "DO UPDATE SET minute = excluded.minute, pushes = excluded.pushes", [workstation, minute, pushes])


def _refuse(tx, item: Item, session, message: str, at: str) -> dict:
    item_id = item.id[:authorship.MAX_ID_CHARS + 12]
    tx.execute("INSERT INTO refused_pushes (workstation, operator_id, kind, item_id, message, at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [session.workstation, session.operator_id, item.kind, item_id,
                tx.seal("refused_pushes", row_id(session.workstation, item_id), "message", message), at])
    return _result(item, "refused", message)


# storing items


def _result(item: Item, status: str, message: str | None = None) -> dict:
    result = {"kind": item.kind, "id": item.id, "status": status}
    if message:
        result["message"] = message
    return result


def _same_or_conflict(item: Item, stored_text: str) -> dict:
    if stored_text == item.text:
        return _result(item, "duplicate")
    return _result(item, "conflict", f"The hub already holds {item.kind} {item.id} with different contents; "
                                     "the hub's copy was kept.")


def _store_call(tx, item: Item, at: str, alerts: list) -> dict:
    found = tx.one("SELECT record FROM calls WHERE call_id = ?", [item.id])
    if found:
        return _same_or_conflict(item, tx.open("calls", item.id, "record", found[0]))
    row = call_row(item.record, workstation=item.pusher, register_version=item.body.get("register_version"),
                   saved_at=at, text=tx.seal("calls", item.id, "record", item.text))
    row["entered_by"] = item.pushed_by  # who pushed it: a supervisor entering paper calls, or the author
    row["body_sha256"] = tx.sealer.digest(item.text)  # keyed (console/hub/sealing.py)
    tx.execute(f"INSERT INTO calls ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    if row.get("pbx_call_id"):  # the PBX's call it records: its handle time now runs to this save
        telephony.call_saved(tx, row["pbx_call_id"])
    return _result(item, "stored")


def _store_callback(tx, item: Item, at: str, alerts: list) -> dict:
    body = item.body
    found = tx.one("SELECT revision, body FROM callbacks WHERE callback_id = ?", [body["callback_id"]])
    if found and found[0] > body["revision"]:
        return _result(item, "stale", f"The hub holds revision {found[0]} of callback {body['callback_id']}, "
                                      f"newer than {body['revision']}; it keeps the newer.")
    if found and found[0] == body["revision"]:
        return _same_or_conflict(item, tx.open("callbacks", body["callback_id"], "body", found[1]))
    values = [body["revision"], body["workstation"], body["status"], item.due_utc, body.get("assigned_to"),
              tx.seal("callbacks", body["callback_id"], "body", item.text), at, body["callback_id"]]
    if found:
        tx.execute("UPDATE callbacks SET revision = ?, workstation = ?, status = ?, due_at = ?, assigned_to = ?, "
                   "body = ?, received_at = ? WHERE callback_id = ?", values)
    else:
        tx.execute("INSERT INTO callbacks (revision, workstation, status, due_at, assigned_to, body, received_at, "
                   "callback_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
    append_change(tx, "callback", body["callback_id"], body)
    return _result(item, "stored")


def _held(tx, item: Item, table: str, key: str) -> dict | None:
    """The result for an item whose id the hub holds already (a duplicate or a conflict), else None."""
    found = tx.one(f"SELECT body FROM {table} WHERE {key} = ?", [item.id])
    return _same_or_conflict(item, tx.open(table, item.id, "body", found[0])) if found else None


def _insert(tx, item: Item, table: str, row: dict, at: str) -> dict:
    """Store a new item's row with its body, and feed it to every workstation:
    an attempt as the person's lock state only, an unlock without who made it
    where (console.hub.changes)."""
    row = {**row, "body": tx.seal(table, item.id, "body", item.text), "received_at": at}
    tx.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    if item.kind != "attempt":
        append_change(tx, item.kind, item.id, fed_body(item.kind, item.body))
    if item.kind in ("attempt", "unlock"):
        feed_lock_state(tx, item.body["person_id"])
    return _result(item, "stored")


def _refused(item: Item, problem: str) -> dict:
    """An item that who-may-attest-what refuses: kept aside on the workstation
    with this sentence, never stored here nor fanned out."""
    return _result(item, "refused", problem)


def _store_attempt(tx, item: Item, at: str, alerts: list) -> dict:
    held = _held(tx, item, "attempts", "attempt_id")
    if held:
        return held
    body = item.body
    # the same rule as the workstation's (console.core.attest): never dated in the future
    problem = attest.future_problem(parse_instant(item.at_utc), parse_instant(at), "The attempt")
    if problem:
        return _refused(item, problem)
    # an unlock already here, made at or after this attempt, has cleared it
    cleared_by = unlock_clearing(item.at_utc, tx.all("SELECT at, unlock_id FROM unlocks WHERE person_id = ? AND at >= ?",
                                                     [body["person_id"], item.at_utc]))
    return _insert(tx, item, "attempts", {"attempt_id": item.id, "person_id": body["person_id"], "at": item.at_utc,
                                          "operator": body["operator"], "workstation": body["workstation"],
                                          "cleared_by": cleared_by}, at)


def _store_unlock(tx, item: Item, at: str, alerts: list) -> dict:
    held = _held(tx, item, "unlocks", "unlock_id")
    if held:
        return held
    body = item.body
    # the same rules as the workstation's (console.core.attest): a supervisor's unlock, or an operator's
    # record of a verification by possession; never dated in the future
    author = tx.one("SELECT role FROM operators WHERE operator_id = ?", [body["operator"]])
    problem = (attest.unlock_problem(author[0] if author else None, body["reason"])
               or attest.future_problem(parse_instant(item.at_utc), parse_instant(at), "The unlock"))
    if problem:
        return _refused(item, problem)
    # it clears the person's attempts made at or before it (console.core.records.unlock_clears)
    tx.execute("UPDATE attempts SET cleared_by = ? WHERE person_id = ? AND cleared_by IS NULL AND at <= ?",
               [item.id, body["person_id"], item.at_utc])
    return _insert(tx, item, "unlocks", {"unlock_id": item.id, "person_id": body["person_id"], "at": item.at_utc,
                                         "operator": body["operator"], "workstation": body["workstation"],
                                         "reason": tx.seal("unlocks", item.id, "reason", body["reason"])}, at)


def _store_escalation_ack(tx, item: Item, at: str, alerts: list) -> dict:
    held = _held(tx, item, "escalation_acks", "call_id")
    if held:
        return held
    return _insert(tx, item, "escalation_acks", {"call_id": item.id, "at": item.at_utc,
                                                 "operator": item.body["operator"],
                                                 "workstation": item.body["workstation"]}, at)


def audit_head(tx, workstation: str) -> tuple[int, str]:
    row = tx.one("SELECT seq, hash FROM audit_heads WHERE workstation = ?", [workstation])
    return (row[0], row[1]) if row else (0, GENESIS)


def _store_audit(tx, item: Item, at: str, alerts: list) -> dict:
    body = item.body
    workstation, seq = body["workstation"], body["seq"]

    def broken(problem: str) -> dict:
        message = f"Audit chain of workstation {workstation}: entry {seq} {problem}."
        alerts.append(message)
        return _result(item, "conflict", message)

    found = tx.one("SELECT body FROM audit WHERE entry_id = ?", [item.id])
    if found:
        if tx.open("audit", item.id, "body", found[0]) == item.text:
            return _result(item, "duplicate")
        return broken(f"({item.id}) reached the hub before with different contents: it was altered afterwards")
    head_seq, head_hash = audit_head(tx, workstation)
    if seq <= head_seq:
        return broken(f"is already on the hub as another entry: the chain was rewritten from entry {seq} on")
    if seq > head_seq + 1:
        return broken(f"arrived, but the hub's copy ends at entry {head_seq}: "
                      f"entries {head_seq + 1} to {seq - 1} are missing")
    if body["prev_hash"] != head_hash:
        return broken(f"does not link to entry {head_seq} as the hub holds it: the chain was altered")
    recomputed = entry_hash(body["prev_hash"], item.id, body["at"], body["operator"], workstation, body["kind"],
                             body["person_id"], body["detail"])
    if recomputed != body["hash"]:
        return broken("does not match its own hash: it was altered after it was written")
    tx.execute("INSERT INTO audit (workstation, seq, entry_id, at, operator, kind, person_id, detail, prev_hash, hash, "
               "body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [workstation, seq, item.id, item.at_utc, body["operator"], body["kind"], body["person_id"],
                tx.seal("audit", item.id, "detail", body["detail"]), body["prev_hash"], body["hash"],
                tx.seal("audit", item.id, "body", item.text), at])
    tx.execute("INSERT INTO audit_heads (workstation, seq, hash, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (workstation) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
               "updated_at = excluded.updated_at", [workstation, seq, body["hash"], at])
    return _result(item, "stored")


def _store_dial_intent(tx, item: Item, at: str, alerts: list) -> dict:
    held = _held(tx, item, "dial_intents", "intent_id")
    if held:
        return held
    attestations.store_intent(tx, item.id, item.body, item.text, at)
    return _result(item, "stored")


STORES = {"call": _store_call, "callback": _store_callback, "attempt": _store_attempt,
          "unlock": _store_unlock, "audit": _store_audit, "escalation_ack": _store_escalation_ack,
          "dial_intent": _store_dial_intent}


def _head_alert(tx, workstation: str, reported: dict) -> str | None:
    """Compare the workstation's own head with the hub's copy of its chain."""
    hub_seq, hub_hash = audit_head(tx, workstation)
    seq, digest = reported["seq"], reported["hash"]
    if seq < hub_seq:
        return (f"Audit chain of workstation {workstation}: it now ends at entry {seq}, but the hub holds entries "
                f"up to {hub_seq}: entries were cut off the end, or the chain was replaced.")
    if seq == hub_seq and digest != hub_hash:
        return (f"Audit chain of workstation {workstation}: its entry {seq} is not the entry {seq} the hub holds: "
                "the chain was rewritten.")
    return None


def record_alert(tx, workstation: str, message: str, at: str) -> None:
    """Keep an alert for supervisors; the same alert again is kept once, with its first time."""
    tx.execute("INSERT INTO audit_alerts (workstation, at, message) VALUES (?, ?, ?) "
               "ON CONFLICT (workstation, message) DO NOTHING", [workstation, at, message])


def push(db, session, workstation: str, raw_items: list, reported_head: dict | None,
         pushes_per_minute: int | None = None) -> dict:
    """Store a workstation's batch in one transaction; the reply of POST /v1/push.
    pushes_per_minute: the hub's limit (default authorship.PUSHES_PER_MINUTE)."""
    if workstation != session.workstation:
        raise PushRefused(403, f"This session is for workstation {session.workstation}, not {workstation}: "
                               "sign in on the workstation that pushes.")
    items = check_items(raw_items, workstation, session.operator_id)
    alerts: list[str] = []
    moment = now()
    at = utc_text(moment)
    with db.write() as tx:
        _count_push(tx, workstation, moment, pushes_per_minute or authorship.PUSHES_PER_MINUTE)
        facts = push_facts(tx, session, items)
        results = []
        for item in items:
            problem = refusal(tx, item, session, moment, facts)
            if problem:
                results.append(_refuse(tx, item, session, problem, at))
            elif item.kind == "audit" and any(r["kind"] == "audit" and r["status"] == "refused" for r in results):
                # the chain is pushed in order: after a refused entry, the next ones wait for it
                results.append(_refuse(tx, item, session, "An earlier entry of this audit chain was refused in "
                                                          "this push; the chain continues only after it.", at))
            else:
                results.append(STORES[item.kind](tx, item, at, alerts))
        if reported_head is not None:
            alert = _head_alert(tx, workstation, reported_head)
            if alert:
                alerts.append(alert)
        alerts = list(dict.fromkeys(alerts))
        for message in alerts:
            record_alert(tx, workstation, message, at)
    counts = Counter(f"{r['kind']}:{r['status']}" for r in results)
    log.info("push from %s by %s: %s%s", workstation, session.operator_id,
             ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing",
             f"; {len(alerts)} audit alert(s)" if alerts else "")
    return {"results": results, "audit_alert": " ".join(alerts) if alerts else None}
