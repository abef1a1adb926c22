"""The telephone line on the hub: PBXs posting Zammad's generic CTI events,
the event log, operators' extensions, blocked numbers, and the queue's
figures and missed callers read from them.

Each PBX posts to `/v1/cti/{token}`; the token is 32 random bytes, shown
once by `hub telephony add-pbx`, stored as its SHA-256 only, and revoked by
`hub telephony revoke`. An event is stored once per (PBX, callId, event):
a PBX or relay that retries after a lost answer gets "duplicate" back and
nothing is counted twice. Each stored event also refreshes its call's row in
`cti_calls` (console.core.telephony.summarise: day, hour, outcome, wait), in
the same transaction, so the figures are one GROUP BY and the event log stays
the record they can be recomputed from.

Numbers are personal data: an event's body and a call's number are sealed
(console/hub/sealing.py), and where numbers are compared in SQL (a caller's
calls, blocked numbers) the column holds the keyed digest of their
`number_key` (`_number_digest`), never the number.
"""

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta, timezone

from console.core.telephony import (
    ANONYMOUS,
    CAUSES,
    REJECT,
    WAITING,
    CallTrace,
    CtiEvent,
    Tally,
    missed_callers,
    number_key,
    parse_event,
    queue_figures,
    summarise,
    traces,
    day_bounds,
    SERVICE_TARGET_SECONDS,
    SHORT_ABANDON_SECONDS,
    TALLY_SQL,
)
from console.core.timeutil import now as helpline_now
from console.core.timeutil import utc_text
from console.hub.sealing import row_id

PBX_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MISSED_LIMIT, MAX_MISSED_LIMIT = 500, 5000


class TelephonyProblem(ValueError):
    """A telephony command refused; the message is a sentence."""


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now_text() -> str:
    return datetime.now(timezone.utc).isoformat()


# PBXs and their tokens


def add_pbx(db, name: str) -> str:
    """A new PBX's secret token (shown once; only its hash is kept)."""
    import re

    if not re.match(PBX_NAME_PATTERN, name or ""):
        raise TelephonyProblem(f"A PBX's name is 1 to 64 letters, digits, dots, dashes or underscores, "
                               f"not {name[:70]!r}.")
    token = secrets.token_urlsafe(32)
    with db.write() as tx:
        if tx.one("SELECT 1 FROM pbxs WHERE name = ? AND revoked_at IS NULL", [name]):
            raise TelephonyProblem(f"There is already a PBX called {name}; revoke it first to give it a new address.")
        tx.execute("DELETE FROM pbxs WHERE name = ?", [name])
        tx.execute("INSERT INTO pbxs (name, token_sha256, created_at) VALUES (?, ?, ?)",
                   [name, _sha256(token), _now_text()])
    return token


def revoke_pbx(db, name: str) -> None:
    """The PBX's address stops working at once; its events stay. Its name may be added again."""
    with db.write() as tx:
        if not tx.one("SELECT 1 FROM pbxs WHERE name = ? AND revoked_at IS NULL", [name]):
            raise TelephonyProblem(f"There is no PBX called {name} in service; `hub telephony list` names them.")
        tx.execute("UPDATE pbxs SET revoked_at = ? WHERE name = ?", [_now_text(), name])


def list_pbxs(db) -> list[dict]:
    with db.read() as tx:
        rows = tx.all("SELECT p.name, p.created_at, p.revoked_at, "
                      "(SELECT max(received_at) FROM cti_events e WHERE e.pbx = p.name) FROM pbxs p ORDER BY p.name")
    return [{"name": name, "created_at": created, "revoked_at": revoked, "last_event_at": last}
            for name, created, revoked, last in rows]


def pbx_for_token(db, token: str) -> str | None:
    if not token or len(token) > 200:
        return None
    with db.read() as tx:
        return tx.value("SELECT name FROM pbxs WHERE token_sha256 = ? AND revoked_at IS NULL", [_sha256(token)])


def _number_digest(tx, number: str) -> str | None:
    """What the database compares a number on: the keyed digest of its number_key (None for none)."""
    key = number_key(number)
    return tx.sealer.digest(key) if key is not None else None


# operators' extensions and blocked numbers


def map_extension(db, operator_id: str, extension: str) -> None:
    """An extension or agent name the PBX sends in `user` is this operator's."""
    extension = (extension or "").strip()
    if not extension or len(extension) > 200:
        raise TelephonyProblem("An extension or agent name is 1 to 200 characters.")
    with db.write() as tx:
        if not tx.one("SELECT 1 FROM operators WHERE operator_id = ?", [operator_id]):
            raise TelephonyProblem(f"There is no operator {operator_id}; `hub operators list` names them.")
        tx.execute("DELETE FROM operator_extensions WHERE extension = ?", [extension])
        tx.execute("INSERT INTO operator_extensions (extension, operator_id, mapped_at) VALUES (?, ?, ?)",
                   [extension, operator_id, _now_text()])


def operators_for(tx, users) -> list[str]:
    """The operators the PBX's `user` names are mapped to (unmapped names are left out)."""
    users = list(users)
    if not users:
        return []
    marks = ", ".join("?" for _ in users)
    return sorted({row[0] for row in tx.all(
        f"SELECT operator_id FROM operator_extensions WHERE extension IN ({marks})", users)})


def block_number(db, number: str, by: str = "hub") -> str:
    """Block a number (kept as its keyed digest only); its number_key, to show whoever blocked it."""
    key = number_key(number)
    if key is None:
        raise TelephonyProblem(f"{number[:40]!r} is not a number that can be blocked (anonymous, or too short).")
    with db.write() as tx:
        digest = _number_digest(tx, number)
        tx.execute("DELETE FROM blocked_numbers WHERE number_key = ?", [digest])
        tx.execute("INSERT INTO blocked_numbers (number_key, blocked_at, blocked_by) VALUES (?, ?, ?)",
                   [digest, _now_text(), by])
    return key


def unblock_number(db, number: str) -> bool:
    with db.write() as tx:
        digest = _number_digest(tx, number)
        found = digest is not None and tx.one("SELECT 1 FROM blocked_numbers WHERE number_key = ?",
                                              [digest]) is not None
        tx.execute("DELETE FROM blocked_numbers WHERE number_key = ?", [digest])
    return found


# events


def record_event(db, pbx: str, fields) -> dict:
    """Check and store one event from `pbx` (CtiRefused when it is not one):
    {"stored": True} once, {"stored": False} for a repeat; with Zammad's
    reject action for an inbound newCall from a blocked number."""
    event = parse_event(fields)
    received = datetime.now(timezone.utc)
    at = event.at or received
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    notices = []
    with db.write() as tx:
        inserted = tx.execute(
            "INSERT INTO cti_events (pbx, call_id, event, at, received_at, body) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (pbx, call_id, event) DO NOTHING",
            [pbx, event.call_id, event.event, utc_text(at), utc_text(received),
             tx.seal("cti_events", row_id(pbx, event.call_id, event.event), "body", body)]).rowcount == 1
        if inserted:
            call = _refresh_call(tx, pbx, event.call_id)
            notice = _live_notice(event, call)
            if notice is not None:
                notices = [(operator, notice) for operator in operators_for(tx, event.users or call.users)]
        blocked = (event.event == "newCall" and event.direction == "in" and event.from_number != ANONYMOUS
                   and tx.one("SELECT 1 FROM blocked_numbers WHERE number_key = ?",
                              [_number_digest(tx, event.from_number)]) is not None)
    if notices:
        from console.hub import live  # the live channel's routes are the app's, which imports this module

        for operator, notice in notices:  # once stored: the screen pop on the answering operator's window
            live.publish(operator, notice)
    reply = {"stored": inserted}
    if blocked:
        reply.update(REJECT)
    return reply


def _live_notice(event: CtiEvent, call) -> dict | None:
    """What the live channel tells the operators an inbound call's answer or
    hangup concerns (console.hub.live's event shapes), or None."""
    if call.direction != "in":
        return None
    if event.event == "answer" and call.answer_at is not None:
        number = None if call.number in ("", ANONYMOUS) else call.number
        wait = (call.answer_at - call.new_at).total_seconds() if call.new_at else None
        return {"type": "answer", "callId": call.call_id, "from": number, "queue": call.queue or None,
                "waitSeconds": max(0.0, wait) if wait is not None else None,
                "answeredAt": call.answer_at.isoformat()}
    if event.event == "hangup" and call.answer_at is not None and call.cause in CAUSES:
        notice = {"type": "hangup", "callId": call.call_id, "cause": call.cause, "hungUpBy": None}
        if call.hangup_at is not None:
            notice.update(talkSeconds=max(0.0, (call.hangup_at - call.answer_at).total_seconds()),
                          at=call.hangup_at.isoformat())
        return notice
    return None


def _stored_events(tx, rows):
    """(event, at) of stored (pbx, call_id, event, body, at) rows, their bodies opened."""
    for pbx, call_id, kind, body, at in rows:
        body = tx.open("cti_events", row_id(pbx, call_id, kind), "body", body)
        yield parse_event(json.loads(body)), datetime.fromisoformat(at)


def _refresh_call(tx, pbx: str, call_id: str) -> CallTrace:
    rows = tx.all("SELECT pbx, call_id, event, body, at FROM cti_events WHERE pbx = ? AND call_id = ?",
                  [pbx, call_id])
    call = traces(_stored_events(tx, rows))[call_id]
    row = summarise(call) or {"day": None, "hour": None, "outcome": WAITING, "wait_seconds": 0,
                              "handle_seconds": None}
    tx.execute("DELETE FROM cti_calls WHERE pbx = ? AND call_id = ?", [pbx, call_id])
    tx.execute(
        "INSERT INTO cti_calls (pbx, call_id, direction, number, number_key, queue, users, new_at, answer_at, "
        "hangup_at, cause, day, hour, outcome, wait_seconds, handle_seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [pbx, call_id, call.direction, tx.seal("cti_calls", row_id(pbx, call_id), "number", call.number),
         _number_digest(tx, call.number), call.queue, json.dumps(call.users),
         *(utc_text(t) if t else None for t in (call.new_at, call.answer_at, call.hangup_at)), call.cause,
         row["day"], row["hour"], row["outcome"], row["wait_seconds"], row["handle_seconds"]])
    return call


def events_of_day(db, day: date) -> list[tuple[str, CtiEvent, datetime]]:
    """The stored events of the calls that rang in on a helpline day, as (pbx, event, at): the log the figures
    can be recomputed from."""
    with db.read() as tx:
        rows = tx.all("SELECT e.pbx, e.call_id, e.event, e.body, e.at FROM cti_events e JOIN cti_calls c "
                      "ON c.pbx = e.pbx AND c.call_id = e.call_id WHERE c.day = ? ORDER BY e.event_id",
                      [day.isoformat()])
        return [(row[0], *event) for row, event in zip(rows, _stored_events(tx, rows))]


# what supervisors read


def _operators_now(tx) -> dict:
    current = _now_text()
    signed_in = tx.value("SELECT count(DISTINCT t.operator_id) FROM tokens t JOIN operators o "
                         "ON o.operator_id = t.operator_id WHERE t.expires_at > ? AND o.disabled = 0", [current], 0)
    since = utc_text(datetime.now(timezone.utc) - timedelta(hours=12))
    on_call = tx.value("SELECT count(DISTINCT x.operator_id) FROM cti_calls c JOIN operator_extensions x "
                       "ON c.users LIKE '%"' || x.extension || '"%' WHERE c.answer_at IS NOT NULL "
                       "AND c.hangup_at IS NULL AND c.answer_at >= ?", [since], 0)
    # wrap-up (hangup to call saved) needs the saved call linked to the PBX's call id: not known here
    return {"signed_in": signed_in, "on_call": on_call, "wrap_up": None}


def figures_for_day(db, day: date | None = None, target: int = SERVICE_TARGET_SECONDS) -> dict:
    """console.core.telephony.queue_figures for a helpline day (default today), from the database's tallies."""
    today = helpline_now().date()
    day = day or today
    with db.read() as tx:
        rows = tx.all(TALLY_SQL, [target, SHORT_ABANDON_SECONDS, day.isoformat()])
        waiting = tx.all("SELECT queue, new_at FROM cti_calls WHERE day = ? AND direction = 'in' AND outcome = ?",
                         [day.isoformat(), WAITING]) if day == today else []
        operators = _operators_now(tx) if day == today else None
    tallies = [Tally(queue, int(hour), kind, n, int(within), int(short), float(waits), float(handle or 0), handled)
               for queue, hour, kind, n, within, short, waits, handle, handled in rows]
    figures = queue_figures(tallies, target=target, operators=operators,
                            waiting_since=[(queue, datetime.fromisoformat(at)) for queue, at in waiting])
    return {"day": day.isoformat(), **figures}


def _trace(row) -> CallTrace:
    """A cti_calls row as a trace: its key the number's digest, its number still sealed (opened only for
    the entries shown: missed_for_day)."""
    call_id, direction, number, key, queue, new_at, answer_at, hangup_at, cause = row
    parse = lambda t: datetime.fromisoformat(t) if t else None  # noqa: E731
    return CallTrace(call_id, direction, number, queue, parse(new_at), parse(answer_at), parse(hangup_at), cause,
                     key=key)


def missed_for_day(db, day: date | None = None, *, masked: bool = False, limit: int = MISSED_LIMIT) -> dict:
    """The missed callers of a helpline day (console.core.telephony.missed_callers), newest first, at most
    `limit` of them (and how many there are in all); blocked numbers left out."""
    day = day or helpline_now().date()
    start, _ = day_bounds(day)
    with db.read() as tx:
        rows = tx.all("SELECT pbx, call_id, direction, number, number_key, queue, new_at, answer_at, hangup_at, "
                      "cause FROM cti_calls "
                      "WHERE number_key IS NOT NULL AND new_at >= ? AND (day = ? OR answer_at IS NOT NULL)",
                      [utc_text(start), day.isoformat()])
        blocked = {key for (key,) in tx.all("SELECT number_key FROM blocked_numbers")}
        # callers are told apart by the numbers' digests; a sealed number (each one its own ciphertext)
        # names its row, and only the numbers shown are opened
        rows_of = {row[3]: row_id(row[0], row[1]) for row in rows}
        entries = [entry for entry in missed_callers([_trace(row[1:]) for row in rows], day)
                   if entry.key not in blocked]
        for entry in entries[:limit]:
            entry.number = tx.open("cti_calls", rows_of[entry.number], "number", entry.number)
    return {"missed_callers": [entry.as_dict(masked=masked) for entry in entries[:limit]], "total": len(entries),
            "open": sum(entry.resolved_at is None for entry in entries)}
