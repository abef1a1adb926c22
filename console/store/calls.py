"""The durable call log, its outbox and its statistics.

A call, its outbox row (what sync sends to the hub), its day tallies and its
audit entry are written in one BEGIN IMMEDIATE transaction on a WAL database
with synchronous=FULL: "saved" is said only after COMMIT returns, and a crash
at any point leaves all of them or none.
"""

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

from console.core.calls import call_row
from console.core.dashboard import dashboard_tallies
from console.core.records import canonical
from console.core.stats import STATS_COLUMNS, call_tallies, stats_from_tallies
from console.core.timeutil import now, utc_text
from console.store.audit import append_audit
from console.store.connection import write_transaction
from console.store.outbox import outbox_count, queue_outbox  # noqa: F401 (outbox_count: the store's callers)

EXPORT_FIELDS = (
    "call_id", "started_at", "ended_at", "operator", "caller_type", "relationship", "person_id", "verification",
    "assurance", "disclosed_status", "guidance_delivered", "topics", "flags", "outcome", "region", "notes",
    "scam_report", "register_version", "workstation",
)


def _insert_call(db, record: dict, workstation: str, register_version: str | None, fault=None) -> bool:
    """Insert one validated record in the open transaction; False if already stored."""
    if db.execute("SELECT 1 FROM calls WHERE call_id = ?", [record["call_id"]]).fetchone():
        return False
    stored = dict(record, register_version=register_version, workstation=workstation)
    row = call_row(record, workstation=workstation, register_version=register_version, saved_at=utc_text(now()),
                   text=canonical(stored))
    db.execute(f"INSERT INTO calls ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    if fault:
        fault("after_call_insert")
    started_utc, seconds = row["started_utc"], row["handle_seconds"]
    # the practice as the register has it now, as the call's region is the register's at the time of the call
    practice = db.execute("SELECT practice_code FROM persons WHERE person_id = ?",
                          [record["person_id"]]).fetchone() if record["person_id"] else None
    tallies = dashboard_tallies(dict(record, practice=practice[0] if practice else None))
    for bucket, key in (("day", started_utc[:10]), ("hour", started_utc[:13])):
        for dimension, value in tallies:
            db.execute(
                f"INSERT INTO call_{bucket}_counts VALUES (?, ?, ?, 1) "
                f"ON CONFLICT DO UPDATE SET n = n + 1",
                [key, dimension, value],
            )
        db.execute(
            f"INSERT INTO call_{bucket}_handle VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1",
            [key, seconds],
        )
    queue_outbox(db, "call", record["call_id"], stored)
    return True


def save_calls(db, records: list[dict], *, operator, workstation: str, register_version: str | None, fault=None) -> list[bool]:
    """Store validated records durably, all in one transaction; returns, per
    record, whether it was new (a call_id already stored is ignored)."""
    with write_transaction(db):
        stored = []
        for record in records:
            is_new = _insert_call(db, record, workstation, register_version, fault)
            if is_new:
                detail = {"call_id": record["call_id"], "outcome": record["outcome"],
                          "verification": record["verification"], "disclosed_status": record["disclosed_status"]}
                if record["operator"] != operator:  # a supervisor entering a call from paper: who entered it
                    detail.update(entered_by=operator, call_operator=record["operator"])
                append_audit(db, "call_saved", operator=operator, workstation=workstation, person_id=record["person_id"],
                             detail=detail)
            stored.append(is_new)
    return stored


def verifications_of(db, person_id: str | None) -> list[dict]:
    """The checks on this workstation that verified this person, as
    console.core.attest.verification_backs takes them (from the audit)."""
    if not person_id:
        return []
    found = []
    for operator, detail in db.execute(
            "SELECT operator, detail FROM audit WHERE kind = 'verification' AND person_id = ?", [person_id]):
        detail = json.loads(detail)
        if detail.get("outcome") == "verified":
            found.append({"operator": operator, "person_id": person_id, "assurance": detail.get("assurance"),
                          "call_time": detail.get("call_time")})
    return found


def calls_of_person(db, person_id: str, limit: int = 20) -> list[dict]:
    """Earlier calls about a verified caller, newest first, so nobody tells their story twice."""
    return [
        json.loads(row[0]) for row in db.execute(
            "SELECT record FROM calls WHERE person_id = ? ORDER BY started_utc DESC LIMIT ?", [person_id, limit]
        )
    ]


# statistics


def _day_start(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def _floor(moment: datetime, unit: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if unit == "day" else moment


def _ceil(moment: datetime, unit: str) -> datetime:
    floor = _floor(moment, unit)
    return floor if floor == moment else floor + (timedelta(days=1) if unit == "day" else timedelta(hours=1))


def _segments(lo: datetime, hi: datetime, unit: str = "day") -> list[tuple[str, datetime, datetime]]:
    """[lo, hi) as whole days, then whole hours, then raw remnants at the edges."""
    first, last = _ceil(lo, unit), _floor(hi, unit)
    if first >= last:
        return _segments(lo, hi, "hour") if unit == "day" else [("raw", lo, hi)]
    inner = "hour" if unit == "day" else "raw"
    edges = (lambda a, b: _segments(a, b, "hour")) if unit == "day" else (lambda a, b: [("raw", a, b)])
    return [s for s in (*edges(lo, first), (unit, first, last), *edges(last, hi)) if s[1] < s[2] or s[0] == inner and False]


def _bucket_key(moment: datetime, unit: str) -> str:
    return utc_text(moment)[: 10 if unit == "day" else 13]


def call_stats(db, since: datetime | None = None, until: datetime | None = None) -> dict:
    """cli.md's stats over calls with started_at in [since, until).

    Whole UTC days inside the window come from the day tallies, whole hours
    from the hour tallies, and only the partial hours at its edges from the
    calls themselves: a million calls are never read one by one.
    """
    tallies: Counter = Counter()
    histogram: Counter = Counter()
    total = 0
    # two scalar subqueries: SQLite answers a lone min() or max() from the index's
    # ends, but min() and max() in one SELECT scan the whole index
    ends = db.execute("SELECT (SELECT min(started_utc) FROM calls), (SELECT max(started_utc) FROM calls)").fetchone()
    if ends[0] is None:
        return stats_from_tallies(tallies, 0, histogram)
    # the window narrowed to the days that hold calls: the same calls, and no
    # day arithmetic near the ends of the calendar (--since 9999-12-31…)
    first, last = _day_start(ends[0][:10]), _day_start(ends[1][:10]) + timedelta(days=1)
    lo = max(since.astimezone(timezone.utc), first) if since else first
    hi = min(until.astimezone(timezone.utc), last) if until else last
    if hi <= lo:
        return stats_from_tallies(tallies, 0, histogram)
    for unit, start, end in _segments(lo, hi):
        if unit == "raw":
            columns = list(STATS_COLUMNS.values())
            for *values, seconds in db.execute(
                f"SELECT {', '.join(columns)}, handle_seconds FROM calls WHERE started_utc >= ? AND started_utc < ?",
                [utc_text(start), utc_text(end)],
            ):
                total += 1
                histogram[seconds] += 1
                for pair in call_tallies(dict(zip(columns, values))):
                    tallies[pair] += 1
            continue
        keys = (_bucket_key(start, unit), _bucket_key(end, unit))
        for dimension, value, n in db.execute(
            f"SELECT dimension, value, sum(n) FROM call_{unit}_counts WHERE {unit} >= ? AND {unit} < ? "
            "GROUP BY dimension, value", keys
        ):
            tallies[(dimension, value)] += n
            if dimension == "outcome":
                total += n
        for seconds, n in db.execute(
            f"SELECT seconds, sum(n) FROM call_{unit}_handle WHERE {unit} >= ? AND {unit} < ? GROUP BY seconds", keys
        ):
            histogram[seconds] += n
    return stats_from_tallies(tallies, total, histogram)


def export_calls(db, since: datetime | None = None, until: datetime | None = None):
    """Stored records (with register_version and workstation), oldest first."""
    clauses, params = [], []
    if since:
        clauses.append("started_utc >= ?")
        params.append(utc_text(since))
    if until:
        clauses.append("started_utc < ?")
        params.append(utc_text(until))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    for (record,) in db.execute(f"SELECT record FROM calls{where} ORDER BY started_utc, call_id", params):
        yield json.loads(record)
