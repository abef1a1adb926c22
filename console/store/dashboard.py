"""The supervisor's dashboard from the local cache, and its work queues.

The day's figures come from the hour tallies kept beside every call (the
dashboard's dimensions among them), the escalation queue from a covering
partial index of escalated calls: no call is read one by one, so the size of
the history and of the day do not matter. Figures are computed by
console.core.dashboard, as the hub computes them over every workstation's
calls.

What is read here carries ids, never what a caller said.
"""

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from console.core.dashboard import dashboard_figures, day_bounds, escalation_window, helpline_day
from console.core.records import overdue_before
from console.core.timeutil import utc_text
from console.store import attempts
from console.store.audit import append_audit
from console.store.connection import write_transaction
from console.store.outbox import queue_outbox

QUEUE_LIMIT = 500  # rows of a queue shown at once, oldest first; the total is always given


class EscalationError(ValueError):
    pass


def _hour_keys(day: date) -> list[str]:
    start, end = day_bounds(day)
    return [utc_text(start)[:13], utc_text(end)[:13]]


def _hour(key: str) -> datetime:
    return datetime.fromisoformat(key + ":00:00+00:00")


def day_tallies(db, day: date) -> tuple[list[tuple[datetime, Counter]], Counter]:
    """The tallies of each hour of the day that holds calls, and the day's
    handle-time histogram, from the hour tallies. New Zealand's offsets are
    whole hours, so the helpline's day is whole UTC hours."""
    hours: dict[str, Counter] = {}
    for hour, dimension, value, n in db.execute(
        "SELECT hour, dimension, value, n FROM call_hour_counts WHERE hour >= ? AND hour < ?", _hour_keys(day)
    ):
        hours.setdefault(hour, Counter())[(dimension, value)] = n
    handle = Counter(dict(db.execute(
        "SELECT seconds, sum(n) FROM call_hour_handle WHERE hour >= ? AND hour < ? GROUP BY seconds", _hour_keys(day)
    ).fetchall()))
    return [(_hour(hour), tallies) for hour, tallies in sorted(hours.items())], handle


def calls_per_hour(db, day: date) -> list[tuple[datetime, int]]:
    """(hour start, calls) of each hour of the day that holds calls."""
    return [
        (_hour(hour), n)
        for hour, n in db.execute(
            "SELECT hour, sum(n) FROM call_hour_counts WHERE dimension = 'outcome' AND hour >= ? AND hour < ? "
            "GROUP BY hour", _hour_keys(day),
        )
    ]


def callback_counts(db, at: datetime) -> dict:
    """Open callbacks, and those overdue as callbacks.list_callbacks says it."""
    open_, overdue = db.execute(
        "SELECT count(*), coalesce(sum(due_at < ?), 0) FROM callbacks WHERE status = 'open'",
        [overdue_before(at)],
    ).fetchone()
    return {"open": open_, "overdue": overdue}


def open_callbacks(db, at: datetime, limit: int = QUEUE_LIMIT) -> list[dict]:
    """Every open callback (any may be assigned), earliest due first, each marked
    overdue or not: ids, no numbers and no name matches."""
    cursor = db.execute(
        "SELECT callback_id, booked_at, due_at, booked_by, assigned_to, reason, due_at < ? AS overdue "
        "FROM callbacks WHERE status = 'open' ORDER BY due_at LIMIT ?",
        [overdue_before(at), limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row), overdue=bool(row[-1])) for row in cursor]


def person_names(db, person_ids) -> dict[str, str]:
    """The registered name of each person still in the register, for a supervisor's queues
    (a supervisor may search the register by name)."""
    ids = sorted({pid for pid in person_ids if pid})
    if not ids:
        return {}
    return {pid: f"{given} {family}" for pid, given, family in db.execute(
        "SELECT person_id, given_names, family_name FROM persons WHERE person_id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(ids)])}


AWAITING = ("FROM calls WHERE outcome = 'escalated' AND started_utc >= ? AND started_utc < ? "
            "AND NOT EXISTS (SELECT 1 FROM escalation_acks a WHERE a.call_id = calls.call_id)")


def escalations_awaiting_count(db, day: date) -> int:
    return db.execute(f"SELECT count(*) {AWAITING}", list(escalation_window(day))).fetchone()[0]


def escalations_awaiting(db, day: date, limit: int = QUEUE_LIMIT) -> list[dict]:
    """Escalated calls of the ESCALATION_DAYS days up to `day` that nobody took up, oldest first."""
    cursor = db.execute(
        f"SELECT call_id, started_at, operator, caller_type, verification, region, workstation, person_id, "
        f"json_extract(record, '$.flags') AS flags, json_extract(record, '$.notes') AS notes {AWAITING} "
        "ORDER BY started_utc LIMIT ?", list(escalation_window(day)) + [limit],
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor]
    for row in rows:
        row["flags"] = json.loads(row["flags"] or "[]")
    return rows


def practice_names(db, codes) -> dict[str, str]:
    codes = list(codes)
    if not codes:
        return {}
    return dict(db.execute(
        "SELECT practice_code, name FROM practices WHERE practice_code IN (SELECT value FROM json_each(?))",
        [json.dumps(codes)],
    ))


def dashboard(db, day: date | None, at: datetime, in_progress: int | None = None) -> dict:
    """The figures of `day` (default: the helpline's today) as of `at`."""
    day = day or helpline_day(at)
    hours, handle = day_tallies(db, day)
    figures = dashboard_figures(
        hours, handle, calls_per_hour(db, day - timedelta(days=1)), day=day, now=at,
        callbacks=callback_counts(db, at), lockouts=len(attempts.locked_persons(db, at)),
        escalations_awaiting=escalations_awaiting_count(db, day), in_progress=in_progress,
    )
    figures["practice_names"] = practice_names(db, figures["by_practice"])
    figures["source"] = "local"
    return figures


def queues(db, at: datetime) -> dict:
    """What a supervisor works through now: open callbacks (overdue marked), locked persons
    (with their name and when the lock lifts), escalations awaiting action (with their flags,
    note, person and age in seconds at `at`); each at most QUEUE_LIMIT, with its total."""
    day = helpline_day(at)
    counts = callback_counts(db, at)
    locked, escalations = attempts.locked_persons(db, at), escalations_awaiting(db, day)
    names = person_names(db, [row["person_id"] for row in locked + escalations])
    for row in locked + escalations:
        row["person_name"] = names.get(row["person_id"])
    for row in escalations:
        row["age_seconds"] = max(0, int((at - datetime.fromisoformat(row["started_at"])).total_seconds()))
    return {
        "open_callbacks": open_callbacks(db, at),
        "open_callbacks_total": counts["open"],
        "overdue_callbacks_total": counts["overdue"],
        "locked": locked,
        "escalations": escalations,
        "escalations_total": escalations_awaiting_count(db, day),
    }


def acknowledge_escalation(db, call_id: str, *, operator, workstation, note: str | None = None,
                           at: datetime | None = None) -> dict:
    """A supervisor has taken up an escalated call: it leaves the queue, audited."""
    at = at or datetime.now(timezone.utc)
    with write_transaction(db):
        # checked inside the write lock, so two supervisors cannot both take it up
        found = db.execute("SELECT outcome, person_id FROM calls WHERE call_id = ?", [call_id]).fetchone()
        if found is None:
            raise EscalationError(f"There is no call {call_id} on this workstation.")
        if found[0] != "escalated":
            raise EscalationError(f"Call {call_id} was not escalated (its outcome is {found[0]}).")
        taken = db.execute("SELECT operator, at FROM escalation_acks WHERE call_id = ?", [call_id]).fetchone()
        if taken:
            raise EscalationError(f"Call {call_id} was already taken up by {taken[0]} at {taken[1]}.")
        ack = {"call_id": call_id, "at": utc_text(at), "operator": operator, "workstation": workstation, "note": note}
        db.execute("INSERT INTO escalation_acks (call_id, at, operator, workstation, note) "
                   "VALUES (:call_id, :at, :operator, :workstation, :note)", ack)
        queue_outbox(db, "escalation_ack", call_id, ack)  # so the hub's figures see it taken up
        append_audit(db, "escalation_acknowledged", operator=operator, workstation=workstation, person_id=found[1],
                     detail={"call_id": call_id, "note": note}, at=at)
    return ack
