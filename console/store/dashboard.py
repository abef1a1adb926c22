"""The supervisor's dashboard from the local cache, and its work queues.

Only the day's calls are read one by one (through the index on
calls(started_utc)), the day before comes from the hour tallies, and the
escalation queue from a partial index of escalated calls: the size of the
history does not matter. Figures are computed by console.core.dashboard, as
the hub computes them over every workstation's calls.

What is read here carries ids, never what a caller said.
"""

import json
from datetime import date, datetime, timedelta, timezone

from console.core.dashboard import ESCALATION_DAYS, dashboard_figures, day_bounds, helpline_day
from console.core.timeutil import utc_text
from console.store import attempts
from console.store.audit import append_audit
from console.store.callbacks import OVERDUE_AFTER
from console.store.connection import write_transaction


class EscalationError(ValueError):
    pass


def day_calls(db, day: date) -> list[dict]:
    """The day's calls as the dashboard needs them, with the practice of each call's person."""
    start, end = day_bounds(day)
    rows = db.execute(
        "SELECT c.started_utc, c.handle_seconds, c.operator, c.caller_type, c.verification, c.assurance, "
        "c.disclosed_status, c.outcome, c.region, json_extract(c.record, '$.flags'), "
        "json_extract(c.record, '$.scam_report') IS NOT NULL, p.practice_code "
        "FROM calls c LEFT JOIN persons p ON p.person_id = c.person_id "
        "WHERE c.started_utc >= ? AND c.started_utc < ?",
        [utc_text(start), utc_text(end)],
    )
    return [
        {"started_at": datetime.fromisoformat(started), "handle_seconds": seconds, "operator": operator,
         "caller_type": caller_type, "verification": verification, "assurance": assurance,
         "disclosed_status": disclosed, "outcome": outcome, "region": region,
         "flags": json.loads(flags) if flags and flags != "[]" else [], "scam_report": bool(scam),
         "practice": practice}
        for started, seconds, operator, caller_type, verification, assurance, disclosed, outcome, region, flags, scam,
        practice in rows
    ]


def hours_of_day(db, day: date) -> list[tuple[datetime, int]]:
    """(hour start, calls) of each UTC hour of the day, from the hour tallies.

    New Zealand's offsets are whole hours, so UTC hours are clock hours."""
    start, end = day_bounds(day)
    return [
        (datetime.fromisoformat(hour + ":00:00+00:00"), n)
        for hour, n in db.execute(
            "SELECT hour, sum(n) FROM call_hour_counts WHERE dimension = 'outcome' AND hour >= ? AND hour < ? "
            "GROUP BY hour", [utc_text(start)[:13], utc_text(end)[:13]],
        )
    ]


def open_callbacks(db, at: datetime) -> list[dict]:
    """Open callbacks, due first, overdue as callbacks.list_callbacks says it;
    no numbers and no name matches, only ids."""
    cursor = db.execute(
        "SELECT callback_id, booked_at, due_at, booked_by, assigned_to, reason, due_at < ? AS overdue "
        "FROM callbacks WHERE status = 'open' ORDER BY due_at",
        [utc_text(at - OVERDUE_AFTER)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row), overdue=bool(row[-1])) for row in cursor]


def escalations_awaiting(db, day: date) -> list[dict]:
    """Escalated calls of the ESCALATION_DAYS days up to `day` that nobody acknowledged, oldest first."""
    start, _ = day_bounds(day - timedelta(days=ESCALATION_DAYS - 1))
    _, end = day_bounds(day)
    cursor = db.execute(
        "SELECT call_id, started_at, operator, caller_type, verification, region, workstation FROM calls "
        "WHERE outcome = 'escalated' AND started_utc >= ? AND started_utc < ? "
        "AND call_id NOT IN (SELECT call_id FROM escalation_acks) ORDER BY started_utc",
        [utc_text(start), utc_text(end)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


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
    figures = dashboard_figures(
        day_calls(db, day), hours_of_day(db, day - timedelta(days=1)), open_callbacks(db, at),
        attempts.locked_persons(db, at), escalations_awaiting(db, day), day=day, now=at, in_progress=in_progress,
    )
    figures["practice_names"] = practice_names(db, figures["by_practice"])
    figures["source"] = "local"
    return figures


def queues(db, at: datetime) -> dict:
    """What a supervisor works through now: overdue callbacks, locked persons,
    escalations awaiting action."""
    return {
        "overdue_callbacks": [c for c in open_callbacks(db, at) if c["overdue"]],
        "locked": attempts.locked_persons(db, at),
        "escalations": escalations_awaiting(db, helpline_day(at)),
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
        append_audit(db, "escalation_acknowledged", operator=operator, workstation=workstation, person_id=found[1],
                     detail={"call_id": call_id, "note": note}, at=at)
    return ack
