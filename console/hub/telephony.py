"""The telephone line on the hub: PBXs posting Zammad's generic CTI events,
the event log, operators' extensions, blocked numbers, and the queue's
figures and missed callers read from them.

Each PBX posts to `/v1/cti/{token}`; the token is 32 random bytes, shown
once by `hub telephony add-pbx`, stored as its SHA-256 only, and revoked by
`hub telephony revoke`. An event is stored once per (PBX, callId, event):
a PBX or relay that retries after a lost answer gets "duplicate" back and
nothing is counted twice. Each stored event also refreshes its call's row in
`cti_calls` (console.core.telephony.summarise: day, hour, outcome, wait,
handle time) and moves the call's part of the queue's sums (`cti_tallies`,
and `cti_answer_waits`: answered calls by wait, in spans) from what it
was to what it is, in the same transaction: a kill -9 keeps both or neither,
so the figures read a few hundred rows whatever the day's calls, and the
event log stays the record they can be recomputed from (`rebuild_tallies`).
A call record saved on a workstation with the PBX's call id
(console.hub.push) refreshes that call the same way (`call_saved`): its
handle time runs to the save.

Numbers are personal data: an event's body and a call's number are sealed
(console/hub/sealing.py), and where numbers are compared in SQL (a caller's
calls, blocked numbers) the column holds the keyed digest of their
`number_key` (`_number_digest`), never the number.
"""

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta, timezone

from collections import Counter, defaultdict

from console.core.telephony import (
    ANONYMOUS,
    ANSWERED,
    CAUSES,
    REJECT,
    WAITING,
    CallTrace,
    CtiEvent,
    Tally,
    merge_tallies,
    missed_callers,
    number_key,
    operator_activity,
    parse_event,
    queue_figures,
    summarise,
    tally_of,
    traces,
    day_bounds,
    SERVICE_TARGET_SECONDS,
)
from console.core.timeutil import now as helpline_now
from console.core.timeutil import parse_instant, utc_text
from console.hub.attestations import attest_call
from console.hub.sealing import row_id

PBX_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MISSED_LIMIT, MAX_MISSED_LIMIT = 500, 5000
MAX_TARGET_SECONDS = 3600  # the longest target GET /v1/queue takes; cti_answer_waits holds longer waits at it
CALL_COLUMNS = "call_id, direction, number, number_key, queue, new_at, answer_at, hangup_at, cause, saved_at"
TALLY_COLUMNS = ("calls", "short", "wait_seconds", "handle_seconds", "handled", "handled_to_hangup")


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
            if event.direction == "out":
                attest_call(tx, pbx, event.call_id)  # a dialled callback answered (console/hub/attestations.py)
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


def stored_events(tx, rows):
    """(event, at) of stored (pbx, call_id, event, body, at) rows, their bodies opened."""
    for pbx, call_id, kind, body, at in rows:
        body = tx.open("cti_events", row_id(pbx, call_id, kind), "body", body)
        yield parse_event(json.loads(body)), datetime.fromisoformat(at)


def _saved_at(tx, call_id: str) -> datetime | None:
    """When the call record(s) linked to a PBX's call id were saved (the latest: a handover saves two)."""
    saved = [parse_instant(ended) for (ended,) in tx.all("SELECT ended_at FROM calls WHERE pbx_call_id = ?",
                                                         [call_id])]
    return max(saved) if saved else None


def _refresh_call(tx, pbx: str, call_id: str) -> CallTrace:
    old = tx.one(f"SELECT {CALL_COLUMNS} FROM cti_calls WHERE pbx = ? AND call_id = ?", [pbx, call_id])
    rows = tx.all("SELECT pbx, call_id, event, body, at FROM cti_events WHERE pbx = ? AND call_id = ?",
                  [pbx, call_id])
    call = traces(stored_events(tx, rows))[call_id]
    call.saved_at = _saved_at(tx, call_id)
    row = summarise(call) or {"day": None, "hour": None, "outcome": WAITING, "wait_seconds": 0,
                              "handle_seconds": None}
    tx.execute("DELETE FROM cti_calls WHERE pbx = ? AND call_id = ?", [pbx, call_id])
    tx.execute(
        "INSERT INTO cti_calls (pbx, call_id, direction, number, number_key, queue, users, new_at, answer_at, "
        "hangup_at, cause, saved_at, day, hour, outcome, wait_seconds, handle_seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [pbx, call_id, call.direction, tx.seal("cti_calls", row_id(pbx, call_id), "number", call.number),
         _number_digest(tx, call.number), call.queue, json.dumps(call.users),
         *(utc_text(t) if t else None for t in (call.new_at, call.answer_at, call.hangup_at)), call.cause,
         utc_text(call.saved_at) if call.saved_at else None,
         row["day"], row["hour"], row["outcome"], row["wait_seconds"], row["handle_seconds"]])
    _move(tx, _trace(old) if old is not None else None, call)
    if call.answer_at is not None:
        for extension in call.users:
            _note_answer(tx, extension, pbx, call_id, utc_text(call.answer_at))
    return call


def _note_answer(tx, extension: str, pbx: str, call_id: str, answer_at: str) -> None:
    """Keep the latest call `extension` answered (cti_agents)."""
    tx.execute("INSERT INTO cti_agents (extension, pbx, call_id, answer_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (extension) DO UPDATE SET pbx = excluded.pbx, call_id = excluded.call_id, "
               "answer_at = excluded.answer_at WHERE excluded.answer_at >= cti_agents.answer_at",
               [extension, pbx, call_id, answer_at])


def call_saved(tx, pbx_call_id: str) -> None:
    """A call record linked to a PBX's call id was stored (in `tx`): that call's handle time now runs to it."""
    for (pbx,) in tx.all("SELECT pbx FROM cti_calls WHERE call_id = ?", [pbx_call_id]):
        _refresh_call(tx, pbx, pbx_call_id)


def _tallied(call: CallTrace | None) -> tuple[dict, Tally] | None:
    """An inbound call's summary and its part in the queue's sums, or None (outbound, or no newCall yet)."""
    row = summarise(call) if call is not None and call.direction == "in" else None
    return (row, tally_of(call.queue, row, MAX_TARGET_SECONDS)) if row is not None else None


# An answered call's wait is counted in cti_answer_waits once per level L, in
# the span of 2**L seconds holding it (bucket wait >> L; the span's number
# L * SPAN_LEVEL + bucket): the answered calls under any target are then the
# sum of at most twelve spans per queue and hour, however many calls and waits
# the day had.
WAIT_LEVELS = range(12)  # 2**12 s > MAX_TARGET_SECONDS
SPAN_LEVEL = 1 << 12


def _wait_spans(day: str, wait: int, queue: str, hour: int) -> list[dict]:
    wait = min(wait, MAX_TARGET_SECONDS)
    return [{"day": day, "span": level * SPAN_LEVEL + (wait >> level), "queue": queue, "hour": hour}
            for level in WAIT_LEVELS]


def _spans_under(target: int) -> list[int]:
    """The spans that together hold the waits 0 to target − 1 seconds."""
    spans, start = [], 0
    for level in reversed(WAIT_LEVELS):
        if target >> level & 1:
            spans.append(level * SPAN_LEVEL + (start >> level))
            start += 1 << level
    return spans


def _answered_wait(found) -> tuple | None:
    if found is None or found[1].outcome != ANSWERED:
        return None
    row, tally = found
    return row["day"], row["wait_seconds"], tally.queue, tally.hour


def _add(tx, table: str, key: dict, sums: dict) -> None:
    """Add `sums` (negative to take away) to the row of `table` at `key`; a row left with no calls goes."""
    columns = [*key, *sums]
    tx.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
               f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
               + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in sums),
               [*key.values(), *sums.values()])
    if sums["calls"] < 0:
        tx.execute(f"DELETE FROM {table} WHERE {' AND '.join(f'{name} = ?' for name in key)} AND calls = 0",
                   list(key.values()))


def _move(tx, before: CallTrace | None, after: CallTrace) -> None:
    """Move a call's part in the queue's sums from what it was (`before`, None: nothing) to what it is."""
    old, new = _tallied(before), _tallied(after)
    if old == new:
        return
    for found, sign in ((old, -1), (new, 1)):
        if found is not None:
            row, tally = found
            _add(tx, "cti_tallies", {"day": row["day"], "queue": tally.queue, "hour": tally.hour,
                                     "outcome": tally.outcome},
                 {name: sign * getattr(tally, name) for name in TALLY_COLUMNS})
    old_wait, new_wait = _answered_wait(old), _answered_wait(new)
    if old_wait != new_wait:
        for wait, sign in ((old_wait, -1), (new_wait, 1)):
            for span in _wait_spans(*wait) if wait is not None else ():
                _add(tx, "cti_answer_waits", span, {"calls": sign})


def rebuild_tallies(tx) -> None:
    """The queue's sums counted afresh from the calls' rows, each linked again to its call saved."""
    for table in ("cti_tallies", "cti_answer_waits", "cti_agents"):
        tx.execute(f"DELETE FROM {table}")
    for pbx, call_id, users, answer_at in tx.all("SELECT pbx, call_id, users, answer_at FROM cti_calls "
                                                 "WHERE answer_at IS NOT NULL AND users <> '[]'"):
        for extension in json.loads(users):
            _note_answer(tx, extension, pbx, call_id, answer_at)
    saved = defaultdict(list)
    for call_id, ended in tx.all("SELECT pbx_call_id, ended_at FROM calls WHERE pbx_call_id IS NOT NULL"):
        saved[call_id].append(parse_instant(ended))
    days, waits = defaultdict(list), Counter()
    for pbx, *columns in tx.all(f"SELECT pbx, {CALL_COLUMNS} FROM cti_calls"):
        call = _trace(columns)
        linked = max(saved[call.call_id]) if call.call_id in saved else None
        if linked != call.saved_at:
            call.saved_at = linked
            tx.execute("UPDATE cti_calls SET saved_at = ?, handle_seconds = ? WHERE pbx = ? AND call_id = ?",
                       [utc_text(linked) if linked else None, (summarise(call) or {}).get("handle_seconds"),
                        pbx, call.call_id])
        found = _tallied(call)
        if found is None:
            continue
        row, tally = found
        days[row["day"]].append(tally)
        wait = _answered_wait(found)
        for span in _wait_spans(*wait) if wait is not None else ():
            waits[tuple(span.values())] += 1
    for day, tallies in days.items():
        for tally in merge_tallies(tallies):
            tx.execute("INSERT INTO cti_tallies (day, queue, hour, outcome, " + ", ".join(TALLY_COLUMNS)
                       + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [day, tally.queue, tally.hour, tally.outcome, *(getattr(tally, name) for name in TALLY_COLUMNS)])
    for key, calls in waits.items():
        tx.execute("INSERT INTO cti_answer_waits (day, span, queue, hour, calls) VALUES (?, ?, ?, ?, ?)",
                   [*key, calls])


def events_of_day(db, day: date) -> list[tuple[str, CtiEvent, datetime]]:
    """The stored events of the calls that rang in on a helpline day, as (pbx, event, at): the log the figures
    can be recomputed from."""
    with db.read() as tx:
        rows = tx.all("SELECT e.pbx, e.call_id, e.event, e.body, e.at FROM cti_events e JOIN cti_calls c "
                      "ON c.pbx = e.pbx AND c.call_id = e.call_id WHERE c.day = ? ORDER BY e.event_id",
                      [day.isoformat()])
        return [(row[0], *event) for row, event in zip(rows, stored_events(tx, rows))]


# what supervisors read


def _operators_now(tx) -> dict:
    """Signed in, and (console.core.telephony.operator_activity) on a call or in wrap-up, from the latest call
    each of the operators' extensions answered (in the last 12 hours)."""
    current = _now_text()
    signed_in = tx.value("SELECT count(DISTINCT t.operator_id) FROM tokens t JOIN operators o "
                         "ON o.operator_id = t.operator_id WHERE t.expires_at > ? AND o.disabled = 0", [current], 0)
    since = utc_text(datetime.now(timezone.utc) - timedelta(hours=12))
    rows = tx.all("SELECT x.operator_id, c.answer_at, c.hangup_at, c.saved_at FROM cti_agents a "
                  "JOIN operator_extensions x ON x.extension = a.extension "
                  "JOIN cti_calls c ON c.pbx = a.pbx AND c.call_id = a.call_id WHERE a.answer_at >= ?", [since])
    return {"signed_in": signed_in, **operator_activity(rows)}


def figures_for_day(db, day: date | None = None, target: int = SERVICE_TARGET_SECONDS) -> dict:
    """console.core.telephony.queue_figures for a helpline day (default today), from the database's tallies."""
    today = helpline_now().date()
    day = day or today
    target = min(target, MAX_TARGET_SECONDS)
    spans = _spans_under(target)
    with db.read() as tx:  # the day's sums, and beside the answered ones how many of them were within the target
        rows = tx.all(
            "SELECT t.queue, t.hour, t.outcome, " + ", ".join(f"t.{name}" for name in TALLY_COLUMNS)
            + ", w.within FROM cti_tallies t LEFT JOIN (SELECT queue, hour, sum(calls) AS within "
            f"FROM cti_answer_waits WHERE day = ? AND span IN ({', '.join('?' * len(spans))}) GROUP BY queue, hour) w "
            "ON t.outcome = ? AND w.queue = t.queue AND w.hour = t.hour WHERE t.day = ?",
            [day.isoformat(), *spans, ANSWERED, day.isoformat()])
        waiting = tx.all("SELECT queue, new_at FROM cti_calls WHERE outcome = ? AND day = ? AND direction = 'in'",
                         [WAITING, day.isoformat()]) if day == today else []
        operators = _operators_now(tx) if day == today else None
    tallies = [Tally(queue, int(hour), kind, int(calls), int(within or 0), int(short), float(waits), float(handle),
                     int(handled), int(to_hangup))
               for queue, hour, kind, calls, short, waits, handle, handled, to_hangup, within in rows]
    figures = queue_figures(tallies, target=target, operators=operators,
                            waiting_since=[(queue, datetime.fromisoformat(at)) for queue, at in waiting])
    return {"day": day.isoformat(), **figures}


def _trace(row) -> CallTrace:
    """A cti_calls row as a trace: its key the number's digest, its number still sealed (opened only for
    the entries shown: missed_for_day)."""
    call_id, direction, number, key, queue, new_at, answer_at, hangup_at, cause, saved_at = row
    parse = lambda t: datetime.fromisoformat(t) if t else None  # noqa: E731
    return CallTrace(call_id, direction, number, queue, parse(new_at), parse(answer_at), parse(hangup_at), cause,
                     key=key, saved_at=parse(saved_at))


def missed_for_day(db, day: date | None = None, *, masked: bool = False, limit: int = MISSED_LIMIT) -> dict:
    """The missed callers of a helpline day (console.core.telephony.missed_callers), newest first, at most
    `limit` of them (and how many there are in all); blocked numbers left out."""
    day = day or helpline_now().date()
    start, _ = day_bounds(day)
    with db.read() as tx:
        rows = tx.all(f"SELECT pbx, {CALL_COLUMNS} FROM cti_calls "
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
